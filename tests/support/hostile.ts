import { sql, type SQL } from 'drizzle-orm';
import fc from 'fast-check';
import { expect } from 'vitest';
import { ImportError } from '../../src/platform/data/csv.ts';
import { queryRows, type Tx } from '../../src/platform/db/database.ts';

/**
 * Hostile input shared by the fuzz tests: the cells, texts and bytes that break importers and forms.
 * Each property mixes them into mostly good input, so that some inputs succeed and the all-or-nothing rule
 * is tested both ways.
 */

/** Spreadsheet formula injections: a CSV export must neutralise every one. */
export const formulaCells = ['=HYPERLINK("http://example.org","x")', '=1+2', '+cmd|\' /C calc\'!A0', '-1+2', '@SUM(A1)', '\t=1', '\r=1'] as const;

/** Markup and script a page must escape wherever stored text is shown. */
export const markupPayloads = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "'><svg onload=alert(1)>", 'javascript:alert(1)', '{{ 7*7 }}', '{% raw %}'] as const;

/** Text that tends to break SQL built by hand, number parsers and string handling. */
export const awkwardTexts = ["'; drop table users; --", '%', '_', '\\', '\u0000', '\u202e', '\uFEFF', '\uD800', '٣٤٥', 'NaN', '1e309', '0x10', '-0', 'NULL', '', ' ', '"', "'", ';', '\r', '\n'] as const;

/** One hostile cell: formula, markup, awkward text, random text, or a huge field. */
export const hostileCell: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom<string>(...formulaCells, ...markupPayloads, ...awkwardTexts),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ minLength: 1001, maxLength: 3000 }),
);

/** Mostly `good`, now and then `bad` (1 in `1 + weight`). */
export const mostly = <T>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<T>, weight = 30): fc.Arbitrary<T> =>
  fc.oneof({ arbitrary: good, weight }, { arbitrary: bad, weight: 1 });

/** Trailing damage for a text file: broken quoting, stray separators, replacement characters or raw bytes. */
export const fileDamage: fc.Arbitrary<Uint8Array | string | null> = mostly(
  fc.constant(null),
  fc.oneof(fc.constantFrom('"unterminated,quote\n', 'a,b\n', ',,,,,,,,\n', '\uFFFD\uFFFD\n'), fc.uint8Array({ minLength: 1, maxLength: 40 })),
  10,
);

/** `text` with `damage` appended, as the bytes of a file. */
export function withDamage(text: string | Buffer, damage: Uint8Array | string | null): Buffer {
  const body = typeof text === 'string' ? Buffer.from(text) : text;
  return damage === null ? body : Buffer.concat([body, Buffer.from(damage)]);
}

/** Windows-1252 or UTF-16 bytes of a text, as files from older spreadsheets arrive. */
export const encodings = ['utf8', 'utf8-bom', 'latin1', 'utf16le'] as const;
export function encode(text: string, encoding: (typeof encodings)[number]): Buffer {
  if (encoding === 'utf8-bom') return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);
  return Buffer.from(text, encoding);
}

/** JSON nested `depth` deep: `[[[…]]]`, built as text so building it cannot overflow the stack. */
export const deepJson = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);

/**
 * A fingerprint of the tables an action may write: row counts joined into one string, so "nothing was
 * written" is one comparison. Names are checked against a pattern, never taken from input.
 */
export async function tableCounts(db: Tx, tables: readonly string[]): Promise<string> {
  for (const table of tables) if (!/^[a-z_][a-z0-9_]*$/.test(table)) throw new Error(`not a table name: ${table}`);
  const parts: SQL[] = tables.map((table) => sql`(select count(*) from ${sql.identifier(table)})::text`);
  const [row] = await queryRows<{ n: string }>(db, sql`select concat_ws('|', ${sql.join(parts, sql`, `)}) as n`);
  return row!.n;
}

/** What a message for people must never hold: a stack frame, or the database's own words. */
export const internalText = /\bat .+:\d+:\d+|syntax error|violates|duplicate key|invalid input syntax|invalid byte sequence/i;

/**
 * A refused import as every importer must give one: an ImportError (anything else is rethrown, failing the
 * property) whose message is written for people, with no stack frame in it, and nothing written.
 */
export async function expectCleanRefusal(error: unknown, counts: () => Promise<string>, before: string): Promise<ImportError> {
  if (!(error instanceof ImportError)) throw error;
  expect(error.message).toMatch(/\S/);
  expect(error.message).not.toMatch(/\n\s+at /);
  expect(await counts()).toBe(before);
  return error;
}
