/**
 * `npm run bench`: every benchmark, one after another, each on both engines beside its named comparison in the
 * same run, and then a summary of the whole run at the top of docs/PERFORMANCE.md: the machine, how long each
 * bench took, and every target met or missed (read back from the tables the benches wrote), against issue 12's
 * budget of 15 minutes for the lot.
 *
 * The machine is waited for once (a quiet 1-minute load average, as each bench alone would); the benches after
 * the first do not wait again, since the load the previous one left is this run's own. The national data each
 * bench reads is loaded once into var/bench/national and the PostgreSQL database patchwork_bench (several
 * minutes, on a machine that has never run a bench); the summary says whether this run had to load it.
 *
 * Run: npm run bench (PATCHWORK_BENCH_DATABASE_URL, or PATCHWORK_TEST_DATABASE_URL, names the PostgreSQL server;
 * PATCHWORK_BENCH_ENGINES=pglite or =postgres runs one engine; `-- --quick` is a trial: each bench's quick mode
 * where it has one, and docs/PERFORMANCE.md left alone; `-- --only=need,load` runs some of them).
 */
import { spawn } from 'node:child_process';
import { access, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { benchLog, loadAverage, measuredLine, revision, waitForQuiet, type Started } from './support/national.ts';

/** In the order of the issues that set their targets, then scale and load, which read what the others built. */
const benches = ['data-spine', 'need', 'neighbourhoods', 'assets', 'asset-gaps', 'directory-search', 'community-wealth', 'scale', 'load'] as const;
const budgetMinutes = 15;

const log = benchLog('all');
const quick = process.argv.includes('--quick');
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
const chosen = benches.filter((b) => !only || only.includes(b));
const docPath = path.resolve('docs/PERFORMANCE.md');

type Ran = { name: string; seconds: number; exit: number };

function runBench(name: string): Promise<Ran> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.resolve(`bench/${name}.ts`), ...(quick ? ['--quick'] : [])], {
      stdio: 'inherit',
      env: { ...process.env, PATCHWORK_BENCH_QUIET_WAIT: '0', ...(quick ? { PATCHWORK_BENCH_QUICK: '1' } : {}) },
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ name, seconds: Number(process.hrtime.bigint() - started) / 1e9, exit: code ?? 1 }));
  });
}

/** Whether the national data the benches read was already loaded for both engines (else this run loads it). */
async function nationalLoaded(): Promise<string> {
  const pglite = await access(path.resolve('var/bench/national/pglite/PG_VERSION')).then(
    () => true,
    () => false,
  );
  const url = process.env.PATCHWORK_BENCH_DATABASE_URL ?? process.env.PATCHWORK_TEST_DATABASE_URL;
  let postgres: boolean | null = null;
  if (url) {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      postgres = ((await client.query('select 1 from pg_database where datname = $1', [process.env.PATCHWORK_BENCH_NEED_DATABASE ?? 'patchwork_bench'])).rowCount ?? 0) > 0;
    } catch {
      postgres = false;
    } finally {
      await client.end().catch(() => {});
    }
  }
  const loaded = pglite && postgres !== false;
  return loaded ? 'already loaded before this run' : `loaded by this run (${[!pglite && 'PGlite', postgres === false && 'PostgreSQL'].filter(Boolean).join(' and ')}), which adds several minutes`;
}

/** The rows of a bench's tables in docs/PERFORMANCE.md whose last cell says whether its target was met. */
function targetsOf(doc: string, name: string): { met: number; missed: string[] } {
  const block = new RegExp(`<!-- bench:${name}:start -->([\\s\\S]*?)<!-- bench:${name}:end -->`).exec(doc)?.[1] ?? '';
  let met = 0;
  const missed: string[] = [];
  for (const line of block.split('\n')) {
    if (!line.startsWith('|')) continue;
    const cells = line.split('|').slice(1, -1).map((c) => c.trim());
    const last = cells.at(-1);
    if (last === 'yes') met++;
    else if (last === '**no**') missed.push(cells.slice(0, 3).join(', '));
  }
  return { met, missed };
}

const minutes = (s: number) => `${Math.floor(s / 60)} min ${String(Math.round(s % 60)).padStart(2, '0')} s`;

function summary(started: Started, ran: Ran[], total: number, national: string, doc: string): string {
  const lines = [
    measuredLine(started, ['PGlite', 'PostgreSQL'].filter((e) => !process.env.PATCHWORK_BENCH_ENGINES || process.env.PATCHWORK_BENCH_ENGINES.includes(e.toLowerCase())), '`npm run bench`'),
    '',
    `**The whole run took ${minutes(total)}** (target < ${budgetMinutes} min: ${total < budgetMinutes * 60 ? 'met' : `**missed by ${minutes(total - budgetMinutes * 60)}**`}). The national data was ${national}.`,
    '',
    '| bench | took | exit | targets met | targets missed |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const r of ran) {
    const { met, missed } = targetsOf(doc, r.name);
    lines.push(`| \`bench:${r.name}\` | ${minutes(r.seconds)} | ${r.exit} | ${met} | ${missed.length ? missed.map((m) => `**${m}**`).join('; ') : '0'} |`);
  }
  return lines.join('\n');
}

log(`benches: ${chosen.join(', ')}${quick ? ' (quick)' : ''}`);
if (!quick) await waitForQuiet(log);
const started: Started = { date: new Date().toISOString().slice(0, 10), load: loadAverage(), revision: revision() };
const national = await nationalLoaded();
const begun = process.hrtime.bigint();
const ran: Ran[] = [];
for (const name of chosen) {
  log(`bench:${name}`);
  const result = await runBench(name);
  log(`bench:${name} took ${minutes(result.seconds)}${result.exit ? `, exit ${result.exit}` : ''}`);
  ran.push(result);
}
const total = Number(process.hrtime.bigint() - begun) / 1e9;
const doc = await readFile(docPath, 'utf8');
const table = summary(started, ran, total, national, doc);
console.log(table);
if (quick || only) {
  log('a trial or a part: docs/PERFORMANCE.md summary left as it is');
} else {
  const start = '<!-- bench:all:start -->';
  const end = '<!-- bench:all:end -->';
  const block = `${start}\n${table}\n${end}`;
  const next = doc.includes(start)
    ? doc.replace(new RegExp(`${start}[\\s\\S]*${end}`), () => block)
    : doc.replace(/\n## /, () => `\n## The whole run (\`npm run bench\`, issue 12)\n\n${block}\n\n## `);
  await writeFile(docPath, next);
}
if (ran.some((r) => r.exit !== 0)) process.exitCode = 1;
