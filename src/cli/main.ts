import { access, constants } from 'node:fs/promises';
import { Command, CommanderError } from 'commander';
import { passwordProblem } from '../platform/auth/passwords.ts';
import { cliActor } from '../platform/audit/audit.ts';
import { ConfigError, loadConfig } from '../platform/config/config.ts';
import { BackupError, backupDatabase, restoreDatabase } from '../platform/db/backup.ts';
import { DatabaseOpenError, databaseOptionsFromConfig, openDatabase, redactUrl, type Database } from '../platform/db/database.ts';
import { isDatabaseUnavailable } from '../platform/web/errors.ts';
import { buildApp } from '../platform/web/app.ts';
import { createUser } from '../capabilities/accounts/service.ts';
import { readPassword } from './password-prompt.ts';
import { logProgress, terminalProgress } from './progress.ts';
import { ImportError } from '../platform/data/csv.ts';
import { importLookup } from '../capabilities/geography/lookups.ts';
import { importBoundaries } from '../capabilities/geography/boundaries.ts';
import { importCentroids } from '../capabilities/geography/centroids.ts';
import { importPostcodes } from '../capabilities/geography/postcodes.ts';
import { editionCatalogue, importIodEdition } from '../capabilities/indicators/iod-import.ts';
import { deriveLsoa21Population, importPopulation } from '../capabilities/indicators/population.ts';
import { bundledDataLoaded, loadBundledData } from '../capabilities/indicators/bundled-data.ts';
import { generateSampleServices } from '../capabilities/community-assets/sample.ts';
import { addSampleSpend, importSpendFromCommandLine, SpendCliError } from '../capabilities/community-wealth/spend-cli.ts';
import type { SpendImportReport } from '../capabilities/community-wealth/spend-import.ts';
import { sql } from 'drizzle-orm';
import { queryRows } from '../platform/db/database.ts';
import { KeyError, resolveKeyring } from '../platform/crypto/envelope.ts';
import { eraseFlagged, flagForRetention } from '../capabilities/supporting-people/retention.ts';
import { rotateDataKeys } from '../capabilities/supporting-people/key-rotation.ts';

/** A failure the person at the terminal can act on: printed without a stack trace. */
class CliError extends Error {}

async function withDatabase<T>(work: (database: Database) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const database = await openDatabase(databaseOptionsFromConfig(config));
  try {
    await database.migrate();
    return await work(database);
  } finally {
    await database.close();
  }
}

const program = new Command()
  .name('patchwork')
  .description('Patchwork: neighbourhood working, together. Settings come from environment variables (see README.md).')
  .exitOverride();

program
  .command('serve')
  .description('apply migrations, then serve Patchwork over HTTP')
  .action(async () => {
    const config = loadConfig();
    const database = await openDatabase(databaseOptionsFromConfig(config));
    await database.migrate();
    // A new embedded installation shows real data at once; later starts reuse it.
    if (database.engine === 'pglite' && !(await bundledDataLoaded(database.db))) {
      console.error('Loading the bundled national data (first start only)…');
      await loadBundledData(database.db, cliActor, terminalProgress(), ['tables']);
    }
    const app = await buildApp({ config, database });
    const loading = new AbortController();
    let background: Promise<void> = Promise.resolve();
    const stop = async (signal: string) => {
      app.log.info({ signal }, 'shutting down');
      loading.abort(new Error('shutting down'));
      await background;
      await app.close();
      await database.close();
      process.exit(0);
    };
    process.once('SIGINT', () => void stop('SIGINT'));
    process.once('SIGTERM', () => void stop('SIGTERM'));
    await app.listen({ port: config.port, host: config.host });
    if (database.engine === 'pglite' && !(await bundledDataLoaded(database.db, ['boundaries']))) {
      // Minutes of work on the embedded engine: done while serving, a district at a time, and resumed
      // after a restart. Maps say the boundaries are still loading until this finishes.
      app.log.info('loading the bundled national boundaries in the background');
      background = loadBundledData(database.db, cliActor, logProgress(app.log), ['boundaries'], loading.signal).then(
        () => app.log.info('bundled national boundaries loaded'),
        (error: unknown) => {
          if (!loading.signal.aborted) app.log.error({ err: error }, 'loading the bundled boundaries failed; it resumes at the next start');
        },
      );
    }
    app.log.info(`Patchwork is running at http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${config.port} on ${database.engine} (${database.location})`);
  });

