import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { and, eq, sql } from 'drizzle-orm';
import type { Actor } from '../../platform/audit/audit.ts';
import { ImportError, readRows } from '../../platform/data/csv.ts';
import { queryRows, type Db } from '../../platform/db/database.ts';
import { samplePostcodes, writeSampleSpendFile } from './sample.ts';
import { spendSources } from './schema.ts';
import { guessMapping, mappingProblems, spendFieldNames } from './spend-columns.ts';
import { importSpend, type SpendImportReport } from './spend-import.ts';

/**
 * Spend files from the command line: for files beyond the upload limit (a year of a large council's payments), and
 * for sample data. A source named for the first time is made, its mapping guessed from the file's headings and
 * remembered, as the pages do; a guess that misses a column the import needs is refused, naming it.
 */

export class SpendCliError extends Error {}

async function districtCode(db: Db, district: string): Promise<string> {
  const [found] = await queryRows<{ code: string }>(db, sql`select code from areas where vintage = 'lad25' and (code = ${district.toUpperCase()} or lower(name) = ${district.toLowerCase()}) limit 1`);
  if (!found) throw new SpendCliError(`There is no 2025 district "${district}": give its code (such as E08000010) or its name`);
  return found.code;
}

async function headingsOf(file: string): Promise<string[]> {
  for await (const { values } of readRows(file)) return Object.keys(values);
  throw new ImportError(file, [], `${file} has no payments in it.`);
}

/** The organisation's source of this name, made (with the file's guessed mapping) when there is none. */
async function sourceFor(db: Db, organisationId: string, name: string, file: string, district: string | null, sample: boolean): Promise<string> {
  const [existing] = await db.select().from(spendSources).where(and(eq(spendSources.organisationId, organisationId), eq(spendSources.name, name)));
  if (existing) return existing.id;
  if (!district) throw new SpendCliError(`There is no source "${name}" yet: give --district, the district its spend counts as local to`);
  const headings = await headingsOf(file);
  const mapping = guessMapping(headings);
  const problems = mappingProblems(mapping, headings);
  if (problems.length) throw new SpendCliError(`The columns of ${file} could not all be recognised (${problems.join('; ')}). Import its first file through the Spend files page to choose them. Headings: ${headings.join(', ')}. Columns needed: ${Object.values(spendFieldNames).join(', ')}.`);
  const [made] = await db.insert(spendSources).values({ organisationId, name: name.slice(0, 200), mapping, homeLad25: await districtCode(db, district), sample }).returning({ id: spendSources.id });
  return made!.id;
}

export async function importSpendFromCommandLine(db: Db, organisationId: string, options: { source: string; district: string | null; file: string }, actor: Actor): Promise<SpendImportReport> {
  const sourceId = await sourceFor(db, organisationId, options.source, options.file, options.district, false);
  return importSpend(db, sourceId, options.file, path.basename(options.file), actor);
}

/** An invented file of `rows` payments for the district, imported as the source "Sample council payments (sample data)". */
export async function addSampleSpend(db: Db, organisationId: string, options: { district: string; rows: number; seed?: number }, actor: Actor): Promise<SpendImportReport> {
  const lad25 = await districtCode(db, options.district);
  const postcodes = await samplePostcodes(db, lad25);
  const dir = await mkdtemp(path.join(tmpdir(), 'patchwork-sample-spend-'));
  try {
    const file = path.join(dir, `sample-spend-${lad25}.csv`);
    const year = new Date().getUTCFullYear();
    await writeSampleSpendFile(file, { rows: options.rows, suppliers: Math.max(20, Math.round(options.rows / 160)), years: [year - 3, year - 2, year - 1], localPostcodes: postcodes.local, otherPostcodes: postcodes.other, seed: options.seed });
    const sourceId = await sourceFor(db, organisationId, 'Sample council payments (sample data)', file, lad25, true);
    return await importSpend(db, sourceId, file, path.basename(file), actor);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
