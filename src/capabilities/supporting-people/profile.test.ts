import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { Client, emailOf, useSeededApp } from '../../../tests/support/app.ts';
import { loadBundledSteps } from '../../../tests/support/data.ts';
import { engines } from '../../../tests/support/engines.ts';
import type { Viewer } from '../../platform/auth/permissions.ts';
import type { SessionUser } from '../../platform/auth/sessions.ts';
import { queryRows } from '../../platform/db/database.ts';
import { wigan } from '../community-voice/testing.ts';
import { neighbourhoods } from '../neighbourhoods/schema.ts';
import { insightFor } from './insight.ts';
import { peopleSupported } from './profile.ts';
import { supportConnections, type IntroductionRoute } from './schema.ts';
import { samplePerson, secretName, seedSupportTeams, supportHarness, type SupportPeopleFixture } from './testing.ts';

/*
 * Six people (sample data) living at WN5 9AB in Wigan: five introduced by GP practices, one by themselves; five
 * connected to a service no longer in the directory. A PCN footprint (shared with partners) holds their LSOA.
 */
// samplePerson's overrides type intersects NewPerson's placed postcode with the typed one, so a typed postcode needs a cast.
const atPostcode = (postcode: string, route: IntroductionRoute) => ({ postcode, introduction: { route } }) as unknown as Parameters<typeof samplePerson>[4];

describe.each(engines)('“People supported” on area and neighbourhood profiles on %s', (engine) => {
  const h = useSeededApp(engine);
  let f: SupportPeopleFixture;
  let lsoa = '';
  let pcnId = '';
  let pcnVersionId = '';
  const member = (): Viewer => ({ user: { id: f.userIds.coordinator, email: 'coordinator@example.org' } as SessionUser, organisationIds: [f.organisationId] });

  beforeAll(async () => {
    const db = h.database.db;
    await loadBundledSteps(db, ['lookup.lsoa11-ward19-lad19', 'population.iod2019', 'edition.iod2019']);
    f = await seedSupportTeams(h.database, h.seed);
    await supportHarness(h).places();
    const people: string[] = [];
    for (let i = 0; i < 6; i++) {
      const route: IntroductionRoute = i < 5 ? 'gp-pcn' : 'self';
      people.push(await samplePerson(db, h.app.keyring, f.northTeamId, f.userIds.coordinator, atPostcode('WN5 9AB', route)));
    }
    await db.insert(supportConnections).values(people.slice(0, 5).map((personId) => ({ personId, serviceId: null, serviceName: 'Lunch club (sample data)', connectedOn: '2026-09-10' })));
    [{ lsoa }] = (await queryRows<{ lsoa: string }>(db, sql`select lsoa21 as lsoa from support_people where id = ${people[0]!}`)) as [{ lsoa: string }];
    const [n] = await db.insert(neighbourhoods).values({ ownerOrganisationId: f.organisationId, name: 'Pemberton PCN (sample data)', purpose: 'pcn-footprint', sharing: 'partners' }).returning({ id: neighbourhoods.id });
    pcnId = n!.id;
    const [v] = await queryRows<{ id: string }>(
      db,
      sql`insert into neighbourhood_versions (neighbourhood_id, version, method, boundary, area_sq_km) values (${pcnId}, 1, 'lsoas', ST_Multi(ST_MakeEnvelope(-2.70, 53.52, -2.66, 53.55, 4326)), 1) returning id`,
    );
    pcnVersionId = v!.id;
    await db.execute(sql`insert into neighbourhood_lsoas (version_id, lsoa_vintage, lsoa_code, share, area_share, method) values (${pcnVersionId}, 'lsoa21', ${lsoa}, 1, 1, 'whole-lsoa')`);
  }, 300_000);

  it('gives nothing to anonymous visitors or to someone in no organisation', async () => {
    const area = { kind: 'lad25' as const, code: wigan, name: 'Wigan' };
    expect(await peopleSupported(h.database.db, { user: null, organisationIds: [] }, area, 5)).toBeNull();
    expect(await peopleSupported(h.database.db, { user: { id: f.userIds.partner } as SessionUser, organisationIds: [] }, area, 5)).toBeNull();
  });

  it('counts introductions by route and connections by category in the area, suppressed', async () => {
    const area = { kind: 'lad25' as const, code: wigan, name: 'Wigan' };
    const s = (await peopleSupported(h.database.db, member(), area, 5))!;
    expect(s.routes.rows.filter((r) => r.count !== 'fewer than 5').map((r) => [r.label, r.count])).toEqual([['GP practice or primary care network', 'hidden']]);
    expect(s.routes.total).toBe('6');
    expect(s.categories.rows.map((r) => [r.label, r.count])).toEqual([['No category, or no longer in the directory', '5']]);
    const bolton = (await peopleSupported(h.database.db, member(), { kind: 'lad25', code: 'E08000001', name: 'Bolton' }, 5))!;
    expect(bolton.routes.total).toBe('fewer than 5');
    const pcn = (await peopleSupported(h.database.db, member(), { kind: 'neighbourhood', id: pcnId, name: 'Pemberton PCN (sample data)', versionId: pcnVersionId }, 5))!;
    expect(pcn.routes.total).toBe('6');
  });

  it('puts the people in their primary care network on the partnership’s page', async () => {
    const insight = await insightFor(h.database.db, member(), { partnershipId: f.partnershipId, from: null, to: null, area: null }, 5);
    expect(insight.neighbourhoods.map((n) => [n.caption, n.table.rows.map((r) => [r.label, r.count]), n.table.total])).toEqual([
      [
        'Introductions by primary care network',
        [
          ['Pemberton PCN (sample data)', '6'],
          ['Elsewhere or not known', 'fewer than 5'],
        ],
        '6',
      ],
    ]);
    const area = await insightFor(h.database.db, member(), { partnershipId: f.partnershipId, from: null, to: null, area: { kind: 'neighbourhood', id: pcnId, name: 'Pemberton PCN (sample data)', versionId: pcnVersionId } }, 5);
    // The GP cell is hidden (secondary), so no share of it is given either.
    expect(area.headline).toBe('6 people living in Pemberton PCN (sample data) were introduced.');
  });

  it('shows the section on the district profile to signed-in members only', async () => {
    const anonymous = await new Client(h.app).get(`/areas/${wigan}`);
    expect(anonymous.statusCode).toBe(200);
    expect(anonymous.body).not.toContain('People supported');
    const outsider = new Client(h.app);
    await outsider.signIn(emailOf('outsider'));
    expect((await outsider.get(`/areas/${wigan}`)).body).not.toContain('People supported');
    const coordinator = await supportHarness(h).signedIn('coordinator');
    const page = await coordinator.get(`/areas/${wigan}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('People supported');
    expect(page.body).toContain('Introductions by route');
    expect(page.body).toContain('hidden');
    expect(page.body).not.toContain(secretName);
    // The anonymous page, kept in the page cache, still holds nothing of it.
    expect((await new Client(h.app).get(`/areas/${wigan}`)).body).not.toContain('People supported');
  });

  it('shows the section on the neighbourhood page to signed-in members only', async () => {
    const coordinator = await supportHarness(h).signedIn('coordinator');
    const page = await coordinator.get(`/neighbourhoods/${pcnId}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('People supported');
    expect(page.body).not.toContain(secretName);
  });
});