program
  .command('migrate')
  .description('apply any migrations not yet applied')
  .action(async () => {
    await withDatabase(async (database) => {
      const { applied } = await database.migrationStatus();
      console.log(`Database is up to date: ${applied} migrations applied on ${database.engine} (${database.location}).`);
    });
  });

const admin = program.command('admin').description('manage site administrators');
admin
  .command('create')
  .description('create a site administrator; the password is read from standard input or asked for')
  .requiredOption('--email <email>', 'their email address')
  .option('--name <name>', 'their name', 'Site administrator')
  .action(async (options: { email: string; name: string }) => {
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(options.email)) throw new CliError(`"${options.email}" is not an email address`);
    const password = await readPassword();
    // Checked before the database is opened, so a weak password is refused at once.
    const problem = passwordProblem(password, options.email);
    if (problem) throw new CliError(problem);
    await withDatabase(async (database) => {
      const result = await database.db.transaction(async (tx) =>
        createUser(tx, { email: options.email, name: options.name, password, isSiteAdmin: true }, cliActor),
      );
      if (!result.ok) throw new CliError(result.message);
      console.log(`Created site administrator ${options.email}. Sign in at /sign-in.`);
    });
  });

const importCommand = program.command('import').description('load national and local data (all-or-nothing: a bad file changes nothing)');
importCommand
  .command('iod')
  .description('an edition of the Indices of Deprivation, from one or more CSV files (e.g. ranks and deciles, then scores)')
  .requiredOption('--edition <edition>', `one of: ${Object.keys(editionCatalogue).join(', ')}`)
  .requiredOption('--file <path...>', 'CSV file(s), optionally gzipped, or Excel workbooks (.xlsx)')
  .action(async (options: { edition: string; file: string[] }) => {
    await withDatabase(async (database) => {
      const r = await importIodEdition(database.db, options.edition, options.file, cliActor);
      console.log(`Imported ${r.edition}: ${r.lsoas} LSOAs, ${r.indicators.length} indicators, summaries for ${r.lads} districts and ${r.wards} wards.`);
    });
  });
importCommand
  .command('lookup')
  .description('an ONS area lookup (LSOA → ward → LAD, LSOA 2011 → 2021, LSOA → CCG)')
  .requiredOption('--file <path>', 'CSV file, optionally gzipped, or an Excel workbook (.xlsx)')
  .action(async (options: { file: string }) => {
    await withDatabase(async (database) => {
      const r = await importLookup(database.db, options.file, cliActor);
      console.log(`Imported ${r.layout}: ${r.rows} rows, ${r.links} links (${Object.entries(r.areas).map(([v, n]) => `${n} ${v}`).join(', ')}).`);
    });
  });
importCommand
  .command('population')
  .description('LSOA population figures (IoD2019 File 6, or ONS mid-year estimates)')
  .requiredOption('--file <path>', 'CSV file, optionally gzipped, or an Excel workbook (.xlsx)')
  .action(async (options: { file: string }) => {
    await withDatabase(async (database) => {
      const r = await importPopulation(database.db, options.file, cliActor);
      const derived = await database.db.transaction((tx) => deriveLsoa21Population(tx));
      console.log(`Imported ${r.indicator}: ${r.lsoas} LSOAs, ${r.total.toLocaleString('en-GB')} people${derived ? `; ${derived} 2021-LSOA estimates updated` : ''}.`);
    });
  });
importCommand
  .command('boundaries')
  .description('area boundaries from GeoJSON: one file or a folder of them (LSOA 2011/2021, wards 2024/2025)')
  .requiredOption('--path <path>', 'a .geojson(.gz) file or a folder of them')
  .action(async (options: { path: string }) => {
    await withDatabase(async (database) => {
      const r = await importBoundaries(database.db, options.path, cliActor);
      console.log(`Imported ${r.areas} ${r.vintage} boundaries from ${r.files} files (${r.repaired} repaired, ${r.duplicates} duplicates skipped); derived ${Object.entries(r.derived).map(([k, n]) => `${n} ${k}`).join(', ') || 'no lookups'}.`);
    });
  });
