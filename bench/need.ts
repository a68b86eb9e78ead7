/**
 * Benchmarks for "See need and target it" (issue 4), each measured on both engines beside its named
 * comparison in the same run:
 *
 * 1. Area profile pages (GET /areas/:code, a Leeds ward and Leeds district, IoD2019 and IoD2025): server time
 *    by app.inject after warm-up, vs a bare Fastify "hello" route. Target p95 < 50 ms.
 * 2. Throughput of the profile pages over a real loopback socket at 50 connections (autocannon, in its own
 *    process) vs the bare "hello" route served the same way. Target ≥ 25% of the bare route's requests/s,
 *    no errors.
 * 3. Vector tiles of the national 2021 LSOAs with IoD2025 deciles (the layer the maps draw), zooms 6–14 over
 *    dense and sparse places: warm from the app's tile cache, first request of each tile, and the first tile
 *    of a new process (which builds the national tile index); vs PostGIS ST_AsMVT/ST_AsMVTGeom making the
 *    same tile from the same tables (PostgreSQL; PGlite's PostGIS has no ST_AsMVT). Target p95 < 30 ms warm.
 * 4. A composite index over every ward of ten districts recomputed (read + compute, as its page does) vs one
 *    plain SQL query reading the same inputs. Target median and p95 < 200 ms.
 *
 * Data: the full bundled national data (tables and boundaries). PGlite: a loaded data directory is copied
 * to a scratch directory for the run (PATCHWORK_BENCH_PGLITE_DIR, else var/tmp/fresh, else
 * var/bench/national/pglite, which is loaded the first time: several minutes). PostgreSQL (when
 * PATCHWORK_BENCH_DATABASE_URL or PATCHWORK_TEST_DATABASE_URL names a server): the database
 * PATCHWORK_BENCH_NEED_DATABASE (default patchwork_bench) on that server, created and loaded once, and
 * copied (CREATE DATABASE … TEMPLATE) for each run, the copy dropped after (bench/support/national.ts, shared
 * with bench/neighbourhoods.ts).
 *
 * Each engine is measured in a child process of its own. The run first waits (PATCHWORK_BENCH_QUIET_WAIT
 * seconds, default 180) for the machine's load to settle, and records the load either way.
 *
 * Run: npm run bench:need (PATCHWORK_BENCH_ENGINES=pglite or =postgres runs one engine only). Writes its tables into docs/PERFORMANCE.md between the bench:need markers.
 */
import type { AddressInfo } from 'node:net';
import { VectorTile } from '@mapbox/vector-tile';
import { sql } from 'drizzle-orm';
import Fastify, { type FastifyInstance } from 'fastify';
import { PbfReader } from 'pbf';
import { cliActor } from '../src/platform/audit/audit.ts';
import { organisations } from '../src/platform/auth/schema.ts';
import { loadConfig } from '../src/platform/config/config.ts';
import { queryRows, type Database, type Db } from '../src/platform/db/database.ts';
import { buildApp } from '../src/platform/web/app.ts';
import { findEdition, type Edition } from '../src/capabilities/indicators/service.ts';
import { computeCompositeIndex, createCompositeIndex, findCompositeIndex } from '../src/capabilities/composite-index/service.ts';
import type { StoredIndicator } from '../src/capabilities/composite-index/schema.ts';
import { autocannon, browserHeaders, type Cannon } from './support/cannon.ts';
import { ms, stats, time, type Stats } from './support/measure.ts';
import { benchLog, loadAverage, measuredLine, nationalSteps, notesList, rowsTable, runNationalBench, yesNo, type Row, type Started } from './support/national.ts';

const log = benchLog('need');

// --------------------------------------------------------------------------------------------- results

type Throughput = { engine: string; what: string; rps: number; bareRps: number; errors: number; timeouts: number; non2xx: number; p50: number; p99: number; met: boolean | null };
type TileSample = { zoom: number; place: string; x: number; y: number; first: number; buildsIndex: boolean; warm: number[]; features: number; bytes: number; postgis?: number[]; postgisFeatures?: number; postgisBytes?: number };

