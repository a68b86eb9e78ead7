/**
 * Benchmarks for "Define neighbourhoods" (issue 5), each measured on both engines beside its named
 * comparison in the same run:
 *
 * 1. A neighbourhood drawn on the map covering about 100 2021 LSOAs, made as the web form makes it (the drawn
 *    GeoJSON read by readBoundaryUpload, checked and repaired by toValidBoundary, stored with every LSOA's
 *    share by createNeighbourhood) and its apportioned profile computed (neighbourhoodProfile, IoD2025), vs
 *    the bare PostGIS work the same profile needs: one SQL statement intersecting the same polygon with the
 *    2021 LSOA boundaries (ST_Intersects / ST_Intersection area shares) and summing the people and
 *    population-weighted scores. Target < 500 ms.
 * 2. Overlap matrices within Birmingham (E08000025) by overlapMatrix: every 2025 ward × every CCG (lookup
 *    lsoa11-ccg20, so the wards are put on the 2011 LSOA grid), December 2019 wards × CCGs (both on the 2011
 *    grid), and 2025 wards × 2021 LSOAs. Compared with plain SQL giving the same cells: the lookups joined
 *    (wards × CCGs), and a PostGIS polygon overlay (ST_Intersection of every ward with every LSOA boundary)
 *    for wards × LSOAs. Target < 1 s each.
 *
 * Data: the full bundled national data, as bench/need.ts has it (the same directories and database, through
 * bench/support/national.ts, so they are loaded once for both). PGlite: a loaded data directory is copied to a
 * scratch directory for the run (PATCHWORK_BENCH_PGLITE_DIR, else var/tmp/fresh, else
 * var/bench/national/pglite, which is loaded the first time: several minutes). PostgreSQL (when PATCHWORK_BENCH_DATABASE_URL or PATCHWORK_TEST_DATABASE_URL names
 * a server): the database PATCHWORK_BENCH_NEED_DATABASE (default patchwork_bench) on that server, created
 * and loaded once, and copied (CREATE DATABASE … TEMPLATE) for each run, the copy dropped after. The copies
 * are migrated (the neighbourhood tables), and what the run makes belongs to a throw-away organisation that
 * is deleted at the end (each neighbourhood as soon as it is measured).
 *
 * Each engine is measured in a child process of its own. The run first waits (PATCHWORK_BENCH_QUIET_WAIT
 * seconds, default 180) for the machine's load to settle, and records the load either way.
 *
 * Run: npm run bench:neighbourhoods (PATCHWORK_BENCH_ENGINES=pglite or =postgres runs one engine only;
 * `-- --quick` takes a few samples of each, does not wait for a quiet machine and writes nothing). Writes its
 * table into docs/PERFORMANCE.md between the bench:neighbourhoods markers.
 */
import { sql, type SQL } from 'drizzle-orm';
import { cliActor } from '../src/platform/audit/audit.ts';
import type { Viewer } from '../src/platform/auth/permissions.ts';
import { organisations } from '../src/platform/auth/schema.ts';
import { queryRows, type Database, type Db } from '../src/platform/db/database.ts';
import { findEdition, type Edition } from '../src/capabilities/indicators/service.ts';
import { readBoundaryUpload, toValidBoundary } from '../src/capabilities/neighbourhoods/geometry-input.ts';
import { overlapMatrix, type GeographyRef, type OverlapMatrix } from '../src/capabilities/neighbourhoods/overlap.ts';
import { neighbourhoods } from '../src/capabilities/neighbourhoods/schema.ts';
import { createNeighbourhood, neighbourhoodProfile, type NeighbourhoodProfile } from '../src/capabilities/neighbourhoods/service.ts';
import { ms, stats, time, type Stats } from './support/measure.ts';
import { benchLog, loadAverage, nationalSteps, runTableBench, type Row } from './support/national.ts';

const quick = process.argv.includes('--quick') || process.env.PATCHWORK_BENCH_QUICK === '1';

// ---------------------------------------------------------------------------------------------- helpers

/** `warm` untimed runs, then `n` timed ones. */
async function sample(f: () => Promise<unknown>, n: number, warm: number): Promise<Stats> {
  for (let i = 0; i < warm; i++) await f();
  const samples: number[] = [];
  for (let i = 0; i < n; i++) samples.push(await time(f));
  return stats(samples);
}

/** Sample counts: the app's work and the comparisons; a few of each with --quick. */
const runs = quick ? { n: 3, warm: 1, heavy: 2 } : { n: 30, warm: 3, heavy: 10 };

const log = benchLog('neighbourhoods');
const thousands = (n: number) => Math.round(n).toLocaleString('en-GB');

