/**
 * Benchmark for finding community assets (issue 6): directory search with filters over 20,000 services,
 * measured on both engines. Target: p95 under 50 ms.
 *
 * 1. A mix of searches as people make them at /directory, each as the page makes it (the place looked up by
 *    findPlace, then searchServices for a page of 20): words near a postcode, a category on a day, free and
 *    accessible places of a category near a named place (a ward), the nearest of a category at any distance,
 *    a postcode alone, words alone, evenings, "open at" a time, the third page of a wide search, and the bare
 *    landing page (everything by name). Each kind is run with postcodes, words and places drawn by a seeded
 *    generator, so both engines run the same searches. Reported per kind and for the whole mix.
 * 2. The whole page, GET /directory by app.inject with the page cache emptied before each request (server
 *    time: the search, the place, the map's data and the HTML), for the same mix.
 * 3. The comparison: reading every record once (count of the active records), the least any search that
 *    looks at every record must do.
 * 4. For one search of each kind, the indexes its statements use and the tables they read whole (EXPLAIN of
 *    the statements it sends, on each engine), as notes under the table.
 *
 * Data: the full bundled national data (through bench/support/national.ts: a throw-away copy of
 * var/bench/national/pglite and of the PostgreSQL database patchwork_bench, loaded the first time), then
 * 20,000 labelled sample services (generateSampleServices) spread over the LSOAs of Greater Manchester's ten
 * districts and the three other districts whose postcodes are bundled (Calderdale, Sunderland, Telford and
 * Wrekin) — a city region's directory, about nine records to an LSOA, so searches near a postcode find
 * hundreds within a few kilometres. The searches' postcodes are drawn from the bundled postcodes in those
 * districts. Each engine is measured in a child process of its own.
 *
 * Run: npm run bench:directory-search (PATCHWORK_BENCH_ENGINES=pglite or =postgres runs one engine only;
 * `-- --quick` runs a few of each, does not wait for a quiet machine and writes nothing). Writes its table into
 * docs/PERFORMANCE.md between the bench:directory-search markers.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { cliActor } from '../src/platform/audit/audit.ts';
import { organisations } from '../src/platform/auth/schema.ts';
import { loadConfig } from '../src/platform/config/config.ts';
import { queryRows, type Database, type Db } from '../src/platform/db/database.ts';
import { buildApp } from '../src/platform/web/app.ts';
import { generateSampleServices, prng } from '../src/capabilities/community-assets/sample.ts';
import { findPlace, searchServices, type Distance, type SearchFilters } from '../src/capabilities/community-assets/search.ts';
import { ms, stats, time } from './support/measure.ts';
import { benchLog, loadAverage, nationalSteps, runTableBench, type Row } from './support/national.ts';

const quick = process.argv.includes('--quick') || process.env.PATCHWORK_BENCH_QUICK === '1';
/** Searches of each kind (each with its own postcode, words or place), and untimed ones first. */
const runs = quick ? { n: 5, warm: 2, pages: 3 } : { n: 60, warm: 5, pages: 20 };
const services = 20_000;
const target = 50;
const seed = 6;

/** Greater Manchester's ten districts, and the districts of the other bundled postcode areas (HX, SR, TF). */
const districts = ['E08000001', 'E08000002', 'E08000003', 'E08000004', 'E08000005', 'E08000006', 'E08000007', 'E08000008', 'E08000009', 'E08000010', 'E08000033', 'E08000024', 'E06000020'];
const words = ['lunch club', 'football', 'food bank', 'library', 'chair yoga', 'advice', 'choir', 'toddler group', 'walk', 'community centre', 'job club', 'café'];
const leaves = ['community-space', 'library', 'park', 'group-club', 'physical-activity', 'social-group', 'older-people', 'children-families', 'mental-wellbeing', 'advice', 'food-support'];
const days = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'] as const;

const log = benchLog('directory-search');
const rows: Row[] = [];
const notes: string[] = [];


/** A search as the page takes it: the query string's fields (what the form sends). */
type Ask = Record<string, string | string[]>;
type Kind = { what: string; make: (pick: <T>(items: readonly T[]) => T) => Ask };

