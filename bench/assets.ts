/**
 * Benchmark for locating community assets (issue 6): points → 2021 LSOA by the in-app locator
 * (src/capabilities/geography/locator.ts), measured on both engines beside the same job done by PostGIS in
 * the same run.
 *
 * 1. loadLocator('lsoa21'): reading and indexing every 2021 LSOA boundary in England, the one-off cost.
 * 2. Locating 100,000 points with the loaded locator (median of several runs). Target ≥ 50,000 points/s on
 *    both engines.
 * 3. The comparison: the same points COPYed into a temporary table and one ST_Contains join against the
 *    2021 LSOA boundaries returning each point's code (on PostgreSQL, and on PGlite for information). Both
 *    methods' codes are compared point by point; they may differ only for points on a boundary, which
 *    ST_Contains gives to no area.
 * 4. An import as a council would make one: 2,000 points in Leeds to their 2021 LSOA and 2025 ward by
 *    locatePoints (the boundaries of the points' box loaded, then located), vs COPY + one join for both vintages.
 *
 * Points: drawn with a seeded generator, so both engines locate the same ones: an LSOA chosen with
 * probability in proportion to its people (the mid-2020 estimates for 2021 LSOAs), then a point scattered
 * round a point inside it (its stored ST_PointOnSurface) by a normal distribution a quarter of the LSOA's
 * width across. So points are dense where people live, and some fall in a neighbouring LSOA or the sea.
 *
 * Data: the full bundled national data, as bench/need.ts and bench/neighbourhoods.ts have it (through
 * bench/support/national.ts: a throw-away copy of var/bench/national/pglite and of the PostgreSQL database
 * patchwork_bench, loaded the first time). Each engine is measured in a child process of its own.
 *
 * Run: npm run bench:assets (PATCHWORK_BENCH_ENGINES=pglite or =postgres runs one engine only; `-- --quick`
 * locates 20,000 points a few times, does not wait for a quiet machine and writes nothing). Writes its table
 * into docs/PERFORMANCE.md between the bench:assets markers.
 */
import { sql } from 'drizzle-orm';
import { copyRows } from '../src/platform/db/bulk.ts';
import { queryRows, type Database, type Db } from '../src/platform/db/database.ts';
import { boxAround, loadLocator, locatePoints, type Locator, type Point } from '../src/capabilities/geography/locator.ts';
import { lsoa21Estimate } from '../src/capabilities/indicators/population.ts';
import { ms, stats, time, type Stats } from './support/measure.ts';
import { benchLog, loadAverage, measuredLine, nationalSteps, notesList, runNationalBench, yesNo, type Started } from './support/national.ts';

const quick = process.argv.includes('--quick') || process.env.PATCHWORK_BENCH_QUICK === '1';

const sizes = quick
  ? { points: 20_000, district: 2_000, load: 2, locate: 3, join: 1, pgliteJoin: 1, import: 3, warm: 1 }
  : { points: 100_000, district: 2_000, load: 5, locate: 10, join: 5, pgliteJoin: 2, import: 10, warm: 2 };
const target = 50_000;
const seed = 2021;
/** Leeds: a large district (488 2021 LSOAs) of city, suburbs and moor. */
const district = { code: 'E08000035', name: 'Leeds' };

const log = benchLog('assets');
const thousands = (n: number) => Math.round(n).toLocaleString('en-GB');

// --------------------------------------------------------------------------------------------- results

type Line = { engine: string; what: string; s: Stats; points: number | null; comparison: string; comparisonRate: number | null; target: string; met: boolean | null };

const lines: Line[] = [];
const notes: string[] = [];

/** Points per second at a median time in milliseconds. */
const rate = (points: number, millis: number) => (points * 1000) / millis;

// ---------------------------------------------------------------------------------------------- points

