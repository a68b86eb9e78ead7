import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { cliActor } from '../../platform/audit/audit.ts';
import { Client, emailOf, useSeededApp } from '../../../tests/support/app.ts';
import { engines } from '../../../tests/support/engines.ts';
import { addRow, createModel, modelOf } from './models.ts';
import { addMeasurement, createMeasure, createOutcome } from './outcomes.ts';
import { createStory, setStoryPublished } from './story-service.ts';
import { impactReport } from './report.ts';
import { seedImpact, type ImpactFixture } from './testing.ts';

/**
 * The impact report brings the outcomes' progress, the published stories and each SROI model together; a story
 * without consent to publish stays out of it, and the PDF carries the same figures with their sources.
 */
describe.each(engines)('impact report on %s', (engine) => {
  const h = useSeededApp(engine);
  let f: ImpactFixture;

  const setUp = async () => {
    if (f) return;
    const db = h.database.db;
    f = await seedImpact(h.database, h.seed);
    const outcomeId = await createOutcome(db, f.partnershipId, { title: 'Fewer people feel lonely (sample data)', description: null, agreedWith: 'Residents at the Marsh Green listening event', agreedOn: '2025-03-12' }, cliActor);
    const measureId = await createMeasure(
      db,
      f.partnershipId,
      outcomeId,
      { source: 'manual', sourceRef: {}, name: 'Residents who often feel lonely', unit: '%', baselineValue: 30, baselineOn: '2025-03-01', targetValue: 20, targetOn: '2027-03-01', direction: 'decrease', cadence: 'annually', sourceNote: 'Marsh Green residents’ survey' },
      cliActor,
    );
    await addMeasurement(db, f.partnershipId, measureId, { measuredOn: '2026-03-01', value: 24, source: 'Residents’ survey, March 2026 (212 replies)', note: null }, cliActor);
    const story = { toldOn: '2026-05-01', body: 'She came to the lunch club and now runs it on Thursdays.', quote: 'I know everyone now', outcomeIds: [outcomeId], areas: [], sample: true };
    const published = await createStory(db, f.partnershipId, { ...story, title: 'Running the lunch club', consent: 'given', consentOn: '2026-05-01' }, cliActor);
    await setStoryPublished(db, f.partnershipId, published, true, cliActor);
    await createStory(db, f.partnershipId, { ...story, title: 'Not asked yet: the walking group', consent: 'not-asked', consentOn: null }, cliActor);
    const modelId = await createModel(db, f.partnershipId, { title: 'Lunch clubs (sample data)', period: 'April 2025 to March 2026', discountRate: 3.5, discountRateSource: 'HM Treasury Green Book (2022), 3.5% a year' }, cliActor);
    const model = (await modelOf(db, f.partnershipId, modelId))!;
    await addRow(db, model, 'input', { description: 'Coordinator time', amount: 10_000, inKind: false, source: 'Partnership budget 2025-26' }, cliActor);
    const assumption = (value: number, source: string) => ({ value, source });
    const a = { dw: assumption(20, 'Survey comparison group'), dp: assumption(0, 'No displacement expected'), at: assumption(10, 'Other groups'), dr: assumption(50, 'Follow-up survey') };
    await addRow(
      db,
      model,
      'outcome',
      {
        description: 'Fewer people lonely',
        stakeholder: 'Older residents',
        outcomeId,
        quantity: 10,
        quantitySource: 'Lunch club register',
        proxyId: null,
        proxyValue: 1_000,
        proxySource: 'Typed for the test: a sample proxy',
        durationYears: 2,
        deadweight: a.dw.value,
        deadweightSource: a.dw.source,
        displacement: a.dp.value,
        displacementSource: a.dp.source,
        attribution: a.at.value,
        attributionSource: a.at.source,
        dropOff: a.dr.value,
        dropOffSource: a.dr.source,
      },
      cliActor,
    );
    await addRow(db, model, 'cost', { service: 'GP appointments', people: 10, changePerPersonPerYear: 2, changeSource: 'Practice records', unitCost: 42, unitCostSource: 'PSSRU Unit Costs 2024', years: 1 }, cliActor);
  };

  it('brings progress, published stories and the SROI model together, with every source', async () => {
    await setUp();
    const report = (await impactReport(h.database.db, f.partnershipId))!;
    // 10 × £1,000 × 0.8 × 0.9 = £7,200 in year 1, £3,600 in year 2; discounted at 3.5%: 7200/1.035 + 3600/1.035² = £10,317.
    expect(report.models[0]!.result!.presentValue).toBeCloseTo(7200 / 1.035 + 3600 / 1.035 ** 2, 6);
    expect(report.stories.map((s) => s.title)).toEqual(['Running the lunch club']);
    expect(report.storiesHeldBack).toBe(1);
    expect(report.highlights).toContain('1 outcome agreed with the community, tracked by 1 measure.');
    expect(report.highlights).toContain('1 of the 1 measure with values is moving the right way, and 1 is on track to reach its target.');

    const client = new Client(h.app);
    await client.signIn('partner@example.org');
    const page = await client.get(`/partnerships/${f.partnershipId}/impact/report`);
    expect(page.statusCode).toBe(200);
    for (const text of ['Fewer people feel lonely (sample data)', 'Residents’ survey, March 2026 (212 replies)', 'Running the lunch club', '£10,317', 'Survey comparison group', 'PSSRU Unit Costs 2024', '£840']) expect(page.body).toContain(text);
    expect(page.body).not.toContain('Not asked yet: the walking group');
    expect(page.body).toContain('1 story is left out');

    const pdf = await client.get(`/partnerships/${f.partnershipId}/impact/report.pdf`);
    expect(pdf.statusCode).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect(pdf.rawPayload.subarray(0, 4).toString()).toBe('%PDF');
    if (!spawnSync('pdftotext', ['-v']).error || process.env.CI) {
      const text = spawnSync('pdftotext', ['-layout', '-', '-'], { input: pdf.rawPayload }).stdout.toString();
      for (const t of ['Sample Marsh Green Partnership', 'Residents who often feel lonely', 'Running the lunch club', '£10,317', 'Survey comparison group', 'Typed for the test: a sample proxy', 'Break-even proxy']) expect(text).toContain(t);
      expect(text).not.toContain('the walking group');
    }
  });

  it('is for the partnership’s members only', async () => {
    await setUp();
    const outsider = new Client(h.app);
    await outsider.signIn('elsewhere@example.org');
    expect((await outsider.get(`/partnerships/${f.partnershipId}/impact/report`)).statusCode).toBe(403);
    expect((await outsider.get(`/partnerships/${f.partnershipId}/impact/report.pdf`)).statusCode).toBe(403);
    const viewer = new Client(h.app);
    await viewer.signIn(emailOf('viewer'));
    expect((await viewer.get(`/partnerships/${f.partnershipId}/impact/report`)).statusCode).toBe(200);
  });
});