function kinds(postcodes: string[], wards: string[]): Kind[] {
  return [
    { what: 'words near a postcode, within 1.6 km', make: (pick) => ({ q: pick(words), where: pick(postcodes), distance: '1600' }) },
    { what: 'a category on a day (no place)', make: (pick) => ({ category: pick([...leaves, 'activities']), day: pick(days) }) },
    { what: 'free, wheelchair-accessible places of a category near a ward, within 1.6 km', make: (pick) => ({ where: pick(wards), category: pick(['places', 'community-space', 'park', 'library']), free: 'yes', accessible: 'yes', distance: '1600' }) },
    { what: 'the nearest of a category at any distance from a postcode', make: (pick) => ({ where: pick(postcodes), category: pick(leaves), distance: 'any' }) },
    { what: 'a postcode alone, within 800 m', make: (pick) => ({ where: pick(postcodes), distance: '800' }) },
    { what: 'words alone', make: (pick) => ({ q: pick(words) }) },
    { what: 'groups and activities in the evening, free', make: (pick) => ({ time: 'evening', kind: 'activity', free: 'yes', day: pick(['', ...days]) }) },
    { what: 'on at a time on a day, within 5 km of a postcode', make: (pick) => ({ at: pick(['10:30', '13:00', '18:30']), day: pick(days), where: pick(postcodes), distance: '5000' }) },
    { what: 'page 3 of everything within 5 km of a postcode', make: (pick) => ({ where: pick(postcodes), distance: '5000', page: '3' }) },
    { what: 'the landing page: everything, by name', make: () => ({}) },
  ];
}

const query = (ask: Ask) => {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(ask)) for (const one of [v].flat()) if (one) params.append(k, one);
  return params;
};

/** What the page does before it draws anything: the place found, then the page of results. */
async function searchAsThePageDoes(db: Db, ask: Ask): Promise<number> {
  return (await searchOf(db, ask)).total;
}

async function searchOf(db: Db, ask: Ask) {
  const filters: SearchFilters = {
    words: (ask.q as string) || null,
    categories: [ask.category ?? []].flat(),
    day: ((ask.day as string) || null) as SearchFilters['day'],
    time: ask.at ? { at: ask.at as string } : (((ask.time as string) || null) as SearchFilters['time']),
    free: ask.free === 'yes',
    accessible: ask.accessible === 'yes',
    kind: ((ask.kind as string) || null) as SearchFilters['kind'],
  };
  if (ask.where) {
    const found = await findPlace(db, ask.where as string);
    if (found.status !== 'found') throw new Error(`${ask.where}: ${found.status}`);
    const metres = (ask.distance === 'any' ? null : Number(ask.distance)) as Distance;
    filters.near = { longitude: found.place.longitude, latitude: found.place.latitude, metres, area: found.place.area };
  }
  return searchServices(db, filters, { page: Number(ask.page ?? 1) });
}

/**
 * The indexes a search's statements use, and the tables they read whole, from EXPLAIN of the statements it
 * sends (caught on their way to the database), on this engine.
 */
async function plansOf(db: Db, ask: Ask): Promise<{ indexes: string[]; scanned: string[]; statements: number }> {
  const sent: SQL[] = [];
  const spy = new Proxy(db, {
    get(target, property, receiver) {
      if (property === 'execute') return (query: SQL) => (sent.push(query), target.execute(query));
      return Reflect.get(target, property, receiver);
    },
  });
  // Once untimed and uncaught, so what is kept between searches (the place names) is kept, as it is for the page.
  await searchOf(spy, ask);
  sent.length = 0;
  await searchOf(spy, ask);
  const indexes = new Set<string>();
  const scanned = new Set<string>();
  const walk = (node: Record<string, unknown>) => {
    // Primary and unique keys only fetch the page's rows and their details: the search's own indexes are the rest.
    if (typeof node['Index Name'] === 'string' && !/_(pkey|pk|key)$/.test(node['Index Name'])) indexes.add(node['Index Name']);
    if (node['Node Type'] === 'Seq Scan' && typeof node['Relation Name'] === 'string') scanned.add(node['Relation Name']);
    for (const child of (node.Plans as Record<string, unknown>[] | undefined) ?? []) walk(child);
  };
  for (const query of sent) {
    const [row] = await queryRows<Record<string, unknown>>(db, sql`explain (format json) ${query}`);
    const plan = Object.values(row!)[0];
    walk((typeof plan === 'string' ? JSON.parse(plan) : plan)[0].Plan);
  }
  return { indexes: [...indexes].sort(), scanned: [...scanned].sort(), statements: sent.length };
}

