import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { useSeededApp } from '../../../tests/support/app.ts';
import { engines } from '../../../tests/support/engines.ts';
import { cliActor } from '../../platform/audit/audit.ts';
import { auditEvents } from '../../platform/audit/schema.ts';
import { personDataKey, seal } from './people.ts';
import { eraseFlagged, flagForRetention, monthsBefore } from './retention.ts';
import { supportConnections, supportConversations, supportGoals, supportIntroductions, supportNextSteps, supportPeople, supportShares, supportWellbeing } from './schema.ts';
import { samplePerson, secretName, seedSupportTeams, supportHarness, type SupportPeopleFixture } from './testing.ts';
import { personPath, teamPath } from './web.ts';

const now = new Date('2026-11-24T12:00:00Z');

describe('the retention cut-off date', () => {
  it('goes back whole calendar months, to the last day of a shorter month', () => {
    expect(monthsBefore(new Date('2026-11-24T12:00:00Z'), 24)).toBe('2024-11-24');
    expect(monthsBefore(new Date('2026-03-31T12:00:00Z'), 1)).toBe('2026-02-28');
    expect(monthsBefore(new Date('2026-01-15T12:00:00Z'), 13)).toBe('2024-12-15');
  });
});

describe.each(engines)('retention on %s', (engine) => {
  const h = useSeededApp(engine);
  const s = supportHarness(h);
  let f: SupportPeopleFixture;
  let longClosed: string;
  let recentlyClosed: string;
  let open: string;

  const close = (id: string, on: string) => h.database.db.update(supportPeople).set({ status: 'closed', closedOn: on, closureReason: 'goals-met' }).where(eq(supportPeople.id, id));

  beforeAll(async () => {
    f = await seedSupportTeams(h.database, h.seed);
    const db = h.database.db;
    longClosed = await samplePerson(db, h.app.keyring, f.northTeamId, f.userIds.coordinator);
    recentlyClosed = await samplePerson(db, h.app.keyring, f.northTeamId, f.userIds.coordinator);
    open = await samplePerson(db, h.app.keyring, f.northTeamId, f.userIds.coordinator);
    await close(longClosed, '2024-05-01');
    await close(recentlyClosed, '2026-01-01');
    for (const personId of [longClosed, recentlyClosed, open]) {
      const key = (await personDataKey(db, h.app.keyring, personId))!;
      const [conversationId, goalId, connectionId] = [randomUUID(), randomUUID(), randomUUID()];
      await db.insert(supportConversations).values({ id: conversationId, personId, heldOn: '2024-01-03', noteEnc: key.encrypt('A note (sample data)', seal('support_conversations', conversationId, 'note')) });
      await db.insert(supportNextSteps).values({ personId, conversationId, stepEnc: key.encrypt('A step', seal('support_next_steps', conversationId, 'step')) });
      await db.insert(supportGoals).values({ id: goalId, personId, setOn: '2024-01-03', goalEnc: key.encrypt('A goal', seal('support_goals', goalId, 'goal')) });
      await db.insert(supportConnections).values({ id: connectionId, personId, serviceName: 'A club (sample data)', connectedOn: '2024-01-10', outcome: 'continuing', noteEnc: key.encrypt('Likes it', seal('support_connections', connectionId, 'note')) });
      await db.insert(supportWellbeing).values([
        { personId, measuredOn: '2024-01-03', occasion: 'start', lifeSatisfaction: 3 },
        { personId, measuredOn: '2024-04-03', occasion: 'end', lifeSatisfaction: 7 },
      ]);
      await db.insert(supportShares).values({ personId, sharedWithUserId: f.userIds.elsewhere, sharedWithOrganisationId: f.otherOrganisationId, purpose: 'Joint support', consentOn: '2024-01-02', consentHow: 'In person', startsOn: '2024-01-02', endsOn: '2024-06-01' });
    }
  });

  it('flags only people closed longer ago than the retention period', async () => {
    expect(await flagForRetention(h.database.db, 24, now)).toEqual({ flagged: 1, waiting: 1 });
    const flagged = await h.database.db.select({ id: supportPeople.id }).from(supportPeople).where(sql`${supportPeople.retentionFlaggedAt} is not null`);
    expect(flagged.map((p) => p.id)).toEqual([longClosed]);
    // Running again flags nobody new.
    expect(await flagForRetention(h.database.db, 24, now)).toEqual({ flagged: 0, waiting: 1 });
  });

  it('shows the team’s leads the flagged records by name, and no one else', async () => {
    const lead = await s.signedIn('lead');
    const page = await lead.get(teamPath(f.northTeamId, '/retention'));
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('1 record flagged');
    expect(page.body).toContain(secretName);
    expect(page.body).toContain('1 May 2024');
    const [read] = await h.database.db.select().from(auditEvents).where(eq(auditEvents.action, 'support.retention.read'));
    expect(read?.details).toEqual({ ids: [longClosed] });
    expect((await (await s.signedIn('coordinator')).get(teamPath(f.northTeamId, '/retention'))).statusCode).toBe(403);
    for (const who of ['south', 'elsewhere', 'admin', 'site-admin'] as const) {
      expect([who, (await (await s.signedIn(who)).get(teamPath(f.northTeamId, '/retention'))).statusCode]).toEqual([who, 404]);
    }
  });

  it('lets a lead keep a flagged record for another 12 months, with a reason, and it is not flagged again meanwhile', async () => {
    const lead = await s.signedIn('lead');
    await lead.get(teamPath(f.northTeamId, '/retention'));
    const noReason = await lead.post(teamPath(f.northTeamId, `/retention/${longClosed}/keep`), {});
    expect(noReason.statusCode).toBe(400);
    expect(noReason.body).toContain('Choose why the record is to be kept');
    const kept = await lead.post(teamPath(f.northTeamId, `/retention/${longClosed}/keep`), { reason: 'person-asked' });
    expect(kept.statusCode).toBe(303);
    const [row] = await h.database.db.select({ flagged: supportPeople.retentionFlaggedAt }).from(supportPeople).where(eq(supportPeople.id, longClosed));
    expect(row?.flagged).toBeNull();
    expect(await flagForRetention(h.database.db, 24, new Date())).toEqual({ flagged: 0, waiting: 0 });
    // A year and more on, it is flagged once more (the recently closed person is still inside the period then).
    expect(await flagForRetention(h.database.db, 24, new Date(Date.now() + 400 * 86_400_000))).toEqual({ flagged: 1, waiting: 1 });
    const [again] = await h.database.db.select({ flagged: supportPeople.retentionFlaggedAt }).from(supportPeople).where(eq(supportPeople.id, longClosed));
    expect(again?.flagged).not.toBeNull();
  });

  it('anonymises flagged records: personal data gone, counts for aggregates kept', async () => {
    const db = h.database.db;
    const count = async (table: typeof supportIntroductions | typeof supportWellbeing | typeof supportConnections | typeof supportConversations | typeof supportGoals | typeof supportShares | typeof supportNextSteps, id: string) =>
      (await db.select().from(table).where(eq(table.personId, id))).length;
    const before = { introductions: await count(supportIntroductions, longClosed), wellbeing: await count(supportWellbeing, longClosed), connections: await count(supportConnections, longClosed) };
    expect(before).toEqual({ introductions: 1, wellbeing: 2, connections: 1 });

    expect(await eraseFlagged(db, cliActor, now)).toEqual({ anonymised: 1 });
    const [person] = await db.select().from(supportPeople).where(eq(supportPeople.id, longClosed));
    expect(person).toMatchObject({ wrappedKey: null, nameEnc: null, contactEnc: null, postcodeEnc: null, dateOfBirthEnc: null, demographicsEnc: null, ageBand: '65-74', status: 'closed', closedOn: '2024-05-01', closureReason: 'goals-met' });
    expect(person?.anonymisedAt).not.toBeNull();
    expect({ introductions: await count(supportIntroductions, longClosed), wellbeing: await count(supportWellbeing, longClosed), connections: await count(supportConnections, longClosed) }).toEqual(before);
    expect(await count(supportConversations, longClosed)).toBe(0);
    expect(await count(supportNextSteps, longClosed)).toBe(0);
    expect(await count(supportGoals, longClosed)).toBe(0);
    expect(await count(supportShares, longClosed)).toBe(0);
    const [intro] = await db.select().from(supportIntroductions).where(eq(supportIntroductions.personId, longClosed));
    expect(intro).toMatchObject({ introducerEnc: null, reasonEnc: null, route: 'gp-pcn', introducedOn: '2026-09-01' });
    const [connection] = await db.select().from(supportConnections).where(eq(supportConnections.personId, longClosed));
    expect(connection).toMatchObject({ noteEnc: null, outcome: 'continuing' });
    const [wellbeing] = await db.select({ total: sql<number>`sum(life_satisfaction)::int` }).from(supportWellbeing).where(eq(supportWellbeing.personId, longClosed));
    expect(Number(wellbeing?.total)).toBe(10);
    // The others keep everything.
    expect(await count(supportConversations, recentlyClosed)).toBe(1);
    expect(await count(supportConversations, open)).toBe(1);
    const [audit] = await db.select().from(auditEvents).where(eq(auditEvents.action, 'support.person.anonymise'));
    expect(audit?.objectId).toBe(longClosed);
    expect((await (await s.signedIn('coordinator')).get(personPath(longClosed, '/privacy'))).statusCode).toBe(404);
    expect(await eraseFlagged(db, cliActor, now)).toEqual({ anonymised: 0 });
  });
});