/** A seeded generator (mulberry32): the same points on both engines and in every run. */
function random(state: number) {
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Source = { lon: number; lat: number; metres: number; people: number };

/** The 2021 LSOAs (of one district, when given) with a point inside each, its width and its people. */
async function sources(db: Db, lad?: string): Promise<Source[]> {
  return queryRows<Source>(
    db,
    sql`select ST_X(a.centroid) as lon, ST_Y(a.centroid) as lat, sqrt(ST_Area(ST_Transform(a.boundary, 27700))) as metres, coalesce(p.value, 0) as people
        from areas a left join indicator_values p on p.indicator_id = ${lsoa21Estimate.id} and p.code = a.code
        where a.vintage = 'lsoa21' and a.boundary is not null
        ${lad ? sql`and a.code in (select from_code from area_lookups where from_vintage = 'lsoa21' and to_vintage = 'lad24' and to_code = ${lad})` : sql``}
        order by a.code`,
  );
}

/** `n` points, each near a point of an LSOA chosen in proportion to its people. */
function scatter(from: Source[], n: number, next: () => number): Point[] {
  const cumulative: number[] = [];
  let total = 0;
  for (const s of from) cumulative.push((total += s.people));
  const normal = () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  const points: Point[] = [];
  for (let i = 0; i < n; i++) {
    const wanted = next() * total;
    let low = 0;
    let high = cumulative.length - 1;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (cumulative[mid]! <= wanted) low = mid + 1;
      else high = mid;
    }
    const s = from[low]!;
    const spread = s.metres / 4;
    points.push({ lon: s.lon + (normal() * spread) / (111_320 * Math.cos((s.lat * Math.PI) / 180)), lat: s.lat + (normal() * spread) / 110_574 });
  }
  return points;
}

// --------------------------------------------------------------------------------------- the comparison

/**
 * The same job in PostGIS: the points COPYed into a temporary table (as EWKT, so each is a geometry the
 * GiST index can be probed with), analysed, then one ST_Contains join returning every point's codes. Where
 * boundaries overlap a point can have two codes; the lower is kept, as the locator does.
 *
 * Bitmap scans are off for the join unless `defaultPlan`: left to itself, PostgreSQL 15 (PostGIS 3.3)
 * ANDs each point's GiST probe with a bitmap of the vintage's 33,755 primary-key entries, which made the
 * join about 40 times slower than one GiST probe per point; the comparison should be PostGIS at its best.
 */
async function postgisJoin(db: Db, points: Point[], vintages: string[], defaultPlan = false) {
  let copy = 0;
  let join = 0;
  const codes = new Map(vintages.map((v) => [v, new Array<string | null>(points.length).fill(null)]));
  await db.transaction(async (tx) => {
    const start = process.hrtime.bigint();
    await tx.execute(sql`create temp table bench_points (i int primary key, pt geometry(Point, 4326)) on commit drop`);
    await copyRows(tx, 'bench_points', ['i', 'pt'], points.map((p, i) => [i, `SRID=4326;POINT(${p.lon} ${p.lat})`]));
    await tx.execute(sql`analyze bench_points`);
    if (!defaultPlan) await tx.execute(sql`set local enable_bitmapscan = off`);
    const copied = process.hrtime.bigint();
    const rows = await queryRows<{ i: number; vintage: string; code: string }>(
      tx,
      sql`select p.i, a.vintage, a.code from bench_points p join areas a on a.vintage = any(${sql.param(vintages)}::text[]) and ST_Contains(a.boundary, p.pt)`,
    );
    join = Number(process.hrtime.bigint() - copied) / 1e6;
    copy = Number(copied - start) / 1e6;
    for (const r of rows) {
      const list = codes.get(r.vintage)!;
      if (list[r.i] === null || r.code < list[r.i]!) list[r.i] = r.code;
    }
  });
  return { copy, join, total: copy + join, codes };
}

/** Points where the two methods disagree, and how many of them PostGIS puts on a boundary of the vintage. */
async function disagreements(db: Db, vintage: string, points: Point[], ours: (string | null)[], theirs: (string | null)[]) {
  const differ = points.map((p, i) => ({ ...p, ours: ours[i] ?? null, postgis: theirs[i] ?? null })).filter((d) => d.ours !== d.postgis);
  if (!differ.length) return { differ, onBoundary: 0 };
  const [row] = await queryRows<{ n: number }>(
    db,
    sql`select count(distinct t.i)::int as n
        from unnest(${sql.param(differ.map((d) => d.lon))}::float8[], ${sql.param(differ.map((d) => d.lat))}::float8[]) with ordinality as t(x, y, i)
        join areas a on a.vintage = ${vintage} and ST_Touches(a.boundary, ST_SetSRID(ST_MakePoint(t.x, t.y), 4326))`,
  );
  return { differ, onBoundary: row?.n ?? 0 };
}

