import { stringify } from 'csv-stringify/sync';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../../platform/audit/audit.ts';
import { viewerOf } from '../../platform/auth/permissions.ts';
import { ImportError } from '../../platform/data/csv.ts';
import { queryRows } from '../../platform/db/database.ts';
import { engines } from '../../../tests/support/engines.ts';
import { useSeededApp } from '../../../tests/support/app.ts';
import { encode, encodings, fileDamage, formulaCells, hostileCell, internalText, markupPayloads, mostly, tableCounts, withDamage } from '../../../tests/support/hostile.ts';
import { fuzzRuns, fuzzSeed, fuzzTimeout } from '../../../tests/support/profile.ts';
import { setStatus, type Campaign, type Question } from './campaigns.ts';
import { loadWiganPlaces, sampleCampaign } from './testing.ts';
import { importResponses, templateColumns } from './transfer.ts';

/**
 * Hostile response files for community voice (property-based): files in a campaign's template layout mixing good
 * rows with formula injections, markup, control characters, huge answers, unknown choices, bad dates, damaged
 * headings, other encodings and broken quoting either import every row — one response each — or are refused with
 * an ImportError naming a problem, never another error, and a refused file writes nothing.
 */
const runs = fuzzRuns(30);
const tables = ['voice_responses', 'voice_answers', 'audit_events'];

const questionsAsked = [
  { kind: 'text' as const, prompt: 'What are you proud of about where you live?' },
  { kind: 'choice' as const, prompt: 'How long have you lived here?', options: ['Less than a year', '1 to 5 years', 'More than 5 years'], withComment: true },
  { kind: 'scale' as const, prompt: 'How much do you feel you belong here?', scaleMin: 1, scaleMax: 5 },
  { kind: 'multiple-choice' as const, prompt: 'What would make it better?', options: ['Parks', 'Buses', 'Shops'] },
];

const cell = (good: fc.Arbitrary<string>) => mostly(good, hostileCell, 10);
const row = fc.record({
  answered_at: cell(fc.constantFrom('2026-05-14', '2026-05-14T10:30:00Z')),
  postcode: cell(fc.constantFrom('', 'WN1 1AA', 'wn5 9ab')),
  q1: fc.oneof({ arbitrary: fc.constantFrom('The park (sample data)', ''), weight: 4 }, { arbitrary: fc.constantFrom(...markupPayloads, ...formulaCells), weight: 2 }, { arbitrary: hostileCell, weight: 1 }),
  q2: cell(fc.constantFrom('Less than a year', '1 to 5 years', '')),
  q2_comment: cell(fc.constantFrom('', 'Since 2020')),
  q3: cell(fc.constantFrom('1', '5', '')),
  q4: cell(fc.constantFrom('Parks', 'Parks; Buses', '')),
  demographics_consent: cell(fc.constantFrom('', 'yes', 'no')),
});

describe.each(engines)('hostile response files on %s', (engine) => {
  const h = useSeededApp(engine);
  let campaign: Campaign;
  let questions: Question[];
  let headings: string[];
  const counts = () => tableCounts(h.database.db, tables);

  beforeAll(async () => {
    await loadWiganPlaces(h.database.db);
    ({ campaign, questions } = await sampleCampaign(h.database.db, h.seed.organisationId, { questions: questionsAsked }));
    await setStatus(h.database.db, campaign, 'open', cliActor);
    campaign = { ...campaign, status: 'open' };
    headings = templateColumns(questions);
  });

  /** The template's headings, now and then with one dropped, misspelt or added. */
  const headingRow = () =>
    mostly(
      fc.constant(headings),
      fc.oneof(fc.nat(headings.length - 1).map((i) => headings.filter((_, j) => j !== i)), fc.nat(headings.length - 1).map((i) => headings.map((x, j) => (j === i ? `x${x}` : x))), hostileCell.map((extra) => [...headings, extra])),
      6,
    );

  it('imports each generated file whole or refuses it with an ImportError, writing nothing', async () => {
    const outcomes = { imported: 0, refused: 0 };
    const short = (heading: string) => /^q\d+(_comment)?/.exec(heading)?.[0] ?? heading;
    await fc.assert(
      fc.asyncProperty(
        fc.constant(null).chain(() => headingRow()),
        fc.array(row, { maxLength: 8 }),
        fc.constantFrom(...encodings),
        fileDamage,
        async (heads, rows, encoding, garbage) => {
          const text = stringify([heads, ...rows.map((r) => heads.map((x) => (r as Record<string, string>)[short(x)] ?? ''))]);
          const bytes = withDamage(encode(text, encoding), garbage);
          const before = await counts();
          const viewer = await viewerOf(h.database.db, null);
          try {
            const result = await importResponses(h.database.db, campaign, questions, bytes, 'fuzzed.csv', viewer, cliActor);
            outcomes.imported++;
            const [responsesBefore] = before.split('|').map(Number);
            const [responsesAfter] = (await counts()).split('|').map(Number);
            expect(responsesAfter! - responsesBefore!).toBe(result.rows);
          } catch (error) {
            if (!(error instanceof ImportError)) throw error;
            outcomes.refused++;
            expect(error.message).toContain('fuzzed.csv');
            expect(error.message).not.toMatch(internalText);
            expect(await counts()).toBe(before);
          }
        },
      ),
      { numRuns: runs, seed: fuzzSeed(61) },
    );
    expect(outcomes.refused).toBeGreaterThan(0);
    expect(outcomes.imported).toBeGreaterThan(0);
  }, fuzzTimeout(120_000));

  it('takes NUL and other control characters out of an answer, as the form does, rather than failing', async () => {
    const text = stringify([headings, headings.map((x) => (x === 'answered_at' ? '2026-05-14' : x.startsWith('q1 ') ? 'Nul\u0000 \u202eanswer' : ''))]);
    const result = await importResponses(h.database.db, campaign, questions, Buffer.from(text), 'nul.csv', await viewerOf(h.database.db, null), cliActor);
    expect(result.rows).toBe(1);
    const stored = await queryRows<{ text: string }>(h.database.db, sql`select a.text from voice_answers a join voice_responses r on r.id = a.response_id where r.import_id = ${result.importId}`);
    expect(stored.map((a) => a.text)).toEqual(['Nul answer']);
  });
});
