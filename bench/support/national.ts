/**
 * The harness of the benchmarks over the full bundled national data (bench/need.ts, bench/neighbourhoods.ts):
 * one loaded PGlite directory and one loaded PostgreSQL database serve them all, so the several minutes of
 * loading are paid once, and every run works on a throw-away copy, so none changes what the next one reads.
 *
 * PGlite: the first of PATCHWORK_BENCH_PGLITE_DIR, var/tmp/fresh and var/bench/national/pglite that exists,
 * else the last loaded now. PostgreSQL (when PATCHWORK_BENCH_DATABASE_URL or PATCHWORK_TEST_DATABASE_URL
 * names a server): the database PATCHWORK_BENCH_NEED_DATABASE (default patchwork_bench), created and loaded
 * once. PATCHWORK_BENCH_ENGINES=pglite or =postgres runs one engine only; PATCHWORK_BENCH_QUIET_WAIT bounds
 * the wait for a quiet machine.
 */
import { execFileSync, spawn } from 'node:child_process';
import { cp, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { cliActor } from '../../src/platform/audit/audit.ts';
import { openDatabase, queryRows, type Database, type Db } from '../../src/platform/db/database.ts';
import { loadBundledData } from '../../src/capabilities/indicators/bundled-data.ts';
import { ms, type Stats } from './measure.ts';

export type EngineName = 'PGlite' | 'PostgreSQL';
export type Row = { engine: string; what: string; s: Stats; comparison: string; comparisonMedian: number | null; target: string; met: boolean | null };
export type Started = { date: string; load: string; revision: string };

export type NationalBench<Results> = {
  /** As in `npm run bench:<name>`: it names the log lines and the markers in docs/PERFORMANCE.md. */
  name: string;
  /** The section docs/PERFORMANCE.md is given when it has no markers for this bench yet. */
  heading: string;
  /** The bench's own module (import.meta.url): each engine's child runs it again. */
  script: string;
  /** The bundled steps whose data the benchmark reads (nationalSteps and its own): a copy lacking one is refused. */
  neededSteps: readonly string[];
  /**
   * Names for the run's throw-away things under var/bench (`<scratch>-<pid>-<ms>`, `<results>-<engine>-<pid>.json`)
   * and on the server (`<database>_<copy>_<pid>`): a bench of its own each, so a leftover says which bench left it.
   */
  names: { scratch: string; results: string; copy: string };
  /** A trial run: no waiting for a quiet machine, and docs/PERFORMANCE.md is left alone. */
  quick?: boolean;
  /** Everything measured on one engine, in its child process, on a copy that is migrated and checked. */
  measure(engine: EngineName, database: Database): Promise<void>;
  /** What a child hands back (as JSON), and its parent takes in. */
  results(): Results;
  merge(results: Results): void;
  report(started: Started, engines: string[]): string;
};

/**
 * The bundled steps every national benchmark reads (lookups, populations, the IoD editions, boundaries); a
 * bench adds its own. Named rather than "every bundled step", so a data directory or database loaded before a
 * new step was added to the bundle is still used.
 */
export const nationalSteps = [
  'lookup.lsoa11-ward19-lad19',
  'lookup.lsoa21-ward24-lad24',
  'lookup.lsoa11-lsoa21',
  'population.iod2019',
  'population.mid2020',
  'population.lsoa21',
  'edition.iod2019',
  'edition.iod2025',
  'boundaries.ward25',
  'boundaries.lsoa21',
  'boundaries.lsoa11',
  'boundaries.derived',
];

export const benchLog = (name: string) => (message: string) => console.error(`[bench:${name} ${new Date().toISOString().slice(11, 19)}] ${message}`);
export const loadAverage = () => os.loadavg().map((l) => l.toFixed(2)).join(', ');

// ------------------------------------------------------------------------------------------------- data

async function exists(p: string) {
  return stat(p).then(
    () => true,
    () => false,
  );
}

/** Whether the source holds every needed step is checked on the copy the run uses, after its migration. */
async function pgliteSource(log: (message: string) => void): Promise<string> {
  const candidates = [process.env.PATCHWORK_BENCH_PGLITE_DIR, 'var/tmp/fresh', 'var/bench/national/pglite'].filter((c): c is string => !!c).map((c) => path.resolve(c));
  for (const candidate of candidates) {
    for (const dir of [candidate, path.join(candidate, 'pglite')]) if (await exists(path.join(dir, 'PG_VERSION'))) return dir;
  }
  const dir = path.resolve('var/bench/national/pglite');
  log(`loading the bundled national data into ${dir} (first run only: several minutes)`);
  const database = await openDatabase({ engine: 'pglite', dataDir: dir });
  await database.migrate();
  await loadBundledData(database.db, cliActor, (done, total, label) => log(`${done}/${total} ${label}`), ['tables', 'boundaries']);
  await database.close();
  return dir;
}

async function missingSteps(db: Db, neededSteps: readonly string[]): Promise<string[]> {
  const done = new Set((await queryRows<{ step: string }>(db, sql`select step from bundled_data_steps`)).map((r) => r.step));
  return neededSteps.filter((step) => !done.has(step));
}

const databaseUrl = (serverUrl: string, name: string) => {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
};

/**
 * A copy by CREATE DATABASE … TEMPLATE (a few seconds), so a run neither changes the bench database (the
 * benchmarks write organisations, indexes and neighbourhoods) nor applies migrations to it. The bench database
 * is loaded the first time, or completed when it lacks a step this benchmark reads.
 */
async function openPostgres(serverUrl: string, bench: NationalBench<unknown>, log: (message: string) => void): Promise<Database & { drop(): Promise<void> }> {
  const base = process.env.PATCHWORK_BENCH_NEED_DATABASE ?? 'patchwork_bench';
  if (!/^[a-z_][a-z0-9_]*$/.test(base)) throw new Error(`PATCHWORK_BENCH_NEED_DATABASE must be a plain database name, not ${base}`);
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('select 1 from pg_database where datname = $1', [base]);
    if (!rowCount) await admin.query(`create database ${base}`);
    const loaded = await openDatabase({ engine: 'postgres', url: databaseUrl(serverUrl, base) });
    try {
      const missing = rowCount ? await missingSteps(loaded.db, bench.neededSteps).catch(() => bench.neededSteps) : bench.neededSteps;
      if (missing.length) {
        log(`loading the bundled national data into PostgreSQL database ${base} (once: a few minutes)`);
        await loaded.migrate();
        await loadBundledData(loaded.db, cliActor, (done, total, label) => log(`${done}/${total} ${label}`), ['tables', 'boundaries']);
      }
    } finally {
      await loaded.close();
    }
    const copy = `${base}_${bench.names.copy}_${process.pid}`;
    await admin.query(`drop database if exists ${copy}`);
    await admin.query(`create database ${copy} template ${base} strategy file_copy`).catch(() => admin.query(`create database ${copy} template ${base}`));
    const database = await openDatabase({ engine: 'postgres', url: databaseUrl(serverUrl, copy) });
    return Object.assign(database, {
      async drop() {
        await database.close();
        const client = new pg.Client({ connectionString: serverUrl });
        await client.connect();
        await client.query(`drop database if exists ${copy} with (force)`);
        await client.end();
      },
    });
  } finally {
    await admin.end();
  }
}

