import { eq, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { useSeededApp } from '../../../tests/support/app.ts';
import { engines } from '../../../tests/support/engines.ts';
import { queryRows } from '../../platform/db/database.ts';
import { supportConversations, supportNextSteps, supportPeople } from './schema.ts';
import { samplePerson, seedSupportTeams, supportHarness, type SupportPeopleFixture } from './testing.ts';

/** Caseloads: a coordinator's own people, and a team's people for its leads, each listing audited once. */
describe.each(engines)('caseloads on %s', (engine) => {
  const h = useSeededApp(engine);
  let f: SupportPeopleFixture;
  const s = () => supportHarness(h);
  const db = () => h.database.db;
  let northOpen: string;
  let northClosed: string;
  let southPerson: string;
  const caseloadReads = (actorId: string) => queryRows<{ object_type: string; details: { count: number; ids: string[]; status: string; teamId?: string } }>(db(), sql`select object_type, details from audit_events where action = 'support.caseload.read' and actor_user_id = ${actorId} order by occurred_at`);

  beforeAll(async () => {
    f = await seedSupportTeams(h.database, h.seed);
    northOpen = await samplePerson(db(), h.app.keyring, f.northTeamId, f.userIds.coordinator, { name: 'Araminta Open (sample data)' });
    northClosed = await samplePerson(db(), h.app.keyring, f.northTeamId, f.userIds.coordinator, { name: 'Bartholomew Closed (sample data)' });
    await db().update(supportPeople).set({ status: 'closed', closedOn: '2026-10-01', closureReason: 'moved-away' }).where(eq(supportPeople.id, northClosed));
    southPerson = await samplePerson(db(), h.app.keyring, f.southTeamId, f.userIds.south, { name: 'Cressida South (sample data)' });
    const [conversation] = await db().insert(supportConversations).values({ personId: northOpen, heldOn: '2026-10-05', noteEnc: 'not read here' }).returning({ id: supportConversations.id });
    await db().insert(supportNextSteps).values([
      { personId: northOpen, conversationId: conversation!.id, stepEnc: 'not read here', dueOn: '2026-11-20' },
      { personId: northOpen, conversationId: conversation!.id, stepEnc: 'not read here', dueOn: '2026-11-01', doneOn: '2026-10-30' },
    ]);
  });

  it('shows a coordinator their own people, open then closed, with last contact and next step', async () => {
    const client = await s().signedIn('coordinator');
    const page = await client.get('/support');
    expect(page.statusCode).toBe(200);
    expect(page.headers['cache-control']).toContain('no-store');
    expect(page.body).toContain('Araminta Open');
    expect(page.body).toContain('Bartholomew Closed');
    expect(page.body.indexOf('Araminta Open')).toBeLessThan(page.body.indexOf('Bartholomew Closed'));
    expect(page.body).not.toContain('Cressida South');
    expect(page.body).toContain('5 October 2026');
    expect(page.body).toContain('20 November 2026');
    expect(page.body).not.toContain('1 November 2026');
    expect(page.body).not.toContain('the team’s caseload');

    const open = await client.get('/support?status=open');
    expect(open.body).toContain('Araminta Open');
    expect(open.body).not.toContain('Bartholomew Closed');
    const closed = await client.get('/support?status=closed');
    expect(closed.body).not.toContain('Araminta Open');
    expect(closed.body).toContain('Bartholomew Closed');
  });

  it('writes one caseload read event per listing, naming whose records were shown', async () => {
    const before = (await caseloadReads(f.userIds.coordinator)).length;
    const client = await s().signedIn('coordinator');
    await client.get('/support?status=open');
    const reads = await caseloadReads(f.userIds.coordinator);
    expect(reads).toHaveLength(before + 1);
    expect(reads.at(-1)!.details).toEqual({ count: 1, ids: [northOpen], status: 'open' });
    expect(JSON.stringify(reads)).not.toContain('Araminta');
  });

  it('shows another team’s coordinator none of North’s people', async () => {
    const south = await s().signedIn('south');
    const page = await south.get('/support');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Cressida South');
    expect(page.body).not.toContain('Araminta Open');
    expect(page.body).not.toContain('Bartholomew Closed');
  });

  it('is only for people in a support team', async () => {
    for (const who of ['admin', 'site-admin', 'partner'] as const) {
      const client = await s().signedIn(who);
      expect([who, (await client.get('/support')).statusCode]).toEqual([who, 403]);
      expect([who, (await client.get('/support/people/new')).statusCode]).toEqual([who, 403]);
    }
    const anonymous = await h.app.inject({ method: 'GET', url: '/support' });
    expect(anonymous.statusCode).toBe(302);
  });

  it('shows a lead their team’s caseload by coordinator, and no one else', async () => {
    const lead = await s().signedIn('lead');
    const mine = await lead.get('/support');
    expect(mine.body).toContain(`/support/teams/${f.northTeamId}`);
    const page = await lead.get(`/support/teams/${f.northTeamId}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Araminta Open');
    expect(page.body).toContain('Bartholomew Closed');
    expect(page.body).toContain('Test coordinator');
    expect(page.body).not.toContain('Cressida South');
    const [read] = (await caseloadReads(f.userIds.lead)).filter((r) => r.details.teamId === f.northTeamId);
    expect(read!.details.count).toBe(2);
    expect([...read!.details.ids].sort()).toEqual([northOpen, northClosed].sort());

    // A lead of one team is told another team is not there.
    expect((await lead.get(`/support/teams/${f.southTeamId}`)).statusCode).toBe(404);
    const coordinator = await s().signedIn('coordinator');
    expect((await coordinator.get(`/support/teams/${f.northTeamId}`)).statusCode).toBe(403);
    const south = await s().signedIn('south');
    expect((await south.get(`/support/teams/${f.northTeamId}`)).statusCode).toBe(404);
    const admin = await s().signedIn('admin');
    expect((await admin.get(`/support/teams/${f.northTeamId}`)).statusCode).toBe(404);
    expect(southPerson).toBeTruthy();
  });
});
