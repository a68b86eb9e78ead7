/**
 * Benchmark at realistic volumes (issue 12): the pages that read the most rows, on a national database with
 * 100,000 directory records, 50,000 supported people and a participatory-budgeting round of 100,000 votes,
 * measured on both engines. The issue sets no figure for these beyond "realistic volumes": a page slower than 1 s
 * is named as a problem in the notes.
 *
 * Data: the full bundled national data (through bench/support/national.ts: a throw-away copy of
 * var/bench/national/pglite and of the PostgreSQL database patchwork_bench, loaded the first time), to which
 * bench/support/dataset.ts adds the sample records (every one labelled sample data; how long each part takes, in
 * rows a second, is in the notes).
 *
 * Measured by app.inject after warming up, server time (page cache emptied before each request), beside a bare
 * Fastify route served the same way:
 * 1. the partnership's supporting-people insight page over every supported person, and its CSV;
 * 2. the round's results page (re-counted from the 100,000 ballots on every view) and countAndPublish itself (the
 *    round put back to voting, untimed, before each count);
 * 3. directory search over 100,000 records: words alone, and a category near a postcode;
 * 4. the caseload page of a coordinator with many people (every name decrypted).
 *
 * Run: npm run bench:scale (PATCHWORK_BENCH_ENGINES=pglite or =postgres runs one engine only; `-- --quick` makes a
 * tenth of the records, takes a few samples, does not wait for a quiet machine and writes nothing). Writes its
 * table into docs/PERFORMANCE.md between the bench:scale markers.
 */
import { sql } from 'drizzle-orm';
import Fastify, { type FastifyInstance } from 'fastify';
import { cliActor } from '../src/platform/audit/audit.ts';
import { loadConfig } from '../src/platform/config/config.ts';
import { queryRows, type Database } from '../src/platform/db/database.ts';
import { buildApp } from '../src/platform/web/app.ts';
import { refreshStatistics } from '../src/platform/db/statistics.ts';
import { prng } from '../src/capabilities/community-assets/sample.ts';
import { countAndPublish } from '../src/capabilities/funds/voting.ts';
import { getRound } from '../src/capabilities/funds/rounds.ts';
import { generateDataset, supportDistricts, type DatasetSizes } from './support/dataset.ts';
import { ms, stats, time, type Stats } from './support/measure.ts';
import { benchLog, loadAverage, nationalSteps, runTableBench, type Row } from './support/national.ts';

const quick = process.argv.includes('--quick') || process.env.PATCHWORK_BENCH_QUICK === '1';
const sizes: DatasetSizes = quick ? { services: 10_000, people: 5_000, caseload: 200, votes: 10_000 } : { services: 100_000, people: 50_000, caseload: 1_000, votes: 100_000 };
const runs = quick ? { n: 5, warm: 1 } : { n: 20, warm: 3 };
/** A page slower than this is named as a problem. */
const slow = 1_000;

const log = benchLog('scale');
const rows: Row[] = [];
const notes: string[] = [];
const thousands = (n: number) => Math.round(n).toLocaleString('en-GB');

const words = ['lunch club', 'football', 'food bank', 'library', 'chair yoga', 'advice', 'choir', 'toddler group', 'walk', 'community centre', 'job club', 'café'];
const leaves = ['community-space', 'library', 'park', 'group-club', 'physical-activity', 'social-group', 'older-people', 'children-families', 'mental-wellbeing', 'advice', 'food-support'];

/** Warm-up runs, then `runs.n` timed ones; `before` (untimed) runs ahead of each. */
async function repeat(f: (i: number) => Promise<unknown>, before?: () => Promise<unknown>): Promise<Stats> {
  const samples: number[] = [];
  for (let i = 0; i < runs.warm + runs.n; i++) {
    await before?.();
    const t = await time(() => f(i));
    if (i >= runs.warm) samples.push(t);
  }
  return stats(samples);
}

