import { eq, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { Client, emailOf, testPassword, useSeededApp, visitors, type Visitor } from '../../../tests/support/app.ts';
import { engines } from '../../../tests/support/engines.ts';
import { queryRows } from '../../platform/db/database.ts';
import { paragraphsOf, readConversationForm } from './conversations.ts';
import { supportConversations, supportNextSteps, supportShares } from './schema.ts';
import { samplePerson, seedSupportTeams, supportHarness, type SupportPeopleFixture } from './testing.ts';
import { today } from './web.ts';

const tomorrow = () => new Date(Date.parse(`${today()}T12:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
const boxes = (name: string, iso: string) => {
  const [y, m, d] = iso.split('-');
  return { [`${name}-day`]: d!, [`${name}-month`]: m!, [`${name}-year`]: y! };
};

describe('reading the conversation form', () => {
  it('keeps the next steps typed, and refuses a due date without a step', () => {
    const ok = readConversationForm({ ...boxes('heldOn', '2026-10-05'), note: 'Talked', step1: 'Ring the bowls club', ...boxes('step1Due', '2026-10-12'), step3: 'Visit the library' }, '2026-11-01');
    expect(ok).toEqual({ ok: true, input: { heldOn: '2026-10-05', note: 'Talked', steps: [{ text: 'Ring the bowls club', dueOn: '2026-10-12' }, { text: 'Visit the library', dueOn: null }] } });
    const bad = readConversationForm({ ...boxes('heldOn', '2026-10-05'), note: 'Talked', ...boxes('step2Due', '2026-10-12') }, '2026-11-01');
    expect(bad.ok ? null : bad.errors.summary).toEqual([{ text: 'Enter next step 2, or remove its due date', href: '#step2' }]);
    const wrongDate = readConversationForm({ 'heldOn-day': '31', 'heldOn-month': '2', 'heldOn-year': '2026', note: 'x' }, '2026-11-01');
    expect(wrongDate.ok ? null : wrongDate.errors.summary[0]).toEqual({ text: 'The date of the conversation must be a real date, for example 14 3 2026', href: '#heldOn-day' });
  });

  it('splits typed text into paragraphs, keeping single line breaks', () => {
    expect(paragraphsOf('First line\nsecond line\r\n\r\nNew paragraph\n\n\n')).toEqual([['First line', 'second line'], ['New paragraph']]);
  });
});

describe.each(engines)('conversations and next steps on %s', (engine) => {
  const h = useSeededApp(engine);
  const db = () => h.database.db;
  let f: SupportPeopleFixture;
  let personId: string;
  let otherPersonId: string;
  const conversations = (id: string) => `/support/people/${id}/conversations`;
  const rowCount = async () => (await queryRows<{ n: number }>(db(), sql`select (select count(*) from support_conversations) + (select count(*) from support_next_steps) as n`))[0]!.n;
  const note = 'Talked about Mr Quillfeather’s allotment <b>plans</b>\nand his late wife\n\nHe would like company on Tuesdays';

  beforeAll(async () => {
    f = await seedSupportTeams(h.database, h.seed);
    personId = await samplePerson(db(), h.app.keyring, f.northTeamId, f.userIds.coordinator);
    otherPersonId = await samplePerson(db(), h.app.keyring, f.northTeamId, f.userIds.coordinator, { name: 'Another Sample Person' });
  });

  it('stores a conversation with two next steps encrypted, and shows it back escaped', async () => {
    const coordinator = await supportHarness(h).signedIn('coordinator');
    const form = await coordinator.get(`${conversations(personId)}/new`);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('Record a conversation');
    const saved = await coordinator.post(conversations(personId), { ...boxes('heldOn', '2026-10-05'), note, step1: 'Ring the Orrell bowls club about Tuesdays', ...boxes('step1Due', '2026-10-01'), step2: 'Bring the allotment waiting list form' });
    expect(saved.statusCode).toBe(303);
    expect(saved.headers.location).toBe(conversations(personId));

    const [raw] = await db().select().from(supportConversations).where(eq(supportConversations.personId, personId));
    expect(raw!.heldOn).toBe('2026-10-05');
    expect(raw!.noteEnc).not.toContain('allotment');
    const steps = await db().select().from(supportNextSteps).where(eq(supportNextSteps.personId, personId));
    expect(steps).toHaveLength(2);
    for (const s of steps) expect(s.stepEnc).not.toMatch(/bowls|allotment/);
    expect(steps.every((s) => s.conversationId === raw!.id)).toBe(true);

    const page = await coordinator.get(conversations(personId));
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Talked about Mr Quillfeather’s allotment &lt;b&gt;plans&lt;/b&gt;<br>and his late wife</p>');
    expect(page.body).toContain('<p class="govuk-body">He would like company on Tuesdays</p>');
    expect(page.body).not.toContain('<b>plans</b>');
    expect(page.body).toContain('Recorded by');
    expect(page.body).toContain('Ring the Orrell bowls club about Tuesdays');
    // Due on 1 October, before today: overdue. The undated step is not.
    expect(page.body.match(/Overdue/g)).toHaveLength(1);

    const audits = await queryRows<{ details: Record<string, unknown> }>(db(), sql`select details from audit_events where action = 'support.conversation.create' and object_id = ${personId}`);
    expect(audits).toHaveLength(1);
    expect(audits[0]!.details.conversationId).toBe(raw!.id);
    expect(JSON.stringify(audits[0]!.details)).not.toMatch(/allotment|bowls/);
  });

  it('refuses a future date, an empty note and a too-long note, writing nothing', async () => {
    const coordinator = await supportHarness(h).signedIn('coordinator');
    const before = await rowCount();
    const future = await coordinator.post(conversations(personId), { ...boxes('heldOn', tomorrow()), note: 'Future', step1: 'Something' });
    expect(future.statusCode).toBe(400);
    expect(future.body).toContain('The date of the conversation must be today or in the past');
    expect(future.body).toContain('href="#heldOn-day"');
    const empty = await coordinator.post(conversations(personId), { ...boxes('heldOn', '2026-10-06'), note: '   ' });
    expect(empty.statusCode).toBe(400);
    expect(empty.body).toContain('Enter a note of the conversation');
    const missingDate = await coordinator.post(conversations(personId), { note: 'No date' });
    expect(missingDate.body).toContain('Enter the date of the conversation');
    const long = await coordinator.post(conversations(personId), { ...boxes('heldOn', '2026-10-06'), note: 'x'.repeat(10_001) });
    expect(long.statusCode).toBe(400);
    expect(long.body).toContain('The note must be 10,000 characters or fewer');
    expect(await rowCount()).toBe(before);
  });

  it('marks a next step done, and answers 404 for another person’s step', async () => {
    const coordinator = await supportHarness(h).signedIn('coordinator');
    const [step] = await db().select().from(supportNextSteps).where(eq(supportNextSteps.personId, personId)).limit(1);
    const elsewhere = await coordinator.post(`/support/people/${otherPersonId}/next-steps/${step!.id}/done`);
    expect(elsewhere.statusCode).toBe(404);
    expect((await db().select().from(supportNextSteps).where(eq(supportNextSteps.id, step!.id)))[0]!.doneOn).toBeNull();
    expect((await coordinator.post(`/support/people/${personId}/next-steps/not-a-step/done`)).statusCode).toBe(404);
    const done = await coordinator.post(`/support/people/${personId}/next-steps/${step!.id}/done`);
    expect(done.statusCode).toBe(303);
    expect((await db().select().from(supportNextSteps).where(eq(supportNextSteps.id, step!.id)))[0]!.doneOn).toBe(today());
    const audits = await queryRows<{ details: Record<string, unknown> }>(db(), sql`select details from audit_events where action = 'support.next-step.done' and object_id = ${personId}`);
    expect(audits.map((a) => a.details)).toEqual([{ nextStepId: step!.id }]);
  });

  it('lets a colleague it is shared with read but not change; a coordinator of another team finds nothing', async () => {
    await db().insert(supportShares).values({ personId, sharedWithUserId: f.userIds.elsewhere, sharedWithOrganisationId: f.otherOrganisationId, sharedBy: f.userIds.coordinator, purpose: 'Joint support with the practice', consentOn: '2026-09-02', consentHow: 'In person', startsOn: '2026-01-01', endsOn: '2099-12-31' });
    const shared = await supportHarness(h).signedIn('elsewhere');
    const page = await shared.get(conversations(personId));
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('He would like company on Tuesdays');
    expect(page.body).not.toContain('Record a conversation');
    expect(page.body).not.toContain('Mark as done');
    const before = await rowCount();
    expect((await shared.get(`${conversations(personId)}/new`)).statusCode).toBe(403);
    expect((await shared.post(conversations(personId), { ...boxes('heldOn', '2026-10-05'), note: 'From elsewhere' })).statusCode).toBe(403);
    const [step] = await db().select().from(supportNextSteps).where(eq(supportNextSteps.personId, personId));
    expect((await shared.post(`/support/people/${personId}/next-steps/${step!.id}/done`)).statusCode).toBe(403);

    const south = await supportHarness(h).signedIn('south');
    expect((await south.get(conversations(personId))).statusCode).toBe(404);
    expect((await south.post(conversations(personId), { ...boxes('heldOn', '2026-10-05'), note: 'From south' })).statusCode).toBe(404);
    expect(await rowCount()).toBe(before);
  });
});

/** The route matrix for this part of the record: only the person's coordinator and their team's lead get in. */
describe.each(engines)('who may use conversations and connections on %s', (engine) => {
  const h = useSeededApp(engine);
  let personId: string;
  let conversation: Record<string, string>;

  beforeAll(async () => {
    const f = await seedSupportTeams(h.database, h.seed);
    personId = await samplePerson(h.database.db, h.app.keyring, f.northTeamId, f.userIds.coordinator);
    conversation = { ...boxes('heldOn', '2026-10-05'), note: 'Matrix check (sample data)' };
  });

  it('answers each kind of visitor as the permission rules say', async () => {
    const clientOf = async (who: Visitor | 'lead') => {
      const client = new Client(h.app);
      // The sign-in page gives an anonymous visitor a CSRF token, so the refusal is about permission.
      if (who === 'anonymous') {
        await client.get('/sign-in');
        return client;
      }
      expect((await client.signIn(who === 'lead' ? 'lead@example.org' : emailOf(who), testPassword)).statusCode).toBe(303);
      return client;
    };
    const seen: Record<string, number[]> = {};
    for (const who of [...visitors, 'lead'] as const) {
      const client = await clientOf(who);
      seen[who] = [
        (await client.get(`/support/people/${personId}/conversations`)).statusCode,
        (await client.get(`/support/people/${personId}/connections`)).statusCode,
        (await client.post(`/support/people/${personId}/conversations`, conversation)).statusCode,
      ];
    }
    expect(seen).toEqual({
      anonymous: [302, 302, 401],
      outsider: [404, 404, 404],
      viewer: [404, 404, 404],
      member: [404, 404, 404],
      coordinator: [200, 200, 303],
      admin: [404, 404, 404],
      'site-admin': [404, 404, 404],
      lead: [200, 200, 303],
    });
  });
});
