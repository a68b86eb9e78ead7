import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../../platform/audit/audit.ts';
import type { Viewer } from '../../platform/auth/permissions.ts';
import { queryRows } from '../../platform/db/database.ts';
import { createTestDatabase, engines, type TestDatabase } from '../../../tests/support/engines.ts';
import { Client, emailOf, seedPeople, startTestApp } from '../../../tests/support/app.ts';
import { loadBundledSteps } from '../../../tests/support/data.ts';
import { importBoundaries } from '../geography/boundaries.ts';
import { overlapMatrix, OverlapError, parseGeographyRef, type OverlapMatrix } from './overlap.ts';
import { createNeighbourhood } from './service.ts';

const leeds = 'E08000035';
const anyone: Viewer = { user: null, organisationIds: [] };
const ward19 = { kind: 'areas', vintage: 'ward19' } as const;
const ccg20 = { kind: 'areas', vintage: 'ccg20' } as const;
const lsoa21 = { kind: 'areas', vintage: 'lsoa21' } as const;

/** The time one call takes, in milliseconds, and its answer. */
async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const result = await work();
  return [result, performance.now() - start];
}

const close = (actual: number | null, expected: number, digits = 6) => expect(actual).toBeCloseTo(expected, digits);

/** Each row's cells as shares of the row's people, summed. */
const rowShares = (m: OverlapMatrix) => {
  const sums = new Map(m.a.units.map((u) => [u.code, 0]));
  for (const c of m.cells) sums.set(c.a, sums.get(c.a)! + (c.shareOfA ?? 0));
  return sums;
};

