import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { useSeededApp } from '../../../tests/support/app.ts';
import { engines } from '../../../tests/support/engines.ts';
import { auditEvents } from '../../platform/audit/schema.ts';
import type { Keyring } from '../../platform/crypto/envelope.ts';
import type { Db } from '../../platform/db/database.ts';
import { personDataKey, seal } from './people.ts';
import { supportConnections, supportConversations, supportGoalProgress, supportGoals, supportNextSteps, supportShares, supportWellbeing } from './schema.ts';
import { samplePerson, secretEmail, secretName, seedSupportTeams, supportHarness, type SupportPeopleFixture } from './testing.ts';
import { personPath, today } from './web.ts';

/** One row in every part of a record, encrypted as the pages write them (sample data). */
async function fillRecord(db: Db, keyring: Keyring, personId: string, f: SupportPeopleFixture) {
  const key = (await personDataKey(db, keyring, personId))!;
  const [conversationId, stepId, goalId, progressId, connectionId] = [randomUUID(), randomUUID(), randomUUID(), randomUUID(), randomUUID()];
  await db.insert(supportConversations).values({ id: conversationId, personId, heldOn: '2026-09-03', noteEnc: key.encrypt('Talked about the allotment waiting list', seal('support_conversations', conversationId, 'note')) });
  await db.insert(supportNextSteps).values({ id: stepId, personId, conversationId, stepEnc: key.encrypt('Ring the allotment society', seal('support_next_steps', stepId, 'step')) });
  await db.insert(supportGoals).values({ id: goalId, personId, setOn: '2026-09-03', goalEnc: key.encrypt('Grow my own tomatoes again', seal('support_goals', goalId, 'goal')) });
  await db.insert(supportGoalProgress).values({ id: progressId, goalId, recordedOn: '2026-10-01', score: 4, noteEnc: key.encrypt('Has a plot on the list', seal('support_goal_progress', progressId, 'note')) });
  await db.insert(supportConnections).values({ id: connectionId, personId, serviceName: 'Pemberton Gardening Club (sample data)', connectedOn: '2026-09-10', outcome: 'attended', noteEnc: key.encrypt('Enjoyed the first session', seal('support_connections', connectionId, 'note')) });
  await db.insert(supportWellbeing).values({ personId, measuredOn: '2026-09-03', occasion: 'start', lifeSatisfaction: 3, worthwhile: 4, happiness: 5, anxiety: 7 });
  await db.insert(supportShares).values({ personId, sharedWithUserId: f.userIds.elsewhere, sharedWithOrganisationId: f.otherOrganisationId, purpose: 'Joint support with the practice', consentOn: '2026-09-02', consentHow: 'In person', startsOn: '2026-09-02', endsOn: '2099-01-01' });
}

describe.each(engines)('subject access export on %s', (engine) => {
  const h = useSeededApp(engine);
  const s = supportHarness(h);
  let f: SupportPeopleFixture;
  let personId: string;

  beforeAll(async () => {
    f = await seedSupportTeams(h.database, h.seed);
    personId = await samplePerson(h.database.db, h.app.keyring, f.northTeamId, f.userIds.coordinator);
    await fillRecord(h.database.db, h.app.keyring, personId, f);
  });

  it('downloads everything held, decrypted, as JSON with no name in the file name, and audits it', async () => {
    const coordinator = await s.signedIn('coordinator');
    const response = await coordinator.get(personPath(personId, '/export.json'));
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('application/json');
    const disposition = String(response.headers['content-disposition']);
    expect(disposition).toMatch(new RegExp(`^attachment; filename="subject-access-[0-9a-f]{8}-${today()}\\.json"$`));
    expect(disposition).not.toMatch(/zebedee|quillfeather/i);
    expect(response.headers['cache-control']).toContain('no-store');
    const data = JSON.parse(response.body);
    expect(data.person).toMatchObject({ name: secretName, contact: { email: secretEmail }, dateOfBirth: '1958-03-14', consentStatus: 'given' });
    expect(data.introductions).toEqual([expect.objectContaining({ introducer: 'Pemberton Surgery', reason: 'Lonely since moving here; wants to get out more' })]);
    expect(data.conversations).toEqual([expect.objectContaining({ note: 'Talked about the allotment waiting list' })]);
    expect(data.nextSteps).toEqual([expect.objectContaining({ step: 'Ring the allotment society' })]);
    expect(data.goals).toEqual([expect.objectContaining({ goal: 'Grow my own tomatoes again', progress: [expect.objectContaining({ score: 4, note: 'Has a plot on the list' })] })]);
    expect(data.connections).toEqual([expect.objectContaining({ service: 'Pemberton Gardening Club (sample data)', note: 'Enjoyed the first session', outcome: 'Attended' })]);
    expect(data.wellbeing).toEqual([expect.objectContaining({ lifeSatisfaction: 3, anxiety: 7 })]);
    expect(data.shares).toEqual([expect.objectContaining({ with: 'Elsie Elsewhere', organisation: 'Other Organisation', purpose: 'Joint support with the practice' })]);
    expect(data.accessLog.some((l: { what: string }) => l.what === 'Recorded the person')).toBe(true);
    const exports = await h.database.db.select().from(auditEvents).where(eq(auditEvents.action, 'support.person.export'));
    expect(exports).toHaveLength(1);
    expect(exports[0]!.objectId).toBe(personId);
    expect(JSON.stringify(exports[0]!.details)).not.toContain(secretName);
  });

  it('shows the same as a printable page, to the team’s lead too', async () => {
    const lead = await s.signedIn('lead');
    const page = await lead.get(personPath(personId, '/export'));
    expect(page.statusCode).toBe(200);
    for (const text of [secretName, secretEmail, 'Talked about the allotment waiting list', 'Ring the allotment society', 'Grow my own tomatoes again', 'Has a plot on the list', 'Enjoyed the first session', 'Elsie Elsewhere', 'Who has looked at the record', 'Pemberton Surgery']) {
      expect([text, page.body.includes(text)]).toEqual([text, true]);
    }
  });

  it('is not there for anyone outside the record', async () => {
    for (const who of ['south', 'partner', 'admin', 'site-admin'] as const) {
      const client = await s.signedIn(who);
      expect([who, (await client.get(personPath(personId, '/export.json'))).statusCode]).toEqual([who, 404]);
    }
  });
});
