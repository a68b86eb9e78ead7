import { sql } from 'drizzle-orm';
import { loadWiganBoundaries, sampleRecord } from './testing.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../../platform/audit/audit.ts';
import { queryRows } from '../../platform/db/database.ts';
import { createTestDatabase, engines, type TestDatabase } from '../../../tests/support/engines.ts';
import { seedPeople } from '../../../tests/support/app.ts';
import { loadBundledSteps } from '../../../tests/support/data.ts';
import { generateSampleServices } from './sample.ts';
import { AssetError, createService, describeSchedule, findDuplicates, getService, mergeServices, nameKey, phoneKey, publicContacts, updateService, inputOf, type ServiceInput } from './service.ts';

/** A Wigan community centre (sample data), placed by a real Wigan postcode. */
export function sampleCentre(postcode: string, overrides: Partial<ServiceInput> = {}): ServiceInput {
  return sampleRecord({
    name: 'Pemberton Community Centre',
    description: 'A hall and café for hire, with a weekly lunch club. Sample data.',
    url: 'https://example.org/pemberton',
    free: true,
    wheelchairAccessible: true,
    accessibility: 'Step-free entrance and an accessible toilet',
    locations: [{ name: 'Pemberton Community Centre', address1: '1 Sample Street', city: 'Wigan', postcode, longitude: null, latitude: null, accessibility: null }],
    schedules: [{ freq: 'WEEKLY', interval: 1, byDay: 'TU', opensAt: '10:00', closesAt: '12:00', validFrom: null, validTo: null, description: 'Lunch club' }],
    contacts: [
      { kind: 'organisation', name: 'Bookings', title: null, phone: '01942 000000', email: 'bookings@example.org', public: true },
      { kind: 'private-individual', name: 'A volunteer', title: null, phone: '07700 900000', email: null, public: false },
    ],
    ...overrides,
  });
}

describe('names, phones and schedules', () => {
  it('folds names so small differences still match', () => {
    expect(nameKey('The Old Library & Community Center')).toBe('old library community centre');
    expect(nameKey('St. Mark’s Hall')).toBe(nameKey('Saint Marks Hall'));
  });
  it('reads a phone number written two ways as one', () => {
    expect(phoneKey('+44 (0)1942 123456')).not.toBeNull();
    expect(phoneKey('+44 1942 123456')).toBe(phoneKey('01942 123456'));
    expect(phoneKey('12')).toBeNull();
  });
  it('describes schedules in words', () => {
    expect(describeSchedule({ freq: 'WEEKLY', interval: 1, byDay: 'TU,TH', opensAt: '10:00', closesAt: '12:00' })).toBe('Every Tuesday and Thursday, 10:00 to 12:00');
    expect(describeSchedule({ freq: 'MONTHLY', interval: 1, byDay: '2TU', opensAt: '18:30', closesAt: null })).toBe('The second Tuesday of every month, from 18:30');
    expect(describeSchedule({ freq: 'MONTHLY', interval: 1, byDay: '-1FR', opensAt: null, closesAt: null })).toBe('The last Friday of every month');
  });
});

