import { spawnSync } from 'node:child_process';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { organisations } from '../../platform/auth/schema.ts';
import { areas, areaVintages } from '../geography/schema.ts';
import { areaSummaries, editions, indicators, indicatorValues } from '../indicators/schema.ts';
import { Client, emailOf, useSeededApp } from '../../../tests/support/app.ts';
import { engines } from '../../../tests/support/engines.ts';
import { boardReport } from './report.ts';
import { defaultPeriod, periodOf } from './report-routes.ts';
import { actions, actionUpdates, meetingDecisions, meetings, partnershipAreas, partnershipOrganisations, partnerships, priorities, priorityEvidence, strategicAims } from './schema.ts';

const at = (day: string) => new Date(`${day}T10:00:00Z`);
const period = { from: '2025-01-01', to: '2025-03-31' };

describe('the report period', () => {
  it('defaults to the last three months to today, and explains bad dates', () => {
    expect(defaultPeriod(new Date('2025-05-31T12:00:00Z'))).toEqual({ from: '2025-02-28', to: '2025-05-31' });
    expect(defaultPeriod(new Date('2025-01-15T12:00:00Z'))).toEqual({ from: '2024-10-15', to: '2025-01-15' });
    // Half past midnight on 1 July in England is still 30 June in UTC.
    expect(defaultPeriod(new Date('2025-06-30T23:30:00Z'))).toEqual({ from: '2025-04-01', to: '2025-07-01' });
    expect(periodOf({ from: '2025-13-01' }).errors?.fields.from?.text).toContain('is not a date');
    expect(periodOf({ from: '2025-03-01', to: '2025-02-01' }).errors?.fields.from?.text).toBe('The start of the period must be on or before its end');
    expect(periodOf({ from: '2025-03-01', to: '2025-03-01' }).errors).toBeNull();
  });
});