const rows: Row[] = [];
const throughput: Throughput[] = [];
const tileSamples = new Map<string, TileSample[]>();
const notes: string[] = [];

// -------------------------------------------------------------------------------------- the comparisons

async function bareServer(): Promise<FastifyInstance> {
  const bare = Fastify();
  bare.get('/hello', async () => 'hello');
  await bare.ready();
  return bare;
}

/** Server time of one request by app.inject, after warm-up; `before` runs untimed ahead of each request. */
async function injectStats(inject: () => Promise<{ statusCode: number }>, n: number, warm = 20, before: () => void = () => {}): Promise<Stats> {
  for (let i = 0; i < warm; i++) {
    before();
    const response = await inject();
    if (response.statusCode !== 200) throw new Error(`warm-up answered ${response.statusCode}`);
  }
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    before();
    samples.push(await time(inject));
  }
  return stats(samples);
}

// ------------------------------------------------------------------------------------------- the places

type Page = { label: string; url: string };

/** The ward of Leeds with the most LSOAs in the edition (the heaviest ward profile), and Leeds itself. */
async function profilePages(db: Db, edition: Edition): Promise<Page[]> {
  const [ward] = await queryRows<{ code: string; name: string; n: number }>(
    db,
    sql`select w.to_code as code, a.name, count(*)::int as n from area_lookups d
        join area_lookups w on w.from_vintage = d.from_vintage and w.from_code = d.from_code and w.to_vintage = ${edition.wardVintage}
        join areas a on a.vintage = w.to_vintage and a.code = w.to_code
        where d.from_vintage = ${edition.lsoaVintage} and d.to_vintage = ${edition.ladVintage} and d.to_code = 'E08000035'
        group by w.to_code, a.name order by n desc, w.to_code limit 1`,
  );
  if (!ward) throw new Error(`no wards of Leeds in ${edition.id}`);
  return [
    { label: `GET /areas/${ward.code} (${ward.name}, Leeds ward, ${ward.n} LSOAs), ${edition.id}`, url: `/areas/${ward.code}?edition=${edition.id}` },
    { label: `GET /areas/E08000035 (Leeds district), ${edition.id}`, url: `/areas/E08000035?edition=${edition.id}` },
  ];
}

/** Dense and sparse places whose tiles are fetched at every zoom from 6 to 14 (longitude, latitude). */
const places: { name: string; lon: number; lat: number }[] = [
  { name: 'London (Westminster)', lon: -0.1276, lat: 51.5072 },
  { name: 'Leeds', lon: -1.5491, lat: 53.8008 },
  { name: 'Birmingham', lon: -1.8904, lat: 52.4862 },
  { name: 'rural Cumbria (Borrowdale)', lon: -3.13, lat: 54.52 },
  { name: 'rural Northumberland (Kielder)', lon: -2.58, lat: 55.23 },
];
const zooms = [6, 7, 8, 9, 10, 11, 12, 13, 14];
const tileLayer = 'iod2025.imd';

function tileOf(lon: number, lat: number, z: number) {
  const n = 2 ** z;
  const rad = (lat * Math.PI) / 180;
  return { x: Math.floor(((lon + 180) / 360) * n), y: Math.floor(((1 - Math.log(Math.tan(rad) + 1 / Math.cos(rad)) / Math.PI) / 2) * n) };
}

/** Each zoom's distinct tiles over the places, zoom by zoom as a map being zoomed in asks for them. */
function benchTiles(): { zoom: number; x: number; y: number; place: string }[] {
  const tiles: { zoom: number; x: number; y: number; place: string }[] = [];
  for (const zoom of zooms) {
    for (const place of places) {
      const { x, y } = tileOf(place.lon, place.lat, zoom);
      const same = tiles.find((t) => t.zoom === zoom && t.x === x && t.y === y);
      if (same) same.place += ` + ${place.name}`;
      else tiles.push({ zoom, x, y, place: place.name });
    }
  }
  return tiles;
}

const featureCount = (body: Buffer | Uint8Array, layer: string) => new VectorTile(new PbfReader(body)).layers[layer]?.length ?? 0;

