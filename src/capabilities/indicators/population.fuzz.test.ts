import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../../platform/audit/audit.ts';
import { queryRows } from '../../platform/db/database.ts';
import { createTestDatabase, engines, type TestDatabase } from '../../../tests/support/engines.ts';
import { encode, encodings, expectCleanRefusal, fileDamage, hostileCell, mostly, tableCounts, withDamage } from '../../../tests/support/hostile.ts';
import { fuzzRuns, fuzzSeed, fuzzTimeout } from '../../../tests/support/profile.ts';
import { importPopulation } from './population.ts';
import { importPopulationAges } from './population-ages.ts';

/**
 * Hostile population files (property-based), for both population importers (totals, and single years of
 * age): good English and Welsh rows mixed with damaged cells — formulae, markup, huge fields, negative,
 * fractional or non-numeric counts, codes that are not LSOAs or given twice, ages that do not add up to the
 * total —, broken trailing lines and other encodings. Each file imports whole (English rows stored, Welsh
 * rows left out, nothing else left out) or is refused with an ImportError, writing nothing.
 */
const runs = fuzzRuns(25);
const tables = ['area_vintages', 'indicators', 'indicator_values', 'population_age_bands', 'audit_events'];
const ages = [...Array.from({ length: 90 }, (_, i) => String(i)), '90+'];

const code = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 999_999 }).map((n) => `E01${String(n).padStart(6, '0')}`) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 999_999 }).map((n) => `W01${String(n).padStart(6, '0')}`) });
const badCell = fc.oneof(hostileCell, fc.constantFrom('-1', '1.5', '1e400', 'E02000001', 'E01', '12,34', '99999999999999999999'));
/** One LSOA's row: code, name, a few ages with people (the rest 0), and the total they add up to. */
const goodRow = fc.record({ code, counts: fc.array(fc.tuple(fc.nat(90), fc.nat(500)), { maxLength: 4 }) }).map(({ code, counts }) => {
  const byAge = ages.map(() => 0);
  for (const [age, n] of counts) byAge[age]! += n;
  return [code, `Place ${code}`, String(byAge.reduce((a, b) => a + b, 0)), ...byAge.map(String)];
});
const row = fc.tuple(goodRow, mostly(fc.constant<null | { column: number; value: string }>(null), fc.record({ column: fc.nat(ages.length + 2), value: badCell }), 12)).map(([r, damage]) => {
  if (damage) r[damage.column] = damage.value;
  return r;
});
const file = fc.record({
  rows: fc.uniqueArray(row, { minLength: 1, maxLength: 10, selector: (r) => r[0] }),
  duplicate: mostly(fc.constant(false), fc.constant(true), 15),
  trailing: fileDamage,
  encoding: mostly(fc.constant<(typeof encodings)[number]>('utf8'), fc.constantFrom(...encodings), 10),
  renamed: mostly(fc.constant<string | null>(null), fc.oneof(fc.constantFrom('lsoa_code', 'total', 'LSOA11CD '), hostileCell), 20),
});

for (const engine of engines) {
  describe(`hostile population files on ${engine}`, () => {
    let database: TestDatabase;
    let dir = '';
    beforeAll(async () => {
      database = await createTestDatabase(engine);
      dir = await mkdtemp(path.join(tmpdir(), 'patchwork-fuzz-population-'));
    });
    afterAll(async () => {
      await database?.drop();
      await rm(dir, { recursive: true, force: true });
    });
    const counts = () => tableCounts(database.db, tables);
    let n = 0;

    for (const importer of ['totals', 'ages'] as const) {
      it(`imports each generated file of ${importer} whole or refuses it with an ImportError, writing nothing`, async () => {
        const seen = { imported: 0, refused: 0 };
        await fc.assert(
          fc.asyncProperty(file, async ({ rows, duplicate, trailing, encoding, renamed }) => {
            const header = ['lsoa11_code', 'lsoa11_name', 'total_population', ...ages];
            if (renamed !== null) header[0] = renamed;
            const body = duplicate ? [...rows, rows[0]!] : rows;
            const bytes = withDamage(encode(stringify([header, ...body]), encoding), trailing);
            const name = path.join(dir, `p${n++}.csv`);
            await writeFile(name, bytes);
            const before = await counts();
            try {
              // Only another nation's rows may be left out: any other row is stored or the file refused.
              const english = body.filter((r) => !/^W01\d{6}$/.test(r[0]!));
              if (importer === 'totals') {
                const result = await importPopulation(database.db, name, cliActor);
                const stored = await queryRows<{ code: string; value: number }>(database.db, sql`select code, value from indicator_values where indicator_id = ${result.indicator}`);
                expect(new Map(stored.map((s) => [s.code, Number(s.value)]))).toEqual(new Map(english.map((r) => [r[0]!, Number(r[2])])));
              } else {
                const result = await importPopulationAges(database.db, name, cliActor);
                expect(result.lsoas).toBe(english.length);
                const stored = await queryRows<{ code: string; people: number }>(database.db, sql`select code, sum(people)::float8 as people from population_age_bands where vintage = 'lsoa11' group by code`);
                expect(new Map(stored.map((s) => [s.code, Number(s.people)]))).toEqual(new Map(english.map((r) => [r[0]!, Number(r[2])])));
              }
              seen.imported++;
            } catch (error) {
              await expectCleanRefusal(error, counts, before);
              seen.refused++;
            } finally {
              await rm(name, { force: true });
            }
          }),
          { numRuns: runs, seed: fuzzSeed(importer === 'totals' ? 41 : 43) },
        );
        expect(seen.imported).toBeGreaterThan(0);
        expect(seen.refused).toBeGreaterThan(0);
      }, fuzzTimeout(240_000));
    }
  });
}
