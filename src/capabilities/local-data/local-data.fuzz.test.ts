import { gzipSync } from 'node:zlib';
import { stringify } from 'csv-stringify/sync';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../../platform/audit/audit.ts';
import { queryRows } from '../../platform/db/database.ts';
import { Client, emailOf, useSeededApp } from '../../../tests/support/app.ts';
import { engines } from '../../../tests/support/engines.ts';
import { encode, encodings, expectCleanRefusal, fileDamage, hostileCell, mostly, tableCounts, withDamage } from '../../../tests/support/hostile.ts';
import { fuzzRuns, fuzzSeed, fuzzTimeout } from '../../../tests/support/profile.ts';
import { sampleIndicatorMeta } from '../../../tests/support/samples.ts';
import { ensureVintages, upsertAreas } from '../geography/lookups.ts';
import { importLocalIndicatorBytes, type LocalIndicatorInput } from './service.ts';

/**
 * Hostile local data (property-based): organisations' uploads through the form — files of LSOA codes and
 * values mixed with formulae, markup, huge fields, non-numbers, negative counts, codes Patchwork does not
 * know or given twice, renamed headings, broken trailing lines, other encodings and gzip; and form fields
 * now and then hostile too. Each upload is stored whole (303, the values as in the file) or refused with
 * 400 and a specific message, writing nothing; never a 500. The service is fuzzed the same way directly.
 */
const runs = fuzzRuns(30);
const tables = ['indicators', 'indicator_values', 'audit_events'];
const known = Array.from({ length: 40 }, (_, i) => `E01${String(i).padStart(6, '0')}`);

const code = mostly(fc.constantFrom(...known), fc.oneof(hostileCell, fc.constantFrom('E01999999', 'E05000001', 'e01000001', ' E01000002 ', '')), 20);
const value = mostly(fc.oneof(fc.integer({ min: 0, max: 10_000 }).map(String), fc.double({ min: 0, max: 1000, noNaN: true }).map((n) => n.toFixed(2)), fc.constantFrom('1,234', ' 7 ')), fc.oneof(hostileCell, fc.constantFrom('-3', '1e400', 'NaN', '')), 20);
const file = fc.record({
  rows: fc.uniqueArray(fc.tuple(code, value), { minLength: 1, maxLength: 15, selector: ([c]) => c.trim() }),
  duplicate: mostly(fc.constant(false), fc.constant(true), 15),
  header: mostly(fc.constant(['code', 'value']), fc.oneof(fc.constantFrom(['area', 'value'], ['LSOA11CD', 'count', 'extra'], ['code']), fc.tuple(hostileCell, hostileCell)), 20),
  trailing: fileDamage,
  encoding: mostly(fc.constant<(typeof encodings)[number] | 'gzip'>('utf8'), fc.constantFrom(...encodings, 'gzip' as const), 10),
});
const field = (good: string) => mostly(fc.constant(good), hostileCell, 15);
const form = fc.record({
  label: field(sampleIndicatorMeta.label),
  unit: field(sampleIndicatorMeta.unit),
  period: field(sampleIndicatorMeta.period),
  source: field(sampleIndicatorMeta.source),
  licence: field(sampleIndicatorMeta.licence),
  description: field(''),
  aggregation: mostly(fc.constantFrom('sum', 'population-weighted-mean'), hostileCell, 20),
  direction: mostly(fc.constant('higher-is-worse'), hostileCell, 20),
  sharing: mostly(fc.constantFrom('public', 'organisation'), hostileCell, 20),
});

function bytesOf(f: { rows: [string, string][]; duplicate: boolean; header: string[]; trailing: Uint8Array | string | null; encoding: (typeof encodings)[number] | 'gzip' }): Buffer {
  const body = f.duplicate ? [...f.rows, f.rows[0]!] : f.rows;
  const text = stringify([f.header, ...body]);
  const bytes = withDamage(f.encoding === 'gzip' ? Buffer.from(text) : encode(text, f.encoding), f.trailing);
  return f.encoding === 'gzip' ? gzipSync(bytes) : bytes;
}

/** What a good upload must store: each row's code and number, as parsed. */
const expectedValues = (rows: [string, string][]) => new Map(rows.map(([c, v]) => [c.trim(), Number(v.trim().replace(/,/g, ''))]));