// --------------------------------------------------------------------------------------------- results

const rows: Row[] = [];
const notes: string[] = [];

// -------------------------------------------------------------------------------------------- the shape

/** The district of the overlap matrices: the largest (639 2011 LSOAs), and one of the few large ones split between two CCGs. */
const district = { code: 'E08000025', name: 'Birmingham' };
/** Harehills, east of Leeds city centre: dense inner-city LSOAs to the west, larger suburban ones to the east. */
const centre = { lon: -1.5150, lat: 53.8150 };
const vertices = 360;
const wantedLsoas = 100;

/**
 * A boundary as someone might draw it round a place: a wobbly loop of `vertices` corners, `radius` metres
 * across on average, in WGS84 to six decimals (as the map's drawing tool gives), as the drawn GeoJSON Feature.
 */
function drawnShape(radius: number): string {
  const ring: number[][] = [];
  const metresPerDegreeLon = 111_320 * Math.cos((centre.lat * Math.PI) / 180);
  const metresPerDegreeLat = 110_574;
  for (let i = 0; i < vertices; i++) {
    const theta = (2 * Math.PI * i) / vertices;
    const r = radius * (1 + 0.18 * Math.sin(3 * theta + 0.4) + 0.07 * Math.sin(7 * theta + 1.1) + 0.03 * Math.sin(17 * theta + 2.3) + 0.01 * Math.sin(41 * theta));
    ring.push([Number((centre.lon + (r * Math.cos(theta)) / metresPerDegreeLon).toFixed(6)), Number((centre.lat + (r * Math.sin(theta)) / metresPerDegreeLat).toFixed(6))]);
  }
  ring.push([...ring[0]!]);
  return JSON.stringify({ type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [ring] } });
}

const polygonOf = (feature: string) => JSON.stringify((JSON.parse(feature) as { geometry: unknown }).geometry);

/** The 2021 LSOAs a drawn shape touches, by ST_Intersects. */
async function lsoasTouched(db: Db, feature: string): Promise<number> {
  const [row] = await queryRows<{ n: number }>(
    db,
    sql`with nb as (select ST_SetSRID(ST_GeomFromGeoJSON(${polygonOf(feature)}::text), 4326) as g)
        select count(*)::int as n from areas a, nb where a.vintage = 'lsoa21' and a.boundary && nb.g and ST_Intersects(a.boundary, nb.g)`,
  );
  return row!.n;
}

/** The radius (to 10 m) whose shape touches about `wantedLsoas` 2021 LSOAs: the same on both engines, as the data are. */
async function calibratedShape(db: Db): Promise<{ radius: number; feature: string; touched: number }> {
  let low = 300;
  let high = 8000;
  while (high - low > 10) {
    const mid = Math.round((low + high) / 2);
    if ((await lsoasTouched(db, drawnShape(mid))) < wantedLsoas) low = mid;
    else high = mid;
  }
  const feature = drawnShape(high);
  return { radius: high, feature, touched: await lsoasTouched(db, feature) };
}

// ---------------------------------------------------------------------------------------- the benchmarks

/**
 * The bare PostGIS work the same profile needs: the polygon's share of each 2021 LSOA it touches (area of
 * the intersection over the LSOA's area, in British National Grid), and from those the people counted and
 * each index's population-weighted score in one edition.
 */
function bareProfile(polygon: string, edition: Edition): SQL {
  return sql`with nb as materialized (
      select ST_SetSRID(ST_GeomFromGeoJSON(${polygon}::text), 4326) as g
    ), shares as materialized (
      select a.code, least(1, ST_Area(ST_Transform(ST_Intersection(a.boundary, nb.g), 27700)) / nullif(ST_Area(ST_Transform(a.boundary, 27700)), 0)) as share
      from areas a, nb where a.vintage = ${edition.lsoaVintage} and a.boundary && nb.g and ST_Intersects(a.boundary, nb.g)
    )
    select i.domain, count(distinct s.code)::int as lsoas, sum(s.share * p.value) as people,
           sum(s.share * p.value * v.value) / nullif(sum(s.share * p.value) filter (where v.value is not null), 0) as score
    from shares s
    left join indicator_values p on p.indicator_id = ${edition.populationIndicatorId} and p.code = s.code
    join indicators i on i.edition_id = ${edition.id}
    left join indicator_values v on v.indicator_id = i.id and v.code = s.code
    where s.share > 0.0001
    group by i.domain`;
}

