import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../../platform/audit/audit.ts';
import { engines } from '../../../tests/support/engines.ts';
import { useSeededApp } from '../../../tests/support/app.ts';
import { awkwardTexts, hostileCell, markupPayloads, tableCounts } from '../../../tests/support/hostile.ts';
import { fuzzRuns, fuzzSeed, fuzzTimeout } from '../../../tests/support/profile.ts';
import { proposals } from './schema.ts';
import type { Round } from './web.ts';
import { sampleFund } from './testing.ts';
import { loadWiganPlaces } from '../community-voice/testing.ts';
import { castBallot, codeAlphabet, codeLength, generateCodes, maxBatch, normaliseCode, usedCodeMessage } from './voting.ts';

/**
 * Voting codes in participatory budgeting (property-based): an issued code typed any way a voter might (lower
 * case, spaces, hyphens, en dashes) casts exactly one ballot and is then spent; anything else typed as a code
 * (near misses, markup, control characters, huge text, codes with look-alike letters) is refused with the one
 * message that says nothing about which codes exist, and writes nothing.
 */
const runs = fuzzRuns(25);
const tables = ['ballots', 'voting_codes', 'audit_events'];

/** A code as a person might type it from a printed card. */
const typed = (code: string) =>
  fc.array(fc.constantFrom('', ' ', '-', '–', '  '), { minLength: codeLength + 1, maxLength: codeLength + 1 }).chain((gaps) =>
    fc.array(fc.boolean(), { minLength: codeLength, maxLength: codeLength }).map((lower) => gaps[0] + [...code].map((c, i) => (lower[i] ? c.toLowerCase() : c) + gaps[i + 1]).join('')),
  );

/** Text that is not an issued code: near misses, look-alikes and hostile text. */
const notACode = fc.oneof(
  fc.string({ unit: fc.constantFrom(...codeAlphabet), minLength: codeLength, maxLength: codeLength }),
  fc.string({ unit: fc.constantFrom(...codeAlphabet), minLength: 0, maxLength: 30 }),
  fc.constantFrom('OOOO-IIII-LL', '0000-1111-00', ...markupPayloads, ...awkwardTexts),
  hostileCell,
);

describe.each(engines)('voting codes on %s', (engine) => {
  const h = useSeededApp(engine);
  let round: Round;
  let codes: string[] = [];
  const counts = () => tableCounts(h.database.db, tables);

  beforeAll(async () => {
    await loadWiganPlaces(h.database.db);
    ({ round } = await sampleFund(h.database.db, h.seed.organisationId, { phase: 'voting', votingMethod: 'approval-budget', budgetPence: 10_000 }));
    await h.database.db.insert(proposals).values([1, 2].map((number) => ({ roundId: round.id, number, title: `Project ${number} (sample data)`, summary: 'Sample data', amountPence: 1_000, applicantKind: 'community-group' as const, groupName: `Group ${number}`, status: 'shortlisted' as const })));
    ({ codes } = await generateCodes(h.database.db, round, Math.max(runs, 25), h.seed.organisationId, cliActor));
  });

  it('casts exactly one ballot for an issued code however it is typed, then refuses it', async () => {
    let next = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constant(null).chain(() => typed(codes[next % codes.length]!)),
        fc.constant(null).chain(() => typed(codes[next % codes.length]!)),
        async (first, again) => {
          const code = codes[next++ % codes.length]!;
          expect(normaliseCode(first)).toBe(code);
          const before = await counts();
          const outcome = await castBallot(h.database.db, round, { kind: 'code', code: first }, [1], 'online');
          if (!outcome.ok) {
            // The code was spent by an earlier run of this property (more runs than codes): refused, nothing written.
            expect(outcome).toEqual({ ok: false, field: 'code', message: usedCodeMessage });
            expect(await counts()).toBe(before);
            return;
          }
          const after = await counts();
          expect(after).not.toBe(before);
          expect(await castBallot(h.database.db, round, { kind: 'code', code: again }, [2], 'online')).toEqual({ ok: false, field: 'code', message: usedCodeMessage });
          expect(await counts()).toBe(after);
        },
      ),
      { numRuns: runs, seed: fuzzSeed(41) },
    );
  }, fuzzTimeout(60_000));

  it('refuses anything else typed as a code with the same message, writing nothing', async () => {
    const issued = new Set(codes);
    await fc.assert(
      fc.asyncProperty(notACode, async (text) => {
        fc.pre(!issued.has(normaliseCode(text)));
        const before = await counts();
        expect(await castBallot(h.database.db, round, { kind: 'code', code: text }, [1], 'online')).toEqual({ ok: false, field: 'code', message: usedCodeMessage });
        expect(await counts()).toBe(before);
      }),
      { numRuns: runs * 2, seed: fuzzSeed(42) },
    );
  }, fuzzTimeout(60_000));

  it('refuses a batch of codes that is not a whole number from 1 to the most allowed, writing nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.integer({ max: 0 }), fc.integer({ min: maxBatch + 1 }), fc.double().filter((n) => !Number.isInteger(n))), async (howMany) => {
        const before = await counts();
        await expect(generateCodes(h.database.db, round, howMany, h.seed.organisationId, cliActor)).rejects.toThrow(`A batch is 1 to ${maxBatch} codes`);
        expect(await counts()).toBe(before);
      }),
      { numRuns: runs, seed: fuzzSeed(43) },
    );
  }, fuzzTimeout(30_000));
});
