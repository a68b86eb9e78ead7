import { and, eq } from 'drizzle-orm';
import { describe, expect, it, vi } from 'vitest';
import { auditEvents } from '../../platform/audit/schema.ts';
import { Client, emailOf, useSeededApp } from '../../../tests/support/app.ts';
import { engines } from '../../../tests/support/engines.ts';
import { refKey, type LinkedChoice, type LinkedPoint } from './linked-sources.ts';
import { measureProgress, outcomeProgress } from './outcomes.ts';
import { impactMeasurements, impactMeasures, impactOutcomes, impactStories, impactStoryOutcomes } from './schema.ts';
import { seedImpact, type ImpactFixture } from './testing.ts';

// Linked measures are tested here against a stand-in for Patchwork's data (linked-sources.ts has its own tests):
// what matters on these pages is that posted choices are checked against the offered ones and points are stored once.
const linked = vi.hoisted(() => ({ choices: [] as LinkedChoice[], points: [] as LinkedPoint[], notes: [] as string[], calls: [] as unknown[][], refuse: false }));
vi.mock(import('./linked-sources.ts'), async (importOriginal) => {
  const original = await importOriginal();
  return {
    ...original,
    linkedChoices: async () => linked.choices,
    linkedSeries: async (...args: unknown[]) => {
      linked.calls.push(args);
      if (linked.refuse) throw new original.LinkedSourceError('That is not something this partnership’s measures can be linked to');
      return { points: linked.points, notes: linked.notes };
    },
  };
});

const dateFields = (name: string, iso: string) => {
  const [y, m, d] = iso.split('-');
  return { [`${name}-day`]: String(Number(d)), [`${name}-month`]: String(Number(m)), [`${name}-year`]: y! };
};