describe.each(engines)('the board report on %s', (engine) => {
  const h = useSeededApp(engine);
  const ids = { partnership: '', meeting: '' };

  // Sample data: a small plan whose figures are worked out by hand in the tests below.
  const setUp = async () => {
    if (ids.partnership) return;
    const db = h.database.db;
    const testOrg = h.seed.organisationId;
    const [other] = await db.insert(organisations).values({ slug: 'other-org', name: 'Other Organisation', kind: 'council' }).returning({ id: organisations.id });
    const [p] = await db.insert(partnerships).values({ name: 'Sample Riverside Partnership', leadOrganisationId: testOrg, stage: 'nurture' }).returning({ id: partnerships.id });
    ids.partnership = p!.id;
    await db.insert(partnershipOrganisations).values([
      { partnershipId: p!.id, organisationId: testOrg },
      { partnershipId: p!.id, organisationId: other!.id },
    ]);
    await db.insert(partnershipAreas).values({ partnershipId: p!.id, areaVintage: 'ward19', areaCode: 'E05000650' });
    const [aim] = await db.insert(strategicAims).values({ ownerOrganisationId: other!.id, title: 'Healthier lives' }).returning({ id: strategicAims.id });
    const [pr] = await db.insert(priorities).values({ partnershipId: p!.id, aimId: aim!.id, title: 'Warm spaces' }).returning({ id: priorities.id });
    await db.insert(priorityEvidence).values({ priorityId: pr!.id, kind: 'indicator', indicatorId: 'iod2019.imd', areaCode: 'E01000001' });
    const [m] = await db.insert(meetings).values({ partnershipId: p!.id, heldOn: '2025-02-05', title: 'Board, February' }).returning({ id: meetings.id });
    ids.meeting = m!.id;
    await db.insert(meetingDecisions).values({ meetingId: m!.id, text: 'Agree the winter budget', priorityId: pr!.id });
    const [later] = await db.insert(meetings).values({ partnershipId: p!.id, heldOn: '2025-04-20', title: 'Board, April' }).returning({ id: meetings.id });
    await db.insert(meetingDecisions).values({ meetingId: later!.id, text: 'Outside the period' });
    const action = async (title: string, owner: string, values: Partial<typeof actions.$inferInsert>) =>
      (await db.insert(actions).values({ partnershipId: p!.id, priorityId: pr!.id, title, ownerOrganisationId: owner, leadName: `Lead of ${title}`, ...values }).returning({ id: actions.id }))[0]!.id;
    const lights = await action('Fix the lights', testOrg, { dueOn: '2025-02-01', status: 'at-risk', createdAt: at('2024-12-01') });
    const warm = await action('Open a warm space', other!.id, { dueOn: '2025-03-01', status: 'done', completedAt: at('2025-02-20'), createdAt: at('2025-01-15'), meetingId: m!.id });
    const survey = await action('Survey residents', other!.id, { startOn: '2024-11-01', dueOn: '2025-03-15', status: 'not-started', createdAt: at('2024-11-01') });
    await action('Later work', testOrg, { dueOn: '2025-06-30', createdAt: at('2025-04-10') });
    await action('Done earlier', testOrg, { dueOn: '2024-12-01', status: 'done', completedAt: at('2024-12-01'), createdAt: at('2024-10-01') });
    await db.insert(actionUpdates).values([
      { actionId: lights, status: 'on-track', note: 'Contractor booked', createdAt: at('2024-12-15'), createdBy: h.seed.userIds.member },
      { actionId: lights, status: 'at-risk', note: 'Contractor late', createdAt: at('2025-02-10'), createdBy: h.seed.userIds.member },
      { actionId: warm, status: 'done', note: 'Opened at the library', createdAt: at('2025-02-20') },
      { actionId: survey, status: 'not-started', note: 'Still planning', createdAt: at('2025-03-05') },
    ]);
  };

  it('counts actions by status now and the moves made in the period only', async () => {
    await setUp();
    const report = (await boardReport(h.database.db, ids.partnership, period))!;
    expect(report.partnership).toMatchObject({ name: 'Sample Riverside Partnership', stage: 'nurture', organisations: ['Other Organisation', 'Test Organisation'] });
    expect(Object.fromEntries(report.actionsByStatus.map((s) => [s.status, [s.now, s.movedInto]]))).toEqual({
      'not-started': [2, 0],
      'on-track': [0, 0], // moved to on track in December, before the period
      'at-risk': [1, 1],
      'off-track': [0, 0],
      done: [2, 1],
    });
    expect(report.totals).toEqual({ actions: 5, changedStatus: 2 });
    expect(report.whatChanged.map((c) => [c.actionTitle, c.fromStatus, c.toStatus, c.note, c.by])).toEqual([
      ['Fix the lights', 'on-track', 'at-risk', 'Contractor late', 'Test member'],
      ['Open a warm space', 'not-started', 'done', 'Opened at the library', null],
      ['Survey residents', 'not-started', 'not-started', 'Still planning', null],
    ]);
  });

  it('lists overdue actions by owner, completions, new actions with their meeting, meetings and decisions', async () => {
    await setUp();
    const report = (await boardReport(h.database.db, ids.partnership, period))!;
    expect(report.overdue.map((g) => [g.organisation, g.actions.map((a) => a.title)])).toEqual([
      ['Other Organisation', ['Survey residents']],
      ['Test Organisation', ['Fix the lights']],
    ]);
    expect(report.completed.map((a) => a.title)).toEqual(['Open a warm space']);
    expect(report.newActions.map((a) => [a.title, a.meeting?.title])).toEqual([['Open a warm space', 'Board, February']]);
    expect(report.meetings).toEqual([{ id: ids.meeting, title: 'Board, February', heldOn: '2025-02-05', decisions: [{ text: 'Agree the winter budget', priorityTitle: 'Warm spaces' }] }]);
    expect(report.highlights).toEqual(['Done: Open a warm space (Other Organisation)', 'Decided at Board, February, 2025-02-05: Agree the winter budget']);
    // Nothing of the Indices of Deprivation is loaded in this database, and the report says so.
    expect(report.keyIndicators[0]).toMatchObject({ code: 'E05000650', notLoaded: expect.stringContaining('not loaded') });
    expect(report.keyIndicators[1]!.figures[0]).toMatchObject({ value: 'not loaded' });
    // An earlier period sees the December move and nothing overdue that was due later.
    const december = (await boardReport(h.database.db, ids.partnership, { from: '2024-12-01', to: '2024-12-31' }))!;
    expect(december.actionsByStatus.find((s) => s.status === 'on-track')!.movedInto).toBe(1);
    expect(december.overdue).toEqual([]);
  });

  it('serves the page, the CSV of actions and the PDF to members, and refuses bad dates', async () => {
    await setUp();
    const client = new Client(h.app);
    await client.signIn(emailOf('viewer'));
    const url = `/partnerships/${ids.partnership}/report`;
    const page = await client.get(`${url}?from=2025-01-01&to=2025-03-31`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toMatch(/<caption class="govuk-table__caption govuk-table__caption--s">Test Organisation: 1 overdue<\/caption>/);
    expect(page.body).toContain(`href="${url}.pdf?from=2025-01-01&amp;to=2025-03-31"`);
    expect(page.body).toContain('not loaded');
    expect((await client.get(url)).statusCode).toBe(200);

    const bad = await client.get(`${url}?from=2025-02-30`);
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('“2025-02-30” is not a date');
    const backwards = await client.get(`${url}?from=2025-03-01&to=2025-01-01`);
    expect(backwards.statusCode).toBe(400);
    expect(backwards.body).toContain('The start of the period must be on or before its end');
    expect((await client.get(`${url}.csv?to=yesterday`)).statusCode).toBe(400);
    expect((await client.get(`${url}.pdf?from=2025-03-01&to=2025-01-01`)).statusCode).toBe(400);

    const csv = await client.get(`${url}.csv?from=2025-01-01&to=2025-03-31`);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const rows = parse(csv.body, { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(5);
    expect(Object.keys(rows[0]!)).toEqual(['id', 'priority', 'aim', 'title', 'owner_organisation', 'lead', 'start', 'due', 'status', 'overdue', 'completed_at', 'last_update_date', 'last_update_note']);
    const byTitle = new Map(rows.map((r) => [r.title, r]));
    expect(byTitle.get('Fix the lights')).toMatchObject({ priority: 'Warm spaces', aim: 'Healthier lives', owner_organisation: 'Test Organisation', lead: 'Lead of Fix the lights', due: '2025-02-01', status: 'at-risk', overdue: 'yes', last_update_date: '2025-02-10', last_update_note: 'Contractor late' });
    expect(byTitle.get('Survey residents')).toMatchObject({ start: '2024-11-01', overdue: 'yes' });
    expect(byTitle.get('Open a warm space')).toMatchObject({ overdue: 'no', completed_at: '2025-02-20T10:00:00.000Z' });
    expect(byTitle.get('Later work')).toMatchObject({ overdue: 'no', last_update_date: '' });

    const pdf = await client.get(`${url}.pdf?from=2025-01-01&to=2025-03-31`);
    expect(pdf.statusCode).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect(pdf.rawPayload.subarray(0, 4).toString()).toBe('%PDF');
    const hasPdftotext = !spawnSync('pdftotext', ['-v']).error;
    if (hasPdftotext || process.env.CI) {
      const text = spawnSync('pdftotext', ['-layout', '-', '-'], { input: pdf.rawPayload }).stdout.toString();
      expect(text).toContain('Sample Riverside Partnership');
      expect(text).toContain('Fix the lights');
      expect(text).toContain('Overdue actions, by owning organisation');
    }

    const outsider = new Client(h.app);
    await outsider.signIn(emailOf('outsider'));
    expect((await outsider.get(url)).statusCode).toBe(403);
    expect((await outsider.get(`${url}.csv`)).statusCode).toBe(403);
  });
  it('shows each ward’s IMD in the latest and previous editions, and evidence indicators with their change', async () => {
    await setUp();
    const db = h.database.db;
    // Sample data: two invented editions over two wards, so ranks, deciles and changes can be worked out by hand.
    await db.insert(areaVintages).values({ id: 'ward19', type: 'ward', year: 2019, label: 'Wards 2019' }).onConflictDoNothing();
    await db.insert(areas).values([
      { vintage: 'ward19', code: 'E05000650', name: 'Sample Ward A' },
      { vintage: 'ward19', code: 'E05000651', name: 'Sample Ward B' },
    ]);
    const edition = (id: string, label: string, publishedOn: string) => ({ id, label, lsoaVintage: 'lsoa11', ladVintage: 'lad19', wardVintage: 'ward19', populationIndicatorId: `${id}.population`, publishedOn, publisher: 'Sample publisher', licence: 'OGL-UK-3.0', lsoaCount: 2 });
    await db.insert(editions).values([edition('sample2015', 'Sample IoD 2015', '2015-09-30'), edition('sample2019', 'Sample IoD 2019', '2019-09-26')]);
    const indicator = (editionId: string) => ({ id: `${editionId}.imd`, editionId, domain: 'imd', label: 'Sample IMD score', unit: 'score', direction: 'higher-is-worse' as const, vintage: 'lsoa11', period: editionId, source: 'Sample', licence: 'OGL-UK-3.0' });
    await db.insert(indicators).values([indicator('sample2015'), indicator('sample2019')]);
    const summary = (editionId: string, code: string, averageScore: number, rankAverageScore: number) => ({ indicatorId: `${editionId}.imd`, vintage: 'ward19', code, lsoaCount: 1, decileCounts: [0, 0, 0, 0, 0, 0, 0, 0, 0, 1], mostDeprived1pct: 0, proportionBottomDecile: 0, averageScore, rankAverageScore });
    await db.insert(areaSummaries).values([summary('sample2019', 'E05000650', 40.5, 1), summary('sample2019', 'E05000651', 10, 2), summary('sample2015', 'E05000650', 35.25, 2), summary('sample2015', 'E05000651', 38, 1)]);
    await db.insert(indicatorValues).values([
      { indicatorId: 'sample2019.imd', code: 'E01000001', value: 30 },
      { indicatorId: 'sample2015.imd', code: 'E01000001', value: 32.5 },
    ]);
    await db.update(priorityEvidence).set({ indicatorId: 'sample2019.imd' });
    const report = (await boardReport(db, ids.partnership, period))!;
    expect(report.partnership.places).toEqual(['Sample Ward A (E05000650)']);
    const [ward, evidence] = report.keyIndicators;
    expect(ward).toMatchObject({ area: 'Sample Ward A', code: 'E05000650', notLoaded: null });
    // 2019: rank 1 of 2 wards is decile ⌈10 × 1 / 2⌉ = 5; 2015: rank 2 of 2 is decile 10.
    expect(ward!.figures.map((f) => [f.value, f.then, f.change])).toEqual([
      ['40.50', '35.25 (Sample IoD 2015)', '+5.25'],
      ['5', '10 (Sample IoD 2015)', '−5 deciles'],
    ]);
    expect(evidence!.figures[0]).toMatchObject({ label: 'Sample IMD score (score)', value: '30.00', then: '32.50 (Sample IoD 2015)', change: '−2.50' });
    const client = new Client(h.app);
    await client.signIn(emailOf('viewer'));
    expect((await client.get(`/partnerships/${ids.partnership}/report?from=2025-01-01&to=2025-03-31`)).body).toMatch(/Sample Ward A \(E05000650\)<\/caption>[\s\S]*?<td class="govuk-table__cell">40.50<\/td>/);
  });
});