importCommand
  .command('postcodes')
  .description('postcodes from the ONS National Statistics Postcode Lookup or Postcode Directory (the whole country, or an extract)')
  .argument('[files...]', 'NSPL or ONSPD CSV file(s), optionally gzipped')
  .option('--file <path...>', 'the same, as an option')
  .action(async (files: string[], options: { file?: string[] }) => {
    const all = [...files, ...(options.file ?? [])];
    if (!all.length) throw new CliError('Give the postcode file(s): npx patchwork import postcodes NSPL_FEB_2026_UK.csv');
    await withDatabase(async (database) => {
      const progress = terminalProgress();
      const r = await importPostcodes(database.db, all, cliActor, { progress }).catch((error: unknown) => {
        if (process.stderr.isTTY) process.stderr.write('\n'); // end the progress bar's line before the error
        throw error;
      });
      progress(r.files, r.files, 'done');
      const n = (x: number) => x.toLocaleString('en-GB');
      console.log(
        `Imported ${n(r.postcodes)} postcodes from ${r.files} file${r.files === 1 ? '' : 's'} (${n(r.added)} new, ${n(r.changed)} changed, ${n(r.unchanged)} unchanged; ${n(r.terminated)} terminated, ${n(r.withoutLocation)} without a grid reference)${r.outsideEngland ? `; skipped ${n(r.outsideEngland)} outside England` : ''}.`,
      );
    });
  });
importCommand
  .command('centroids')
  .description('population-weighted centroids of LSOAs (2011 or 2021), after their lookup')
  .requiredOption('--file <path>', 'CSV file, optionally gzipped, or an Excel workbook (.xlsx)')
  .action(async (options: { file: string }) => {
    await withDatabase(async (database) => {
      const r = await importCentroids(database.db, options.file, cliActor);
      console.log(`Imported ${r.centroids.toLocaleString('en-GB')} population-weighted centroids for ${r.vintage} (${r.changed.toLocaleString('en-GB')} changed); ${r.withoutCentroid.toLocaleString('en-GB')} ${r.vintage} areas have none.`);
    });
  });
importCommand
  .command('bundled')
  .description('everything shipped in data/: lookups, postcodes, centroids, population, IoD2015, IoD2019, IoD2025, boundaries')
  .action(async () => {
    await withDatabase(async (database) => {
      await loadBundledData(database.db, cliActor, terminalProgress());
      console.log('Loaded the bundled national data.');
    });
  });

const sample = program.command('sample').description('invented records for trying Patchwork out, each labelled sample data');
sample
  .command('assets')
  .description('sample community assets and activities, spread where people live in the districts given')
  .requiredOption('--organisation <slug>', 'the organisation that keeps them')
  .option('--district <code...>', 'district (LAD) codes to place them in; all of England when not given')
  .option('--count <n>', 'how many', '200')
  .action(async (options: { organisation: string; district?: string[]; count: string }) => {
    const count = Number(options.count);
    if (!Number.isInteger(count) || count < 1 || count > 200_000) throw new CliError(`--count must be a whole number from 1 to 200,000, not "${options.count}"`);
    await withDatabase(async (database) => {
      const [org] = await queryRows<{ id: string }>(database.db, sql`select id from organisations where slug = ${options.organisation}`);
      if (!org) throw new CliError(`There is no organisation "${options.organisation}": create it first (see README.md)`);
      const ids = await generateSampleServices(database.db, { ownerOrganisationId: org.id, count, ladCodes: options.district }, cliActor).catch((error: unknown) => {
        throw error instanceof Error && /No 2021 LSOA boundaries/.test(error.message) ? new CliError(`${error.message} (npx patchwork import bundled)`) : error;
      });
      console.log(`Added ${ids.length.toLocaleString('en-GB')} sample assets, labelled sample data, kept by ${options.organisation}.`);
    });
  });

sample
  .command('spend')
  .description('a sample transparency file of payments (invented suppliers, each named sample data) imported for a district')
  .requiredOption('--organisation <slug>', 'the organisation whose spend it is')
  .requiredOption('--district <code>', 'the district (2025 code or name) its spend counts as local to')
  .option('--rows <n>', 'how many payments', '20000')
  .action(async (options: { organisation: string; district: string; rows: string }) => {
    const rows = Number(options.rows);
    if (!Number.isInteger(rows) || rows < 1 || rows > 2_000_000) throw new CliError(`--rows must be a whole number from 1 to 2,000,000, not "${options.rows}"`);
    await withDatabase(async (database) => {
      const org = await organisationBySlug(database, options.organisation);
      const report = await addSampleSpend(database.db, org.id, { district: options.district, rows }, cliActor).catch(asSpendCliError);
      console.log(spendReportLine(report));
    });
  });

