import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
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
import { importLookup } from './lookups.ts';

/**
 * Hostile ONS lookups (property-based): LSOA (2021) → ward (2024) → district (2024) rows, English and Welsh,
 * with cells now and then replaced by formulae, markup, huge fields, NUL characters or codes of the wrong
 * level; rows repeated; headings renamed; broken trailing lines; other encodings. Each file imports whole
 * (the file's English links, and only those, are stored for its source) or is refused with an ImportError,
 * writing nothing.
 */
const runs = fuzzRuns(30);
const tables = ['areas', 'area_vintages', 'area_lookups', 'audit_events'];
const headings = ['lsoa21_code', 'lsoa21_name', 'ward24_code', 'ward24_name', 'ltla24_code', 'ltla24_name'];

const gss = (prefix: string, max = 999_999) => fc.integer({ min: 0, max }).map((n) => `${prefix}${String(n).padStart(6, '0')}`);
const goodRow = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(gss('E01'), gss('E05', 50), gss('E08', 5)) },
  { weight: 1, arbitrary: fc.tuple(gss('W01'), gss('W05', 50), gss('W06', 5)) },
).map(([lsoa, ward, lad]) => [lsoa, `LSOA ${lsoa}`, ward, `Ward ${ward}`, lad, `District ${lad}`]);
const damage = fc.record({ column: fc.nat(headings.length - 1), value: fc.oneof(hostileCell, fc.constantFrom('E02000001', 'E05000001', 'E01000001', 'e01000001', ' E01000001 ', 'W01000001', '\u0000')) });
const row = fc.tuple(goodRow, mostly(fc.constant(null), damage, 15)).map(([r, d]) => {
  if (d) r[d.column] = d.value;
  return r;
});
const file = fc.record({
  rows: fc.array(row, { minLength: 1, maxLength: 12 }),
  duplicate: mostly(fc.constant(false), fc.constant(true), 15),
  renamed: mostly(fc.constant<null | { column: number; heading: string }>(null), fc.record({ column: fc.nat(headings.length - 1), heading: fc.oneof(hostileCell, fc.constantFrom('LSOA21CD', 'ward_code')) }), 20),
  trailing: fileDamage,
  encoding: mostly(fc.constant<(typeof encodings)[number]>('utf8'), fc.constantFrom(...encodings), 10),
});

for (const engine of engines) {
  describe(`hostile lookup files on ${engine}`, () => {
    let database: TestDatabase;
    let dir = '';
    beforeAll(async () => {
      database = await createTestDatabase(engine);
      dir = await mkdtemp(path.join(tmpdir(), 'patchwork-fuzz-lookups-'));
    });
    afterAll(async () => {
      await database?.drop();
      await rm(dir, { recursive: true, force: true });
    });
    const counts = () => tableCounts(database.db, tables);

    it('imports each generated lookup whole or refuses it with an ImportError, writing nothing', async () => {
      const seen = { imported: 0, refused: 0 };
      let n = 0;
      await fc.assert(
        fc.asyncProperty(file, async ({ rows, duplicate, renamed, trailing, encoding }) => {
          const header = [...headings];
          if (renamed) header[renamed.column] = renamed.heading;
          const body = duplicate ? [...rows, rows[0]!] : rows;
          // The same file name every time: a lookup replaces the links of its own source (its file name).
          const folder = path.join(dir, String(n++));
          await mkdir(folder);
          const name = path.join(folder, 'lookup.csv');
          await writeFile(name, withDamage(encode(stringify([header, ...body]), encoding), trailing));
          const before = await counts();
          try {
            const result = await importLookup(database.db, name, cliActor);
            seen.imported++;
            // Only another nation's rows may be left out: every other row's links are stored.
            const english = body.map((r) => r.map((c) => c.trim())).filter((r) => !/^W01\d{6}$/.test(r[0]!));
            expect(result.rows).toBe(english.length);
            const stored = await queryRows<{ from_code: string; to_code: string; to_vintage: string }>(
              database.db,
              sql`select from_code, to_code, to_vintage from area_lookups where from_vintage = 'lsoa21' and source = 'lookup.csv' order by 1, 2, 3`,
            );
            const expected = [...new Set(english.flatMap((r) => [`${r[0]}|${r[2]}|ward24`, `${r[0]}|${r[4]}|lad24`]))].sort();
            expect(stored.map((s) => `${s.from_code}|${s.to_code}|${s.to_vintage}`).sort()).toEqual(expected);
          } catch (error) {
            await expectCleanRefusal(error, counts, before);
            seen.refused++;
          } finally {
            await rm(folder, { recursive: true, force: true });
          }
        }),
        { numRuns: runs, seed: fuzzSeed(51) },
      );
      expect(seen.imported).toBeGreaterThan(0);
      expect(seen.refused).toBeGreaterThan(0);
    }, fuzzTimeout(240_000));
  });
}
