import { eq, inArray } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { Client, emailOf, useSeededApp } from '../../../tests/support/app.ts';
import { engines } from '../../../tests/support/engines.ts';
import { directoryOrganisations, directoryServices, directoryServiceTaxonomies, directoryTaxonomyTerms } from '../community-assets/schema.ts';
import { insightFor, type Breakdown, type InsightScope } from './insight.ts';
import { supportConnections, supportPeople, supportWellbeing, type IntroductionRoute } from './schema.ts';
import { samplePerson, secretEmail, secretName, seedSupportTeams, supportHarness, type SupportPeopleFixture } from './testing.ts';

/*
 * Twelve people (sample data) supported by test-org's teams, which are in the partnership, plus one in another
 * organisation's team that must not count:
 *   introductions: 6 by GP practice (people 0–5), 5 by a voluntary organisation (6–10), 1 themselves (11, whose
 *     record has been erased under retention and still counts); 0–6 in September 2026, 7–11 in October.
 *   connections: Walking group (Physical activity) for 0–5, Knit and natter (Arts and crafts) for 6–7, and a
 *     service no longer in the directory for 8.
 *   wellbeing: 0–5 have a start and a later measure (anxiety 8 → 4, life satisfaction 4 → 6); only 0–2 SWEMWBS.
 */
