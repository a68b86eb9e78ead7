import { sql } from 'drizzle-orm';
import { loadWiganBoundaries, sampleRecord } from './testing.ts';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../../platform/audit/audit.ts';
import { queryRows } from '../../platform/db/database.ts';
import { Client, emailOf, seedPeople, startTestApp } from '../../../tests/support/app.ts';
import { loadBundledSteps } from '../../../tests/support/data.ts';
import { createTestDatabase, engines, type TestDatabase } from '../../../tests/support/engines.ts';
import { distanceText, findPlace, searchServices, type Distance, type SearchFilters } from './search.ts';
import { createService, mergeServices, type ScheduleInput, type ServiceInput } from './service.ts';

/** A directory record of invented details (sample data), placed by a real Wigan postcode or by none. */
function record(name: string, postcode: string | null, overrides: Partial<ServiceInput> = {}): ServiceInput {
  return sampleRecord({
    name,
    description: 'Invented for the tests: sample data.',
    free: true,
    locations: postcode ? [{ name, address1: '1 Sample Street', city: 'Wigan', postcode, longitude: null, latitude: null, accessibility: null }] : [],
    sample: true,
    ...overrides,
  });
}
const weekly = (byDay: string, opensAt: string | null, closesAt: string | null): ScheduleInput => ({ freq: 'WEEKLY', interval: 1, byDay, opensAt, closesAt, validFrom: null, validTo: null, description: null });

