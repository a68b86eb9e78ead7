import { sql } from 'drizzle-orm';
import { stringify } from 'csv-stringify/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cliActor } from '../../platform/audit/audit.ts';
import { queryRows } from '../../platform/db/database.ts';
import { engines } from '../../../tests/support/engines.ts';
import { useSeededApp } from '../../../tests/support/app.ts';
import { encode, encodings, fileDamage, formulaCells, hostileCell, internalText, markupPayloads, mostly, tableCounts, withDamage } from '../../../tests/support/hostile.ts';
import { fuzzRuns, fuzzSeed, fuzzTimeout } from '../../../tests/support/profile.ts';
import { readAssetCsvBytes } from './asset-csv.ts';
import { runImport, TransferError, type Importer } from './transfer.ts';

/**
 * Hostile directory CSVs (property-based): files in the template's layout mixing good rows with formula
 * injections, markup, control characters, huge fields, unknown and missing columns, other encodings and broken
 * quoting either import whole — every record stored with exactly the name its row gave — or are refused with
 * a TransferError naming a problem, never another error, and a refused file writes nothing.
 */
const runs = fuzzRuns(30);

const tables = ['directory_services', 'directory_organisations', 'directory_locations', 'directory_contacts', 'directory_schedules', 'directory_taxonomy_terms', 'audit_events'];
const headings = ['id', 'name', 'kind', 'status', 'categories', 'description', 'organisation', 'website', 'free', 'minimum_age', 'maximum_age', 'times', 'contact_name', 'contact_phone', 'contact_email', 'last_checked', 'sample'];

const cell = (good: fc.Arbitrary<string>) => mostly(good, hostileCell, 10);
const row = fc.record({
  id: mostly(fc.constant(''), fc.oneof(fc.uuid(), hostileCell), 20),
  name: fc.oneof({ arbitrary: fc.integer({ min: 0, max: 1e6 }).map((n) => `Group ${n} (sample data)`), weight: 8 }, { arbitrary: fc.constantFrom(...markupPayloads, ...formulaCells).map((m) => `${m} group`), weight: 2 }, { arbitrary: hostileCell, weight: 1 }),
  kind: cell(fc.constantFrom('activity', 'group')),
  status: cell(fc.constantFrom('', 'active', 'inactive')),
  categories: cell(fc.constantFrom('activities', 'Groups and activities', 'activities; activities')),
  description: cell(fc.oneof(fc.constant('A weekly group. Sample data.'), fc.constantFrom(...markupPayloads))),
  organisation: cell(fc.constantFrom('Sample Trust (sample data)', '=1+2', '<b>Trust</b>')),
  website: cell(fc.constantFrom('', 'https://example.org/a')),
  free: cell(fc.constantFrom('', 'yes', 'no')),
  minimum_age: cell(fc.constantFrom('', '5', '18')),
  maximum_age: cell(fc.constantFrom('', '99')),
  times: cell(fc.constantFrom('', 'Tuesday 10:00-12:00 (Lunch club)', '2nd Thursday monthly 18:30-20:00', 'every 2 weeks Friday 14:00-16:00')),
  contact_name: cell(fc.constantFrom('', 'Bookings')),
  contact_phone: cell(fc.constantFrom('', '01942 000000')),
  contact_email: cell(fc.constantFrom('', 'bookings@example.org')),
  last_checked: cell(fc.constantFrom('', '2026-01-15', '15/01/2026')),
  sample: cell(fc.constantFrom('yes', '')),
});
/** The template's headings, now and then one misspelt, one dropped or one added. */
const headingRow = mostly(
  fc.constant(headings),
  fc.oneof(
    fc.nat(headings.length - 1).map((i) => headings.filter((_, j) => j !== i)),
    fc.nat(headings.length - 1).map((i) => headings.map((h, j) => (j === i ? `${h}x` : h))),
    hostileCell.map((extra) => [...headings, extra]),
  ),
  6,
);
const file = fc.record({ heads: headingRow, rows: fc.array(row, { minLength: 0, maxLength: 8 }), encoding: fc.constantFrom(...encodings), garbage: fileDamage });

describe.each(engines)('hostile directory CSVs on %s', (engine) => {
  const h = useSeededApp(engine);
  const importer = (): Importer => ({ id: h.seed.organisationId, slug: 'test-org' });
  const counts = () => tableCounts(h.database.db, tables);

  it('imports each generated file whole or refuses it with a TransferError, writing nothing', async () => {
    const outcomes = { imported: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(file, async ({ heads, rows, encoding, garbage }) => {
        const text = stringify([heads, ...rows.map((r) => heads.map((hd) => (r as Record<string, string>)[hd] ?? ''))]);
        const bytes = withDamage(encode(text, encoding), garbage);
        const before = await counts();
        // As the file's bytes say it: half a surrogate pair cannot be written as UTF-8, so the file holds U+FFFD.
        const names = rows.map((r) => Buffer.from(r.name).toString());
        try {
          const plan = await readAssetCsvBytes(bytes, 'fuzzed.csv');
          const result = await runImport(h.database.db, plan, importer(), null, cliActor);
          outcomes.imported++;
          expect(result.total).toBe(plan.records.length);
          // A clean file round-trips its names exactly (a damaged or re-encoded one may be read differently, but still whole).
          if (encoding !== 'latin1' && encoding !== 'utf16le' && garbage === null) {
            const stored = await queryRows<{ name: string }>(h.database.db, sql`select name from directory_services where owner_organisation_id = ${importer().id}`);
            const kept = new Set(stored.map((s) => s.name));
            for (const name of names.filter((n) => n.trim() !== '')) expect(kept.has(name.trim()) || kept.has(name), name).toBe(true);
          }
        } catch (error) {
          if (!(error instanceof TransferError)) throw error;
          outcomes.refused++;
          expect(error.headline).toContain('fuzzed.csv');
          expect(error.message).not.toMatch(internalText);
          expect(await counts()).toBe(before);
        }
      }),
      { numRuns: runs, seed: fuzzSeed(31) },
    );
    expect(outcomes.refused).toBeGreaterThan(0);
  }, fuzzTimeout(120_000));

  it('refuses a row holding a NUL character with a message naming the row, writing nothing', async () => {
    const before = await counts();
    const text = stringify([headings, headings.map((hd) => ({ name: 'Nul\u0000 group (sample data)', kind: 'activity', categories: 'activities', organisation: 'Sample Trust (sample data)' })[hd] ?? '')]);
    const error = await readAssetCsvBytes(Buffer.from(text), 'nul.csv').then((plan) => runImport(h.database.db, plan, importer(), null, cliActor)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransferError);
    expect((error as TransferError).transferProblems[0]?.where).toBe('Row 2');
    expect(await counts()).toBe(before);
  });
});
