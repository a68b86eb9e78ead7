/**
 * Load (issue 12): the real server on a loopback socket, asked by autocannon (in a process of its own) at 10,
 * 50 and 200 connections for a realistic mix of requests, beside a bare Fastify "hello" route served the same
 * way at the same connections in the same run.
 *
 * Two mixes, each connection walking its paths in turn:
 * - **Visitors not signed in**: the home page, the list of areas, a district's and a ward's need profile, two
 *   directory searches, two vector tiles, the API's list of districts and the style sheet. Pages are kept in
 *   the page cache (as they are for everyone not signed in), tiles in the tile cache. Target (issue 12): no
 *   errors and p99 under 250 ms at 200 connections.
 * - **Signed-in members**: their organisation's page, their account, a need profile and a directory search,
 *   each made afresh for them (no page cache for signed-in people). Reported, no target.
 *
 * Data: the full bundled national data (bench/support/national.ts: a throw-away copy per engine, each engine in
 * a child process of its own) and 2,000 labelled sample services in Wigan.
 *
 * Run: npm run bench:load (PATCHWORK_BENCH_ENGINES=pglite or =postgres runs one engine only; `-- --quick`
 * runs 3 s at each level, does not wait for a quiet machine and writes nothing). Writes its table into
 * docs/PERFORMANCE.md between the bench:load markers.
 */
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import Fastify, { type FastifyInstance } from 'fastify';
import { cliActor } from '../src/platform/audit/audit.ts';
import { memberships, organisations } from '../src/platform/auth/schema.ts';
import { loadConfig } from '../src/platform/config/config.ts';
import { queryRows, type Database, type Db } from '../src/platform/db/database.ts';
import { buildApp } from '../src/platform/web/app.ts';
import { createUser } from '../src/capabilities/accounts/service.ts';
import { findEdition } from '../src/capabilities/indicators/service.ts';
import { generateSampleServices } from '../src/capabilities/community-assets/sample.ts';
import { autocannon, browserHeaders, type Cannon } from './support/cannon.ts';
import { ms, stats, time, type Stats } from './support/measure.ts';
import { benchLog, loadAverage, measuredLine, nationalSteps, notesList, runNationalBench, yesNo, type Started } from './support/national.ts';

const log = benchLog('load');
const quick = process.argv.includes('--quick') || process.env.PATCHWORK_BENCH_QUICK === '1';
const seconds = quick ? 3 : 10;
const warmSeconds = 3;
const levels = [10, 50, 200] as const;
const p99Target = 250;
const wigan = 'E08000010';
const slug = 'bench-load';
const password = 'bench load password, long enough';

type PathRow = { engine: string; mix: string; path: string; s: Stats; bytes: number };
const paths: PathRow[] = [];
type LoadRow = { engine: string; mix: string; connections: number; rps: number; p50: number; p99: number; max: number; errors: number; timeouts: number; non2xx: number; bareRps: number | null; target: string; met: boolean | null };
const rows: LoadRow[] = [];
const mixes: Record<string, string[]> = {};
const notes: string[] = [];

/** The slippy-map tile holding a point, as a map asks for it. */
function tileOf(lon: number, lat: number, z: number): string {
  const n = 2 ** z;
  const rad = (lat * Math.PI) / 180;
  const x = Math.floor(((lon + 180) / 360) * n);
  const y = Math.floor(((1 - Math.log(Math.tan(rad) + 1 / Math.cos(rad)) / Math.PI) / 2) * n);
  return `${z}/${x}/${y}`;
}

/** The ward of Wigan with the most LSOAs in IoD2025 (its heaviest ward profile). */
async function wardOf(db: Db): Promise<string> {
  const edition = await findEdition(db, 'iod2025');
  if (!edition) throw new Error('IoD2025 is not loaded');
  const [ward] = await queryRows<{ code: string }>(
    db,
    sql`select w.to_code as code from area_lookups d
        join area_lookups w on w.from_vintage = d.from_vintage and w.from_code = d.from_code and w.to_vintage = ${edition.wardVintage}
        where d.from_vintage = ${edition.lsoaVintage} and d.to_vintage = ${edition.ladVintage} and d.to_code = ${wigan}
        group by w.to_code order by count(*) desc, w.to_code limit 1`,
  );
  if (!ward) throw new Error(`no 2025 wards of ${wigan} in the loaded data`);
  return ward.code;
}