// ------------------------------------------------------------------------------------------------- runs

async function runPglite(bench: NationalBench<unknown>, log: (message: string) => void) {
  const source = await pgliteSource(log);
  log(`PGlite: copying ${source}`);
  const scratch = path.resolve(`var/bench/${bench.names.scratch}-${process.pid}-${Date.now()}`);
  await mkdir(path.dirname(scratch), { recursive: true });
  await cp(source, scratch, { recursive: true });
  try {
    const lite = await openDatabase({ engine: 'pglite', dataDir: scratch });
    try {
      await lite.migrate();
      const missing = await missingSteps(lite.db, bench.neededSteps);
      if (missing.length) {
        throw new Error(`${source} lacks ${missing.join(', ')}; load it with PATCHWORK_DATA_DIR=… npx patchwork import bundled, or remove it to have the bench load var/bench/national`);
      }
      await bench.measure('PGlite', lite);
    } finally {
      await lite.close();
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function runPostgres(url: string, bench: NationalBench<unknown>, log: (message: string) => void) {
  const database = await openPostgres(url, bench, log);
  try {
    await database.migrate();
    const missing = await missingSteps(database.db, bench.neededSteps);
    if (missing.length) throw new Error(`the PostgreSQL bench database lacks ${missing.join(', ')}`);
    await bench.measure('PostgreSQL', database);
  } finally {
    await database.drop();
  }
}

/**
 * Each engine is measured in a process of its own (the bench again, with PATCHWORK_BENCH_CHILD set and the
 * same arguments), so neither inherits the other's heap: the national tile indexes alone are hundreds of
 * megabytes, and a bigger heap means longer garbage-collection pauses in the other engine's figures.
 */
function runChild<Results>(bench: NationalBench<Results>, engine: 'pglite' | 'postgres'): Promise<Results> {
  const out = path.resolve(`var/bench/${bench.names.results}-${engine}-${process.pid}.json`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(bench.script), ...process.argv.slice(2)], {
      stdio: 'inherit',
      env: { ...process.env, PATCHWORK_BENCH_CHILD: engine, PATCHWORK_BENCH_CHILD_OUT: out },
    });
    child.on('error', reject);
    child.on('close', async (code) => {
      if (code !== 0) return reject(new Error(`the ${engine} part exited ${code}`));
      try {
        resolve(JSON.parse(await readFile(out, 'utf8')) as Results);
        await rm(out, { force: true });
      } catch (error) {
        reject(error);
      }
    });
  });
}

/**
 * Other work on this 2-core machine skews every figure: wait (up to PATCHWORK_BENCH_QUIET_WAIT seconds,
 * default 180) for the 1-minute load average to fall below 1.5 before starting. The load is recorded either way.
 */