async function benchEngine(engine: string, database: Database) {
  notes.push(`${engine}: load average at the start of its part ${loadAverage()}.`);
  const db = database.db;
  const slug = `bench-directory-${process.pid}-${Date.now()}`;
  const [org] = await db.insert(organisations).values({ slug, name: 'Benchmark organisation', kind: 'vcse' }).returning({ id: organisations.id });
  let app: FastifyInstance | null = null;
  try {
    log(`${engine}: ${services.toLocaleString('en-GB')} sample services`);
    const loaded = await time(() => generateSampleServices(db, { ownerOrganisationId: org!.id, count: services, ladCodes: districts, seed }, cliActor));
    const [counts] = await queryRows<{ services: number; located: number; lsoas: number }>(
      db,
      sql`select (select count(*) from directory_services where owner_organisation_id = ${org!.id})::int as services,
                 (select count(*) from directory_locations where owner_organisation_id = ${org!.id} and lsoa21 is not null)::int as located,
                 (select count(distinct lsoa21) from directory_locations where owner_organisation_id = ${org!.id})::int as lsoas`,
    );
    notes.push(`${engine}: ${counts!.services.toLocaleString('en-GB')} sample services made by generateSampleServices in ${ms(loaded)} (${counts!.located.toLocaleString('en-GB')} placed in ${counts!.lsoas.toLocaleString('en-GB')} 2021 LSOAs of ${districts.length} districts).`);

    const postcodes = (
      await queryRows<{ display: string }>(
        db,
        sql`select display from postcodes where lad in (${sql.join(districts.map((d) => sql`${d}`), sql`, `)}) and terminated is null and location is not null order by postcode`,
      )
    ).map((r) => r.display);
    // Wards whose name is theirs alone, so a search by name needs no choosing.
    const wards = (
      await queryRows<{ name: string }>(
        db,
        sql`select a.name from areas a join area_lookups k on k.from_vintage = 'ward25' and k.from_code = a.code and k.to_vintage = 'lad25'
            where a.vintage = 'ward25' and k.to_code in (${sql.join(districts.map((d) => sql`${d}`), sql`, `)})
              and not exists (select 1 from areas b where b.vintage in ('ward25', 'lad25', 'msoa21') and lower(b.name) = lower(a.name) and (b.vintage, b.code) <> (a.vintage, a.code))
            order by a.name`,
      )
    ).map((r) => r.name);
    if (!postcodes.length || !wards.length) throw new Error('no postcodes or wards in the benchmark districts');
    const [indexes] = await queryRows<{ organisations: boolean; fastupdate: boolean }>(
      db,
      sql`select exists (select 1 from pg_indexes where tablename = 'directory_organisations' and indexdef ilike '%to_tsvector%') as organisations,
                 coalesce((select c.reloptions && array['fastupdate=off', 'fastupdate=false']::text[] from pg_class c where c.relname = 'directory_services_search_idx'), false) as fastupdate`,
    );
    notes.push(
      `${engine}: ${indexes!.organisations ? 'organisation names have a full-text index' : 'organisation names have no full-text index (a search by words reads every organisation)'}; the services' full-text index ${indexes!.fastupdate ? 'has fastupdate off' : 'keeps a pending list (fastupdate on): recent records are read from it until it is merged'}.`,
    );

    const [floor] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from directory_services where merged_into_id is null and status = 'active'`);
    const comparisonSamples: number[] = [];
    for (let i = 0; i < runs.warm + runs.n; i++) {
      const t = await time(() => queryRows(db, sql`select count(*)::int as n from directory_services where merged_into_id is null and status = 'active'`));
      if (i >= runs.warm) comparisonSamples.push(t);
    }
    const comparison = stats(comparisonSamples);
    const comparisonName = `reading every record once (count of the ${floor!.n.toLocaleString('en-GB')} active records)`;

    const random = prng(seed);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const mix = kinds(postcodes, wards);
    const asks = mix.map((kind) => Array.from({ length: runs.warm + runs.n }, () => kind.make(pick)));
    const all: number[] = [];
    const found: Record<string, number[]> = {};
    log(`${engine}: searches`);
    for (const [k, kind] of mix.entries()) {
      const samples: number[] = [];
      found[kind.what] = [];
      for (const [i, ask] of asks[k]!.entries()) {
        let total = 0;
        const t = await time(async () => (total = await searchAsThePageDoes(db, ask)));
        if (i >= runs.warm) {
          samples.push(t);
          found[kind.what]!.push(total);
        }
      }
      all.push(...samples);
      const s = stats(samples);
      const totals = [...found[kind.what]!].sort((a, b) => a - b);
      rows.push({ engine, what: `${kind.what} (median ${totals[Math.floor(totals.length / 2)]!.toLocaleString('en-GB')} matches)`, s, comparison: comparisonName, comparisonMedian: comparison.median, target: `< ${target} ms (p95)`, met: s.p95 < target });
    }
    for (const [k, kind] of mix.entries()) {
      const plan = await plansOf(db, asks[k]![runs.warm]!);
      notes.push(`${engine}, ${kind.what}: ${plan.statements} statement${plan.statements === 1 ? '' : 's'}; indexes used (besides keys): ${plan.indexes.join(', ') || 'none'}; tables read whole: ${plan.scanned.join(', ') || 'none'}.`);
    }
    const mixStats = stats(all);
    rows.push({ engine, what: `**the whole mix** (${mix.length} kinds × ${runs.n})`, s: mixStats, comparison: comparisonName, comparisonMedian: comparison.median, target: `< ${target} ms (p95)`, met: mixStats.p95 < target });

    log(`${engine}: pages`);
    app = await buildApp({ config: loadConfig({ PATCHWORK_DATA_DIR: 'var/bench', LOG_LEVEL: 'silent' }), database, logger: false });
    await app.ready();
    const pageSamples: number[] = [];
    const urls = mix.flatMap((_, k) => asks[k]!.slice(0, runs.warm + runs.pages).map((ask) => `/directory?${query(ask)}`));
    // The first page with a map builds the ward outlines' tile index for its version: done once, untimed.
    await app.inject(urls.find((u) => u.includes('where=')) ?? '/directory');
    for (const [i, url] of urls.entries()) {
      app.pageCache.clear();
      let status = 0;
      const t = await time(async () => (status = (await app!.inject(url)).statusCode));
      if (status !== 200) throw new Error(`${url} answered ${status}`);
      if (i % (runs.warm + runs.pages) >= runs.warm) pageSamples.push(t);
    }
    const pages = stats(pageSamples);
    rows.push({ engine, what: `GET /directory, the same mix, page cache emptied before each (server time by app.inject: place, search, map data, HTML)`, s: pages, comparison: comparisonName, comparisonMedian: comparison.median, target: '–', met: null });
    rows.push({ engine, what: `${comparisonName} (the comparison)`, s: comparison, comparison: '–', comparisonMedian: null, target: 'comparison', met: null });
  } finally {
    await app?.close();
    // Its sample services go with it.
    await db.execute(sql`delete from directory_services where owner_organisation_id = ${org!.id}`);
    await db.delete(organisations).where(sql`${organisations.slug} = ${slug}`);
  }
}

await runTableBench({
  name: 'directory-search',
  heading: '## Finding community assets (issue 6)',
  script: import.meta.url,
  // Searches near a postcode need the postcodes; near a place, the MSOA names as well as the wards.
  neededSteps: [...nationalSteps, 'postcodes.nspl2021', 'names.msoa21'],
  names: { scratch: 'run-directory-search', results: 'results-directory-search', copy: 'dirsearch' },
  quick,
  measure: benchEngine,
  rows,
  notes,
});
