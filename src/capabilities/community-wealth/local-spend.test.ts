import { describe, expect, it } from 'vitest';
import { queryRows } from '../../platform/db/database.ts';
import { sql } from 'drizzle-orm';
import { useSeededApp } from '../../../tests/support/app.ts';
import { engines } from '../../../tests/support/engines.ts';
import { changeInWords, localSpend, spendByNeighbourhood, spendChoices } from './local-spend.ts';
import { seedCommunityWealth } from './testing.ts';

/** Local shares on the hand-worked fixture of testing.ts (all sample data; its comment gives the sums). */
describe.each(engines)('local spend on %s', (engine) => {
  const h = useSeededApp(engine);

  it('gives the shares worked out by hand', async () => {
    const db = h.database.db;
    const f = await seedCommunityWealth(h.database, h.seed);
    // The summary the dashboards read holds the same money as the payments.
    const [sums] = await queryRows<{ payments: string; summary: string; n: number }>(db, sql`select (select sum(amount_pence) from payments where source_id = ${f.sourceId})::text as payments, (select sum(amount_pence) from spend_summary where source_id = ${f.sourceId})::text as summary, (select sum(payments) from spend_summary where source_id = ${f.sourceId})::int as n`);
    expect(sums).toEqual({ payments: '810000', summary: '810000', n: 8 });

    const result = await localSpend(db, { organisationId: h.seed.organisationId, place: { lad25: 'E08000010' } });
    expect(result.totalPence).toBe(810000);
    expect(result.payments).toBe(8);
    expect(result.local).toMatchObject({ pence: 400000 });
    expect(result.local.share).toBeCloseTo(4000 / 8100, 10);
    expect(result.placeUnknown.pence).toBe(10000);
    expect(result.byKind.map((k) => [k.kind, k.pence, k.localPence])).toEqual([
      ['large', 400000, 0],
      ['sme', 280000, 280000],
      ['vcse', 120000, 120000],
      ['individual', 10000, 0],
    ]);
    expect(result.deprived10).toMatchObject({ pence: 400000 });
    expect(result.deprived20).toMatchObject({ pence: 400000 });
    expect(result.decileEdition).toBe('Sample edition (sample data)');
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

    const oneYear = await localSpend(db, { organisationId: h.seed.organisationId, place: { lad25: 'E08000010' }, from: '2025-04-01', to: '2026-03-31', department: 'Adults' });
    expect([oneYear.totalPence, oneYear.local.pence]).toEqual([180000, 180000]);
    // Financial years count whole: any day of 2024-25 takes in all of it, 31 March 2025 included.
    const march = await localSpend(db, { organisationId: h.seed.organisationId, place: { lad25: 'E08000010' }, from: '2025-03-15', to: '2024-04-01' });
    expect(march.totalPence).toBe(460000);
    expect(await spendChoices(db, h.seed.organisationId)).toEqual({ years: ['2024-25', '2025-26'], departments: ['Adults', 'Communities', 'Highways'] });

    // The neighbourhood as the place: both local suppliers are in E01006410, inside Marsh Green Patch.
    const patch = await localSpend(db, { organisationId: h.seed.organisationId, place: { neighbourhoodId: f.neighbourhoodId } });
    expect([patch.totalPence, patch.local.pence]).toEqual([810000, 400000]);
    expect(patch.byYear.map((y) => y.localPence)).toEqual([150000, 250000]);
    const named = await spendByNeighbourhood(db, { organisationId: h.seed.organisationId, place: { lad25: 'E08000010' } }, [{ id: f.neighbourhoodId, name: 'Patch' }], 810000);
    expect(named).toEqual([{ id: f.neighbourhoodId, label: 'Patch', pence: 400000, share: 4000 / 8100 }]);
    expect((await localSpend(db, { organisationId: h.seed.organisationId, place: { neighbourhoodId: f.neighbourhoodId } }, { suppliers: true })).suppliers.map((s) => [s.name, s.pence])).toEqual([
      ['Local Care Ltd', 280000],
      ['Marsh Green Community Association', 120000],
    ]);
    // Other organisations' spend never counts.
    const other = await localSpend(db, { organisationId: f.otherOrganisationId, place: { lad25: 'E08000010' } });
    expect(other.totalPence).toBe(90000);
  });
});