async function benchDrawn(engine: string, db: Db, organisationId: string) {
  const edition = (await findEdition(db, 'iod2025'))!;
  const { radius, feature, touched } = await calibratedShape(db);
  const bytes = Buffer.from(feature);
  let last: { profile: NeighbourhoodProfile; lsoas21: number; lsoas11: number; areaSqKm: number } | null = null;
  const stages = { check: [] as number[], create: [] as number[], profile: [] as number[] };
  let made = 0;

  // As the web form does it (POST /organisations/:slug/neighbourhoods with how=draw), then the profile its page shows.
  const once = async () => {
    let t = process.hrtime.bigint();
    const lap = () => {
      const now = process.hrtime.bigint();
      const elapsed = Number(now - t) / 1e6;
      t = now;
      return elapsed;
    };
    const upload = await readBoundaryUpload(bytes, 'boundary.geojson');
    const boundary = await toValidBoundary(db, upload.geometry, upload.srid);
    const check = lap();
    const id = await createNeighbourhood(
      db,
      { name: `Benchmark: drawn round Harehills ${++made}`, purpose: 'locality', description: null, sharing: 'organisation' },
      { method: 'drawn', geoJson: JSON.stringify(boundary.geojson), repairNote: boundary.repaired ? boundary.repairs.map((r) => r.message).join('; ') : null },
      { organisationId, userId: null },
      cliActor,
    );
    const create = lap();
    const [version] = await queryRows<{ id: string }>(db, sql`select id from neighbourhood_versions where neighbourhood_id = ${id} and version = 1`);
    const profile = await neighbourhoodProfile(db, version!.id, edition);
    const profileTime = lap();
    return { id, versionId: version!.id, profile, areaSqKm: boundary.areaSqKm, check, create, profileTime };
  };

  const samples: number[] = [];
  for (let i = 0; i < runs.warm + runs.n; i++) {
    const start = process.hrtime.bigint();
    const result = await once();
    const total = Number(process.hrtime.bigint() - start) / 1e6;
    if (i >= runs.warm) {
      samples.push(total);
      stages.check.push(result.check);
      stages.create.push(result.create);
      stages.profile.push(result.profileTime);
    }
    if (!last) {
      const counts = await queryRows<{ v: string; n: number }>(db, sql`select lsoa_vintage as v, count(*) filter (where share > 0)::int as n from neighbourhood_lsoas where version_id = ${result.versionId} group by lsoa_vintage`);
      last = { profile: result.profile, areaSqKm: result.areaSqKm, lsoas21: counts.find((c) => c.v === 'lsoa21')?.n ?? 0, lsoas11: counts.find((c) => c.v === 'lsoa11')?.n ?? 0 };
    }
    // Untimed: each neighbourhood goes once measured, so every sample writes into the same tables.
    await db.delete(neighbourhoods).where(sql`${neighbourhoods.id} = ${result.id}`);
  }

  const polygon = polygonOf(feature);
  const [bare] = await queryRows<{ lsoas: number; people: number }>(db, sql`select lsoas, people from (${bareProfile(polygon, edition)}) x where domain = 'imd'`);
  const comparison = await sample(() => queryRows(db, bareProfile(polygon, edition)), runs.n, runs.warm);

  const s = stats(samples);
  const imd = last!.profile.domains.find((d) => d.key === 'imd');
  const label = `drawn neighbourhood (${vertices} corners, ${last!.areaSqKm.toFixed(1)} km², touching ${touched} 2021 LSOAs, ${last!.lsoas21} of them counted; ${last!.lsoas11} 2011 LSOAs)`;
  const bareName = 'one SQL statement: ST_Intersection area shares of the 2021 LSOAs, people and scores summed';
  rows.push({ engine, what: `${label}: check + create + profile (IoD2025)`, s, comparison: bareName, comparisonMedian: comparison.median, target: '< 500 ms (p95)', met: s.p95 < 500 });
  rows.push({ engine, what: '… of which readBoundaryUpload + toValidBoundary (check, repair, measure)', s: stats(stages.check), comparison: '–', comparisonMedian: null, target: '–', met: null });
  rows.push({ engine, what: '… of which createNeighbourhood (store, share every 2011 and 2021 LSOA, audit)', s: stats(stages.create), comparison: '–', comparisonMedian: null, target: '–', met: null });
  rows.push({ engine, what: '… of which neighbourhoodProfile (IoD2025)', s: stats(stages.profile), comparison: '–', comparisonMedian: null, target: '–', met: null });
  rows.push({ engine, what: `${bareName} (the comparison; ${bare?.lsoas ?? 0} LSOAs counted)`, s: comparison, comparison: '–', comparisonMedian: null, target: 'comparison', met: null });
  notes.push(
    `${engine}: the drawn shape is a wobbly loop of radius ${radius} m round (${centre.lon}, ${centre.lat}) in Leeds; the profile counts ${thousands(last!.profile.population ?? 0)} people (the bare SQL ${thousands(Number(bare?.people ?? 0))}), IMD score ${imd?.averageScore?.toFixed(2) ?? '–'}.`,
  );
}

