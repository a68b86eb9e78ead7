import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../platform/auth/passwords.ts';
import type { Viewer } from '../../platform/auth/permissions.ts';
import { memberships, organisations, users } from '../../platform/auth/schema.ts';
import { createTestDatabase, engines, type TestDatabase } from '../../../tests/support/engines.ts';
import { Client, emailOf, seedPeople, startTestApp, testPassword } from '../../../tests/support/app.ts';
import { compositeIndexes, type StoredIndicator } from '../composite-index/schema.ts';
import { ensureVintages } from '../geography/lookups.ts';
import { areaLookups, areas } from '../geography/schema.ts';
import { editions, indicators, indicatorValues } from '../indicators/schema.ts';
import { findEdition, type Edition } from '../indicators/service.ts';
import { apportion, neighbourhoodIndexPositions, neighbourhoodLocalData, type NeighbourhoodIndexPosition, type NeighbourhoodLocalValue } from './profile-extras.ts';
import { neighbourhoodLsoas, neighbourhoods, neighbourhoodVersions } from './schema.ts';

/*
 * A small invented place (sample data), so every figure can be worked out by hand:
 *
 *   district E08000001: LSOAs L01–L10 (E01000001–E01000010), two to a ward, W1–W5 (E05000001–E05000005)
 *   district E08000002: LSOA L11 in ward W6
 *
 * The neighbourhood counts L01 in full, half of L02, L09 in full and a quarter of L10 (2011 LSOAs); it
 * touches L03 but counts none of it, so L03's values must never appear. In 2021 LSOAs it counts all of
 * E01000001 and three quarters of E01000002.
 */
const lsoa = (n: number) => `E01${String(n).padStart(6, '0')}`;
const ward = (n: number) => `E05${String(n).padStart(6, '0')}`;
const L = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`L${String(i + 1).padStart(2, '0')}`, lsoa(i + 1)])) as Record<string, string>;
const W = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`W${i + 1}`, ward(i + 1)])) as Record<string, string>;
const wardOf = (code: string) => (code === L.L11 ? W.W6! : ward(Math.ceil(Number(code.slice(3)) / 2)));

/** The edition's denominators (weights for index scores and people counted). */
const editionPopulation: Record<string, number> = { L01: 1000, L02: 2000, L03: 1500, L09: 800, L10: 1200 };
/** The mid-2020 estimates local rates are weighted by, as in the area roll-ups. */
const mid2020: Record<string, number> = { L01: 1100, L02: 1900, L09: 900, L10: 1000 };
const shares = [
  { code: L.L01!, share: 1, areaShare: 1, method: 'whole-lsoa' as const },
  { code: L.L02!, share: 0.5, areaShare: 0.5, method: 'area-weighted' as const },
  { code: L.L03!, share: 0, areaShare: 0.1, method: 'population-weighted-centroid' as const },
  { code: L.L09!, share: 1, areaShare: 1, method: 'whole-lsoa' as const },
  { code: L.L10!, share: 0.25, areaShare: 0.25, method: 'area-weighted' as const },
];

