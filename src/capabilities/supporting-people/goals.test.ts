import { eq, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { useSeededApp } from '../../../tests/support/app.ts';
import { engines } from '../../../tests/support/engines.ts';
import { queryRows } from '../../platform/db/database.ts';
import { readProgressForm } from './goals.ts';
import { supportGoalProgress, supportGoals, supportShares } from './schema.ts';
import { samplePerson, seedSupportTeams, supportHarness, type SupportPeopleFixture } from './testing.ts';

const boxes = (name: string, iso: string) => {
  const [y, m, d] = iso.split('-');
  return { [`${name}-day`]: d!, [`${name}-month`]: m!, [`${name}-year`]: y! };
};

describe('reading the progress form', () => {
  it('takes a whole score from 1 to 10 only', () => {
    const at = boxes('recordedOn', '2026-10-05');
    expect(readProgressForm({ ...at, score: '7', note: '' }, '2026-11-01')).toEqual({ ok: true, input: { score: 7, recordedOn: '2026-10-05', note: null } });
    for (const score of ['0', '11', '4.5', 'ten']) {
      const refused = readProgressForm({ ...at, score }, '2026-11-01');
      expect(refused.ok ? null : refused.errors.fields.score?.text).toBe('Progress must be a whole number from 1 to 10');
    }
    const missing = readProgressForm(at, '2026-11-01');
    expect(missing.ok ? null : missing.errors.fields.score?.text).toBe('Choose how far along they feel they are, from 1 to 10');
  });
});

describe.each(engines)('“what matters to me” goals on %s', (engine) => {
  const h = useSeededApp(engine);
  const db = () => h.database.db;
  let f: SupportPeopleFixture;
  let personId: string;
  let otherPersonId: string;
  const base = (id: string) => `/support/people/${id}`;
  const words = 'To get back to my allotment & grow leeks again';
  const actions = async () => (await queryRows<{ action: string; details: Record<string, unknown> }>(db(), sql`select action, details from audit_events where object_id = ${personId} and action like 'support.goal%' order by occurred_at, id`)).map((a) => a.action);

  beforeAll(async () => {
    f = await seedSupportTeams(h.database, h.seed);
    personId = await samplePerson(db(), h.app.keyring, f.northTeamId, f.userIds.coordinator);
    otherPersonId = await samplePerson(db(), h.app.keyring, f.northTeamId, f.userIds.coordinator, { name: 'Another Sample Person' });
  });

  it('adds a goal, records progress and changes its status, encrypted and audited', async () => {
    const coordinator = await supportHarness(h).signedIn('coordinator');
    expect((await coordinator.get(`${base(personId)}/goals/new`)).statusCode).toBe(200);
    const refused = await coordinator.post(`${base(personId)}/goals`, { goal: '', ...boxes('setOn', '2026-10-01') });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('Enter what matters to them, in their words');
    expect(await db().select().from(supportGoals)).toHaveLength(0);

    expect((await coordinator.post(`${base(personId)}/goals`, { goal: words, ...boxes('setOn', '2026-10-01') })).statusCode).toBe(303);
    const [goal] = await db().select().from(supportGoals).where(eq(supportGoals.personId, personId));
    expect(goal!.goalEnc).not.toContain('allotment');
    expect(goal!.status).toBe('active');

    const progressPage = await coordinator.get(`${base(personId)}/goals/${goal!.id}/progress`);
    expect(progressPage.statusCode).toBe(200);
    expect(progressPage.body).toContain('1 is not started, 10 is there');
    const badScore = await coordinator.post(`${base(personId)}/goals/${goal!.id}/progress`, { score: '12', ...boxes('recordedOn', '2026-10-08') });
    expect(badScore.statusCode).toBe(400);
    expect(badScore.body).toContain('Progress must be a whole number from 1 to 10');
    expect((await coordinator.post(`${base(personId)}/goals/${goal!.id}/progress`, { score: '3', ...boxes('recordedOn', '2026-10-08'), note: 'Went to look at the plot' })).statusCode).toBe(303);
    expect((await coordinator.post(`${base(personId)}/goals/${goal!.id}/progress`, { score: '6', ...boxes('recordedOn', '2026-10-22') })).statusCode).toBe(303);
    const progress = await db().select().from(supportGoalProgress).where(eq(supportGoalProgress.goalId, goal!.id));
    expect(progress.map((p) => p.score).sort()).toEqual([3, 6]);
    expect(progress.find((p) => p.score === 3)!.noteEnc).not.toContain('plot');

    // Another person's URL does not reach this goal.
    expect((await coordinator.post(`${base(otherPersonId)}/goals/${goal!.id}/progress`, { score: '9', ...boxes('recordedOn', '2026-10-22') })).statusCode).toBe(404);
    expect((await coordinator.post(`${base(otherPersonId)}/goals/${goal!.id}/status`, { status: 'achieved', ...boxes('statusOn', '2026-10-22') })).statusCode).toBe(404);

    expect((await coordinator.post(`${base(personId)}/goals/${goal!.id}/status`, { status: 'won', ...boxes('statusOn', '2026-10-30') })).statusCode).toBe(400);
    expect((await coordinator.post(`${base(personId)}/goals/${goal!.id}/status`, { status: 'achieved', ...boxes('statusOn', '2026-10-30') })).statusCode).toBe(303);
    const [changed] = await db().select().from(supportGoals).where(eq(supportGoals.id, goal!.id));
    expect([changed!.status, changed!.statusOn]).toEqual(['achieved', '2026-10-30']);

    const page = await coordinator.get(`${base(personId)}/conversations`);
    expect(page.body).toContain('To get back to my allotment &amp; grow leeks again');
    expect(page.body).toContain('Latest progress: 6 out of 10');
    expect(page.body).toContain('Went to look at the plot');
    expect(page.body).toContain('Achieved');
    expect(await actions()).toEqual(['support.goal.create', 'support.goal.progress', 'support.goal.progress', 'support.goal.status']);
    const details = await queryRows<{ details: Record<string, unknown> }>(db(), sql`select details from audit_events where object_id = ${personId} and action like 'support.goal%'`);
    expect(JSON.stringify(details)).not.toMatch(/allotment|plot/);
  });

  it('lets a colleague it is shared with read the goals but not change them', async () => {
    await db().insert(supportShares).values({ personId, sharedWithUserId: f.userIds.elsewhere, sharedWithOrganisationId: f.otherOrganisationId, sharedBy: f.userIds.coordinator, purpose: 'Joint support', consentOn: '2026-09-02', consentHow: 'In person', startsOn: '2026-01-01', endsOn: '2099-12-31' });
    const [goal] = await db().select().from(supportGoals).where(eq(supportGoals.personId, personId));
    const shared = await supportHarness(h).signedIn('elsewhere');
    const page = await shared.get(`${base(personId)}/conversations`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('grow leeks again');
    expect(page.body).not.toContain('Record progress');
    expect((await shared.get(`${base(personId)}/goals/${goal!.id}/progress`)).statusCode).toBe(403);
    expect((await shared.post(`${base(personId)}/goals`, { goal: 'Theirs', ...boxes('setOn', '2026-10-01') })).statusCode).toBe(403);
    expect((await shared.post(`${base(personId)}/goals/${goal!.id}/progress`, { score: '9', ...boxes('recordedOn', '2026-10-22') })).statusCode).toBe(403);
    expect((await shared.post(`${base(personId)}/goals/${goal!.id}/status`, { status: 'stopped', ...boxes('statusOn', '2026-10-22') })).statusCode).toBe(403);
    const south = await supportHarness(h).signedIn('south');
    expect((await south.post(`${base(personId)}/goals/${goal!.id}/status`, { status: 'stopped', ...boxes('statusOn', '2026-10-22') })).statusCode).toBe(404);
    expect((await db().select().from(supportGoals).where(eq(supportGoals.id, goal!.id)))[0]!.status).toBe('achieved');
    expect(await db().select().from(supportGoals)).toHaveLength(1);
  });
});
