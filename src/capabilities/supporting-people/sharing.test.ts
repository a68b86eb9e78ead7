import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { Client, emailOf, useSeededApp, visitors } from '../../../tests/support/app.ts';
import { engines } from '../../../tests/support/engines.ts';
import { auditEvents } from '../../platform/audit/schema.ts';
import { memberships } from '../../platform/auth/schema.ts';
import { supportShares } from './schema.ts';
import { yearAfter } from './sharing.ts';
import { samplePerson, seedSupportTeams, supportHarness, type SupportPeopleFixture } from './testing.ts';
import { personPath, today } from './web.ts';

/** A date as the three boxes of a GOV.UK date input. */
const boxes = (name: string, iso: string) => {
  const [y, m, d] = iso.split('-');
  return { [`${name}-day`]: String(Number(d)), [`${name}-month`]: String(Number(m)), [`${name}-year`]: y! };
};
const daysFrom = (iso: string, days: number) => new Date(Date.parse(`${iso}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

const validShare = (email: string, overrides: Record<string, string> = {}) => ({
  email,
  purpose: 'Joint support with the GP practice (sample data)',
  consented: 'yes',
  ...boxes('consentOn', daysFrom(today(), -1)),
  consentHow: 'In person',
  ...boxes('endsOn', daysFrom(today(), 90)),
  ...overrides,
});

describe.each(engines)('sharing a record with consent, and who has looked, on %s', (engine) => {
  const h = useSeededApp(engine);
  const s = supportHarness(h);
  let f: SupportPeopleFixture;
  let personId: string;
  let coordinator: Client;
  let elsewhere: Client;

  beforeAll(async () => {
    f = await seedSupportTeams(h.database, h.seed);
    personId = await samplePerson(h.database.db, h.app.keyring, f.northTeamId, f.userIds.coordinator);
    coordinator = await s.signedIn('coordinator');
    elsewhere = await s.signedIn('elsewhere');
  });

  const sharesCount = async (id = personId) => (await h.database.db.select().from(supportShares).where(eq(supportShares.personId, id))).length;

  it('shows the privacy page, with the share form, to the coordinator; only those in the record see it', async () => {
    const page = await coordinator.get(personPath(personId, '/privacy'));
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Share this record');
    expect(page.body).toContain('Who has looked at this record');
    expect(page.body).toContain('Erase this record');
    expect(page.headers['cache-control']).toContain('no-store');
    for (const who of ['south', 'elsewhere', 'partner', 'admin', 'site-admin'] as const) {
      expect([who, (await (await s.signedIn(who)).get(personPath(personId, '/privacy'))).statusCode]).toEqual([who, 404]);
    }
    expect((await new Client(h.app).get(personPath(personId, '/privacy'))).statusCode).toBe(302);
  });

  it('answers the standard visitors: only the person’s coordinator gets the pages', async () => {
    const pages = ['/privacy', '/access', '/export', '/export.json', '/erase'];
    for (const visitor of visitors) {
      const client = new Client(h.app);
      if (visitor !== 'anonymous') expect((await client.signIn(emailOf(visitor))).statusCode).toBe(303);
      const expected = visitor === 'anonymous' ? 302 : visitor === 'coordinator' ? 200 : 404;
      for (const page of pages) expect([visitor, page, (await client.get(personPath(personId, page))).statusCode]).toEqual([visitor, page, expected]);
    }
  });

  it('refuses to share a record when the person has not consented to it being kept', async () => {
    const withdrawn = await samplePerson(h.database.db, h.app.keyring, f.northTeamId, f.userIds.coordinator, { consentStatus: 'withdrawn' });
    await coordinator.get(personPath(withdrawn, '/privacy'));
    const response = await coordinator.post(personPath(withdrawn, '/shares'), validShare('elsewhere@example.org'));
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('the person has not consented');
    expect(await sharesCount(withdrawn)).toBe(0);
  });

  it('refuses a colleague in the person’s own organisation, saying they get access through the team', async () => {
    await coordinator.get(personPath(personId, '/privacy'));
    const response = await coordinator.post(personPath(personId, '/shares'), validShare('south@example.org'));
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('get access through the support team');
    expect(await sharesCount()).toBe(0);
  });

  it('refuses an end date before the start, a missing consent tick, and an end more than a year ahead', async () => {
    const beforeStart = await coordinator.post(personPath(personId, '/shares'), validShare('elsewhere@example.org', { ...boxes('startsOn', daysFrom(today(), 10)), ...boxes('endsOn', daysFrom(today(), 5)) }));
    expect(beforeStart.statusCode).toBe(400);
    expect(beforeStart.body).toContain('The end date must be after the start date');
    expect(beforeStart.body).toContain('href="#endsOn-day"');
    const { consented: _c, ...unticked } = validShare('elsewhere@example.org');
    const noConsent = await coordinator.post(personPath(personId, '/shares'), unticked);
    expect(noConsent.statusCode).toBe(400);
    expect(noConsent.body).toContain('Confirm that the person has consented to this sharing');
    const tooLong = await coordinator.post(personPath(personId, '/shares'), validShare('elsewhere@example.org', boxes('endsOn', daysFrom(yearAfter(today()), 1))));
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.body).toContain('no more than a year from today');
    const future = await coordinator.post(personPath(personId, '/shares'), validShare('elsewhere@example.org', boxes('consentOn', daysFrom(today(), 1))));
    expect(future.body).toContain('The date of consent must be today or in the past');
    expect(await sharesCount()).toBe(0);
  });

  it('lets the team’s lead open the privacy page with everything on it', async () => {
    const lead = await s.signedIn('lead');
    const page = await lead.get(personPath(personId, '/privacy'));
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Download everything held (JSON)');
  });

  let shareId: string;
  it('shares with a colleague in another organisation, who can then read the record but not its access log or export', async () => {
    const response = await coordinator.post(personPath(personId, '/shares'), validShare('elsewhere@example.org'));
    expect(response.statusCode).toBe(303);
    const [share] = await h.database.db.select().from(supportShares).where(eq(supportShares.personId, personId));
    expect(share).toMatchObject({ sharedWithUserId: f.userIds.elsewhere, sharedWithOrganisationId: f.otherOrganisationId, consentHow: 'In person', startsOn: today() });
    shareId = share!.id;
    const [audit] = await h.database.db.select().from(auditEvents).where(eq(auditEvents.action, 'support.share.create'));
    expect(audit?.objectId).toBe(personId);
    expect(JSON.stringify(audit?.details)).not.toContain('Zebedee');

    const page = await coordinator.get(personPath(personId, '/privacy'));
    expect(page.body).toContain('Elsie Elsewhere');
    expect(page.body).toContain('Other Organisation');
    expect(page.body).toContain('Active');

    const read = await elsewhere.get(personPath(personId, '/privacy'));
    expect(read.statusCode).toBe(200);
    expect(read.body).toContain('This record is shared with you to read');
    expect(read.body).not.toContain('Share this record</h3>');
    expect(read.body).not.toContain('Erase this record');
    expect((await elsewhere.get(personPath(personId, '/access'))).statusCode).toBe(403);
    expect((await elsewhere.get(personPath(personId, '/export'))).statusCode).toBe(403);
    expect((await elsewhere.get(personPath(personId, '/export.json'))).statusCode).toBe(403);
    expect((await elsewhere.get(personPath(personId, '/erase'))).statusCode).toBe(403);
    expect((await elsewhere.post(personPath(personId, `/shares/${shareId}/revoke`), {})).statusCode).toBe(403);
    expect((await elsewhere.post(personPath(personId, '/shares'), validShare('elsewhere@example.org'))).statusCode).toBe(403);
    expect((await elsewhere.post(personPath(personId, '/erase'), { confirm: 'ERASE' })).statusCode).toBe(403);
    expect(await sharesCount()).toBe(1);
  });

  it('lists reads by the coordinator and by the shared colleague, with the purpose, in the access log', async () => {
    const log = await coordinator.get(personPath(personId, '/access'));
    expect(log.statusCode).toBe(200);
    expect(log.body).toContain('Test coordinator');
    expect(log.body).toContain('Their coordinator');
    expect(log.body).toContain('Elsie Elsewhere');
    expect(log.body).toContain('Other Organisation');
    expect(log.body).toContain('Shared for: Joint support with the GP practice (sample data)');
    expect(log.body).toContain('Read the record (sharing and privacy)');
    expect(log.body).toContain('Shared the record');
    // Newest first; the shared colleague's refused attempts (access log, export, erase) were not reads.
    expect(log.body.indexOf('Read the record (who has looked)')).toBeLessThan(log.body.indexOf('Shared for:'));
    const colleagueReads = await h.database.db.select().from(auditEvents).where(and(eq(auditEvents.actorUserId, f.userIds.elsewhere), eq(auditEvents.action, 'support.person.read')));
    expect(colleagueReads.map((e) => (e.details as { page?: string }).page)).toEqual(['/support/people/:personId/privacy']);
  });

  it('pages the log 50 at a time', async () => {
    await h.database.db.insert(auditEvents).values(Array.from({ length: 60 }, () => ({ actorUserId: f.userIds.lead, actorLabel: 'lead@example.org', action: 'support.person.read', objectType: 'support-person', objectId: personId, details: { basis: 'team-lead', page: '/support/people/:personId/wellbeing' } })));
    const first = await coordinator.get(personPath(personId, '/access'));
    expect(first.body.match(/<tr class="govuk-table__row">/g)).toHaveLength(51);
    expect(first.body).toContain('page 1 of 2');
    const second = await coordinator.get(personPath(personId, '/access?page=2'));
    expect(second.statusCode).toBe(200);
    expect(second.body).toContain('page 2 of 2');
    expect(second.body).toContain('Recorded the person');
    expect(first.body).toContain('Read the record (wellbeing)');
  });

  it('includes a caseload list that showed the person (their id in the event)', async () => {
    await h.database.db.insert(auditEvents).values({ actorUserId: f.userIds.lead, actorLabel: 'lead@example.org', action: 'support.caseload.read', objectType: 'support-team', objectId: f.northTeamId, details: { ids: [personId] } });
    const log = await coordinator.get(personPath(personId, '/access'));
    expect(log.body).toContain('Saw the person in a caseload list');
    expect(log.body).toContain('Lena Lead');
  });

  it('asks which organisation when the colleague belongs to several', async () => {
    await h.database.db.insert(memberships).values({ userId: f.userIds.partner, organisationId: f.otherOrganisationId, role: 'member' });
    await coordinator.get(personPath(personId, '/privacy'));
    const ask = await coordinator.post(personPath(personId, '/shares'), validShare('partner@example.org'));
    expect(ask.statusCode).toBe(400);
    expect(ask.body).toContain('belongs to more than one organisation');
    expect(ask.body).toContain('<option value="' + f.partnerOrganisationId + '"');
    const done = await coordinator.post(personPath(personId, '/shares'), validShare('partner@example.org', { organisationId: f.partnerOrganisationId }));
    expect(done.statusCode).toBe(303);
    const [share] = await h.database.db.select().from(supportShares).where(eq(supportShares.sharedWithUserId, f.userIds.partner));
    expect(share?.sharedWithOrganisationId).toBe(f.partnerOrganisationId);
    expect((await coordinator.post(personPath(personId, `/shares/${randomUUID()}/revoke`), {})).statusCode).toBe(404);
  });

  it('revokes: the colleague can no longer open the record', async () => {
    const response = await coordinator.post(personPath(personId, `/shares/${shareId}/revoke`), {});
    expect(response.statusCode).toBe(303);
    expect((await elsewhere.get(personPath(personId, '/privacy'))).statusCode).toBe(404);
    const page = await coordinator.get(personPath(personId, '/privacy'));
    expect(page.body).toContain('Revoked');
    expect((await coordinator.post(personPath(personId, `/shares/${shareId}/revoke`), {})).statusCode).toBe(404);
  });
});