describe.each(engines)('directory records on %s', (engine) => {
  let database: TestDatabase;
  let organisationId: string;
  let postcode: string;
  let other: string;
  const owner = () => ({ organisationId, userId: null });

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    ({ organisationId } = await seedPeople(database));
    await loadBundledSteps(database.db, ['postcodes.nspl2021']);
    await loadWiganBoundaries(database.db);
    const rows = await queryRows<{ display: string }>(database.db, sql`select display from postcodes where lad = 'E08000010' and terminated is null and location is not null order by postcode limit 2`);
    [postcode, other] = rows.map((r) => r.display) as [string, string];
  }, 300_000);
  afterAll(async () => database?.drop());

  it('places a record by its postcode and knows its LSOA, ward and district', async () => {
    const id = await createService(database.db, sampleCentre(postcode), owner(), cliActor);
    const record = (await getService(database.db, id))!;
    expect(record.locations).toHaveLength(1);
    const [location] = record.locations;
    expect(location!.postcode).toBe(postcode);
    expect(location!.lsoa21?.code).toMatch(/^E01/);
    expect(location!.ward25?.code).toMatch(/^E05/);
    expect(location!.lad25).toEqual({ code: 'E08000010', name: 'Wigan' });
    const [inside] = await queryRows<{ ok: boolean }>(database.db, sql`select ST_Contains(a.boundary, l.location) as ok from directory_locations l join areas a on a.vintage = 'lsoa21' and a.code = l.lsoa21`);
    expect(inside!.ok).toBe(true);
    expect(record.schedules.map((s) => s.text)).toEqual(['Every Tuesday, 10:00 to 12:00']);
    expect(publicContacts(record).map((c) => c.name)).toEqual(['Bookings']);
    expect(record.stale).toBe(false);
  });

  it('refuses an unknown postcode, a private individual made public and an unknown category, saving nothing', async () => {
    const before = await queryRows<{ n: number }>(database.db, sql`select count(*)::int as n from directory_services`);
    await expect(createService(database.db, sampleCentre('WN9 9ZZ'), owner(), cliActor)).rejects.toThrow(/WN9 9ZZ is not among the postcodes/);
    const centre = sampleCentre(postcode);
    centre.contacts[1]!.public = true;
    await expect(createService(database.db, centre, owner(), cliActor)).rejects.toThrow(AssetError);
    await expect(createService(database.db, sampleCentre(postcode, { categories: ['no-such-thing'] }), owner(), cliActor)).rejects.toThrow(/Unknown category: no-such-thing/);
    expect(await queryRows<{ n: number }>(database.db, sql`select count(*)::int as n from directory_services`)).toEqual(before);
  });

  it('finds likely duplicates by name nearby, phone and postcode, and merges them', async () => {
    const keep = await createService(database.db, sampleCentre(other, { name: 'Orrell Hub' }), owner(), cliActor);
    const dupes = await findDuplicates(database.db, { name: 'The Orrell Hub', postcode: null, phones: [], longitude: null, latitude: null });
    expect(dupes.map((d) => d.id)).toContain(keep);
    const byPhone = await findDuplicates(database.db, { name: 'Something else', postcode: null, phones: ['+44 1942 000000'], longitude: null, latitude: null });
    expect(byPhone.find((d) => d.id === keep)?.reasons).toContain('same phone');
    const byPostcode = await findDuplicates(database.db, { name: 'Something else', postcode: other.toLowerCase().replace(' ', ''), phones: [], longitude: null, latitude: null });
    expect(byPostcode.find((d) => d.id === keep)?.reasons).toContain('same postcode');

    const duplicate = await createService(database.db, sampleCentre(other, { name: 'Orrell Hub (old entry)', categories: ['library'], schedules: [{ freq: 'MONTHLY', interval: 1, byDay: '1SA', opensAt: '09:00', closesAt: '11:00', validFrom: null, validTo: null, description: null }] }), owner(), cliActor);
    await mergeServices(database.db, duplicate, keep, organisationId, cliActor);
    const kept = (await getService(database.db, keep))!;
    expect(kept.categories.map((c) => c.id).sort()).toEqual(['community-space', 'library']);
    expect(kept.schedules.map((s) => s.text)).toContain('The first Saturday of every month, 09:00 to 11:00');
    const gone = (await getService(database.db, duplicate))!;
    expect(gone.mergedIntoId).toBe(keep);
    expect(await findDuplicates(database.db, { name: 'Orrell Hub (old entry)', postcode: null, phones: [], longitude: null, latitude: null })).toEqual([]);
    const [audit] = await queryRows<{ n: number }>(database.db, sql`select count(*)::int as n from audit_events where action = 'directory.service.merged'`);
    expect(audit!.n).toBe(1);
  });

  it('saves an edit whole, and a record read back saves unchanged', async () => {
    const id = await createService(database.db, sampleCentre(postcode, { name: 'Worsley Mesnes Library', categories: ['library'] }), owner(), cliActor);
    const record = (await getService(database.db, id))!;
    await updateService(database.db, id, inputOf(record), owner(), cliActor);
    const again = (await getService(database.db, id))!;
    expect({ ...again, updatedAt: null }).toEqual({ ...record, updatedAt: null, locations: record.locations.map((l) => ({ ...l, serviceLocationId: again.locations[0]!.serviceLocationId })), schedules: again.schedules.length ? record.schedules.map((s, i) => ({ ...s, id: again.schedules[i]!.id })) : [], contacts: record.contacts.map((c, i) => ({ ...c, id: again.contacts[i]!.id })) });
  });
});

describe.each(engines)('sample records on %s', (engine) => {
  let database: TestDatabase;
  let organisationId: string;
  beforeAll(async () => {
    database = await createTestDatabase(engine);
    ({ organisationId } = await seedPeople(database));
    await loadBundledSteps(database.db, ['lookup.lsoa21-ward24-lad24']);
    await loadWiganBoundaries(database.db);
  }, 300_000);
  afterAll(async () => database?.drop());

  it('places labelled sample records in the district asked for, the same each time for a seed', async () => {
    const ids = await generateSampleServices(database.db, { ownerOrganisationId: organisationId, count: 60, ladCodes: ['E08000010'], seed: 7 }, cliActor);
    expect(ids).toHaveLength(60);
    const rows = await queryRows<{ name: string; sample: boolean; lad25: string | null; categories: number }>(
      database.db,
      sql`select s.name, s.sample, l.lad25, (select count(*)::int from directory_service_taxonomies t where t.service_id = s.id) as categories
          from directory_services s join directory_service_locations sl on sl.service_id = s.id join directory_locations l on l.id = sl.location_id`,
    );
    expect(rows).toHaveLength(60);
    for (const row of rows) {
      expect(row.name).toMatch(/\(sample data\)$/);
      expect(row.sample).toBe(true);
      expect(row.categories).toBe(1);
    }
    // Points are within 250 m of a Wigan LSOA's centre, so nearly all land inside Wigan's wards.
    expect(rows.filter((r) => r.lad25 === 'E08000010').length).toBeGreaterThanOrEqual(55);
    const record = (await getService(database.db, ids[0]!))!;
    expect(record.locations[0]!.lsoa21?.code).toMatch(/^E01/);
    await expect(generateSampleServices(database.db, { ownerOrganisationId: organisationId, count: 1, ladCodes: ['E09999999'] }, cliActor)).rejects.toThrow(/No 2021 LSOA boundaries in E09999999/);
  });
});
