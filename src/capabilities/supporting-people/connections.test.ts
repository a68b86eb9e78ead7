import { eq, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { useSeededApp } from '../../../tests/support/app.ts';
import { engines } from '../../../tests/support/engines.ts';
import { cliActor } from '../../platform/audit/audit.ts';
import { queryRows } from '../../platform/db/database.ts';
import { createService } from '../community-assets/service.ts';
import { sampleRecord } from '../community-assets/testing.ts';
import { connectionCategories } from './connections.ts';
import { supportConnections, supportShares } from './schema.ts';
import { samplePerson, seedSupportTeams, supportHarness, type SupportPeopleFixture } from './testing.ts';
import { today } from './web.ts';

const boxes = (name: string, iso: string) => {
  const [y, m, d] = iso.split('-');
  return { [`${name}-day`]: d!, [`${name}-month`]: m!, [`${name}-year`]: y! };
};

describe.each(engines)('connections to the directory on %s', (engine) => {
  const h = useSeededApp(engine);
  const db = () => h.database.db;
  let f: SupportPeopleFixture;
  let personId: string;
  let otherPersonId: string;
  let centreId: string;
  const connections = (id: string, rest = '') => `/support/people/${id}/connections${rest}`;
  const connectionCount = async () => (await queryRows<{ n: number }>(db(), sql`select count(*)::int as n from support_connections`))[0]!.n;

  beforeAll(async () => {
    f = await seedSupportTeams(h.database, h.seed);
    personId = await samplePerson(db(), h.app.keyring, f.northTeamId, f.userIds.coordinator);
    otherPersonId = await samplePerson(db(), h.app.keyring, f.northTeamId, f.userIds.coordinator, { name: 'Another Sample Person' });
    centreId = await createService(db(), sampleRecord({ kind: 'activity', name: 'Marsh Green Allotment Society (sample data)', description: 'Plots and a shared greenhouse' }), { organisationId: f.organisationId, userId: null }, cliActor);
  });

  it('finds a directory entry by name and connects the person to it, showing its category', async () => {
    const coordinator = await supportHarness(h).signedIn('coordinator');
    const search = await coordinator.get(connections(personId, '/new?q=allotment'));
    expect(search.statusCode).toBe(200);
    expect(search.body).toContain('Marsh Green Allotment Society (sample data)');
    expect(search.body).toContain(`/connections/new?serviceId=${centreId}`);
    const chosen = await coordinator.get(connections(personId, `/new?serviceId=${centreId}`));
    expect(chosen.statusCode).toBe(200);
    expect(chosen.body).toContain(`name="serviceId" value="${centreId}"`);
    // "Suggested" is chosen unless the coordinator says otherwise.
    expect(chosen.body).toMatch(/value="suggested" checked/);

    const saved = await coordinator.post(connections(personId), { serviceId: centreId, ...boxes('connectedOn', '2026-10-05'), outcome: 'suggested', note: 'Sheila will meet him at the gate' });
    expect(saved.statusCode).toBe(303);
    const [row] = await db().select().from(supportConnections).where(eq(supportConnections.personId, personId));
    expect([row!.serviceId, row!.serviceName, row!.outcome, row!.outcomeOn]).toEqual([centreId, 'Marsh Green Allotment Society (sample data)', 'suggested', null]);
    expect(row!.noteEnc).not.toContain('Sheila');

    const page = await coordinator.get(connections(personId));
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(`href="/directory/services/${centreId}"`);
    expect(page.body).toContain('Community centres, halls and hubs');
    expect(page.body).toContain('Suggested, not yet tried');
    expect(page.body).toContain('Sheila will meet him at the gate');

    const outcome = await coordinator.post(connections(personId, `/${row!.id}/outcome`), { outcome: 'attended', ...boxes('outcomeOn', today()), note: 'Went twice' });
    expect(outcome.statusCode).toBe(303);
    const [updated] = await db().select().from(supportConnections).where(eq(supportConnections.id, row!.id));
    expect([updated!.outcome, updated!.outcomeOn]).toEqual(['attended', today()]);
    expect((await coordinator.get(connections(personId))).body).toContain('Went twice');

    const audits = await queryRows<{ action: string; details: Record<string, unknown> }>(db(), sql`select action, details from audit_events where object_id = ${personId} and action like 'support.connection%' order by id`);
    expect(audits).toEqual([
      { action: 'support.connection.create', details: { connectionId: row!.id, serviceId: centreId, outcome: 'suggested' } },
      { action: 'support.connection.outcome', details: { connectionId: row!.id, outcome: 'attended' } },
    ]);
    expect(await connectionCategories(db(), [personId, otherPersonId])).toEqual([{ termId: 'community-space', name: 'Community centres, halls and hubs', connections: 1, people: 1 }]);
  });

  it('refuses an unknown service, a bad date and an outcome before the connection, changing nothing', async () => {
    const coordinator = await supportHarness(h).signedIn('coordinator');
    const before = await connectionCount();
    const unknown = await coordinator.post(connections(personId), { serviceId: '00000000-0000-4000-8000-000000000000', ...boxes('connectedOn', '2026-10-05') });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.body).toContain('Choose a group, place or service from the directory');
    expect((await coordinator.post(connections(personId), { serviceId: 'not-an-id', ...boxes('connectedOn', '2026-10-05') })).statusCode).toBe(400);
    const noDate = await coordinator.post(connections(personId), { serviceId: centreId });
    expect(noDate.statusCode).toBe(400);
    expect(noDate.body).toContain('Enter the date they were connected');
    const badOutcome = await coordinator.post(connections(personId), { serviceId: centreId, ...boxes('connectedOn', '2026-10-05'), outcome: 'loved-it' });
    expect(badOutcome.statusCode).toBe(400);
    expect(await connectionCount()).toBe(before);

    const [row] = await db().select().from(supportConnections).where(eq(supportConnections.personId, personId));
    const early = await coordinator.post(connections(personId, `/${row!.id}/outcome`), { outcome: 'continuing', ...boxes('outcomeOn', '2026-10-01') });
    expect(early.statusCode).toBe(400);
    expect(early.body).toContain('The date of the outcome must be on or after the date they were connected');
    // Another person's connection is not reachable through this one's URL.
    expect((await coordinator.post(connections(otherPersonId, `/${row!.id}/outcome`), { outcome: 'continuing', ...boxes('outcomeOn', today()) })).statusCode).toBe(404);
    expect((await db().select().from(supportConnections).where(eq(supportConnections.id, row!.id)))[0]!.outcome).toBe('attended');
  });

  it('offers what is near where the person lives before anything is typed', async () => {
    const harness = supportHarness(h);
    await harness.places();
    // samplePerson's overrides type intersects NewPerson's postcode object with a string; it takes the string.
    const withPostcode = { name: 'Placed Sample Person', postcode: 'WN5 9AB' } as unknown as Parameters<typeof samplePerson>[4];
    const placed = await samplePerson(db(), h.app.keyring, f.northTeamId, f.userIds.coordinator, withPostcode);
    const nearby = 'Pemberton Walking Group (sample data)';
    await createService(
      db(),
      sampleRecord({ kind: 'activity', name: nearby, locations: [{ name: 'Pemberton Park', address1: '1 Sample Street', city: 'Wigan', postcode: 'WN5 9AB', longitude: null, latitude: null, accessibility: null }] }),
      { organisationId: f.organisationId, userId: null },
      cliActor,
    );
    const coordinator = await harness.signedIn('coordinator');
    const placedPage = await coordinator.get(connections(placed, '/new'));
    expect(placedPage.statusCode).toBe(200);
    expect(placedPage.body).toContain('Near where they live');
    expect(placedPage.body).toContain(nearby);
    // Someone with no postcode is simply asked to search.
    const unplaced = await coordinator.get(connections(otherPersonId, '/new'));
    expect(unplaced.body).not.toContain(nearby);
    expect(unplaced.body).toContain('Search for what they would like to do');
  });

  it('lets a colleague it is shared with read but not change; a coordinator of another team finds nothing', async () => {
    await db().insert(supportShares).values({ personId, sharedWithUserId: f.userIds.elsewhere, sharedWithOrganisationId: f.otherOrganisationId, sharedBy: f.userIds.coordinator, purpose: 'Joint support', consentOn: '2026-09-02', consentHow: 'In person', startsOn: '2026-01-01', endsOn: '2099-12-31' });
    const [row] = await db().select().from(supportConnections).where(eq(supportConnections.personId, personId));
    const before = await connectionCount();
    const shared = await supportHarness(h).signedIn('elsewhere');
    const page = await shared.get(connections(personId));
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Marsh Green Allotment Society');
    expect(page.body).not.toContain('Update what came of it');
    expect((await shared.get(connections(personId, '/new?q=allotment'))).statusCode).toBe(403);
    expect((await shared.post(connections(personId), { serviceId: centreId, ...boxes('connectedOn', '2026-10-05') })).statusCode).toBe(403);
    expect((await shared.post(connections(personId, `/${row!.id}/outcome`), { outcome: 'didnt-suit', ...boxes('outcomeOn', today()) })).statusCode).toBe(403);
    const south = await supportHarness(h).signedIn('south');
    expect((await south.get(connections(personId))).statusCode).toBe(404);
    expect((await south.post(connections(personId), { serviceId: centreId, ...boxes('connectedOn', '2026-10-05') })).statusCode).toBe(404);
    expect(await connectionCount()).toBe(before);
    expect((await db().select().from(supportConnections).where(eq(supportConnections.id, row!.id)))[0]!.outcome).toBe('attended');
  });
});