const asSpendCliError = (error: unknown): never => {
  throw error instanceof SpendCliError ? new CliError(error.message) : error;
};
const spendReportLine = (r: SpendImportReport) =>
  `Imported ${r.paymentsAdded.toLocaleString('en-GB')} payments (${r.duplicatesSkipped.toLocaleString('en-GB')} already there, ${r.creditNotes.toLocaleString('en-GB')} credit notes, ${r.suppliersAdded.toLocaleString('en-GB')} new suppliers), ${r.firstPaidOn ?? '–'} to ${r.lastPaidOn ?? '–'}.`;

/** An organisation named on the command line, by its slug (as in its web address). */
async function organisationBySlug(database: Database, slug: string): Promise<{ id: string; slug: string; name: string }> {
  const { sql } = await import('drizzle-orm');
  const { queryRows } = await import('../platform/db/database.ts');
  const [org] = await queryRows<{ id: string; slug: string; name: string }>(database.db, sql`select id, slug, name from organisations where slug = ${slug}`);
  if (!org) throw new CliError(`No organisation has the slug "${slug}": it is the part of the organisation’s address after /organisations/`);
  return org;
}
importCommand
  .command('spend')
  .description('a spend (transparency) file of payments into an organisation’s source, for files beyond the upload limit: all or nothing, each problem named')
  .argument('<file>', 'a CSV (or .csv.gz, .xlsx) of payments as the organisation publishes them')
  .requiredOption('--organisation <slug>', 'the organisation whose spend it is')
  .requiredOption('--source <name>', 'the source (as named on the Spend files page); made when new, its columns guessed and remembered')
  .option('--district <code>', 'for a new source: the district (2025 code or name) its spend counts as local to')
  .action(async (file: string, options: { organisation: string; source: string; district?: string }) => {
    await withDatabase(async (database) => {
      const org = await organisationBySlug(database, options.organisation);
      const report = await importSpendFromCommandLine(database.db, org.id, { source: options.source, district: options.district ?? null, file }, cliActor).catch(asSpendCliError);
      console.log(spendReportLine(report));
    });
  });

importCommand
  .command('assets')
  .description('community assets into an organisation’s directory, from the CSV template (or Excel) or Open Referral UK JSON: all or nothing, each problem named')
  .argument('<file>', 'a CSV or .xlsx in the template’s layout (docs/ASSETS-CSV.md), or Open Referral UK JSON')
  .requiredOption('--organisation <slug>', 'the organisation that keeps the records')
  .option('--format <format>', 'csv or oruk (worked out from the file when not given)')
  .action(async (file: string, options: { organisation: string; format?: string }) => {
    if (options.format && options.format !== 'csv' && options.format !== 'oruk') throw new CliError(`--format must be csv or oruk, not "${options.format}"`);
    const { readFile } = await import('node:fs/promises');
    const bytes = await readFile(file).catch(() => {
      throw new CliError(`${file} cannot be read: check the path`);
    });
    const { readImportFile } = await import('../capabilities/community-assets/oruk-routes.ts');
    const { runImport } = await import('../capabilities/community-assets/transfer.ts');
    await withDatabase(async (database) => {
      const org = await organisationBySlug(database, options.organisation);
      const format = (options.format as 'csv' | 'oruk' | undefined) ?? (/\.json$/i.test(file) ? 'oruk' : null);
      const plan = await readImportFile(bytes, file, org, format);
      const r = await runImport(database.db, plan, org, null, cliActor);
      console.log(`Imported ${r.total} ${r.total === 1 ? 'record' : 'records'} into ${org.name}’s directory (${r.created} new, ${r.updated} updated)${r.categoriesAdded.length ? `; added categories ${r.categoriesAdded.join(', ')}` : ''}.`);
      for (const note of r.notes) console.log(`Note: ${note}.`);
    });
  });

program
  .command('export')
  .description('write data out of Patchwork')
  .command('assets')
  .description('an organisation’s directory records, as the CSV template or Open Referral UK JSON, with contacts it keeps private marked so')
  .requiredOption('--organisation <slug>', 'the organisation whose records to export')
  .requiredOption('--format <format>', 'csv or oruk')
  .option('--out <file>', 'where to write it (standard output when not given)')
  .action(async (options: { organisation: string; format: string; out?: string }) => {
    if (options.format !== 'csv' && options.format !== 'oruk') throw new CliError(`--format must be csv or oruk, not "${options.format}"`);
    const { exportCsv } = await import('../capabilities/community-assets/asset-csv.ts');
    const { exportOruk } = await import('../capabilities/community-assets/oruk.ts');
    await withDatabase(async (database) => {
      const org = await organisationBySlug(database, options.organisation);
      const text = options.format === 'csv' ? await exportCsv(database.db, org.id) : await exportOruk(database.db, org.id);
      if (options.out) {
        const { writeFile } = await import('node:fs/promises');
        await writeFile(options.out, text);
        console.error(`Wrote ${org.name}’s directory to ${options.out}.`);
      } else process.stdout.write(text);
    });
  });

