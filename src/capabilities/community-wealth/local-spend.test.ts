import { describe, expect, it } from 'vitest';
import { queryRows } from '../../platform/db/database.ts';
import { sql } from 'drizzle-orm';
import { useSeededApp } from '../../../tests/support/app.ts';
import { engines } from '../../../tests/support/engines.ts';
import { changeInWords, localSpend } from './local-spend.ts';
import { handWorkedSpend, importSampleSpend, placeHandWorkedSuppliers, sampleDecileEdition } from './testing.ts';

/** Local shares on the hand-worked fixture of testing.ts (all sample data; its comment gives the sums). */
describe.each(engines)('local spend on %s', (engine) => {
  const h = useSeededApp(engine);

  it('gives the shares worked out by hand', async () => {
    const db = h.database.db;
    await importSampleSpend(db, h.seed.organisationId, 'Sample payments', handWorkedSpend);
    await placeHandWorkedSuppliers(db, h.seed.organisationId);
    await sampleDecileEdition(db);
    // The summary the dashboards read holds the same money as the payments.
    const [sums] = await queryRows<{ payments: string; summary: string; n: number }>(db, sql`select (select sum(amount_pence) from payments)::text as payments, (select sum(amount_pence) from spend_summary)::text as summary, (select sum(payments) from spend_summary)::int as n`);
    expect(sums).toEqual({ payments: '810000', summary: '810000', n: 8 });

    const result = await localSpend(db, { organisationId: h.seed.organisationId, homeLad25: 'E08000010' });
    expect(result.totalPence).toBe(810000);
    expect(result.payments).toBe(8);
    expect(result.local).toMatchObject({ pence: 400000 });
    expect(result.local.share).toBeCloseTo(4000 / 8100, 10);
    expect(result.placeUnknown.pence).toBe(10000);
    expect(result.byKind.map((k) => [k.kind, k.pence])).toEqual([
      ['large', 400000],
      ['sme', 280000],
      ['vcse', 120000],
      ['individual', 10000],
    ]);
    expect(result.byDecile.map((d) => [d.decile, d.pence])).toEqual([
      [1, 400000],
      [8, 400000],
    ]);
    expect(result.byYear).toEqual([
      { period: '2024-25', totalPence: 460000, localPence: 150000, share: 1500 / 4600 },
      { period: '2025-26', totalPence: 350000, localPence: 250000, share: 2500 / 3500 },
    ]);
    expect(result.byDepartment.find((d) => d.label === 'Adults')).toMatchObject({ pence: 290000, localPence: 280000 });
    expect(changeInWords(result.byYear, (p) => `£${p / 100}`)).toBe('Spend with suppliers in the district went from £1500 in 2024-25 (33% of the total) to £2500 in 2025-26 (71% of the total).');

    const oneYear = await localSpend(db, { organisationId: h.seed.organisationId, homeLad25: 'E08000010', from: '2025-04-01', to: '2026-03-31', department: 'Adults' });
    expect([oneYear.totalPence, oneYear.local.pence]).toEqual([180000, 180000]);
  });
});
