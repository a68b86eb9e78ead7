import { sql } from 'drizzle-orm';
import { loadWiganBoundaries } from './testing.ts';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../../platform/audit/audit.ts';
import { organisations } from '../../platform/auth/schema.ts';
import { queryRows } from '../../platform/db/database.ts';
import { createTestDatabase, engines, type TestDatabase } from '../../../tests/support/engines.ts';
import { addPerson, Client, emailOf, seedPeople, startTestApp } from '../../../tests/support/app.ts';
import { loadBundledSteps } from '../../../tests/support/data.ts';
import { createNeighbourhood } from '../neighbourhoods/service.ts';
import { formValuesOf, parseServiceForm, parseTime } from './service-form.ts';
import { createService, getService } from './service.ts';

type FormFields = Record<string, string | string[]>;

describe('reading the record form', () => {
  it('reads times as people type them', () => {
    expect(parseTime('9:30')).toBe('09:30');
    expect(parseTime('09.30')).toBe('09:30');
    expect(parseTime('9am')).toBe('09:00');
    expect(parseTime('12pm')).toBe('12:00');
    expect(parseTime('12am')).toBe('00:00');
    expect(parseTime('2:15 p.m.')).toBe('14:15');
    expect(parseTime('9')).toBeNull();
    expect(parseTime('25:00')).toBeNull();
    expect(parseTime('13pm')).toBeNull();
  });

  it('ignores empty rows and names the field of each problem', () => {
    const base = { name: 'Hall', kind: 'place', organisationName: 'Trust', categories: 'library', postcode: 'WN1 1AA' };
    const ok = parseServiceForm({ ...base, schedule1Often: 'M-1', schedule1Day: 'FR', schedule1Opens: '6pm', contact1Kind: 'organisation' });
    expect(ok.ok && ok.input.schedules).toEqual([{ freq: 'MONTHLY', interval: 1, byDay: '-1FR', opensAt: '18:00', closesAt: null, validFrom: null, validTo: null, description: null }]);
    expect(ok.ok && ok.input.contacts).toEqual([]);
    const bad = parseServiceForm({ ...base, name: '', schedule2Often: 'W1', schedule2Day: 'MO', schedule2Opens: '10:00', schedule2Closes: '09:00', contact0Kind: 'private-individual', contact0Phone: '07700 900000', contact0Public: 'yes' });
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    expect(bad.errors.fields).toMatchObject({
      name: { text: 'Enter the name of the place, group or activity' },
      schedule2Closes: { text: 'The end time must be after the start time (time 3)' },
      contact0Public: { text: expect.stringContaining('never published') },
    });
    expect(bad.errors.summary.map((s) => s.href)).toEqual(['#name', '#schedule2Closes', '#contact0Public']);
  });
});

