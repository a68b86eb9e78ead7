import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, engines, type TestDatabase } from './support/engines.ts';
import { Client, emailOf, seedPeople, startTestApp, visitors, type Visitor } from './support/app.ts';
import { partnershipOrganisations, partnerships } from '../src/capabilities/partnerships/schema.ts';
import { voiceCampaigns, voiceQuestions } from '../src/capabilities/community-voice/schema.ts';
import { supportTeamMembers, supportTeams } from '../src/capabilities/supporting-people/schema.ts';
import { samplePerson } from '../src/capabilities/supporting-people/testing.ts';
import { routeMatrix as expected, type Row } from './support/route-matrix.ts';

// The matrix itself (tests/support/route-matrix.ts) is shared with the security pass in tests/security.

describe.each(engines)('route permissions on %s', (engine) => {
  let database: TestDatabase;
  let app: FastifyInstance;
  const clients = {} as Record<Visitor, Client>;
  let params: Record<string, string>;

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    const { organisationId, userIds } = await seedPeople(database);
    const [partnership] = await database.db.insert(partnerships).values({ name: 'Route matrix partnership (sample data)', leadOrganisationId: organisationId }).returning({ id: partnerships.id });
    await database.db.insert(partnershipOrganisations).values({ partnershipId: partnership!.id, organisationId });
    const [campaign] = await database.db
      .insert(voiceCampaigns)
      .values({ organisationId, title: 'Route matrix campaign (sample data)', kind: 'listening', status: 'open', acceptsPublic: true, sample: true })
      .returning({ id: voiceCampaigns.id });
    await database.db.insert(voiceQuestions).values({ campaignId: campaign!.id, position: 1, kind: 'text', prompt: 'What should change?', required: true });
    // Many sign-ins come from one address here; the rate limit has its own test.
    app = await startTestApp(database, { SIGN_IN_RATE_LIMIT: '1000' });
    const [team] = await database.db.insert(supportTeams).values({ organisationId, name: 'Route matrix team' }).returning({ id: supportTeams.id });
    await database.db.insert(supportTeamMembers).values({ teamId: team!.id, userId: userIds.coordinator!, role: 'coordinator' });
    const personId = await samplePerson(database.db, app.keyring, team!.id, userIds.coordinator!);
    for (const visitor of visitors) {
      clients[visitor] = new Client(app);
      // The sign-in page gives an anonymous visitor a CSRF token, so its refusals below are about permission.
      if (visitor === 'anonymous') await clients[visitor].get('/sign-in');
      else expect((await clients[visitor].signIn(emailOf(visitor))).statusCode).toBe(303);
    }
    const css = /href="\/assets\/([^"]+\.css)"/.exec((await clients.anonymous.get('/')).body)![1]!;
    params = {
      slug: 'test-org',
      name: css,
      token: 'A'.repeat(43),
      // No data is loaded in this test database: the data routes answer 404 for everyone.
      edition: 'iod2019',
      code: 'E08000035',
      layer: 'lsoa21',
      // A local indicator's id, and a composite index's: both well-formed, neither there.
      id: 'local.00000000-0000-4000-8000-000000000000',
      indexId: '00000000-0000-4000-8000-000000000000',
      neighbourhoodId: '00000000-0000-4000-8000-000000000000',
      sourceId: '00000000-0000-4000-8000-000000000000',
      uploadId: '00000000-0000-4000-8000-000000000000',
      importId: '00000000-0000-4000-8000-000000000000',
      supplierId: '00000000-0000-4000-8000-000000000000',
      contractId: '00000000-0000-4000-8000-000000000000',
      layerId: '00000000-0000-4000-8000-000000000000',
      mappingId: '00000000-0000-4000-8000-000000000000',
      serviceId: '00000000-0000-4000-8000-000000000000',
      partnershipId: partnership!.id,
      campaignId: campaign!.id,
      responseId: '00000000-0000-4000-8000-000000000000',
      themeId: '00000000-0000-4000-8000-000000000000',
      fundId: '00000000-0000-4000-8000-000000000000',
      roundId: '00000000-0000-4000-8000-000000000000',
      proposalId: '00000000-0000-4000-8000-000000000000',
      grantId: '00000000-0000-4000-8000-000000000000',
      scenarioId: '00000000-0000-4000-8000-000000000000',
      priorityId: '00000000-0000-4000-8000-000000000000',
      actionId: '00000000-0000-4000-8000-000000000000',
      aimId: '00000000-0000-4000-8000-000000000000',
      meetingId: '00000000-0000-4000-8000-000000000000',
      suggestionId: '00000000-0000-4000-8000-000000000000',
      personId,
      teamId: team!.id,
      stepId: '00000000-0000-4000-8000-000000000000',
      goalId: '00000000-0000-4000-8000-000000000000',
      connectionId: '00000000-0000-4000-8000-000000000000',
      shareId: '00000000-0000-4000-8000-000000000000',
      outcomeId: '00000000-0000-4000-8000-000000000000',
      measureId: '00000000-0000-4000-8000-000000000000',
      measurementId: '00000000-0000-4000-8000-000000000000',
      storyId: '00000000-0000-4000-8000-000000000000',
      modelId: '00000000-0000-4000-8000-000000000000',
      rowId: '00000000-0000-4000-8000-000000000000',
      proxyId: '00000000-0000-4000-8000-000000000000',
      z: '0',
      x: '0',
      y: '0',
      // Not a member, so an allowed request is answered "not a member" and changes nothing.
      userId: '00000000-0000-4000-8000-000000000000',
    };
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('has a decision for exactly the registered routes', () => {
    const registered = app.routeList.map((r) => `${r.method} ${r.url}`).sort();
    expect(registered).toEqual(Object.keys(expected).sort());
  });

  it.each(Object.entries(expected))('%s', async (route, row) => {
    const [method, pattern] = route.split(' ') as [string, string];
    const url = pattern.replace(/:(\w+)/g, (_, name: string) => {
      if (!params[name]) throw new Error(`No test value for :${name}`);
      return params[name];
    });
    const actual: Partial<Row> = {};
    for (const visitor of visitors) {
      const client = clients[visitor];
      const response = method === 'GET' ? await client.get(url) : await client.post(url, {});
      actual[visitor] = response.statusCode;
    }
    expect(actual).toEqual(row);
  });

  it('answers 404, not 403, for an organisation that does not exist', async () => {
    const fresh = new Client(app);
    await fresh.signIn(emailOf('admin'));
    expect((await fresh.get('/organisations/no-such-org/members')).statusCode).toBe(404);
    expect((await fresh.get('/organisations/no-such-org')).statusCode).toBe(404);
  });

  it('refuses to build an app with a route that has no access rule', async () => {
    const Fastify = (await import('fastify')).default;
    const { requireAccessDecision } = await import('../src/platform/auth/permissions.ts');
    const bare = Fastify();
    bare.addHook('onRoute', requireAccessDecision);
    expect(() => bare.get('/forgotten', async () => 'x')).toThrow(/has no access rule/);
  });
});