/** The same tile made by PostGIS: the same LSOAs and properties, the same extent and buffer. */
function postgisTile(edition: Edition, z: number, x: number, y: number) {
  return sql`with bounds as (
      select ST_TileEnvelope(${z}::int, ${x}::int, ${y}::int) as env,
             ST_Transform(ST_TileEnvelope(${z}::int, ${x}::int, ${y}::int, margin => 64.0 / 4096), 4326) as env4326
    ), features as (
      select ST_AsMVTGeom(ST_Transform(a.boundary, 3857), b.env, 4096, 64, true) as geom,
             a.code, a.name, v.decile, v.rank, d.to_code as lad, w.to_code as ward
      from areas a cross join bounds b
      left join indicator_values v on v.indicator_id = ${`${edition.id}.imd`} and v.code = a.code
      left join area_lookups d on d.from_vintage = a.vintage and d.from_code = a.code and d.to_vintage = ${edition.ladVintage}
      left join area_lookups w on w.from_vintage = a.vintage and w.from_code = a.code and w.to_vintage = ${edition.wardVintage}
      where a.vintage = ${edition.lsoaVintage} and a.boundary && b.env4326
    )
    select ST_AsMVT(features.*, ${tileLayer}, 4096, 'geom') as tile from features where geom is not null`;
}

// ---------------------------------------------------------------------------------------- the benchmarks

async function benchTilesOn(engine: string, database: Database, app: FastifyInstance, bareMedian: number) {
  const edition = (await findEdition(database.db, 'iod2025'))!;
  const tiles = benchTiles();
  const get = (t: { zoom: number; x: number; y: number }) => app.inject(`/tiles/${tileLayer}/${t.zoom}/${t.x}/${t.y}.mvt`);
  const samples: TileSample[] = [];
  // Cold: the first tile of this process builds the national tile index of the LSOAs (and reads the deciles).
  let indexBuild = 0;
  for (const [i, t] of tiles.entries()) {
    let response!: Awaited<ReturnType<typeof get>>;
    const first = await time(async () => (response = await get(t)));
    if (response.statusCode !== 200) throw new Error(`tile ${t.zoom}/${t.x}/${t.y} answered ${response.statusCode}`);
    if (i === 0) indexBuild = first;
    samples.push({ ...t, first, buildsIndex: i === 0, warm: [], features: featureCount(response.rawPayload, tileLayer), bytes: response.rawPayload.length });
  }
  // Warm: from the app's tile cache, every tile many times over.
  for (let round = 0; round < 25; round++) {
    for (const s of samples) s.warm.push(await time(() => get({ zoom: s.zoom, x: s.x, y: s.y })));
  }
  // PostGIS making the same tiles from the same tables.
  let postgis: Stats | null = null;
  try {
    const all: number[] = [];
    for (const s of samples) {
      const [row] = await queryRows<{ tile: Buffer | Uint8Array | null }>(database.db, postgisTile(edition, s.zoom, s.x, s.y)); // warm-up, and the tile to compare
      s.postgisBytes = row?.tile?.length ?? 0;
      s.postgisFeatures = row?.tile ? featureCount(row.tile, tileLayer) : 0;
      s.postgis = [];
      for (let i = 0; i < 5; i++) s.postgis.push(await time(() => queryRows(database.db, postgisTile(edition, s.zoom, s.x, s.y))));
      all.push(...s.postgis);
    }
    postgis = stats(all);
  } catch (error) {
    const message = String((error as { cause?: { message?: string } }).cause?.message ?? (error as Error).message).split('\n')[0];
    notes.push(`${engine}: PostGIS cannot make the comparison tile (${message}), so tiles are compared with the bare route only.`);
    for (const s of samples) delete s.postgis;
  }
  tileSamples.set(engine, samples);
  const warm = stats(samples.flatMap((s) => s.warm));
  const first = stats(samples.slice(1).map((s) => s.first));
  const comparison = postgis ? 'PostGIS ST_AsMVT of the same tiles' : 'bare Fastify route';
  const comparisonMedian = postgis ? postgis.median : bareMedian;
  const n = samples.length;
  rows.push({ engine, what: `GET /tiles/${tileLayer}/z/x/y.mvt, z6–14, ${n} tiles × 25, warm from the app's tile cache`, s: warm, comparison, comparisonMedian, target: 'p95 < 30 ms', met: warm.p95 < 30 });
  rows.push({ engine, what: `same tiles, first request each (tile index built, tile not yet cut or encoded; ${n - 1} tiles)`, s: first, comparison, comparisonMedian, target: '(p95 < 30 ms warm only)', met: null });
  rows.push({ engine, what: 'first tile of a new process: builds the national LSOA tile index and reads the deciles (1 sample)', s: { median: indexBuild, p95: indexBuild, n: 1 }, comparison: '–', comparisonMedian: null, target: '–', met: null });
  if (postgis) rows.push({ engine, what: `PostGIS ST_AsMVT + ST_AsMVTGeom, same ${n} tiles × 5 (same LSOAs and properties, extent 4096, buffer 64)`, s: postgis, comparison: 'bare Fastify route', comparisonMedian: bareMedian, target: 'comparison', met: null });
}