describe.each(engines)('finding assets on %s', (engine) => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let organisationId: string;
  /** A postcode in Pemberton ward, and others at known distances from it. */
  const at = { centre: '', near: '', mile: '', three: '', far: '' };
  const ids: Record<string, string> = {};
  const names = (rows: { name: string }[]) => rows.map((r) => r.name);
  const search = async (filters: SearchFilters, page = 1, size?: number) => searchServices(database.db, filters, { page, size });
  const centre = async (metres: Distance) => {
    const place = await findPlace(database.db, at.centre);
    if (place.status !== 'found') throw new Error('the centre postcode is not found');
    return { longitude: place.place.longitude, latitude: place.place.latitude, metres };
  };
  const near = async (metres: Distance, extra: SearchFilters = {}) => search({ ...extra, near: await centre(metres) });

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    ({ organisationId } = await seedPeople(database));
    await loadBundledSteps(database.db, ['lookup.lsoa21-ward24-lad24', 'names.msoa21', 'postcodes.nspl2021']);
    await loadWiganBoundaries(database.db);
    const [centre] = await queryRows<{ display: string }>(
      database.db,
      sql`select p.display from postcodes p join areas a on a.vintage = 'ward25' and a.name = 'Pemberton' and ST_Contains(a.boundary, p.location)
          where p.terminated is null order by p.location <-> a.centroid, p.postcode limit 1`,
    );
    at.centre = centre!.display;
    const around = await queryRows<{ display: string; metres: number }>(
      database.db,
      sql`select p.display, ST_Distance(ST_Transform(p.location, 27700), ST_Transform(c.location, 27700)) as metres
          from postcodes p, postcodes c where c.display = ${at.centre} and p.lad = 'E08000010' and p.terminated is null and p.location is not null order by metres, p.postcode`,
    );
    const within = (low: number, high: number) => around.find((p) => Number(p.metres) >= low && Number(p.metres) <= high)!.display;
    at.near = within(100, 400);
    at.mile = within(800, 1400);
    at.three = within(2200, 4000);
    at.far = within(7000, 12_000);

    const owner = { organisationId, userId: null };
    const add = async (key: string, input: ServiceInput) => (ids[key] = await createService(database.db, input, owner, cliActor));
    await add('centre', record('Pemberton Community Centre', at.near, { wheelchairAccessible: true, description: 'A hall and café with a weekly lunch club. Sample data.', schedules: [weekly('TU', '10:00', '12:00')] }));
    await add('library', record('Orrell Library', at.mile, { categories: ['library'], wheelchairAccessible: false, organisation: { name: 'Wigan Libraries (sample data)', description: null, url: null, email: null, phone: null }, schedules: [weekly('MO,TU,WE,TH,FR', '09:00', '17:00')] }));
    await add('garden', record('Greenfingers', at.mile, { categories: ['allotment'], description: 'Plots to grow your own. Sample data.' }));
    await add('football', record('Walking Football', at.three, {
      kind: 'activity', categories: ['physical-activity'], free: false, fees: '£2 a session',
      organisation: { name: 'Latics Community Trust (sample data)', description: null, url: null, email: null, phone: null }, schedules: [weekly('TH', '18:30', '20:00')],
    }));
    await add('lunch', record('Lunch Club', at.far, {
      kind: 'activity', categories: ['social-group', 'older-people'], wheelchairAccessible: true, description: 'A hot meal and company. Sample data.',
      schedules: [{ ...weekly('2WE', '12:00', '14:00'), freq: 'MONTHLY' }],
    }));
    await add('phone', record('Telephone Befriending', null, { kind: 'activity', categories: ['mental-wellbeing'], description: 'Weekly calls for people who feel alone. Sample data.' }));
    await add('closed', record('Pemberton Old Hall', at.near, { status: 'inactive' }));
    await add('duplicate', record('Pemberton Community Centre (old entry)', at.near));
    await mergeServices(database.db, ids.duplicate!, ids.centre!, organisationId, cliActor);
    for (let i = 1; i <= 23; i++) {
      await add(`knit${i}`, record(`Knit and Natter ${String(i).padStart(2, '0')}`, at.three, { kind: 'activity', categories: ['group-club'], schedules: [weekly('SA', '14:00', '16:00')] }));
    }
    app = await startTestApp(database);
  }, 600_000);
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('leaves out merged-away and inactive records, and lists the rest by name', async () => {
    const all = await search({}, 1, 100);
    expect(all.total).toBe(29);
    expect(names(all.rows)).not.toContain('Pemberton Community Centre (old entry)');
    expect(names(all.rows)).not.toContain('Pemberton Old Hall');
    expect(names(all.rows).slice(0, 3)).toEqual(['Greenfingers', 'Knit and Natter 01', 'Knit and Natter 02']);
    const centre = all.rows.find((r) => r.id === ids.centre)!;
    expect(centre).toMatchObject({ kind: 'place', organisation: 'Pemberton Community Trust (sample data)', free: true, wheelchairAccessible: true, sample: true, stale: false, schedules: ['Every Tuesday, 10:00 to 12:00'], metres: null });
    expect(centre.categories).toEqual([{ id: 'community-space', name: 'Community centres, halls and hubs' }]);
    expect(centre.location).toMatchObject({ postcode: at.near, address1: '1 Sample Street' });
    expect(names((await search({ statuses: ['inactive'] })).rows)).toEqual(['Pemberton Old Hall']);
  });

  it('finds by words in the name and description, and by the names of categories and organisations', async () => {
    expect(names((await search({ words: 'library' })).rows)).toEqual(['Orrell Library']);
    // "lunch" is Lunch Club's name and in the centre's description: the name ranks first.
    expect(names((await search({ words: 'lunch' })).rows)).toEqual(['Lunch Club', 'Pemberton Community Centre']);
    expect(names((await search({ words: 'allotments' })).rows)).toEqual(['Greenfingers']);
    expect(names((await search({ words: 'community trust' }, 1, 100)).rows).sort()).toEqual(['Greenfingers', 'Lunch Club', 'Pemberton Community Centre', 'Telephone Befriending', 'Walking Football', ...Array.from({ length: 23 }, (_, i) => `Knit and Natter ${String(i + 1).padStart(2, '0')}`)].sort());
    expect(names((await search({ words: 'latics' })).rows)).toEqual(['Walking Football']);
    // Its own name first, then the organisation's other records; never the record merged into it.
    const pemberton = await search({ words: 'pemberton' }, 1, 100);
    expect(pemberton.rows[0]!.name).toBe('Pemberton Community Centre');
    expect(pemberton.total).toBe(27);
    expect(names(pemberton.rows)).not.toContain('Pemberton Community Centre (old entry)');
    expect((await search({ words: 'zebra crossing' })).total).toBe(0);
  });

  it('filters by category with the categories beneath it, kind, cost and access', async () => {
    expect(names((await search({ categories: ['places'] })).rows)).toEqual(['Greenfingers', 'Orrell Library', 'Pemberton Community Centre']);
    expect(names((await search({ categories: ['library', 'older-people'] })).rows)).toEqual(['Lunch Club', 'Orrell Library']);
    expect((await search({ categories: ['activities'] })).total).toBe(26);
    expect((await search({ kind: 'place' })).total).toBe(3);
    const free = await search({ free: true }, 1, 100);
    expect(names(free.rows)).not.toContain('Walking Football');
    expect(free.total).toBe(28);
    expect(names((await search({ accessible: true })).rows)).toEqual(['Lunch Club', 'Pemberton Community Centre']);
    expect(names((await search({ accessible: true, categories: ['places'], free: true })).rows)).toEqual(['Pemberton Community Centre']);
  });

  it('filters by day and time, both on the same session', async () => {
    expect(names((await search({ day: 'TH' })).rows)).toEqual(['Orrell Library', 'Walking Football']);
    // The second Wednesday of the month counts as a Wednesday.
    expect(names((await search({ day: 'WE' })).rows)).toEqual(['Lunch Club', 'Orrell Library']);
    expect(names((await search({ time: 'evening' })).rows)).toEqual(['Walking Football']);
    expect(names((await search({ time: 'morning' })).rows)).toEqual(['Orrell Library', 'Pemberton Community Centre']);
    expect(names((await search({ time: { at: '18:45' } })).rows)).toEqual(['Walking Football']);
    expect(names((await search({ time: { at: '12:30' }, day: 'WE' })).rows)).toEqual(['Lunch Club', 'Orrell Library']);
    // Tuesday mornings at the centre and Thursday evenings at football: nothing is on a Tuesday evening.
    expect((await search({ day: 'TU', time: 'evening' })).total).toBe(0);
    expect((await search({ day: 'SA', time: 'afternoon' })).total).toBe(23);
  });

  it('finds what is near a postcode, nearest first, within the distance chosen', async () => {
    const mile = await near(1600);
    expect(names(mile.rows)).toEqual(['Pemberton Community Centre', ...names(mile.rows).slice(1)]);
    expect(names(mile.rows).slice(1).sort()).toEqual(['Greenfingers', 'Orrell Library']);
    const distances = mile.rows.map((r) => r.metres!);
    expect(distances).toEqual([...distances].sort((a, b) => a - b));
    expect(distances[0]).toBeGreaterThanOrEqual(90);
    expect(distances[0]).toBeLessThanOrEqual(410);
    expect((await near(800)).total).toBe(1);
    const five = await near(5000);
    expect(five.total).toBe(3 + 1 + 23);
    expect(five.rows.at(-1)!.metres).toBeLessThanOrEqual(5000);
    // Any distance: everything, nearest first, and the one with no place at the end.
    const any = await near(null);
    expect(any.total).toBe(29);
    const everything = await search({ near: await centre(null) }, 1, 100);
    expect(names(everything.rows).slice(-2)).toEqual(['Lunch Club', 'Telephone Befriending']);
    expect(everything.rows.at(-1)!.metres).toBeNull();
    // Page by page (the nearest looked for in widening circles) gives the same order as all at once.
    const paged = [];
    for (let page = 1; page <= 15; page++) paged.push(...(await search({ near: await centre(null) }, page, 2)).rows);
    expect(paged.map((r) => r.id)).toEqual(everything.rows.map((r) => r.id));
    expect(distanceText(140)).toBe('140 m');
    expect(distanceText(1540)).toBe('1.5 km');
  });

  it('finds places by name: a ward, a district, an MSOA, and asks which when several match', async () => {
    const ward = await findPlace(database.db, 'pemberton');
    expect(ward).toMatchObject({ status: 'found', place: { label: 'Pemberton', area: { vintage: 'ward25', name: 'Pemberton', district: 'Wigan' } } });
    const district = await findPlace(database.db, 'Wigan');
    expect(district).toMatchObject({ status: 'found', place: { area: { vintage: 'lad25', name: 'Wigan' } } });
    const msoa = await findPlace(database.db, 'Pemberton North');
    expect(msoa).toMatchObject({ status: 'found', place: { area: { vintage: 'msoa21', name: 'Pemberton North', district: 'Wigan' } } });
    const several = await findPlace(database.db, 'Pemb');
    expect(several.status).toBe('choose');
    if (several.status !== 'choose') return;
    expect(several.choices.map((c) => c.name)).toEqual(expect.arrayContaining(['Pemberton', 'Pemberton North', 'Pemberton South']));
    const south = several.choices.find((c) => c.name === 'Pemberton South')!;
    expect(await findPlace(database.db, 'Pemb', `msoa21:${south.code}`)).toMatchObject({ status: 'found', place: { area: { code: south.code } } });
    expect(await findPlace(database.db, 'Nowhereville')).toEqual({ status: 'unknown', message: 'No ward, district or neighbourhood area called “Nowhereville” is known: check the spelling, or enter a postcode' });
    expect(await findPlace(database.db, 'WN9 9ZZ')).toEqual({ status: 'unknown', message: 'WN9 9ZZ is not among the postcodes loaded into Patchwork' });

    // Near a ward: whatever is in it, and anything within the distance of its centre.
    if (ward.status !== 'found') return;
    const inWard = await search({ near: { longitude: ward.place.longitude, latitude: ward.place.latitude, metres: 800, area: ward.place.area } }, 1, 100);
    const wardOf = await queryRows<{ id: string }>(
      database.db,
      sql`select sl.service_id as id from directory_service_locations sl join directory_locations l on l.id = sl.location_id join directory_services s on s.id = sl.service_id
          where l.ward25 = ${ward.place.area!.code} and s.merged_into_id is null and s.status = 'active'`,
    );
    expect(wardOf.length).toBeGreaterThan(0);
    expect(inWard.rows.map((r) => r.id)).toEqual(expect.arrayContaining(wardOf.map((r) => r.id)));
    expect(names(inWard.rows)).not.toContain('Lunch Club');
  });

  it('pages twenty at a time', async () => {
    const first = await search({ words: 'knit' });
    expect(first).toMatchObject({ total: 23, page: 1, pages: 2, size: 20 });
    expect(first.rows).toHaveLength(20);
    const second = await search({ words: 'knit' }, 2);
    expect(names(second.rows)).toEqual(['Knit and Natter 21', 'Knit and Natter 22', 'Knit and Natter 23']);
    const beyond = await search({ words: 'knit' }, 5);
    expect(beyond).toMatchObject({ total: 23, rows: [] });
  });

  // ---- The page ------------------------------------------------------------------------------------------

  it('lets anyone search, without JavaScript, with the results as a numbered list and a map', async () => {
    const client = new Client(app);
    const page = await client.get(`/directory?q=&where=${encodeURIComponent(at.centre)}&distance=1600`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(`3 results within 1.6 km of ${at.centre}`);
    expect(page.body).toContain(`href="/directory/services/${ids.centre}">Pemberton Community Centre</a>`);
    expect(page.body.indexOf('Pemberton Community Centre</a>')).toBeLessThan(page.body.indexOf('Orrell Library</a>'));
    expect(page.body).toMatch(/Every Tuesday, 10:00 to 12:00/);
    expect(page.body).toMatch(/\d+ m away|\d\.\d km away/);
    expect(page.body).toContain('Sample data');
    expect(page.body).not.toContain('Pemberton Old Hall');
    // The map's points travel in the page, numbered as the list is.
    const data = JSON.parse(/<script type="application\/json" id="directory-results">(.*?)<\/script>/s.exec(page.body)![1]!);
    expect(data.features.features.map((f: { properties: { position: number } }) => f.properties.position)).toEqual([1, 2, 3]);
    expect(data.features.features[0].properties.url).toBe(`/directory/services/${ids.centre}`);
    expect(data.centre.metres).toBe(1600);
    expect(page.body).toContain('data-pw-directory-map');
    expect(page.body).toContain('“Use my location” needs JavaScript');
    // Nobody signed in: no link to an organisation's records.
    expect(page.body).not.toContain('Records your organisation keeps');
  });

  it('says plainly when a postcode is unknown, with 400 and no results', async () => {
    const client = new Client(app);
    const page = await client.get('/directory?where=WN9+9ZZ&q=library');
    expect(page.statusCode).toBe(400);
    expect(page.body).toContain('There is a problem');
    expect(page.body).toContain('WN9 9ZZ is not among the postcodes loaded into Patchwork');
    expect(page.body).not.toContain('Orrell Library');
    expect(page.body).not.toContain('data-pw-directory-map');
    const half = await client.get('/directory?where=WN5');
    expect(half.statusCode).toBe(400);
    expect(half.body).toContain('WN5 is only the first half of a postcode');
    for (const [query, message] of [
      ['category=no-such-thing', 'Choose categories from the list'],
      ['at=25:00', 'Enter a time on the 24-hour clock, like 09:30 or 18:30'],
      ['time=evening&at=18:30', 'Choose a time of day or enter a time it should be on at, not both'],
      ['day=XX', 'Choose a day from the list'],
      ['distance=12', 'Choose how far from the list'],
      ['lat=48.8&lon=2.3', 'Your location is outside England'],
      ['page=0', 'The page must be a whole number, 1 or more'],
    ]) {
      const bad = await client.get(`/directory?${query}`);
      expect(bad.statusCode, query).toBe(400);
      expect(bad.body, query).toContain(message);
    }
  });

  it('searches near a place name, asking which one when several match, and near the browser’s position', async () => {
    const client = new Client(app);
    const ward = await client.get('/directory?where=Pemberton&distance=800');
    expect(ward.statusCode).toBe(200);
    expect(ward.body).toMatch(/\d+ results? in or within 800 m of Pemberton \(ward in Wigan\)/);
    expect(ward.body).toContain('Pemberton Community Centre</a>');
    expect(ward.body).toContain('name="area" value="ward25:');
    const choose = await client.get('/directory?where=Pemb');
    expect(choose.statusCode).toBe(200);
    expect(choose.body).toContain('Which “Pemb” do you mean?');
    expect(choose.body).toContain('Pemberton North (neighbourhood area in Wigan)');
    expect(choose.body).not.toContain('Orrell Library</a>');
    const code = /value="(msoa21:E02\d{6})"[^>]*>\s*<label[^>]*>\s*Pemberton North/.exec(choose.body)![1]!;
    const chosen = await client.get(`/directory?where=Pemb&area=${code}&distance=5000`);
    expect(chosen.statusCode).toBe(200);
    expect(chosen.body).toMatch(/results? in or within 5 km of Pemberton North/);
    const unknown = await client.get('/directory?where=Nowhereville');
    expect(unknown.statusCode).toBe(400);
    expect(unknown.body).toContain('No ward, district or neighbourhood area called “Nowhereville” is known');
    const [point] = await queryRows<{ x: number; y: number }>(database.db, sql`select ST_X(location) as x, ST_Y(location) as y from postcodes where display = ${at.centre}`);
    const mine = await client.get(`/directory?lat=${Number(point!.y).toFixed(5)}&lon=${Number(point!.x).toFixed(5)}&distance=800`);
    expect(mine.statusCode).toBe(200);
    expect(mine.body).toContain('1 result within 800 m of your location');
  });

  it('reads every filter from the form', async () => {
    const client = new Client(app);
    const access = await client.get('/directory?category=places&free=yes&accessible=yes');
    expect(access.body).toContain('1 result</h2>');
    expect(access.body).toContain('In Places, free, wheelchair accessible.');
    expect(access.body).toContain('Pemberton Community Centre</a>');
    const evening = await client.get('/directory?day=TH&at=18.45');
    expect(evening.body).toContain('1 result</h2>');
    expect(evening.body).toContain('Walking Football</a>');
    expect(evening.body).toContain('Costs: £2 a session');
    const places = await client.get('/directory?kind=place&q=');
    expect(places.body).toContain('3 results</h2>');
    const none = await client.get('/directory?q=zebra+crossing');
    expect(none.body).toContain('0 results</h2>');
    expect(none.body).toContain('Nothing in the directory matches this search');
    expect(none.body).toContain('use fewer or different words');
  });

  it('pages the list with GOV.UK pagination, and gives every result as CSV', async () => {
    const client = new Client(app);
    const first = await client.get('/directory?q=knit');
    expect(first.body).toContain('23 results');
    expect(first.body).toContain('govuk-pagination');
    expect(first.body).toContain('href="/directory?q=knit&amp;page=2"');
    const second = await client.get('/directory?q=knit&page=2');
    expect(second.statusCode).toBe(200);
    expect(second.body).toContain('<ol class="govuk-list pw-directory-results" id="results-list" start="21"');
    expect(second.body).toContain('Knit and Natter 23</a>');
    expect(second.body).not.toContain('Knit and Natter 01</a>');
    const csv = await client.get('/directory?q=knit&format=csv');
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    const lines = csv.body.trim().split('\n');
    expect(lines[0]).toBe('id,name,kind,organisation,categories,location,address,town,postcode,longitude,latitude,metres,when,free,fees,wheelchairAccessible,lastChecked,sample,page');
    expect(lines).toHaveLength(24);
    expect(lines[1]).toContain('Knit and Natter 01,activity,Pemberton Community Trust (sample data),Groups and clubs');
  });

  it('gives the page of results as GeoJSON, with the same query', async () => {
    const client = new Client(app);
    const response = await client.get(`/directory/results.geojson?where=${encodeURIComponent(at.centre)}&distance=5000&category=places`);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('application/geo+json');
    const body = response.json();
    expect(body).toMatchObject({ type: 'FeatureCollection', total: 3, page: 1, pages: 1 });
    expect(body.features.map((f: { properties: { name: string } }) => f.properties.name)[0]).toBe('Pemberton Community Centre');
    expect(body.features[0]).toMatchObject({ type: 'Feature', geometry: { type: 'Point' }, properties: { position: 1, url: `/directory/services/${ids.centre}` } });
    const metres = body.features.map((f: { properties: { metres: number } }) => f.properties.metres);
    expect(metres).toEqual([...metres].sort((a: number, b: number) => a - b));
    const bad = await client.get('/directory/results.geojson?where=WN9+9ZZ');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().detail).toContain('WN9 9ZZ is not among the postcodes loaded into Patchwork');
  });

  it('links a signed-in partner to the records their organisation keeps', async () => {
    const client = new Client(app);
    await client.signIn(emailOf('member'));
    const page = await client.get('/directory');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Records your organisation keeps');
    expect(page.body).toContain('href="/organisations/test-org/directory"');
  });
});
