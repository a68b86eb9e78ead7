import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../../platform/audit/audit.ts';
import { ImportError } from '../../platform/data/csv.ts';
import { queryRows } from '../../platform/db/database.ts';
import { createTestDatabase, engines, type TestDatabase } from '../../../tests/support/engines.ts';
import { encode, encodings, fileDamage, hostileCell, mostly, tableCounts, withDamage } from '../../../tests/support/hostile.ts';
import { fuzzRuns, fuzzSeed, fuzzTimeout } from '../../../tests/support/profile.ts';
import { importIodEdition } from './iod-import.ts';

/**
 * Hostile IoD files (property-based): small editions of n LSOAs whose ranks are a permutation of 1..n and
 * deciles follow from them, damaged now and then — a cell replaced by a formula, markup, a huge field or
 * text that is not a number; a code that is not an LSOA or given twice; a rank beyond n; a decile out of
 * range; headings renamed; trailing broken quoting or raw bytes; the file re-encoded. Each either imports
 * whole (the stored ranks are the file's) or is refused with an ImportError, writing nothing.
 */
const runs = fuzzRuns(30);
const tables = ['areas', 'area_vintages', 'area_lookups', 'editions', 'indicators', 'indicator_values', 'area_summaries', 'audit_events'];
const goodHeadings = ['LSOA code (2011)', 'LSOA name (2011)', 'Local Authority District code (2019)', 'Local Authority District name (2019)', 'Index of Multiple Deprivation (IMD) Score', 'Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)', 'Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)'];
const heading = mostly(fc.constant<string | null>(null), fc.oneof(fc.constantFrom('LSOA', 'IMD', 'lsoa code (2011)', '', 'Index of Multiple Deprivation (IMD) Rank'), hostileCell), 40);

/** A consistent edition: distinct codes, ranks a permutation of 1..n, deciles ⌈10r/n⌉. */
const edition = fc
  .uniqueArray(fc.integer({ min: 1, max: 999_999 }), { minLength: 1, maxLength: 15 })
  .chain((numbers) =>
    fc.tuple(
      fc.constant(numbers.map((n) => `E01${String(n).padStart(6, '0')}`)),
      fc.shuffledSubarray(numbers.map((_, i) => i + 1), { minLength: numbers.length, maxLength: numbers.length }),
      fc.array(fc.double({ min: 0, max: 90, noNaN: true }), { minLength: numbers.length, maxLength: numbers.length }),
    ),
  )
  .map(([codes, ranks, scores]) => codes.map((code, i) => [code, `Area ${i}`, 'E08000010', 'Wigan', String(Math.round(scores[i]! * 1000) / 1000), String(ranks[i]), String(Math.ceil((10 * ranks[i]!) / codes.length))]));

const cellDamage = fc.record({ row: fc.nat(), column: fc.nat(goodHeadings.length - 1), value: fc.oneof(hostileCell, fc.constantFrom('E01000001', 'W01000001', '0', '11', '99999', '1.5', '-1', '1e3', '1,000', '=1+2', 'NA')) });
const file = fc.record({
  rows: edition,
  damage: fc.array(cellDamage, { maxLength: 2 }).chain((d) => mostly(fc.constant<typeof d>([]), fc.constant(d), 2)),
  duplicate: mostly(fc.constant(false), fc.constant(true), 15),
  headings: fc.array(heading, { minLength: goodHeadings.length, maxLength: goodHeadings.length }),
  trailing: fileDamage,
  encoding: mostly(fc.constant<(typeof encodings)[number]>('utf8'), fc.constantFrom(...encodings), 10),
});

for (const engine of engines) {
  describe(`hostile IoD files on ${engine}`, () => {
    let database: TestDatabase;
    let dir = '';
    beforeAll(async () => {
      database = await createTestDatabase(engine);
      dir = await mkdtemp(path.join(tmpdir(), 'patchwork-fuzz-iod-'));
    });
    afterAll(async () => {
      await database?.drop();
      await rm(dir, { recursive: true, force: true });
    });
    const counts = () => tableCounts(database.db, tables);

    it('imports each generated file whole or refuses it with an ImportError, writing nothing', async () => {
      const seen = { imported: 0, refused: 0 };
      let n = 0;
      await fc.assert(
        fc.asyncProperty(file, async ({ rows, damage, duplicate, headings, trailing, encoding }) => {
          const body = rows.map((r) => [...r]);
          for (const d of damage) body[d.row % body.length]![d.column] = d.value;
          if (duplicate) body.push([...body[0]!]);
          const header = goodHeadings.map((h, i) => headings[i] ?? h);
          const bytes = withDamage(encode(stringify([header, ...body]), encoding), trailing);
          const name = path.join(dir, `iod${n++}.csv`);
          await writeFile(name, bytes);
          // Each file is a new edition: once an edition's LSOAs are known a file must give every one of them,
          // so without this every later file would be refused for its codes and the good path go untested.
          await database.db.execute(sql`delete from area_lookups`);
          await database.db.execute(sql`delete from editions`);
          await database.db.execute(sql`delete from area_vintages`);
          const before = await counts();
          try {
            const result = await importIodEdition(database.db, 'iod2019', [name], cliActor);
            seen.imported++;
            // Imported: the ranks stored are the file's own, one per LSOA.
            expect(result.lsoas).toBe(body.length);
            const stored = await queryRows<{ code: string; rank: number }>(database.db, sql`select code, rank from indicator_values where indicator_id = 'iod2019.imd'`);
            expect(new Map(stored.map((s) => [s.code, Number(s.rank)]))).toEqual(new Map(body.map((r) => [r[0]!.trim(), Number(r[5]!.replace(/,/g, ''))])));
          } catch (error) {
            if (!(error instanceof ImportError)) throw error;
            seen.refused++;
            expect(error.message).toMatch(/nothing has changed/i);
            expect(error.message).not.toMatch(/\n\s+at /);
            expect(await counts()).toBe(before);
          } finally {
            await rm(name, { force: true });
          }
        }),
        { numRuns: runs, seed: fuzzSeed(31) },
      );
      expect(seen.imported).toBeGreaterThan(0);
      expect(seen.refused).toBeGreaterThan(0);
    }, fuzzTimeout(240_000));
  });
}