/**
 * Profile pages are kept whole by the page cache for visitors who are not signed in (src/platform/web/
 * page-cache.ts), so each is measured twice: as such a visitor gets it (from the cache), and rendered
 * afresh (the cache emptied before each request: what a signed-in visitor, or the first visitor after new
 * data, waits for).
 */
async function benchProfiles(engine: string, database: Database, app: FastifyInstance, bareMedian: number): Promise<Page[]> {
  const pages: Page[] = [];
  for (const id of ['iod2019', 'iod2025']) {
    const edition = (await findEdition(database.db, id))!;
    for (const page of await profilePages(database.db, edition)) {
      const fresh = await injectStats(() => app.inject(page.url), 200, 20, () => app.pageCache.clear());
      rows.push({ engine, what: `${page.label}: rendered afresh`, s: fresh, comparison: 'bare Fastify route', comparisonMedian: bareMedian, target: 'p95 < 50 ms', met: fresh.p95 < 50 });
      const kept = await injectStats(() => app.inject(page.url), 200);
      rows.push({ engine, what: `${page.label}: from the page cache (visitor not signed in)`, s: kept, comparison: 'bare Fastify route', comparisonMedian: bareMedian, target: 'p95 < 50 ms', met: kept.p95 < 50 });
      pages.push(page);
    }
  }
  return pages;
}

/**
 * The inputs: every domain score the edition has at ward level. IoD2019's bundled files give scores for the
 * IMD, income and employment only (the other domains have ranks and deciles), so its index has three inputs;
 * IoD2025's has all seven domains.
 */
const compositeInputs: Record<string, [domain: string, component: string, dimension: string][]> = {
  iod2019: [
    ['income', 'Material wellbeing', 'Basic Human Needs'],
    ['imd', 'Overall deprivation', 'Foundations of Wellbeing'],
    ['employment', 'Work', 'Opportunity'],
  ],
  iod2025: [
    ['income', 'Material wellbeing', 'Basic Human Needs'],
    ['environment', 'Living environment', 'Basic Human Needs'],
    ['health', 'Health', 'Foundations of Wellbeing'],
    ['crime', 'Safety', 'Foundations of Wellbeing'],
    ['housing', 'Access to housing and services', 'Foundations of Wellbeing'],
    ['employment', 'Work', 'Opportunity'],
    ['education', 'Skills', 'Opportunity'],
  ],
};

/**
 * Ten real districts, cities and rural ones, whose codes are the same in 2019 and 2024: Leeds, Bradford,
 * Manchester, Birmingham, Liverpool, Sheffield, Bristol, Northumberland, Cornwall, Herefordshire.
 */
const tenLads = ['E08000035', 'E08000032', 'E08000003', 'E08000025', 'E08000012', 'E08000019', 'E06000023', 'E06000057', 'E06000052', 'E06000019'];