describe.each(engines)('outcomes framework on %s', (engine) => {
  const h = useSeededApp(engine);
  let fx: ImpactFixture;
  const ids = { outcome: '', measure: '', otherOutcome: '', otherMeasure: '' };
  const setUp = async () => {
    if (fx) return;
    fx = await seedImpact(h.database, h.seed);
    // Another partnership's outcome and measure, which nobody here may reach through this partnership.
    const [o] = await h.database.db.insert(impactOutcomes).values({ partnershipId: fx.otherPartnershipId, title: 'Not ours', agreedWith: 'Elsewhere residents', agreedOn: '2025-01-01' }).returning();
    const [m] = await h.database.db
      .insert(impactMeasures)
      .values({ outcomeId: o!.id, name: 'Elsewhere measure', source: 'manual', unit: '%', direction: 'increase', cadence: 'annually', sourceNote: 'Elsewhere survey', baselineValue: 1, baselineOn: '2025-01-01', targetValue: 2, targetOn: '2026-01-01' })
      .returning();
    ids.otherOutcome = o!.id;
    ids.otherMeasure = m!.id;
  };
  const signedIn = async (email: string) => {
    await setUp();
    const client = new Client(h.app);
    await client.signIn(email);
    return client;
  };
  const base = () => `/partnerships/${fx.partnershipId}/impact`;
  const ours = async () => h.database.db.select().from(impactOutcomes).where(eq(impactOutcomes.partnershipId, fx.partnershipId));

  it('shows an empty framework that says what to do', async () => {
    const client = await signedIn(emailOf('member'));
    const page = await client.get(base());
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('This partnership has not recorded any outcomes yet.');
    expect(page.body).toContain(`href="${base()}/outcomes/new"`);
  });

  it('agrees an outcome, refusing bad input without writing anything', async () => {
    const client = await signedIn(emailOf('member'));
    expect((await client.get(`${base()}/outcomes/new`)).statusCode).toBe(200);
    const good = { title: 'Residents feel safer in Marsh Green', description: 'Fewer people afraid to go out after dark.', agreedWith: 'Residents at the Marsh Green listening event, 12 March 2025', ...dateFields('agreedOn', '2025-03-12') };
    for (const [change, message] of [
      [{ 'agreedOn-day': '', 'agreedOn-month': '', 'agreedOn-year': '' }, 'Enter the date it was agreed'],
      [dateFields('agreedOn', '2099-01-01'), 'The date it was agreed must be today or in the past'],
      [{ 'agreedOn-day': '31', 'agreedOn-month': '2' }, 'The date it was agreed must be a real date'],
      [{ agreedWith: ' ' }, 'Enter who agreed this outcome with you'],
      [{ title: '' }, 'Enter the outcome'],
    ] as const) {
      const refused = await client.post(`${base()}/outcomes/new`, { ...good, ...change });
      expect(refused.statusCode).toBe(400);
      expect(refused.body).toContain(message);
      expect(refused.body).toContain('There is a problem');
    }
    expect(await ours()).toHaveLength(0);

    const created = await client.post(`${base()}/outcomes/new`, good);
    expect(created.statusCode).toBe(303);
    ids.outcome = created.headers.location!.split('/').pop()!;
    const second = await client.post(`${base()}/outcomes/new`, { ...good, title: 'More young people in work' });
    expect(second.statusCode).toBe(303);
    const rows = (await ours()).sort((a, b) => a.position - b.position);
    expect(rows.map((r) => [r.title, r.agreedWith, r.agreedOn, r.position, r.createdBy])).toEqual([
      ['Residents feel safer in Marsh Green', 'Residents at the Marsh Green listening event, 12 March 2025', '2025-03-12', 0, h.seed.userIds.member],
      ['More young people in work', 'Residents at the Marsh Green listening event, 12 March 2025', '2025-03-12', 1, h.seed.userIds.member],
    ]);
    const [audit] = await h.database.db.select().from(auditEvents).where(and(eq(auditEvents.action, 'impact.outcome-created'), eq(auditEvents.objectId, ids.outcome)));
    expect(audit?.actorUserId).toBe(h.seed.userIds.member);

    const list = await client.get(base());
    expect(list.body).toContain('Agreed with Residents at the Marsh Green listening event, 12 March 2025 on 12 March 2025.');
    expect(list.body.indexOf('Residents feel safer')).toBeLessThan(list.body.indexOf('More young people'));
    expect(list.body).toContain('Add an outcome');
  });

  it('adds a manual measure and its measurements, shown in the chart, the table and in words with their sources', async () => {
    const client = await signedIn(emailOf('member'));
    const outcome = `${base()}/outcomes/${ids.outcome}`;
    const step1 = await client.get(`${outcome}/measures/new`);
    expect(step1.statusCode).toBe(200);
    expect(step1.body).toContain('Where do the values come from?');
    expect(step1.body).toContain('value="manual"');
    const step2 = await client.get(`${outcome}/measures/new?source=manual`);
    expect(step2.statusCode).toBe(200);
    expect(step2.body).toContain('name="source" value="manual"');

    const good = { source: 'manual', name: 'Residents who feel safe after dark', unit: '%', baselineValue: '42', ...dateFields('baselineOn', '2025-03-01'), targetValue: '60', ...dateFields('targetOn', '2027-03-31'), direction: 'increase', cadence: 'quarterly', sourceNote: 'Marsh Green residents’ survey' };
    for (const [change, message] of [
      [dateFields('targetOn', '2025-02-01'), 'The target date must be after the baseline date'],
      [{ baselineValue: 'forty' }, 'Enter the baseline as a number, like 42.5'],
      [{ sourceNote: '' }, 'Enter where the figures come from'],
      [{ cadence: 'weekly' }, 'Choose how often it is measured'],
    ] as const) {
      const refused = await client.post(`${outcome}/measures`, { ...good, ...change });
      expect(refused.statusCode).toBe(400);
      expect(refused.body).toContain(message);
    }
    expect(await h.database.db.select().from(impactMeasures).where(eq(impactMeasures.outcomeId, ids.outcome))).toHaveLength(0);
    expect((await client.post(`${outcome}/measures`, good)).statusCode).toBe(303);
    const [measure] = await h.database.db.select().from(impactMeasures).where(eq(impactMeasures.outcomeId, ids.outcome));
    expect(measure).toMatchObject({ name: 'Residents who feel safe after dark', source: 'manual', sourceRef: {}, unit: '%', baselineValue: 42, baselineOn: '2025-03-01', targetValue: 60, targetOn: '2027-03-31', direction: 'increase', cadence: 'quarterly' });
    ids.measure = measure!.id;

    const p = `m${ids.measure.slice(0, 8)}-`;
    const add = `${outcome}/measures/${ids.measure}/measurements`;
    const refused = await client.post(add, { ...dateFields(`${p}measuredOn`, '2025-06-30'), [`${p}value`]: '45', [`${p}source`]: '' });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('Enter where this figure comes from');
    expect(refused.body).toContain(`href="#${p}source"`);
    const notNumber = await client.post(add, { ...dateFields(`${p}measuredOn`, '2025-06-30'), [`${p}value`]: '45%', [`${p}source`]: 'Survey' });
    expect(notNumber.statusCode).toBe(400);
    expect(notNumber.body).toContain('Enter the value as a number, like 42.5');
    expect(await h.database.db.select().from(impactMeasurements)).toHaveLength(0);

    expect((await client.post(add, { ...dateFields(`${p}measuredOn`, '2025-12-31'), [`${p}value`]: '51', [`${p}source`]: 'Residents’ survey, December 2025 (198 replies)' })).statusCode).toBe(303);
    expect((await client.post(add, { ...dateFields(`${p}measuredOn`, '2025-06-30'), [`${p}value`]: '45.5', [`${p}source`]: 'Residents’ survey, June 2025 (212 replies)', [`${p}note`]: 'Asked at the summer fair' })).statusCode).toBe(303);

    const page = await client.get(outcome);
    expect(page.statusCode).toBe(200);
    const sentence = 'Up from 42% (baseline, March 2025) to 51% (December 2025); target 60% by March 2027. Moving the right way and on track to reach the target.';
    expect(page.body).toContain(sentence);
    expect(page.body).toMatch(/<th scope="row" class="govuk-table__header">30 June 2025<\/th>\s*<td class="govuk-table__cell govuk-table__cell--numeric">45.5%<\/td>\s*<td class="govuk-table__cell">Residents’ survey, June 2025 \(212 replies\)<br><span class="govuk-body-s">Asked at the summer fair<\/span><\/td>/);
    expect(page.body).toMatch(/<th scope="row" class="govuk-table__header">31 December 2025<\/th>\s*<td class="govuk-table__cell govuk-table__cell--numeric">51%<\/td>\s*<td class="govuk-table__cell">Residents’ survey, December 2025 \(198 replies\)/);
    expect(page.body).toMatch(/1 March 2025 \(baseline\)<\/th>\s*<td class="govuk-table__cell govuk-table__cell--numeric">42%<\/td>\s*<td class="govuk-table__cell">Marsh Green residents’ survey<\/td>/);
    expect(page.body).toMatch(/31 March 2027 \(target\)<\/th>\s*<td class="govuk-table__cell govuk-table__cell--numeric">60%<\/td>/);
    expect(page.body).toContain('<desc id="chart-1-desc">Values over time: 30 June 2025, 45.5%; 31 December 2025, 51%. Baseline 42% in March 2025. Target 60% by March 2027.</desc>');
    expect(page.body.match(/class="pw-progress-chart__point"/g)).toHaveLength(2);
    // Quarterly after 31 December 2025: due 31 March 2026, long past.
    expect(page.body).toMatch(/31 March 2026 <strong class="govuk-tag govuk-tag--red">Overdue<\/strong>/);

    const list = await client.get(base());
    expect(list.body).toContain(sentence);
    expect(list.body).toContain('On track');

    const [progress] = await outcomeProgress(h.database.db, fx.partnershipId);
    expect(progress!.measures[0]).toMatchObject({ latest: { value: 51, source: 'Residents’ survey, December 2025 (198 replies)' }, onTrack: true, movement: 'right-way', nextDue: '2026-03-31', overdue: true });
    expect(progress!.measures[0]!.measurements.map((m) => [m.measuredOn, m.value])).toEqual([
      ['2025-06-30', 45.5],
      ['2025-12-31', 51],
    ]);

    // Deleting the latest value: the earlier one becomes the latest.
    const latest = progress!.measures[0]!.latest!;
    expect((await client.post(`${add}/${latest.id}/delete`)).statusCode).toBe(303);
    expect((await client.get(outcome)).body).toContain('Up from 42% (baseline, March 2025) to 45.5% (June 2025)');
    expect((await client.post(`${add}/${latest.id}/delete`)).statusCode).toBe(404);
  });

  it('changes a measure but not its source', async () => {
    const client = await signedIn(emailOf('member'));
    const edit = `${base()}/outcomes/${ids.outcome}/measures/${ids.measure}/edit`;
    const form = await client.get(edit);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('value="Residents who feel safe after dark"');
    const good = { name: 'Residents who feel safe walking after dark', unit: '%', baselineValue: '42', ...dateFields('baselineOn', '2025-03-01'), targetValue: '65', ...dateFields('targetOn', '2027-03-31'), direction: 'increase', cadence: 'six-monthly', sourceNote: 'Marsh Green residents’ survey', source: 'support' };
    const refused = await client.post(edit, { ...good, targetValue: '' });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('Enter the target');
    expect((await client.post(edit, good)).statusCode).toBe(303);
    const [m] = await h.database.db.select().from(impactMeasures).where(eq(impactMeasures.id, ids.measure));
    expect(m).toMatchObject({ name: 'Residents who feel safe walking after dark', targetValue: 65, cadence: 'six-monthly', source: 'manual' });
  });

  it('refuses a stale edit of an outcome with a clear conflict message', async () => {
    const client = await signedIn(emailOf('member'));
    const edit = `${base()}/outcomes/${ids.outcome}/edit`;
    const form = await client.get(edit);
    expect(form.body).toContain('name="version" value="1"');
    const fields = { title: 'Residents feel safe in Marsh Green', agreedWith: 'Residents at the listening event', ...dateFields('agreedOn', '2025-03-12'), version: '1' };
    expect((await client.post(edit, fields)).statusCode).toBe(303);
    const stale = await client.post(edit, { ...fields, title: 'A stale change' });
    expect(stale.statusCode).toBe(409);
    expect(stale.body).toContain('Someone else changed this outcome while you were editing');
    expect(stale.body).toContain('name="version" value="2"');
    const [row] = await h.database.db.select().from(impactOutcomes).where(eq(impactOutcomes.id, ids.outcome));
    expect([row!.title, row!.version]).toEqual(['Residents feel safe in Marsh Green', 2]);
    const bad = await client.post(edit, { ...fields, version: '2', ...dateFields('agreedOn', '2099-01-01') });
    expect(bad.statusCode).toBe(400);
    expect((await h.database.db.select().from(impactOutcomes).where(eq(impactOutcomes.id, ids.outcome)))[0]!.version).toBe(2);
  });

  it('shows the outcome’s stories beside the numbers', async () => {
    const [story] = await h.database.db.insert(impactStories).values({ partnershipId: fx.partnershipId, toldOn: '2025-07-01', title: 'Walking home again', body: 'Sample data: a resident walks home after the new lights.', consent: 'not-asked', sample: true }).returning();
    await h.database.db.insert(impactStoryOutcomes).values({ storyId: story!.id, outcomeId: ids.outcome });
    const client = await signedIn(emailOf('viewer'));
    const page = await client.get(`${base()}/outcomes/${ids.outcome}`);
    expect(page.body).toContain('Walking home again');
    expect(page.body).toContain('Not published');
  });

  it('links a measure only to a figure Patchwork offered, and stores its points once', async () => {
    const client = await signedIn(emailOf('member'));
    const outcome = `${base()}/outcomes/${ids.outcome}`;
    linked.choices = [];
    const none = await client.get(`${outcome}/measures/new?source=indicator`);
    expect(none.statusCode).toBe(200);
    expect(none.body).toContain('Patchwork has no Indices of Deprivation figures');
    expect(none.body).toContain('measures/new?source=manual');

    const choice: LinkedChoice = { source: 'indicator', ref: { domain: 'crime', vintage: 'ward19', code: fx.wardCode }, label: 'Crime domain score, Worsley Mesnes', unit: 'score', direction: 'decrease', sourceNote: 'English Indices of Deprivation 2019' };
    linked.choices = [choice];
    linked.points = [
      { measuredOn: '2015-09-30', value: 1.2, source: 'English Indices of Deprivation 2015' },
      { measuredOn: '2019-09-26', value: 0.9, source: 'English Indices of Deprivation 2019' },
    ];
    linked.notes = ['fewer than 5, not shown'];
    const form = await client.get(`${outcome}/measures/new?source=indicator`);
    expect(form.body).toContain('Crime domain score, Worsley Mesnes');
    const fields = { source: 'indicator', name: '', unit: '', baselineValue: '1.2', ...dateFields('baselineOn', '2015-09-30'), targetValue: '0.8', ...dateFields('targetOn', '2028-09-30'), cadence: 'annually', sourceNote: '' };
    const forged = await client.post(`${outcome}/measures`, { ...fields, choice: refKey({ domain: 'crime', vintage: 'ward19', code: 'E05999999' }) });
    expect(forged.statusCode).toBe(400);
    expect(forged.body).toContain('Choose which of Patchwork’s figures this measure follows');
    expect(await h.database.db.select().from(impactMeasures).where(eq(impactMeasures.source, 'indicator'))).toHaveLength(0);

    const created = await client.post(`${outcome}/measures`, { ...fields, choice: refKey(choice.ref) });
    expect(created.statusCode).toBe(303);
    const [m] = await h.database.db.select().from(impactMeasures).where(eq(impactMeasures.source, 'indicator'));
    expect(m).toMatchObject({ name: 'Crime domain score, Worsley Mesnes', unit: 'score', direction: 'decrease', sourceNote: 'English Indices of Deprivation 2019', sourceRef: choice.ref });
    expect(linked.calls.at(-1)!.slice(2)).toEqual([fx.partnershipId, 'indicator', choice.ref, h.app.config.suppressionThreshold]);
    const page = await client.get(outcome);
    expect(page.body).toContain('Measure added with 2 values from Patchwork’s data. fewer than 5, not shown');
    expect(page.body).toContain('Update from Patchwork’s data');

    linked.points = [...linked.points, { measuredOn: '2025-10-30', value: 0.7, source: 'English Indices of Deprivation 2025' }];
    expect((await client.post(`${outcome}/measures/${m!.id}/refresh`)).statusCode).toBe(303);
    expect((await client.get(outcome)).body).toContain('1 new value added to Crime domain score, Worsley Mesnes from Patchwork’s data');
    const stored = await h.database.db.select().from(impactMeasurements).where(eq(impactMeasurements.measureId, m!.id));
    expect(stored.map((s) => [s.measuredOn, s.value, s.source]).sort()).toEqual([
      ['2015-09-30', 1.2, 'English Indices of Deprivation 2015'],
      ['2019-09-26', 0.9, 'English Indices of Deprivation 2019'],
      ['2025-10-30', 0.7, 'English Indices of Deprivation 2025'],
    ]);
    // A figure no longer offered (or one this person cannot see) is said plainly, and nothing changes.
    linked.refuse = true;
    const refused = await client.post(`${outcome}/measures/${m!.id}/refresh`);
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('Crime domain score, Worsley Mesnes could not be updated from Patchwork’s data: That is not something');
    expect(refused.body).toContain(`href="#refresh-${m!.id}"`);
    linked.refuse = false;
    // Values of a linked measure come from the data, not typed in.
    const p = `m${m!.id.slice(0, 8)}-`;
    const typed = await client.post(`${outcome}/measures/${m!.id}/measurements`, { ...dateFields(`${p}measuredOn`, '2025-06-30'), [`${p}value`]: '3', [`${p}source`]: 'Guess' });
    expect(typed.statusCode).toBe(400);
    expect(await h.database.db.select().from(impactMeasurements).where(eq(impactMeasurements.measureId, m!.id))).toHaveLength(3);
  });

  it('lets a viewer of the partnership read but not change', async () => {
    const client = await signedIn(emailOf('viewer'));
    const list = await client.get(base());
    expect(list.statusCode).toBe(200);
    expect(list.body).not.toContain('Add an outcome');
    const page = await client.get(`${base()}/outcomes/${ids.outcome}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain('Add measurement');
    expect(page.body).not.toContain('Change the outcome');
    expect((await client.get(`${base()}/outcomes/new`)).statusCode).toBe(403);
    expect((await client.post(`${base()}/outcomes/new`, { title: 'x' })).statusCode).toBe(403);
    expect((await client.post(`${base()}/outcomes/${ids.outcome}/measures/${ids.measure}/measurements`, {})).statusCode).toBe(403);
  });

  it('lets a member of a partner organisation add to the framework', async () => {
    const client = await signedIn('partner@example.org');
    expect((await client.get(`${base()}/outcomes/new`)).statusCode).toBe(200);
  });

  it('keeps another partnership’s people out, and another partnership’s records are not found', async () => {
    const elsewhere = await signedIn('elsewhere@example.org');
    const o = `${base()}/outcomes/${ids.outcome}`;
    for (const url of [base(), `${base()}/outcomes/new`, o, `${o}/edit`, `${o}/measures/new`, `${o}/measures/${ids.measure}/edit`]) expect((await elsewhere.get(url)).statusCode, url).toBe(403);
    for (const url of [`${base()}/outcomes/new`, `${o}/edit`, `${o}/measures`, `${o}/measures/${ids.measure}/measurements`, `${o}/measures/${ids.measure}/refresh`]) expect((await elsewhere.post(url, { title: 'x' })).statusCode, url).toBe(403);

    const member = await signedIn(emailOf('member'));
    const theirs = `${base()}/outcomes/${ids.otherOutcome}`;
    for (const url of [theirs, `${theirs}/edit`, `${theirs}/measures/new`, `${o}/measures/${ids.otherMeasure}/edit`, `${base()}/outcomes/not-a-uuid`]) expect((await member.get(url)).statusCode, url).toBe(404);
    for (const url of [`${theirs}/edit`, `${theirs}/measures`, `${o}/measures/${ids.otherMeasure}/measurements`, `${o}/measures/${ids.otherMeasure}/refresh`]) expect((await member.post(url, { title: 'x' })).statusCode, url).toBe(404);
    const [theirOutcome] = await h.database.db.select().from(impactOutcomes).where(eq(impactOutcomes.id, ids.otherOutcome));
    expect(theirOutcome!.title).toBe('Not ours');
  });
});

describe('progress in words', () => {
  const measure = { id: 'm', outcomeId: 'o', name: 'Emergency admissions', source: 'manual' as const, sourceRef: {}, unit: 'people', baselineValue: 200, baselineOn: '2025-01-01', targetValue: 150, targetOn: '2027-01-01', direction: 'decrease' as const, cadence: 'annually' as const, sourceNote: 'Hospital trust', createdAt: new Date(), updatedAt: new Date() };
  const at = (measuredOn: string, value: number) => ({ id: measuredOn, measuredOn, value, source: 'Hospital trust', note: null });

  it('says which way a measure is moving and whether it is on track', () => {
    expect(measureProgress(measure, [at('2026-01-01', 190)], '2026-02-01')).toMatchObject({
      sentence: 'Down from 200 people (baseline, January 2025) to 190 people (January 2026); target 150 people by January 2027. Moving the right way, but not fast enough to reach the target on time.',
      movement: 'right-way',
      onTrack: false,
      nextDue: '2027-01-01',
      overdue: false,
    });
    expect(measureProgress(measure, [at('2026-01-01', 170)], '2026-02-01')).toMatchObject({ onTrack: true, movement: 'right-way' });
    expect(measureProgress(measure, [at('2026-01-01', 140)], '2026-02-01').sentence).toMatch(/Target reached\.$/);
    expect(measureProgress(measure, [at('2026-01-01', 210)], '2026-02-01')).toMatchObject({ movement: 'wrong-way', onTrack: false });
    expect(measureProgress(measure, [at('2026-01-01', 210)], '2026-02-01').sentence).toMatch(/^Up from 200 people .* Moving the wrong way\.$/);
    expect(measureProgress(measure, [], '2026-02-01')).toMatchObject({ sentence: 'No measurements yet since the baseline of 200 people (January 2025); target 150 people by January 2027.', onTrack: null, movement: 'no-data', nextDue: '2026-01-01', overdue: true });
    const hold = { ...measure, direction: 'maintain' as const, targetValue: 200 };
    expect(measureProgress(hold, [at('2026-01-01', 204)], '2026-02-01')).toMatchObject({ onTrack: true, movement: 'no-change' });
    expect(measureProgress(hold, [at('2026-01-01', 240)], '2026-02-01').sentence).toMatch(/moved away from where the partnership wants it to stay\.$/);
  });
});
