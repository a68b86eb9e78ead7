import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { cliActor } from '../../platform/audit/audit.ts';
import { auditEvents } from '../../platform/audit/schema.ts';
import { memberships, organisations } from '../../platform/auth/schema.ts';
import { Client, emailOf, testPassword, useSeededApp } from '../../../tests/support/app.ts';
import { engines } from '../../../tests/support/engines.ts';
import { createUser } from '../accounts/service.ts';
import { actions, meetingAttendees, meetingDecisions, meetings, partnershipOrganisations, partnerships, priorities } from './schema.ts';

describe.each(engines)('partnership meetings on %s', (engine) => {
  const h = useSeededApp(engine);
  const ids = { partnership: '', otherOrg: '', otherPerson: '', priority: '', foreignPriority: '', meeting: '' };

  const setUp = async () => {
    if (ids.partnership) return;
    const db = h.database.db;
    // Sample data: a second organisation with one person, and a partnership of both.
    const [other] = await db.insert(organisations).values({ slug: 'other-org', name: 'Other Organisation', kind: 'council' }).returning({ id: organisations.id });
    ids.otherOrg = other!.id;
    const person = await createUser(db, { email: 'colleague@example.org', name: 'Casey Colleague', password: testPassword }, cliActor);
    if (!person.ok) throw new Error(person.message);
    ids.otherPerson = person.value.id;
    await db.insert(memberships).values({ userId: person.value.id, organisationId: other!.id, role: 'member' });
    const [p] = await db.insert(partnerships).values({ name: 'Sample Riverside Partnership', leadOrganisationId: h.seed.organisationId }).returning({ id: partnerships.id });
    ids.partnership = p!.id;
    await db.insert(partnershipOrganisations).values([
      { partnershipId: p!.id, organisationId: h.seed.organisationId },
      { partnershipId: p!.id, organisationId: other!.id },
    ]);
    const [pr] = await db.insert(priorities).values({ partnershipId: p!.id, title: 'Warm spaces' }).returning({ id: priorities.id });
    ids.priority = pr!.id;
    // A priority of another partnership, which this one's meetings must not be able to use.
    const [q] = await db.insert(partnerships).values({ name: 'Sample Elsewhere Partnership', leadOrganisationId: other!.id }).returning({ id: partnerships.id });
    const [fp] = await db.insert(priorities).values({ partnershipId: q!.id, title: 'Not ours' }).returning({ id: priorities.id });
    ids.foreignPriority = fp!.id;
  };

  const signedIn = async (who: 'member' | 'viewer' | 'outsider') => {
    await setUp();
    const client = new Client(h.app);
    await client.signIn(emailOf(who));
    return client;
  };
  const base = () => `/partnerships/${ids.partnership}/meetings`;

  it('records a meeting with people from two organisations and others present', async () => {
    const client = await signedIn('member');
    const form = await client.get(`${base()}/new`);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('Casey Colleague');
    expect(form.body).toContain('Test member');
    expect(form.body).toMatch(/<legend[^>]*>\s*Other Organisation\s*<\/legend>/);

    const bad = await client.post(`${base()}/new`, { heldOn: '2025-02-30', title: 'Board' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Enter the date of the meeting as a real date');
    expect(await h.database.db.select().from(meetings)).toHaveLength(0);

    const response = await client.post(`${base()}/new`, {
      heldOn: '2025-03-14',
      title: 'Partnership board, March',
      agenda: 'Welcome\nWarm spaces\nAny other business',
      attendees: [`${h.seed.organisationId}:${h.seed.userIds.member}`, `${ids.otherOrg}:${ids.otherPerson}`],
      others: 'Jo Bloggs, Other Organisation\nSam Resident\nAlex Guest, Riverside Tenants',
    });
    expect(response.statusCode).toBe(303);
    ids.meeting = response.headers.location!.split('/').pop()!;
    const attendees = await h.database.db.select().from(meetingAttendees).where(eq(meetingAttendees.meetingId, ids.meeting));
    expect(attendees.map((a) => [a.name, a.organisationId]).sort()).toEqual(
      [
        ['Alex Guest (Riverside Tenants)', null],
        ['Casey Colleague', ids.otherOrg],
        ['Jo Bloggs', ids.otherOrg],
        ['Sam Resident', null],
        ['Test member', h.seed.organisationId],
      ].sort(),
    );
    const page = await client.get(response.headers.location!);
    expect(page.statusCode).toBe(200);
    expect(page.body).toMatch(/<h3 class="govuk-heading-s">Other Organisation<\/h3>\s*<ul[^>]*>\s*<li>Casey Colleague<\/li><li>Jo Bloggs<\/li>/);
    expect(page.body).toContain('<li>Warm spaces</li>');
    const [audit] = await h.database.db.select().from(auditEvents).where(and(eq(auditEvents.action, 'meeting.created'), eq(auditEvents.objectId, ids.meeting)));
    expect(audit?.actorUserId).toBe(h.seed.userIds.member);
  });

  it('refuses a person who is not in one of the partnership’s organisations', async () => {
    const client = await signedIn('member');
    await client.get(`${base()}/new`);
    const response = await client.post(`${base()}/new`, { heldOn: '2025-03-15', title: 'Another', attendees: [`${ids.otherOrg}:${h.seed.userIds.outsider}`] });
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('Choose people from the partnership’s organisations');
  });

  it('records decisions and agrees an action that goes into the plan with the meeting', async () => {
    const client = await signedIn('member');
    const url = `${base()}/${ids.meeting}`;
    await client.get(url);
    expect((await client.post(`${url}/decisions`, { decision: 'Open two more warm spaces', decisionPriority: ids.priority })).statusCode).toBe(303);
    expect((await client.post(`${url}/decisions`, { decision: 'Next meeting in April', decisionPriority: '' })).statusCode).toBe(303);
    const foreign = await client.post(`${url}/decisions`, { decision: 'Sneaky', decisionPriority: ids.foreignPriority });
    expect(foreign.statusCode).toBe(400);
    const decisions = await h.database.db.select().from(meetingDecisions).where(eq(meetingDecisions.meetingId, ids.meeting)).orderBy(meetingDecisions.position);
    expect(decisions.map((d) => [d.text, d.priorityId, d.position])).toEqual([
      ['Open two more warm spaces', ids.priority, 0],
      ['Next meeting in April', null, 1],
    ]);

    const action = { priorityId: ids.priority, actionTitle: 'Find a second venue', ownerOrganisationId: ids.otherOrg, leadName: 'Casey Colleague', startOn: '2025-03-20', dueOn: '2025-05-31' };
    for (const [change, message] of [
      [{ priorityId: ids.foreignPriority }, 'Choose the priority this action serves'],
      [{ ownerOrganisationId: h.seed.userIds.member! }, 'Choose the organisation that owns this action from the partnership’s organisations'],
      [{ dueOn: '2025-03-01' }, 'The due date must be the same as or after the start date'],
      [{ dueOn: '31/05/2025' }, 'Enter the due date as a real date'],
    ] as const) {
      const refused = await client.post(`${url}/actions`, { ...action, ...change });
      expect(refused.statusCode).toBe(400);
      expect(refused.body).toContain(message);
    }
    expect(await h.database.db.select().from(actions)).toHaveLength(0);
    expect((await client.post(`${url}/actions`, action)).statusCode).toBe(303);
    const [saved] = await h.database.db.select().from(actions);
    expect(saved).toMatchObject({ partnershipId: ids.partnership, priorityId: ids.priority, title: 'Find a second venue', ownerOrganisationId: ids.otherOrg, meetingId: ids.meeting, dueOn: '2025-05-31', status: 'not-started' });
    const page = await client.get(url);
    expect(page.body).toContain('Open two more warm spaces');
    expect(page.body).toContain('(priority: Warm spaces)');
    expect(page.body).toMatch(/<th scope="row" class="govuk-table__header">Find a second venue<\/th>/);
    const list = await client.get(base());
    expect(list.body).toMatch(/Partnership board, March<\/a><\/th>\s*<td[^>]*>[^<]*<\/td>\s*<td[^>]*>5<\/td>\s*<td[^>]*>2<\/td>\s*<td[^>]*>1<\/td>/);
    expect(await h.database.db.select().from(auditEvents).where(eq(auditEvents.action, 'meeting.decision-added'))).toHaveLength(2);
    expect(await h.database.db.select().from(auditEvents).where(and(eq(auditEvents.action, 'action.created'), eq(auditEvents.objectId, saved!.id)))).toHaveLength(1);
  });

  it('refuses to save notes over someone else’s change, with 409 and what they say now', async () => {
    const first = await signedIn('member');
    const url = `${base()}/${ids.meeting}`;
    await first.get(url);
    const [before] = await h.database.db.select().from(meetings).where(eq(meetings.id, ids.meeting));
    expect((await first.post(`${url}/notes`, { version: String(before!.version), notes: 'Agreed to look for venues.' })).statusCode).toBe(303);
    const stale = await first.post(`${url}/notes`, { version: String(before!.version), notes: 'My older draft' });
    expect(stale.statusCode).toBe(409);
    expect(stale.body).toContain('Someone else changed these notes while you were editing');
    expect(stale.body).toContain('Agreed to look for venues.');
    expect(stale.body).toContain('My older draft');
    const [after] = await h.database.db.select().from(meetings).where(eq(meetings.id, ids.meeting));
    expect(after).toMatchObject({ notes: 'Agreed to look for venues.', version: before!.version + 1 });
    expect(await h.database.db.select().from(auditEvents).where(and(eq(auditEvents.action, 'meeting.notes-edited'), eq(auditEvents.objectId, ids.meeting)))).toHaveLength(1);
  });

  it('lets viewers read but not change, and keeps outsiders out', async () => {
    const viewer = await signedIn('viewer');
    const url = `${base()}/${ids.meeting}`;
    const page = await viewer.get(url);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<p class="govuk-body">Agreed to look for venues.</p>');
    expect(page.body).not.toContain(`action="${url}/decisions"`);
    expect((await viewer.get(`${base()}/new`)).statusCode).toBe(403);
    expect((await viewer.post(`${url}/decisions`, { decision: 'Not allowed' })).statusCode).toBe(403);
    const outsider = await signedIn('outsider');
    expect((await outsider.get(base())).statusCode).toBe(403);
    expect((await outsider.get(url)).statusCode).toBe(403);
    expect((await outsider.post(`${url}/actions`, { priorityId: ids.priority, actionTitle: 'x', ownerOrganisationId: ids.otherOrg, leadName: 'x', dueOn: '2025-06-01' })).statusCode).toBe(403);
    expect(await h.database.db.select().from(actions)).toHaveLength(1);
    expect((await viewer.get(`${base()}/00000000-0000-0000-0000-000000000000`)).statusCode).toBe(404);
  });
});