async function benchComposite(engine: string, database: Database, app: FastifyInstance, bareMedian: number) {
  const db = database.db;
  const slug = `bench-need-${process.pid}-${Date.now()}`;
  const [org] = await db.insert(organisations).values({ slug, name: 'Benchmark organisation', kind: 'vcse' }).returning({ id: organisations.id });
  try {
    for (const id of ['iod2019', 'iod2025']) {
      const edition = (await findEdition(db, id))!;
      const lads = await queryRows<{ code: string; name: string }>(db, sql`select code, name from areas where vintage = ${edition.ladVintage} and code in (${sql.join(tenLads.map((c) => sql`${c}`), sql`, `)}) order by code`);
      if (lads.length !== tenLads.length) throw new Error(`${id}: only ${lads.length} of the ten districts exist (${lads.map((l) => l.code).join(', ')})`);
      const indicators: StoredIndicator[] = compositeInputs[id]!.map(([domain, component, dimension]) => ({
        source: `${id}.${domain}`,
        key: `${id}.${domain}`,
        label: `${domain} score`,
        component,
        dimension,
        weight: 1,
        direction: 'higher-is-worse',
        transform: 'none',
        best: null,
        worst: null,
      }));
      const indexId = await createCompositeIndex(
        db,
        { name: `Benchmark: ten districts (${id})`, description: null, editionId: id, level: 'ward', ladCodes: tenLads, indicators, sharing: 'public' },
        { organisationId: org!.id, userId: null },
        cliActor,
      );
      const viewer = { user: null, organisationIds: [] };
      const recompute = async () => {
        const index = (await findCompositeIndex(db, viewer, indexId))!;
        return computeCompositeIndex(db, index, (await findEdition(db, index.editionId))!);
      };
      const result = await recompute();
      const wards = result.areas.length;
      const scored = result.areas.filter((a) => a.index !== null).length;
      for (let i = 0; i < 3; i++) await recompute();
      const samples: number[] = [];
      for (let i = 0; i < 40; i++) samples.push(await time(recompute));
      // The floor: one SQL statement reading the same inputs for the same wards.
      const plain = () =>
        queryRows(
          db,
          sql`with wards as (
                select distinct w.to_code as code from area_lookups d
                join area_lookups w on w.from_vintage = d.from_vintage and w.from_code = d.from_code and w.to_vintage = ${edition.wardVintage}
                where d.from_vintage = ${edition.lsoaVintage} and d.to_vintage = ${edition.ladVintage} and d.to_code in (${sql.join(tenLads.map((c) => sql`${c}`), sql`, `)}))
              select a.code, a.name, s.indicator_id, s.average_score from wards
              join areas a on a.vintage = ${edition.wardVintage} and a.code = wards.code
              left join area_summaries s on s.vintage = a.vintage and s.code = a.code and s.indicator_id in (${sql.join(indicators.map((i) => sql`${i.source}`), sql`, `)})`,
        );
      for (let i = 0; i < 3; i++) await plain();
      const plainSamples: number[] = [];
      for (let i = 0; i < 40; i++) plainSamples.push(await time(plain));
      const s = stats(samples);
      rows.push({
        engine,
        what: `composite index recomputed (read + compute): every ward of ten districts, ${id}, ${wards} wards (${scored} scored), ${indicators.length} inputs`,
        s,
        comparison: 'one SQL query reading the same inputs',
        comparisonMedian: stats(plainSamples).median,
        target: 'median and p95 < 200 ms',
        met: s.median < 200 && s.p95 < 200,
      });
      const response = await app.inject(`/composite-indexes/${indexId}`);
      if (response.statusCode === 200) {
        const page = await injectStats(() => app.inject(`/composite-indexes/${indexId}`), 40, 3, () => app.pageCache.clear());
        rows.push({ engine, what: `GET /composite-indexes/:id (that index's page, HTML, rendered afresh), ${id}`, s: page, comparison: 'bare Fastify route', comparisonMedian: bareMedian, target: '–', met: null });
      } else {
        notes.push(`${engine}: the composite index page answered ${response.statusCode}; not measured.`);
      }
    }
  } finally {
    await db.delete(organisations).where(sql`${organisations.slug} = ${slug}`);
  }
}

