import { describe, expect, it } from 'vitest';
import { cliActor } from '../../platform/audit/audit.ts';
import { organisations } from '../../platform/auth/schema.ts';
import { useSeededApp } from '../../../tests/support/app.ts';
import { engines } from '../../../tests/support/engines.ts';
import { socialValueCommitments } from './schema.ts';
import { financialYearDates, financialYearLabel, financialYearOfDate, financialYearPeriod, financialYearWords } from './financial-years.ts';
import { addContract, addMeasure, recordDelivery, socialValueRollup } from './social-value.ts';
import { shownName } from './supplier-names.ts';

/** Social value promised in contracts against what was delivered, by measure and place (sample data). */
describe.each(engines)('social value on %s', (engine) => {
  const h = useSeededApp(engine);

  it('rolls promised and delivered up by measure and place, valued with the measure’s proxy', async () => {
    const db = h.database.db;
    const org = h.seed.organisationId;
    const jobs = await addMeasure(db, org, { name: 'Local jobs', unit: 'jobs', proxyValue: 10_000, proxySource: 'Sample proxy: a year’s wages saved from benefits (sample data)' }, cliActor);
    const hours = await addMeasure(db, org, { name: 'Volunteering hours', unit: 'hours', proxyValue: null, proxySource: null }, cliActor);
    const ward = { areaVintage: 'ward25', areaCode: 'E05015013' };
    const contract = await addContract(
      db,
      org,
      { title: 'Highways maintenance 2025-28 (sample data)', reference: 'HW-01', supplierId: null, startsOn: '2025-04-01', endsOn: '2028-03-31', valuePence: 300_000_000 },
      [
        { measureId: jobs, promised: 10, ...ward },
        { measureId: hours, promised: 500, areaVintage: null, areaCode: null },
      ],
      cliActor,
    );
    await addContract(db, org, { title: 'Ended before the period', reference: null, supplierId: null, startsOn: '2020-01-01', endsOn: '2021-01-01', valuePence: null }, [{ measureId: jobs, promised: 99, areaVintage: null, areaCode: null }], cliActor);
    const commitments = await db.select().from(socialValueCommitments);
    const jobsCommitment = commitments.find((c) => c.contractId === contract && c.measureId === jobs)!;
    const hoursCommitment = commitments.find((c) => c.contractId === contract && c.measureId === hours)!;
    await recordDelivery(db, org, jobsCommitment.id, { deliveredOn: '2025-09-30', quantity: 4, evidence: 'Payroll records' }, cliActor);
    await recordDelivery(db, org, jobsCommitment.id, { deliveredOn: '2026-06-30', quantity: 3, evidence: 'Payroll records' }, cliActor);
    await recordDelivery(db, org, hoursCommitment.id, { deliveredOn: '2025-12-01', quantity: 120, evidence: 'Volunteer log' }, cliActor);

    expect(await socialValueRollup(db, org, { from: '2025-04-01', to: '2026-03-31' })).toEqual([
      { measure: 'Local jobs', unit: 'jobs', area: 'ward25:E05015013', promised: 10, delivered: 4, promisedValue: 100_000, deliveredValue: 40_000, proxySource: 'Sample proxy: a year’s wages saved from benefits (sample data)' },
      { measure: 'Volunteering hours', unit: 'hours', area: '', promised: 500, delivered: 120, promisedValue: null, deliveredValue: null, proxySource: null },
    ]);
  });

  it('refuses what makes no sense, and another organisation’s commitments', async () => {
    const db = h.database.db;
    await expect(addMeasure(db, h.seed.organisationId, { name: 'Apprenticeships', unit: 'starts', proxyValue: 5000, proxySource: ' ' }, cliActor)).rejects.toThrow(/needs its source/);
    await expect(addContract(db, h.seed.organisationId, { title: 'Backwards', reference: null, supplierId: null, startsOn: '2026-01-01', endsOn: '2025-01-01', valuePence: null }, [], cliActor)).rejects.toThrow(/end on or after/);
    const [other] = await db.insert(organisations).values({ slug: 'other-org', name: 'Other Organisation', kind: 'council' }).returning({ id: organisations.id });
    const [commitment] = await db.select().from(socialValueCommitments);
    await expect(recordDelivery(db, other!.id, commitment!.id, { deliveredOn: '2025-10-01', quantity: 1, evidence: 'x' }, cliActor)).rejects.toThrow(/not there/);
    await expect(addContract(db, other!.id, { title: 'Naming a supplier not theirs', reference: null, supplierId: '00000000-0000-0000-0000-000000000000', startsOn: '2025-01-01', endsOn: '2026-01-01', valuePence: null }, [], cliActor)).rejects.toThrow(/own suppliers/);
    await expect(addContract(db, other!.id, { title: 'Using their measure', reference: null, supplierId: null, startsOn: '2025-01-01', endsOn: '2026-01-01', valuePence: null }, [{ measureId: commitment!.measureId, promised: 1, areaVintage: null, areaCode: null }], cliActor)).rejects.toThrow(/own social value measures/);
  });

  it('withholds the names of individuals', () => {
    expect(shownName({ name: 'REDACTED', kind: 'unknown' })).toBe('Individual (name withheld)');
    expect(shownName({ name: 'Jane Smith', kind: 'unknown' })).toBe('Individual (name withheld)');
    expect(shownName({ name: 'Local Care Ltd', kind: 'individual' })).toBe('Individual (name withheld)');
    expect(shownName({ name: 'Local Care Ltd', kind: 'sme' })).toBe('Local Care Ltd');
  });

  it('reads financial years from April to March', () => {
    expect(financialYearOfDate('2025-04-01')).toBe(2025);
    expect(financialYearOfDate('2026-03-31')).toBe(2025);
    expect(financialYearPeriod(2025)).toEqual({ from: '2025-04-01', to: '2026-03-31' });
    expect(financialYearWords(2025)).toBe('April 2025 to March 2026');
    expect(financialYearLabel(2025)).toBe('2025-26');
    expect(financialYearLabel(2099)).toBe('2099-00');
    expect(financialYearDates('2025-26')).toEqual(financialYearPeriod(2025));
    expect(financialYearDates('2025-27')).toBeNull();
  });
});
