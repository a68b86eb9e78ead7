import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../../platform/audit/audit.ts';
import type { Viewer } from '../../platform/auth/permissions.ts';
import { todayInEngland } from '../../platform/web/dates.ts';
import { engines } from '../../../tests/support/engines.ts';
import { Client, emailOf, useSeededApp } from '../../../tests/support/app.ts';
import { socialValueCommitments } from '../community-wealth/schema.ts';
import { addContract, addMeasure, recordDelivery } from '../community-wealth/social-value.ts';
import { linkedChoices, linkedSeries } from './linked-sources.ts';
import { createOutcome } from './outcomes.ts';
import { outcomePath } from './web.ts';
import { seedImpact, type ImpactFixture } from './testing.ts';
import { financialYearOfDate } from '../community-wealth/financial-years.ts';

/** Measures linked to the social value delivered under the partnership's organisations' contracts (sample data). */
describe.each(engines)('measures linked to social value delivered (%s)', (engine) => {
  const h = useSeededApp(engine);
  let f: ImpactFixture;
  let member: Viewer;
  let elsewhere: Viewer;
  const ids = { jobs: '', partnerHours: '', theirs: '' };

  beforeAll(async () => {
    f = await seedImpact(h.database, h.seed);
    member = { user: { id: h.seed.userIds.member!, email: 'member@example.org', name: 'Member', isSiteAdmin: false }, organisationIds: [f.organisationId] };
    elsewhere = { user: { id: f.userIds.elsewhere, email: 'elsewhere@example.org', name: 'Elsie', isSiteAdmin: false }, organisationIds: [f.otherOrganisationId] };
    const db = h.database.db;
    ids.jobs = await addMeasure(db, f.organisationId, { name: 'Local jobs (sample data)', unit: 'jobs', proxyValue: null, proxySource: null }, cliActor);
    ids.partnerHours = await addMeasure(db, f.partnerOrganisationId, { name: 'Volunteering hours (sample data)', unit: 'hours', proxyValue: null, proxySource: null }, cliActor);
    ids.theirs = await addMeasure(db, f.otherOrganisationId, { name: 'Their measure (sample data)', unit: 'things', proxyValue: null, proxySource: null }, cliActor);
    const today = todayInEngland();
    const contract = await addContract(db, f.organisationId, { title: 'Sample contract (sample data)', reference: null, supplierId: null, startsOn: '2022-04-01', endsOn: `${Number(today.slice(0, 4)) + 1}-03-31`, valuePence: null }, [{ measureId: ids.jobs, promised: 20, areaVintage: null, areaCode: null }], cliActor);
    const [commitment] = await db.select().from(socialValueCommitments).where(eq(socialValueCommitments.contractId, contract));
    // 2022 to 2023: 2; 2023 to 2024: 4 + 1.5; nothing later until today, in the year still running.
    for (const [deliveredOn, quantity] of [['2022-06-01', 2], ['2023-09-30', 4], ['2024-01-15', 1.5], [today, 3]] as const) {
      await recordDelivery(db, f.organisationId, commitment!.id, { deliveredOn, quantity, evidence: 'Payroll records (sample data)' }, cliActor);
    }
  });

  const series = (ref: Record<string, string>, viewer = member, partnershipId = f.partnershipId) => linkedSeries(h.database.db, viewer, partnershipId, 'social-value', ref, 5);

  it('offers each measure of the partnership’s organisations, and no one else’s', async () => {
    const choices = await linkedChoices(h.database.db, member, f.partnershipId, 'social-value');
    expect(choices.map((c) => c.ref.measureId).sort()).toEqual([ids.jobs, ids.partnerHours].sort());
    const jobs = choices.find((c) => c.ref.measureId === ids.jobs)!;
    expect(jobs).toMatchObject({ source: 'social-value', ref: { measureId: ids.jobs }, label: 'Local jobs (sample data) delivered under Test Organisation’s contracts, per financial year', unit: 'jobs', direction: 'increase' });
    expect(jobs.sourceNote).toContain('not a published statistic');
    expect(await linkedChoices(h.database.db, elsewhere, f.partnershipId, 'social-value')).toEqual([]);
  });

  it('gives what was delivered each financial year that is over, dated at its end, with the years between as nothing', async () => {
    const result = await series({ measureId: ids.jobs });
    const running = financialYearOfDate(todayInEngland());
    const source = (start: number) => `Social value delivered under Test Organisation’s contracts: Local jobs (sample data) (jobs), April ${start} to March ${start + 1}`;
    expect(result.points.slice(0, 2)).toEqual([
      { measuredOn: '2023-03-31', value: 2, source: source(2022) },
      { measuredOn: '2024-03-31', value: 5.5, source: source(2023) },
    ]);
    expect(result.points).toHaveLength(running - 2022);
    expect(result.points.slice(2).every((p) => p.value === 0)).toBe(true);
    expect(result.notes).toEqual([`April ${running} to March ${running + 1} is not over yet, so it is not shown.`]);
    expect(await series({ measureId: ids.partnerHours })).toEqual({ points: [], notes: ['Nothing has been recorded as delivered for Volunteering hours (sample data) yet.'] });
  });

  it('refuses a forged ref and anyone outside the partnership', async () => {
    await expect(series({ measureId: ids.theirs })).rejects.toThrow(/not something/);
    await expect(series({ measureId: ids.jobs, extra: 'x' })).rejects.toThrow(/not something/);
    await expect(series({ measureId: "'; drop table contracts; --" })).rejects.toThrow(/not something/);
    await expect(series({ measureId: ids.jobs }, elsewhere)).rejects.toThrow();
    expect(await linkedChoices(h.database.db, elsewhere, f.otherPartnershipId, 'social-value')).toEqual([{ source: 'social-value', ref: { measureId: ids.theirs }, label: 'Their measure (sample data) delivered under Other Organisation’s contracts, per financial year', unit: 'things', direction: 'increase', group: 'Social value: Other Organisation', sourceNote: expect.any(String) }]);
  });

  it('is offered on the measure form as “Social value delivered”, with the measures to choose from', async () => {
    const outcome = await createOutcome(h.database.db, f.partnershipId, { title: 'More local jobs (sample data)', description: null, agreedWith: 'Residents’ panel (sample data)', agreedOn: '2025-03-01' }, cliActor);
    const client = new Client(h.app);
    expect((await client.signIn(emailOf('member'))).statusCode).toBe(303);
    const step = await client.get(outcomePath(f.partnershipId, outcome, '/measures/new'));
    expect(step.statusCode).toBe(200);
    expect(step.body).toContain('value="social-value"');
    expect(step.body).toContain('Social value delivered under contracts');
    const form = await client.get(outcomePath(f.partnershipId, outcome, '/measures/new?source=social-value'));
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('Local jobs (sample data) delivered under Test Organisation’s contracts, per financial year');
    expect(form.body).not.toContain('Their measure (sample data)');
  });
});
