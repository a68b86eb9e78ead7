import { parse } from 'csv-parse/sync';
import { sql } from 'drizzle-orm';
import { loadWiganBoundaries } from './testing.ts';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../../platform/audit/audit.ts';
import type { Viewer } from '../../platform/auth/permissions.ts';
import { queryRows } from '../../platform/db/database.ts';
import { createTestDatabase, engines, type TestDatabase } from '../../../tests/support/engines.ts';
import { Client, emailOf, seedPeople, startTestApp } from '../../../tests/support/app.ts';
import { loadBundledSteps } from '../../../tests/support/data.ts';
import { createNeighbourhood } from '../neighbourhoods/service.ts';
import { gapAnalysis, GapError, type GapAnalysis, type GapLsoa } from './gaps.ts';
import { createService, type ServiceInput } from './service.ts';

/*
 * Wigan (E08000010): its real 2021 LSOA and 2025 ward boundaries, IoD2025 and the 2021-LSOA population
 * estimates, with a few community spaces placed by hand (sample data) at known offsets, in British National
 * Grid metres, from chosen LSOAs' centres:
 *
 *   D1, the most deprived LSOA: a hall 300 m east and 400 m north of its centre (500 m). D1 is also given a
 *       population-weighted centroid 300 m west of its centre, so its distance is measured from there:
 *       √(600² + 400²) = 721.1 m.
 *   D2, an LSOA in decile 2 at least 4 km from D1: a hall 600 m east and 800 m north (1,000 m): a gap at
 *       800 m, not at 1,200 m, and not deprived when only decile 1 counts.
 *   E, a less deprived LSOA 4 km from both: a hall at its centre (0 m, one record in it).
 *   B, the westernmost LSOA: a hall due west of its centre, just outside Wigan (over the district border).
 *   D3, another deprived LSOA: an inactive hall, a hall merged into another record, and a library, all at its
 *       centre. None of them counts as a community space; the library counts for "places" and "library".
 */

type Lsoa = { code: string; name: string; decile: number; rank: number; population: number; x: number; y: number };

const distance = (a: { x: number; y: number }, b: { x: number; y: number }) => Math.hypot(a.x - b.x, a.y - b.y);
/** A community hall (sample data); placeAt gives it its location. */
const hall = (name: string, overrides: Partial<ServiceInput> = {}): ServiceInput => ({
  organisation: { name: 'Wigan Halls Trust (sample data)', description: null, url: null, email: null, phone: null },
  kind: 'place',
  name: `${name} (sample data)`,
  description: 'Sample data.',
  url: null,
  email: null,
  status: 'active',
  free: null,
  fees: null,
  eligibility: null,
  minimumAge: null,
  maximumAge: null,
  wheelchairAccessible: null,
  accessibility: null,
  lastChecked: null,
  categories: ['community-space'],
  locations: [],
  schedules: [],
  contacts: [],
  sample: true,
  ...overrides,
});