describe.each(engines)('overlap of footprints on %s', (engine) => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let organisationId: string;
  /** Leeds' 2011 LSOAs with their IoD2019 denominators, wards and CCGs, straight from the tables. */
  let lsoas: { code: string; ward: string; ccg: string; population: number }[];

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    organisationId = (await seedPeople(database)).organisationId;
    await loadBundledSteps(database.db, ['lookup.lsoa11-ward19-lad19', 'lookup.lsoa11-ccg20', 'lookup.lsoa21-ward24-lad24', 'lookup.lsoa11-lsoa21', 'population.iod2019', 'population.mid2020', 'population.lsoa21', 'edition.iod2019']);
    for (const vintage of ['lsoa11', 'lsoa21']) await importBoundaries(database.db, path.resolve(`tests/fixtures/boundaries/${vintage}/${leeds}.geojson.gz`), cliActor);
    app = await startTestApp(database, { SIGN_IN_RATE_LIMIT: '1000' });
    lsoas = (
      await queryRows<{ code: string; ward: string; ccg: string; population: number }>(
        database.db,
        sql`select d.from_code as code, w.to_code as ward, c.to_code as ccg, p.value as population from area_lookups d
            join area_lookups w on w.from_vintage = 'lsoa11' and w.from_code = d.from_code and w.to_vintage = 'ward19'
            join area_lookups c on c.from_vintage = 'lsoa11' and c.from_code = d.from_code and c.to_vintage = 'ccg20'
            join indicator_values p on p.indicator_id = 'population.mid2015.lsoa11' and p.code = d.from_code
            where d.from_vintage = 'lsoa11' and d.to_vintage = 'lad19' and d.to_code = ${leeds}`,
      )
    ).map((r) => ({ ...r, population: Number(r.population) }));
  }, 300_000);
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('gives every ward of a district by CCG: rows of 100%, cells equal to the lookups’ sums, no one counted twice', async () => {
    expect(lsoas.length).toBeGreaterThan(400);
    const [m, ms] = await timed(() => overlapMatrix(database.db, anyone, ward19, ccg20, { lad: leeds }));
    console.info(`${engine}: Leeds wards (2019) × CCGs in ${ms.toFixed(0)} ms`);
    expect(m.lsoaVintage).toBe('lsoa11');
    expect(m.population?.indicatorId).toBe('population.mid2015.lsoa11');
    expect(m.district).toEqual({ code: leeds, name: 'Leeds' });
    expect(m.a.units.length).toBe(new Set(lsoas.map((l) => l.ward)).size);
    expect(m.b.units.map((u) => u.code).sort()).toEqual([...new Set(lsoas.map((l) => l.ccg))].sort());

    for (const share of rowShares(m).values()) close(share, 1);
    const expected = new Map<string, number>();
    for (const l of lsoas) expected.set(`${l.ward}|${l.ccg}`, (expected.get(`${l.ward}|${l.ccg}`) ?? 0) + l.population);
    expect(m.cells.length).toBe(expected.size);
    for (const c of m.cells) close(c.population, expected.get(`${c.a}|${c.b}`)!);

    const leedsPeople = lsoas.reduce((s, l) => s + l.population, 0);
    close(m.total.population, leedsPeople);
    close(m.scope.population, leedsPeople);
    // Each ward's whole population, and the CCG's share of it.
    for (const u of m.a.units) close(u.population, lsoas.filter((l) => l.ward === u.code).reduce((s, l) => s + l.population, 0));
    // The 2011 boundaries are loaded, so areas are known and add up to the district's.
    expect(m.scope.lsoasWithoutBoundary).toBe(0);
    close(m.total.areaSqKm, m.scope.areaSqKm!, 3);
    expect(m.total.areaSqKm!).toBeGreaterThan(500);
    expect(ms).toBeLessThan(engine === 'pglite' ? 5000 : 2000);
  });

  it('lists wards (2019) by 2021 LSOAs as pairs, sharing split LSOAs by area, still adding up to the district', async () => {
    const [m, ms] = await timed(() => overlapMatrix(database.db, anyone, ward19, lsoa21, { lad: leeds }));
    console.info(`${engine}: Leeds wards (2019) × 2021 LSOAs in ${ms.toFixed(0)} ms (${m.cells.length} pairs)`);
    expect(m.lsoaVintage).toBe('lsoa11');
    expect(m.notes.join(' ')).toContain('2021 LSOAs');
    expect(m.b.units.length).toBeGreaterThan(400);
    for (const share of rowShares(m).values()) close(share, 1);
    close(m.total.population, lsoas.reduce((s, l) => s + l.population, 0));
    // Every 2021 LSOA's people are all in the pairs (its 2011 sources lie in Leeds too).
    const byB = new Map<string, number>();
    for (const c of m.cells) byB.set(c.b, (byB.get(c.b) ?? 0) + (c.population ?? 0));
    for (const u of m.b.units) close(byB.get(u.code) ?? 0, u.populationInScope!, 4);
    // A 2011 LSOA split in two gives each 2021 part its share of area: the weights on a 2011 LSOA add up to 1.
    const [split] = await queryRows<{ code: string }>(database.db, sql`select from_code as code from area_lookups where from_vintage = 'lsoa11' and to_vintage = 'lsoa21' and change_code = 'S' and share is not null and from_code in (${sql.join(lsoas.map((l) => sql`${l.code}`), sql`, `)}) limit 1`);
    expect(split).toBeDefined();

    const member = new Client(app);
    const page = await member.get(`/neighbourhoods/overlap?a=ward19&b=lsoa21&lad=${leeds}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(`${m.cells.length.toLocaleString('en-GB')} pairs of a ward and an LSOA that overlap in Leeds`);
    expect(page.body).toContain('% of the LSOA’s area');
    expect(page.body).toContain('id="map-values"');
  });

  it('puts 2021 geographies on 2021 LSOAs, with the estimates for them', async () => {
    const m = await overlapMatrix(database.db, anyone, { kind: 'areas', vintage: 'ward24' }, lsoa21, { lad: leeds });
    expect(m.lsoaVintage).toBe('lsoa21');
    expect(m.population?.indicatorId).toBe('population.mid2020-estimate.lsoa21');
    for (const share of rowShares(m).values()) close(share, 1);
    // Each 2021 LSOA lies in one ward: one pair per LSOA, each all of the LSOA.
    expect(m.cells.length).toBe(m.b.units.length);
    for (const c of m.cells) close(c.shareOfB, 1);
  });

  it('shows a neighbourhood made of two wards against the wards: each ward wholly in it', async () => {
    const wards = [...new Set(lsoas.map((l) => l.ward))].sort().slice(0, 2);
    const id = await createNeighbourhood(database.db, { name: 'Two Leeds wards', purpose: 'resident-defined', sharing: 'public', description: null }, { method: 'wards', geography: 'ward19', codes: wards }, { organisationId, userId: null }, cliActor);
    const ref = parseGeographyRef(`neighbourhood:${id}`)!;
    const m = await overlapMatrix(database.db, anyone, ref, ward19);
    expect(m.a.units).toHaveLength(1);
    expect(m.a.units[0]!.name).toBe('Two Leeds wards');
    expect(m.b.units.map((u) => u.code).sort()).toEqual(wards);
    for (const c of m.cells) close(c.shareOfB, 1);
    close(rowShares(m).get(id)!, 1);
    close(m.a.units[0]!.population, lsoas.filter((l) => wards.includes(l.ward)).reduce((s, l) => s + l.population, 0));

    // Within the district, every ward is a column; only its two have people in the neighbourhood.
    const inLeeds = await overlapMatrix(database.db, anyone, ward19, ref, { lad: leeds });
    expect(inLeeds.a.units.length).toBe(new Set(lsoas.map((l) => l.ward)).size);
    expect(inLeeds.cells.map((c) => c.a).sort()).toEqual(wards);
    const client = new Client(app);
    const page = await client.get(`/neighbourhoods/overlap?a=neighbourhood:${id}&b=ward19`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('100% of');
    // The neighbourhood is offered in the form's lists.
    expect((await client.get('/neighbourhoods/overlap')).body).toContain(`value="neighbourhood:${id}"`);
  });

  it('answers a neighbourhood not shared with the visitor as if it were not there', async () => {
    const wards = [...new Set(lsoas.map((l) => l.ward))].sort().slice(2, 3);
    const id = await createNeighbourhood(database.db, { name: 'Private patch', purpose: 'locality', sharing: 'organisation', description: null }, { method: 'wards', geography: 'ward19', codes: wards }, { organisationId, userId: null }, cliActor);
    await expect(overlapMatrix(database.db, anyone, { kind: 'neighbourhood', id }, ward19)).rejects.toMatchObject({ status: 404 });
    const anonymous = new Client(app);
    const refused = await anonymous.get(`/neighbourhoods/overlap?a=neighbourhood:${id}&b=ward19`);
    expect(refused.statusCode).toBe(404);
    expect(refused.body).toContain(`No neighbourhood ${id} is shared with you`);
    expect(refused.body).not.toContain('Private patch');
    const missing = await anonymous.get(`/api/v1/overlap?a=neighbourhood:00000000-0000-4000-8000-000000000000&b=ward19`);
    expect((await anonymous.get(`/api/v1/overlap?a=neighbourhood:${id}&b=ward19`)).body.replaceAll(id, 'X')).toBe(missing.body.replaceAll('00000000-0000-4000-8000-000000000000', 'X'));
    const member = new Client(app);
    await member.signIn(emailOf('member'));
    const seen = await member.get(`/api/v1/overlap?a=neighbourhood:${id}&b=ward19`);
    expect(seen.statusCode).toBe(200);
    expect(seen.json().a.units[0].name).toBe('Private patch');
  });

  it('exports the pairs as CSV, from the page and the API, and answers JSON', async () => {
    const client = new Client(app);
    const m = await overlapMatrix(database.db, anyone, ward19, ccg20, { lad: leeds });
    const page = await client.get(`/neighbourhoods/overlap?a=ward19&b=ccg20&lad=${leeds}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<th scope="col"');
    expect(page.body).toContain('% of');
    const csv = await client.get(`/neighbourhoods/overlap?a=ward19&b=ccg20&lad=${leeds}&format=csv`);
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.headers['content-disposition']).toContain(`overlap-ward19-ccg20-${leeds}.csv`);
    expect(csv.body.split('\n')[0]).toBe('aGeography,aCode,aName,bGeography,bCode,bName,population,populationShareOfA,populationShareOfB,areaSqKm,areaShareOfA,areaShareOfB,lsoaVintage,populationSource,district');
    const rows = parse(csv.body, { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(m.cells.length);
    const first = m.cells[0]!;
    const row = rows.find((r) => r.aCode === first.a && r.bCode === first.b)!;
    expect(Number(row.population)).toBeCloseTo(first.population!, 1);
    expect(Number(row.populationShareOfA)).toBeCloseTo(first.shareOfA!, 5);
    expect(row.district).toBe(leeds);
    expect((await client.get(`/api/v1/overlap?a=ward19&b=ccg20&lad=${leeds}&format=csv`)).body).toBe(csv.body);
    const json = await client.get(`/api/v1/overlap?a=ward19&b=ccg20&lad=${leeds}`);
    expect(json.statusCode).toBe(200);
    const body = json.json();
    expect(body.cells).toHaveLength(m.cells.length);
    expect(body.a.geography).toBe('ward19');
    expect(body.lsoas).toBeUndefined();
  });

  it('refuses what it cannot answer, saying why', async () => {
    const client = new Client(app);
    const unknown = await client.get('/neighbourhoods/overlap?a=ward99&b=ccg20');
    expect(unknown.statusCode).toBe(400);
    expect(unknown.body).toContain('“ward99” is not a geography Patchwork can compare');
    const api = await client.get('/api/v1/overlap?a=ward19&b=pcn');
    expect(api.statusCode).toBe(400);
    expect(api.json().detail).toContain('“pcn” is not a geography');
    const badDistrict = await client.get('/neighbourhoods/overlap?a=ward19&b=ccg20&lad=Leeds');
    expect(badDistrict.statusCode).toBe(400);
    expect(badDistrict.body).toContain('Enter a district code such as E08000035');
    const badNeighbourhood = await client.get('/api/v1/overlap?a=neighbourhood:nope&b=ccg20&lad=E09999999');
    expect(badNeighbourhood.statusCode).toBe(400);
    const unknownDistrict = await client.get('/api/v1/overlap?a=ward19&b=ccg20&lad=E09999999');
    expect(unknownDistrict.statusCode).toBe(404);
    expect(unknownDistrict.json().detail).toContain('E09999999 is not a district Patchwork has 2011 LSOAs for');
    const tooLarge = await client.get('/neighbourhoods/overlap?a=ward19&b=ccg20');
    expect(tooLarge.statusCode).toBe(400);
    expect(tooLarge.body).toContain('for the whole of England is too large to show: enter a district code');
    await expect(overlapMatrix(database.db, anyone, ward19, lsoa21)).rejects.toBeInstanceOf(OverlapError);
    const notLoaded = await client.get(`/api/v1/overlap?a=ward25&b=ward19&lad=${leeds}`);
    expect(notLoaded.statusCode).toBe(404);
    expect(notLoaded.json().detail).toContain('the lookup from 2021 LSOAs to them is not loaded');
    // The form itself, not a neighbourhood called "overlap".
    const form = await client.get('/neighbourhoods/overlap');
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('Compare footprints');
  });

  it('compares districts and CCGs across England without a district', async () => {
    const [m, ms] = await timed(() => overlapMatrix(database.db, anyone, { kind: 'areas', vintage: 'lad19' }, ccg20));
    console.info(`${engine}: all districts (2019) × CCGs in England in ${ms.toFixed(0)} ms (${m.cells.length} pairs)`);
    expect(m.a.units.length).toBeGreaterThan(300);
    for (const share of rowShares(m).values()) close(share, 1);
    const [england] = await queryRows<{ people: number }>(database.db, sql`select sum(value) as people from indicator_values where indicator_id = 'population.mid2015.lsoa11'`);
    close(m.total.population, Number(england!.people), 0);
    // Boundaries are loaded for Leeds only: areas are not given where they count.
    expect(m.total.areaSqKm).toBeNull();
  });
});
