import { and, eq, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { Client, emailOf, useSeededApp, type Visitor } from '../../../tests/support/app.ts';
import { engines } from '../../../tests/support/engines.ts';
import { queryRows } from '../../platform/db/database.ts';
import { supportTeamMembers, supportTeams } from './schema.ts';
import { cliActor } from '../../platform/audit/audit.ts';
import { createTeam, teamsOfOrganisation } from './teams.ts';
import { samplePerson, secretName, seedSupportTeams, supportHarness, type SupportPeopleFixture } from './testing.ts';

/** Support teams, managed by an organisation's admins, who see counts but never who is supported. */
describe.each(engines)('support teams on %s', (engine) => {
  const h = useSeededApp(engine);
  let f: SupportPeopleFixture;
  const s = () => supportHarness(h);
  const db = () => h.database.db;
  const teamsPath = '/organisations/test-org/support-teams';
  const teamAudits = (action: string, teamId: string) => queryRows<{ details: Record<string, unknown> }>(db(), sql`select details from audit_events where action = ${action} and object_id = ${teamId}`);
  const visitor = async (who: Visitor) => {
    const client = new Client(h.app);
    if (who !== 'anonymous') expect((await client.signIn(emailOf(who))).statusCode).toBe(303);
    return client;
  };

  beforeAll(async () => {
    f = await seedSupportTeams(h.database, h.seed);
    await samplePerson(db(), h.app.keyring, f.northTeamId, f.userIds.coordinator);
  });

  it('lets only the organisation’s admins (and site admins) manage teams', async () => {
    const expected: Record<Visitor, number> = { anonymous: 302, outsider: 403, viewer: 403, member: 403, coordinator: 403, admin: 200, 'site-admin': 200 };
    for (const who of Object.keys(expected) as Visitor[]) {
      const client = await visitor(who);
      expect([who, (await client.get(teamsPath)).statusCode]).toEqual([who, expected[who]]);
      expect([who, (await client.get(`${teamsPath}/${f.northTeamId}`)).statusCode]).toEqual([who, expected[who]]);
    }
  });

  it('lists teams with counts only, never the names of people supported', async () => {
    const admin = await s().signedIn('admin');
    const page = await admin.get(teamsPath);
    expect(page.body).toContain('North Local Area Coordination');
    expect(page.body).toContain('South Local Area Coordination');
    expect(page.body).not.toContain('Social prescribing link workers');
    expect(page.body).not.toContain(secretName);
    const counts = await teamsOfOrganisation(db(), f.organisationId);
    expect(counts.map((t) => [t.name, t.members, t.openPeople, t.allPeople])).toEqual([
      ['North Local Area Coordination', 2, 1, 1],
      ['South Local Area Coordination', 1, 0, 0],
    ]);
    const team = await admin.get(`${teamsPath}/${f.northTeamId}`);
    expect(team.body).toContain('Test coordinator');
    expect(team.body).toContain('Lena Lead');
    expect(team.body).not.toContain(secretName);
  });

  it('creates a team, refusing a name already taken whatever its capitals', async () => {
    const admin = await s().signedIn('admin');
    await admin.get(teamsPath);
    const taken = await admin.post(teamsPath, { name: 'north local area COORDINATION' });
    expect(taken.statusCode).toBe(400);
    expect(taken.body).toContain('There is already a team called');
    expect((await admin.post(teamsPath, { name: '' })).statusCode).toBe(400);
    const created = await admin.post(teamsPath, { name: 'Leigh link workers' });
    expect(created.statusCode).toBe(303);
    const [team] = await db().select().from(supportTeams).where(eq(supportTeams.name, 'Leigh link workers'));
    expect(team!.organisationId).toBe(f.organisationId);
    expect(created.headers.location).toBe(`${teamsPath}/${team!.id}`);
    expect(await teamAudits('support.team.create', team!.id)).toHaveLength(1);
    // Another organisation may use the same name.
    await createTeam(db(), f.otherOrganisationId, 'LEIGH link workers', cliActor);
    expect(await db().select().from(supportTeams).where(sql`lower(${supportTeams.name}) = 'leigh link workers'`)).toHaveLength(2);
  });

  it('adds members of the organisation only, as coordinator or lead', async () => {
    const admin = await s().signedIn('admin');
    const [team] = await db().insert(supportTeams).values({ organisationId: f.organisationId, name: 'Hindley team' }).returning();
    await admin.get(`${teamsPath}/${team!.id}`);
    const notMember = await admin.post(`${teamsPath}/${team!.id}/members`, { userId: f.userIds.elsewhere, role: 'coordinator' });
    expect(notMember.statusCode).toBe(400);
    expect(notMember.body).toContain('Choose a member of the organisation');
    expect((await admin.post(`${teamsPath}/${team!.id}/members`, { userId: h.seed.userIds.member!, role: 'boss' })).statusCode).toBe(400);
    expect((await admin.post(`${teamsPath}/${team!.id}/members`, { userId: h.seed.userIds.member!, role: 'lead' })).statusCode).toBe(303);
    const members = await db().select().from(supportTeamMembers).where(eq(supportTeamMembers.teamId, team!.id));
    expect(members.map((m) => [m.userId, m.role])).toEqual([[h.seed.userIds.member!, 'lead']]);
    expect((await teamAudits('support.team.member.add', team!.id)).map((a) => a.details)).toEqual([{ userId: h.seed.userIds.member!, role: 'lead' }]);
  });

  it('refuses to remove someone who still coordinates people, saying how many', async () => {
    const admin = await s().signedIn('admin');
    await admin.get(`${teamsPath}/${f.northTeamId}`);
    const refused = await admin.post(`${teamsPath}/${f.northTeamId}/members/${f.userIds.coordinator}/remove`);
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('still coordinates 1 person');
    expect(refused.body).toContain('A lead of the team must');
    const still = await db().select().from(supportTeamMembers).where(and(eq(supportTeamMembers.teamId, f.northTeamId), eq(supportTeamMembers.userId, f.userIds.coordinator)));
    expect(still).toHaveLength(1);
    // Someone with no caseload can go.
    expect((await admin.post(`${teamsPath}/${f.northTeamId}/members/${f.userIds.lead}/remove`)).statusCode).toBe(303);
    const gone = await db().select().from(supportTeamMembers).where(and(eq(supportTeamMembers.teamId, f.northTeamId), eq(supportTeamMembers.userId, f.userIds.lead)));
    expect(gone).toHaveLength(0);
    expect(await teamAudits('support.team.member.remove', f.northTeamId)).toHaveLength(1);
    await db().insert(supportTeamMembers).values({ teamId: f.northTeamId, userId: f.userIds.lead, role: 'lead' });
  });

  it('says a team of another organisation is not there', async () => {
    const admin = await s().signedIn('admin');
    expect((await admin.get(`${teamsPath}/${f.elsewhereTeamId}`)).statusCode).toBe(404);
    expect((await admin.get(`${teamsPath}/not-a-team`)).statusCode).toBe(404);
    await admin.get(teamsPath);
    expect((await admin.post(`${teamsPath}/${f.elsewhereTeamId}/members`, { userId: h.seed.userIds.member!, role: 'coordinator' })).statusCode).toBe(404);
    expect((await admin.post(`${teamsPath}/${f.elsewhereTeamId}/members/${f.userIds.elsewhere}/remove`)).statusCode).toBe(404);
  });

  it('gives an admin no access to the records their teams hold', async () => {
    const id = await samplePerson(db(), h.app.keyring, f.northTeamId, f.userIds.coordinator);
    for (const who of ['admin', 'site-admin'] as const) {
      const client = await s().signedIn(who);
      expect([who, (await client.get(`/support/people/${id}`)).statusCode]).toEqual([who, 404]);
      expect([who, (await client.get(`/support/people/${id}/edit`)).statusCode]).toEqual([who, 404]);
    }
  });
});
