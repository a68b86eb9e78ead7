import { randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../../platform/audit/audit.ts';
import { memberships, organisations } from '../../platform/auth/schema.ts';
import { queryRows } from '../../platform/db/database.ts';
import { viewerOf } from '../../platform/auth/permissions.ts';
import { createTestDatabase, engines, type TestDatabase } from '../../../tests/support/engines.ts';
import { Client, emailOf, seedPeople, startTestApp, testPassword } from '../../../tests/support/app.ts';
import { createUser } from '../accounts/service.ts';
import { areas, areaVintages } from '../geography/schema.ts';
import { indicators } from '../indicators/schema.ts';
import { logMailer, type MailMessage } from './mailer.ts';
import { addUpdate, sendDigest, createAction, createAim, createPriority, editAim, fromAction, fromAim, PlanError, todayInEngland, addDays, type ActionInput } from './plan.ts';
import { actions, actionUpdates, partnershipAreas, partnershipOrganisations, partnerships, priorities, priorityEvidence } from './schema.ts';

/*
 * Organisations (sample data): test-org (from seedPeople) and partner-council work together in "Marsh Green
 * partnership" (private). other-org runs "Other private partnership" alone, and "Published partnership",
 * which is public with one public and one private action. All three have priorities serving the same aim.
 */
describe.each(engines)('the plan on %s', (engine) => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let seed: Awaited<ReturnType<typeof seedPeople>>;
  let partnerOrgId: string;
  let otherOrgId: string;
  let partnerUserId: string;
  let otherUserId: string;
  let p1: string;
  let p2: string;
  let p3: string;
  let aimId: string;
  let p1Priority: string;
  let localIndicator: string;
  const today = todayInEngland();

  const db = () => database.db;
  const signedIn = async (email: string) => {
    const client = new Client(app);
    expect((await client.signIn(email)).statusCode).toBe(303);
    return client;
  };
  const audits = (action: string) => queryRows<{ object_id: string; details: Record<string, unknown> }>(db(), sql`select object_id, details from audit_events where action = ${action} order by id`);
  const editor = (userId: string, organisationIds: string[]) => ({ actor: { userId, label: 'test' }, organisationIds });
  const baseAction = (overrides: Partial<ActionInput> = {}): ActionInput => ({
    priorityId: p1Priority,
    title: 'Sample data: weekly lunch club',
    description: '',
    ownerOrganisationId: seed.organisationId,
    leadName: 'Test member',
    leadUserId: '',
    startOn: '',
    dueOn: '',
    status: 'not-started',
    public: false,
    ...overrides,
  });
  // Dates relative to today, so what counts as overdue or due soon does not change with the calendar.
  const parts = (iso: string, name: string) => ({ [`${name}-day`]: String(Number(iso.slice(8, 10))), [`${name}-month`]: String(Number(iso.slice(5, 7))), [`${name}-year`]: iso.slice(0, 4) });
  const startOn = addDays(today, 1);
  const dueOn = addDays(today, 60);
  const actionForm = (overrides: Record<string, string> = {}) => ({
    priorityId: p1Priority,
    title: 'Sample data: befriending calls',
    description: 'Calls to people living alone',
    ownerOrganisationId: seed.organisationId,
    leadName: 'Test member',
    leadUserId: seed.userIds.member!,
    ...parts(startOn, 'startOn'),
    ...parts(dueOn, 'dueOn'),
    status: 'on-track',
    ...overrides,
  });

  const addUser = async (email: string, name: string, organisationId: string, role: 'member' | 'coordinator' = 'member') => {
    const created = await createUser(db(), { email, name, password: testPassword, isSiteAdmin: false }, cliActor);
    if (!created.ok) throw new Error(created.message);
    await db().insert(memberships).values({ userId: created.value.id, organisationId, role });
    return created.value.id;
  };
  const addPartnership = async (name: string, lead: string, orgs: string[], published: boolean) => {
    const [row] = await db().insert(partnerships).values({ name, leadOrganisationId: lead, published }).returning({ id: partnerships.id });
    await db().insert(partnershipOrganisations).values(orgs.map((organisationId) => ({ partnershipId: row!.id, organisationId })));
    await db().insert(partnershipAreas).values({ partnershipId: row!.id, areaVintage: 'ward24', areaCode: 'E05099901' });
    return row!.id;
  };

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    seed = await seedPeople(database);
    app = await startTestApp(database, { SIGN_IN_RATE_LIMIT: '1000' });
    const [partner] = await db().insert(organisations).values({ slug: 'partner-council', name: 'Partner Council (sample data)', kind: 'council' }).returning({ id: organisations.id });
    const [other] = await db().insert(organisations).values({ slug: 'other-org', name: 'Other Organisation (sample data)', kind: 'vcse' }).returning({ id: organisations.id });
    partnerOrgId = partner!.id;
    otherOrgId = other!.id;
    partnerUserId = await addUser('partner@example.org', 'Partner member', partnerOrgId, 'coordinator');
    otherUserId = await addUser('other@example.org', 'Other member', otherOrgId);

    await db().insert(areaVintages).values({ id: 'ward24', type: 'ward', year: 2024, label: 'Wards 2024' }).onConflictDoNothing();
    await db().insert(areas).values({ vintage: 'ward24', code: 'E05099901', name: 'Sample ward (sample data)' });
    await db().insert(indicators).values({ id: 'iod2025.imd', label: 'Index of Multiple Deprivation (sample data)', unit: 'score', direction: 'higher-is-worse', vintage: 'lsoa21', period: '2025', source: 'sample data', licence: 'OGL' }).onConflictDoNothing();
    localIndicator = `local.${randomUUID()}`;
    await db().insert(indicators).values({ id: localIndicator, label: 'Other org private figure (sample data)', unit: 'people', direction: 'higher-is-worse', vintage: 'ward24', period: '2025', source: 'sample data', licence: 'OGL', ownerOrganisationId: otherOrgId, sharing: 'organisation' });

    p1 = await addPartnership('Marsh Green partnership (sample data)', seed.organisationId, [seed.organisationId, partnerOrgId], false);
    p2 = await addPartnership('Other private partnership (sample data)', otherOrgId, [otherOrgId], false);
    p3 = await addPartnership('Published partnership (sample data)', otherOrgId, [otherOrgId], true);

    aimId = await createAim(db(), partnerOrgId, { title: 'Sample aim: fewer people are lonely', description: '' }, cliActor);
    p1Priority = await createPriority(db(), p1, { title: 'Sample priority: lonely older people in Marsh Green', description: '', aimId }, cliActor);
    const p2Priority = await createPriority(db(), p2, { title: 'Other private priority', description: '', aimId }, cliActor);
    const p3Priority = await createPriority(db(), p3, { title: 'Published priority', description: '', aimId }, cliActor);
    const otherEditor = editor(otherUserId, [otherOrgId]);
    await createAction(db(), p2, baseAction({ priorityId: p2Priority, ownerOrganisationId: otherOrgId, title: 'Secret action of another partnership' }), otherEditor);
    await createAction(db(), p3, baseAction({ priorityId: p3Priority, ownerOrganisationId: otherOrgId, title: 'Published public action', public: true, status: 'on-track' }), otherEditor);
    await createAction(db(), p3, baseAction({ priorityId: p3Priority, ownerOrganisationId: otherOrgId, title: 'Published but private action' }), otherEditor);
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('refuses the plan pages and their forms to people whose organisations are not in the partnership', async () => {
    for (const email of [emailOf('outsider'), 'other@example.org']) {
      const client = await signedIn(email);
      for (const url of [`/partnerships/${p1}/plan`, `/partnerships/${p1}/priorities/new`, `/partnerships/${p1}/actions/new`, `/partnerships/${p1}/priorities/${p1Priority}/evidence`]) {
        expect((await client.get(url)).statusCode, `${email} GET ${url}`).toBe(403);
      }
      for (const url of [`/partnerships/${p1}/priorities/new`, `/partnerships/${p1}/actions/new`, `/partnerships/${p1}/priorities/${p1Priority}/evidence`]) {
        expect((await client.post(url, { title: 'Should not be saved' })).statusCode, `${email} POST ${url}`).toBe(403);
      }
    }
    expect((await db().select().from(priorities).where(eq(priorities.title, 'Should not be saved'))).length).toBe(0);
    const anonymous = new Client(app);
    expect((await anonymous.get(`/partnerships/${p1}/plan`)).statusCode).toBe(302);
  });

  it('lets a viewer read the plan but not add to it', async () => {
    const viewer = await signedIn(emailOf('viewer'));
    expect((await viewer.get(`/partnerships/${p1}/plan`)).statusCode).toBe(200);
    expect((await viewer.post(`/partnerships/${p1}/actions/new`, actionForm())).statusCode).toBe(403);
  });

  it('adds a priority serving an aim, and explains bad input', async () => {
    const member = await signedIn(emailOf('member'));
    expect((await member.get(`/partnerships/${p1}/priorities/new`)).statusCode).toBe(200);
    const blank = await member.post(`/partnerships/${p1}/priorities/new`, { title: '  ', aimId });
    expect(blank.statusCode).toBe(400);
    expect(blank.body).toContain('Enter the priority');
    const badAim = await member.post(`/partnerships/${p1}/priorities/new`, { title: 'Sample priority with a made-up aim', aimId: randomUUID() });
    expect(badAim.statusCode).toBe(400);
    expect(badAim.body).toContain('Choose a strategic aim from the list');
    const ok = await member.post(`/partnerships/${p1}/priorities/new`, { title: 'Sample priority: warm spaces', description: 'Cold homes', aimId: '' });
    expect(ok.statusCode).toBe(303);
    expect(ok.headers.location).toBe(`/partnerships/${p1}/plan`);
    const saved = await db().select().from(priorities).where(eq(priorities.partnershipId, p1));
    expect(saved.map((p) => p.title).sort()).toEqual(['Sample priority: lonely older people in Marsh Green', 'Sample priority: warm spaces']);
    expect((await audits('priority.created')).some((a) => a.details.title === 'Sample priority: warm spaces')).toBe(true);
  });

  it('links evidence, refusing unknown indicators, unknown areas and another organisation’s private data', async () => {
    const member = await signedIn(emailOf('member'));
    const url = `/partnerships/${p1}/priorities/${p1Priority}/evidence`;
    expect((await member.get(url)).statusCode).toBe(200);
    const unknown = await member.post(url, { kind: 'indicator', indicatorId: 'iod2025.nonsense', areaCode: 'E05099901' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.body).toContain('There is no indicator “iod2025.nonsense” that you can see');
    const hidden = await member.post(url, { kind: 'indicator', indicatorId: localIndicator, areaCode: 'E05099901' });
    expect(hidden.statusCode).toBe(400);
    const noArea = await member.post(url, { kind: 'indicator', indicatorId: 'iod2025.imd', areaCode: 'E05000000' });
    expect(noArea.statusCode).toBe(400);
    expect(noArea.body).toContain('There is no area with the code E05000000');
    const noNote = await member.post(url, { kind: 'voice-theme', note: '' });
    expect(noNote.statusCode).toBe(400);
    expect(noNote.body).toContain('Enter the theme residents raised');
    expect((await db().select().from(priorityEvidence)).length).toBe(0);

    expect((await member.post(url, { kind: 'indicator', indicatorId: 'iod2025.imd', areaCode: 'e05099901', note: 'Among the most deprived' })).statusCode).toBe(303);
    expect((await member.post(url, { kind: 'voice-theme', note: 'Sample data: nowhere to meet in the evening' })).statusCode).toBe(303);
    expect((await member.post(url, { kind: 'area-profile', areaCode: 'E05099901' })).statusCode).toBe(303);
    const saved = await db().select().from(priorityEvidence).where(eq(priorityEvidence.priorityId, p1Priority));
    expect(saved.map((e) => e.kind).sort()).toEqual(['area-profile', 'indicator', 'voice-theme']);
    expect(saved.find((e) => e.kind === 'indicator')!.areaCode).toBe('E05099901');
    const plan = await member.get(`/partnerships/${p1}/plan`);
    expect(plan.body).toContain('Index of Multiple Deprivation (sample data) for');
    expect(plan.body).toContain('Sample ward (sample data)');
    expect(plan.body).toContain('What residents said: Sample data: nowhere to meet in the evening');
  });

  it('adds actions, refusing due before start, an owner outside the partnership, a lead outside the owner and a bad date', async () => {
    const member = await signedIn(emailOf('member'));
    expect((await member.get(`/partnerships/${p1}/actions/new`)).statusCode).toBe(200);
    const cases: [Record<string, string>, string][] = [
      [parts(today, 'dueOn'), 'The due date must be the same as or after the start date'],
      [{ ownerOrganisationId: otherOrgId }, 'Choose the organisation that owns this action from the partnership’s organisations'],
      [{ leadUserId: partnerUserId }, 'The lead must be someone in the organisation that owns the action'],
      [{ 'startOn-day': '31', 'startOn-month': '2' }, 'The start date must be a real date'],
      [{ priorityId: randomUUID() }, 'Choose the priority this action serves'],
      [{ title: '' }, 'Enter what will be done'],
    ];
    for (const [overrides, message] of cases) {
      const response = await member.post(`/partnerships/${p1}/actions/new`, actionForm(overrides));
      expect(response.statusCode, message).toBe(400);
      expect(response.body).toContain(message);
    }
    expect((await db().select().from(actions).where(eq(actions.partnershipId, p1))).length).toBe(0);

    const created = await member.post(`/partnerships/${p1}/actions/new`, actionForm({ public: 'yes' }));
    expect(created.statusCode).toBe(303);
    const [row] = await db().select().from(actions).where(eq(actions.partnershipId, p1));
    expect(created.headers.location).toBe(`/partnerships/${p1}/actions/${row!.id}`);
    expect(row).toMatchObject({ title: 'Sample data: befriending calls', startOn, dueOn, status: 'on-track', public: true, leadUserId: seed.userIds.member, ownerOrganisationId: seed.organisationId, version: 1 });
    expect((await audits('action.created')).some((a) => a.object_id === row!.id)).toBe(true);
  });

  it('keeps each action under its owner’s control: a partner may record one for them but not publish or change it', async () => {
    const partner = await signedIn('partner@example.org');
    const publish = await partner.post(`/partnerships/${p1}/actions/new`, actionForm({ title: 'Sample data: published for someone else', public: 'yes', leadUserId: '' }));
    expect(publish.statusCode).toBe(403);
    expect(publish.body).toContain('Only the organisation that owns an action can make it public');
    const recorded = await partner.post(`/partnerships/${p1}/actions/new`, actionForm({ title: 'Sample data: agreed for test-org', leadUserId: '' }));
    expect(recorded.statusCode).toBe(303);
    const [row] = await db().select().from(actions).where(eq(actions.title, 'Sample data: agreed for test-org'));
    expect(row!.public).toBe(false);

    const edit = await partner.get(`/partnerships/${p1}/actions/${row!.id}/edit`);
    expect(edit.statusCode).toBe(403);
    expect(edit.body).toContain('only its members can change it');
    const changed = await partner.post(`/partnerships/${p1}/actions/${row!.id}/edit`, actionForm({ title: 'Changed by a partner', version: '1', leadUserId: '' }));
    expect(changed.statusCode).toBe(403);
    const updated = await partner.post(`/partnerships/${p1}/actions/${row!.id}/updates`, { status: 'done', note: 'Not ours to say' });
    expect(updated.statusCode).toBe(403);
    const [after] = await db().select().from(actions).where(eq(actions.id, row!.id));
    expect(after).toMatchObject({ title: 'Sample data: agreed for test-org', status: 'on-track', version: 1 });
    await expect(addUpdate(db(), p1, row!.id, { status: 'done', note: 'x' }, editor(partnerUserId, [partnerOrgId]))).rejects.toMatchObject({ statusCode: 403 });
    // The action page still shows it to the partner, without the forms to change it.
    const page = await partner.get(`/partnerships/${p1}/actions/${row!.id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain('Add an update');
  });

  it('refuses the second of two edits made at once with 409, showing what it says now', async () => {
    const [row] = await db().select().from(actions).where(eq(actions.title, 'Sample data: befriending calls'));
    const first = await signedIn(emailOf('member'));
    const second = await signedIn(emailOf('coordinator'));
    const url = `/partnerships/${p1}/actions/${row!.id}/edit`;
    expect((await first.get(url)).body).toContain('name="version" value="1"');
    expect((await second.get(url)).statusCode).toBe(200);
    const saved = await first.post(url, actionForm({ title: 'Sample data: befriending calls, twice a week', version: '1', public: 'yes' }));
    expect(saved.statusCode).toBe(303);
    const late = await second.post(url, actionForm({ title: 'Sample data: befriending visits', version: '1', public: 'yes' }));
    expect(late.statusCode).toBe(409);
    expect(late.body).toContain('Someone else changed this while you were editing');
    expect(late.body).toContain('Sample data: befriending calls, twice a week');
    expect(late.body).toContain('name="version" value="2"');
    const [after] = await db().select().from(actions).where(eq(actions.id, row!.id));
    expect(after).toMatchObject({ title: 'Sample data: befriending calls, twice a week', version: 2 });
    // Trying again from what it says now works.
    expect((await second.post(url, actionForm({ title: 'Sample data: befriending visits', version: '2', public: 'yes' }))).statusCode).toBe(303);
  });

  it('records updates, setting the status and when it was done', async () => {
    const [row] = await db().select().from(actions).where(eq(actions.title, 'Sample data: befriending visits'));
    const member = await signedIn(emailOf('member'));
    const url = `/partnerships/${p1}/actions/${row!.id}/updates`;
    const blank = await member.post(url, { status: 'at-risk', note: '' });
    expect(blank.statusCode).toBe(400);
    expect(blank.body).toContain('Say what has happened');
    const badStatus = await member.post(url, { status: 'amber', note: 'Hmm' });
    expect(badStatus.statusCode).toBe(400);
    expect((await member.post(url, { status: 'at-risk', note: 'Sample data: volunteers short' })).statusCode).toBe(303);
    let [after] = await db().select().from(actions).where(eq(actions.id, row!.id));
    expect(after).toMatchObject({ status: 'at-risk', completedAt: null });
    expect((await member.post(url, { status: 'done', note: 'Sample data: every caller matched' })).statusCode).toBe(303);
    [after] = await db().select().from(actions).where(eq(actions.id, row!.id));
    expect(after!.status).toBe('done');
    expect(after!.completedAt).toBeInstanceOf(Date);
    expect((await db().select().from(actionUpdates).where(eq(actionUpdates.actionId, row!.id))).map((u) => u.status).sort()).toEqual(['at-risk', 'done']);
    const page = await member.get(`/partnerships/${p1}/actions/${row!.id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Sample data: every caller matched');
    expect(page.body).toContain('Sample aim: fewer people are lonely');
    expect(page.body).toContain('Priority: Sample priority: lonely older people in Marsh Green');
    expect((await audits('action.updated')).filter((a) => a.object_id === row!.id).length).toBe(2);
  });

  it('shows the plan tree with roll-ups and overdue actions flagged in words', async () => {
    await createAction(db(), p1, baseAction({ title: 'Sample data: leaflet drop', startOn: addDays(today, -20), dueOn: addDays(today, -1), status: 'on-track', leadUserId: seed.userIds.member! }), editor(seed.userIds.member!, [seed.organisationId]));
    const member = await signedIn(emailOf('member'));
    const page = await member.get(`/partnerships/${p1}/plan`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Sample aim: fewer people are lonely');
    expect(page.body).toContain('Priority: Sample priority: lonely older people in Marsh Green');
    expect(page.body).toContain('Priorities not linked to a strategic aim');
    expect(page.body).toContain('Sample data: leaflet drop');
    expect(page.body).toMatch(/leaflet drop[\s\S]*?Overdue/);
    // 3 actions: befriending (done), agreed for test-org (on track), leaflet drop (on track, overdue).
    expect(page.body).toContain('3 actions: 2 on track, 1 done; 1 overdue; 33% done');
    expect(page.body).toContain('Off track');
  });

  it('follows the golden thread up from an action', async () => {
    const [row] = await db().select().from(actions).where(eq(actions.title, 'Sample data: leaflet drop'));
    const up = await fromAction(db(), row!.id, today);
    expect(up!.priority.title).toBe('Sample priority: lonely older people in Marsh Green');
    expect(up!.aim!.title).toBe('Sample aim: fewer people are lonely');
    expect(up!.partnership).toEqual({ id: p1, name: 'Marsh Green partnership (sample data)' });
    expect(up!.overdue).toBe(true);
    expect(await fromAction(db(), randomUUID(), today)).toBeNull();
  });

  it('follows the golden thread down from an aim, showing each viewer only what they may see', async () => {
    const titles = (thread: Awaited<ReturnType<typeof fromAim>>) => thread!.partnerships.flatMap((p) => p.priorities.flatMap((x) => x.actions.map((a) => a.title))).sort();
    const asMember = await fromAim(db(), aimId, await viewerOf(db(), { id: seed.userIds.member!, email: emailOf('member'), name: 'm', isSiteAdmin: false }), today);
    expect(asMember!.partnerships.map((p) => p.name)).toEqual(['Marsh Green partnership (sample data)', 'Published partnership (sample data)']);
    expect(titles(asMember)).toEqual(['Published public action', 'Sample data: agreed for test-org', 'Sample data: befriending visits', 'Sample data: leaflet drop']);

    const asOther = await fromAim(db(), aimId, await viewerOf(db(), { id: otherUserId, email: 'other@example.org', name: 'o', isSiteAdmin: false }), today);
    expect(asOther!.partnerships.map((p) => p.name)).toEqual(['Other private partnership (sample data)', 'Published partnership (sample data)']);
    expect(titles(asOther)).toEqual(['Published but private action', 'Published public action', 'Secret action of another partnership']);

    const asNobody = await fromAim(db(), aimId, { user: null, organisationIds: [] }, today);
    expect(titles(asNobody)).toEqual(['Published public action']);
    expect(asNobody!.rollup.total).toBe(1);

    const page = await (await signedIn(emailOf('member'))).get(`/aims/${aimId}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Sample data: leaflet drop');
    expect(page.body).toContain('Published public action');
    expect(page.body).not.toContain('Secret action of another partnership');
    expect(page.body).not.toContain('Other private partnership');
    expect(page.body).not.toContain('Published but private action');
    expect((await (await signedIn(emailOf('outsider'))).get(`/aims/${randomUUID()}`)).statusCode).toBe(404);
  });

  it('lets a coordinator set an aim for their organisation, and only the owner reword it', async () => {
    const member = await signedIn(emailOf('member'));
    expect((await member.get('/organisations/test-org/aims/new')).statusCode).toBe(403);
    const coordinator = await signedIn(emailOf('coordinator'));
    const blank = await coordinator.post('/organisations/test-org/aims/new', { title: '' });
    expect(blank.statusCode).toBe(400);
    expect(blank.body).toContain('Enter the aim');
    const set = await coordinator.post('/organisations/test-org/aims/new', { title: 'Sample aim: warm homes', description: '' });
    expect(set.statusCode).toBe(303);
    const list = await coordinator.get('/aims');
    expect(list.body).toContain('Sample aim: warm homes');
    expect(list.body).toContain('Sample aim: fewer people are lonely');
    await expect(editAim(db(), aimId, 1, { title: 'Hijacked', description: '' }, editor(seed.userIds.coordinator!, [seed.organisationId]))).rejects.toMatchObject({ statusCode: 403 });
    await editAim(db(), aimId, 1, { title: 'Sample aim: fewer people are lonely', description: 'Reworded' }, editor(partnerUserId, [partnerOrgId]));
    await expect(editAim(db(), aimId, 1, { title: 'Stale', description: '' }, editor(partnerUserId, [partnerOrgId]))).rejects.toBeInstanceOf(PlanError);
  });

  it('lists my actions by when they are due, and sends the digest', async () => {
    const member = await signedIn(emailOf('member'));
    const page = await member.get('/my-actions');
    expect(page.statusCode).toBe(200);
    const section = (id: string) => page.body.split(`id="${id}"`)[1]!.split('<h2')[0]!;
    expect(section('overdue')).toContain('Sample data: leaflet drop');
    expect(section('done')).toContain('Sample data: befriending visits');
    expect(section('later') + section('due-soon')).toContain('Sample data: agreed for test-org');
    expect(page.body).not.toContain('Published public action');
    // Someone with no organisation sees their empty list.
    const outsider = await signedIn(emailOf('outsider'));
    expect((await outsider.get('/my-actions')).body).toContain('Nothing overdue.');

    const sent = await member.post('/my-actions/digest');
    expect(sent.statusCode).toBe(303);
    expect(sent.headers.location).toBe('/my-actions');
    expect((await member.get('/my-actions')).body).toContain(`Your actions digest has been sent to ${emailOf('member')}`);
    const [audit] = await audits('actions.digest-sent');
    expect(audit!.details).toMatchObject({ overdue: 1, doneRecently: 1 });

    // What the digest says, through the log mailer used in development.
    const logged: { obj: { mail: MailMessage }; msg: string }[] = [];
    const mailer = logMailer({ info: ((obj: { mail: MailMessage }, msg: string) => logged.push({ obj, msg })) as never });
    const counts = await sendDigest(db(), mailer, { id: seed.userIds.member!, email: emailOf('member'), name: 'Test member' }, [seed.organisationId], 'https://patchwork.example', cliActor);
    expect(counts).toEqual({ overdue: 1, dueSoon: 0, later: 1, doneRecently: 1 });
    expect(logged).toHaveLength(1);
    expect(logged[0]!.msg).toBe(`Email to ${emailOf('member')}: Your Patchwork actions`);
    expect(logged[0]!.obj.mail.text).toMatch(/^Hello Test member,\n\nOverdue\n- Sample data: leaflet drop/);
    expect(logged[0]!.obj.mail.text).toContain(`https://patchwork.example/partnerships/${p1}/actions/`);
  });

  it('rejects a public flag set in the service by someone outside the owner, and leads from another organisation', async () => {
    await expect(createAction(db(), p1, baseAction({ public: true }), editor(partnerUserId, [partnerOrgId]))).rejects.toMatchObject({ statusCode: 403, field: 'public' });
    await expect(createAction(db(), p1, baseAction({ leadUserId: otherUserId }), editor(seed.userIds.member!, [seed.organisationId]))).rejects.toMatchObject({ field: 'leadUserId' });
    expect((await db().select().from(actions).where(and(eq(actions.partnershipId, p1), eq(actions.title, 'Sample data: weekly lunch club')))).length).toBe(0);
  });
});
