import { sql } from 'drizzle-orm';
import { loadWiganBoundaries } from './testing.ts';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { organisations } from '../../platform/auth/schema.ts';
import { queryRows } from '../../platform/db/database.ts';
import { createTestDatabase, engines, type TestDatabase } from '../../../tests/support/engines.ts';
import { addPerson, Client, emailOf, seedPeople, startTestApp } from '../../../tests/support/app.ts';
import { loadBundledSteps } from '../../../tests/support/data.ts';
import { getService } from './service.ts';

type FormFields = Record<string, string | string[]>;
type SuggestionRow = { id: string; kind: string; status: string; submitter_email: string | null; lad25: string | null; result_service_id: string | null; reason: string | null; decided_by: string | null; decided_at: string | null; proposed: unknown };

describe.each(engines)('residents’ suggestions on %s', (engine) => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let member: Client;
  let coordinator: Client;
  let elsewhere: Client;
  let postcodes: string[];
  /** How many suggestions of new assets this app has taken from the one test connection (the limit is 10 an hour). */
  let sent = 0;

  const suggestions = async () => queryRows<SuggestionRow>(database.db, sql`select * from directory_suggestions order by created_at, id`);
  const latest = async () => (await suggestions()).at(-1)!;
  const resident = async (url = '/directory/suggest') => {
    const client = new Client(app);
    expect((await client.get(url)).statusCode).toBe(200);
    return client;
  };
  const suggest = async (form: FormFields) => {
    sent++;
    return (await resident()).post('/directory/suggest', form);
  };
  const recordForm = (overrides: FormFields = {}): FormFields => ({
    name: 'Marsh Green Community Garden',
    kind: 'place',
    organisationName: 'Marsh Green Growers (sample data)',
    categories: 'allotment',
    status: 'active',
    free: 'yes',
    wheelchairAccessible: 'unknown',
    postcode: postcodes[0]!,
    schedule0Often: 'W1',
    schedule0Day: 'SA',
    schedule0Opens: '10am',
    schedule0Closes: '1pm',
    ...overrides,
  });

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    await seedPeople(database);
    await loadBundledSteps(database.db, ['postcodes.nspl2021']);
    await loadWiganBoundaries(database.db);
    const rows = await queryRows<{ display: string }>(database.db, sql`select display from postcodes where lad = 'E08000010' and terminated is null and location is not null order by md5(postcode) limit 6`);
    postcodes = rows.map((r) => r.display);
    // A coordinator of an organisation that keeps no records and is based outside Wigan: Wigan's suggestions are not theirs.
    const [far] = await database.db.insert(organisations).values({ slug: 'far-org', name: 'Far Organisation', kind: 'vcse', location: 'SRID=4326;POINT(-1.38 54.9)' }).returning({ id: organisations.id });
    await addPerson(database, 'far@example.org', far!.id, 'coordinator', 'Far coordinator');
    app = await startTestApp(database, { SIGN_IN_RATE_LIMIT: '1000' });
    member = new Client(app);
    await member.signIn(emailOf('member'));
    coordinator = new Client(app);
    await coordinator.signIn(emailOf('coordinator'));
    elsewhere = new Client(app);
    await elsewhere.signIn('far@example.org');
  }, 600_000);
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('takes a new asset from a resident without an account, and a coordinator accepts it into the directory', async () => {
    const page = await resident();
    const form = await page.get('/directory/suggest');
    expect(form.body).toContain('Suggest a place, group or activity');
    expect(form.body).toContain('name="_csrf"');
    sent++;
    const sentResponse = await page.post('/directory/suggest', { name: 'Marsh Green Community Garden', category: 'allotment', description: 'Raised beds and a polytunnel. Sample data.', postcode: postcodes[0]!.toLowerCase().replace(' ', ''), address: 'Behind the library', when: 'Saturday mornings', contact: 'marshgreengrowers@example.org', email: 'resident@example.org' });
    expect(sentResponse.statusCode).toBe(303);
    expect(sentResponse.headers.location).toBe('/directory/suggest/thanks');
    expect((await page.get('/directory/suggest/thanks')).body).toContain('Your suggestion has been sent');
    const stored = await latest();
    expect(stored).toMatchObject({ kind: 'new', status: 'pending', submitter_email: 'resident@example.org', lad25: 'E08000010' });
    expect(stored.proposed).toMatchObject({ name: 'Marsh Green Community Garden', postcode: postcodes[0] });

    // The queue: this organisation is based in Wigan; one based elsewhere with no records there does not see it.
    const queue = await coordinator.get('/organisations/test-org/directory/suggestions');
    expect(queue.statusCode).toBe(200);
    expect(queue.body).toContain('Marsh Green Community Garden');
    expect((await elsewhere.get('/organisations/far-org/directory/suggestions')).body).not.toContain('Marsh Green Community Garden');
    expect((await elsewhere.get(`/organisations/far-org/directory/suggestions/${stored.id}`)).statusCode).toBe(404);
    const decision = await coordinator.get(`/organisations/test-org/directory/suggestions/${stored.id}`);
    expect(decision.body).toContain('resident@example.org');
    expect(decision.body).toContain('Saturday mornings');

    const accept = await coordinator.get(`/organisations/test-org/directory/suggestions/${stored.id}/accept`);
    expect(accept.statusCode).toBe(200);
    expect(accept.body).toContain('value="Marsh Green Community Garden"');
    expect(accept.body).toContain(`value="${postcodes[0]}"`);
    expect(accept.body).toMatch(/value="allotment" checked/);
    expect(accept.body).toContain('Saturday mornings');
    const saved = await coordinator.post(`/organisations/test-org/directory/suggestions/${stored.id}/accept`, recordForm());
    expect(saved.statusCode).toBe(303);
    const serviceId = String(saved.headers.location).split('/').pop()!;
    const record = (await getService(database.db, serviceId))!;
    expect(record.name).toBe('Marsh Green Community Garden');
    expect(record.schedules.map((s) => s.text)).toEqual(['Every Saturday, 10:00 to 13:00']);
    const decided = (await suggestions()).find((s) => s.id === stored.id)!;
    expect(decided).toMatchObject({ status: 'accepted', result_service_id: serviceId, submitter_email: null });
    expect(decided.decided_by).not.toBeNull();
    expect(decided.decided_at).not.toBeNull();
    const audit = await queryRows<{ action: string; details: unknown }>(database.db, sql`select action, details from audit_events where object_id = ${stored.id} order by id`);
    expect(audit.map((a) => a.action)).toEqual(['directory.suggestion.made', 'directory.suggestion.accepted']);
    expect(JSON.stringify(audit)).not.toContain('resident@example.org');
    // Decided once only.
    expect((await coordinator.get('/organisations/test-org/directory/suggestions')).body).not.toContain(`/suggestions/${stored.id}"`);
    const twice = await coordinator.post(`/organisations/test-org/directory/suggestions/${stored.id}/reject`, { reason: 'Again' });
    expect(twice.statusCode).toBe(303);
    expect((await suggestions()).find((s) => s.id === stored.id)!.status).toBe('accepted');
  });

  it('refuses a postcode it does not know, and other bad answers, storing nothing', async () => {
    const before = (await suggestions()).length;
    const unknown = await suggest({ name: 'Somewhere', postcode: 'WN9 9ZZ' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.body).toContain('WN9 9ZZ is not among the postcodes loaded into Patchwork');
    const nonsense = await suggest({ name: '', postcode: 'not a postcode', email: 'nope', category: 'made-up' });
    expect(nonsense.statusCode).toBe(400);
    expect(nonsense.body).toContain('Enter the name of the place, group or activity');
    expect(nonsense.body).toContain('is not a postcode');
    expect(nonsense.body).toContain('Choose what it is from the list');
    expect((await suggestions()).length).toBe(before);
  });

  it('needs a reason to reject, keeps it, and erases the email', async () => {
    expect((await suggest({ name: 'Pop-up Bingo', postcode: postcodes[1]!, email: 'bingo@example.org' })).statusCode).toBe(303);
    const s = await latest();
    const noReason = await coordinator.post(`/organisations/test-org/directory/suggestions/${s.id}/reject`, { reason: '  ' });
    expect(noReason.statusCode).toBe(400);
    expect(noReason.body).toContain('Enter why it is rejected');
    expect((await latest()).status).toBe('pending');
    const rejected = await coordinator.post(`/organisations/test-org/directory/suggestions/${s.id}/reject`, { reason: 'A one-off event, not a regular activity' });
    expect(rejected.statusCode).toBe(303);
    expect(await latest()).toMatchObject({ status: 'rejected', reason: 'A one-off event, not a regular activity', submitter_email: null, result_service_id: null });
    const [audit] = await queryRows<{ details: { reason: string } }>(database.db, sql`select details from audit_events where object_id = ${s.id} and action = 'directory.suggestion.rejected'`);
    expect(audit!.details.reason).toBe('A one-off event, not a regular activity');
    // The reason is for the organisation, not the public.
    const page = await coordinator.get(`/organisations/test-org/directory/suggestions/${s.id}`);
    expect(page.body).toContain('A one-off event, not a regular activity');
  });

  it('merges a suggestion into the record that already lists it', async () => {
    const made = await coordinator.post('/organisations/test-org/directory/services/new', recordForm({ name: 'Norley Hall Library', categories: 'library', postcode: postcodes[2]! }));
    expect(made.statusCode).toBe(303);
    const recordId = String(made.headers.location).split('/').pop()!;
    expect((await suggest({ name: 'The Norley Hall Library', postcode: postcodes[2]!, when: 'Also open Sunday afternoons', email: 'reader@example.org' })).statusCode).toBe(303);
    const s = await latest();
    const page = await coordinator.get(`/organisations/test-org/directory/suggestions/${s.id}`);
    expect(page.body).toContain(`value="${recordId}"`);
    expect(page.body).toContain('Same name nearby, same postcode');
    const unchosen = await coordinator.post(`/organisations/test-org/directory/suggestions/${s.id}/merge`, {});
    expect(unchosen.statusCode).toBe(400);
    expect(unchosen.body).toContain('Choose the record that already lists it');
    const merged = await coordinator.post(`/organisations/test-org/directory/suggestions/${s.id}/merge`, { serviceId: recordId });
    expect(merged.statusCode).toBe(303);
    expect(merged.headers.location).toBe(`/organisations/test-org/directory/services/${recordId}/edit?suggestion=${s.id}`);
    expect(await latest()).toMatchObject({ status: 'merged', result_service_id: recordId, submitter_email: null });
    const edit = await coordinator.get(String(merged.headers.location));
    expect(edit.body).toContain('Also open Sunday afternoons');
    expect(edit.body).toContain('value="Norley Hall Library"');
  });

  it('takes a correction to a record and accepts it through the record’s form', async () => {
    const made = await coordinator.post('/organisations/test-org/directory/services/new', recordForm({ name: 'Beech Hill Youth Club', kind: 'activity', categories: 'children-families', postcode: postcodes[3]! }));
    const recordId = String(made.headers.location).split('/').pop()!;
    const publicPage = await new Client(app).get(`/directory/services/${recordId}`);
    expect(publicPage.body).toContain(`/directory/services/${recordId}/suggest`);
    const page = await resident(`/directory/services/${recordId}/suggest`);
    const empty = await page.post(`/directory/services/${recordId}/suggest`, { problem: '' });
    expect(empty.statusCode).toBe(400);
    expect(empty.body).toContain('Tell us what is wrong or out of date');
    const sentCorrection = await page.post(`/directory/services/${recordId}/suggest`, { problem: 'It moved to Thursdays', details: 'Thursdays 6pm to 8pm', email: 'parent@example.org' });
    expect(sentCorrection.statusCode).toBe(303);
    expect((await page.get(String(sentCorrection.headers.location))).body).toContain('Your correction has been sent');
    const s = await latest();
    expect(s).toMatchObject({ kind: 'correction', lad25: 'E08000010', submitter_email: 'parent@example.org' });

    const queue = await coordinator.get('/organisations/test-org/directory/suggestions');
    expect(queue.body).toContain('Correction to Beech Hill Youth Club');
    const form = await coordinator.get(`/organisations/test-org/directory/suggestions/${s.id}/accept`);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('It moved to Thursdays');
    expect(form.body).toContain('value="Beech Hill Youth Club"');
    const saved = await coordinator.post(`/organisations/test-org/directory/suggestions/${s.id}/accept`, recordForm({ name: 'Beech Hill Youth Club', kind: 'activity', categories: 'children-families', postcode: postcodes[3]!, schedule0Day: 'TH', schedule0Opens: '6pm', schedule0Closes: '8pm' }));
    expect(saved.statusCode).toBe(303);
    expect(saved.headers.location).toBe(`/directory/services/${recordId}`);
    expect((await getService(database.db, recordId))!.schedules.map((x) => x.text)).toEqual(['Every Thursday, 18:00 to 20:00']);
    expect(await latest()).toMatchObject({ status: 'accepted', result_service_id: recordId, submitter_email: null });
  });

  it('shows markup in a suggestion as text, never as markup', async () => {
    const script = '<script>alert("boo")</script>';
    expect((await suggest({ name: `Club ${script}`, description: `<img src=x onerror=alert(1)> ${script}`, postcode: postcodes[4]!, when: script })).statusCode).toBe(303);
    const s = await latest();
    // Stored as the plain text that was typed, not as HTML.
    expect((s.proposed as Record<string, string>).name).toBe(`Club ${script}`);
    for (const url of ['/organisations/test-org/directory/suggestions', `/organisations/test-org/directory/suggestions/${s.id}`, `/organisations/test-org/directory/suggestions/${s.id}/accept`]) {
      const body = (await coordinator.get(url)).body;
      expect(body).toContain('Club &lt;script&gt;alert(&quot;boo&quot;)&lt;/script&gt;');
      expect(body).not.toContain('<script>alert');
      expect(body).not.toContain('<img src=x');
    }
    // Saved as a record just as it was written, it is still text on the public page.
    const saved = await coordinator.post(`/organisations/test-org/directory/suggestions/${s.id}/accept`, recordForm({ name: `Club ${script}`, categories: 'group-club', kind: 'activity', postcode: postcodes[4]!, description: `<img src=x onerror=alert(1)>` }));
    expect(saved.statusCode).toBe(303);
    const body = (await new Client(app).get(String(saved.headers.location))).body;
    expect(body).toContain('Club &lt;script&gt;');
    expect(body).not.toContain('<script>alert');
    expect(body).not.toContain('<img src=x');
  });

  it('keeps the queue from anyone but the organisation’s coordinators', async () => {
    const anonymous = new Client(app);
    const queue = await anonymous.get('/organisations/test-org/directory/suggestions');
    expect(queue.statusCode).toBe(302);
    expect(queue.headers.location).toMatch(/^\/sign-in/);
    expect((await member.get('/organisations/test-org/directory/suggestions')).statusCode).toBe(403);
    const [pending] = await queryRows<{ id: string }>(database.db, sql`select id from directory_suggestions limit 1`);
    await anonymous.get('/directory/suggest');
    expect((await anonymous.post(`/organisations/test-org/directory/suggestions/${pending!.id}/reject`, { reason: 'x' })).statusCode).toBe(401);
    // Without a form token nothing is accepted, even from a resident.
    expect((await anonymous.post('/directory/suggest', { name: 'Forged', postcode: postcodes[5]! }, { csrf: false })).statusCode).toBe(403);
  });

  it('limits how many suggestions one connection may send', async () => {
    const page = await resident();
    let response;
    for (let i = sent; i <= 10; i++) response = await page.post('/directory/suggest', { name: `Flood ${i}`, postcode: postcodes[5]! });
    expect(response!.statusCode).toBe(429);
    expect(response!.body).toContain('Too many suggestions');
    expect(response!.body).toContain('Try again in an hour');
  });
});
