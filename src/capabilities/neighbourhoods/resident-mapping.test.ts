import path from 'node:path';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../../platform/audit/audit.ts';
import { queryRows } from '../../platform/db/database.ts';
import { createTestDatabase, engines, type TestDatabase } from '../../../tests/support/engines.ts';
import { Client, emailOf, seedPeople, startTestApp } from '../../../tests/support/app.ts';
import { loadBundledSteps } from '../../../tests/support/data.ts';
import { importBoundaries } from '../geography/boundaries.ts';
import { bundledDataDir } from '../indicators/bundled-data.ts';
import { metresPerMinute, minimumResponses } from './resident-mapping.ts';

describe.each(engines)('asking residents where their neighbourhood is, on %s', (engine) => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let member: Client;
  let outsider: Client;
  /** Three Leeds places (2021 MSOAs) and the 2021 LSOAs of each. */
  let places: { code: string; name: string; lsoas: string[] }[];
  let leeds: string;
  let wigan: string;
  let wiganPostcode: { postcode: string; x: number; y: number };

  const anonymous = () => new Client(app);
  const drawings = async (mappingId: string) => queryRows<{ method: string; area_sq_km: number; place_codes: string[] | null; walk_minutes: number | null; anchors: string[]; other_anchor: string | null }>(database.db, sql`select * from resident_drawings where mapping_id = ${mappingId}`);
  const open = async (ladCode: string, place: string, resultsSharing = 'organisation') => {
    const response = await member.post('/organisations/test-org/resident-mapping', { place, ladCode, introduction: 'So that services fit the places people know (sample data).', resultsSharing });
    expect(response.statusCode).toBe(303);
    return String(response.headers.location).split('/').pop()!;
  };
  const answer = async (mappingId: string, form: Record<string, string | string[]>) => {
    const resident = anonymous();
    await resident.get(`/have-your-say/neighbourhood/${mappingId}`);
    return resident.post(`/have-your-say/neighbourhood/${mappingId}`, form);
  };

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    await seedPeople(database);
    await loadBundledSteps(database.db, ['lookup.lsoa21-ward24-lad24', 'names.msoa21', 'postcodes.nspl2021']);
    await importBoundaries(database.db, path.resolve('tests/fixtures/boundaries/lsoa21/E08000035.geojson.gz'), cliActor);
    await importBoundaries(database.db, path.join(bundledDataDir, 'boundaries/lsoa21/E08000010.geojson.gz'), cliActor);
    app = await startTestApp(database, { SIGN_IN_RATE_LIMIT: '1000' });
    member = new Client(app);
    await member.signIn(emailOf('member'));
    outsider = new Client(app);
    await outsider.signIn(emailOf('outsider'));
    leeds = await open('E08000035', 'Headingley');
    wigan = await open('E08000010', 'Pemberton', 'public');
    // Three neighbouring places in Leeds: the smallest (in the city) and two that touch it.
    const neighbours = await queryRows<{ code: string; name: string }>(
      database.db,
      sql`with leeds as (select a.code, a.boundary, l.to_code as msoa from area_lookups d join areas a on a.vintage = 'lsoa21' and a.code = d.from_code
                         join area_lookups l on l.from_vintage = 'lsoa21' and l.from_code = a.code and l.to_vintage = 'msoa21'
                         where d.from_vintage = 'lsoa21' and d.to_code = 'E08000035'),
               msoa as (select msoa, ST_Union(boundary) as g from leeds group by msoa)
          select m2.msoa as code, a.name from msoa m1 join msoa m2 on ST_Touches(m1.g, m2.g) or m1.msoa = m2.msoa
          join areas a on a.vintage = 'msoa21' and a.code = m2.msoa
          where m1.msoa = (select msoa from msoa order by ST_Area(g), msoa limit 1) order by (m1.msoa = m2.msoa) desc, m2.msoa limit 3`,
    );
    places = [];
    for (const p of neighbours) {
      const lsoas = (await queryRows<{ code: string }>(database.db, sql`select from_code as code from area_lookups where from_vintage = 'lsoa21' and to_vintage = 'msoa21' and to_code = ${p.code} order by 1`)).map((r) => r.code);
      places.push({ ...p, lsoas });
    }
    const [pc] = await queryRows<{ postcode: string; x: number; y: number }>(
      database.db,
      sql`select display as postcode, ST_X(ST_Transform(location, 27700)) as x, ST_Y(ST_Transform(location, 27700)) as y from postcodes
          where lad = 'E08000010' and terminated is null and location is not null order by postcode limit 1`,
    );
    wiganPostcode = { postcode: pc!.postcode, x: Number(pc!.x), y: Number(pc!.y) };
  });
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('links every 2021 LSOA to a named MSOA, and offers a district’s places by those names', async () => {
    const [counts] = await queryRows<{ msoas: number; lsoas: number; linked: number }>(
      database.db,
      sql`select (select count(*)::int from areas where vintage = 'msoa21') as msoas, (select count(*)::int from areas where vintage = 'lsoa21') as lsoas,
                 (select count(*)::int from area_lookups where from_vintage = 'lsoa21' and to_vintage = 'msoa21') as linked`,
    );
    expect(counts).toEqual({ msoas: 6856, lsoas: counts!.lsoas, linked: counts!.lsoas });
    expect(places).toHaveLength(3);
    const page = await anonymous().get(`/have-your-say/neighbourhood/${leeds}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Where is your neighbourhood?');
    // House of Commons Library names ("Wetherby West"), not ONS's "Leeds 001".
    expect(page.body).toContain('Wetherby West');
    expect(page.body).not.toContain('>Leeds 001<');
  });

  it('takes an answer from chosen places without an account, and keeps nothing about who gave it', async () => {
    const response = await answer(leeds, { how: 'places', places: [places[0]!.code, places[1]!.code], anchors: ['school', 'park'], otherAnchor: 'The Arndale' });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe(`/have-your-say/neighbourhood/${leeds}/thanks`);
    const [stored] = await drawings(leeds);
    expect(stored).toMatchObject({ method: 'places', place_codes: [places[0]!.code, places[1]!.code], anchors: ['school', 'park'], other_anchor: 'The Arndale' });
    const columns = (await queryRows<{ column_name: string }>(database.db, sql`select column_name from information_schema.columns where table_name = 'resident_drawings' order by 1`)).map((c) => c.column_name);
    expect(columns).toEqual(['anchors', 'area_sq_km', 'boundary', 'id', 'mapping_id', 'method', 'other_anchor', 'place_codes', 'submitted_on', 'walk_minutes']);
    const [area] = await queryRows<{ area: number }>(
      database.db,
      sql`select ST_Area(ST_Transform(ST_Union(boundary), 27700)) / 1e6 as area from areas where vintage = 'lsoa21' and code in (${sql.join([...places[0]!.lsoas, ...places[1]!.lsoas].map((c) => sql`${c}`), sql`, `)})`,
    );
    expect(Number(stored!.area_sq_km)).toBeCloseTo(Number(area!.area), 6);
  });

  it('takes a walk from a postcode as a circle, its centre rounded to 100 m so the postcode is not kept', async () => {
    const response = await answer(wigan, { how: 'walk', postcode: wiganPostcode.postcode.toLowerCase().replace(' ', ''), minutes: '10' });
    expect(response.statusCode).toBe(303);
    const [stored] = await queryRows<{ x: number; y: number; area: number; minutes: number }>(
      database.db,
      sql`select ST_X(c) as x, ST_Y(c) as y, area_sq_km as area, walk_minutes as minutes from (select ST_Centroid(ST_Transform(boundary, 27700)) as c, area_sq_km, walk_minutes from resident_drawings where mapping_id = ${wigan}) d`,
    );
    const radius = 10 * metresPerMinute;
    expect(stored!.minutes).toBe(10);
    expect(Number(stored!.area)).toBeCloseTo((Math.PI * radius * radius) / 1e6, 1);
    // The centre is on the 100 m grid (within reprojection error), and within 71 m of the postcode.
    expect(Math.abs(Number(stored!.x) / 100 - Math.round(Number(stored!.x) / 100))).toBeLessThan(0.01);
    expect(Math.abs(Number(stored!.y) / 100 - Math.round(Number(stored!.y) / 100))).toBeLessThan(0.01);
    expect(Math.hypot(Number(stored!.x) - wiganPostcode.x, Number(stored!.y) - wiganPostcode.y)).toBeLessThan(71);
    const text = JSON.stringify(await queryRows(database.db, sql`select * from resident_drawings where mapping_id = ${wigan}`));
    expect(text).not.toContain(wiganPostcode.postcode.replace(' ', ''));
  });

  it('takes a shape drawn on the map, repaired if it crosses itself', async () => {
    const [c] = await queryRows<{ x: number; y: number }>(database.db, sql`select ST_X(p) as x, ST_Y(p) as y from (select ST_PointOnSurface(boundary) as p from areas where vintage = 'lsoa21' and code = ${places[0]!.lsoas[0]!}) x`);
    const [x, y] = [Number(c!.x), Number(c!.y)];
    // A bow tie: its two halves cross, which PostGIS repairs into two triangles.
    const bowTie = { type: 'Polygon', coordinates: [[[x - 0.004, y - 0.003], [x + 0.004, y + 0.003], [x + 0.004, y - 0.003], [x - 0.004, y + 0.003], [x - 0.004, y - 0.003]]] };
    const response = await answer(leeds, { how: 'map', drawn: JSON.stringify(bowTie) });
    expect(response.statusCode).toBe(303);
    expect((await drawings(leeds)).map((d) => d.method).sort()).toEqual(['map', 'places']);
  });

  it('refuses bad answers with a specific message and stores nothing', async () => {
    const before = (await drawings(leeds)).length;
    const cases: [Record<string, string | string[]>, string][] = [
      [{}, 'Choose how you will show your neighbourhood'],
      [{ how: 'places' }, 'Choose at least one place'],
      [{ how: 'places', places: 'E02000001' }, 'Choose places from the list for Leeds'],
      [{ how: 'walk', postcode: 'not a postcode', minutes: '10' }, '&quot;not a postcode&quot; is not a postcode'],
      [{ how: 'walk', postcode: 'LS6 3AA', minutes: '10' }, 'LS6 3AA is not among the postcodes loaded into Patchwork'],
      [{ how: 'walk', postcode: wiganPostcode.postcode, minutes: '10' }, 'That is not in Leeds'],
      [{ how: 'walk', postcode: 'WN1 1AA', minutes: '45' }, 'Choose how many minutes’ walk'],
      [{ how: 'map', drawn: '' }, 'Draw your neighbourhood on the map'],
      [{ how: 'map', drawn: JSON.stringify({ type: 'Polygon', coordinates: [[[-1.9, 53.7], [-1.2, 53.7], [-1.2, 54.0], [-1.9, 54.0], [-1.9, 53.7]]] }) }, 'show the area you think of as your neighbourhood, at most 50 km²'],
      [{ how: 'places', places: places[0]!.code, anchors: 'castle' }, 'Choose anchors from the list'],
      [{ how: 'places', places: places[0]!.code, otherAnchor: 'x'.repeat(81) }, 'Name the other place in 80 characters or fewer'],
    ];
    for (const [form, message] of cases) {
      const response = await answer(leeds, form);
      expect(response.statusCode, JSON.stringify(form)).toBe(400);
      expect(response.body, JSON.stringify(form)).toContain(message);
      expect(response.body).toContain('govuk-error-summary');
    }
    // Without the form's CSRF token, nothing is taken either.
    expect((await anonymous().post(`/have-your-say/neighbourhood/${leeds}`, { how: 'places', places: places[0]!.code }, { csrf: false })).statusCode).toBe(403);
    expect((await drawings(leeds)).length).toBe(before);
  });

  it(`withholds the summary below ${minimumResponses} answers, then outlines where at least half agree`, async () => {
    expect((await member.get(`/resident-mapping/${leeds}`)).body).toContain(`The summary appears once at least ${minimumResponses} people have answered (2 so far)`);
    const api = await member.get(`/api/v1/resident-mapping/${leeds}`);
    expect(api.json()).toMatchObject({ responses: 2, suppressed: true, lsoas: [], outline: null });

    // Answers so far: places 0+1 (with school and park), and a small drawing inside place 0. Three more:
    // place 0 alone, places 0+2, and place 0 again. Place 0 is then in all 5 answers, place 1 in 1 (the
    // drawing is inside place 0), place 2 in 1.
    for (const chosen of [[0], [0, 2], [0]]) {
      const response = await answer(leeds, { how: 'places', places: chosen.map((i) => places[i]!.code), anchors: 'school' });
      expect(response.statusCode, /govuk-error-summary__list[\s\S]*?<\/ul>/.exec(response.body)?.[0]).toBe(303);
    }
    const result = (await member.get(`/api/v1/resident-mapping/${leeds}?threshold=50`)).json() as { responses: number; suppressed: boolean; lsoas: { code: string; answers: number }[]; outlineAreaSqKm: number; anchors: { anchor: string; answers: number }[] };
    expect(result).toMatchObject({ responses: 5, suppressed: false });
    const answersFor = (code: string) => result.lsoas.find((l) => l.code === code)?.answers ?? 0;
    for (const lsoa of places[0]!.lsoas) expect(answersFor(lsoa), lsoa).toBeGreaterThanOrEqual(4);
    for (const lsoa of places[1]!.lsoas) expect(answersFor(lsoa)).toBe(1);
    for (const lsoa of places[2]!.lsoas) expect(answersFor(lsoa)).toBe(1);
    expect(result.anchors).toEqual([
      { anchor: 'school', answers: 4 },
      { anchor: 'park', answers: 1 },
    ]);
    // The agreed outline is place 0, to within the grid's squares.
    const [area] = await queryRows<{ area: number }>(database.db, sql`select ST_Area(ST_Transform(ST_Union(boundary), 27700)) / 1e6 as area from areas where vintage = 'lsoa21' and code in (${sql.join(places[0]!.lsoas.map((c) => sql`${c}`), sql`, `)})`);
    expect(result.outlineAreaSqKm / Number(area!.area)).toBeGreaterThan(0.85);
    expect(result.outlineAreaSqKm / Number(area!.area)).toBeLessThan(1.15);

    const page = await member.get(`/resident-mapping/${leeds}`);
    expect(page.body).toContain('<svg class="pw-consensus"');
    expect(page.body).toContain('covered by at least 3 of the 5 answers');
    // One resident's own words are never shown; the same place named by several would be.
    expect(page.body).not.toContain('The Arndale');
    const csv = await member.get(`/resident-mapping/${leeds}?format=csv`);
    expect(csv.body.split('\n')[0]).toBe('lsoa21,name,place,answers,shareOfAnswers');
  });

  it('makes the agreed area a neighbourhood whose LSOAs are the agreed place', async () => {
    const response = await member.post(`/organisations/test-org/resident-mapping/${leeds}/neighbourhood`, { threshold: '50', name: 'Headingley as residents see it', sharing: 'public' });
    expect(response.statusCode).toBe(303);
    const id = String(response.headers.location).split('/').pop()!;
    const [made] = await queryRows<{ purpose: string; method: string; description: string }>(
      database.db,
      sql`select n.purpose, v.method, n.description from neighbourhoods n join neighbourhood_versions v on v.neighbourhood_id = n.id where n.id = ${id}`,
    );
    expect(made).toMatchObject({ purpose: 'resident-defined', method: 'resident-consensus' });
    expect(made!.description).toContain('Where at least 50% of the 5 residents');
    const mostly = (await queryRows<{ code: string }>(database.db, sql`select lsoa_code as code from neighbourhood_lsoas v join neighbourhood_versions nv on nv.id = v.version_id where nv.neighbourhood_id = ${id} and v.lsoa_vintage = 'lsoa21' and v.area_share > 0.5`)).map((r) => r.code).sort();
    expect(mostly).toEqual([...places[0]!.lsoas].sort());
  });

  it('shows the summary only to those it is shared with, and only the owner closes or saves it', async () => {
    expect((await anonymous().get(`/resident-mapping/${leeds}`)).statusCode).toBe(404);
    expect((await anonymous().get(`/api/v1/resident-mapping/${leeds}`)).statusCode).toBe(404);
    expect((await outsider.get(`/resident-mapping/${leeds}`)).statusCode).toBe(404);
    expect((await anonymous().get(`/resident-mapping/${wigan}`)).statusCode).toBe(200);
    // Anyone can find and answer an open question.
    expect((await anonymous().get('/resident-mapping')).body).toContain('Headingley');
    expect([403, 404]).toContain((await outsider.post(`/organisations/test-org/resident-mapping/${leeds}/open`, { open: 'false' })).statusCode);
    const late = anonymous();
    await late.get(`/have-your-say/neighbourhood/${leeds}`);
    expect((await member.post(`/organisations/test-org/resident-mapping/${leeds}/open`, { open: 'false' })).statusCode).toBe(303);
    expect((await anonymous().get(`/have-your-say/neighbourhood/${leeds}`)).body).toContain('This question has closed');
    // A resident who opened the form before it closed is told so, and their answer is not taken.
    const tooLate = await late.post(`/have-your-say/neighbourhood/${leeds}`, { how: 'places', places: places[0]!.code });
    expect(tooLate.statusCode).toBe(400);
    expect(tooLate.body).toContain('This question has closed');
  });
});
