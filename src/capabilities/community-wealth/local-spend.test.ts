import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { cliActor } from '../../platform/audit/audit.ts';
import { useSeededApp } from '../../../tests/support/app.ts';
import { engines } from '../../../tests/support/engines.ts';
import { editions, indicators, indicatorValues } from '../indicators/schema.ts';
import { spendSources, suppliers, type SupplierKind } from './schema.ts';
import { guessMapping } from './spend-columns.ts';
import { importSpend } from './spend-import.ts';
import { changeInWords, localSpend } from './local-spend.ts';

/**
 * Local shares on a fixture small enough to work out by hand (all sample data). Home district: Wigan (E08000010).
 *   2024-25: Local Care £1,000 + Marsh Green CA £500 (local) of £4,600 (Big Tarmac £3,000 in Leeds, an individual £100) → 32.6%
 *   2025-26: Local Care £2,000 − £200 credit + Marsh Green CA £700 (local) of £3,500 (Big Tarmac £1,000) → 71.4%
 *   All: £4,000 local of £8,100 → 49.4%; £100 with no known place.
 */
const lines = [
  'Payment Date,Supplier Name,Amount,Service Area,Transaction Number',
  '01/05/2024,Local Care Ltd,1000,Adults,T1',
  '01/06/2024,Big Tarmac PLC,3000,Highways,T2',
  '31/03/2025,Marsh Green Community Association,500,Communities,T3',
  '01/07/2024,REDACTED,100,Adults,T4',
  '01/04/2025,Local Care Ltd,2000,Adults,T5',
  '15/04/2025,Local Care Ltd,-200,Adults,T6',
  '01/05/2025,Big Tarmac PLC,1000,Highways,T7',
  '01/06/2025,Marsh Green Community Association,700,Communities,T8',
];
const places: Record<string, { kind: SupplierKind; lad25: string | null; lsoa21: string | null }> = {
  'Local Care Ltd': { kind: 'sme', lad25: 'E08000010', lsoa21: 'E01006410' },
  'Big Tarmac PLC': { kind: 'large', lad25: 'E08000035', lsoa21: 'E01011229' },
  'Marsh Green Community Association': { kind: 'vcse', lad25: 'E08000010', lsoa21: 'E01006410' },
  REDACTED: { kind: 'individual', lad25: null, lsoa21: null },
};

describe.each(engines)('local spend on %s', (engine) => {
  const h = useSeededApp(engine);

  it('gives the shares worked out by hand', async () => {
    const db = h.database.db;
    const dir = await mkdtemp(path.join(tmpdir(), 'patchwork-local-'));
    try {
      const file = path.join(dir, 'spend.csv');
      await writeFile(file, lines.join('\n'));
      const [source] = await db.insert(spendSources).values({ organisationId: h.seed.organisationId, name: 'Sample payments', mapping: guessMapping(lines[0]!.split(',')), homeLad25: 'E08000010', sample: true }).returning({ id: spendSources.id });
      await importSpend(db, source!.id, file, 'spend.csv', cliActor);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    for (const [name, place] of Object.entries(places)) await db.update(suppliers).set(place).where(eq(suppliers.name, name));
    // A sample edition on 2021 LSOAs with two deciles, so spend by deprivation has something to read.
    await db.insert(editions).values({ id: 'sample21', label: 'Sample edition (sample data)', lsoaVintage: 'lsoa21', ladVintage: 'lad24', wardVintage: 'ward24', populationIndicatorId: 'sample21.population', publishedOn: '2025-10-30', publisher: 'Sample', licence: 'OGL', lsoaCount: 2 });
    await db.insert(indicators).values({ id: 'sample21.imd', editionId: 'sample21', domain: 'imd', label: 'IMD (sample)', unit: 'score', direction: 'higher-is-worse', vintage: 'lsoa21', period: '2025', source: 'Sample', licence: 'OGL' });
    await db.insert(indicatorValues).values([
      { indicatorId: 'sample21.imd', code: 'E01006410', value: 60, rank: 100, decile: 1 },
      { indicatorId: 'sample21.imd', code: 'E01011229', value: 10, rank: 25000, decile: 8 },
    ]);

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
