import { and, eq, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { Client, useSeededApp } from '../../../tests/support/app.ts';
import { engines } from '../../../tests/support/engines.ts';
import { auditEvents } from '../../platform/audit/schema.ts';
import { supportShares } from './schema.ts';
import { samplePerson, secretName, seedSupportTeams, supportHarness, supportVisitors, type SupportPeopleFixture, type SupportVisitor } from './testing.ts';

/**
 * The permission matrix for personal records, over every route that names a person, found from the app itself so a
 * page added later is covered without anyone remembering to list it: only the person's coordinator and their team's
 * lead get in; a colleague it is shared with may read; everyone else — other teams, other organisations, partnership
 * members, organisation and site admins — is told it is not there. Every page read is in the audit log.
 */
describe.each(engines)('personal records permission matrix on %s', (engine) => {
  const h = useSeededApp(engine);
  const harness = supportHarness(h);
  let f: SupportPeopleFixture;
  let personId: string;
  const clients = {} as Record<SupportVisitor | 'anonymous', Client>;
  const personRoutes = () => h.app.routeList.filter((r) => r.url.startsWith('/support/people/:personId'));
  /** Pages that name only the person (others need a goal, a share… of theirs, tested in their own files). */
  const personPages = () => personRoutes().filter((r) => r.method === 'GET' && !/:(?!personId)\w+/.test(r.url));
  const urlOf = (pattern: string) => pattern.replace(':personId', personId).replace(/:\w+/g, '00000000-0000-4000-8000-000000000000');
  const reads = async () => (await h.database.db.select({ n: sql<number>`count(*)::int` }).from(auditEvents).where(and(eq(auditEvents.action, 'support.person.read'), eq(auditEvents.objectId, personId))))[0]!.n;

  beforeAll(async () => {
    f = await seedSupportTeams(h.database, h.seed);
    personId = await samplePerson(h.database.db, h.app.keyring, f.northTeamId, f.userIds.coordinator);
    for (const who of supportVisitors) clients[who] = await harness.signedIn(who);
    clients.anonymous = new Client(h.app);
    await clients.anonymous.get('/sign-in');
  });

  it('has pages for a person, each behind the personal-record rule', () => {
    expect(personPages().length).toBeGreaterThanOrEqual(5);
  });

  it('lets only the coordinator and the team lead read each page, and audits every read', async () => {
    for (const route of personPages()) {
      const url = urlOf(route.url);
      for (const who of ['coordinator', 'lead'] as const) {
        const before = await reads();
        const response = await clients[who].get(url);
        // Giving someone a new coordinator is for the team's leads alone, refused before anything is read.
        const refused = who === 'coordinator' && route.url.endsWith('/coordinator');
        expect([route.url, who, response.statusCode]).toEqual([route.url, who, refused ? 403 : 200]);
        expect(response.headers['cache-control']).toMatch(/no-store/);
        expect(await reads()).toBe(before + (refused ? 0 : 1));
      }
      for (const who of ['south', 'elsewhere', 'partner', 'admin', 'site-admin'] as const) {
        const response = await clients[who].get(url);
        expect([route.url, who, response.statusCode]).toEqual([route.url, who, 404]);
        expect(response.body).not.toContain(secretName);
      }
      const anonymous = await clients.anonymous.get(url);
      expect([route.url, anonymous.statusCode]).toEqual([route.url, 302]);
    }
  });

  it('refuses every change to everyone outside the team, before reading the form', async () => {
    for (const route of personRoutes().filter((r) => r.method === 'POST')) {
      const url = urlOf(route.url);
      for (const who of ['south', 'elsewhere', 'partner', 'admin', 'site-admin'] as const) {
        expect([route.url, who, (await clients[who].post(url, {})).statusCode]).toEqual([route.url, who, 404]);
      }
      expect([route.url, (await clients.anonymous.post(url, {})).statusCode]).toEqual([route.url, 401]);
    }
  });

  it('lets a colleague it is shared with read, never change, and audits their reads with the share’s purpose', async () => {
    await h.database.db.insert(supportShares).values({ personId, sharedWithUserId: f.userIds.elsewhere, sharedWithOrganisationId: f.otherOrganisationId, sharedBy: f.userIds.coordinator, purpose: 'Joint support with the practice', consentOn: '2026-09-02', consentHow: 'In person', startsOn: '2026-01-01', endsOn: '2099-12-31' });
    const summary = await clients.elsewhere.get(`/support/people/${personId}`);
    expect(summary.statusCode).toBe(200);
    expect(summary.body).toContain(secretName);
    for (const route of personPages()) expect([route.url, [200, 403].includes((await clients.elsewhere.get(urlOf(route.url))).statusCode)]).toEqual([route.url, true]);
    for (const route of personRoutes().filter((r) => r.method === 'POST')) {
      expect([route.url, (await clients.elsewhere.post(urlOf(route.url), {})).statusCode]).toEqual([route.url, 403]);
    }
    const [read] = await h.database.db
      .select({ details: auditEvents.details })
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'support.person.read'), eq(auditEvents.objectId, personId), eq(auditEvents.actorUserId, f.userIds.elsewhere)))
      .limit(1);
    expect(read?.details).toMatchObject({ basis: 'shared', purpose: 'Joint support with the practice' });
    // No audit event holds personal data.
    const all = await h.database.db.select({ details: auditEvents.details }).from(auditEvents).where(eq(auditEvents.objectId, personId));
    expect(JSON.stringify(all)).not.toContain(secretName);
  });
});