describe.each(engines)('directory record pages on %s', (engine) => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let organisationId: string;
  let member: Client;
  let coordinator: Client;
  let otherMember: Client;
  /** Wigan postcodes far enough apart, one per test, so records of one test are not another's duplicates. */
  let postcodes: string[];
  /** A postcode within a few hundred metres of postcodes[3]. */
  let nearby: string;

  const count = async () => Number((await queryRows<{ n: number }>(database.db, sql`select count(*)::int as n from directory_services`))[0]!.n);
  const newForm = (overrides: FormFields = {}): FormFields => ({
    name: 'Worsley Mesnes Lunch Club',
    kind: 'activity',
    organisationName: 'Worsley Mesnes Community Trust (sample data)',
    description: 'A hot lunch and company, every week. Sample data for tests.',
    categories: ['social-group', 'older-people'],
    status: 'active',
    free: 'no',
    fees: '£3 a meal',
    wheelchairAccessible: 'yes',
    locationName: 'St Mark’s Hall',
    address: '1 Sample Street',
    town: 'Wigan',
    postcode: postcodes[0]!,
    schedule0Often: 'W1',
    schedule0Day: 'TU',
    schedule0Opens: '10:00',
    schedule0Closes: '12:00',
    contact0Kind: 'private-individual',
    contact0Name: 'Jo Volunteer',
    contact0Phone: '07700 900123',
    contact1Kind: 'organisation',
    contact1Name: 'Bookings line',
    contact1Phone: '01942 555001',
    contact1Public: 'yes',
    ...overrides,
  });
  const add = (client: Client, form: FormFields) => client.post('/organisations/test-org/directory/services/new', form);
  const idFrom = (location: unknown) => String(location).split('/').pop()!;

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    ({ organisationId } = await seedPeople(database));
    await loadBundledSteps(database.db, ['postcodes.nspl2021']);
    await loadWiganBoundaries(database.db);
    const rows = await queryRows<{ display: string }>(
      database.db,
      sql`select display from postcodes where lad = 'E08000010' and terminated is null and location is not null order by md5(postcode) limit 10`,
    );
    postcodes = rows.map((r) => r.display);
    const [near] = await queryRows<{ display: string }>(
      database.db,
      sql`select p.display from postcodes p, postcodes q where q.display = ${postcodes[3]!} and p.postcode <> q.postcode and p.terminated is null and p.location is not null
          and ST_DWithin(ST_Transform(p.location, 27700), ST_Transform(q.location, 27700), 400) order by p.postcode limit 1`,
    );
    nearby = near!.display;
    // A second organisation with a member of its own.
    const [other] = await database.db.insert(organisations).values({ slug: 'other-org', name: 'Other Organisation', kind: 'council' }).returning({ id: organisations.id });
    await addPerson(database, 'other-member@example.org', other!.id, 'coordinator', 'Other member');
    app = await startTestApp(database, { SIGN_IN_RATE_LIMIT: '1000' });
    member = new Client(app);
    await member.signIn(emailOf('member'));
    coordinator = new Client(app);
    await coordinator.signIn(emailOf('coordinator'));
    otherMember = new Client(app);
    await otherMember.signIn('other-member@example.org');
  }, 600_000);
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('adds a record with a weekly schedule, shown on its public page without the private contact', async () => {
    const form = await member.get('/organisations/test-org/directory/services/new');
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('Add to the directory');
    expect(form.body).toMatch(/<legend class="govuk-fieldset__legend govuk-fieldset__legend--m">\s*Time 1\s*<\/legend>/);

    const saved = await add(member, newForm());
    expect(saved.statusCode).toBe(303);
    expect(saved.headers.location).toMatch(/^\/directory\/services\/[0-9a-f-]{36}$/);
    const id = idFrom(saved.headers.location);
    const record = (await getService(database.db, id))!;
    expect(record.schedules.map((s) => s.text)).toEqual(['Every Tuesday, 10:00 to 12:00']);
    expect(record.contacts.map((c) => [c.kind, c.public])).toEqual([['private-individual', false], ['organisation', true]]);
    expect(record.locations[0]!.lad25?.code).toBe('E08000010');

    const page = await new Client(app).get(saved.headers.location as string);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Worsley Mesnes Lunch Club');
    expect(page.body).toContain('Every Tuesday, 10:00 to 12:00');
    expect(page.body).toContain('There is a charge: £3 a meal');
    expect(page.body).toContain('01942 555001');
    expect(page.body).not.toContain('07700 900123');
    expect(page.body).not.toContain('Jo Volunteer');
    expect(page.body).toContain(record.locations[0]!.lsoa21!.code);
    expect(page.body).toContain(record.locations[0]!.ward25!.name);
    expect(page.body).toContain('Wigan');
    expect(page.body).toContain(`/directory/services/${id}/suggest`);
    expect(page.body).not.toContain('Edit this record');
    expect(page.body).not.toContain('may be out of date');
    // The organisation's members see the way to edit it; others do not.
    expect((await member.get(saved.headers.location as string)).body).toContain(`/organisations/test-org/directory/services/${id}/edit`);
    expect((await otherMember.get(saved.headers.location as string)).body).not.toContain('Edit this record');
    const [audit] = await queryRows<{ n: number }>(database.db, sql`select count(*)::int as n from audit_events where action = 'directory.service.created' and object_id = ${id}`);
    expect(audit!.n).toBe(1);
  });

  it('shows the neighbourhoods a record is in, only to those who may see them', async () => {
    const saved = await add(member, newForm({ name: 'Neighbourhood test hall', kind: 'place', categories: 'community-space', postcode: postcodes[1]!, contact1Phone: '01942 555002', contact0Phone: '07700 900124' }));
    expect(saved.statusCode).toBe(303);
    const record = (await getService(database.db, idFrom(saved.headers.location)))!;
    const { longitude, latitude } = record.locations[0]! as { longitude: number; latitude: number };
    const square = (d: number) => JSON.stringify({ type: 'Polygon', coordinates: [[[longitude - d, latitude - d], [longitude + d, latitude - d], [longitude + d, latitude + d], [longitude - d, latitude + d], [longitude - d, latitude - d]]] });
    const owner = { organisationId, userId: null };
    await createNeighbourhood(database.db, { name: 'Sample public patch', purpose: 'other', description: 'Sample data', sharing: 'public' }, { method: 'drawn', geoJson: square(0.01), repairNote: null }, owner, cliActor);
    await createNeighbourhood(database.db, { name: 'Sample private patch', purpose: 'other', description: 'Sample data', sharing: 'organisation' }, { method: 'drawn', geoJson: square(0.005), repairNote: null }, owner, cliActor);
    const anonymous = await new Client(app).get(saved.headers.location as string);
    expect(anonymous.body).toContain('Sample public patch');
    expect(anonymous.body).not.toContain('Sample private patch');
    expect((await member.get(saved.headers.location as string)).body).toContain('Sample private patch');
  });

  it('refuses bad input with the message, saving nothing', async () => {
    const before = await count();
    const unknown = await add(member, newForm({ name: 'Nowhere Club', postcode: 'WN9 9ZZ' }));
    expect(unknown.statusCode).toBe(400);
    expect(unknown.body).toContain('WN9 9ZZ is not among the postcodes loaded into Patchwork');
    expect(unknown.body).toContain('href="#postcode"');
    expect(unknown.body).toContain('value="Nowhere Club"');

    const nameless = await add(member, newForm({ name: '  ' }));
    expect(nameless.statusCode).toBe(400);
    expect(nameless.body).toContain('Enter the name of the place, group or activity');

    const backwards = await add(member, newForm({ name: 'Backwards Club', schedule0Opens: '14:00', schedule0Closes: '13:30' }));
    expect(backwards.statusCode).toBe(400);
    expect(backwards.body).toContain('The end time must be after the start time (time 1)');
    expect(backwards.body).toContain('href="#schedule0Closes"');

    const published = await add(member, newForm({ name: 'Published Club', contact0Public: 'yes' }));
    expect(published.statusCode).toBe(400);
    expect(published.body).toContain('A private individual’s own contact details are never published');

    const uncategorised = await add(member, newForm({ name: 'No Category Club', categories: [] }));
    expect(uncategorised.statusCode).toBe(400);
    expect(uncategorised.body).toContain('Choose at least one category');

    const badDate = await add(member, newForm({ name: 'Date Club', 'lastChecked-day': '31', 'lastChecked-month': '2', 'lastChecked-year': '2025' }));
    expect(badDate.statusCode).toBe(400);
    expect(badDate.body).toContain('The date last checked must be a real date');
    expect(await count()).toBe(before);
  });

  it('shows likely duplicates before saving (same name nearby, same phone, same postcode) and saves once confirmed', async () => {
    const first = await add(member, newForm({ name: 'Orrell Water Park Friends', kind: 'activity', categories: 'group-club', postcode: postcodes[3]!, contact1Phone: '01942 555003', contact0Phone: '07700 900125' }));
    expect(first.statusCode).toBe(303);
    const existing = idFrom(first.headers.location);
    const before = await count();

    const sameName = await add(member, newForm({ name: 'The Orrell Water Park Friends', categories: 'group-club', postcode: nearby, contact1Phone: '01942 555004', contact0Phone: '07700 900126' }));
    expect(sameName.statusCode).toBe(200);
    expect(sameName.body).toContain('This may already be in the directory');
    expect(sameName.body).toContain(`/directory/services/${existing}`);
    expect(sameName.body).toContain('Same name nearby');
    expect(sameName.body).toContain('name="confirm" value="new"');
    // Everything typed is kept in the form, to save as it is.
    expect(sameName.body).toContain('value="The Orrell Water Park Friends"');

    const samePhone = await add(member, newForm({ name: 'Completely different', categories: 'group-club', postcode: postcodes[4]!, contact1Phone: '+44 1942 555003', contact0Phone: '07700 900127' }));
    expect(samePhone.statusCode).toBe(200);
    expect(samePhone.body).toContain('Same phone');

    const samePostcode = await add(member, newForm({ name: 'Another thing entirely', categories: 'group-club', postcode: postcodes[3]!.replace(' ', '').toLowerCase(), contact1Phone: '01942 555005', contact0Phone: '07700 900128' }));
    expect(samePostcode.statusCode).toBe(200);
    expect(samePostcode.body).toContain('Same postcode');
    expect(await count()).toBe(before);

    const confirmed = await add(member, newForm({ name: 'Another thing entirely', categories: 'group-club', postcode: postcodes[3]!, contact1Phone: '01942 555005', contact0Phone: '07700 900128', confirm: 'new' }));
    expect(confirmed.statusCode).toBe(303);
    expect(await count()).toBe(before + 1);
  });

  it('merges a new entry into an existing record from the duplicate panel, and two records from the merge page', async () => {
    const first = await add(member, newForm({ name: 'Ince Library', kind: 'place', categories: 'library', postcode: postcodes[5]!, contact1Phone: '01942 555006', contact0Phone: '07700 900129', schedule0Day: 'WE' }));
    const keep = idFrom(first.headers.location);
    const panel = await add(member, newForm({ name: 'Ince Library', kind: 'place', categories: ['library', 'learning-skills'], postcode: postcodes[5]!, contact1Phone: '01942 555006', contact0Phone: '07700 900129', schedule0Day: 'SA' }));
    expect(panel.statusCode).toBe(200);
    expect(panel.body).toContain(`name="mergeInto" value="${keep}"`);
    const merged = await add(member, newForm({ name: 'Ince Library', kind: 'place', categories: ['library', 'learning-skills'], postcode: postcodes[5]!, contact1Phone: '01942 555006', contact0Phone: '07700 900129', schedule0Day: 'SA', mergeInto: keep }));
    expect(merged.statusCode).toBe(303);
    expect(merged.headers.location).toBe(`/organisations/test-org/directory/services/${keep}/edit`);
    const kept = (await getService(database.db, keep))!;
    expect(kept.categories.map((c) => c.id).sort()).toEqual(['learning-skills', 'library']);
    expect(kept.schedules.map((s) => s.text).sort()).toEqual(['Every Saturday, 10:00 to 12:00', 'Every Wednesday, 10:00 to 12:00']);
    const [stub] = await queryRows<{ id: string }>(database.db, sql`select id from directory_services where merged_into_id = ${keep}`);
    expect(stub).toBeDefined();
    const moved = await new Client(app).get(`/directory/services/${stub!.id}`);
    expect(moved.statusCode).toBe(301);
    expect(moved.headers.location).toBe(`/directory/services/${keep}`);

    // Two records saved apart, merged on the merge page by a coordinator.
    const other = idFrom((await add(member, newForm({ name: 'Ince Library and Hub', kind: 'place', categories: 'library', postcode: postcodes[5]!, contact1Phone: '01942 555007', contact0Phone: '07700 900130', confirm: 'new' }))).headers.location);
    expect((await member.get(`/organisations/test-org/directory/services/${keep}/merge`)).statusCode).toBe(403);
    const page = await coordinator.get(`/organisations/test-org/directory/services/${keep}/merge`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(`value="${other}"`);
    expect(page.body).toContain('Same postcode');
    const unchosen = await coordinator.post(`/organisations/test-org/directory/services/${keep}/merge`, { keep: 'this' });
    expect(unchosen.statusCode).toBe(400);
    expect(unchosen.body).toContain('Choose the record that is the same as this one');
    const done = await coordinator.post(`/organisations/test-org/directory/services/${keep}/merge`, { other, keep: 'this' });
    expect(done.statusCode).toBe(303);
    expect(done.headers.location).toBe(`/directory/services/${keep}`);
    expect((await getService(database.db, other))!.mergedIntoId).toBe(keep);
    expect((await new Client(app).get(`/directory/services/${other}`)).headers.location).toBe(`/directory/services/${keep}`);
    const list = await member.get('/organisations/test-org/directory');
    expect(list.body).not.toContain(`/directory/services/${other}"`);
  });

  it('flags stale records first, and "still correct" clears the flag', async () => {
    const old = await add(member, newForm({ name: 'Zebra Crossing Club', categories: 'group-club', postcode: postcodes[6]!, contact1Phone: '01942 555008', contact0Phone: '07700 900131', 'lastChecked-day': '1', 'lastChecked-month': '3', 'lastChecked-year': String(new Date().getFullYear() - 2) }));
    expect(old.statusCode).toBe(303);
    const id = idFrom(old.headers.location);
    const list = await member.get('/organisations/test-org/directory');
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain('1 record has not been checked for more than a year');
    // Listed first, though it sorts last by name.
    const rows = [...list.body.matchAll(/<a class="govuk-link" href="\/directory\/services\/([0-9a-f-]{36})">/g)].map((m) => m[1]);
    expect(rows[0]).toBe(id);
    expect(list.body).toContain('Needs checking');
    const page = await new Client(app).get(`/directory/services/${id}`);
    expect(page.body).toContain('They may be out of date');

    const checked = await member.post(`/organisations/test-org/directory/services/${id}/checked`);
    expect(checked.statusCode).toBe(303);
    expect((await getService(database.db, id))!.stale).toBe(false);
    expect((await member.get('/organisations/test-org/directory')).body).not.toContain('Needs checking');
  });

  it('edits a record, keeping what the form does not show; another organisation cannot', async () => {
    const saved = await add(member, newForm({ name: 'Hindley Green Allotments', kind: 'place', categories: 'allotment', postcode: postcodes[7]!, contact1Phone: '01942 555009', contact0Phone: '07700 900132' }));
    const id = idFrom(saved.headers.location);
    await database.db.execute(sql`update directory_services set sample = true where id = ${id}`);
    const editPath = `/organisations/test-org/directory/services/${id}/edit`;
    const form = await member.get(editPath);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('value="Hindley Green Allotments"');
    expect(form.body).toContain('value="07700 900132"');

    // Another organisation's people: refused by the permission check under this organisation's address, and
    // not found under their own.
    expect((await otherMember.get(editPath)).statusCode).toBe(403);
    expect((await otherMember.get(`/organisations/other-org/directory/services/${id}/edit`)).statusCode).toBe(404);
    expect((await otherMember.post(`/organisations/other-org/directory/services/${id}/edit`, newForm({ name: 'Hijacked' }))).statusCode).toBe(404);
    expect((await otherMember.post(`/organisations/other-org/directory/services/${id}/checked`)).statusCode).toBe(404);
    expect((await new Client(app).get(editPath)).statusCode).toBe(302);

    const before = (await getService(database.db, id))!;
    const edited = await member.post(editPath, newForm({ name: 'Hindley Green Allotments and Orchard', kind: 'place', categories: 'allotment', postcode: postcodes[7]!, contact1Phone: '01942 555009', contact0Phone: '07700 900132', schedule0Often: '', schedule0Day: '', schedule0Opens: '', schedule0Closes: '' }));
    expect(edited.statusCode).toBe(303);
    const after = (await getService(database.db, id))!;
    expect(after.name).toBe('Hindley Green Allotments and Orchard');
    expect(after.schedules).toEqual([]);
    expect(after.sample).toBe(true);
    expect(after.organisation.id).toBe(before.organisation.id);
    expect(after.locations[0]!.lsoa21).toEqual(before.locations[0]!.lsoa21);
    const [audit] = await queryRows<{ n: number }>(database.db, sql`select count(*)::int as n from audit_events where action = 'directory.service.updated' and object_id = ${id}`);
    expect(audit!.n).toBe(1);
    expect((await new Client(app).get(`/directory/services/${id}`)).body).toContain('Sample data');

    const broken = await member.post(editPath, newForm({ name: 'Hindley Green Allotments and Orchard', postcode: 'WN9 9ZZ' }));
    expect(broken.statusCode).toBe(400);
    expect((await getService(database.db, id))!.locations[0]!.postcode).toBe(postcodes[7]);
  });

  it('saves a record read into its edit form unchanged, beyond what the form shows', async () => {
    const id = await createService(
      database.db,
      {
        organisation: { name: 'Sample Imported Trust (sample data)', description: 'Described by an import', url: 'https://example.org/trust', email: null, phone: '01942 555090' },
        kind: 'activity',
        name: 'Imported Walking Group',
        description: 'Sample data.',
        url: null,
        email: 'walks@example.org',
        status: 'active',
        free: null,
        fees: null,
        eligibility: 'Adults',
        minimumAge: 18,
        maximumAge: null,
        wheelchairAccessible: false,
        accessibility: null,
        lastChecked: '2026-01-15',
        categories: ['physical-activity'],
        locations: [
          { name: 'Start point', address1: null, city: null, postcode: postcodes[9]!, longitude: null, latitude: null, accessibility: 'Flat path' },
          { name: 'Second start', address1: null, city: null, postcode: null, longitude: -2.6, latitude: 53.53, accessibility: null },
        ],
        schedules: [
          { freq: 'WEEKLY', interval: 1, byDay: 'MO,TH', opensAt: '09:30', closesAt: '11:00', validFrom: '2026-01-01', validTo: null, description: 'Short walk' },
          { freq: 'MONTHLY', interval: 3, byDay: '2SU', opensAt: null, closesAt: null, validFrom: null, validTo: null, description: null },
        ],
        contacts: [
          { kind: 'organisation', name: null, title: null, phone: '01942 555091', email: null, public: true },
          { kind: 'staff', name: 'A Walk Leader', title: 'Coordinator', phone: null, email: 'leader@example.org', public: true },
          { kind: 'private-individual', name: 'A Volunteer', title: null, phone: '07700 900140', email: null, public: false },
        ],
      },
      { organisationId, userId: null },
      cliActor,
    );
    const before = (await getService(database.db, id))!;
    const values = formValuesOf(before);
    const form = await member.get(`/organisations/test-org/directory/services/${id}/edit`);
    expect(form.body).toContain('name="schedule3Often"');
    expect(form.body).toContain('The second … of every 3 months');
    expect(form.body).toContain('name="contact2Kind"');
    expect(form.body).toContain('It is also at Second start');
    const saved = await member.post(`/organisations/test-org/directory/services/${id}/edit`, values);
    expect(saved.statusCode).toBe(303);
    const after = (await getService(database.db, id))!;
    // Monday and Thursday became a row each, which means the same (read back in no set order for the same start).
    expect(after.schedules.map((s) => [s.text, s.description, s.validFrom]).sort()).toEqual([
      ['Every Monday, 09:30 to 11:00', 'Short walk', '2026-01-01'],
      ['Every Thursday, 09:30 to 11:00', 'Short walk', '2026-01-01'],
      ['The second Sunday of every 3 months', null, null],
    ].sort());
    const strip = (r: typeof before) => ({ ...r, updatedAt: null, schedules: null, contacts: r.contacts.map(({ id: _, ...c }) => c), locations: r.locations.map(({ serviceLocationId: _, ...l }) => l) });
    expect(strip(after)).toEqual(strip(before));
  });

  it('lets a coordinator add categories of the organisation’s own, used in the form', async () => {
    expect((await member.get('/organisations/test-org/directory/categories')).statusCode).toBe(403);
    const page = await coordinator.get('/organisations/test-org/directory/categories');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Community centres, halls and hubs');
    const empty = await coordinator.post('/organisations/test-org/directory/categories', { name: ' ', parentId: 'places' });
    expect(empty.statusCode).toBe(400);
    expect(empty.body).toContain('Enter the category’s name');
    const added = await coordinator.post('/organisations/test-org/directory/categories', { name: 'Warm spaces', parentId: 'places', description: 'Somewhere warm to spend the day in winter' });
    expect(added.statusCode).toBe(303);
    const again = await coordinator.post('/organisations/test-org/directory/categories', { name: 'Warm spaces', parentId: 'places' });
    expect(again.statusCode).toBe(400);
    expect(again.body).toContain('There is already a category called Warm spaces there');
    expect((await coordinator.get('/organisations/test-org/directory/categories')).body).toContain('Somewhere warm to spend the day in winter');
    const form = await member.get('/organisations/test-org/directory/services/new');
    expect(form.body).toContain('value="test-org:warm-spaces"');
    // Only the organisation that made it may use it.
    expect((await otherMember.get('/organisations/other-org/directory/services/new')).body).not.toContain('test-org:warm-spaces');
    const saved = await add(member, newForm({ name: 'Warm Welcome Café', kind: 'place', categories: 'test-org:warm-spaces', postcode: postcodes[8]!, contact1Phone: '01942 555010', contact0Phone: '07700 900133' }));
    expect(saved.statusCode).toBe(303);
    expect((await getService(database.db, idFrom(saved.headers.location)))!.categories.map((c) => c.name)).toEqual(['Warm spaces']);
  });

  it('keeps the organisation’s pages to its members, and answers unknown records with 404', async () => {
    const anonymous = new Client(app);
    const list = await anonymous.get('/organisations/test-org/directory');
    expect(list.statusCode).toBe(302);
    expect(list.headers.location).toMatch(/^\/sign-in/);
    expect((await otherMember.get('/organisations/test-org/directory')).statusCode).toBe(403);
    expect((await anonymous.get('/directory/services/00000000-0000-4000-8000-000000000000')).statusCode).toBe(404);
    expect((await anonymous.get('/directory/services/not-an-id')).statusCode).toBe(404);
  });
});