/** autocannon counts a timed-out request (10 s) among its errors, and also reports timeouts on their own. */
const cannonRow = (result: Cannon, hello: Cannon) => ({
  rps: result.requests.average,
  bareRps: hello.requests.average,
  errors: result.errors,
  timeouts: result.timeouts,
  non2xx: result.non2xx,
  p50: result.latency.p50,
  p99: result.latency.p99,
});

async function benchThroughput(engine: string, app: FastifyInstance, pages: Page[]) {
  // A diagnostic beside the comparison: the bare route answering a profile page's own HTML from memory,
  // which shows how much of the gap is the size of the page rather than the work of making it.
  const sample = (await app.inject(pages.find((p) => p.url.includes('iod2025'))!.url)).rawPayload;
  const bare = Fastify();
  bare.get('/hello', async () => 'hello');
  bare.get('/page', async (_request, reply) => reply.type('text/html; charset=utf-8').send(sample));
  await bare.listen({ port: 0, host: '127.0.0.1' });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = (server: FastifyInstance) => `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
  // As a browser asks: every current browser accepts brotli and gzip (autocannon sends no Accept-Encoding
  // unless told). The kept page is also measured uncompressed, beside the bare route sending the same bytes.
  const browser = browserHeaders;
  const run = async (url: string, fresh = false, headers: Record<string, string> = browser) => {
    await autocannon({ url, seconds: 2, connections: 50, fresh, headers }); // warm-up
    return autocannon({ url, seconds: 6, connections: 50, fresh, headers });
  };
  const ways = [
    { how: 'from the page cache (visitor not signed in)', fresh: false, headers: browser },
    { how: 'from the page cache, asked with no Accept-Encoding (uncompressed)', fresh: false, headers: {} },
    { how: 'rendered afresh (a new address each request)', fresh: true, headers: browser },
  ];
  try {
    const hello = await run(`${base(bare)}/hello`);
    for (const page of pages.filter((p) => p.url.includes('iod2025'))) {
      for (const way of ways) {
        const result = await run(`${base(app)}${page.url}`, way.fresh, way.headers);
        const ratio = result.requests.average / hello.requests.average;
        throughput.push({ engine, what: `${page.label}: ${way.how}`, ...cannonRow(result, hello), met: ratio >= 0.25 && result.errors + result.non2xx === 0 });
      }
    }
    throughput.push({ engine, what: 'bare Fastify "hello" route (the comparison)', ...cannonRow(hello, hello), met: null });
    const page = await run(`${base(bare)}/page`, false, {});
    throughput.push({ engine, what: `bare Fastify route answering a profile page's HTML (${Math.round(sample.length / 1024)} KiB, already encoded) from memory (diagnostic)`, ...cannonRow(page, hello), met: null });
  } finally {
    await bare.close();
  }
}

async function benchEngine(engine: string, database: Database) {
  log(`${engine}: starting the app`);
  notes.push(`${engine}: load average at the start of its part ${loadAverage()}.`);
  const app = await buildApp({ config: loadConfig({ PATCHWORK_DATA_DIR: 'var/bench', LOG_LEVEL: 'silent' }), database, logger: false });
  await app.ready();
  const bare = await bareServer();
  try {
    const bareStats = await injectStats(() => bare.inject('/hello'), 500);
    rows.push({ engine, what: 'bare Fastify "hello" route (the comparison)', s: bareStats, comparison: '–', comparisonMedian: null, target: '–', met: null });
    log(`${engine}: tiles (the first one builds the national tile index)`);
    await benchTilesOn(engine, database, app, bareStats.median);
    log(`${engine}: profile pages`);
    const pages = await benchProfiles(engine, database, app, bareStats.median);
    log(`${engine}: composite index`);
    await benchComposite(engine, database, app, bareStats.median);
    log(`${engine}: throughput (autocannon, 50 connections)`);
    await benchThroughput(engine, app, pages);
  } finally {
    await app.close();
    await bare.close();
  }
}

// ------------------------------------------------------------------------------------------------ report