describe.each(engines)('the aggregate picture of people supported on %s', (engine) => {
  const h = useSeededApp(engine);
  let f: SupportPeopleFixture;
  const people: string[] = [];
  const rows = (b: Breakdown) => [...b.rows.map((r) => [r.label, r.count]), ['Total', b.total]];
  const scope = (more: Partial<InsightScope> = {}): InsightScope => ({ partnershipId: f.partnershipId, from: null, to: null, area: null, ...more });
  const everyone = { user: null, organisationIds: [] };

  beforeAll(async () => {
    const db = h.database.db;
    f = await seedSupportTeams(h.database, h.seed);
    for (let i = 0; i < 12; i++) {
      const route: IntroductionRoute = i < 6 ? 'gp-pcn' : i < 11 ? 'vcse' : 'self';
      const team = i % 2 ? f.southTeamId : f.northTeamId;
      const coordinator = i % 2 ? f.userIds.south : f.userIds.coordinator;
      people.push(await samplePerson(db, h.app.keyring, team, coordinator, { introduction: { route, introducedOn: i < 7 ? `2026-09-${String(i + 1).padStart(2, '0')}` : `2026-10-0${i - 6}` } }));
    }
    await samplePerson(db, h.app.keyring, f.elsewhereTeamId, f.userIds.elsewhere, { introduction: { route: 'self' } });
    await db
      .update(supportPeople)
      .set({ anonymisedAt: new Date(), wrappedKey: null, nameEnc: null, contactEnc: null, postcodeEnc: null, dateOfBirthEnc: null, demographicsEnc: null })
      .where(eq(supportPeople.id, people[11]!));

    const [dirOrg] = await db.insert(directoryOrganisations).values({ ownerOrganisationId: f.organisationId, name: 'Sample groups (sample data)', sample: true }).returning({ id: directoryOrganisations.id });
    const service = async (name: string, term: string) => {
      const [s] = await db
        .insert(directoryServices)
        .values({ directoryOrganisationId: dirOrg!.id, ownerOrganisationId: f.organisationId, kind: 'activity', name, nameKey: name.toLowerCase(), lastChecked: '2026-09-01', sample: true })
        .returning({ id: directoryServices.id });
      await db.insert(directoryTaxonomyTerms).values({ id: `test-${term.toLowerCase().replace(/\W+/g, '-')}`, name: term, vocabulary: 'test' });
      await db.insert(directoryServiceTaxonomies).values({ serviceId: s!.id, termId: `test-${term.toLowerCase().replace(/\W+/g, '-')}` });
      return s!.id;
    };
    const walking = await service('Walking group (sample data)', 'Physical activity');
    const knit = await service('Knit and natter (sample data)', 'Arts and crafts');
    await db.insert(supportConnections).values([
      ...people.slice(0, 6).map((personId) => ({ personId, serviceId: walking, serviceName: 'Walking group (sample data)', connectedOn: '2026-09-10', outcome: 'attended' as const })),
      ...people.slice(6, 8).map((personId) => ({ personId, serviceId: knit, serviceName: 'Knit and natter (sample data)', connectedOn: '2026-09-10', outcome: 'continuing' as const })),
      { personId: people[8]!, serviceId: null, serviceName: 'Benefits advice (sample data)', connectedOn: '2026-10-10', outcome: 'suggested' as const },
    ]);
    await db.insert(supportWellbeing).values(
      people.slice(0, 6).flatMap((personId, i) => [
        { personId, measuredOn: '2026-09-15', occasion: 'start' as const, lifeSatisfaction: 4, anxiety: 8, ...(i < 3 ? { swemwbsItems: '3,2,2,3,3,2,3', swemwbsRaw: 18, swemwbsMetric: 17.43 } : {}) },
        { personId, measuredOn: '2026-11-15', occasion: 'end' as const, lifeSatisfaction: 6, anxiety: 4, ...(i < 3 ? { swemwbsItems: '4,3,3,3,3,3,3', swemwbsRaw: 22, swemwbsMetric: 19.98 } : {}) },
      ]),
    );
  });

  it('suppresses small cells, and the next smallest so that they cannot be worked out from the total', async () => {
    const insight = await insightFor(h.database.db, everyone, scope(), 5);
    expect(insight.headline).toBe('12 people were introduced; the most common route was GP practice or primary care network (50%).');
    expect(rows(insight.routes)).toEqual([
      ['Themselves', 'fewer than 5'],
      ['Family, friend or neighbour', 'fewer than 5'],
      ['Councillor', 'fewer than 5'],
      ['GP practice or primary care network', '6'],
      ['Social care', 'fewer than 5'],
      ['Housing', 'fewer than 5'],
      ['Voluntary or community organisation', 'hidden'],
      ['Other', 'fewer than 5'],
      ['Total', '12'],
    ]);
    expect(rows(insight.months)).toEqual([
      ['2026-09', '7'],
      ['2026-10', '5'],
      ['Total', '12'],
    ]);
    expect(rows(insight.wards)).toEqual([
      ['Not known (no postcode)', '12'],
      ['Total', '12'],
    ]);
    expect(rows(insight.categories)).toEqual([
      ['Arts and crafts', 'fewer than 5'],
      ['Physical activity', 'hidden'],
      ['No category, or no longer in the directory', 'fewer than 5'],
      ['Total', '9'],
    ]);
    expect(rows(insight.outcomes)).toEqual([
      ['Suggested, not yet tried', 'fewer than 5'],
      ['Attended', 'hidden'],
      ['Continuing', 'fewer than 5'],
      ['Didn’t suit them', 'fewer than 5'],
      ['Total', '9'],
    ]);
    expect(insight.services).toEqual([{ name: 'Walking group (sample data)', people: '6' }]);
    expect(insight.wellbeing.map((w) => [w.name, w.people, w.meanStart, w.meanLatest, w.meanChange, w.improved])).toEqual([
      ['Life satisfaction', '6', '4.0', '6.0', '+2.0', '100%'],
      ['Worthwhile', 'fewer than 5', '', '', '', ''],
      ['Happiness', 'fewer than 5', '', '', '', ''],
      ['Anxiety (lower is better)', '6', '8.0', '4.0', '-4.0', '100%'],
      ['SWEMWBS wellbeing (metric score)', 'fewer than 5', '', '', '', ''],
    ]);
  });

  it('narrows to a period of introduction', async () => {
    const october = await insightFor(h.database.db, everyone, scope({ from: '2026-10-01', to: '2026-10-31' }), 5);
    expect(october.headline).toBe('5 people were introduced between 1 October 2026 and 31 October 2026.');
    expect(rows(october.routes).filter(([, n]) => n !== 'fewer than 5')).toEqual([['Total', '5']]);
    // Their wellbeing measures are of people 7–11, who have none.
    expect(october.wellbeing.every((w) => w.people === 'fewer than 5')).toBe(true);
  });

  it('shows the page and the same cells as CSV to partnership members, with no one named', async () => {
    const partner = await supportHarness(h).signedIn('partner');
    const page = await partner.get(`/partnerships/${f.partnershipId}/support`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('12 people were introduced; the most common route was GP practice or primary care network (50%).');
    expect(page.body).toContain('hidden');
    expect(page.body).toContain('Walking group (sample data)');
    expect(page.body).not.toContain('Knit and natter');
    const csv = await partner.get(`/partnerships/${f.partnershipId}/support.csv`);
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.body).toContain('Introductions by route,GP practice or primary care network,6,');
    expect(csv.body).toContain('Introductions by route,Voluntary or community organisation,hidden,');
    expect(csv.body).toContain('Introductions by route,Themselves,fewer than 5,');
    expect(csv.body).toContain('Introductions by route,Total,12,');
    expect(csv.body).toContain('Wellbeing change from start to latest,Anxiety (lower is better),,6,8.0,4.0,-4.0,100%');
    for (const body of [page.body, csv.body]) {
      expect(body).not.toContain(secretName);
      expect(body).not.toContain(secretEmail);
      for (const id of people) expect(body).not.toContain(id);
    }
    const filtered = await partner.get(`/partnerships/${f.partnershipId}/support?from=1%2F10%2F2026&to=2026-10-31`);
    expect(filtered.statusCode).toBe(200);
    expect(filtered.body).toContain('5 people were introduced between 1 October 2026 and 31 October 2026.');
    const bad = await partner.get(`/partnerships/${f.partnershipId}/support?from=31%2F02%2F2026`);
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('The start of the period must be a real date');
  });

  it('is for the partnership’s members only', async () => {
    const outsider = new Client(h.app);
    await outsider.signIn(emailOf('outsider'));
    expect((await outsider.get(`/partnerships/${f.partnershipId}/support`)).statusCode).toBe(403);
    expect((await outsider.get(`/partnerships/${f.partnershipId}/support.csv`)).statusCode).toBe(403);
    const elsewhere = await supportHarness(h).signedIn('elsewhere');
    expect((await elsewhere.get(`/partnerships/${f.partnershipId}/support`)).statusCode).toBe(403);
    expect((await new Client(h.app).get(`/partnerships/${f.partnershipId}/support`)).statusCode).toBe(302);
    const viewer = new Client(h.app);
    await viewer.signIn(emailOf('viewer'));
    expect((await viewer.get(`/partnerships/${f.partnershipId}/support`)).statusCode).toBe(200);
  });

  it('keeps the other organisation’s person out, and counts the erased record', async () => {
    const [erased] = await h.database.db.select({ anonymisedAt: supportPeople.anonymisedAt }).from(supportPeople).where(inArray(supportPeople.id, [people[11]!]));
    expect(erased?.anonymisedAt).not.toBeNull();
    const all = await insightFor(h.database.db, everyone, { partnershipId: null, from: null, to: null, area: null }, 5);
    expect(all.routes.total).toBe('13');
  });
});