describe.each(engines)('neighbourhood local data and composite indexes on %s', (engine) => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let edition: Edition;
  let versionId: string;
  let neighbourhoodId: string;
  let ownerId: string;
  let otherId: string;
  const ids: Record<string, string> = {};
  const indexIds: Record<string, string> = {};

  const user = (name: string) => ({ id: randomUUID(), email: `${name}@example.org`, name, isSiteAdmin: false });
  const viewers = {
    anonymous: (): Viewer => ({ user: null, organisationIds: [] }),
    member: (): Viewer => ({ user: user('member'), organisationIds: [ownerId] }),
    outsider: (): Viewer => ({ user: user('outsider'), organisationIds: [] }),
    partner: (): Viewer => ({ user: user('partner'), organisationIds: [otherId] }),
  };

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    const db = database.db;
    ownerId = (await seedPeople(database)).organisationId;
    const [other] = await db.insert(organisations).values({ slug: 'other-org', name: 'Other Organisation', kind: 'nhs' }).returning();
    otherId = other!.id;
    const [partner] = await db.insert(users).values({ email: 'partner@example.org', name: 'Partner', passwordHash: await hashPassword(testPassword) }).returning();
    await db.insert(memberships).values({ userId: partner!.id, organisationId: otherId, role: 'member' });

    await ensureVintages(db, ['lsoa11', 'lsoa21', 'ward19', 'lad19']);
    const lsoaCodes = Object.values(L);
    await db.insert(areas).values([
      ...lsoaCodes.map((code) => ({ vintage: 'lsoa11', code, name: `Sample LSOA ${code.slice(-2)}` })),
      ...lsoaCodes.map((code) => ({ vintage: 'lsoa21', code, name: `Sample LSOA ${code.slice(-2)} (2021)` })),
      ...Object.entries(W).map(([key, code]) => ({ vintage: 'ward19', code, name: `Sample ward ${key}` })),
      { vintage: 'lad19', code: 'E08000001', name: 'Sample district' },
      { vintage: 'lad19', code: 'E08000002', name: 'Other sample district' },
    ]);
    await db.insert(areaLookups).values(
      lsoaCodes.flatMap((code) => [
        { fromVintage: 'lsoa11', fromCode: code, toVintage: 'ward19', toCode: wardOf(code), method: 'best-fit' as const, source: 'sample data' },
        { fromVintage: 'lsoa11', fromCode: code, toVintage: 'lad19', toCode: code === L.L11 ? 'E08000002' : 'E08000001', method: 'best-fit' as const, source: 'sample data' },
      ]),
    );

    const indicator = (id: string, vintage: string, extra: Partial<typeof indicators.$inferInsert> = {}) => ({ id, label: id, unit: 'people', direction: 'higher-is-worse' as const, vintage, period: '2025', source: 'sample data', licence: 'OGL', ...extra });
    await db.insert(indicators).values([indicator('population.mid2015.lsoa11', 'lsoa11'), indicator('population.mid2020.lsoa11', 'lsoa11')]);
    const values = (id: string, byKey: Record<string, number>, keys: Record<string, string> = L) => Object.entries(byKey).map(([key, value]) => ({ indicatorId: id, code: keys[key]!, value }));
    await db.insert(indicatorValues).values([
      ...values('population.mid2015.lsoa11', { L04: 1000, L05: 1000, L06: 1000, L07: 1000, L08: 1000, L11: 1000, ...editionPopulation }),
      ...values('population.mid2020.lsoa11', { L03: 1000, L04: 1000, L05: 1000, L06: 1000, L07: 1000, L08: 1000, L11: 1000, ...mid2020 }),
    ]);
    await db.insert(editions).values({ id: 'iod2019', label: 'Sample edition', lsoaVintage: 'lsoa11', ladVintage: 'lad19', wardVintage: 'ward19', populationIndicatorId: 'population.mid2015.lsoa11', publishedOn: '2019-09-26', publisher: 'sample data', licence: 'OGL', lsoaCount: 11 });

    // Local indicators, each uploaded a minute after the last so their order is fixed (newest first).
    const local = async (key: string, label: string, vintage: string, aggregation: 'sum' | 'population-weighted-mean', sharing: 'public' | 'partners' | 'organisation', byKey: Record<string, number>, keys: Record<string, string> = L) => {
      ids[key] = `local.${randomUUID()}`;
      await db.insert(indicators).values(indicator(ids[key], vintage, { label, aggregation, sharing, ownerOrganisationId: ownerId, uploadedAt: new Date(Date.UTC(2025, 0, 1, 0, Object.keys(ids).length)) }));
      await db.insert(indicatorValues).values(values(ids[key], byKey, keys));
    };
    await local('parcels', 'Food bank parcels', 'lsoa11', 'sum', 'public', { L01: 10, L02: 20, L03: 100, L09: 5 });
    await local('asb', 'Anti-social behaviour rate', 'lsoa11', 'population-weighted-mean', 'public', { L01: 2, L02: 4, L03: 50, L09: 10, L10: 6 });
    await local('private', 'Private caseload', 'lsoa11', 'sum', 'organisation', { L01: 7 });
    await local('partners', 'Partners’ referrals', 'lsoa11', 'sum', 'partners', { L09: 3 });
    await local('wardSatisfaction', 'Ward satisfaction', 'ward19', 'population-weighted-mean', 'public', { W1: 2, W2: 5, W3: 9, W4: 7, W5: 1 }, W);
    await local('visits', 'Home visits', 'lsoa21', 'sum', 'public', { L01: 4, L02: 8, L09: 100 });
    await local('elsewhere', 'Somewhere else’s count', 'lsoa11', 'sum', 'public', { L05: 3 });
    await local('input', 'Index input', 'lsoa11', 'population-weighted-mean', 'public', { L01: 1, L03: 3, L04: 4, L05: 5, L06: 6, L07: 7, L08: 8, L09: 9, L10: 10 });

    const spec = (source: string, direction: 'higher-is-better' | 'higher-is-worse'): StoredIndicator => ({ source, key: source, label: source, component: 'Only', dimension: 'Only', weight: 1, direction, transform: 'none', cap: null, best: null, worst: null });
    const index = async (key: string, level: 'lsoa' | 'ward', ladCodes: string[], source: string, direction: 'higher-is-better' | 'higher-is-worse', sharing: 'public' | 'organisation', owner: string) => {
      const [row] = await db.insert(compositeIndexes).values({ name: key, description: null, editionId: 'iod2019', level, ladCodes, indicators: [spec(source, direction)], sharing, ownerOrganisationId: owner }).returning({ id: compositeIndexes.id });
      indexIds[key] = row!.id;
    };
    await index('LSOA wellbeing', 'lsoa', ['E08000001'], ids.input!, 'higher-is-worse', 'public', ownerId);
    await index('Ward wellbeing', 'ward', ['E08000001'], ids.wardSatisfaction!, 'higher-is-better', 'public', ownerId);
    await index('Other organisation’s index', 'lsoa', ['E08000001'], ids.input!, 'higher-is-worse', 'organisation', otherId);
    await index('Elsewhere index', 'lsoa', ['E08000002'], ids.input!, 'higher-is-worse', 'public', ownerId);

    const [made] = await db.insert(neighbourhoods).values({ ownerOrganisationId: ownerId, name: 'Sample patch', purpose: 'locality', sharing: 'public' }).returning({ id: neighbourhoods.id });
    neighbourhoodId = made!.id;
    const [version] = await db
      .insert(neighbourhoodVersions)
      .values({ neighbourhoodId, version: 1, method: 'drawn', boundary: 'SRID=4326;MULTIPOLYGON(((-1.6 53.8,-1.5 53.8,-1.5 53.9,-1.6 53.8)))', areaSqKm: 1 })
      .returning({ id: neighbourhoodVersions.id });
    versionId = version!.id;
    await db.insert(neighbourhoodLsoas).values([
      ...shares.map((s) => ({ versionId, lsoaVintage: 'lsoa11', lsoaCode: s.code, share: s.share, areaShare: s.areaShare, method: s.method })),
      { versionId, lsoaVintage: 'lsoa21', lsoaCode: L.L01!, share: 1, areaShare: 1, method: 'population-weighted-centroid' as const },
      { versionId, lsoaVintage: 'lsoa21', lsoaCode: L.L02!, share: 0.75, areaShare: 0.75, method: 'area-weighted' as const },
    ]);
    edition = (await findEdition(db, 'iod2019'))!;
    app = await startTestApp(database, { SIGN_IN_RATE_LIMIT: '1000' });
  });
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  const byLabel = (found: NeighbourhoodLocalValue[]) => new Map(found.map((f) => [f.indicator.label, f]));

  it('apportions LSOA counts as Σ value × share and rates weighted by population × share, reporting coverage', async () => {
    const found = byLabel(await neighbourhoodLocalData(database.db, viewers.member(), versionId));
    // 10 × 1 + 20 × 0.5 + 5 × 1; L10 has no value and L03 (share 0) is not counted.
    expect(found.get('Food bank parcels')).toMatchObject({ kind: 'apportioned', method: 'sum', covered: 3, of: 4, publishedFor: 'LSOAs (2011)' });
    expect((found.get('Food bank parcels') as { value: number }).value).toBeCloseTo(25, 12);
    // Weights mid-2020 × share: 1100, 950, 900, 250 (Σ 3200); Σ value × weight = 2200 + 3800 + 9000 + 1500 = 16500.
    expect(found.get('Anti-social behaviour rate')).toMatchObject({ method: 'population-weighted-mean', covered: 4, of: 4, withoutPopulation: 0 });
    expect((found.get('Anti-social behaviour rate') as { value: number }).value).toBeCloseTo(16500 / 3200, 12);
    // A rate with L02 missing: (1 × 1100 + 9 × 900 + 10 × 250) / (1100 + 900 + 250); the missing LSOA is left out, not taken as 0.
    expect(found.get('Index input')).toMatchObject({ covered: 3, of: 4 });
    expect((found.get('Index input') as { value: number }).value).toBeCloseTo(11700 / 2250, 12);
    // A 2021-LSOA count uses the 2021 shares: 4 × 1 + 8 × 0.75.
    expect(found.get('Home visits')).toMatchObject({ covered: 2, of: 2, publishedFor: 'LSOAs (2021)' });
    expect((found.get('Home visits') as { value: number }).value).toBeCloseTo(10, 12);
    // A ward indicator is listed, unsplit: its LSOAs lie in W1 and W5 (not W2: L03 is counted at 0).
    expect(found.get('Ward satisfaction')).toEqual(expect.objectContaining({ kind: 'not-apportionable', areasTouched: 2, areasWithValue: 2, publishedFor: 'wards (2019)' }));
    expect(found.has('Somewhere else’s count')).toBe(false);
    expect(found.get('Private caseload')).toMatchObject({ value: 7, covered: 1, of: 4 });
  });

  it('shows an indicator shared only with one organisation to its members alone, and partners’ data only to partners', async () => {
    const labels = async (viewer: Viewer) => (await neighbourhoodLocalData(database.db, viewer, versionId)).map((f) => f.indicator.label);
    expect(await labels(viewers.member())).toEqual(expect.arrayContaining(['Private caseload', 'Partners’ referrals']));
    for (const viewer of [viewers.anonymous(), viewers.outsider(), viewers.partner()]) expect(await labels(viewer)).not.toContain('Private caseload');
    expect(await labels(viewers.partner())).toContain('Partners’ referrals');
    for (const viewer of [viewers.anonymous(), viewers.outsider()]) expect(await labels(viewer)).not.toContain('Partners’ referrals');
    expect(await labels(viewers.anonymous())).toContain('Food bank parcels');

    const indexes = async (viewer: Viewer) => (await neighbourhoodIndexPositions(database.db, viewer, versionId, edition)).map((p) => p.index.name);
    expect(await indexes(viewers.member())).not.toContain('Other organisation’s index');
    expect(await indexes(viewers.partner())).toContain('Other organisation’s index');
  });

  it('places it in an LSOA index by people-weighted score and the share of its people in the lowest fifth', async () => {
    const positions = new Map((await neighbourhoodIndexPositions(database.db, viewers.member(), versionId, edition)).map((p) => [p.index.name, p]));
    // An index of another district's LSOAs does not cover it.
    expect([...positions.keys()].sort()).toEqual(['LSOA wellbeing', 'Ward wellbeing']);
    const p = positions.get('LSOA wellbeing')!;
    // Nine LSOAs scored (L02 has no input): score = (10 − x) / 9 × 100, so L01 100 (rank 1), L09 100/9 (rank 8), L10 0 (rank 9).
    expect(p.scored).toBe(9);
    expect(p.units.map((u) => [u.code, u.rank, u.inLowestFifth])).toEqual([
      [L.L01, 1, false],
      [L.L09, 8, false],
      [L.L10, 9, true],
      [L.L02, null, false],
    ]);
    expect(p.units.find((u) => u.code === L.L02)).toMatchObject({ score: null, missing: 1, people: 1000 });
    // People counted (edition denominators × share): L01 1000, L09 800, L10 300.
    expect(p.averageScore).toBeCloseTo((100 * 1000 + (100 / 9) * 800 + 0 * 300) / 2100, 10);
    // The lowest fifth of nine scored is rank above 9 − ⌊9/5⌋ = 8: only L10, holding 300 of 2,100 people scored.
    expect(p).toMatchObject({ inLowestFifth: 1, peopleScored: 2100, peopleInLowestFifth: 300, unscored: 1, peopleUnscored: 1000, outside: 0 } satisfies Partial<NeighbourhoodIndexPosition>);
    expect(p.shareInLowestFifth).toBeCloseTo(1 / 7, 12);
  });

  it('lists the wards its LSOAs lie in for a ward index, with their rank and its people in each', async () => {
    const p = (await neighbourhoodIndexPositions(database.db, viewers.member(), versionId, edition)).find((x) => x.index.name === 'Ward wellbeing')!;
    // Scores (x − 1) / 8 × 100: W3 100, W4 75, W2 50, W1 12.5, W5 0; the lowest fifth of five is rank 5.
    expect(p.units.map((u) => ({ code: u.code, rank: u.rank, people: u.people, inLowestFifth: u.inLowestFifth }))).toEqual([
      { code: W.W1, rank: 4, people: 1000 + 2000 * 0.5, inLowestFifth: false },
      { code: W.W5, rank: 5, people: 800 + 1200 * 0.25, inLowestFifth: true },
    ]);
    expect(p.units[0]!.score).toBeCloseTo(12.5, 12);
    expect(p).toMatchObject({ scored: 5, averageScore: null, inLowestFifth: 1, peopleScored: 3100, peopleInLowestFifth: 1100, unscored: 0 });
  });

  it('leaves LSOAs without a population estimate out of a rate and says how many, never dividing by nothing', () => {
    expect(apportion([{ share: 1, value: 4, population: 100 }, { share: 0.5, value: 10, population: null }], 'population-weighted-mean', 3)).toEqual({ kind: 'apportioned', method: 'population-weighted-mean', value: 4, covered: 2, of: 3, withoutPopulation: 1 });
    expect(apportion([{ share: 1, value: 4, population: null }], 'population-weighted-mean', 1).value).toBeNull();
    expect(apportion([], 'sum', 2)).toMatchObject({ value: null, covered: 0, of: 2 });
  });

  it('shows both on the page and in the API, with links, and only what the visitor may see', async () => {
    const url = `/neighbourhoods/${neighbourhoodId}?edition=iod2019`;
    const anonymous = await app.inject(url);
    expect(anonymous.statusCode).toBe(200);
    expect(anonymous.body).toContain('<h2 class="govuk-heading-l">Local data</h2>');
    expect(anonymous.body).toContain(`href="/indicators/${ids.parcels}"`);
    expect(anonymous.body).toContain('25.00 people');
    expect(anonymous.body).toContain('Sum of value × share over 3 of its 4 LSOAs (2011) (the others have no value)');
    expect(anonymous.body).toContain('Published for wards (2019); its LSOAs lie in 2 of them, 2 with a value');
    expect(anonymous.body).toContain(`href="/composite-indexes/${indexIds['LSOA wellbeing']}"`);
    expect(anonymous.body).toContain('Average score 51.9, over 3 of its 4 LSOAs in the index.');
    expect(anonymous.body).toContain('1 of its LSOAs in the lowest-scoring fifth of all 9 LSOAs, holding 300 of the 2,100 people it counts in scored LSOAs (14%). 1 of its LSOAs is not scored (1,000 people).');
    expect(anonymous.body).toContain('rank 5 of 5, score 0.0, in the lowest fifth; 1,100 of its people live there');
    expect(anonymous.body).not.toContain('Private caseload');
    expect(anonymous.body).not.toContain('Partners’ referrals');

    const member = new Client(app);
    await member.signIn(emailOf('member'));
    expect((await member.get(url)).body).toContain('Private caseload');
    const outsider = new Client(app);
    await outsider.signIn(emailOf('outsider'));
    const outsiderPage = await outsider.get(url);
    expect(outsiderPage.statusCode).toBe(200);
    expect(outsiderPage.body).not.toContain('Private caseload');

    type Api = { localData: { indicator: { id: string }; method: string; value: number | null; covered: number | null; of: number | null; areasTouched: number | null }[]; compositeIndexes: { index: { id: string; level: string }; averageScore: number | null; shareInLowestFifth: number | null; areas: { code: string }[] }[] };
    const api = (await outsider.get(`/api/v1/neighbourhoods/${neighbourhoodId}?edition=iod2019`)).json() as Api;
    expect(api.localData.map((d) => d.indicator.id)).not.toContain(ids.private);
    expect(api.localData.find((d) => d.indicator.id === ids.parcels)).toMatchObject({ method: 'sum', value: 25, covered: 3, of: 4 });
    expect(api.localData.find((d) => d.indicator.id === ids.wardSatisfaction)).toMatchObject({ method: 'not apportionable', value: null, areasTouched: 2 });
    const lsoaIndex = api.compositeIndexes.find((c) => c.index.id === indexIds['LSOA wellbeing'])!;
    expect(lsoaIndex.averageScore).toBeCloseTo(1400 / 27, 10);
    expect(lsoaIndex.areas).toHaveLength(4);
    const memberApi = (await member.get(`/api/v1/neighbourhoods/${neighbourhoodId}?edition=iod2019`)).json() as Api;
    expect(memberApi.localData.map((d) => d.indicator.id)).toContain(ids.private);
  });
});