const ref = (vintage: 'ward19' | 'ward25' | 'ccg20' | 'lsoa21'): GeographyRef => ({ kind: 'areas', vintage });

/** The population indicator overlapMatrix uses on a grid (the latest edition on it), for the comparisons. */
async function populationOn(db: Db, grid: 'lsoa11' | 'lsoa21'): Promise<string> {
  const [row] = await queryRows<{ id: string }>(db, sql`select population_indicator_id as id from editions where lsoa_vintage = ${grid} order by published_on desc limit 1`);
  return row!.id;
}

/** The 2011 LSOAs of the district, as overlapMatrix scopes them. */
const lsoa11OfLad = sql`select distinct from_code as code from area_lookups
  where from_vintage = 'lsoa11' and to_vintage in (select id from area_vintages where type = 'lad') and to_code = ${district.code}`;

/** Wards (2019) × CCGs by the lookups alone: each 2011 LSOA's people to its ward and CCG. */
const bareWard19Ccg = (population: string) => sql`
  select w.to_code as a, g.to_code as b, sum(p.value) as people
  from (${lsoa11OfLad}) l
  join area_lookups w on w.from_vintage = 'lsoa11' and w.from_code = l.code and w.to_vintage = 'ward19'
  join area_lookups g on g.from_vintage = 'lsoa11' and g.from_code = l.code and g.to_vintage = 'ccg20'
  left join indicator_values p on p.indicator_id = ${population} and p.code = l.code
  group by 1, 2`;

/**
 * Wards (2025) × CCGs by the lookups alone, on the 2011 grid as overlapMatrix puts them: each 2011 LSOA's
 * people to its CCG and, shared among the 2021 LSOAs it became (by the recorded area shares where all are
 * known, otherwise equally), to their 2025 wards.
 */
const bareWard25Ccg = (population: string) => sql`
  with split as (
    select c.from_code as l11, c.to_code as l21,
           case when count(c.share) over w = count(*) over w and sum(c.share) over w > 0 then c.share / sum(c.share) over w else 1.0 / count(*) over w end as f
    from area_lookups c where c.from_vintage = 'lsoa11' and c.to_vintage = 'lsoa21' and c.from_code in (${lsoa11OfLad})
    window w as (partition by c.from_code)
  )
  select w.to_code as a, g.to_code as b, sum(p.value * s.f) as people
  from split s
  join area_lookups g on g.from_vintage = 'lsoa11' and g.from_code = s.l11 and g.to_vintage = 'ccg20'
  join area_lookups w on w.from_vintage = 'lsoa21' and w.from_code = s.l21 and w.to_vintage = 'ward25'
  left join indicator_values p on p.indicator_id = ${population} and p.code = s.l11
  group by 1, 2`;

/** Wards (2025) × 2021 LSOAs as polygons: every ward of the district intersected with every LSOA of it, areas in British National Grid. */
const overlayWard25Lsoa21 = sql`
  with l as (
    select a.code, a.boundary from areas a
    where a.vintage = 'lsoa21' and a.code in (select from_code from area_lookups where from_vintage = 'lsoa21' and to_vintage in (select id from area_vintages where type = 'lad') and to_code = ${district.code})
  ), w as (
    select a.code, a.boundary from areas a
    where a.vintage = 'ward25' and a.code in (select to_code from area_lookups where from_vintage = 'lsoa21' and to_vintage = 'ward25' and from_code in (select code from l))
  )
  select w.code as a, l.code as b, ST_Area(ST_Transform(ST_Intersection(w.boundary, l.boundary), 27700)) / 1e6 as km2
  from w join l on w.boundary && l.boundary and ST_Intersects(w.boundary, l.boundary)`;

