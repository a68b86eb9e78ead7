import { and, eq, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../../platform/audit/audit.ts';
import { queryRows } from '../../platform/db/database.ts';
import { Client, emailOf, useSeededApp } from '../../../tests/support/app.ts';
import { engines } from '../../../tests/support/engines.ts';
import type { Campaign, Question } from './campaigns.ts';
import { compassView, headline, medianOf, placeStandardResults, type Series } from './place-standard.ts';
import { recordResponse } from './responses.ts';
import { voiceAnswers, voiceResponses } from './schema.ts';
import { loadWiganPlaces, sampleCampaign } from './testing.ts';

/*
 * Sample data, worked by hand (threshold 5). Two themes are rated; the other twelve are not.
 *   Ward A, 8 people:  Feeling safe 2,2,2,2,2,3,3,3   Natural space 6,6,6,6,6,6,7,7   ages 25-34 ×5, 65-74 ×3
 *   Ward B, 4 people:  Feeling safe 1,3,3,3           Natural space 5,5,5,5           no ages given
 *   No place, 5 people: Feeling safe 3,3,3,3,3         (no Natural space)              ages 65-74 ×5
 * Feeling safe: n 17, counts [1,5,11,0,0,0,0], sum 44, mean 2.588…, median 3.
 *   Spread: 1 and the zeros are hidden; their sum (1) would give them back, so "rated 2" (5) is hidden too.
 * Natural space: n 12, counts [0,0,0,0,4,6,2], sum 70, mean 5.833…, median 6. Hidden 4 and 2 sum to 6: no more.
 * The earlier assessment: 5 people, Feeling safe 2 ×5, Natural space 6 ×5: change +0.6 and −0.2.
 */
describe.each(engines)('Place Standard results on %s', (engine) => {
  const h = useSeededApp(engine);
  let campaign: Campaign;
  let questions: Question[];
  let wardA = '';
  let wardB = '';
  let wardBName = '';

  const q = (qs: Question[], theme: string) => qs.find((x) => x.placeStandardTheme === theme)!;
  const answer = async (c: Campaign, qs: Question[], safe: number, natural: number | null, place: { postcode?: string }, ageBand?: string, comment?: string) => {
    const answers: Record<string, { scale: number; comment?: string }> = { [q(qs, 'feeling-safe').id]: { scale: safe, ...(comment ? { comment } : {}) } };
    if (natural !== null) answers[q(qs, 'natural-space').id] = { scale: natural };
    const result = await recordResponse(
      h.database.db,
      c,
      qs,
      { answers, postcode: place.postcode ?? null, demographicsConsent: Boolean(ageBand), demographics: ageBand ? { ageBand } : {} },
      { channel: 'volunteer' },
      cliActor,
    );
    if (result.status !== 'recorded') throw new Error(JSON.stringify(result));
    return result.id;
  };

  beforeAll(async () => {
    const db = h.database.db;
    await loadWiganPlaces(db);
    // Two real Wigan postcodes in different 2025 wards (Pemberton and the town centre).
    const first = { postcode: 'WN5 9AB' };
    const second = { postcode: 'WN1 1AA' };

    const earlier = await sampleCampaign(db, h.seed.organisationId, { kind: 'place-standard', title: 'Earlier assessment (sample data)', questions: [] });
    for (let i = 0; i < 5; i++) await answer(earlier.campaign, earlier.questions, 2, 6, {});

    ({ campaign, questions } = await sampleCampaign(db, h.seed.organisationId, { kind: 'place-standard', title: 'Pemberton assessment (sample data)', questions: [], repeatOfId: earlier.campaign.id, lad25: 'E08000010' }));
    const safeA = [2, 2, 2, 2, 2, 3, 3, 3];
    const naturalA = [6, 6, 6, 6, 6, 6, 7, 7];
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) ids.push(await answer(campaign, questions, safeA[i]!, naturalA[i]!, { postcode: first.postcode }, i < 5 ? '25-34' : '65-74', i < 2 ? `Sample comment ${i + 1}: the underpass at night` : undefined));
    for (const s of [1, 3, 3, 3]) await answer(campaign, questions, s, 5, { postcode: second.postcode });
    for (let i = 0; i < 5; i++) await answer(campaign, questions, 3, null, {}, '65-74');
    // Only the first comment is marked publishable, with a trimmed quote.
    await db.update(voiceAnswers).set({ publishable: true, quote: 'Sample quote: the underpass feels unsafe at night' }).where(and(eq(voiceAnswers.responseId, ids[0]!), eq(voiceAnswers.questionId, q(questions, 'feeling-safe').id)));

    // Where the postcodes were actually placed (by point in polygon, as in production).
    const placed = await db.select({ id: voiceResponses.id, ward: voiceResponses.ward25 }).from(voiceResponses).where(eq(voiceResponses.campaignId, campaign.id));
    wardA = placed.find((p) => p.id === ids[0])!.ward!;
    wardB = placed.find((p) => p.ward && p.ward !== wardA)!.ward!;
    expect(wardA).toMatch(/^E05/);
    wardBName = (await queryRows<{ name: string }>(db, sql`select name from areas where vintage = 'ward25' and code = ${wardB}`))[0]!.name;
  }, 240_000);

  const theme = (s: Series, key: string) => s.themes.find((t) => t.key === key)!;

  it('gives each theme its count, mean, median and suppressed spread', async () => {
    const r = await placeStandardResults(h.database.db, campaign, {}, 5);
    const safe = theme(r.overall, 'feeling-safe');
    expect(safe.n).toEqual({ value: 17, suppressed: false });
    expect(safe.mean).toBeCloseTo(44 / 17, 10);
    expect(safe.median).toBe(3);
    expect(safe.distribution.map((c) => c.value)).toEqual([null, null, 11, null, null, null, null]);
    const natural = theme(r.overall, 'natural-space');
    expect(natural.n.value).toBe(12);
    expect(natural.mean).toBeCloseTo(70 / 12, 10);
    expect(natural.median).toBe(6);
    expect(natural.distribution.map((c) => c.value)).toEqual([null, null, null, null, null, 6, null]);
    const unrated = theme(r.overall, 'moving-around');
    expect(unrated.n.suppressed).toBe(true);
    expect(unrated.mean).toBeNull();
    expect(r.overall.respondents.value).toBe(17);
    expect(headline(r.overall)).toBe('Rated lowest: Feeling safe (2.6); highest: Natural space (5.8)');
    expect(r.comments).toEqual([{ key: 'feeling-safe', label: 'Feeling safe', comments: ['Sample quote: the underpass feels unsafe at night'] }]);
  });

  it('hides the mean where only 4 people rated a theme', async () => {
    const r = await placeStandardResults(h.database.db, campaign, { area: { kind: 'ward25', code: wardB, name: wardBName } }, 5);
    const safe = theme(r.overall, 'feeling-safe');
    expect(safe.n).toEqual({ value: null, suppressed: true });
    expect(safe.mean).toBeNull();
    expect(safe.median).toBeNull();
    expect(r.comments).toEqual([]);
    const view = compassView(r, 'Ward B');
    expect(view.rows.find((row) => row.label === 'Feeling safe')!.cells).toEqual([{ mean: 'fewer than 5', n: 'fewer than 5' }]);
  });

  it('splits by ward, hiding a second group where one small group could be worked out', async () => {
    const r = await placeStandardResults(h.database.db, campaign, { group: 'area' }, 5);
    expect(r.groups.map((g) => g.key)).toEqual(expect.arrayContaining([`group:${wardA}`, `group:${wardB}`, 'group:none']));
    expect(r.groups.at(-1)!.label).toBe('Ward not known');
    const a = r.groups.find((g) => g.key === `group:${wardA}`)!;
    const b = r.groups.find((g) => g.key === `group:${wardB}`)!;
    const none = r.groups.find((g) => g.key === 'group:none')!;
    // Feeling safe [8, 4, 5]: 4 is hidden; 5 is hidden as well, so 17 − 8 gives back only their sum.
    expect(theme(a, 'feeling-safe').n.value).toBe(8);
    expect(theme(a, 'feeling-safe').mean).toBeCloseTo(19 / 8, 10);
    expect(theme(b, 'feeling-safe').mean).toBeNull();
    expect(theme(none, 'feeling-safe').n.suppressed).toBe(true);
    expect(theme(none, 'feeling-safe').mean).toBeNull();
    // Natural space [8, 4, 0]: hiding 4 alone would let 12 − 8 give it back, so ward A is hidden too.
    expect(theme(a, 'natural-space').n.suppressed).toBe(true);
    expect(theme(a, 'natural-space').mean).toBeNull();
    expect([a.respondents.value, b.respondents.value, none.respondents.value]).toEqual([8, null, null]);
  });

  it('splits by age band, in the order the bands are asked', async () => {
    const r = await placeStandardResults(h.database.db, campaign, { group: 'ageBand' }, 5);
    expect(r.groups.map((g) => g.label)).toEqual(['25 to 34', '65 to 74', 'Age not given']);
    const [young, old, notGiven] = r.groups as [typeof r.overall, typeof r.overall, typeof r.overall];
    // Feeling safe [5, 8, 4]: 4 hidden, then 5; 65 to 74 shows 8 ratings, all 3.
    expect(theme(young, 'feeling-safe').mean).toBeNull();
    expect(theme(old, 'feeling-safe')).toMatchObject({ n: { value: 8 }, mean: 3, median: 3 });
    expect(theme(notGiven, 'feeling-safe').mean).toBeNull();
    // Natural space [5, 3, 4]: 3 and 4 hidden (sum 7); 25 to 34 shows 5 ratings, all 6.
    expect(theme(young, 'natural-space')).toMatchObject({ n: { value: 5 }, mean: 6 });
    expect(theme(old, 'natural-space').mean).toBeNull();
  });

  it('compares with the earlier assessment, giving the change in mean', async () => {
    const r = await placeStandardResults(h.database.db, campaign, { compare: true }, 5);
    expect(r.earlier?.title).toBe('Earlier assessment (sample data)');
    expect(theme(r.earlier!, 'feeling-safe').mean).toBe(2);
    const i = (key: string) => r.overall.themes.findIndex((t) => t.key === key);
    expect(r.change[i('feeling-safe')]).toBe(0.6);
    expect(r.change[i('natural-space')]).toBe(-0.2);
    expect(r.change[i('moving-around')]).toBeNull();
    const view = compassView(r, 'Compared');
    expect(view.series.map((s) => s.label)).toEqual(['Everyone', 'Earlier: Earlier assessment (sample data)']);
    expect(view.rows.find((row) => row.label === 'Natural space')!.change).toBe('−0.2');
    expect(view.svg.match(/class="pw-compass__series"/g)).toHaveLength(2);
    // Without asking, no comparison.
    expect((await placeStandardResults(h.database.db, campaign, {}, 5)).earlier).toBeNull();
  });

  it('works out medians from counts', () => {
    expect(medianOf([1, 1, 1, 1, 1, 1, 4])).toBe(5.5);
    expect(medianOf([0, 0, 1, 0, 0, 0, 0])).toBe(3);
    expect(medianOf([0, 0, 0, 0, 0, 0, 0])).toBeNull();
  });

  it('shows the page with its table, "fewer than 5", and the answer first; 404 for other campaigns', async () => {
    const viewer = new Client(h.app);
    expect((await viewer.signIn(emailOf('viewer'))).statusCode).toBe(303);
    const base = `/organisations/test-org/voice/${campaign.id}/place-standard`;
    const page = await viewer.get(base);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Rated lowest: Feeling safe (2.6); highest: Natural space (5.8).');
    expect(page.body).toContain('<table class="govuk-table pw-compass-table">');
    expect(page.body).toContain('fewer than 5');
    expect(page.body).toContain('role="img"');
    expect(page.body).toContain('Sample quote: the underpass feels unsafe at night');
    expect(page.body).not.toContain('Sample comment 2');
    const split = await viewer.get(`${base}?group=ageBand&compare=yes`);
    expect(split.statusCode).toBe(200);
    expect(split.body).toContain('Change in mean since the earlier assessment');
    expect(split.body).toContain('25 to 34: mean');
    expect(split.body).toContain('Everyone: mean');
    expect(split.body).toContain('Earlier: Earlier assessment (sample data): mean');
    const bad = await viewer.get(`${base}?area=ward25:E05999999&group=shoe-size`);
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Choose an area from the list, or the whole campaign');
    expect(bad.body).toContain('Choose how to split the results from the list, or not at all');
    const listening = await sampleCampaign(h.database.db, h.seed.organisationId);
    expect((await viewer.get(`/organisations/test-org/voice/${listening.campaign.id}/place-standard`)).statusCode).toBe(404);
    const outsider = new Client(h.app);
    await outsider.signIn(emailOf('outsider'));
    expect((await outsider.get(base)).statusCode).toBe(403);
  });
});
