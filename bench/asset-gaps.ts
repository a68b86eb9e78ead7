/**
 * Benchmark for gaps where need is high and assets are few (issue 6): gapAnalysis
 * (src/capabilities/community-assets/gaps.ts) for a large district, measured on both engines beside a plain
 * SQL comparison in the same run.
 *
 * Data: the full bundled national data (through bench/support/national.ts: a throw-away copy of
 * var/bench/national/pglite and of the PostgreSQL database patchwork_bench, loaded the first time), with
 * sample records (generateSampleServices, every one labelled "sample data") added to the copy: 2,000 in
 * Birmingham (E08000025, 659 2021 LSOAs, the largest district), spread over its LSOAs, and (without --quick)
 * 18,000 more over the rest of England, so the directory holds 20,000 records as in the search benchmark and
 * the nearest-record searches walk a national index.
 *
 * Measured, for Birmingham with the default walking distance (800 m) and deciles (1–2):
 * 1. community spaces (one category among 25, ~4% of the records);
 * 2. every place and activity (both top-level terms and all beneath them: every record counts);
 * 3. the comparison: one SQL statement giving each LSOA its nearest community space by measuring to every
 *    counted location (no spatial index), with its IMD decile and population, i.e. the bare work of case 1.
 * Target: gapAnalysis under 1 s (p95) on both engines.
 *
 * Run: npm run bench:asset-gaps (PATCHWORK_BENCH_ENGINES=pglite or =postgres runs one engine only; `-- --quick`
 * adds only the 2,000 Birmingham records, takes a few samples, does not wait for a quiet machine and writes
 * nothing). Writes its table into docs/PERFORMANCE.md between the bench:asset-gaps markers.
 */
import { sql } from 'drizzle-orm';
import { cliActor } from '../src/platform/audit/audit.ts';
import { organisations } from '../src/platform/auth/schema.ts';
import { queryRows, type Database, type Db } from '../src/platform/db/database.ts';
import { gapAnalysis, latestLsoa21Edition, latestLsoa21Population, type GapAnalysis } from '../src/capabilities/community-assets/gaps.ts';
import { generateSampleServices } from '../src/capabilities/community-assets/sample.ts';
import { ms, stats, time, type Stats } from './support/measure.ts';
import { benchLog, loadAverage, nationalSteps, runTableBench, type Row } from './support/national.ts';

const quick = process.argv.includes('--quick') || process.env.PATCHWORK_BENCH_QUICK === '1';
const runs = quick ? { n: 5, warm: 1 } : { n: 30, warm: 3 };
const district = { code: 'E08000025', name: 'Birmingham' };
const sizes = { district: 2_000, elsewhere: quick ? 0 : 18_000 };

const log = benchLog('asset-gaps');
const thousands = (n: number) => Math.round(n).toLocaleString('en-GB');

const rows: Row[] = [];
const notes: string[] = [];

async function sample(f: () => Promise<unknown>): Promise<Stats> {
  for (let i = 0; i < runs.warm; i++) await f();
  const samples: number[] = [];
  for (let i = 0; i < runs.n; i++) samples.push(await time(f));
  return stats(samples);
}

/** Each LSOA of the district with its nearest community space measured to every counted location, its decile and people. */
async function bareNearest(db: Db) {
  const edition = (await latestLsoa21Edition(db))!;
  const population = (await latestLsoa21Population(db))!;
  return sql`with counted as materialized (
      select distinct l.location_bng as bng from directory_locations l
      join directory_service_locations sl on sl.location_id = l.id join directory_services s on s.id = sl.service_id
      join directory_service_taxonomies t on t.service_id = s.id
      where l.location_bng is not null and s.status = 'active' and s.merged_into_id is null and t.term_id = 'community-space'
    ), lsoas as materialized (
      select a.code, ST_Transform(coalesce(a.weighted_centroid, a.centroid), 27700) as point from area_lookups k
      join areas a on a.vintage = 'lsoa21' and a.code = k.from_code
      where k.from_vintage = 'lsoa21' and k.to_vintage = 'lad24' and k.to_code = ${district.code}
    )
    select x.code, v.decile, p.value as population, (select min(ST_Distance(c.bng, x.point)) from counted c) as metres
    from lsoas x
    left join indicator_values v on v.indicator_id = ${`${edition.id}.imd`} and v.code = x.code
    left join indicator_values p on p.indicator_id = ${population.indicatorId} and p.code = x.code`;
}

