import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { organisations, type Role } from '../../platform/auth/schema.ts';
import { queryRows } from '../../platform/db/database.ts';
import { addPerson, Client, emailOf, seedPeople, startTestApp } from '../../../tests/support/app.ts';
import { createTestDatabase, engines, type TestDatabase } from '../../../tests/support/engines.ts';
import { stageChecklists } from './stages.ts';

describe.each(engines)('partnerships: making one, its people, stage and public page, on %s', (engine) => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let partnershipId: string;
  const signedIn: Record<string, Client> = {};
  const client = async (email: string) => {
    if (!signedIn[email]) {
      const c = new Client(app);
      const response = await c.signIn(email);
      expect(response.statusCode).toBe(303);
      signedIn[email] = c;
    }
    return signedIn[email]!;
  };
  const count = async (table: string) => (await queryRows<{ n: number }>(database.db, sql`select count(*)::int as n from ${sql.identifier(table)}`))[0]!.n;
  const partnershipRow = async () => (await queryRows<{ stage: string; version: number; published: boolean }>(database.db, sql`select stage, version, published from partnerships where id = ${partnershipId}`))[0]!;
  const versionOn = (body: string) => Number(/name="version" value="(\d+)"/.exec(body)?.[1]);

  /** A person with a role in an organisation, made for these tests. */
  const person = (email: string, organisationId: string, role: Role) => addPerson(database, email, organisationId, role);

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    await seedPeople(database);
    // Two 2025 wards (sample data: made-up names and codes) and a third known only from a lookup, without a boundary.
    await database.db.execute(sql`insert into area_vintages (id, type, year, label) values ('ward25', 'ward', 2025, 'Wards 2025 (sample)')`);
    await database.db.execute(sql`insert into areas (vintage, code, name) values ('ward25', 'E05990001', 'Sample North ward'), ('ward25', 'E05990002', 'Sample South ward')`);
    await database.db.execute(sql`insert into area_lookups (from_vintage, from_code, to_vintage, to_code, method, source) values ('lsoa21', 'E01990001', 'ward25', 'E05990003', 'best-fit', 'sample data')`);
    const orgs = await database.db
      .insert(organisations)
      .values([
        { slug: 'sample-council', name: 'Sample Council', kind: 'council' },
        { slug: 'sample-police', name: 'Sample Neighbourhood Policing', kind: 'police' },
        { slug: 'sample-housing', name: 'Sample Housing Association', kind: 'housing' },
        { slug: 'sample-health', name: 'Sample Health Centre', kind: 'nhs' },
        { slug: 'other-org', name: 'Another Organisation', kind: 'vcse' },
      ])
      .returning({ id: organisations.id, slug: organisations.slug });
    const id = (slug: string) => orgs.find((o) => o.slug === slug)!.id;
    await person('council-admin@example.org', id('sample-council'), 'admin');
    await person('council-coordinator@example.org', id('sample-council'), 'coordinator');
    await person('stranger@example.org', id('other-org'), 'admin');
    app = await startTestApp(database, { SIGN_IN_RATE_LIMIT: '1000' });
  });
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('refuses bad input with specific messages and makes nothing', async () => {
    const coordinator = await client(emailOf('coordinator'));
    expect((await coordinator.get('/organisations/test-org/partnerships/new')).statusCode).toBe(200);
    const base = { name: 'Sample North and South partnership', wards: 'E05990001\nE05990002', organisations: ['sample-council'] };
    const noName = await coordinator.post('/organisations/test-org/partnerships/new', { ...base, name: '  ' });
    expect(noName.statusCode).toBe(400);
    expect(noName.body).toContain('Enter a name for the partnership');
    const unknownWard = await coordinator.post('/organisations/test-org/partnerships/new', { ...base, wards: 'E05990001\nE05999999' });
    expect(unknownWard.statusCode).toBe(400);
    expect(unknownWard.body).toContain('Patchwork does not know the ward E05999999 (2025 wards)');
    const notAWard = await coordinator.post('/organisations/test-org/partnerships/new', { ...base, wards: 'Hyde Park' });
    expect(notAWard.statusCode).toBe(400);
    expect(notAWard.body).toContain('ward codes look like E05001234');
    const unknownOrg = await coordinator.post('/organisations/test-org/partnerships/new', { ...base, organisations: ['sample-council', 'no-such-org'] });
    expect(unknownOrg.statusCode).toBe(400);
    expect(unknownOrg.body).toContain('There is no organisation no-such-org in Patchwork');
    const noPlace = await coordinator.post('/organisations/test-org/partnerships/new', { ...base, wards: '' });
    expect(noPlace.statusCode).toBe(400);
    expect(noPlace.body).toContain('Enter at least one ward code or choose a neighbourhood');
    expect(await count('partnerships')).toBe(0);
  });

  it('only coordinators of the organisation may set one up', async () => {
    const member = await client(emailOf('member'));
    expect((await member.get('/organisations/test-org/partnerships/new')).statusCode).toBe(403);
    expect((await member.post('/organisations/test-org/partnerships/new', { name: 'X', wards: 'E05990001' })).statusCode).toBe(403);
    expect((await new Client(app).get('/organisations/test-org/partnerships/new')).statusCode).toBe(302);
    expect(await count('partnerships')).toBe(0);
  });

  it('sets up a partnership for two wards with four organisations, audited', async () => {
    const coordinator = await client(emailOf('coordinator'));
    const response = await coordinator.post('/organisations/test-org/partnerships/new', {
      name: 'Sample North and South partnership',
      description: 'Sample data: a partnership made for tests.',
      wards: 'E05990001\ne05990002',
      wardVintage: 'ward25',
      organisations: ['sample-council', 'sample-police', 'sample-health'],
    });
    expect(response.statusCode).toBe(303);
    partnershipId = String(response.headers.location).split('/').pop()!;
    const page = await coordinator.get(`/partnerships/${partnershipId}`);
    expect(page.statusCode).toBe(200);
    for (const text of ['Sample North ward', 'Sample South ward', 'Test Organisation (lead)', 'Sample Council', 'Sample Neighbourhood Policing', 'Sample Health Centre', 'Test coordinator', 'Started at Catalyse', 'A coordinator is named']) expect(page.body).toContain(text);
    expect(page.body).not.toContain('Sample Housing Association (lead)');
    expect(await count('partnership_organisations')).toBe(4);
    expect(await count('partnership_areas')).toBe(2);
    const audit = await queryRows<{ n: number }>(database.db, sql`select count(*)::int as n from audit_events where action = 'partnership.create' and object_id = ${partnershipId}`);
    expect(audit[0]!.n).toBe(1);
    // A ward known only from a lookup (no boundary loaded yet) is accepted too.
    const another = await coordinator.post('/organisations/test-org/partnerships/new', { name: 'Sample lookup-only ward partnership', wards: 'E05990003' });
    expect(another.statusCode).toBe(303);
  });

  it('keeps non-members out of the overview and every change', async () => {
    const stranger = await client('stranger@example.org');
    const outsider = await client(emailOf('outsider'));
    for (const c of [stranger, outsider]) {
      expect((await c.get(`/partnerships/${partnershipId}`)).statusCode).toBe(403);
      expect((await c.get(`/partnerships/${partnershipId}/public-summary`)).statusCode).toBe(403);
      for (const [path, form] of [
        ['checklist', { item: 'catalyse.coordinator-named', done: 'true' }],
        ['stage', { stage: 'nurture', note: 'Trying', version: '1' }],
        ['organisations', { organisation: 'other-org' }],
        ['people', { email: 'stranger@example.org', organisationId: partnershipId, role: 'member' }],
        ['public-summary', { publicSummary: 'Hello', publish: 'true', version: '1' }],
      ] as const) {
        expect((await c.post(`/partnerships/${partnershipId}/${path}`, form)).statusCode, path).toBe(403);
      }
    }
    const anonymous = new Client(app);
    const redirect = await anonymous.get(`/partnerships/${partnershipId}`);
    expect(redirect.statusCode).toBe(302);
    expect(redirect.headers.location).toContain('/sign-in');
    await anonymous.get('/sign-in'); // a CSRF token, so the refusal below is about signing in
    expect((await anonymous.post(`/partnerships/${partnershipId}/checklist`, { item: 'catalyse.coordinator-named', done: 'true' })).statusCode).toBe(401);
    // A viewer of a member organisation sees it but cannot change it.
    const viewer = await client(emailOf('viewer'));
    expect((await viewer.get(`/partnerships/${partnershipId}`)).statusCode).toBe(200);
    expect((await viewer.post(`/partnerships/${partnershipId}/checklist`, { item: 'catalyse.coordinator-named', done: 'true' })).statusCode).toBe(403);
    expect(await count('partnership_checklist')).toBe(0);
    expect(await count('partnership_stage_changes')).toBe(2);
    expect((await partnershipRow()).stage).toBe('catalyse');
  });

  it('ticks the checklist and advances the stage, with history; refuses skipping and moving on with items open', async () => {
    const member = await client(emailOf('member'));
    const tick = await member.post(`/partnerships/${partnershipId}/checklist`, { item: 'catalyse.coordinator-named', done: 'true' });
    expect(tick.statusCode).toBe(303);
    const wrongStage = await member.post(`/partnerships/${partnershipId}/checklist`, { item: 'nurture.plan-agreed', done: 'true' });
    expect(wrongStage.statusCode).toBe(400);
    expect(wrongStage.body).toContain('is on the Nurture checklist; the partnership is at the Catalyse stage');

    const skip = await member.post(`/partnerships/${partnershipId}/stage`, { stage: 'sustain', note: 'In a hurry', version: '1' });
    expect(skip.statusCode).toBe(400);
    expect(skip.body).toContain('A partnership moves one stage at a time');
    const open = await member.post(`/partnerships/${partnershipId}/stage`, { stage: 'nurture', version: '1' });
    expect(open.statusCode).toBe(400);
    expect(open.body).toContain('3 of the Catalyse checklist are not ticked');
    expect((await partnershipRow()).stage).toBe('catalyse');

    for (const item of stageChecklists.catalyse) await member.post(`/partnerships/${partnershipId}/checklist`, { item: item.id, done: 'true' });
    const untick = await member.post(`/partnerships/${partnershipId}/checklist`, { item: 'catalyse.metrics-agreed', done: 'false' });
    expect(untick.statusCode).toBe(303);
    expect(await count('partnership_checklist')).toBe(3);
    await member.post(`/partnerships/${partnershipId}/checklist`, { item: 'catalyse.metrics-agreed', done: 'true' });

    const page = await member.get(`/partnerships/${partnershipId}`);
    const version = versionOn(page.body);
    expect(version).toBe(1);
    const advance = await member.post(`/partnerships/${partnershipId}/stage`, { stage: 'nurture', version: String(version) });
    expect(advance.statusCode).toBe(303);
    const after = await member.get(`/partnerships/${partnershipId}`);
    expect(after.body).toContain('Stage: Nurture');
    expect(after.body).toContain('Catalyse to Nurture');
    expect(after.body).toContain('Test member');
    expect(await partnershipRow()).toMatchObject({ stage: 'nurture', version: 2 });
    const audit = await queryRows<{ details: { from: string; to: string } }>(database.db, sql`select details from audit_events where action = 'partnership.stage' and object_id = ${partnershipId}`);
    expect(audit.map((a) => [a.details.from, a.details.to])).toEqual([['catalyse', 'nurture']]);
  });

  it('refuses a stage change made on an out-of-date page with 409, changing nothing', async () => {
    const member = await client(emailOf('member'));
    const coordinator = await client(emailOf('coordinator'));
    const seenByMember = versionOn((await member.get(`/partnerships/${partnershipId}`)).body);
    const seenByCoordinator = versionOn((await coordinator.get(`/partnerships/${partnershipId}`)).body);
    expect(seenByMember).toBe(2);
    expect(seenByCoordinator).toBe(2);
    const first = await coordinator.post(`/partnerships/${partnershipId}/stage`, { stage: 'catalyse', note: 'The place to meet has closed (sample)', version: String(seenByCoordinator) });
    expect(first.statusCode).toBe(303);
    const changesBefore = await count('partnership_stage_changes');
    const second = await member.post(`/partnerships/${partnershipId}/stage`, { stage: 'sustain', note: 'Moving on regardless (sample)', version: String(seenByMember) });
    expect(second.statusCode).toBe(409);
    expect(second.body).toContain('Someone else changed this partnership while you were looking at it');
    expect(second.body).toContain('Stage: Catalyse');
    expect(await partnershipRow()).toMatchObject({ stage: 'catalyse', version: 3 });
    expect(await count('partnership_stage_changes')).toBe(changesBefore);
    // Moving back needs a reason.
    const back = await member.post(`/partnerships/${partnershipId}/stage`, { stage: 'nurture', version: '3' });
    expect(back.statusCode).toBe(303);
    const noReason = await member.post(`/partnerships/${partnershipId}/stage`, { stage: 'catalyse', version: '4' });
    expect(noReason.statusCode).toBe(400);
    expect(noReason.body).toContain('Say why the partnership is moving back to Catalyse');
  });

  it('lets organisation admins name their own people, and only their own', async () => {
    const admin = await client(emailOf('admin'));
    const testOrg = (await queryRows<{ id: string }>(database.db, sql`select id from organisations where slug = 'test-org'`))[0]!.id;
    const council = (await queryRows<{ id: string }>(database.db, sql`select id from organisations where slug = 'sample-council'`))[0]!.id;
    const named = await admin.post(`/partnerships/${partnershipId}/people`, { organisationId: testOrg, email: emailOf('member'), role: 'resident-representative' });
    expect(named.statusCode).toBe(303);
    const page = await admin.get(`/partnerships/${partnershipId}`);
    expect(page.body).toMatch(/Test member<\/th>\s*<td class="govuk-table__cell">Test Organisation<\/td>\s*<td class="govuk-table__cell">Resident representative/);
    const changed = await admin.post(`/partnerships/${partnershipId}/people`, { organisationId: testOrg, email: emailOf('member'), role: 'councillor' });
    expect(changed.statusCode).toBe(303);
    expect((await queryRows<{ role: string }>(database.db, sql`select role from partnership_people where partnership_id = ${partnershipId} and organisation_id = ${testOrg} and role <> 'lead'`)).map((r) => r.role)).toEqual(['councillor']);

    const notMember = await admin.post(`/partnerships/${partnershipId}/people`, { organisationId: testOrg, email: emailOf('outsider'), role: 'member' });
    expect(notMember.statusCode).toBe(400);
    expect(notMember.body).toContain('outsider@example.org is not a member of Test Organisation: add them to the organisation first');
    const noRole = await admin.post(`/partnerships/${partnershipId}/people`, { organisationId: testOrg, email: emailOf('member') });
    expect(noRole.statusCode).toBe(400);
    expect(noRole.body).toContain('Choose the part the person plays');

    // Another organisation's admin cannot name Test Organisation's people; a coordinator cannot name anyone.
    const councilAdmin = await client('council-admin@example.org');
    const foreign = await councilAdmin.post(`/partnerships/${partnershipId}/people`, { organisationId: testOrg, email: emailOf('admin'), role: 'member' });
    expect(foreign.statusCode).toBe(403);
    expect(foreign.body).toContain('Only an administrator of Test Organisation can name its people');
    const coordinator = await client(emailOf('coordinator'));
    expect((await coordinator.post(`/partnerships/${partnershipId}/people`, { organisationId: testOrg, email: emailOf('admin'), role: 'member' })).statusCode).toBe(403);
    const own = await councilAdmin.post(`/partnerships/${partnershipId}/people`, { organisationId: council, email: 'council-coordinator@example.org', role: 'member' });
    expect(own.statusCode).toBe(303);
    expect(await count('partnership_people')).toBe(4); // the two leads, and one named by each admin

    const removed = await admin.post(`/partnerships/${partnershipId}/people`, { organisationId: testOrg, email: emailOf('member'), remove: 'true' });
    expect(removed.statusCode).toBe(303);
    expect(await count('partnership_people')).toBe(3);
  });

  it('lets only the lead organisation’s coordinators change which organisations take part', async () => {
    const councilCoordinator = await client('council-coordinator@example.org');
    const orgsBefore = await count('partnership_organisations');
    const refused = await councilCoordinator.post(`/partnerships/${partnershipId}/organisations`, { organisation: 'sample-housing' });
    expect(refused.statusCode).toBe(403);
    // The permission check (access.partnershipLead) refuses before anything is read.
    expect(await count('partnership_organisations')).toBe(orgsBefore);
    const coordinator = await client(emailOf('coordinator'));
    const unknown = await coordinator.post(`/partnerships/${partnershipId}/organisations`, { organisation: 'no-such-org' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.body).toContain('There is no organisation no-such-org in Patchwork');
    expect((await coordinator.post(`/partnerships/${partnershipId}/organisations`, { organisation: 'sample-housing' })).statusCode).toBe(303);
    expect((await coordinator.get(`/partnerships/${partnershipId}`)).body).toContain('Sample Housing Association');
    const twice = await coordinator.post(`/partnerships/${partnershipId}/organisations`, { organisation: 'sample-housing' });
    expect(twice.statusCode).toBe(400);
    expect(twice.body).toContain('Sample Housing Association already takes part');
    const council = (await queryRows<{ id: string }>(database.db, sql`select id from organisations where slug = 'sample-council'`))[0]!.id;
    expect((await coordinator.post(`/partnerships/${partnershipId}/organisations`, { remove: council })).statusCode).toBe(303);
    // The council's people leave with it, and its members lose access.
    expect(await count('partnership_people')).toBe(2);
    expect((await councilCoordinator.get(`/partnerships/${partnershipId}`)).statusCode).toBe(403);
    const lead = (await queryRows<{ id: string }>(database.db, sql`select lead_organisation_id as id from partnerships where id = ${partnershipId}`))[0]!.id;
    const leadOut = await coordinator.post(`/partnerships/${partnershipId}/organisations`, { remove: lead });
    expect(leadOut.statusCode).toBe(400);
    expect(leadOut.body).toContain('The lead organisation cannot be removed');
  });

  it('publishes a public summary residents can read, and takes it down again', async () => {
    const anonymous = new Client(app);
    expect((await anonymous.get(`/partnerships/${partnershipId}/public`)).statusCode).toBe(404);
    expect((await anonymous.get('/partnerships')).body).not.toContain('Sample North and South partnership');
    const member = await client(emailOf('member'));
    const form = await member.get(`/partnerships/${partnershipId}/public-summary`);
    expect(form.statusCode).toBe(200);
    const version = versionOn(form.body);
    const empty = await member.post(`/partnerships/${partnershipId}/public-summary`, { publicSummary: '', publish: 'true', version: String(version) });
    expect(empty.statusCode).toBe(400);
    expect(empty.body).toContain('Write the summary before publishing it');
    const published = await member.post(`/partnerships/${partnershipId}/public-summary`, { publicSummary: 'We are working together on safer streets (sample data).', publish: 'true', version: String(version) });
    expect(published.statusCode).toBe(303);
    const page = await anonymous.get(`/partnerships/${partnershipId}/public`);
    expect(page.statusCode).toBe(200);
    for (const text of ['We are working together on safer streets (sample data).', 'Sample North ward', 'Sample Health Centre', 'Nurture']) expect(page.body).toContain(text);
    expect((await anonymous.get('/partnerships')).body).toContain('Sample North and South partnership');
    // A stale form is refused and shows what it says now.
    const stale = await member.post(`/partnerships/${partnershipId}/public-summary`, { publicSummary: 'Older words', publish: 'true', version: String(version) });
    expect(stale.statusCode).toBe(409);
    expect(stale.body).toContain('Someone else changed this partnership');
    expect(stale.body).toContain('Older words');
    const down = await member.post(`/partnerships/${partnershipId}/public-summary`, { publicSummary: 'We are working together on safer streets (sample data).', publish: 'false', version: String(version + 1) });
    expect(down.statusCode).toBe(303);
    expect((await anonymous.get(`/partnerships/${partnershipId}/public`)).statusCode).toBe(404);
    expect((await partnershipRow()).published).toBe(false);
  });

  it('lists the partnerships of your organisations', async () => {
    const coordinator = await client(emailOf('coordinator'));
    const mine = await coordinator.get('/partnerships');
    expect(mine.statusCode).toBe(200);
    expect(mine.body).toContain('Sample North and South partnership');
    expect(mine.body).toContain('Set up a partnership led by Test Organisation');
    const stranger = await client('stranger@example.org');
    expect((await stranger.get('/partnerships')).body).not.toContain('Sample North and South partnership');
  });
});