async function benchOverlap(engine: string, db: Db) {
  const anyone: Viewer = { user: null, organisationIds: [] };
  const pop11 = await populationOn(db, 'lsoa11');
  const cases: { what: string; a: GeographyRef; b: GeographyRef; comparison: string; bare: SQL; heavy: boolean }[] = [
    { what: 'every 2025 ward × every CCG (April 2020), on the 2011 LSOA grid', a: ref('ward25'), b: ref('ccg20'), comparison: 'one SQL statement joining the lookups (2011 LSOA → CCG, → 2021 LSOAs by area share, → 2025 ward)', bare: bareWard25Ccg(pop11), heavy: false },
    { what: 'every December 2019 ward × every CCG (April 2020), on the 2011 LSOA grid', a: ref('ward19'), b: ref('ccg20'), comparison: 'one SQL statement joining the lookups (2011 LSOA → ward, → CCG)', bare: bareWard19Ccg(pop11), heavy: false },
    { what: 'every 2025 ward × every 2021 LSOA, on the 2021 LSOA grid', a: ref('ward25'), b: ref('lsoa21'), comparison: 'PostGIS polygon overlay: ST_Intersection of every 2025 ward with every 2021 LSOA boundary', bare: overlayWard25Lsoa21, heavy: true },
  ];
  for (const c of cases) {
    let matrix!: OverlapMatrix;
    const s = await sample(async () => (matrix = await overlapMatrix(db, anyone, c.a, c.b, { lad: district.code })), runs.n, runs.warm);
    let bareRows: { a: string; b: string; people?: number; km2?: number }[] = [];
    const comparison = await sample(async () => (bareRows = await queryRows(db, c.bare)), c.heavy ? runs.heavy : runs.n, c.heavy ? 1 : runs.warm);
    const size = `${matrix.a.units.length} × ${matrix.b.units.length}, ${matrix.cells.length} non-empty cells, ${matrix.scope.lsoas} LSOAs`;
    rows.push({ engine, what: `overlapMatrix in ${district.name}: ${c.what} (${size})`, s, comparison: c.comparison, comparisonMedian: comparison.median, target: '< 1 s (p95)', met: s.p95 < 1000 });
    const positive = bareRows.filter((r) => Number(r.people ?? r.km2 ?? 0) > 0).length;
    rows.push({ engine, what: `${c.comparison} (the comparison; ${bareRows.length} pairs, ${positive} with ${c.heavy ? 'area' : 'people'})`, s: comparison, comparison: '–', comparisonMedian: null, target: 'comparison', met: null });
  }
}

/**
 * The bundled load's last step (boundaries.derived) writes the 2025 ward lookup without analysing
 * area_lookups, and PGlite has no autovacuum (the bench's PostgreSQL server has it off), so the loaded data's
 * statistics may not know the ward25 rows: the planner then expects one row where there are 33,755, and
 * overlapMatrix(ward25 × ccg20) picks nested loops that ran for over 25 minutes on PostgreSQL. The copy is
 * analysed before measuring, as autovacuum would have done on a normal server, and the run says whether it
 * needed to be.
 */
async function freshStatistics(engine: string, db: Db) {
  const [row] = await queryRows<{ vals: string | null }>(db, sql`select most_common_vals::text as vals from pg_stats where tablename = 'area_lookups' and attname = 'to_vintage'`);
  const stale = !row?.vals?.includes('ward25');
  const took = await time(() => db.execute(sql`analyze areas, area_lookups, indicator_values`));
  notes.push(
    `${engine}: ${stale ? "the loaded data's statistics of area_lookups did not know the derived 2025 ward lookup (no ANALYZE after boundaries.derived); without one, wards (2025) × CCGs did not finish in 25 minutes on PostgreSQL. The copy was analysed" : 'the copy was analysed'} (areas, area_lookups, indicator_values: ${ms(took)}) before measuring.`,
  );
}

async function benchEngine(engine: string, database: Database) {
  notes.push(`${engine}: load average at the start of its part ${loadAverage()}.`);
  const db = database.db;
  await freshStatistics(engine, db);
  const slug = `bench-neighbourhoods-${process.pid}-${Date.now()}`;
  const [org] = await db.insert(organisations).values({ slug, name: 'Benchmark organisation', kind: 'vcse' }).returning({ id: organisations.id });
  try {
    log(`${engine}: drawn neighbourhood`);
    await benchDrawn(engine, db, org!.id);
    log(`${engine}: overlap matrices`);
    await benchOverlap(engine, db);
  } finally {
    // Its neighbourhoods go with it.
    await db.delete(organisations).where(sql`${organisations.slug} = ${slug}`);
  }
}

// ------------------------------------------------------------------------------------------------ report

await runTableBench({
  name: 'neighbourhoods',
  heading: '## Neighbourhoods (issue 5)',
  script: import.meta.url,
  // Wards meet CCGs through the 2011 LSOAs, and a drawn neighbourhood counts each 2011 LSOA by its population-weighted centroid.
  neededSteps: [...nationalSteps, 'lookup.lsoa11-ccg20', 'centroids.lsoa11'],
  names: { scratch: 'run-neighbourhoods', results: 'results-neighbourhoods', copy: 'nbhd' },
  quick,
  measure: benchEngine,
  rows,
  notes,
});
