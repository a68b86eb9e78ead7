import { eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { Client, emailOf, type Visitor } from '../../../tests/support/app.ts';
import { loadWiganPlaces } from '../community-voice/testing.ts';
import { cliActor } from '../../platform/audit/audit.ts';
import type { Db } from '../../platform/db/database.ts';
import { findPostcode } from '../geography/postcodes.ts';
import { locatePoints } from '../geography/locator.ts';
import { createFund, createRound, getFund, getRound } from './rounds.ts';
import { fundRounds, type RoundPhase, type VotingMethod } from './schema.ts';
import type { Fund, Round } from './web.ts';

/**
 * What the funds tests share. Call community-voice/testing.ts loadWiganPlaces(db) first: the sample fund covers
 * the 2025 ward containing WN1 1AA (Wigan town centre), found from the real postcode as production would.
 */

/** The postcode the sample fund's ward contains, and one in Wigan outside it (Leigh). */
export const insidePostcode = 'WN1 1AA';
export const outsidePostcode = 'WN7 1AA';

/** The 2025 ward containing a postcode, from its point (as the proposal form places a project postcode). */
export async function wardOfPostcode(db: Db, postcode: string): Promise<string> {
  const found = await findPostcode(db, postcode);
  if (!found.postcode || found.postcode.latitude === null || found.postcode.longitude === null) throw new Error(`${postcode} is not loaded: call loadWiganPlaces first`);
  const [codes] = await locatePoints(db, [{ lon: found.postcode.longitude, lat: found.postcode.latitude }], ['ward25'] as const);
  if (!codes?.ward25) throw new Error(`${postcode} is in no 2025 ward loaded`);
  return codes.ward25;
}

export type SampleFundOptions = { phase?: RoundPhase; votingMethod?: VotingMethod | null; projectLimit?: number | null; budgetPence?: number };

/**
 * A fund of £50,000 (sample data) for the ward containing WN1 1AA, and a round of £10,000 (or `budgetPence`) in the
 * given phase (draft unless told), voted by approval within the budget unless told (null: the panel decides).
 * The phase is set directly, without the rules setPhase applies (e.g. voting needs shortlisted proposals), so tests
 * can start anywhere.
 */
export async function sampleFund(db: Db, organisationId: string, overrides: SampleFundOptions = {}): Promise<{ fund: Fund; round: Round }> {
  const ward = await wardOfPostcode(db, insidePostcode);
  const fundId = await createFund(
    db,
    { organisationId, name: 'Wigan Ward Alliance Fund (sample data)', description: 'Money for projects in Wigan town centre chosen by residents.', budgetPence: 5_000_000, grantIdPrefix: '360G-patchworksample', wardCodes: [ward], neighbourhoodIds: [], sample: true },
    cliActor,
  );
  const fund = (await getFund(db, fundId))!;
  const votingMethod = overrides.votingMethod === undefined ? 'approval-budget' : overrides.votingMethod;
  const projectLimit = overrides.projectLimit ?? (votingMethod === 'approval-limit' || votingMethod === 'ranked' ? 3 : null);
  const roundId = await createRound(
    db,
    fund,
    {
      name: 'Spring 2026 round (sample data)',
      description: 'Ideas for small projects, up to £5,000 each.',
      budgetPence: overrides.budgetPence ?? 1_000_000,
      votingMethod,
      projectLimit,
      minAmountPence: null,
      maxAmountPence: null,
      proposalsCloseOn: null,
      votingOpensOn: null,
      votingClosesOn: null,
      emailVoting: false,
    },
    cliActor,
  );
  if (overrides.phase && overrides.phase !== 'draft') await db.update(fundRounds).set({ phase: overrides.phase }).where(eq(fundRounds.id, roundId));
  return { fund, round: (await getRound(db, roundId))! };
}

/**
 * What the funds test files share inside a describe: Wigan's places loaded once, on first use, and a signed-in
 * client for a kind of visitor (loading the places first, since every page needs them).
 */
export function fundsHarness(h: { database: { db: Db }; app: FastifyInstance }) {
  let placesLoaded = false;
  const places = async () => {
    if (!placesLoaded) {
      await loadWiganPlaces(h.database.db);
      placesLoaded = true;
    }
  };
  const signedIn = async (who: Exclude<Visitor, 'anonymous'>) => {
    await places();
    const client = new Client(h.app);
    const response = await client.signIn(emailOf(who));
    if (response.statusCode !== 303) throw new Error(`${who} could not sign in (${response.statusCode})`);
    return client;
  };
  return { places, signedIn };
}
