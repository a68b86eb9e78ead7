import { eq, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { useSeededApp } from '../../../tests/support/app.ts';
import { engines } from '../../../tests/support/engines.ts';
import { queryRows } from '../../platform/db/database.ts';
import { readPerson } from './people.ts';
import { supportIntroductions, supportPeople } from './schema.ts';
import { samplePerson, secretName, seedSupportTeams, supportHarness, type SupportPeopleFixture } from './testing.ts';
import { today } from './web.ts';

/** Recording someone new, their record's summary, and the changes made from it. */
describe.each(engines)('recording and changing a supported person on %s', (engine) => {
  const h = useSeededApp(engine);
  let f: SupportPeopleFixture;
  const s = () => supportHarness(h);
  const db = () => h.database.db;
  const peopleCount = async () => (await db().select({ n: sql<number>`count(*)::int` }).from(supportPeople))[0]!.n;
  const introductionCount = async () => (await db().select({ n: sql<number>`count(*)::int` }).from(supportIntroductions))[0]!.n;
  const audits = (action: string, objectId: string) => queryRows<{ details: Record<string, unknown>; actor_user_id: string }>(db(), sql`select details, actor_user_id from audit_events where action = ${action} and object_id = ${objectId} order by occurred_at`);
  const newName = 'Ottoline Brackenbury (sample data)';
  const valid = {
    name: newName,
    email: 'ottoline.b@example.net',
    phone: '07700 900123',
    address: '3 Sample Row, Wigan',
    'dateOfBirth-day': '2',
    'dateOfBirth-month': '5',
    'dateOfBirth-year': '1950',
    consentStatus: 'given',
    'consentOn-day': '1',
    'consentOn-month': '9',
    'consentOn-year': '2026',
    'introducedOn-day': '1',
    'introducedOn-month': '9',
    'introducedOn-year': '2026',
    route: 'housing',
    introducer: 'Wigan Council housing officer',
    reason: 'Recently bereaved, wants company',
  };
  const personIdFrom = (location: unknown) => /\/support\/people\/([0-9a-f-]{36})$/.exec(String(location))?.[1];

  beforeAll(async () => {
    f = await seedSupportTeams(h.database, h.seed);
  });

  it('records someone new with nothing personal in plain text, and reads them back', async () => {
    const client = await s().signedIn('coordinator');
    expect((await client.get('/support/people/new')).statusCode).toBe(200);
    const response = await client.post('/support/people/new', { ...valid, gender: 'woman', disability: 'limited-a-little', demographicsConsent: 'yes' });
    expect(response.statusCode).toBe(303);
    const id = personIdFrom(response.headers.location)!;
    expect(id).toBeTruthy();
    const [raw] = await queryRows<Record<string, unknown>>(db(), sql`select * from support_people where id = ${id}`);
    const rawText = JSON.stringify(raw);
    for (const secret of ['Ottoline', 'ottoline.b@example.net', '900123', 'Sample Row', '1950-05-02', 'woman']) expect(rawText).not.toContain(secret);
    expect(raw).toMatchObject({ team_id: f.northTeamId, coordinator_user_id: f.userIds.coordinator, age_band: '75-84', consent_status: 'given', status: 'open' });
    const [intro] = await queryRows<Record<string, unknown>>(db(), sql`select * from support_introductions where person_id = ${id}`);
    expect(JSON.stringify(intro)).not.toContain('bereaved');
    expect(intro).toMatchObject({ route: 'housing' });
    const person = await readPerson(db(), h.app.keyring, id);
    expect(person).toMatchObject({ name: newName, contact: { email: 'ottoline.b@example.net', phone: '07700 900123', address: '3 Sample Row, Wigan' }, dateOfBirth: '1950-05-02', demographics: { gender: 'woman', disability: 'limited-a-little' } });
    const created = await audits('support.person.create', id);
    expect(created).toHaveLength(1);
    expect(JSON.stringify(created[0]!.details)).not.toContain('Ottoline');

    const page = await client.get(`/support/people/${id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Ottoline Brackenbury');
    expect(page.body).toContain('Recently bereaved, wants company');
    expect(page.body).toContain('Housing');
    expect(page.body).toContain('North Local Area Coordination');
    expect(page.body).toContain('Yes, limited a little');
  });

  it('places a postcode, keeping the postcode encrypted and its areas plain', async () => {
    await s().places();
    const client = await s().signedIn('coordinator');
    const response = await client.post('/support/people/new', { ...valid, postcode: 'wn1 1aa' });
    expect(response.statusCode).toBe(303);
    const id = personIdFrom(response.headers.location)!;
    const [raw] = await db().select().from(supportPeople).where(eq(supportPeople.id, id));
    expect(raw!.ward25).toMatch(/^E05/);
    expect(raw!.lsoa21).toMatch(/^E01/);
    expect(raw!.postcodeEnc).not.toContain('WN1');
    expect((await readPerson(db(), h.app.keyring, id))?.postcode).toBe('WN1 1AA');
    const page = await client.get(`/support/people/${id}`);
    expect(page.body).toContain('WN1 1AA');
    expect(page.body).toMatch(/ward/);
  });

  it('refuses bad answers with a specific message and writes nothing', async () => {
    const client = await s().signedIn('coordinator');
    await client.get('/support/people/new');
    const future = new Date(Date.now() + 40 * 86400_000).toISOString().slice(0, 10).split('-');
    const cases: [Record<string, string>, string][] = [
      [{ ...valid, name: '  ' }, 'Enter their name'],
      [{ ...valid, 'consentOn-day': future[2]!, 'consentOn-month': future[1]!, 'consentOn-year': future[0]! }, 'must be today or in the past'],
      [{ ...valid, consentStatus: 'withdrawn' }, 'A record can only be made with their consent'],
      [{ ...valid, ethnicGroup: 'white' }, 'Tick the box to say they agreed to share'],
      [{ ...valid, postcode: 'ZZ9 9ZZ' }, 'ZZ9'],
      [{ ...valid, coordinatorUserId: f.userIds.south }, 'choose yourself'],
      [{ ...valid, 'consentOn-day': '31', 'consentOn-month': '2' }, 'must be a real date'],
      [{ ...valid, route: 'carrier-pigeon' }, 'Choose how they were introduced'],
    ];
    const [people, introductions] = [await peopleCount(), await introductionCount()];
    for (const [form, message] of cases) {
      const response = await client.post('/support/people/new', form);
      expect([response.statusCode, form]).toEqual([400, form]);
      expect(response.body).toContain('There is a problem');
      expect(response.body).toContain(message);
    }
    expect(await peopleCount()).toBe(people);
    expect(await introductionCount()).toBe(introductions);
  });

  it('lets a lead put someone in a colleague’s caseload in their team, but not in another team’s', async () => {
    const lead = await s().signedIn('lead');
    const refused = await lead.post('/support/people/new', { ...valid, coordinatorUserId: f.userIds.south });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('Choose a coordinator who is in the team');
    const response = await lead.post('/support/people/new', { ...valid, coordinatorUserId: f.userIds.coordinator });
    expect(response.statusCode).toBe(303);
    const [row] = await db().select().from(supportPeople).where(eq(supportPeople.id, personIdFrom(response.headers.location)!));
    expect(row!.coordinatorUserId).toBe(f.userIds.coordinator);
  });

  it('writes a read event for every GET of the record, and hides it from everyone else', async () => {
    const id = await samplePerson(db(), h.app.keyring, f.northTeamId, f.userIds.coordinator);
    const client = await s().signedIn('coordinator');
    await client.get(`/support/people/${id}`);
    await client.get(`/support/people/${id}`);
    await client.get(`/support/people/${id}/edit`);
    const reads = await audits('support.person.read', id);
    expect(reads).toHaveLength(3);
    expect(reads.every((r) => r.actor_user_id === f.userIds.coordinator)).toBe(true);
    expect(JSON.stringify(reads)).not.toContain(secretName);
    for (const who of ['admin', 'site-admin', 'south', 'elsewhere', 'partner'] as const) {
      const other = await s().signedIn(who);
      expect([who, (await other.get(`/support/people/${id}`)).statusCode]).toEqual([who, 404]);
    }
  });

  it('changes details, re-placing nothing unless asked, and records only which fields changed', async () => {
    const id = await samplePerson(db(), h.app.keyring, f.northTeamId, f.userIds.coordinator);
    const client = await s().signedIn('coordinator');
    const form = await client.get(`/support/people/${id}/edit`);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('value="07700 900461"');
    const base = { ...valid, name: secretName, email: 'zebedee.quillfeather@example.net', phone: '07700 900461', address: '12 Sample Street, Wigan', 'dateOfBirth-day': '14', 'dateOfBirth-month': '3', 'dateOfBirth-year': '1958' };
    const bad = await client.post(`/support/people/${id}/edit`, { ...base, name: '' });
    expect(bad.statusCode).toBe(400);
    expect((await readPerson(db(), h.app.keyring, id))?.name).toBe(secretName);
    const response = await client.post(`/support/people/${id}/edit`, { ...base, phone: '07700 900999' });
    expect(response.statusCode).toBe(303);
    expect((await readPerson(db(), h.app.keyring, id))?.contact.phone).toBe('07700 900999');
    const updates = await audits('support.person.update', id);
    expect(updates.map((u) => u.details)).toEqual([{ fields: ['contact'] }]);

    const withdrawn = await client.post(`/support/people/${id}/edit`, { ...base, phone: '07700 900999', consentStatus: 'withdrawn' });
    expect(withdrawn.statusCode).toBe(303);
    const page = await client.get(`/support/people/${id}`);
    expect(page.body).toContain('withdrawn consent');
    expect(page.body).toContain(`/support/people/${id}/privacy`);
  });

  it('adds another introduction', async () => {
    const id = await samplePerson(db(), h.app.keyring, f.northTeamId, f.userIds.coordinator);
    const client = await s().signedIn('coordinator');
    expect((await client.get(`/support/people/${id}/introductions/new`)).statusCode).toBe(200);
    expect((await client.post(`/support/people/${id}/introductions/new`, { route: 'vcse' })).statusCode).toBe(400);
    const response = await client.post(`/support/people/${id}/introductions/new`, { 'introducedOn-day': '3', 'introducedOn-month': '10', 'introducedOn-year': '2026', route: 'vcse', introducer: 'Wigan Age UK', reason: 'Asked for help with a garden' });
    expect(response.statusCode).toBe(303);
    const rows = await db().select().from(supportIntroductions).where(eq(supportIntroductions.personId, id));
    expect(rows.map((r) => r.route).sort()).toEqual(['gp-pcn', 'vcse']);
    expect(await audits('support.introduction.create', id)).toHaveLength(1);
    expect((await client.get(`/support/people/${id}`)).body).toContain('Asked for help with a garden');
  });

  it('closes and reopens a record', async () => {
    const id = await samplePerson(db(), h.app.keyring, f.northTeamId, f.userIds.coordinator);
    const client = await s().signedIn('coordinator');
    expect((await client.get(`/support/people/${id}/close`)).statusCode).toBe(200);
    const noReason = await client.post(`/support/people/${id}/close`, { 'closedOn-day': '1', 'closedOn-month': '10', 'closedOn-year': '2026' });
    expect(noReason.statusCode).toBe(400);
    expect(noReason.body).toContain('Choose why support ended');
    const [y, m, d] = today().split('-');
    expect((await client.post(`/support/people/${id}/close`, { 'closedOn-day': d!, 'closedOn-month': m!, 'closedOn-year': y!, reason: 'connected' })).statusCode).toBe(303);
    let [row] = await db().select().from(supportPeople).where(eq(supportPeople.id, id));
    expect(row).toMatchObject({ status: 'closed', closureReason: 'connected', closedOn: today() });
    const page = await client.get(`/support/people/${id}`);
    expect(page.body).toContain('Connected and no longer needs support');
    expect(page.body).toContain('Reopen');
    expect((await client.post(`/support/people/${id}/reopen`)).statusCode).toBe(303);
    [row] = await db().select().from(supportPeople).where(eq(supportPeople.id, id));
    expect(row).toMatchObject({ status: 'open', closureReason: null, closedOn: null });
    expect(await audits('support.person.close', id)).toHaveLength(1);
    expect(await audits('support.person.reopen', id)).toHaveLength(1);
  });

  it('lets only a lead of the team change the coordinator, to someone in the team', async () => {
    const id = await samplePerson(db(), h.app.keyring, f.northTeamId, f.userIds.coordinator);
    const coordinator = await s().signedIn('coordinator');
    expect((await coordinator.get(`/support/people/${id}/coordinator`)).statusCode).toBe(403);
    expect((await coordinator.post(`/support/people/${id}/coordinator`, { coordinatorUserId: f.userIds.coordinator })).statusCode).toBe(403);
    expect((await coordinator.get(`/support/people/${id}`)).body).not.toContain('Change coordinator');
    const lead = await s().signedIn('lead');
    expect((await lead.get(`/support/people/${id}`)).body).toContain('Change coordinator');
    expect((await lead.get(`/support/people/${id}/coordinator`)).statusCode).toBe(200);
    const outsider = await lead.post(`/support/people/${id}/coordinator`, { coordinatorUserId: f.userIds.south });
    expect(outsider.statusCode).toBe(400);
    expect(outsider.body).toContain('Choose a coordinator who is in the team');
    expect((await lead.post(`/support/people/${id}/coordinator`, { coordinatorUserId: f.userIds.lead })).statusCode).toBe(303);
    const [row] = await db().select().from(supportPeople).where(eq(supportPeople.id, id));
    expect(row!.coordinatorUserId).toBe(f.userIds.lead);
    expect((await audits('support.person.reassign', id)).map((a) => a.details)).toEqual([{ teamId: f.northTeamId, from: f.userIds.coordinator, to: f.userIds.lead }]);
    // No longer theirs: the former coordinator is told it is not there.
    expect((await coordinator.get(`/support/people/${id}`)).statusCode).toBe(404);
  });
});