/** Signs in as a browser does (the sign-in page's CSRF token, then the form) and returns the cookies to send. */
async function signIn(app: FastifyInstance, email: string): Promise<string> {
  const page = await app.inject('/sign-in');
  const csrf = page.cookies.find((c) => c.name === 'pw_csrf')!;
  const token = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1];
  if (!token) throw new Error('no CSRF token on the sign-in page');
  const response = await app.inject({
    method: 'POST',
    url: '/sign-in',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `pw_csrf=${csrf.value}` },
    payload: new URLSearchParams({ _csrf: token, email, password }).toString(),
  });
  const session = response.cookies.find((c) => c.name === 'pw_session');
  if (!session) throw new Error(`signing in answered ${response.statusCode} without a session`);
  return `pw_session=${session.value}; pw_csrf=${csrf.value}`;
}

async function setUp(db: Db): Promise<{ organisationId: string; email: string }> {
  await db.delete(organisations).where(sql`${organisations.slug} = ${slug}`);
  const [org] = await db.insert(organisations).values({ slug, name: 'Load Test Partnership (sample data)', kind: 'council' }).returning({ id: organisations.id });
  const email = `load-${process.pid}@example.org`;
  const created = await createUser(db, { email, name: 'Load Tester', password, isSiteAdmin: false }, cliActor);
  if (!created.ok) throw new Error(created.message);
  await db.insert(memberships).values({ userId: created.value.id, organisationId: org!.id, role: 'member' });
  await generateSampleServices(db, { ownerOrganisationId: org!.id, count: 2_000, ladCodes: [wigan], seed: 12 }, cliActor);
  return { organisationId: org!.id, email };
}

/** Every path of a mix must answer 200 before it is measured, or the figures would be of error pages. */
async function check(app: FastifyInstance, paths: string[], cookie?: string) {
  for (const url of paths) {
    const response = await app.inject({ url, headers: cookie ? { cookie } : {} });
    if (response.statusCode !== 200) throw new Error(`${url} answered ${response.statusCode}${cookie ? ' (signed in)' : ''}`);
  }
}

const row = (engine: string, mix: string, connections: number, result: Cannon, bareRps: number | null, target = '–', met: boolean | null = null): LoadRow => ({
  engine,
  mix,
  connections,
  rps: result.requests.average,
  p50: result.latency.p50,
  p99: result.latency.p99,
  max: result.latency.max,
  errors: result.errors,
  timeouts: result.timeouts,
  non2xx: result.non2xx,
  bareRps,
  target,
  met,
});

