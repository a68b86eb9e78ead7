import { eq, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../../platform/audit/audit.ts';
import type { Viewer } from '../../platform/auth/permissions.ts';
import { queryRows } from '../../platform/db/database.ts';
import { engines } from '../../../tests/support/engines.ts';
import { useSeededApp } from '../../../tests/support/app.ts';
import { iod2011Steps, loadBundledSteps } from '../../../tests/support/data.ts';
import { importLocalIndicatorBytes, type LocalIndicatorInput } from '../local-data/service.ts';
import { sampleCampaign } from '../community-voice/testing.ts';
import { voiceAnswers, voiceCampaigns, voiceResponses } from '../community-voice/schema.ts';
import type { Question } from '../community-voice/campaigns.ts';
import { linkedChoices, linkedSeries, periodEnd, type LinkedChoice } from './linked-sources.ts';
import { seedImpact, type ImpactFixture } from './testing.ts';
import { supportTeamMembers, supportTeams, supportWellbeing } from '../supporting-people/schema.ts';
import { samplePerson } from '../supporting-people/testing.ts';

describe.each(engines)('measures linked to Patchwork’s data (%s)', (engine) => {
  const h = useSeededApp(engine);
  let f: ImpactFixture;
  let member: Viewer;
  let elsewhere: Viewer;

  beforeAll(async () => {
    f = await seedImpact(h.database, h.seed);
    // IoD2015 and IoD2019 on 2011 LSOAs, both with 2019 wards: Worsley Mesnes appears in each.
    await loadBundledSteps(h.database.db, iod2011Steps);
    member = { user: { id: h.seed.userIds.member!, email: 'member@example.org', name: 'Member', isSiteAdmin: false }, organisationIds: [f.organisationId] };
    elsewhere = { user: { id: f.userIds.elsewhere, email: 'elsewhere@example.org', name: 'Elsie', isSiteAdmin: false }, organisationIds: [f.otherOrganisationId] };
  }, 180_000);

  const series = (source: LinkedChoice['source'], ref: Record<string, string>, viewer = member, partnershipId = f.partnershipId) => linkedSeries(h.database.db, viewer, partnershipId, source, ref, 5);

  it('offers each IoD domain for the ward and its district, with one point per edition matching area_summaries', async () => {
    const choices = await linkedChoices(h.database.db, member, f.partnershipId, 'indicator');
    const ward = choices.find((c) => c.ref.code === 'E05000864' && c.ref.domain === 'imd' && c.ref.measure === 'share-most-deprived');
    expect(ward).toMatchObject({ source: 'indicator', ref: { level: 'ward', vintage: 'ward19' }, unit: '% of LSOAs', direction: 'decrease' });
    expect(ward!.label).toBe('Index of Multiple Deprivation: share of small areas (LSOAs) in the most deprived 10% in England, Worsley Mesnes ward');
    expect(ward!.sourceNote).toContain('Open Government Licence v3.0');
    expect(choices.some((c) => c.ref.level === 'lad' && c.ref.code === 'E08000010' && c.ref.domain === 'income' && c.ref.measure === 'average-score')).toBe(true);
    expect(choices.every((c) => Object.values(c.ref).every((v) => typeof v === 'string'))).toBe(true);

    const expected = await queryRows<{ on: string; share: number; score: number; label: string }>(
      h.database.db,
      sql`select to_char(e.published_on, 'YYYY-MM-DD') as on, s.proportion_bottom_decile as share, s.average_score as score, e.label from area_summaries s
          join editions e on s.indicator_id = e.id || '.imd' and s.vintage = e.ward_vintage where s.code = 'E05000864' order by e.published_on`,
    );
    expect(expected.map((e) => e.on)).toEqual(['2015-09-30', '2019-09-26']);
    const shares = await series('indicator', ward!.ref);
    expect(shares.points).toEqual(expected.map((e) => ({ measuredOn: e.on, value: Math.round(Number(e.share) * 1000) / 10, source: `${e.label} (Index of Multiple Deprivation), Worsley Mesnes ward E05000864 on Electoral ward (December 2019) boundaries` })));
    // The third: 2 chose "1 to 5 years", so the 6 beside them are hidden too (8 answering would give the 2 back).
    expect(shares.notes).toEqual([]);
    const scores = await series('indicator', { ...ward!.ref, measure: 'average-score' });
    expect(scores.points.map((p) => p.value)).toEqual(expected.map((e) => Number(e.score)));

    // The district, on each edition's own district boundaries.
    const district = await series('indicator', { level: 'lad', code: 'E08000010', vintage: choices.find((c) => c.ref.level === 'lad')!.ref.vintage!, domain: 'imd', measure: 'share-most-deprived' });
    const lad = await queryRows<{ share: number }>(
      h.database.db,
      sql`select s.proportion_bottom_decile as share from area_summaries s join editions e on s.indicator_id = e.id || '.imd' and s.vintage = e.lad_vintage where s.code = 'E08000010' order by e.published_on`,
    );
    expect(district.points.map((p) => p.value)).toEqual(lad.map((r) => Math.round(Number(r.share) * 1000) / 10));
  });

  it('says when an edition gives the area on other boundaries', async () => {
    await h.database.db.execute(sql`insert into editions (id, label, lsoa_vintage, lad_vintage, ward_vintage, population_indicator_id, published_on, publisher, licence, lsoa_count)
      values ('iod2025', 'English Indices of Deprivation 2025', 'lsoa21', 'lad24', 'ward24', 'population.mid2020-estimate.lsoa21', '2025-10-30', 'Ministry of Housing, Communities and Local Government', 'Open Government Licence v3.0', 0)`);
    try {
      const result = await series('indicator', { level: 'ward', code: 'E05000864', vintage: 'ward19', domain: 'imd', measure: 'share-most-deprived' });
      expect(result.points).toHaveLength(2);
      expect(result.notes).toEqual(['English Indices of Deprivation 2025 gives wards on other boundaries (Electoral ward (2024)), where E05000864 does not appear, so it is not compared.']);
    } finally {
      await h.database.db.execute(sql`delete from editions where id = 'iod2025'`);
    }
  });

  it('refuses a forged ref and anyone outside the partnership', async () => {
    await expect(series('indicator', { level: 'ward', code: 'E05000865', vintage: 'ward19', domain: 'imd', measure: 'share-most-deprived' })).rejects.toThrow(/not something/);
    await expect(series('indicator', { level: 'ward', code: 'E05000864', vintage: 'ward19', domain: 'imd', measure: 'rank; drop table editions' })).rejects.toThrow(/not something/);
    await expect(series('indicator', { level: 'ward', code: 'E05000864', vintage: 'ward19', domain: 'imd', measure: 'share-most-deprived', extra: 'x' })).rejects.toThrow(/not something/);
    expect(await linkedChoices(h.database.db, elsewhere, f.partnershipId, 'indicator')).toEqual([]);
    await expect(series('indicator', { level: 'ward', code: 'E05000864', vintage: 'ward19', domain: 'imd', measure: 'share-most-deprived' }, elsewhere)).rejects.toThrow();
    // The other partnership covers no ward: nothing to link to.
    expect(await linkedChoices(h.database.db, elsewhere, f.otherPartnershipId, 'indicator')).toEqual([]);
  });

  const localMeta: LocalIndicatorInput = {
    label: 'Sample food bank referrals',
    unit: 'referrals',
    period: '2024-25',
    direction: 'higher-is-worse',
    source: 'Sample data: Test Org food bank records',
    licence: 'Open Government Licence v3.0',
    sharing: 'partners',
    aggregation: 'sum',
    vintage: 'ward19',
  };

  it('gives a local indicator for the ward, as uploaded or summed from its LSOAs, dated by its period or its upload', async () => {
    const owner = { organisationId: f.organisationId, userId: h.seed.userIds.member! };
    const asUploaded = await importLocalIndicatorBytes(h.database.db, Buffer.from('code,value\nE05000864,12.5\n'), 'ward.csv', localMeta, owner, cliActor);
    const lsoas = await queryRows<{ code: string }>(h.database.db, sql`select from_code as code from area_lookups where from_vintage = 'lsoa11' and to_vintage = 'ward19' and to_code = 'E05000864' order by 1`);
    expect(lsoas.length).toBeGreaterThan(1);
    const summed = await importLocalIndicatorBytes(
      h.database.db,
      Buffer.from(`code,value\n${lsoas.map((l) => `${l.code},2`).join('\n')}\n`),
      'lsoa.csv',
      { ...localMeta, label: 'Sample warm spaces visits', unit: 'visits', direction: 'higher-is-better', period: 'Winter pilot', vintage: 'lsoa11' },
      owner,
      cliActor,
    );
    // Another organisation's, kept to itself: not offered to test-org's people.
    const hidden = await importLocalIndicatorBytes(h.database.db, Buffer.from('code,value\nE05000864,1\n'), 'own.csv', { ...localMeta, label: 'Other org private figure', sharing: 'organisation' }, { organisationId: f.otherOrganisationId, userId: null }, cliActor);

    const choices = await linkedChoices(h.database.db, member, f.partnershipId, 'local-indicator');
    expect(choices.some((c) => c.ref.indicatorId === hidden.id)).toBe(false);
    const ward = choices.find((c) => c.ref.indicatorId === asUploaded.id && c.ref.code === 'E05000864')!;
    expect(ward).toMatchObject({ ref: { indicatorId: asUploaded.id, level: 'ward', code: 'E05000864' }, label: 'Sample food bank referrals (2024-25), Worsley Mesnes ward', unit: 'referrals', direction: 'decrease' });
    expect(await series('local-indicator', ward.ref)).toEqual({
      points: [{ measuredOn: '2025-03-31', value: 12.5, source: 'Sample food bank referrals (period 2024-25, dated at its end), Worsley Mesnes ward, as uploaded; Sample data: Test Org food bank records' }],
      notes: [],
    });

    const rolled = choices.find((c) => c.ref.indicatorId === summed.id && c.ref.level === 'ward')!;
    expect(rolled.direction).toBe('increase');
    const [uploaded] = await queryRows<{ on: string }>(h.database.db, sql`select to_char(uploaded_at at time zone 'UTC', 'YYYY-MM-DD') as on from indicators where id = ${summed.id}`);
    const result = await series('local-indicator', rolled.ref);
    expect(result.points).toHaveLength(1);
    expect(result.points[0]).toMatchObject({ measuredOn: uploaded!.on, value: 2 * lsoas.length });
    expect(result.points[0]!.source).toContain(`sum of ${lsoas.length} of ${lsoas.length} LSOAs`);
    expect(result.points[0]!.source).toContain('“Winter pilot” is not a date, so dated by its upload');
    // The district, summed from every Wigan LSOA given (only the ward's), with the rest named as missing.
    const district = choices.find((c) => c.ref.indicatorId === summed.id && c.ref.level === 'lad');
    expect(district?.ref.code).toBe('E08000010');
    expect((await series('local-indicator', district!.ref)).notes[0]).toMatch(/^\d+ of \d+ small areas in Wigan \(district\) have no value in Sample warm spaces visits/);

    await expect(series('local-indicator', { indicatorId: hidden.id, level: 'ward', code: 'E05000864' })).rejects.toThrow(/not something/);
  });

  it('reads a period as a date where it is one', () => {
    expect(periodEnd('2024')).toBe('2024-12-31');
    expect(periodEnd('2024/25')).toBe('2025-03-31');
    expect(periodEnd('1999-2000')).toBe('2000-03-31');
    expect(periodEnd('2024-02-29')).toBe('2024-02-29');
    expect(periodEnd('2023-02-29')).toBeNull();
    expect(periodEnd('March 2024')).toBe('2024-03-31');
    expect(periodEnd('2024-27')).toBeNull();
    expect(periodEnd('Q3')).toBeNull();
  });

  /** Responses of sample data: each a choice (for "How long have you lived here?") and a scale answer. */
  async function respond(questions: Question[], answers: [string, number][]) {
    const [, choice, scale] = questions;
    for (const [option, point] of answers) {
      const [r] = await h.database.db.insert(voiceResponses).values({ campaignId: choice!.campaignId, channel: 'volunteer', locationSource: 'none' }).returning({ id: voiceResponses.id });
      await h.database.db.insert(voiceAnswers).values([
        { responseId: r!.id, questionId: choice!.id, choices: [option] },
        { responseId: r!.id, questionId: scale!.id, scale: point },
      ]);
    }
  }

  it('gives a voice question’s result over a campaign and its repeats, leaving out one with too few responses', async () => {
    const first = await sampleCampaign(h.database.db, f.organisationId, { closesOn: '2025-06-30' });
    const second = await sampleCampaign(h.database.db, f.organisationId, { title: 'Proud of Pemberton again (sample data)', closesOn: '2026-03-31', repeatOfId: first.campaign.id });
    const third = await sampleCampaign(h.database.db, f.organisationId, { title: 'Proud of Pemberton, third time (sample data)', closesOn: '2026-09-30', repeatOfId: second.campaign.id });
    const draft = await sampleCampaign(h.database.db, f.organisationId, { title: 'Not yet asked (sample data)' });
    const theirs = await sampleCampaign(h.database.db, f.otherOrganisationId, { title: 'Elsewhere (sample data)', closesOn: '2025-06-30' });
    for (const c of [first, second, third, theirs]) await h.database.db.update(voiceCampaigns).set({ status: 'closed' }).where(eq(voiceCampaigns.id, c.campaign.id));
    await respond(first.questions, [
      ...Array.from({ length: 5 }, (): [string, number] => ['More than 5 years', 4]),
      ...Array.from({ length: 5 }, (): [string, number] => ['1 to 5 years', 2]),
    ]);
    await respond(second.questions, [['More than 5 years', 5], ['More than 5 years', 5], ['Less than a year', 1]]);
    await respond(third.questions, Array.from({ length: 8 }, (_, i): [string, number] => [i < 6 ? 'More than 5 years' : '1 to 5 years', i < 4 ? 5 : 4]));

    const choices = await linkedChoices(h.database.db, member, f.partnershipId, 'voice');
    expect(choices.some((c) => c.ref.campaignId === draft.campaign.id || c.ref.campaignId === theirs.campaign.id)).toBe(false);
    const share = choices.find((c) => c.ref.campaignId === first.campaign.id && c.ref.option === 'More than 5 years')!;
    expect(share).toMatchObject({ ref: { questionId: first.questions[1]!.id }, unit: '% of those answering', label: 'How long have you lived here? — share answering “More than 5 years” (Proud of Pemberton (sample data) and 2 repeats)' });
    const shares = await series('voice', share.ref);
    expect(shares.points).toEqual([
      { measuredOn: '2025-06-30', value: 50, source: 'Community voice: “Proud of Pemberton (sample data)” (closed 30 June 2025), sample data, 5 of 10 answering' },
    ]);
    // The third: 2 chose "1 to 5 years", so the 6 beside them are hidden too (8 answering would give the 2 back).
    expect(shares.notes).toEqual([
      '“Proud of Pemberton again (sample data)”: fewer than 5 responses, not shown.',
      '“Proud of Pemberton, third time (sample data)”: hidden so that a smaller number cannot be worked out.',
    ]);

    const mean = choices.find((c) => c.ref.campaignId === first.campaign.id && c.ref.questionId === first.questions[2]!.id && !c.ref.option)!;
    expect(mean.unit).toBe('mean on a scale of 1 to 5');
    const means = await series('voice', mean.ref);
    expect(means.points.map((p) => [p.measuredOn, p.value])).toEqual([
      ['2025-06-30', 3],
      ['2026-09-30', 4.5],
    ]);
    expect(means.notes).toEqual(['“Proud of Pemberton again (sample data)”: fewer than 5 responses, not shown.']);

    // Someone else's campaign, and a question of ours that no choice offers, are refused.
    await expect(series('voice', { campaignId: theirs.campaign.id, questionId: theirs.questions[2]!.id })).rejects.toThrow(/not something/);
    await expect(series('voice', { campaignId: first.campaign.id, questionId: first.questions[0]!.id })).rejects.toThrow(/not something/);
  });

  it('gives a Place Standard theme’s mean rating over an assessment and its repeat, from a partner organisation too', async () => {
    const db = h.database.db;
    const before = await sampleCampaign(db, f.partnerOrganisationId, { title: 'Marsh Green Place Standard (sample data)', kind: 'place-standard', closesOn: '2025-05-31', questions: [] });
    const after = await sampleCampaign(db, f.partnerOrganisationId, { title: 'Marsh Green Place Standard again (sample data)', kind: 'place-standard', closesOn: '2026-05-31', questions: [], repeatOfId: before.campaign.id });
    for (const c of [before, after]) await db.update(voiceCampaigns).set({ status: 'closed' }).where(eq(voiceCampaigns.id, c.campaign.id));
    const rate = async (questions: Question[], ratings: number[]) => {
      const q = questions.find((x) => x.placeStandardTheme === 'moving-around')!;
      for (const scale of ratings) {
        const [r] = await db.insert(voiceResponses).values({ campaignId: q.campaignId, channel: 'volunteer', locationSource: 'none' }).returning({ id: voiceResponses.id });
        await db.insert(voiceAnswers).values({ responseId: r!.id, questionId: q.id, scale });
      }
    };
    await rate(before.questions, [3, 4, 5, 6, 7, 2]);
    await rate(after.questions, [6, 7]);

    const choices = await linkedChoices(db, member, f.partnershipId, 'voice');
    const theme = choices.find((c) => c.ref.campaignId === before.campaign.id && c.ref.theme === 'moving-around')!;
    expect(theme).toMatchObject({ label: 'Place Standard: Moving around (Marsh Green Place Standard (sample data) and 1 repeat)', unit: 'mean rating, 1 to 7', direction: 'increase' });
    expect(theme.sourceNote).toContain('run by Partner Organisation (sample data)');
    expect(await series('voice', theme.ref)).toEqual({
      points: [{ measuredOn: '2025-05-31', value: 4.5, source: 'Community voice: “Marsh Green Place Standard (sample data)” (closed 31 May 2025), sample data' }],
      notes: ['“Marsh Green Place Standard again (sample data)”, Moving around: fewer than 5 responses, not shown.'],
    });
    // Only the first of a family is offered, so a ref naming the repeat is refused.
    await expect(series('voice', { campaignId: after.campaign.id, theme: 'moving-around' })).rejects.toThrow(/not something/);
  });

  it('offers support aggregates per period, with counts and shares below the threshold kept back', async () => {
    const db = h.database.db;
    const choices = await linkedChoices(db, member, f.partnershipId, 'support');
    expect(choices.map((c) => c.label)).toContain('People introduced for support, per quarter');
    expect(await series('support', { measure: 'introductions', period: 'year' })).toEqual({ points: [], notes: ['Nobody has been introduced to the partnership’s support teams yet.'] });

    // Nine people (sample data) introduced to a test-org team: six in January to March 2025, three in April to June.
    const [team] = await db.insert(supportTeams).values({ organisationId: f.organisationId, name: 'Sample link workers' }).returning({ id: supportTeams.id });
    const coordinator = h.seed.userIds.coordinator ?? h.seed.userIds.member!;
    await db.insert(supportTeamMembers).values({ teamId: team!.id, userId: coordinator, role: 'coordinator' });
    const people: string[] = [];
    for (let i = 0; i < 9; i++) people.push(await samplePerson(db, h.app.keyring, team!.id, coordinator, { introduction: { introducedOn: i < 6 ? `2025-0${1 + (i % 3)}-1${i}` : `2025-05-0${i}` } }));
    // Six measured twice: five whose life satisfaction rose, one whose fell.
    await db.insert(supportWellbeing).values(
      people.slice(0, 6).flatMap((personId, i) => [
        { personId, measuredOn: '2025-03-20', occasion: 'start' as const, lifeSatisfaction: 5 },
        { personId, measuredOn: '2025-09-20', occasion: 'end' as const, lifeSatisfaction: i < 5 ? 7 : 4 },
      ]),
    );

    const quarters = await series('support', { measure: 'introductions', period: 'quarter' });
    expect(quarters.points).toEqual([{ measuredOn: '2025-03-31', value: 6, source: 'Supporting people: introductions to the partnership’s teams, January to March 2025' }]);
    expect(quarters.notes.slice(0, 2)).toEqual(['April to June 2025: fewer than 5 introductions, not shown.', 'July to September 2025: fewer than 5 introductions, not shown.']);
    expect((await series('support', { measure: 'introductions', period: 'year' })).points).toEqual([{ measuredOn: '2025-12-31', value: 9, source: 'Supporting people: introductions to the partnership’s teams, 2025' }]);

    const improved = await series('support', { measure: 'wellbeing-improved', score: 'lifeSatisfaction' });
    expect(improved.points).toEqual([{ measuredOn: '2025-12-31', value: 83, source: 'Supporting people: 6 people introduced in 2025, first to latest wellbeing measure' }]);
    const anxiety = await series('support', { measure: 'wellbeing-improved', score: 'anxiety' });
    expect(anxiety.points).toEqual([]);
    expect(anxiety.notes[0]).toBe('People introduced in 2025: fewer than 5 measured at the start and later, not shown.');

    await expect(series('support', { measure: 'introductions', period: 'day' })).rejects.toThrow(/not something/);
    await expect(series('support', { measure: 'introductions', period: 'year' }, elsewhere)).rejects.toThrow();
  });
});