function report(started: Started, engines: string[]): string {
  const tileTable = [...tileSamples.values()][0] ?? [];
  const lines = [
    measuredLine(started, engines, '`npm run bench:need`'),
    '',
    '**Server time** (app.inject after warm-up, no socket; "rendered afresh" empties the page cache before each request):',
    '',
    ...rowsTable(rows),
    '',
    '**Throughput** (real server on 127.0.0.1, autocannon 8 in its own process, 50 connections, requests with a browser’s `Accept-Encoding: gzip, deflate, br` unless the row says otherwise, 2 s warm-up then 6 s; latency resolution 1 ms; errors include timeouts, at 10 s):',
    '',
    '| engine | what | requests/s | bare route requests/s | ratio | errors (of which timeouts) | non-2xx | p50 | p99 | target | met |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...throughput.map(
      (t) =>
        `| ${t.engine} | ${t.what} | ${t.rps.toFixed(0)} | ${t.bareRps.toFixed(0)} | ${((100 * t.rps) / t.bareRps).toFixed(1)}% | ${t.errors} (${t.timeouts}) | ${t.non2xx} | ${t.p50} ms | ${t.p99} ms | ${t.met === null ? '–' : '≥ 25% of bare, no errors'} | ${yesNo(t.met)} |`,
    ),
    '',
    `**Tiles by zoom** (layer \`${tileLayer}\`; tiles over ${places.map((p) => p.name).join(', ')}; LSOAs in the tile and its size as the app and PostGIS make it; warm p95 and the slowest first request per engine, leaving out the process's first tile, which builds the index):`,
    '',
    `| zoom | tiles | LSOAs per tile (app) | LSOAs per tile (PostGIS) | KiB (app) | KiB (PostGIS) | ${engines.map((e) => `${e} warm p95 | ${e} first (max)`).join(' | ')} | PostGIS median |`,
    `| --- | --- | --- | --- | --- | --- | ${engines.map(() => '--- | ---').join(' | ')} | --- |`,
    ...zooms.map((zoom) => {
      const at = (engine: string) => (tileSamples.get(engine) ?? []).filter((s) => s.zoom === zoom);
      const ref = tileTable.filter((s) => s.zoom === zoom);
      const withPostgis = [...tileSamples.values()].flat().filter((s) => s.zoom === zoom && s.postgis);
      const range = (values: number[]) => (values.length ? `${Math.min(...values)}–${Math.max(...values)}` : '–');
      const kib = (values: number[]) => (values.length ? `${(Math.min(...values) / 1024).toFixed(0)}–${(Math.max(...values) / 1024).toFixed(0)}` : '–');
      const perEngine = engines.map((e) => {
        const s = at(e);
        const first = s.filter((t) => !t.buildsIndex);
        return s.length ? `${ms(stats(s.flatMap((t) => t.warm)).p95)} | ${first.length ? ms(Math.max(...first.map((t) => t.first))) : '–'}` : '– | –';
      });
      return `| ${zoom} | ${ref.length} | ${range(ref.map((s) => s.features))} | ${range(withPostgis.map((s) => s.postgisFeatures ?? 0))} | ${kib(ref.map((s) => s.bytes))} | ${kib(withPostgis.map((s) => s.postgisBytes ?? 0))} | ${perEngine.join(' | ')} | ${withPostgis.length ? ms(stats(withPostgis.flatMap((s) => s.postgis!)).median) : '–'} |`;
    }),
  ];
  return [...lines, ...notesList(notes)].join('\n');
}

type ChildResults = { rows: Row[]; throughput: Throughput[]; tiles: [string, TileSample[]][]; notes: string[] };

await runNationalBench<ChildResults>({
  name: 'need',
  heading: '## See need and target it (issue 4)',
  script: import.meta.url,
  neededSteps: nationalSteps,
  names: { scratch: 'run', results: 'results', copy: 'run' },
  measure: benchEngine,
  results: () => ({ rows, throughput, tiles: [...tileSamples], notes }),
  merge(results) {
    rows.push(...results.rows);
    throughput.push(...results.throughput);
    for (const [key, samples] of results.tiles) tileSamples.set(key, samples);
    notes.push(...results.notes);
  },
  report,
});
