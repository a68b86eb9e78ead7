import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'csv-stringify/sync';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../../platform/audit/audit.ts';
import { ImportError } from '../../platform/data/csv.ts';
import { useSeededApp } from '../../../tests/support/app.ts';
import { fileDamage, hostileCell, mostly, tableCounts, withDamage } from '../../../tests/support/hostile.ts';
import { fuzzRuns, fuzzSeed, fuzzTimeout } from '../../../tests/support/profile.ts';
import { spendSources } from './schema.ts';
import { guessMapping } from './spend-columns.ts';
import { importSpend } from './spend-import.ts';

/**
 * Hostile spend files (property-based): generated files mixing good rows with malformed cells — formula
 * injections, control characters, huge fields, odd dates and amounts, broken quoting, bytes that are not UTF-8 —
 * either import whole or are refused with an ImportError, never another error, and a refused file writes
 * nothing. 40 files in `npm test`, 1,000 in `npm run test:hard`.
 */
const runs = fuzzRuns(40);
const headings = ['Payment Date', 'Supplier Name', 'Amount', 'Service Area'];

const date = mostly(fc.constantFrom('07/04/2025', '2025-04-07', '7-Apr-2025', '45000'), fc.oneof(fc.constantFrom('31/02/2025', '2025-13-01', '00/00/0000'), hostileCell));
const amount = mostly(fc.constantFrom('100', '1,250.00', '(200.00)', '£600.50', '-0'), fc.oneof(fc.constantFrom('12.345', '1,20', '99999999999999999999'), hostileCell));
const supplier = mostly(fc.constantFrom('Acme Care Ltd (sample data)', 'REDACTED', 'Mr J Smith', 'Marsh Green CA (sample data)', '=HYPERLINK("http://example.org","x")'), hostileCell);
const row = fc.tuple(date, supplier, amount, mostly(fc.constantFrom('Adults', 'Highways', ''), hostileCell));
const file = fc.record({ rows: fc.array(row, { minLength: 0, maxLength: 12 }), garbage: fileDamage });

describe('hostile spend files on pglite', () => {
  const h = useSeededApp('pglite');
  let dir = '';
  let sourceId = '';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'patchwork-fuzz-spend-'));
    const [source] = await h.database.db.insert(spendSources).values({ organisationId: h.seed.organisationId, name: 'Fuzzed payments (sample data)', mapping: guessMapping(headings), sample: true }).returning({ id: spendSources.id });
    sourceId = source!.id;
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const counts = () => tableCounts(h.database.db, ['payments', 'suppliers', 'spend_imports', 'spend_summary']);

  it('imports each generated file whole or refuses it with an ImportError, writing nothing', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(file, async ({ rows, garbage }) => {
        const text = stringify([headings, ...rows]);
        const bytes = withDamage(text, garbage);
        const name = path.join(dir, `f${n++}.csv`);
        await writeFile(name, bytes);
        const before = await counts();
        try {
          const report = await importSpend(h.database.db, sourceId, name, 'fuzzed.csv', cliActor);
          expect(report.paymentsAdded + report.duplicatesSkipped).toBe(report.rowsRead);
        } catch (error) {
          if (!(error instanceof ImportError)) throw error;
          expect(error.message.length).toBeGreaterThan(0);
          expect(await counts()).toBe(before);
        }
      }),
      { numRuns: runs, seed: fuzzSeed(13) },
    );
  }, fuzzTimeout(300_000));
});