async function benchEngine(engine: string, database: Database) {
  const db = database.db;
  notes.push(`${engine}: load average at the start of its part ${loadAverage()}.`);
  // As bench/neighbourhoods.ts explains: the loaded copy's statistics may predate the derived 2025 ward lookup.
  await db.execute(sql`analyze areas, area_lookups, indicator_values, postcodes`);
  const app: FastifyInstance = await buildApp({ config: loadConfig({ PATCHWORK_DATA_DIR: 'var/bench', LOG_LEVEL: 'silent' }), database, logger: false });
  const bare = Fastify();
  bare.get('/bare', async () => ({ ok: true }));
  try {
    await app.ready();
    await bare.ready();
    const started = Date.now();
    const data = await generateDataset(database, app.keyring, sizes, (m) => log(`${engine}: ${m}`));
    const generated = Date.now() - started;
    const c = data.counts;
    notes.push(
      `${engine}: generated in ${ms(generated)}: ${thousands(c.services)} directory records; ${thousands(c.people)} supported people with ${thousands(c.introductions)} introductions, ${thousands(c.connections)} connections and ${thousands(c.wellbeing)} wellbeing measures in ${supportDistricts.map((d) => d.name).join(', ')}; a round of ${c.proposals} shortlisted proposals with ${thousands(c.codes)} codes and ${thousands(c.ballots)} ballots. ` +
        `Already loaded: every 2021 LSOA of England and ${thousands(c.indicatorValuesBefore)} indicator values (${thousands(c.iodValues)} of them the IoD editions'); ${c.indicatorValues > c.indicatorValuesBefore ? `topped up with local indicators to ${thousands(c.indicatorValues)}` : 'no top-up needed'}.`,
    );
    // What the server does in its first minute (platform/db/statistics.ts), done now rather than waited for.
    // A session reports its table counts when idle at most once a second: let a second pass first.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await db.execute(sql`select 1`);
    const analysed = await refreshStatistics(db);
    notes.push(`${engine}: after generating, the server's statistics refresh analysed ${analysed.length} tables (${analysed.join(', ')}).`);
    notes.push(`${engine}: generation, part by part: ${data.timings.map((t) => `${t.part}: ${thousands(t.rows)} rows in ${ms(t.ms)} (${thousands(t.rows / (t.ms / 1000))} rows/s)`).join('; ')}.`);

    const bareStats = await repeat(() => bare.inject('/bare'));
    const comparison = 'bare Fastify route';
    const page = async (url: string, cookie?: string) => {
      app.pageCache.clear();
      const response = await app.inject({ url, headers: cookie ? { cookie } : {} });
      if (response.statusCode !== 200) throw new Error(`${url} answered ${response.statusCode}: ${response.body.slice(0, 300)}`);
      return response;
    };
    const add = (what: string, s: Stats) => rows.push({ engine, what, s, comparison, comparisonMedian: bareStats.median, target: '–', met: null });

    log(`${engine}: the partnership's insight page`);
    const insight = `/partnerships/${data.partnershipId}/support`;
    const shown = await page(insight, data.viewerCookie);
    if (!shown.body.includes(thousands(c.introductions))) notes.push(`${engine}: **the insight page does not show the ${thousands(c.introductions)} introductions**.`);
    add(`GET the partnership's supporting-people insight page (${thousands(c.people)} people, ${thousands(c.introductions)} introductions, ${thousands(c.connections)} connections, ${thousands(c.wellbeing)} measures; uncached)`, await repeat(() => page(insight, data.viewerCookie)));
    add('GET its CSV (the same suppressed cells)', await repeat(() => page(`${insight}.csv`, data.viewerCookie)));

    log(`${engine}: the round's results and the count`);
    add(`GET the round's results page (re-counted from ${thousands(c.ballots)} ballots)`, await repeat(() => page(`/budgets/${data.roundId}/results`)));
    const reopen = async () => {
      await db.execute(sql`update fund_rounds set phase = 'voting', counted_at = null where id = ${data.roundId}`);
      await db.execute(sql`update proposals set status = 'shortlisted' where round_id = ${data.roundId} and status in ('funded', 'not-funded')`);
    };
    add(`countAndPublish over ${thousands(c.ballots)} ballots (read, check and count every ballot, publish; the round reopened untimed before each)`, await repeat(async () => {
      const counted = await countAndPublish(db, (await getRound(db, data.roundId))!, data.organisationId, cliActor);
      if (!counted.ok) throw new Error(counted.message);
    }, reopen));

    log(`${engine}: directory search`);
    const postcodes = (
      await queryRows<{ display: string }>(
        db,
        sql`select display from postcodes where lad in (${sql.join(supportDistricts.map((d) => sql`${d.code}`), sql`, `)}) and terminated is null and location is not null order by postcode`,
      )
    ).map((r) => r.display);
    const random = prng(12);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    // The first page with a map builds the ward outlines' tile index for its version: done once, untimed.
    await page(`/directory?${new URLSearchParams({ where: postcodes[0]!, distance: '1600' })}`);
    add(`GET /directory?q=… (words alone, over ${thousands(c.services)} records)`, await repeat(() => page(`/directory?${new URLSearchParams({ q: pick(words) })}`)));
    add('GET /directory?category=…&where=… (a category within 1.6 km of a postcode)', await repeat(() => page(`/directory?${new URLSearchParams({ category: pick(leaves), where: pick(postcodes), distance: '1600' })}`)));

    log(`${engine}: a caseload`);
    add(`GET /support: the caseload of a coordinator with ${thousands(data.coordinatorPeople)} people (every name decrypted, sorted)`, await repeat(() => page('/support', data.coordinatorCookie)));

    const problems = rows.filter((r) => r.engine === engine && r.s.median > slow);
    notes.push(problems.length ? `${engine}: **slower than 1 s (median)**: ${problems.map((r) => `${r.what.split(' (')[0]} (${ms(r.s.median)})`).join('; ')}.` : `${engine}: every page answered in under 1 s (median).`);
  } finally {
    await bare.close();
    await app.close();
  }
}

await runTableBench({
  name: 'scale',
  heading: '## Scale (issue 12)',
  script: import.meta.url,
  // Supported people and directory searches near a postcode need the bundled postcodes.
  neededSteps: [...nationalSteps, 'postcodes.nspl2021'],
  names: { scratch: 'run-scale', results: 'results-scale', copy: 'scale' },
  quick,
  measure: benchEngine,
  rows,
  notes,
});
