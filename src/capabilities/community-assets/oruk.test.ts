import { sql } from 'drizzle-orm';
import { loadWiganBoundaries, sampleRecord } from './testing.ts';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../../platform/audit/audit.ts';
import { queryRows } from '../../platform/db/database.ts';
import { createTestDatabase, engines, type TestDatabase } from '../../../tests/support/engines.ts';
import { Client, emailOf, seedPeople, startTestApp } from '../../../tests/support/app.ts';
import { loadBundledSteps } from '../../../tests/support/data.ts';
import { daysOf } from './oruk-routes.ts';
import { exportOruk, readOruk, toOruk, type OrukService } from './oruk.ts';
import { createService, getService, getServices, mergeServices, type ServiceInput } from './service.ts';
import { nameUuid, runImport, TransferError, type Importer } from './transfer.ts';

/** A database with Wigan's 2021 LSOAs and 2025 wards and the bundled postcodes, and seedPeople's test-org. */
async function wiganDatabase(engine: (typeof engines)[number]) {
  const database = await createTestDatabase(engine);
  const { organisationId } = await seedPeople(database);
  await loadBundledSteps(database.db, ['postcodes.nspl2021']);
  await loadWiganBoundaries(database.db);
  return { database, importer: { id: organisationId, slug: 'test-org' } as Importer };
}

/** A Pemberton community centre (sample data), with a private volunteer's number that must never be published. */
function centre(overrides: Partial<ServiceInput> = {}): ServiceInput {
  return sampleRecord({
    organisation: { name: 'Pemberton Community Trust (sample data)', description: 'Runs the centre. Sample data.', url: 'https://example.org/trust', email: 'trust@example.org', phone: '01942 000001' },
    description: 'A hall and café for hire, with a weekly lunch club. Sample data.',
    url: 'https://example.org/pemberton',
    free: true,
    wheelchairAccessible: true,
    accessibility: 'Step-free entrance and an accessible toilet',
    lastChecked: '2026-01-15',
    locations: [{ name: 'Pemberton Community Centre', address1: '1 Sample Street', city: 'Wigan', postcode: 'WN5 9AB', longitude: null, latitude: null, accessibility: 'Hearing loop in the main hall' }],
    schedules: [{ freq: 'WEEKLY', interval: 1, byDay: 'TU', opensAt: '10:00', closesAt: '12:00', validFrom: null, validTo: null, description: 'Lunch club' }],
    contacts: [
      { kind: 'organisation', name: 'Bookings', title: null, phone: '01942 000000', email: 'bookings@example.org', public: true },
      { kind: 'private-individual', name: 'A volunteer', title: null, phone: '07700 900123', email: null, public: false },
      { kind: 'staff', name: 'Sam (sample data)', title: 'Manager', phone: null, email: 'sam.private@example.org', public: false },
    ],
    sample: true,
    ...overrides,
  });
}

/** A youth club as another directory publishes it (sample data): ids that are not UUIDs, a schedule at each of two venues, two phones, a category Patchwork lacks. */
const youthClub = {
  id: 'youth-club-1',
  name: 'Pemberton Youth Club (sample data)',
  description: 'Games, sport and trips for 11 to 18 year olds. Sample data.',
  status: 'active',
  organization: { id: 'org-7', name: 'Pemberton Youth Trust (sample data)', description: null },
  cost_options: [{ id: 'c1', option: 'Per session', amount: '2.50', amount_description: 'Bring exact money' }],
  eligibilitys: [{ id: 'e1', eligibility: 'Young people', minimum_age: '11', maximum_age: 18 }],
  service_at_locations: [
    {
      id: 'sal-1',
      location: {
        id: 'loc-1',
        name: 'St Mark’s Hall',
        latitude: 53.5405,
        longitude: -2.656,
        physical_addresses: [{ id: 'a1', address_1: '2 Sample Road', city: 'Wigan', postal_code: 'wn5 9ab', country: 'GB' }],
        accessibility_for_disabilities: [{ id: 'x1', accessibility: 'Ramp at the side door' }],
      },
      regular_schedules: [{ id: 'rs-1', freq: 'WEEKLY', interval: '1', byday: 'MO,TH', opens_at: '18:00:00', closes_at: '20:00' }],
    },
    { id: 'sal-2', location: { id: 'loc-2', name: 'Wigan Central Library', physical_addresses: [{ postal_code: 'WN1 1AA' }] } },
  ],
  regular_schedules: [{ id: 'rs-2', service_at_location_id: 'sal-2', freq: 'MONTHLY', byday: '2TU', opens_at: '18:30', closes_at: '20:00', description: 'Games night' }],
  contacts: [{ id: 'k1', name: 'Youth team', phones: [{ id: 'p1', number: '01942 111111' }, { id: 'p2', number: '01942 222222' }] }],
  service_taxonomys: [
    { id: 'st1', taxonomy: { id: 'youth-clubs', name: 'Youth clubs', vocabulary: 'wigan-local', parent: 'activities' } },
    { id: 'st2', taxonomy: { id: 'children-families', name: 'For children', vocabulary: 'patchwork-community-assets' } },
  ],
  holiday_schedules: [{ id: 'h1', closed: true, start_date: '2026-12-24', end_date: '2026-12-26' }],
  'x-patchwork': { wheelchair_accessible: false },
};

