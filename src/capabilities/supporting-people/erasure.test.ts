import { randomUUID } from 'node:crypto';
import { eq, inArray, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { useSeededApp } from '../../../tests/support/app.ts';
import { engines } from '../../../tests/support/engines.ts';
import { auditEvents } from '../../platform/audit/schema.ts';
import type { Keyring } from '../../platform/crypto/envelope.ts';
import type { Db } from '../../platform/db/database.ts';
import { personDataKey, seal } from './people.ts';
import { supportConnections, supportConversations, supportGoalProgress, supportGoals, supportIntroductions, supportNextSteps, supportPeople, supportShares, supportWellbeing } from './schema.ts';
import { samplePerson, secretName, seedSupportTeams, supportHarness, type SupportPeopleFixture } from './testing.ts';
import { personPath } from './web.ts';

async function fillRecord(db: Db, keyring: Keyring, personId: string, f: SupportPeopleFixture): Promise<string> {
  const key = (await personDataKey(db, keyring, personId))!;
  const [conversationId, goalId] = [randomUUID(), randomUUID()];
  await db.insert(supportConversations).values({ id: conversationId, personId, heldOn: '2026-09-03', noteEnc: key.encrypt('A note (sample data)', seal('support_conversations', conversationId, 'note')) });
  await db.insert(supportNextSteps).values({ personId, conversationId, stepEnc: key.encrypt('A step', seal('support_next_steps', 'x', 'step')) });
  await db.insert(supportGoals).values({ id: goalId, personId, setOn: '2026-09-03', goalEnc: key.encrypt('A goal', seal('support_goals', goalId, 'goal')) });
  await db.insert(supportGoalProgress).values({ goalId, recordedOn: '2026-10-01', score: 4 });
  await db.insert(supportConnections).values({ personId, serviceName: 'A club (sample data)', connectedOn: '2026-09-10' });
  await db.insert(supportWellbeing).values({ personId, measuredOn: '2026-09-03', occasion: 'start', lifeSatisfaction: 3 });
  await db.insert(supportShares).values({ personId, sharedWithUserId: f.userIds.elsewhere, sharedWithOrganisationId: f.otherOrganisationId, purpose: 'Joint support', consentOn: '2026-09-02', consentHow: 'In person', startsOn: '2026-09-02', endsOn: '2099-01-01' });
  return goalId;
}

describe.each(engines)('erasing a record on request on %s', (engine) => {
  const h = useSeededApp(engine);
  const s = supportHarness(h);
  let f: SupportPeopleFixture;
  let personId: string;
  let otherId: string;
  let goalId: string;

  beforeAll(async () => {
    f = await seedSupportTeams(h.database, h.seed);
    personId = await samplePerson(h.database.db, h.app.keyring, f.northTeamId, f.userIds.coordinator);
    otherId = await samplePerson(h.database.db, h.app.keyring, f.northTeamId, f.userIds.coordinator);
    goalId = await fillRecord(h.database.db, h.app.keyring, personId, f);
    await fillRecord(h.database.db, h.app.keyring, otherId, f);
  });

  const rowsOf = async (id: string) => {
    const db = h.database.db;
    const n = async (q: Promise<unknown[]>) => (await q).length;
    return {
      people: await n(db.select().from(supportPeople).where(eq(supportPeople.id, id))),
      introductions: await n(db.select().from(supportIntroductions).where(eq(supportIntroductions.personId, id))),
      conversations: await n(db.select().from(supportConversations).where(eq(supportConversations.personId, id))),
      nextSteps: await n(db.select().from(supportNextSteps).where(eq(supportNextSteps.personId, id))),
      goals: await n(db.select().from(supportGoals).where(eq(supportGoals.personId, id))),
      connections: await n(db.select().from(supportConnections).where(eq(supportConnections.personId, id))),
      wellbeing: await n(db.select().from(supportWellbeing).where(eq(supportWellbeing.personId, id))),
      shares: await n(db.select().from(supportShares).where(eq(supportShares.personId, id))),
    };
  };

  it('asks for confirmation and changes nothing without it', async () => {
    const coordinator = await s.signedIn('coordinator');
    const page = await coordinator.get(personPath(personId, '/erase'));
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Type ERASE to confirm');
    const refused = await coordinator.post(personPath(personId, '/erase'), { confirm: 'erase please' });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('Type ERASE in capital letters');
    expect((await rowsOf(personId)).people).toBe(1);
    // The colleague it is shared with may read, never erase; everyone else is told it is not there.
    const expected = { south: 404, elsewhere: 403, admin: 404, 'site-admin': 404 } as const;
    for (const who of ['south', 'elsewhere', 'admin', 'site-admin'] as const) {
      const client = await s.signedIn(who);
      expect([who, (await client.post(personPath(personId, '/erase'), { confirm: 'ERASE' })).statusCode]).toEqual([who, expected[who]]);
    }
  });

  it('deletes every row about the person in every support table, audits counts only, and the record is then not there', async () => {
    expect(await rowsOf(personId)).toEqual({ people: 1, introductions: 1, conversations: 1, nextSteps: 1, goals: 1, connections: 1, wellbeing: 1, shares: 1 });
    const coordinator = await s.signedIn('coordinator');
    await coordinator.get(personPath(personId, '/erase'));
    const response = await coordinator.post(personPath(personId, '/erase'), { confirm: 'ERASE' });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/support');
    expect(await rowsOf(personId)).toEqual({ people: 0, introductions: 0, conversations: 0, nextSteps: 0, goals: 0, connections: 0, wellbeing: 0, shares: 0 });
    expect(await h.database.db.select().from(supportGoalProgress).where(inArray(supportGoalProgress.goalId, [goalId]))).toHaveLength(0);
    expect((await coordinator.get(personPath(personId, '/privacy'))).statusCode).toBe(404);
    expect((await coordinator.get(personPath(personId, '/erase'))).statusCode).toBe(404);
    // The other person is untouched.
    expect(await rowsOf(otherId)).toEqual({ people: 1, introductions: 1, conversations: 1, nextSteps: 1, goals: 1, connections: 1, wellbeing: 1, shares: 1 });
    const [event] = await h.database.db.select().from(auditEvents).where(eq(auditEvents.action, 'support.person.erase'));
    expect(event?.objectId).toBe(personId);
    expect(event?.details).toEqual({ counts: { introductions: 1, conversations: 1, nextSteps: 1, goals: 1, goalProgress: 1, connections: 1, wellbeing: 1, shares: 1 } });
    const [leak] = await h.database.db.select({ n: sql<number>`count(*)::int` }).from(auditEvents).where(sql`details::text like ${`%${secretName}%`}`);
    expect(Number(leak?.n)).toBe(0);
  });
});