const db = program.command('db').description('back up and restore Patchwork’s data');
db.command('backup')
  .description('write a consistent snapshot of every Patchwork table to a file')
  .requiredOption('--out <file>', 'where to write the backup (gzipped JSON lines)')
  .action(async (options: { out: string }) => {
    await withDatabase(async (database) => {
      const counts = await backupDatabase(database, options.out);
      const rows = Object.values(counts).reduce((a, b) => a + b, 0);
      console.log(`Backed up ${Object.keys(counts).length} tables (${rows} rows) from ${database.engine} to ${options.out}.`);
    });
  });
db.command('restore')
  .description('restore a backup into a new, empty database (either engine)')
  .requiredOption('--in <file>', 'the backup file')
  .action(async (options: { in: string }) => {
    try {
      await access(options.in, constants.R_OK);
    } catch {
      throw new BackupError(`The backup file ${options.in} cannot be read: check the path`);
    }
    await withDatabase(async (database) => {
      const counts = await restoreDatabase(database, options.in, cliActor);
      const rows = Object.values(counts).reduce((a, b) => a + b, 0);
      console.log(`Restored ${Object.keys(counts).length} tables (${rows} rows) into ${database.engine} (${database.location}).`);
    });
  });

const supportCommand = program.command('support').description('supporting people: personal records kept by support teams');
supportCommand
  .command('retention')
  .description('flag records closed longer than PATCHWORK_SUPPORT_RETENTION_MONTHS; with --erase, then anonymise every flagged record')
  .option('--erase', 'anonymise the flagged records (their personal data is deleted; counts for aggregates stay)')
  .action(async (options: { erase?: boolean }) => {
    const config = loadConfig();
    await withDatabase(async (database) => {
      const { flagged, waiting } = await flagForRetention(database.db, config.supportRetentionMonths);
      console.log(`Flagged ${flagged} more record${flagged === 1 ? '' : 's'} closed over ${config.supportRetentionMonths} months ago; ${waiting} flagged in all, waiting to be anonymised.`);
      if (options.erase) {
        const { anonymised } = await eraseFlagged(database.db, cliActor);
        console.log(`Anonymised ${anonymised} record${anonymised === 1 ? '' : 's'}: personal data deleted and data keys destroyed; counts for aggregates kept.`);
      } else if (waiting) console.log('Team leads can see them at /support/teams/<team>/retention. Run with --erase to anonymise them.');
    });
  });

const keys = program.command('keys').description('the key that protects personal data at rest (PATCHWORK_DATA_KEY)');
keys
  .command('rotate')
  .description('re-wrap every data key with PATCHWORK_DATA_KEY; put the old key in PATCHWORK_RETIRED_DATA_KEYS while this runs')
  .action(async () => {
    const config = loadConfig();
    const asCliError = (error: unknown) => {
      throw error instanceof KeyError ? new CliError(error.message) : error;
    };
    const keyring = await resolveKeyring(config).catch(asCliError);
    await withDatabase(async (database) => {
      const r = await rotateDataKeys(database.db, keyring, cliActor).catch(asCliError);
      console.log(`Re-wrapped ${r.rewrapped} data key${r.rewrapped === 1 ? '' : 's'} with key ${keyring.current.id} (${r.alreadyCurrent} already used it). Once done, the retired key can be removed from PATCHWORK_RETIRED_DATA_KEYS.`);
    });
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  if (error instanceof ConfigError || error instanceof CliError || error instanceof BackupError || error instanceof ImportError || error instanceof DatabaseOpenError) {
    console.error(`patchwork: ${error.message}`);
    process.exit(error instanceof BackupError || error instanceof ImportError ? 3 : 2);
  }
  if (process.env.DATABASE_URL && isDatabaseUnavailable(error)) {
    const code = (error as { code?: string; cause?: { code?: string } }).code ?? (error as { cause?: { code?: string } }).cause?.code;
    console.error(`patchwork: the PostgreSQL database at ${redactUrl(process.env.DATABASE_URL)} cannot be reached${code ? ` (${code})` : ''}. Check that it is running and that DATABASE_URL is right, then try again.`);
    process.exit(2);
  }
  console.error('patchwork: unexpected error:', error);
  process.exit(1);
}