async function measure(engine: string, database: Database) {
  const db = database.db;
  log(`${engine}: sample services and a signed-in member`);
  const { email } = await setUp(db);
  const ward = await wardOf(db);
  const app = await buildApp({ config: loadConfig({ PATCHWORK_DATA_DIR: 'var/bench', LOG_LEVEL: 'silent' }), database, logger: false });
  const bare = Fastify();
  bare.get('/hello', async () => 'hello');
  try {
    await app.listen({ port: 0, host: '127.0.0.1' });
    await bare.listen({ port: 0, host: '127.0.0.1' });
    const origin = (server: FastifyInstance) => `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
    const home = await app.inject('/');
    const styles = /<link[^>]+href="(\/assets\/[^"]+\.css)"/.exec(home.body)?.[1];
    if (!styles) throw new Error('no style sheet linked from the home page');
    const visitors = [
      '/',
      '/areas',
      `/areas/${wigan}?edition=iod2025`,
      `/areas/${ward}?edition=iod2025`,
      '/directory?q=advice',
      '/directory?where=WN1+1AA',
      `/tiles/iod2025.imd/${tileOf(-2.63, 53.54, 10)}.mvt`,
      `/tiles/iod2025.imd/${tileOf(-2.63, 53.54, 13)}.mvt`,
      '/api/v1/editions/iod2025/lads',
      styles,
    ];
    const cookie = await signIn(app, email);
    const members = [`/organisations/${slug}`, '/account', `/areas/${wigan}?edition=iod2025`, '/directory?q=advice'];
    await check(app, visitors);
    await check(app, members, cookie);
    // Each path's own server time (app.inject, no socket), to see which of a mix's paths cost most.
    for (const [mix, list, headers] of [['Visitors not signed in', visitors, browserHeaders], ['Signed-in members', members, { ...browserHeaders, cookie }]] as const) {
      for (const url of list) {
        let bytes = 0;
        const s = await sample(async () => {
          bytes = (await app.inject({ url, headers })).rawPayload.length;
        });
        paths.push({ engine, mix, path: url, s, bytes });
      }
    }
    mixes['Visitors not signed in'] = visitors;
    mixes['Signed-in members'] = members;
    notes.push(`${engine}: load average at the start of its part ${loadAverage()}.`);

    const base = origin(app);
    const asVisitor = { url: `${base}/`, paths: visitors, headers: browserHeaders };
    const asMember = { url: `${base}/`, paths: members, headers: { ...browserHeaders, cookie } };
    log(`${engine}: warming up`);
    await autocannon({ ...asVisitor, seconds: warmSeconds, connections: 50 });
    await autocannon({ ...asMember, seconds: warmSeconds, connections: 50 });
    for (const connections of levels) {
      log(`${engine}: ${connections} connections`);
      const hello = await autocannon({ url: `${origin(bare)}/hello`, seconds, connections });
      rows.push(row(engine, 'bare Fastify "hello" route (the comparison)', connections, hello, null));
      const visitorsResult = await autocannon({ ...asVisitor, seconds, connections });
      const clean = visitorsResult.errors + visitorsResult.non2xx === 0;
      rows.push(
        connections === 200
          ? row(engine, 'Visitors not signed in', connections, visitorsResult, hello.requests.average, `no errors, p99 < ${p99Target} ms`, clean && visitorsResult.latency.p99 < p99Target)
          : row(engine, 'Visitors not signed in', connections, visitorsResult, hello.requests.average, 'no errors', clean),
      );
      const membersResult = await autocannon({ ...asMember, seconds, connections });
      rows.push(row(engine, 'Signed-in members', connections, membersResult, hello.requests.average, 'no errors', membersResult.errors + membersResult.non2xx === 0));
    }
  } finally {
    await app.close();
    await bare.close();
    await db.delete(organisations).where(sql`${organisations.slug} = ${slug}`);
  }
}

/** Median and p95 of `n` timed calls after `warm` untimed ones. */
async function sample(f: () => Promise<unknown>, n = quick ? 5 : 30, warm = 3): Promise<Stats> {
  for (let i = 0; i < warm; i++) await f();
  const samples: number[] = [];
  for (let i = 0; i < n; i++) samples.push(await time(f));
  return stats(samples);
}

function report(started: Started, engines: string[]): string {
  const ratio = (r: LoadRow) => (r.bareRps ? `${((100 * r.rps) / r.bareRps).toFixed(1)}%` : '–');
  return [
    measuredLine(started, engines, `\`npm run bench:load\`${quick ? ' -- --quick' : ''}`),
    '',
    `Real server on 127.0.0.1, autocannon in its own process, ${warmSeconds} s warm-up per mix, then ${seconds} s at each number of connections; requests carry a browser’s \`Accept-Encoding: gzip, deflate, br\`; latency resolution 1 ms; errors include timeouts (10 s). Each connection asks for the mix’s paths in turn:`,
    '',
    ...Object.entries(mixes).map(([mix, paths]) => `- ${mix}: ${paths.map((p) => `\`${p}\``).join(', ')}`),
    '',
    '| engine | mix | connections | requests/s | % of bare route | p50 | p99 | max | errors (timeouts) | non-2xx | target | met |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.engine} | ${r.mix} | ${r.connections} | ${r.rps.toFixed(0)} | ${ratio(r)} | ${r.p50} ms | ${r.p99} ms | ${r.max} ms | ${r.errors} (${r.timeouts}) | ${r.non2xx} | ${r.target} | ${yesNo(r.met)} |`),
    '',
    'Each path’s server time alone (app.inject after warm-up, no socket), with the bytes sent (compressed as asked):',
    '',
    '| engine | mix | path | median | p95 | n | bytes |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...paths.map((p) => `| ${p.engine} | ${p.mix} | \`${p.path}\` | ${ms(p.s.median)} | ${ms(p.s.p95)} | ${p.s.n} | ${p.bytes.toLocaleString('en-GB')} |`),
    ...notesList(notes),
  ].join('\n');
}

type Results = { rows: LoadRow[]; paths: PathRow[]; mixes: Record<string, string[]>; notes: string[] };

await runNationalBench<Results>({
  name: 'load',
  heading: '## Load (issue 12)',
  script: import.meta.url,
  neededSteps: nationalSteps,
  names: { scratch: 'load', results: 'load-results', copy: 'load' },
  quick,
  measure,
  results: () => ({ rows, paths, mixes, notes }),
  merge(results) {
    rows.push(...results.rows);
    paths.push(...results.paths);
    Object.assign(mixes, results.mixes);
    notes.push(...results.notes);
  },
  report,
});
