/**
 * Benchmarks for the national data spine (issue 3), each beside its named comparison in the same run:
 *
 * - importing the IoD2019 edition (File 2 + scores, validated, values replaced, summaries recomputed)
 *   vs a plain COPY of File 2 into a bare table (PostgreSQL), and against the 10 s target (PGlite);
 * - GET /api/v1/editions/{edition}/lads and one LAD summary (server time, warm, via inject) vs a bare
 *   Fastify route answering a constant.
 *
 * Run: npm run bench (PostgreSQL part when PATCHWORK_BENCH_DATABASE_URL or PATCHWORK_TEST_DATABASE_URL
 * is set). Writes the results table into docs/PERFORMANCE.md between the data-spine markers.
 */
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gunzipSync } from 'node:zlib';
import Fastify from 'fastify';
import { parse as parseCsv } from 'csv-parse/sync';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { cliActor } from '../src/platform/audit/audit.ts';
import { openDatabase, type Database } from '../src/platform/db/database.ts';
import { buildApp } from '../src/platform/web/app.ts';
import { loadConfig } from '../src/platform/config/config.ts';
import { bundledDataDir, bundledSteps } from '../src/capabilities/indicators/bundled-data.ts';
import { importIodEdition } from '../src/capabilities/indicators/iod-import.ts';
import { stats, time } from './support/measure.ts';

type Row = { engine: string; what: string; median: number; p95: number; comparison: string; comparisonMedian: number | null; target: string };
const results: Row[] = [];

const file2 = path.join(bundledDataDir, 'iod2019/File_2_-_IoD2019_Domains_of_Deprivation.csv.gz');
const scores = path.join(bundledDataDir, 'uk_composite_imd/UK_IMD_E.csv.gz');

async function prepare(database: Database) {
  await database.migrate();
  // Everything the IoD2019 import depends on: lookups and denominators.
  for (const step of bundledSteps.filter((s) => s.part === 'tables' && !s.id.startsWith('edition.'))) await step.run(database.db, cliActor, { progress: () => {} });
}

async function benchImport(engine: string, database: Database, runs: number, comparison?: () => Promise<number>) {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) samples.push(await time(() => importIodEdition(database.db, 'iod2019', [file2, scores], cliActor)));
  const copies: number[] = [];
  if (comparison) for (let i = 0; i < runs; i++) copies.push(await comparison());
  const s = stats(samples);
  results.push({
    engine,
    what: 'import IoD2019 (File 2 + scores; validate, replace, summarise)',
    ...s,
    comparison: comparison ? 'plain COPY of File 2 into a bare table' : '10 s target',
    comparisonMedian: comparison ? stats(copies).median : 10_000,
    target: comparison ? 'within 2× of COPY' : '< 10 s',
  });
}

async function benchApi(engine: string, database: Database) {
  const app = await buildApp({ config: loadConfig({ PATCHWORK_DATA_DIR: 'var/bench', LOG_LEVEL: 'silent' }), database, logger: false });
  await app.ready();
  const bare = Fastify();
  bare.get('/bare', async () => ({ ok: true }));
  await bare.ready();
  const measure = async (inject: () => Promise<unknown>, n = 200) => {
    for (let i = 0; i < 20; i++) await inject(); // warm
    const samples: number[] = [];
    for (let i = 0; i < n; i++) samples.push(await time(inject));
    return stats(samples);
  };
  const bareStats = await measure(() => bare.inject('/bare'));
  const lads = await measure(() => app.inject('/api/v1/editions/iod2019/lads'), 100);
  results.push({ engine, what: 'GET /api/v1/editions/iod2019/lads (317 LADs)', ...lads, comparison: 'bare Fastify route', comparisonMedian: bareStats.median, target: 'p95 < 150 ms' });
  const one = await measure(() => app.inject('/api/v1/areas/E08000035?edition=iod2019'));
  results.push({ engine, what: 'GET /api/v1/areas/E08000035 (one LAD summary)', ...one, comparison: 'bare Fastify route', comparisonMedian: bareStats.median, target: 'p95 < 20 ms' });
  const ward = await measure(() => app.inject('/api/v1/areas/E05009862?edition=iod2019'));
  results.push({ engine, what: 'GET /api/v1/areas/E05009862 (one ward summary)', ...ward, comparison: 'bare Fastify route', comparisonMedian: bareStats.median, target: 'p95 < 20 ms' });
  await app.close();
  await bare.close();
}

const ms = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(v < 10 ? 2 : 0)} ms`);

async function main() {
  // PGlite
  const lite = await openDatabase({ engine: 'pglite' });
  await prepare(lite);
  await benchImport('PGlite', lite, 3);
  await benchApi('PGlite', lite);
  await lite.close();

  const url = process.env.PATCHWORK_BENCH_DATABASE_URL ?? process.env.PATCHWORK_TEST_DATABASE_URL;
  if (url) {
    const name = `patchwork_bench_${Date.now()}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`create database ${name}`);
    const target = new URL(url);
    target.pathname = `/${name}`;
    const database = await openDatabase({ engine: 'postgres', url: target.toString() });
    await prepare(database);
    const csv = gunzipSync(await readFile(file2));
    const client = new pg.Client({ connectionString: target.toString() });
    await client.connect();
    const header = (parseCsv(csv.subarray(0, csv.indexOf(10)), { bom: true }) as string[][])[0]!;
    await client.query(`create table bench_copy (${header.map((_, i) => `c${i} text`).join(', ')})`);
    const copy = async () => {
      await client.query('truncate bench_copy');
      return time(() => pipeline(Readable.from([csv]), client.query(copyFrom("copy bench_copy from stdin with (format csv, header true, encoding 'UTF8')"))));
    };
    await benchImport('PostgreSQL', database, 3, copy);
    await benchApi('PostgreSQL', database);
    await client.end();
    await database.close();
    await admin.query(`drop database ${name} with (force)`);
    await admin.end();
  } else {
    console.warn('PostgreSQL part skipped: set PATCHWORK_BENCH_DATABASE_URL (or PATCHWORK_TEST_DATABASE_URL)');
  }

  const table = [
    `Measured ${new Date().toISOString().slice(0, 10)} on ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}; \`npm run bench\`.`,
    '',
    '| engine | what | median | p95 | comparison (median) | ratio | target |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...results.map((r) => `| ${r.engine} | ${r.what} | ${ms(r.median)} | ${ms(r.p95)} | ${r.comparison} (${r.comparisonMedian === null ? '–' : ms(r.comparisonMedian)}) | ${r.comparisonMedian ? `${(r.median / r.comparisonMedian).toFixed(1)}×` : '–'} | ${r.target} |`),
  ].join('\n');
  console.log(table);
  const doc = path.resolve('docs/PERFORMANCE.md');
  const text = await readFile(doc, 'utf8');
  const start = '<!-- bench:data-spine:start -->';
  const end = '<!-- bench:data-spine:end -->';
  const block = `${start}\n${table}\n${end}`;
  await writeFile(doc, text.includes(start) ? text.replace(new RegExp(`${start}[\\s\\S]*${end}`), block) : `${text.trimEnd()}\n\n## Data spine (issue 3)\n\n${block}\n`);
}

await main();
