import { stringify } from 'csv-stringify/sync';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cliActor } from '../../platform/audit/audit.ts';
import { ImportError } from '../../platform/data/csv.ts';
import { queryRows } from '../../platform/db/database.ts';
import { engines } from '../../../tests/support/engines.ts';
import { useSeededApp } from '../../../tests/support/app.ts';
import { encode, encodings, fileDamage, formulaCells, hostileCell, internalText, markupPayloads, mostly, tableCounts, withDamage } from '../../../tests/support/hostile.ts';
import { fuzzRuns, fuzzSeed, fuzzTimeout } from '../../../tests/support/profile.ts';
import { importSupplierList } from './supplier-list-import.ts';

/**
 * Hostile supplier lists (property-based): generated files mixing good rows with formula injections, markup,
 * control characters, huge fields, odd kinds and numbers, repeated suppliers, other encodings and broken quoting
 * either import whole — every supplier named then on the organisation's list — or are refused with an
 * ImportError, never another error, and a refused file writes nothing.
 */
const runs = fuzzRuns(40);
const tables = ['suppliers', 'audit_events'];

const headingSets = [
  ['Supplier name', 'Kind', 'Company number', 'Charity number'],
  ['Vendor', 'Type'],
  ['Supplier', 'Charity No'],
] as const;
const name = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 1e6 }).map((n) => `Supplier ${n} Ltd (sample data)`), weight: 8 },
  { arbitrary: fc.constantFrom(...markupPayloads, ...formulaCells).map((m) => `${m} Ltd`), weight: 2 },
  { arbitrary: hostileCell, weight: 1 },
);
const kind = mostly(fc.constantFrom('SME', 'large', 'VCSE', 'public', ''), hostileCell, 8);
const companyNumber = mostly(fc.constantFrom('', '01234567', 'SC123456'), hostileCell, 8);
const charityNumber = mostly(fc.constantFrom('', '1234567'), hostileCell, 8);
const row = fc.tuple(name, kind, companyNumber, charityNumber);
const file = fc.record({ heads: fc.constantFrom(...headingSets), rows: fc.array(row, { maxLength: 10 }), encoding: fc.constantFrom(...encodings), garbage: fileDamage });

describe.each(engines)('hostile supplier lists on %s', (engine) => {
  const h = useSeededApp(engine);
  const counts = () => tableCounts(h.database.db, tables);

  it('imports each generated list whole or refuses it with an ImportError, writing nothing', async () => {
    const outcomes = { imported: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(file, async ({ heads, rows, encoding, garbage }) => {
        const text = stringify([heads, ...rows.map((r) => r.slice(0, heads.length))]);
        const bytes = withDamage(encode(text, encoding), garbage);
        const before = await counts();
        try {
          const report = await importSupplierList(h.database.db, h.seed.organisationId, bytes, 'fuzzed.csv', cliActor);
          outcomes.imported++;
          expect(report.updated + report.added).toBe(report.rows);
          if (encoding !== 'latin1' && encoding !== 'utf16le' && garbage === null) {
            const kept = new Set((await queryRows<{ name: string }>(h.database.db, sql`select lower(name) as name from suppliers where organisation_id = ${h.seed.organisationId}`)).map((s) => s.name));
            // As the file's bytes say it: half a surrogate pair cannot be written as UTF-8, so the file holds U+FFFD.
            for (const [n] of rows.map(([x]) => [Buffer.from(x).toString()])) if (n!.trim()) expect(kept.has(n!.trim().replace(/\s+/g, ' ').toLowerCase()), n).toBe(true);
          }
        } catch (error) {
          if (!(error instanceof ImportError)) throw error;
          outcomes.refused++;
          expect(error.message).toContain('fuzzed.csv');
          expect(error.message).not.toMatch(internalText);
          expect(await counts()).toBe(before);
        }
      }),
      { numRuns: runs, seed: fuzzSeed(51) },
    );
    expect(outcomes.refused).toBeGreaterThan(0);
  }, fuzzTimeout(120_000));
});