describe.each(engines)('gaps on %s', (engine) => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let organisationId: string;
  let wigan: Lsoa[];
  let D1: Lsoa, D2: Lsoa, D3: Lsoa, E: Lsoa, B: Lsoa;
  let borderMetres: number;
  const ids: Record<string, string> = {};

  /** Places a record at British National Grid coordinates (converted to WGS84 as a form or import would give them). */
  async function placeAt(input: ServiceInput, at: { x: number; y: number }): Promise<string> {
    const [p] = await queryRows<{ lon: number; lat: number }>(database.db, sql`select ST_X(p) as lon, ST_Y(p) as lat from (select ST_Transform(ST_SetSRID(ST_MakePoint(${at.x}, ${at.y}), 27700), 4326) as p) x`);
    return createService(database.db, { ...input, locations: [{ name: input.name, address1: null, city: 'Wigan', postcode: null, longitude: Number(p!.lon), latitude: Number(p!.lat), accessibility: null }] }, { organisationId, userId: null }, cliActor);
  }

  /** The nearest counted location to each LSOA's measuring point by measuring to every one (no index). */
  async function bruteForce(terms: string[]): Promise<Map<string, number | null>> {
    const rows = await queryRows<{ code: string; metres: number | null }>(
      database.db,
      sql`select a.code, (select min(ST_Distance(ST_Transform(coalesce(a.weighted_centroid, a.centroid), 27700), l.location_bng))
            from directory_locations l join directory_service_locations sl on sl.location_id = l.id join directory_services s on s.id = sl.service_id
            join directory_service_taxonomies t on t.service_id = s.id
            where s.status = 'active' and s.merged_into_id is null and t.term_id = any(${sql.param(terms)}::text[])) as metres
          from areas a join area_lookups k on k.from_vintage = 'lsoa21' and k.from_code = a.code and k.to_vintage = 'lad24' and k.to_code = 'E08000010'
          where a.vintage = 'lsoa21'`,
    );
    return new Map(rows.map((r) => [r.code, r.metres === null ? null : Number(r.metres)]));
  }

  const lsoa = (a: GapAnalysis, code: string) => a.lsoas.find((l) => l.code === code)!;

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    const db = database.db;
    ({ organisationId } = await seedPeople(database));
    await loadBundledSteps(db, ['lookup.lsoa21-ward24-lad24', 'lookup.lsoa11-lsoa21', 'population.mid2020', 'population.lsoa21', 'edition.iod2025']);
    await loadWiganBoundaries(db);

    wigan = (
      await queryRows<Lsoa>(
        db,
        sql`select a.code, a.name, v.decile, v.rank, p.value as population, ST_X(ST_Transform(a.centroid, 27700)) as x, ST_Y(ST_Transform(a.centroid, 27700)) as y
            from areas a
            join area_lookups k on k.from_vintage = 'lsoa21' and k.from_code = a.code and k.to_vintage = 'lad24' and k.to_code = 'E08000010'
            join indicator_values v on v.indicator_id = 'iod2025.imd' and v.code = a.code
            join indicator_values p on p.indicator_id = 'population.mid2020-estimate.lsoa21' and p.code = a.code
            where a.vintage = 'lsoa21' order by v.rank`,
      )
    ).map((r) => ({ ...r, decile: Number(r.decile), rank: Number(r.rank), population: Number(r.population), x: Number(r.x), y: Number(r.y) }));
    const far = (l: Lsoa, from: Lsoa[]) => from.every((f) => distance(l, f) > 4000);
    D1 = wigan[0]!;
    D2 = wigan.find((l) => l.decile === 2 && far(l, [D1]))!;
    E = wigan.find((l) => l.decile >= 5 && far(l, [D1, D2]))!;
    D3 = wigan.find((l) => l.decile <= 2 && far(l, [D1, D2, E]))!;
    B = [...wigan].sort((a, b) => a.x - b.x)[0]!;
    expect([D1, D2, E, D3, B].every(Boolean)).toBe(true);
    expect(new Set([D1, D2, E, D3, B].map((l) => l.code)).size).toBe(5);

    // D1's people are measured from a population-weighted centroid 300 m west of its point on the surface.
    await db.execute(sql`update areas set weighted_centroid = ST_Transform(ST_SetSRID(ST_MakePoint(${D1.x - 300}, ${D1.y}), 27700), 4326) where vintage = 'lsoa21' and code = ${D1.code}`);

    ids.a1 = await placeAt(hall('Hall near D1'), { x: D1.x + 300, y: D1.y + 400 });
    ids.a2 = await placeAt(hall('Hall 1 km from D2'), { x: D2.x + 600, y: D2.y + 800 });
    ids.a3 = await placeAt(hall('Hall in E'), { x: E.x, y: E.y });
    // Just over the border: the first point due west of B that lies in no Wigan LSOA.
    for (borderMetres = 200; borderMetres < 20_000; borderMetres += 200) {
      const [inside] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from areas where vintage = 'lsoa21' and ST_Intersects(boundary, ST_Transform(ST_SetSRID(ST_MakePoint(${B.x - borderMetres}, ${B.y}), 27700), 4326))`);
      if (inside!.n === 0) break;
    }
    ids.a4 = await placeAt(hall('Hall over the border'), { x: B.x - borderMetres, y: B.y });
    ids.inactive = await placeAt(hall('Closed hall in D3', { status: 'inactive' }), { x: D3.x, y: D3.y });
    ids.merged = await placeAt(hall('Old entry for a hall in D3'), { x: D3.x, y: D3.y });
    await db.execute(sql`update directory_services set merged_into_id = ${ids.a3} where id = ${ids.merged}`);
    ids.library = await placeAt(hall('Library in D3', { categories: ['library'] }), { x: D3.x, y: D3.y });

    app = await startTestApp(database, { SIGN_IN_RATE_LIMIT: '1000' });
  }, 600_000);
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('measures each LSOA’s distance to the nearest community space, by hand and by ST_Distance, and flags the gaps', async () => {
    const a = await gapAnalysis(database.db, { area: { type: 'lad', code: 'E08000010' } });
    expect(a.area).toMatchObject({ type: 'lad', code: 'E08000010', name: 'Wigan' });
    expect(a.edition.id).toBe('iod2025');
    expect(a.population?.indicatorId).toBe('population.mid2020-estimate.lsoa21');
    expect(a.categories).toEqual([{ id: 'community-space', name: 'Community centres, halls and hubs' }]);
    expect(a.termIds).toEqual(['community-space']);
    expect(a.nearestMethod).toBe('knn-index');
    expect(a.lsoas.map((l) => l.code).sort()).toEqual(wigan.map((l) => l.code).sort());

    const d1 = lsoa(a, D1.code);
    expect(d1.measuredFrom).toBe('population-weighted centroid');
    expect(d1.nearest!.metres).toBeCloseTo(Math.hypot(600, 400), 1);
    expect(d1.nearest!.services.map((s) => s.id)).toEqual([ids.a1]);
    expect(d1).toMatchObject({ decile: 1, rank: D1.rank, deprived: true, gap: false });

    const d2 = lsoa(a, D2.code);
    expect(d2.measuredFrom).toBe('point on surface');
    expect(d2.nearest!.metres).toBeCloseTo(1000, 1);
    expect(d2).toMatchObject({ decile: 2, deprived: true, gap: true, beyondWalk: true });

    const e = lsoa(a, E.code);
    expect(e.nearest!.metres).toBeCloseTo(0, 2);
    expect(e.assets).toBe(1);
    expect(e.assetIds).toEqual([ids.a3]);
    expect(e.population).toBeCloseTo(E.population, 6);
    expect(e.per1000).toBeCloseTo(1000 / E.population, 9);
    expect(e.gap).toBe(false);

    // An asset just over the district border is the nearest to the LSOA beside it.
    const b = lsoa(a, B.code);
    expect(b.nearest!.metres).toBeCloseTo(borderMetres, 1);
    expect(b.nearest!.services.map((s) => s.id)).toEqual([ids.a4]);
    expect(b.nearest!.inArea).toBe(false);

    // The closed, merged and library records at D3's centre do not count as community spaces.
    const [located] = await queryRows<{ n: number }>(database.db, sql`select count(*)::int as n from directory_locations where lsoa21 = ${D3.code}`);
    expect(located!.n).toBe(3);
    const d3 = lsoa(a, D3.code);
    expect(d3.assets).toBe(0);
    expect(d3.nearest!.metres).toBeGreaterThan(1000);
    expect(a.assets.map((s) => s.serviceId)).not.toContain(ids.inactive);
    expect(a.assets.map((s) => s.serviceId)).not.toContain(ids.merged);

    // Every LSOA, against ST_Distance to every counted location, and the gap rule applied by hand.
    const expected = await bruteForce(['community-space']);
    for (const l of a.lsoas) {
      expect(l.nearest?.metres ?? null, l.code).toBeCloseTo(expected.get(l.code)!, 3);
      expect(l.gap, l.code).toBe(l.decile !== null && l.decile <= 2 && l.nearest!.metres > 800);
    }
    const gaps = a.lsoas.filter((l) => l.gap);
    expect(gaps.length).toBeGreaterThan(0);
    expect(a.totals.gaps).toBe(gaps.length);
    expect(a.totals.deprived).toBe(wigan.filter((l) => l.decile <= 2).length);
    expect(a.totals.gapPeople).toBeCloseTo(gaps.reduce((n, l) => n + l.population!, 0), 6);
    expect(a.totals.people).toBeCloseTo(wigan.reduce((n, l) => n + l.population, 0), 6);
    // Records in Wigan: the halls near D1, D2 (if inside Wigan) and in E; the one over the border is not in it.
    const inWigan = (await queryRows<{ id: string }>(database.db, sql`select sl.service_id as id from directory_service_locations sl join directory_locations l on l.id = sl.location_id where l.lad25 = 'E08000010' and sl.service_id in (${sql.join([ids.a1, ids.a2, ids.a3, ids.a4].map((id) => sql`${id}::uuid`), sql`, `)})`)).map((r) => r.id);
    expect(inWigan).not.toContain(ids.a4);
    expect(a.totals.assets).toBe(inWigan.length);
    expect(a.totals.per1000).toBeCloseTo((inWigan.length / a.totals.people!) * 1000, 9);
  });

  it('follows the walking distance, the deciles and the categories chosen (with the terms beneath them)', async () => {
    const wider = await gapAnalysis(database.db, { area: { type: 'lad', code: 'Wigan' }, walkMetres: 1200 });
    expect(lsoa(wider, D2.code).gap).toBe(false);
    expect(lsoa(wider, D2.code).beyondWalk).toBe(false);

    const worst = await gapAnalysis(database.db, { area: { type: 'lad', code: 'wigan' }, deciles: 1 });
    expect(lsoa(worst, D2.code)).toMatchObject({ deprived: false, gap: false, beyondWalk: true });
    expect(worst.totals.deprived).toBe(wigan.filter((l) => l.decile === 1).length);

    // One library among seven located records: measured to each counted one, not by walking the index.
    const libraries = await gapAnalysis(database.db, { area: { type: 'lad', code: 'E08000010' }, categories: ['library'] });
    expect(libraries.nearestMethod).toBe('all-pairs');
    expect(lsoa(libraries, D3.code).nearest!.metres).toBeCloseTo(0, 2);
    expect(lsoa(libraries, D3.code).assetIds).toEqual([ids.library]);
    const expectedLibrary = await bruteForce(['library']);
    for (const l of libraries.lsoas) expect(l.nearest!.metres, l.code).toBeCloseTo(expectedLibrary.get(l.code)!, 3);

    const places = await gapAnalysis(database.db, { area: { type: 'lad', code: 'E08000010' }, categories: ['places'] });
    expect(places.termIds).toEqual(expect.arrayContaining(['places', 'community-space', 'library', 'park']));
    expect(places.nearestMethod).toBe('knn-index');
    expect(lsoa(places, D3.code).nearest!.services.map((s) => s.id)).toEqual([ids.library]);
    expect(lsoa(places, D1.code).nearest!.metres).toBeCloseTo(Math.hypot(600, 400), 1);
  });

  it('rolls the LSOAs up to 2025 wards, and analyses one ward alone', async () => {
    const a = await gapAnalysis(database.db, { area: { type: 'lad', code: 'E08000010' } });
    const lookup = await queryRows<{ lsoa: string; ward: string }>(database.db, sql`select from_code as lsoa, to_code as ward from area_lookups where from_vintage = 'lsoa21' and to_vintage = 'ward25' and method = 'derived-point-in-polygon'`);
    const wardOf = new Map(lookup.map((r) => [r.lsoa, r.ward]));
    for (const l of a.lsoas) expect(l.ward?.code, l.code).toBe(wardOf.get(l.code));
    expect(a.wards.reduce((n, w) => n + w.lsoas, 0)).toBe(a.lsoas.length);
    expect(a.wards.reduce((n, w) => n + w.gaps, 0)).toBe(a.totals.gaps);
    for (const w of a.wards) {
      const members = a.lsoas.filter((l) => l.ward?.code === w.code);
      expect(w.lsoas).toBe(members.length);
      expect(w.people).toBeCloseTo(members.reduce((n, l) => n + l.population!, 0), 6);
      expect(w.assets).toBe(new Set(members.flatMap((l) => l.assetIds)).size);
      expect(w.per1000).toBeCloseTo((w.assets / w.people!) * 1000, 9);
      expect(w.gaps).toBe(members.filter((l) => l.gap).length);
      expect(w.gapPeople).toBeCloseTo(members.filter((l) => l.gap).reduce((n, l) => n + l.population!, 0), 6);
    }

    const ward = lsoa(a, D2.code).ward!;
    const one = await gapAnalysis(database.db, { area: { type: 'ward', code: ward.code } });
    expect(one.area).toMatchObject({ type: 'ward', code: ward.code, name: ward.name, district: { code: 'E08000010', name: 'Wigan' } });
    expect(one.lsoas.map((l) => l.code).sort()).toEqual(lookup.filter((r) => r.ward === ward.code).map((r) => r.lsoa).sort());
    // Distances are to the nearest record anywhere, not only in the ward.
    expect(lsoa(one, D2.code).nearest!.metres).toBeCloseTo(1000, 1);
    expect(lsoa(one, D2.code).gap).toBe(true);
    expect(one.wards).toHaveLength(1);

    // The page for that ward lists D2 as a gap, in words.
    const page = await app.inject(`/directory/gaps?area=ward&ward=${ward.code}`);
    expect(page.statusCode).toBe(200);
    const row = page.body.split('<tr class="govuk-table__row" data-gap>').find((r) => r.includes(D2.code));
    expect(row).toMatch(/<strong class="govuk-tag govuk-tag--red">Gap<\/strong> deprived, nothing within 800 m/);
    expect(page.body).toContain(`in the most deprived 20% ${one.totals.deprived === 1 ? 'has' : 'have'} no community centres, halls and hubs within 800 m`);
    const byName = await gapAnalysis(database.db, { area: { type: 'ward', code: ward.name.toUpperCase() } });
    expect(byName.area.code).toBe(ward.code);
  });

  it('gives the page a summary, tables, a map and CSV downloads', async () => {
    const a = await gapAnalysis(database.db, { area: { type: 'lad', code: 'E08000010' } });
    const form = await app.inject('/directory/gaps');
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('name="lad"');
    expect(form.body).toMatch(/value="community-space" checked/);

    const page = await app.inject('/directory/gaps?area=lad&lad=Wigan&category=community-space&walk=800&deciles=2');
    expect(page.statusCode).toBe(200);
    const people = Math.round(a.totals.gapPeople! / 100) * 100;
    expect(page.body).toContain(`${a.totals.gaps} of the ${a.totals.deprived} LSOAs in the most deprived 20% have no community centres, halls and hubs within 800 m; about ${people.toLocaleString('en-GB')} people live in them.`);
    expect(page.body).toContain('<caption class="govuk-table__caption govuk-table__caption--s">The ');
    expect(page.body.match(/<tr class="govuk-table__row" data-gap>/g)).toHaveLength(a.totals.gaps);
    expect(page.body).toContain('Hall over the border (sample data)');
    expect(page.body).toContain('id="gap-map-values"');
    expect(page.body).toMatch(/data-pw-(gap-)?map /);
    const values = JSON.parse(/<script type="application\/json" id="gap-map-values">([^<]*)<\/script>/.exec(page.body)![1]!) as { areas: Record<string, [number, string]> };
    expect(values.areas[D2.code]![0]).toBe(1);
    expect(values.areas[D1.code]![0]).toBe(2);
    expect(values.areas[E.code]![0]).toBe(3);

    const csv = await app.inject('/directory/gaps?lad=E08000010&format=csv');
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.headers['content-disposition']).toContain('gaps-E08000010-community-space-800m-deciles1-2-lsoas.csv');
    const rows = parse(csv.body, { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(a.lsoas.length);
    const d2 = rows.find((r) => r.lsoa21Code === D2.code)!;
    expect(d2).toMatchObject({ imdDecile: '2', deprived: 'yes (deciles 1–2)', nearestMetres: '1000', gap: 'yes', measuredFrom: 'point on surface', nearestRecordIds: ids.a2 });
    expect(rows.find((r) => r.lsoa21Code === D1.code)).toMatchObject({ nearestMetres: '721', gap: 'no', measuredFrom: 'population-weighted centroid' });
    expect(rows.find((r) => r.lsoa21Code === B.code)).toMatchObject({ nearestOutsideArea: 'yes' });
    expect(rows.filter((r) => r.gap === 'yes')).toHaveLength(a.totals.gaps);

    const wards = parse((await app.inject('/directory/gaps?lad=E08000010&format=csv&table=wards')).body, { columns: true }) as Record<string, string>[];
    expect(wards.map((w) => w.ward25Code).sort()).toEqual(a.wards.map((w) => w.code ?? '').sort());
    const records = parse((await app.inject('/directory/gaps?lad=E08000010&format=csv&table=assets')).body, { columns: true }) as Record<string, string>[];
    expect(records.map((r) => r.serviceId).sort()).toEqual([ids.a1, ids.a2, ids.a3, ids.a4].sort());
    expect(records.find((r) => r.serviceId === ids.a4)).toMatchObject({ inArea: 'no', sampleData: 'yes', lsoa21Code: '', nearestToLsoas: String(a.lsoas.filter((l) => l.nearest?.services[0]?.id === ids.a4).length) });

    const api = await app.inject('/api/v1/directory/gaps?lad=E08000010');
    expect(api.statusCode).toBe(200);
    const body = api.json() as GapAnalysis & { summary: string };
    expect(body.summary).toBe(`${a.totals.gaps} of the ${a.totals.deprived} LSOAs in the most deprived 20% have no community centres, halls and hubs within 800 m; about ${people.toLocaleString('en-GB')} people live in them.`);
    expect(body.lsoas.find((l: GapLsoa) => l.code === D2.code)?.gap).toBe(true);
  });

  it('answers unknown areas and bad choices with a clear message, on the page and in the API', async () => {
    const cases: [string, number, string][] = [
      ['/directory/gaps?area=lad&lad=Nowhere', 404, 'No district is called “Nowhere”'],
      ['/directory/gaps?lad=E08999999', 404, 'E08999999 is not the code of a district Patchwork knows'],
      ['/directory/gaps?area=lad&lad=', 400, 'Enter a district’s name or code'],
      ['/directory/gaps?area=ward&ward=E05999999', 404, 'E05999999 is not the code of a 2025 ward Patchwork knows'],
      ['/directory/gaps?lad=Wigan&walk=500', 400, 'Choose a walking distance: 400, 800, 1,200 or 1,600 metres'],
      ['/directory/gaps?lad=Wigan&deciles=5', 400, 'Choose the most deprived 10%, 20% or 30% of LSOAs'],
      ['/directory/gaps?lad=Wigan&category=no-such-thing', 400, 'Unknown category: no-such-thing'],
      ['/directory/gaps?area=neighbourhood&neighbourhood=not-an-id', 400, 'Choose a neighbourhood from the list'],
    ];
    for (const [url, status, message] of cases) {
      const response = await app.inject(url);
      expect(response.statusCode, url).toBe(status);
      expect(response.body, url).toContain('There is a problem');
      expect(response.body, url).toContain(message);
    }
    const problems: [string, number, string][] = [
      ['/api/v1/directory/gaps?lad=Nowhere', 404, 'No district is called “Nowhere”'],
      ['/api/v1/directory/gaps', 400, 'Name a district'],
      ['/api/v1/directory/gaps?lad=Wigan&walk=500', 400, 'Choose a walking distance'],
      ['/api/v1/directory/gaps?lad=Wigan&category=nope', 400, 'Unknown category: nope'],
    ];
    for (const [url, status, message] of problems) {
      const response = await app.inject(url);
      expect(response.statusCode, url).toBe(status);
      expect(response.headers['content-type'], url).toContain('application/problem+json');
      expect(JSON.stringify(response.json()), url).toContain(message);
    }
  });

  it('analyses a neighbourhood only for those it is shared with; others are told it does not exist', async () => {
    const codes = [D2.code, ...wigan.filter((l) => l.code !== D2.code).sort((x, y) => distance(x, D2) - distance(y, D2)).slice(0, 2).map((l) => l.code)];
    const id = await createNeighbourhood(
      database.db,
      { name: 'Sample neighbourhood round D2 (sample data)', purpose: 'locality', description: null, sharing: 'organisation' },
      { method: 'lsoas', geography: 'lsoa21', codes },
      { organisationId, userId: null },
      cliActor,
    );
    const url = `/directory/gaps?area=neighbourhood&neighbourhood=${id}`;

    const anonymous = await app.inject(url);
    expect(anonymous.statusCode).toBe(404);
    expect(anonymous.body).toContain('No such neighbourhood is shared with you');
    expect((await app.inject(`/api/v1/directory/gaps?neighbourhood=${id}`)).statusCode).toBe(404);
    const outsider = new Client(app);
    await outsider.signIn(emailOf('outsider'));
    expect((await outsider.get(url)).statusCode).toBe(404);
    expect((await outsider.get('/directory/gaps')).body).not.toContain('Sample neighbourhood round D2');
    await expect(gapAnalysis(database.db, { area: { type: 'neighbourhood', id } })).rejects.toThrow(GapError);

    const member = new Client(app);
    await member.signIn(emailOf('member'));
    expect((await member.get('/directory/gaps')).body).toContain('Sample neighbourhood round D2 (sample data)');
    const page = await member.get(url);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Gaps in Sample neighbourhood round D2 (sample data)');
    const viewer: Viewer = { user: { id: 'x', email: 'x@example.org', name: 'x', isSiteAdmin: false } as Viewer['user'], organisationIds: [organisationId] };
    const a = await gapAnalysis(database.db, { area: { type: 'neighbourhood', id }, viewer });
    expect(a.lsoas.map((l) => l.code).sort()).toEqual([...codes].sort());
    expect(lsoa(a, D2.code)).toMatchObject({ share: 1, gap: true });
    expect(lsoa(a, D2.code).nearest!.metres).toBeCloseTo(1000, 1);
  });

  it('counts a neighbourhood drawn across LSOAs by the share of each it covers', async () => {
    // A square 600 m across round E's centre (and its hall), drawn in WGS84 as the map would give it.
    const [square] = await queryRows<{ geojson: string }>(
      database.db,
      sql`select ST_AsGeoJSON(ST_Transform(ST_MakeEnvelope(${E.x - 300}, ${E.y - 300}, ${E.x + 300}, ${E.y + 300}, 27700), 4326)) as geojson`,
    );
    const id = await createNeighbourhood(
      database.db,
      { name: 'Drawn round E (sample data)', purpose: 'locality', description: null, sharing: 'public' },
      { method: 'drawn', geoJson: square!.geojson, repairNote: null },
      { organisationId, userId: null },
      cliActor,
    );
    const shares = await queryRows<{ code: string; share: number }>(
      database.db,
      sql`select l.lsoa_code as code, l.share from neighbourhood_lsoas l join neighbourhood_versions v on v.id = l.version_id where v.neighbourhood_id = ${id} and l.lsoa_vintage = 'lsoa21' and l.share > 0`,
    );
    const shareOf = new Map(shares.map((s) => [s.code, Number(s.share)]));
    const e = shareOf.get(E.code)!;
    expect(e).toBeGreaterThan(0);
    expect(e).toBeLessThan(1);

    const a = await gapAnalysis(database.db, { area: { type: 'neighbourhood', id } });
    expect(a.lsoas.map((l) => l.code).sort()).toEqual([...shareOf.keys()].sort());
    const populationOf = new Map(wigan.map((l) => [l.code, l.population]));
    const people = [...shareOf].reduce((n, [code, share]) => n + populationOf.get(code)! * share, 0);
    expect(a.totals.people).toBeCloseTo(people, 6);
    // Its one hall is in E, which it counts in part.
    expect(a.totals.assets).toBeCloseTo(e, 9);
    expect(a.totals.per1000).toBeCloseTo((e / people) * 1000, 9);
    expect(lsoa(a, E.code)).toMatchObject({ share: e, assets: 1, population: E.population });
    expect(lsoa(a, E.code).people).toBeCloseTo(E.population * e, 6);

    const page = await app.inject(`/directory/gaps?neighbourhood=${id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Share counted');
  });

  it('says so when the IoD, the population estimates or an area’s LSOAs are missing', async () => {
    const db = database.db;
    await db.execute(sql`update editions set lsoa_vintage = 'lsoa11' where id = 'iod2025'`);
    try {
      const refused = gapAnalysis(db, { area: { type: 'lad', code: 'E08000010' } });
      await expect(refused).rejects.toThrow(/No edition of the Indices of Deprivation on 2021 LSOAs \(IoD2025\) is loaded/);
      await expect(refused).rejects.toMatchObject({ status: 404 });
    } finally {
      await db.execute(sql`update editions set lsoa_vintage = 'lsoa21' where id = 'iod2025'`);
    }

    await db.execute(sql`update indicators set vintage = 'lsoa21-withdrawn' where id = 'population.mid2020-estimate.lsoa21'`);
    try {
      const a = await gapAnalysis(db, { area: { type: 'lad', code: 'E08000010' } });
      expect(a.population).toBeNull();
      expect(a.notes.join(' ')).toContain('No population estimates for 2021 LSOAs are loaded');
      expect(a.totals.people).toBeNull();
      expect(a.totals.gapPeople).toBeNull();
      expect(lsoa(a, E.code).per1000).toBeNull();
      expect(lsoa(a, D2.code).gap).toBe(true);
    } finally {
      await db.execute(sql`update indicators set vintage = 'lsoa21' where id = 'population.mid2020-estimate.lsoa21'`);
    }

    await db.execute(sql`insert into areas (vintage, code, name) values ('ward25', 'E05999998', 'Sample empty ward')`);
    try {
      await expect(gapAnalysis(db, { area: { type: 'ward', code: 'E05999998' } })).rejects.toThrow(/No 2021 LSOA has its centre in Sample empty ward \(E05999998\)/);
    } finally {
      await db.execute(sql`delete from areas where vintage = 'ward25' and code = 'E05999998'`);
    }
  });
});