const count = async (db: TestDatabase['db']) => (await queryRows<{ n: number }>(db, sql`select count(*)::int as n from directory_services`))[0]!.n;

describe('reading Open Referral UK files', () => {
  const importer = { id: '00000000-0000-4000-8000-000000000001', slug: 'test-org' };
  it('takes one service, a list or an API page, and names each problem by service and path', () => {
    expect(readOruk(JSON.stringify(youthClub), 'one.json', importer).records).toHaveLength(1);
    expect(readOruk(JSON.stringify([youthClub, { ...youthClub, id: 'two' }]), 'list.json', importer).records).toHaveLength(2);
    expect(readOruk(JSON.stringify({ totalElements: 1, content: [youthClub] }), 'page.json', importer).records).toHaveLength(1);
    expect(readOruk('{ not json', 'bad.json', importer).problems[0]!.message).toMatch(/^is not valid JSON/);
    expect(readOruk('{"hello": 1}', 'odd.json', importer).problems[0]!.message).toMatch(/holds no Open Referral UK services/);

    const bad = readOruk(JSON.stringify([youthClub, { ...youthClub, id: 'x-2', regular_schedules: [{ id: 'r', byday: 'XX' }], cost_options: [{ amount: 'lots' }] }]), 'bad.json', importer);
    expect(bad.problems.map((p) => `${p.where}, ${p.field}: ${p.message}`)).toEqual([
      expect.stringMatching(/^Service 2 \(id x-2\), cost_options\[0\]\.amount: "lots" is not a number$/),
      expect.stringMatching(/^Service 2 \(id x-2\), regular_schedules\[0\]\.byday: 'XX' is not a day/),
    ]);
  });

  it('keeps ids that are UUIDs and makes the same UUID from any other id every time', () => {
    const read = readOruk(JSON.stringify(youthClub), 'one.json', importer).records[0]!;
    expect(read.id).toBe(nameUuid(`${importer.id}:service:youth-club-1`));
    expect(readOruk(JSON.stringify(youthClub), 'again.json', importer).records[0]!.id).toBe(read.id);
    const kept = readOruk(JSON.stringify({ ...youthClub, id: 'A6E2B3C4-0000-4000-8000-00000000000A' }), 'uuid.json', importer).records[0]!;
    expect(kept.id).toBe('a6e2b3c4-0000-4000-8000-00000000000a');
    expect(read.input.free).toBe(false);
    expect(read.input.fees).toBe('Per session £2.50 Bring exact money');
    expect([read.input.minimumAge, read.input.maximumAge]).toEqual([11, 18]);
    expect(read.input.schedules.map((s) => [s.byDay, s.opensAt])).toEqual([
      ['MO,TH', '18:00'],
      ['2TU', '18:30'],
    ]);
    expect(read.scheduleLocations).toEqual([0, 1]);
    const uncategorised = readOruk(JSON.stringify({ ...youthClub, service_taxonomys: [] }), 'bare.json', importer);
    expect(uncategorised.records[0]!.input.categories).toEqual(['activities']);
    expect(uncategorised.notes).toContain('1 service had no categories: filed under Groups and activities');
    expect(read.input.contacts.map((c) => [c.kind, c.phone, c.public])).toEqual([
      ['staff', '01942 111111', true],
      ['staff', '01942 222222', true],
    ]);
  });

  it('reads a day as people and the ORUK validator write it', () => {
    expect(daysOf('Tuesday')).toEqual(['TU']);
    expect(daysOf('tu')).toEqual(['TU']);
    expect(daysOf('MO,TH')).toEqual(['MO', 'TH']);
    expect(daysOf('2TU')).toEqual(['TU']);
    expect(daysOf('Tusday')).toBeNull();
  });
});