for (const engine of engines) {
  describe(`hostile local data on ${engine}`, () => {
    const h = useSeededApp(engine);
    let client: Client;
    beforeAll(async () => {
      await h.database.db.transaction(async (tx) => {
        await ensureVintages(tx, ['lsoa11']);
        await upsertAreas(tx, 'lsoa11', known.map((c) => ({ code: c, name: `Area ${c}` })));
      });
      client = new Client(h.app);
      expect((await client.signIn(emailOf('member'))).statusCode).toBe(303);
    });
    const counts = () => tableCounts(h.database.db, tables);
    const storedValues = async (id: string) => new Map((await queryRows<{ code: string; value: number }>(h.database.db, sql`select code, value from indicator_values where indicator_id = ${id}`)).map((r) => [r.code, Number(r.value)]));

    it('stores each upload through the form whole, or refuses it with 400 and a specific message, writing nothing', async () => {
      const seen = { stored: 0, refused: 0 };
      await fc.assert(
        fc.asyncProperty(file, form, async (f, fields) => {
          const before = await counts();
          const response = await client.postFile('/organisations/test-org/indicators', { ...fields, vintage: 'lsoa11' }, { field: 'file', filename: 'upload.csv', content: bytesOf(f) });
          if (response.statusCode === 303) {
            seen.stored++;
            const id = /\/indicators\/(local\.[0-9a-f-]+)/.exec(String(response.headers.location))![1]!;
            expect(f.duplicate).toBe(false);
            expect(await storedValues(id)).toEqual(expectedValues(f.rows));
            return;
          }
          expect(response.statusCode).toBe(400);
          seen.refused++;
          const summary = /<div class="govuk-error-summary"[\s\S]*?<\/div>\s*<\/div>/.exec(response.body)?.[0] ?? '';
          expect(summary).toMatch(/<li>\s*<a[^>]*>[^<]*\w[^<]*<\/a>/);
          expect(response.body).not.toMatch(/<script>alert\(1\)|<img src=x|<svg onload/);
          expect(await counts()).toBe(before);
        }),
        { numRuns: runs, seed: fuzzSeed(61) },
      );
      expect(seen.stored).toBeGreaterThan(0);
      expect(seen.refused).toBeGreaterThan(0);
    }, fuzzTimeout(240_000));

    it('imports each file through the service whole or refuses it with an ImportError, writing nothing', async () => {
      const input: LocalIndicatorInput = { ...(sampleIndicatorMeta as Omit<LocalIndicatorInput, 'vintage'>), vintage: 'lsoa11', aggregation: 'sum' } as LocalIndicatorInput;
      const seen = { stored: 0, refused: 0 };
      await fc.assert(
        fc.asyncProperty(file, async (f) => {
          const before = await counts();
          try {
            const result = await importLocalIndicatorBytes(h.database.db, bytesOf(f), f.encoding === 'gzip' ? 'upload.csv.gz' : 'upload.csv', input, { organisationId: h.seed.organisationId, userId: null }, cliActor);
            seen.stored++;
            expect(await storedValues(result.id)).toEqual(expectedValues(f.rows));
          } catch (error) {
            await expectCleanRefusal(error, counts, before);
            seen.refused++;
          }
        }),
        { numRuns: runs, seed: fuzzSeed(67) },
      );
      expect(seen.stored).toBeGreaterThan(0);
      expect(seen.refused).toBeGreaterThan(0);
    }, fuzzTimeout(240_000));

    it('refuses a file of 70,000 codes Patchwork does not know with 400, not a database error', async () => {
      const rows = Array.from({ length: 70_000 }, (_, i) => `E01${String(100_000 + i).padStart(6, '0')},1`);
      const before = await counts();
      const response = await client.postFile('/organisations/test-org/indicators', { ...sampleIndicatorMeta }, { field: 'file', filename: 'many.csv', content: `code,value\n${rows.join('\n')}\n` });
      expect(response.statusCode).toBe(400);
      expect(response.body).toMatch(/70,?000 codes are not LSOA \(2011\) codes|not an LSOA \(2011\) that Patchwork knows/);
      expect(await counts()).toBe(before);
    }, fuzzTimeout(60_000));
  });
}