export async function waitForQuiet(log: (message: string) => void) {
  const deadline = Date.now() + Number(process.env.PATCHWORK_BENCH_QUIET_WAIT ?? 180) * 1000;
  while (os.loadavg()[0]! >= 1.5 && Date.now() < deadline) {
    log(`load average ${loadAverage()}: waiting for the machine to be quieter`);
    await new Promise((resolve) => setTimeout(resolve, 15_000));
  }
}

/** The commit measured, and whether the work tree had changes under src/ besides. */
export function revision(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no', '--', 'src'], { encoding: 'utf8' }).trim();
    return `commit ${head}${dirty ? ' with uncommitted changes under src/' : ''}`;
  } catch {
    return 'commit unknown';
  }
}

/** The whole run: as the parent, each engine's child in turn, then the report; as a child, its one engine. */
/** What most benches gather: rows of the results table and notes under it. */
export type TableResults = { rows: Row[]; notes: string[] };

/**
 * A bench whose report is one table of rows with notes under it: the children's rows and notes are gathered
 * into `rows` and `notes`, and the report opens with the machine line naming `npm run bench:<name>`.
 */
export function runTableBench(bench: Omit<NationalBench<TableResults>, 'results' | 'merge' | 'report'> & TableResults): Promise<void> {
  const { rows, notes, ...rest } = bench;
  return runNationalBench<TableResults>({
    ...rest,
    results: () => ({ rows, notes }),
    merge(results) {
      rows.push(...results.rows);
      notes.push(...results.notes);
    },
    report: (started, engines) => [measuredLine(started, engines, `\`npm run bench:${bench.name}\`${bench.quick ? ' -- --quick' : ''}`), '', ...rowsTable(rows), ...notesList(notes)].join('\n'),
  });
}

export async function runNationalBench<Results>(bench: NationalBench<Results>) {
  const log = benchLog(bench.name);
  const url = process.env.PATCHWORK_BENCH_DATABASE_URL ?? process.env.PATCHWORK_TEST_DATABASE_URL;
  const child = process.env.PATCHWORK_BENCH_CHILD;
  if (child) {
    if (child === 'pglite') await runPglite(bench, log);
    else await runPostgres(url!, bench, log);
    await writeFile(process.env.PATCHWORK_BENCH_CHILD_OUT!, JSON.stringify(bench.results()));
    return;
  }

  await mkdir('var/bench', { recursive: true });
  if (!bench.quick) await waitForQuiet(log);
  const started: Started = { date: new Date().toISOString().slice(0, 10), load: loadAverage(), revision: revision() };
  log(`load average ${started.load}`);
  const engines: string[] = [];
  const only = process.env.PATCHWORK_BENCH_ENGINES?.split(',') ?? ['pglite', 'postgres'];
  const parts: ['pglite' | 'postgres', EngineName][] = [];
  if (only.includes('pglite')) parts.push(['pglite', 'PGlite']);
  if (url && only.includes('postgres')) parts.push(['postgres', 'PostgreSQL']);
  else console.warn('PostgreSQL part skipped: set PATCHWORK_BENCH_DATABASE_URL (or PATCHWORK_TEST_DATABASE_URL)');
  for (const [engine, name] of parts) {
    bench.merge(await runChild(bench, engine));
    engines.push(name);
  }

  const table = bench.report(started, engines);
  console.log(table);
  if (bench.quick) {
    log('--quick: docs/PERFORMANCE.md left as it is');
    return;
  }
  const doc = path.resolve('docs/PERFORMANCE.md');
  const text = await readFile(doc, 'utf8');
  const start = `<!-- bench:${bench.name}:start -->`;
  const end = `<!-- bench:${bench.name}:end -->`;
  const block = `${start}\n${table}\n${end}`;
  await writeFile(doc, text.includes(start) ? text.replace(new RegExp(`${start}[\\s\\S]*${end}`), () => block) : `${text.trimEnd()}\n\n${bench.heading}\n\n${block}\n`);
}

// ------------------------------------------------------------------------------------------------ report

export const yesNo = (met: boolean | null) => (met === null ? '–' : met ? 'yes' : '**no**');

/** The report's first line: the machine, the commit and how loaded the machine was, which the figures depend on. */
export function measuredLine(started: Started, engines: string[], command: string): string {
  const cpu = os.cpus();
  return `Measured ${started.date} on ${cpu.length} × ${cpu[0]?.model.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${started.revision}; ${command}; engines: ${engines.join(', ')}. Load average (1, 5, 15 min) at the start ${started.load}, at the end ${loadAverage()}.`;
}

export function rowsTable(rows: Row[]): string[] {
  return [
    '| engine | what | median | p95 | n | comparison (median) | ratio | target | met |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.engine} | ${r.what} | ${ms(r.s.median)} | ${ms(r.s.p95)} | ${r.s.n} | ${r.comparison}${r.comparisonMedian === null ? '' : ` (${ms(r.comparisonMedian)})`} | ${r.comparisonMedian ? `${(r.s.median / r.comparisonMedian).toFixed(r.s.median / r.comparisonMedian < 10 ? 2 : 0)}×` : '–'} | ${r.target} | ${yesNo(r.met)} |`,
    ),
  ];
}

export const notesList = (notes: string[]): string[] => (notes.length ? ['', ...notes.map((n) => `- ${n}`)] : []);
