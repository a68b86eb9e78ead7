import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../../platform/audit/audit.ts';
import { queryRows } from '../../platform/db/database.ts';
import { createTestDatabase, engines, type TestDatabase } from '../../../tests/support/engines.ts';
import { importLookup } from '../geography/lookups.ts';
import { bundledDataDir, bundledSteps } from './bundled-data.ts';
import { bandOfAge, derivePopulationAgesLsoa21, importPopulationAges } from './population-ages.ts';

const file = path.join(bundledDataDir, 'population/sape_mid2020_lsoa11_syoa_persons_EW.csv.gz');

describe('bandOfAge', () => {
  it('puts each single year of age in community voice’s bands', () => {
    expect([0, 15, 16, 24, 25, 34, 35, 44, 45, 54, 55, 64, 65, 74, 75, 90].map(bandOfAge)).toEqual([
      'under-16', 'under-16', '16-24', '16-24', '25-34', '25-34', '35-44', '35-44', '45-54', '45-54', '55-64', '55-64', '65-74', '65-74', '75-plus', '75-plus',
    ]);
  });

  it('runs after the 2011 → 2021 LSOA lookup in the bundled load', () => {
    const ids = bundledSteps.map((s) => s.id);
    expect(ids.indexOf('population.ages')).toBeGreaterThan(ids.indexOf('lookup.lsoa11-lsoa21'));
    expect(bundledSteps.find((s) => s.id === 'population.ages')?.part).toBe('tables');
  });
});