describe.each(engines)('Open Referral UK on %s', (engine) => {
  let source: TestDatabase;
  let target: TestDatabase;
  let importer: Importer;
  let fresh: Importer;
  let app: FastifyInstance;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    ({ database: source, importer } = await wiganDatabase(engine));
    ({ database: target, importer: fresh } = await wiganDatabase(engine));
    const owner = { organisationId: importer.id, userId: null };
    ids.centre = await createService(source.db, centre(), owner, cliActor);
    ids.library = await createService(
      source.db,
      centre({
        kind: 'activity',
        name: 'Leigh Library Reading Group (sample data)',
        description: 'Talk about a book a month. Sample data.',
        categories: ['library'],
        organisation: { name: 'Wigan Libraries (sample data)', description: null, url: null, email: null, phone: null },
        locations: [{ name: 'Leigh Library', address1: null, city: 'Leigh', postcode: 'WN7 1AB', longitude: -2.5158, latitude: 53.4972, accessibility: null }],
        schedules: [{ freq: 'WEEKLY', interval: 1, byDay: 'WE', opensAt: '14:00', closesAt: '15:30', validFrom: '2026-01-07', validTo: null, description: null }],
        contacts: [],
        wheelchairAccessible: null,
        sample: false,
      }),
      owner,
      cliActor,
    );
    ids.phone = await createService(
      source.db,
      centre({
        kind: 'activity',
        name: 'Phone befriending (sample data)',
        description: 'A weekly call for people who would like a chat. Sample data.',
        categories: ['older-people'],
        locations: [],
        free: null,
        schedules: [{ freq: 'WEEKLY', interval: 1, byDay: 'FR', opensAt: '10:00', closesAt: '12:00', validFrom: null, validTo: null, description: null }],
        contacts: [{ kind: 'organisation', name: null, title: null, phone: '01942 333333', email: null, public: true }],
      }),
      owner,
      cliActor,
    );
    ids.closed = await createService(source.db, centre({ name: 'Old Hall (sample data)', status: 'temporarily closed', locations: [{ name: 'Old Hall', address1: null, city: null, postcode: 'WN1 1AE', longitude: null, latitude: null, accessibility: null }], contacts: [] }), owner, cliActor);
    ids.duplicate = await createService(source.db, centre({ name: 'Pemberton Community Centre (old entry)', contacts: [] }), owner, cliActor);
    await mergeServices(source.db, ids.duplicate, ids.centre, importer.id, cliActor);
    const imported = await runImport(source.db, readOruk(JSON.stringify([youthClub]), 'youth.json', importer), importer, null, cliActor);
    expect(imported).toMatchObject({ total: 1, created: 1, updated: 0, categoriesAdded: ['youth-clubs'] });
    expect(imported.notes).toContain('1 service had holiday_schedules, which Patchwork does not keep');
    ids.youth = nameUuid(`${importer.id}:service:youth-club-1`);
    app = await startTestApp(source);
  }, 600_000);
  afterAll(async () => {
    await app?.close();
    await source?.drop();
    await target?.drop();
  });

  it('imports another directory’s service whole: venues, times at each, phones, a new category', async () => {
    const record = (await getService(source.db, ids.youth!))!;
    expect(record.kind).toBe('activity');
    expect(record.organisation.name).toBe('Pemberton Youth Trust (sample data)');
    expect(record.locations.map((l) => [l.name, l.postcode, l.lad25?.code])).toEqual([
      ['St Mark’s Hall', 'WN5 9AB', 'E08000010'],
      ['Wigan Central Library', 'WN1 1AA', 'E08000010'],
    ]);
    expect(record.locations[0]!.longitude).toBe(-2.656);
    const hall = record.locations.find((l) => l.name === 'St Mark’s Hall')!;
    const library = record.locations.find((l) => l.name === 'Wigan Central Library')!;
    expect(record.schedules.map((s) => [s.text, s.serviceLocationId])).toEqual([
      ['Every Monday and Thursday, 18:00 to 20:00', hall.serviceLocationId],
      ['The second Tuesday of every month, 18:30 to 20:00', library.serviceLocationId],
    ]);
    expect(hall.serviceLocationId).toBe(nameUuid(`${ids.youth}:service-at-location:sal-1`));
    expect(record.categories.map((c) => [c.id, c.vocabulary, c.parentId])).toEqual([
      ['children-families', 'patchwork-community-assets', 'activities'],
      ['youth-clubs', 'wigan-local', 'activities'],
    ]);
    const [audit] = await queryRows<{ details: { created: number; format: string } }>(source.db, sql`select details from audit_events where action = 'directory.imported'`);
    expect(audit!.details).toMatchObject({ created: 1, format: 'oruk' });
  });

  it('reads many records at once as one at a time', async () => {
    const all = Object.values(ids);
    const many = await getServices(source.db, all);
    for (const [i, id] of all.entries()) expect(many[i]).toEqual(await getService(source.db, id));
  });

  it('exports the directory and re-imports it losslessly into a fresh database, then again unchanged', async () => {
    const first = await exportOruk(source.db, importer.id);
    const services = JSON.parse(first) as OrukService[];
    expect(services.map((s) => s.name)).toEqual(['Leigh Library Reading Group (sample data)', 'Old Hall (sample data)', 'Pemberton Community Centre (sample data)', 'Pemberton Youth Club (sample data)', 'Phone befriending (sample data)']);
    // The organisation's own export keeps every contact, each marked, so a private one stays private.
    const centreOut = services.find((s) => s.id === ids.centre)!;
    expect(centreOut.contacts.map((c) => c['x-patchwork'])).toEqual([
      { kind: 'organisation', public: true },
      { kind: 'private-individual', public: false },
      { kind: 'staff', public: false },
    ]);
    expect(centreOut.cost_options).toEqual([{ id: nameUuid(`cost:${ids.centre}`), option: 'Free', amount: 0, amount_description: null }]);
    expect(centreOut.service_at_locations[0]!.location['x-patchwork'].lad25).toBe('E08000010');

    const result = await runImport(target.db, readOruk(first, 'export.json', fresh), fresh, null, cliActor);
    expect(result).toMatchObject({ total: 5, created: 5, updated: 0, categoriesAdded: ['youth-clubs'] });
    const second = await exportOruk(target.db, fresh.id);
    expect(second).toBe(first);
    const [privateOne] = await queryRows<{ public: boolean; kind: string }>(target.db, sql`select public, kind from directory_contacts where phone = '07700 900123'`);
    expect(privateOne).toEqual({ public: false, kind: 'private-individual' });

    const again = await runImport(target.db, readOruk(second, 'export.json', fresh), fresh, null, cliActor);
    expect(again).toMatchObject({ total: 5, created: 0, updated: 5, categoriesAdded: [] });
    expect(await exportOruk(target.db, fresh.id)).toBe(first);
  });

  it('refuses records another partner keeps, and a file with one bad service among good ones, writing nothing', async () => {
    const other = { id: (await queryRows<{ id: string }>(source.db, sql`insert into organisations (slug, name, kind) values ('other-org', 'Other Organisation', 'vcse') returning id`))[0]!.id, slug: 'other-org' };
    const exported = await exportOruk(source.db, importer.id);
    const before = await count(source.db);
    const refused = await runImport(source.db, readOruk(exported, 'theirs.json', other), other, null, cliActor).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TransferError);
    expect((refused as TransferError).transferProblems[0]).toMatchObject({ where: expect.stringMatching(/^Service 1 \(id /), field: 'id', message: expect.stringMatching(/is kept by Test Organisation: only they can update it/) });

    // Another organisation's copy of the same feed is its own, and so is a category another partner keeps.
    expect(await count(source.db)).toBe(before);
    const theirs = await runImport(source.db, readOruk(JSON.stringify([{ ...youthClub, status: 'defunct' }]), 'youth.json', other), other, null, cliActor);
    expect(theirs).toMatchObject({ created: 1, categoriesAdded: ['other-org:youth-clubs'] });
    const [term] = await queryRows<{ vocabulary: string; parent_id: string; owner_organisation_id: string }>(source.db, sql`select vocabulary, parent_id, owner_organisation_id from directory_taxonomy_terms where id = 'other-org:youth-clubs'`);
    expect(term).toEqual({ vocabulary: 'wigan-local', parent_id: 'activities', owner_organisation_id: other.id });
    const beforeMixed = await count(source.db);

    const good = { ...youthClub, id: 'new-good-one', name: 'A new club (sample data)' };
    const badDay = { ...youthClub, id: 'new-bad-day', regular_schedules: [{ id: 'r9', freq: 'WEEKLY', byday: 'XX', opens_at: '10:00' }] };
    const noName = { ...youthClub, id: 'new-no-name', name: '  ' };
    const badPostcode = { ...youthClub, id: 'new-bad-postcode', regular_schedules: [], service_at_locations: [{ id: 's', location: { id: 'l-9', physical_addresses: [{ postal_code: 'WN9 9ZZ' }] } }] };
    const error = await runImport(source.db, readOruk(JSON.stringify([good, badDay, noName, badPostcode]), 'mixed.json', importer), importer, null, cliActor).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransferError);
    const lines = (error as TransferError).transferProblems.map((p) => `${p.where}, ${p.field}: ${p.message}`);
    expect(lines).toEqual([
      expect.stringMatching(/^Service 2 \(id new-bad-day\), regular_schedules\[0\]\.byday: 'XX' is not a day/),
      'Service 3 (id new-no-name), name: Enter the name of the asset or activity',
      expect.stringMatching(/^Service 4 \(id new-bad-postcode\), service_at_locations\[0\]\.location\.physical_addresses\[0\]\.postal_code: WN9 9ZZ is not among the postcodes loaded into Patchwork/),
    ]);
    expect((error as TransferError).message).toContain('Service 2 (id new-bad-day), regular_schedules[0].byday');
    expect(await count(source.db)).toBe(beforeMixed);
  });

  describe('the public API', () => {
    const get = async (url: string) => {
      const response = await app.inject({ method: 'GET', url });
      return { status: response.statusCode, body: response.json() as Record<string, unknown> & { content: OrukService[]; detail?: string }, text: response.body, headers: response.headers };
    };
    const names = async (query: string) => (await get(`/api/v1/oruk/services?${query}`)).body.content.map((s) => s.name.replace(' (sample data)', ''));

    it('pages active services by name in ORUK’s shape, never merged ones', async () => {
      const { status, body } = await get('/api/v1/oruk/services');
      expect(status).toBe(200);
      expect(body).toMatchObject({ totalElements: 4, totalPages: 1, number: 1, size: 10, first: true, last: true });
      expect(body.content.map((s) => s.name)).toEqual(['Leigh Library Reading Group (sample data)', 'Pemberton Community Centre (sample data)', 'Pemberton Youth Club (sample data)', 'Phone befriending (sample data)']);
      expect(body.content.map((s) => s.id)).not.toContain(ids.duplicate);
      const second = await get('/api/v1/oruk/services/?per_page=3&page=2');
      expect(second.body).toMatchObject({ totalElements: 4, totalPages: 2, number: 2, size: 3, first: false, last: true });
      expect(second.body.content.map((s) => s.name)).toEqual(['Phone befriending (sample data)']);
      expect((await get('/api/v1/oruk/services?per_page=1000')).body.size).toBe(100);
      expect(await names('status=temporarily%20closed')).toEqual(['Old Hall']);
    });

    it('filters by words, category (with those beneath it) and vocabulary', async () => {
      expect(await names('text=reading')).toEqual(['Leigh Library Reading Group']);
      expect(await names('taxonomy_id=places')).toEqual(['Leigh Library Reading Group', 'Pemberton Community Centre']);
      expect(await names('taxonomy_id=activities')).toEqual(['Pemberton Youth Club', 'Phone befriending']);
      expect(await names('taxonomy_id=youth-clubs&vocabulary=wigan-local')).toEqual(['Pemberton Youth Club']);
      expect(await names('taxonomy_id=no-such-term')).toEqual([]);
    });

    it('orders by distance from a postcode, and keeps to a proximity', async () => {
      expect(await names('postcode=wn11aa')).toEqual(['Pemberton Youth Club', 'Pemberton Community Centre', 'Leigh Library Reading Group', 'Phone befriending']);
      expect(await names('postcode=WN1%201AA&proximity=2000')).toEqual(['Pemberton Youth Club', 'Pemberton Community Centre']);
      const unknown = await get('/api/v1/oruk/services?postcode=WN9%209ZZ');
      expect(unknown.status).toBe(400);
      expect(unknown.body.detail).toMatch(/WN9 9ZZ is not among the postcodes loaded into Patchwork/);
      expect((await get('/api/v1/oruk/services?postcode=hello')).body.detail).toMatch(/"hello" is not a postcode/);
      expect((await get('/api/v1/oruk/services?proximity=500')).status).toBe(400);
    });

    it('filters by day and time, ages, cost and district', async () => {
      expect(await names('day=Tuesday')).toEqual(['Pemberton Community Centre', 'Pemberton Youth Club']);
      expect(await names('day=TH')).toEqual(['Pemberton Youth Club']);
      expect(await names('start_time=17:00&end_time=19:00')).toEqual(['Pemberton Youth Club']);
      expect(await names('start_time=09:00&end_time=11:00')).toEqual(['Pemberton Community Centre', 'Phone befriending']);
      expect(await names('day=FR&start_time=09:00&end_time=11:00')).toEqual(['Phone befriending']);
      expect(await names('day=WE&start_time=16:00')).toEqual([]);
      expect(await names('minimum_age=19')).toEqual(['Leigh Library Reading Group', 'Pemberton Community Centre', 'Phone befriending']);
      expect(await names('maximum_age=10')).toEqual(['Leigh Library Reading Group', 'Pemberton Community Centre', 'Phone befriending']);
      expect(await names('minimum_age=12&maximum_age=14')).toContain('Pemberton Youth Club');
      expect(await names('is_free=true')).toEqual(['Leigh Library Reading Group', 'Pemberton Community Centre']);
      expect(await names('is_free=false')).toEqual(['Pemberton Youth Club']);
      expect(await names('district=e08000010')).toEqual(['Leigh Library Reading Group', 'Pemberton Community Centre', 'Pemberton Youth Club']);
      expect(await names('district=E08000001')).toEqual([]);
    });

    it('answers a query that makes no sense with a 400 problem saying why', async () => {
      for (const [query, message] of [
        ['page=0', /page must be a whole number from 1/],
        ['per_page=lots', /per_page must be a whole number/],
        ['day=Funday', /day must be a day of the week/],
        ['start_time=25:00', /start_time must be a time like 09:30/],
        ['minimum_age=-1', /minimum_age must be 0 or more/],
        ['is_free=maybe', /is_free must be true or false/],
        ['district=Wigan', /district must be a local authority district code/],
        ['status=open', /status must be one of/],
      ] as const) {
        const response = await get(`/api/v1/oruk/services?${query}`);
        expect(response.status, query).toBe(400);
        expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
        expect(response.body.detail, query).toMatch(message);
      }
    });

    it('gives one service, redirects a merged one to the record kept, and 404s the rest', async () => {
      const one = await get(`/api/v1/oruk/services/${ids.centre}`);
      expect(one.status).toBe(200);
      expect(one.body).toEqual(toOruk((await getService(source.db, ids.centre!))!, 'public'));
      const merged = await app.inject({ method: 'GET', url: `/api/v1/oruk/services/${ids.duplicate}` });
      expect(merged.statusCode).toBe(301);
      expect(merged.headers.location).toBe(`/api/v1/oruk/services/${ids.centre}`);
      expect((await get('/api/v1/oruk/services/00000000-0000-4000-8000-000000000000')).status).toBe(404);
      expect((await get('/api/v1/oruk/services/not-an-id')).status).toBe(404);
    });

    it('never publishes contacts kept private, nor a private individual’s', async () => {
      const list = await get('/api/v1/oruk/services?per_page=100');
      const one = await get(`/api/v1/oruk/services/${ids.centre}`);
      for (const text of [list.text, one.text]) {
        expect(text).toContain('01942 000000');
        expect(text).not.toContain('07700 900123');
        expect(text).not.toContain('sam.private@example.org');
      }
      expect(one.body.contacts).toEqual([expect.objectContaining({ name: 'Bookings', 'x-patchwork': { kind: 'organisation', public: true } })]);
    });

    it('lists the categories and says what it is, and the OpenAPI document describes it', async () => {
      const terms = await get('/api/v1/oruk/taxonomies?vocabulary=patchwork-community-assets&per_page=100');
      expect(terms.body.totalElements).toBeGreaterThan(20);
      expect(terms.body.content).toContainEqual({ id: 'library', name: 'Libraries', vocabulary: 'patchwork-community-assets', parent: 'places' });
      expect((await get('/api/v1/oruk')).body).toMatchObject({ version: '1.0', openapi_url: '/api/v1/openapi.json' });
      const openapi = (await get('/api/v1/openapi.json')).body as unknown as { paths: Record<string, { get: { tags: string[]; parameters: { name: string }[] } }> };
      expect(openapi.paths['/api/v1/oruk/services']!.get.tags).toEqual(['community-assets']);
      expect(openapi.paths['/api/v1/oruk/services']!.get.parameters.map((p) => p.name)).toEqual(expect.arrayContaining(['page', 'per_page', 'text', 'taxonomy_id', 'postcode', 'proximity', 'day', 'start_time', 'end_time', 'minimum_age', 'maximum_age', 'is_free', 'district']));
      expect(openapi.paths['/api/v1/oruk/services/']).toBeUndefined();
    });
  });

  describe('the organisation’s pages', () => {
    it('lets a coordinator import ORUK JSON, and a member export it; a member may not import', async () => {
      const member = new Client(app);
      await member.signIn(emailOf('member'));
      expect((await member.get('/organisations/test-org/directory/import')).statusCode).toBe(403);
      const exported = await member.get('/organisations/test-org/directory/export?format=oruk');
      expect(exported.statusCode).toBe(200);
      expect(exported.headers['content-disposition']).toMatch(/attachment; filename="test-org-directory-\d{4}-\d{2}-\d{2}\.oruk\.json"/);
      expect(exported.body).toBe(await exportOruk(source.db, importer.id));

      const coordinator = new Client(app);
      await coordinator.signIn(emailOf('coordinator'));
      expect((await coordinator.get('/organisations/test-org/directory/import')).statusCode).toBe(200);
      const club = { ...youthClub, id: 'web-upload-1', name: 'Uploaded Club (sample data)' };
      const done = await coordinator.postFile('/organisations/test-org/directory/import', {}, { field: 'file', filename: 'club.json', content: JSON.stringify([club]), type: 'application/json' });
      expect(done.statusCode).toBe(303);
      expect(done.headers.location).toBe('/organisations/test-org/directory');
      expect(decodeURIComponent(coordinator.cookie('pw_flash') ?? '')).toMatch(/^Imported 1 record \(1 new, 0 updated\)\. 1 service had holiday_schedules/);

      const before = await count(source.db);
      const refused = await coordinator.postFile('/organisations/test-org/directory/import', {}, { field: 'file', filename: 'bad.json', content: JSON.stringify([{ ...club, id: 'web-upload-2', regular_schedules: [{ byday: 'XX' }] }]), type: 'application/json' });
      expect(refused.statusCode).toBe(400);
      expect(refused.body).toContain('regular_schedules[0].byday');
      expect(refused.body).toContain('is not a day');
      expect(await count(source.db)).toBe(before);
    });
  });
});