async function benchEngine(engine: string, database: Database) {
  const db = database.db;
  notes.push(`${engine}: load average at the start of its part ${loadAverage()}.`);
  // As bench/neighbourhoods.ts explains: the loaded copy's statistics may predate the derived 2025 ward lookup.
  await db.execute(sql`analyze areas, area_lookups, indicator_values`);
  const slug = `bench-asset-gaps-${process.pid}-${Date.now()}`;
  const [org] = await db.insert(organisations).values({ slug, name: 'Benchmark organisation (sample data)', kind: 'vcse' }).returning({ id: organisations.id });

  log(`${engine}: adding ${thousands(sizes.district)} sample records in ${district.name}${sizes.elsewhere ? ` and ${thousands(sizes.elsewhere)} elsewhere` : ''}`);
  const made = await time(async () => {
    await generateSampleServices(db, { ownerOrganisationId: org!.id, count: sizes.district, ladCodes: [district.code], seed: 1 }, cliActor);
    if (sizes.elsewhere) await generateSampleServices(db, { ownerOrganisationId: org!.id, count: sizes.elsewhere, seed: 2 }, cliActor);
  });
  const [counts] = await queryRows<{ all: number; here: number; spaces: number }>(
    db,
    sql`select count(*)::int as all, count(*) filter (where l.lad25 = ${district.code})::int as here,
          count(*) filter (where l.lad25 = ${district.code} and exists (select 1 from directory_service_locations sl join directory_service_taxonomies t on t.service_id = sl.service_id where sl.location_id = l.id and t.term_id = 'community-space'))::int as spaces
        from directory_locations l`,
  );
  notes.push(`${engine}: ${thousands(counts!.all)} sample records made in ${ms(made)} (${thousands(counts!.here)} located in ${district.name}, ${thousands(counts!.spaces)} of them community spaces).`);

  const cases: { what: string; categories: string[] }[] = [
    { what: 'community spaces', categories: ['community-space'] },
    { what: 'every place and activity (every record counts)', categories: ['places', 'activities'] },
  ];
  const bare = await bareNearest(db);
  let bareRows: { code: string; metres: number | null }[] = [];
  const comparison = await sample(async () => (bareRows = await queryRows(db, bare)));
  for (const c of cases) {
    log(`${engine}: ${c.what}`);
    let last!: GapAnalysis;
    const s = await sample(async () => (last = await gapAnalysis(db, { area: { type: 'lad', code: district.code }, categories: c.categories })));
    const t = last.totals;
    const size = `${t.lsoas} LSOAs, ${thousands(t.assets)} records in it, ${last.nearestMethod === 'knn-index' ? 'nearest by KNN index' : last.nearestMethod}`;
    rows.push({
      engine,
      what: `gapAnalysis, ${district.name}, ${c.what} within 800 m, deciles 1–2 (${size}; ${t.gaps} of ${t.deprived} deprived LSOAs are gaps)`,
      s,
      comparison: c.categories[0] === 'community-space' ? 'one SQL statement: every LSOA measured to every counted location' : '–',
      comparisonMedian: c.categories[0] === 'community-space' ? comparison.median : null,
      target: '< 1 s (p95)',
      met: s.p95 < 1000,
    });
    if (c.categories[0] === 'community-space') {
      // The two must agree on every LSOA, or the comparison means nothing.
      const byCode = new Map(bareRows.map((r) => [r.code, r.metres === null ? null : Number(r.metres)]));
      const differ = last.lsoas.filter((l) => Math.abs((l.nearest?.metres ?? -1) - (byCode.get(l.code) ?? -1)) > 0.01).length;
      notes.push(`${engine}: community spaces: gapAnalysis and the comparison agree on the nearest distance for ${t.lsoas - differ} of ${t.lsoas} LSOAs${differ ? ' (**they differ**)' : ''}; ${thousands(t.gapPeople ?? 0)} people live in the ${t.gaps} gaps.`);
    }
  }
  rows.push({ engine, what: `one SQL statement: each of ${district.name}’s LSOAs measured to every community space, with decile and people (the comparison)`, s: comparison, comparison: '–', comparisonMedian: null, target: 'comparison', met: null });
  // The copy is dropped after the run; the organisation goes now so a kept copy is not cluttered.
  await db.execute(sql`delete from directory_services where owner_organisation_id = ${org!.id}`);
  await db.delete(organisations).where(sql`${organisations.id} = ${org!.id}`);
}

await runTableBench({
  name: 'asset-gaps',
  heading: '## Community assets: gaps (issue 6)',
  script: import.meta.url,
  neededSteps: nationalSteps,
  names: { scratch: 'run-asset-gaps', results: 'results-asset-gaps', copy: 'gaps' },
  quick,
  measure: benchEngine,
  rows,
  notes,
});