describe.each(engines)('population by age band on %s', (engine) => {
  let database: TestDatabase;
  let seconds = 0;
  let withLookupSeconds = 0;
  let derivedInSql: unknown;
  const lsoa21Sample = () => queryRows(database.db, sql`select code, band, round(people::numeric, 6)::text as people from population_age_bands where vintage = 'lsoa21' and code in ('E01035188', 'E01035189', 'E01035190', 'E01006212') order by code, band`);
  const bandsOf = async (vintage: string, code: string) =>
    Object.fromEntries((await queryRows<{ band: string; people: number }>(database.db, sql`select band, people from population_age_bands where vintage = ${vintage} and code = ${code}`)).map((r) => [r.band, Number(r.people)]));

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    // Before the lookup is loaded the 2021 derivation has nothing to work from and does nothing.
    const started = performance.now();
    const first = await importPopulationAges(database.db, file, cliActor);
    seconds = (performance.now() - started) / 1000;
    expect(first.lsoa21).toBe(0);
    await importLookup(database.db, path.join(bundledDataDir, 'ons_lookups/LSOA11_LSOA21_LAD22_EW.csv.gz'), cliActor);
    const deriving = performance.now();
    expect(await database.db.transaction((tx) => derivePopulationAgesLsoa21(tx))).toBeGreaterThan(33_000);
    console.log(`population ages 2021-LSOA derivation in SQL (national, ${engine}): ${((performance.now() - deriving) / 1000).toFixed(1)} s`);
    derivedInSql = await lsoa21Sample();
    // Imported again with the lookup loaded, the import derives the 2021 bands itself.
    const again = performance.now();
    expect((await importPopulationAges(database.db, file, cliActor)).lsoa21).toBeGreaterThan(33_000);
    withLookupSeconds = (performance.now() - again) / 1000;
  }, 240_000);

  afterAll(async () => {
    await database?.drop();
  });

  it('imports every English LSOA, the whole of England’s mid-2020 population, quickly', async () => {
    console.log(`population ages import (national, ${engine}): ${seconds.toFixed(1)} s without the lookup, ${withLookupSeconds.toFixed(1)} s with the 2021 bands`);
    const [n] = await queryRows<{ lsoas: number; people: number; rows: number }>(
      database.db,
      sql`select count(distinct code)::int as lsoas, sum(people)::float8 as people, count(*)::int as rows from population_age_bands where vintage = 'lsoa11'`,
    );
    // PROVENANCE.md: 32,844 English LSOAs, England total 56,550,138.
    expect(n).toEqual({ lsoas: 32_844, people: 56_550_138, rows: 32_844 * 8 });
    const [period] = await queryRows<{ period: string }>(database.db, sql`select distinct period from population_age_bands`);
    expect(period?.period).toBe('mid-2020');
    const [audit] = await queryRows<{ details: { lsoas: number; people: number } }>(database.db, sql`select details from audit_events where action = 'population.ages.imported'`);
    expect(audit?.details).toMatchObject({ lsoas: 32_844, people: 56_550_138 });
    expect(seconds).toBeLessThan(60);
    expect(withLookupSeconds).toBeLessThan(60);
  });

  it('adds up single years of age into bands as in the file (two Wigan LSOAs, summed by hand)', async () => {
    // Wigan 026A: total_population 1,449; e.g. 16–24 = ages 16…24 = 146; 75+ = ages 75…89 plus 90+ = 134.
    expect(await bandsOf('lsoa11', 'E01006212')).toEqual({ 'under-16': 265, '16-24': 146, '25-34': 141, '35-44': 168, '45-54': 182, '55-64': 175, '65-74': 238, '75-plus': 134 });
    // Wigan 024A: total 1,672.
    expect(await bandsOf('lsoa11', 'E01006213')).toEqual({ 'under-16': 410, '16-24': 215, '25-34': 221, '35-44': 245, '45-54': 206, '55-64': 156, '65-74': 136, '75-plus': 83 });
    const sum = (b: Record<string, number>) => Object.values(b).reduce((a, c) => a + c, 0);
    expect(sum(await bandsOf('lsoa11', 'E01006212'))).toBe(1449);
    expect(sum(await bandsOf('lsoa11', 'E01006213'))).toBe(1672);
    // No Welsh rows.
    const [wales] = await queryRows<{ n: number }>(database.db, sql`select count(*)::int as n from population_age_bands where code like 'W%'`);
    expect(wales?.n).toBe(0);
  });

  it('carries bands to 2021 LSOAs: a split LSOA shared equally without boundaries, a merged one summed', async () => {
    // Middlesbrough 001G (E01033468, 16–24: 527; 75+: 126) split into E01035189 and E01035190, no area shares loaded.
    for (const code of ['E01035189', 'E01035190']) {
      const b = await bandsOf('lsoa21', code);
      expect(b['16-24']).toBeCloseTo(263.5, 9);
      expect(b['75-plus']).toBeCloseTo(63, 9);
      expect(b['under-16']).toBeCloseTo(252.5, 9);
    }
    // Hartlepool 005A (16–24: 147) and 005D (117) merged into E01035188.
    const merged = await bandsOf('lsoa21', 'E01035188');
    expect(merged['16-24']).toBeCloseTo(264, 9);
    expect(merged['75-plus']).toBeCloseTo(64 + 63, 9);
    // Deriving on its own and as part of a second import give the same figures.
    expect(await lsoa21Sample()).toEqual(derivedInSql);
    expect((derivedInSql as unknown[]).length).toBe(32);
    // England's people are all still there.
    const [total] = await queryRows<{ people: number }>(database.db, sql`select sum(people)::float8 as people from population_age_bands where vintage = 'lsoa21'`);
    expect(total?.people).toBeCloseTo(56_550_138, 3);
  });

  it('refuses a file whose ages do not add up to the total, naming the LSOA, and changes nothing', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ages-'));
    const bad = path.join(dir, 'bad.csv');
    const ages = Array.from({ length: 91 }, () => '1');
    const header = ['lsoa11_name', 'lsoa11_code', 'total_population', ...Array.from({ length: 90 }, (_, i) => String(i)), '90+'];
    await writeFile(bad, `${header.map((h) => `"${h}"`).join(',')}\n"Sample 001A","E01099999",90,${ages.join(',')}\n`);
    await expect(importPopulationAges(database.db, bad, cliActor)).rejects.toThrow(/nothing has changed[\s\S]*the ages of E01099999 add up to 91, not its total of 90/i);
    const [n] = await queryRows<{ n: number }>(database.db, sql`select count(distinct code)::int as n from population_age_bands where vintage = 'lsoa11'`);
    expect(n?.n).toBe(32_844);
    const missing = path.join(dir, 'missing.csv');
    await writeFile(missing, '"lsoa11_code","total_population","0"\n"E01099999",1,1\n');
    await expect(importPopulationAges(database.db, missing, cliActor)).rejects.toThrow(/needs columns lsoa11_code, total_population and 0 to 89 and 90\+/);
  });
});