// ---------------------------------------------------------------------------------------- the benchmarks

async function sample(f: () => Promise<unknown>, n: number, warm: number): Promise<Stats> {
  for (let i = 0; i < warm; i++) await f();
  const samples: number[] = [];
  for (let i = 0; i < n; i++) samples.push(await time(f));
  return stats(samples);
}

async function benchNational(engine: string, db: Db, points: Point[]) {
  let locator!: Locator;
  const load = await sample(async () => (locator = await loadLocator(db, 'lsoa21')), sizes.load, 1);
  const [shape] = await queryRows<{ polygons: number; corners: number }>(db, sql`select sum(ST_NumGeometries(boundary))::int as polygons, sum(ST_NPoints(boundary))::int as corners from areas where vintage = 'lsoa21' and boundary is not null`);

  let ours: (string | null)[] = [];
  const locate = await sample(
    async () => {
      ours = points.map((p) => locator.locate(p.lon, p.lat));
    },
    sizes.locate,
    sizes.warm,
  );

  const runs = engine === 'PGlite' ? sizes.pgliteJoin : sizes.join;
  const joins: { copy: number; join: number; total: number }[] = [];
  let theirs: (string | null)[] = [];
  for (let i = 0; i < runs; i++) {
    const result = await postgisJoin(db, points, ['lsoa21']);
    joins.push(result);
    theirs = result.codes.get('lsoa21')!;
  }
  const total = stats(joins.map((j) => j.total));
  const join = stats(joins.map((j) => j.join));
  const { differ, onBoundary } = await disagreements(db, 'lsoa21', points, ours, theirs);
  const few = points.slice(0, 2_000);
  const planned = await postgisJoin(db, few, ['lsoa21'], true);
  const agree = 1 - differ.length / points.length;

  const n = thousands(points.length);
  const located = ours.filter((c) => c !== null).length;
  const joinName = `PostGIS: COPY ${n} points into a temporary table + one ST_Contains join returning their codes`;
  lines.push({ engine, what: `loadLocator: every 2021 LSOA in England (${thousands(locator.size)} areas, ${thousands(shape!.polygons)} polygons, ${thousands(shape!.corners)} corners), read and indexed`, s: load, points: null, comparison: '–', comparisonRate: null, target: '–', met: null });
  lines.push({ engine, what: `locate ${n} points → 2021 LSOA (${thousands(located)} in one), the locator loaded`, s: locate, points: points.length, comparison: joinName, comparisonRate: rate(points.length, total.median), target: `≥ ${thousands(target)} points/s`, met: rate(points.length, locate.median) >= target });
  lines.push({ engine, what: `… the same with the load: loadLocator + locate, once`, s: { median: load.median + locate.median, p95: load.p95 + locate.p95, n: Math.min(load.n, locate.n) }, points: points.length, comparison: joinName, comparisonRate: rate(points.length, total.median), target: '–', met: null });
  lines.push({ engine, what: `${joinName} (the comparison${engine === 'PGlite' ? ', for information' : ''})`, s: total, points: points.length, comparison: '–', comparisonRate: null, target: 'comparison', met: null });
  lines.push({ engine, what: '… of which the join', s: join, points: points.length, comparison: '–', comparisonRate: null, target: '–', met: null });
  notes.push(
    `${engine}: the locator and PostGIS gave the same 2021 LSOA (or none) for ${thousands(points.length - differ.length)} of ${n} points (${(agree * 100).toFixed(3)}%${agree >= 0.999 ? '' : ', **below 99.9%**'})` +
      (differ.length
        ? `; of the ${differ.length} that differ, ${onBoundary} lie on an LSOA boundary (which ST_Contains gives to no LSOA)${differ
            .slice(0, 3)
            .map((d) => `; (${d.lon}, ${d.lat}): locator ${d.ours ?? 'none'}, PostGIS ${d.postgis ?? 'none'}`)
            .join('')}.`
        : '.'),
  );
  notes.push(
    `${engine}: the PostGIS join is measured with bitmap scans off (one GiST probe per point). With the planner's own choice, the join of the first ${thousands(few.length)} of the points ran at ${thousands(rate(few.length, planned.join))} points/s (${ms(planned.join)}), against ${thousands(rate(points.length, join.median))} points/s with them off.`,
  );
  return agree;
}

