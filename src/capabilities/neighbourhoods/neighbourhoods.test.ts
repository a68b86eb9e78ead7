import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../../platform/audit/audit.ts';
import { queryRows } from '../../platform/db/database.ts';
import { createTestDatabase, engines, type TestDatabase } from '../../../tests/support/engines.ts';
import { Client, emailOf, seedPeople, startTestApp } from '../../../tests/support/app.ts';
import { loadBundledSteps } from '../../../tests/support/data.ts';
import { importBoundaries } from '../geography/boundaries.ts';
import { findEdition } from '../indicators/service.ts';
import { addVersion, createNeighbourhood, neighbourhoodProfile, NeighbourhoodError } from './service.ts';

describe.each(engines)('neighbourhoods on %s', (engine) => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let member: Client;
  let organisationId: string;
  /** Two Leeds wards (December 2019) and their LSOAs with the IoD2019 denominators and IMD. */
  let wards: string[];
  let lsoas: { code: string; ward: string; population: number; score: number; decile: number }[];

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    organisationId = (await seedPeople(database)).organisationId;
    await loadBundledSteps(database.db, ['lookup.lsoa11-ward19-lad19', 'lookup.lsoa21-ward24-lad24', 'lookup.lsoa11-lsoa21', 'population.iod2019', 'edition.iod2019', 'centroids.lsoa11']);
    for (const vintage of ['lsoa11', 'lsoa21']) await importBoundaries(database.db, path.resolve(`tests/fixtures/boundaries/${vintage}/E08000035.geojson.gz`), cliActor);
    app = await startTestApp(database, { SIGN_IN_RATE_LIMIT: '1000' });
    member = new Client(app);
    await member.signIn(emailOf('member'));
    wards = (await queryRows<{ code: string }>(database.db, sql`select distinct to_code as code from area_lookups where from_vintage = 'lsoa11' and to_vintage = 'ward19' and from_code in (select from_code from area_lookups where to_code = 'E08000035') order by 1 limit 2`)).map((r) => r.code);
    lsoas = await queryRows(
      database.db,
      sql`select l.from_code as code, l.to_code as ward, p.value as population, v.value as score, v.decile from area_lookups l
          join indicator_values p on p.indicator_id = 'population.mid2015.lsoa11' and p.code = l.from_code
          join indicator_values v on v.indicator_id = 'iod2019.imd' and v.code = l.from_code
          where l.from_vintage = 'lsoa11' and l.to_vintage = 'ward19' and l.to_code in (${sql.join(wards.map((w) => sql`${w}`), sql`, `)})`,
    );
  });
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  const details = { name: 'Two wards', purpose: 'service-delivery', sharing: 'public', description: 'A sample neighbourhood (sample data)' };

  it('is made from wards: every LSOA of them counted once, in full, and profiled from them', async () => {
    const response = await member.post('/organisations/test-org/neighbourhoods', { ...details, geography: 'ward19', codes: wards[0]!, pasted: wards[1]! });
    expect(response.statusCode).toBe(303);
    const url = String(response.headers.location);
    const page = await member.get(`${url}?edition=iod2019`);
    expect(page.statusCode).toBe(200);
    const people = lsoas.reduce((a, l) => a + Number(l.population), 0);
    expect(page.body).toContain(`${people.toLocaleString('en-GB')} (the edition’s denominator`);
    const average = lsoas.reduce((a, l) => a + Number(l.score) * Number(l.population), 0) / people;
    expect(page.body).toContain(average.toLocaleString('en-GB', { minimumFractionDigits: 3, maximumFractionDigits: 3 }));
    const inDecile1 = lsoas.filter((l) => l.decile === 1).reduce((a, l) => a + Number(l.population), 0);
    expect(page.body).toContain(`${inDecile1.toLocaleString('en-GB')} (`);

    // The CSV lists each LSOA with its share; the 2021 LSOAs are apportioned from the shape as well.
    const csv = parse((await member.get(`${url}?edition=iod2019&format=csv`)).body, { columns: true }) as Record<string, string>[];
    expect(csv.map((r) => r.lsoa).sort()).toEqual(lsoas.map((l) => l.code).sort());
    expect(csv.every((r) => r.share === '1' && r.method === 'whole-lsoa')).toBe(true);
    const id = url.split('/').pop()!;
    const lsoa21 = await queryRows<{ n: number; partial: number }>(
      database.db,
      sql`select count(*)::int as n, count(*) filter (where share < 1)::int as partial from neighbourhood_lsoas l join neighbourhood_versions v on v.id = l.version_id
          where v.neighbourhood_id = ${id} and l.lsoa_vintage = 'lsoa21' and l.share > 0`,
    );
    expect(lsoa21[0]!.n).toBeGreaterThan(0);

    // The API gives the same profile.
    const api = (await app.inject(`/api/v1/neighbourhoods/${id}?edition=iod2019`)).json() as { population: number; lsoas: { code: string; share: number }[]; domains: { key: string; averageScore: number }[] };
    expect(api.population).toBe(people);
    expect(api.lsoas).toHaveLength(lsoas.length);
    expect(api.domains.find((d) => d.key === 'imd')!.averageScore).toBeCloseTo(average, 9);
    const list = (await app.inject('/api/v1/neighbourhoods')).json() as { neighbourhoods: { id: string; population: number | null }[] };
    expect(list.neighbourhoods.map((n) => n.id)).toContain(id);
  });

  it('counts an LSOA inside a drawn boundary by its population-weighted centroid, never twice', async () => {
    // Two LSOAs' shapes, given as one boundary drawn twice over (overlapping parts): each LSOA counts once.
    const two = lsoas.slice(0, 2).map((l) => l.code);
    const [shape] = await queryRows<{ geojson: string }>(
      database.db,
      sql`select ST_AsGeoJSON(ST_Collect(array[ST_Union(boundary), ST_Union(boundary)])) as geojson from areas where vintage = 'lsoa11' and code in (${sql.join(two.map((c) => sql`${c}`), sql`, `)})`,
    );
    const union = await queryRows<{ geojson: string }>(database.db, sql`select ST_AsGeoJSON(ST_Union(ST_GeomFromGeoJSON(${shape!.geojson}))) as geojson`);
    const id = await createNeighbourhood(database.db, { ...details, name: 'Drawn' } as never, { method: 'drawn', geoJson: union[0]!.geojson, repairNote: null }, { organisationId, userId: null }, cliActor);
    const edition = (await findEdition(database.db, 'iod2019'))!;
    const [version] = await queryRows<{ id: string }>(database.db, sql`select id from neighbourhood_versions where neighbourhood_id = ${id}`);
    const profile = await neighbourhoodProfile(database.db, version!.id, edition);
    const counted = profile.lsoas.filter((l) => l.share > 0);
    expect(counted.map((l) => l.code).sort()).toEqual([...two].sort());
    expect(counted.every((l) => l.method === 'population-weighted-centroid' && l.share === 1)).toBe(true);
    expect(profile.population).toBe(lsoas.filter((l) => two.includes(l.code)).reduce((a, l) => a + Number(l.population), 0));
  });

  it('is made from an uploaded boundary file or one drawn on the map, and refuses a bad one saying why', async () => {
    const [shape] = await queryRows<{ geojson: string }>(
      database.db,
      sql`select ST_AsGeoJSON(ST_Union(boundary)) as geojson from areas where vintage = 'lsoa11' and code in (${sql.join(lsoas.slice(0, 3).map((l) => sql`${l.code}`), sql`, `)})`,
    );
    const file = JSON.stringify({ type: 'FeatureCollection', features: [{ type: 'Feature', properties: {}, geometry: JSON.parse(shape!.geojson) }] });
    const uploaded = await member.postFile('/organisations/test-org/neighbourhoods', { ...details, name: 'Uploaded', how: 'upload' }, { field: 'file', filename: 'patch.geojson', content: file });
    expect(uploaded.statusCode).toBe(303);
    const page = await member.get(`${uploaded.headers.location}?edition=iod2019`);
    expect(page.body).toContain('made from an uploaded boundary');
    const counted = await queryRows<{ code: string }>(
      database.db,
      sql`select l.lsoa_code as code from neighbourhood_lsoas l join neighbourhood_versions v on v.id = l.version_id join neighbourhoods n on n.id = v.neighbourhood_id
          where n.name = 'Uploaded' and l.lsoa_vintage = 'lsoa11' and l.share > 0 order by 1`,
    );
    expect(counted.map((c) => c.code)).toEqual(lsoas.slice(0, 3).map((l) => l.code).sort());

    // Drawn on the map: the page sends the polygon as GeoJSON; a bow-tie is repaired and the page says so.
    const [box] = await queryRows<{ w: number; s: number; e: number; n: number }>(database.db, sql`select ST_XMin(b) as w, ST_YMin(b) as s, ST_XMax(b) as e, ST_YMax(b) as n from (select ST_Extent(boundary) as b from areas where vintage = 'lsoa11' and code = ${lsoas[0]!.code}) x`);
    const { w, s, e, n } = box!;
    const bowTie = { type: 'Polygon', coordinates: [[[w, s], [e, n], [e, s], [w, n], [w, s]]] };
    const drawn = await member.postFile('/organisations/test-org/neighbourhoods', { ...details, name: 'Drawn bow-tie', how: 'draw', drawn: JSON.stringify(bowTie) }, { field: 'file', filename: '', content: '' });
    expect(drawn.statusCode).toBe(303);
    expect((await member.get(String(drawn.headers.location))).body).toContain('The boundary was repaired when it was made: ');

    // The API gives each the same: how it was made, every LSOA's share and how it was reckoned, and the people counted.
    type Api = { sharing: string; version: { method: string; repairNote: string | null }; population: number; lsoas: { code: string; share: number; method: string; population: number; counted: number }[] };
    const uploadedApi = (await app.inject(`/api/v1/neighbourhoods/${String(uploaded.headers.location).split('/').pop()}?edition=iod2019`)).json() as Api;
    expect(uploadedApi.version).toMatchObject({ method: 'uploaded', repairNote: null });
    expect(uploadedApi.lsoas.filter((l) => l.share > 0).map((l) => l.code).sort()).toEqual(lsoas.slice(0, 3).map((l) => l.code).sort());
    expect(uploadedApi.lsoas.every((l) => l.method === 'population-weighted-centroid')).toBe(true);
    expect(uploadedApi.population).toBeCloseTo(uploadedApi.lsoas.reduce((sum, l) => sum + l.population * l.share, 0), 6);
    const drawnApi = (await app.inject(`/api/v1/neighbourhoods/${String(drawn.headers.location).split('/').pop()}?edition=iod2019`)).json() as Api;
    expect(drawnApi.version.method).toBe('drawn');
    expect(drawnApi.version.repairNote).toMatch(/crosses itself/);
    // The bow-tie lies over the first LSOA, which counts wholly or not at all by where its centroid falls.
    expect([0, 1]).toContain(drawnApi.lsoas.find((l) => l.code === lsoas[0]!.code)?.share);

    const outside = await member.postFile('/organisations/test-org/neighbourhoods', { ...details, name: 'Paris', how: 'upload' }, { field: 'file', filename: 'paris.geojson', content: JSON.stringify({ type: 'Polygon', coordinates: [[[2.3, 48.8], [2.4, 48.8], [2.4, 48.9], [2.3, 48.8]]] }) });
    expect(outside.statusCode).toBe(400);
    expect(outside.body).toMatch(/England/);
    const none = await member.postFile('/organisations/test-org/neighbourhoods', { ...details, name: 'Nothing', how: 'upload' }, { field: 'file', filename: '', content: '' });
    expect(none.body).toContain('Choose a GeoJSON file or a zipped shapefile');
  });

  it('refuses unknown codes, naming them, and stores nothing', async () => {
    const before = await queryRows<{ n: number }>(database.db, sql`select count(*)::int as n from neighbourhoods`);
    const response = await member.post('/organisations/test-org/neighbourhoods', { ...details, name: 'Bad', geography: 'ward19', pasted: `${wards[0]} E05999999` });
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('E05999999 is not a code of Wards (December 2019)');
    const empty = await member.post('/organisations/test-org/neighbourhoods', { ...details, name: '', geography: 'ward19' });
    expect(empty.body).toContain('Enter a name for the neighbourhood');
    expect(empty.body).toContain('Tick at least one area, or paste their codes');
    expect(await queryRows(database.db, sql`select count(*)::int as n from neighbourhoods`)).toEqual(before);
    await expect(createNeighbourhood(database.db, details as never, { method: 'lsoas', geography: 'lsoa11', codes: [] }, { organisationId, userId: null }, cliActor)).rejects.toBeInstanceOf(NeighbourhoodError);
  });

  it('keeps every version, shows the newest, and shows each only to those it is shared with', async () => {
    const response = await member.post('/organisations/test-org/neighbourhoods', { ...details, name: 'Private patch', sharing: 'organisation', geography: 'ward19', codes: wards[0]! });
    const url = String(response.headers.location);
    const id = url.split('/').pop()!;
    await addVersion(database.db, id, { method: 'wards', geography: 'ward19', codes: wards }, null, 'Took in the next ward', cliActor);
    const page = await member.get(`${url}?edition=iod2019`);
    expect(page.body).toContain('Version 2, made from chosen wards');
    expect(page.body).toContain('Took in the next ward');
    expect((await member.get(`${url}?edition=iod2019&version=1`)).body).toContain('not the current one, which is version 2');
    const anonymous = new Client(app);
    expect((await anonymous.get(url)).statusCode).toBe(404);
    const outsider = new Client(app);
    await outsider.signIn(emailOf('outsider'));
    expect((await outsider.get(url)).statusCode).toBe(404);
    expect((await outsider.get('/neighbourhoods')).body).not.toContain('Private patch');
    expect((await anonymous.get(`/api/v1/neighbourhoods/${id}`)).statusCode).toBe(404);
    const catalogue = (await member.get('/neighbourhoods?q=private')).body;
    expect(catalogue).toContain('Private patch');
    expect(catalogue).not.toContain('Two wards');
  });
});