async function benchImport(engine: string, db: Db, points: Point[]) {
  const vintages = ['lsoa21', 'ward25'] as const;
  let ours: Record<string, string | null>[] = [];
  const s = await sample(async () => (ours = await locatePoints(db, points, vintages)), sizes.import, sizes.warm);
  let last!: Awaited<ReturnType<typeof postgisJoin>>;
  const comparison = await sample(async () => (last = await postgisJoin(db, points, [...vintages])), sizes.import, sizes.warm);
  const differ = vintages.map((v) => points.filter((_, i) => ours[i]![v] !== last.codes.get(v)![i]).length);
  const box = await Promise.all(vintages.map(async (v) => (await loadLocator(db, v, boxAround(points)!)).size));
  const n = thousands(points.length);
  const joinName = `PostGIS: COPY + one ST_Contains join for both vintages`;
  lines.push({
    engine,
    what: `an import: locatePoints of ${n} points in ${district.name} → 2021 LSOA and 2025 ward, loading the points' box (${thousands(box[0]!)} LSOAs, ${thousands(box[1]!)} wards)`,
    s,
    points: points.length,
    comparison: joinName,
    comparisonRate: rate(points.length, comparison.median),
    target: '–',
    met: null,
  });
  lines.push({ engine, what: `${joinName} (the comparison)`, s: comparison, points: points.length, comparison: '–', comparisonRate: null, target: 'comparison', met: null });
  notes.push(`${engine}: the import's ${n} points: ${vintages.map((v, i) => `${differ[i]} differ in ${v}`).join(', ')} between locatePoints and PostGIS.`);
}

async function benchEngine(engine: string, database: Database) {
  notes.push(`${engine}: load average at the start of its part ${loadAverage()}.`);
  const db = database.db;
  // As in bench/neighbourhoods.ts: the loaded copy's statistics may predate its last step, and neither
  // engine here runs autovacuum before the join is planned.
  await db.execute(sql`analyze areas, area_lookups, indicator_values`);
  const next = random(seed);
  log(`${engine}: drawing ${thousands(sizes.points)} points`);
  const national = scatter(await sources(db), sizes.points, next);
  const local = scatter(await sources(db, district.code), sizes.district, next);
  log(`${engine}: locating ${thousands(national.length)} points in England's 2021 LSOAs`);
  await benchNational(engine, db, national);
  log(`${engine}: an import of ${thousands(local.length)} points in ${district.name}`);
  await benchImport(engine, db, local);
}

// ------------------------------------------------------------------------------------------------ report

function report(started: Started, engines: string[]): string {
  const rateOf = (l: Line) => (l.points === null ? '–' : thousands(rate(l.points, l.s.median)));
  const ratio = (l: Line) => (l.points === null || l.comparisonRate === null ? '–' : `${(rate(l.points, l.s.median) / l.comparisonRate).toFixed(1)}×`);
  return [
    measuredLine(started, engines, `\`npm run bench:assets\`${quick ? ' -- --quick' : ''}`),
    '',
    '| engine | what | median | p95 | n | points/s (median) | comparison (points/s) | ours ÷ comparison | target | met |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...lines.map(
      (l) =>
        `| ${l.engine} | ${l.what} | ${ms(l.s.median)} | ${ms(l.s.p95)} | ${l.s.n} | ${rateOf(l)} | ${l.comparison}${l.comparisonRate === null ? '' : ` (${thousands(l.comparisonRate)})`} | ${ratio(l)} | ${l.target} | ${yesNo(l.met)} |`,
    ),
    ...notesList(notes),
  ].join('\n');
}

type ChildResults = { lines: Line[]; notes: string[] };

await runNationalBench<ChildResults>({
  name: 'assets',
  heading: '## Community assets (issue 6)',
  script: import.meta.url,
  neededSteps: nationalSteps,
  names: { scratch: 'run-assets', results: 'results-assets', copy: 'assets' },
  quick,
  measure: benchEngine,
  results: () => ({ lines, notes }),
  merge(results) {
    lines.push(...results.lines);
    notes.push(...results.notes);
  },
  report,
});
