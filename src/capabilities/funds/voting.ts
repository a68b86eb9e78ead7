import { createHash, createHmac, randomBytes, randomInt } from 'node:crypto';
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { recordAudit, type Actor } from '../../platform/audit/audit.ts';
import { queryRows, type Db, type Tx } from '../../platform/db/database.ts';
import { findPostcode } from '../geography/postcodes.ts';
import { locatePoints } from '../geography/locator.ts';
import { neighbourhoodBestFit } from '../community-voice/areas.ts';
import type { Mailer } from '../partnerships/mailer.ts';
import { count, validateBallot, type BallotsJson, type CountProposal, type CountResult, type CountRound } from './count.ts';
import { ballots, fundAreas, fundRounds, proposals, votingCodes, votingEmails } from './schema.ts';
import type { Round } from './web.ts';

/**
 * Participatory budgeting votes: single-use voting codes (kept only as hashes), verified email links, the
 * postcode check of who may vote, casting a ballot, and the count.
 *
 * Anonymity: a ballot row holds only the round, the choices and the channel. Using a code or an email sets a flag
 * on that code or email in the same transaction, and nothing records which ballot it was. No audit event is written
 * per ballot, since an event's time and request id could be matched against logs to find who voted how.
 */

// 31 characters with no look-alikes (no 0/O, 1/I/L). 10 of them: 31^10 ≈ 8.2 × 10^14, about 49.5 bits.
export const codeAlphabet = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
export const codeLength = 10;
export const maxBatch = 5000;

export function newCode(): string {
  let code = '';
  for (let i = 0; i < codeLength; i++) code += codeAlphabet[randomInt(codeAlphabet.length)];
  return code;
}
/** ABCD-EFGH-JK: easier to read out and type. */
export const groupCode = (code: string) => `${code.slice(0, 4)}-${code.slice(4, 8)}-${code.slice(8)}`;
/** However it was typed: upper case, spaces and dashes dropped. */
export const normaliseCode = (typed: string) => typed.toUpperCase().replace(/[\s\-–]/g, '');
export const hashCode = (typed: string) => createHash('sha256').update(normaliseCode(typed)).digest('hex');
const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

export const usedCodeMessage = 'This code has already been used or is not a code for this vote';
export const usedEmailLinkMessage = 'This email link has already been used, has expired, or is not for this vote: ask for a new one';

/** Whether the round takes ballots now: in its voting phase, not counted, and within its voting dates if set. */
export function votingOpen(round: Round, today = new Date().toISOString().slice(0, 10)): boolean {
  if (round.phase !== 'voting' || round.countedAt || !round.votingMethod) return false;
  if (round.votingOpensOn && today < round.votingOpensOn) return false;
  if (round.votingClosesOn && today > round.votingClosesOn) return false;
  return true;
}

export const countRoundOf = (round: Round): CountRound => ({ budgetPence: round.budgetPence, method: round.votingMethod ?? 'approval-budget', projectLimit: round.projectLimit });

export type BallotProposal = CountProposal & { id: string; summary: string; groupName: string | null; status: string };

/** What is on the ballot: the shortlisted proposals (funded or not, once counted), by number. */
export async function ballotProposals(db: Tx, roundId: string): Promise<BallotProposal[]> {
  return db
    .select({ id: proposals.id, number: proposals.number, title: proposals.title, summary: proposals.summary, amountPence: proposals.amountPence, groupName: proposals.groupName, status: proposals.status })
    .from(proposals)
    .where(and(eq(proposals.roundId, roundId), inArray(proposals.status, ['shortlisted', 'funded', 'not-funded'])))
    .orderBy(asc(proposals.number));
}

// ---- Codes ---------------------------------------------------------------------------------------------------

/** Makes a batch of codes; returns them (to be shown once, never again) and the batch number. */
export async function generateCodes(db: Db, round: Round, howMany: number, organisationId: string, actor: Actor): Promise<{ batch: number; codes: string[] }> {
  if (!Number.isInteger(howMany) || howMany < 1 || howMany > maxBatch) throw new Error(`A batch is 1 to ${maxBatch} codes`);
  return db.transaction(async (tx) => {
    // Lock the round so two batches made at once do not get the same number.
    await queryRows(tx, sql`select id from fund_rounds where id = ${round.id} for update`);
    const [last] = await queryRows<{ batch: number | null }>(tx, sql`select max(batch) as batch from voting_codes where round_id = ${round.id}`);
    const batch = Number(last?.batch ?? 0) + 1;
    const codes = new Set<string>();
    while (codes.size < howMany) codes.add(newCode());
    const list = [...codes];
    for (let i = 0; i < list.length; i += 500) {
      // A clash with an earlier batch is astronomically unlikely; onConflictDoNothing would hide it, so let it fail.
      await tx.insert(votingCodes).values(list.slice(i, i + 500).map((c) => ({ codeHash: hashCode(c), roundId: round.id, batch })));
    }
    await recordAudit(tx, { actor, action: 'funds.codes.generated', objectType: 'fund_round', objectId: round.id, organisationId, details: { batch, codes: howMany } });
    return { batch, codes: list };
  });
}

export type BatchCounts = { batch: number; issued: number; used: number; withdrawn: number };

export async function batchCounts(db: Tx, roundId: string): Promise<BatchCounts[]> {
  const rows = await queryRows<{ batch: number; issued: string; used: string; withdrawn: string }>(
    db,
    sql`select batch, count(*) as issued, count(*) filter (where used) as used, count(*) filter (where withdrawn) as withdrawn
        from voting_codes where round_id = ${roundId} group by batch order by batch`,
  );
  return rows.map((r) => ({ batch: Number(r.batch), issued: Number(r.issued), used: Number(r.used), withdrawn: Number(r.withdrawn) }));
}

/** Withdraws a batch's unused codes (a lost or stolen print run); returns how many were withdrawn. */
export async function withdrawBatch(db: Db, round: Round, batch: number, organisationId: string, actor: Actor): Promise<number> {
  return db.transaction(async (tx) => {
    const rows = await tx
      .update(votingCodes)
      .set({ withdrawn: true })
      .where(and(eq(votingCodes.roundId, round.id), eq(votingCodes.batch, batch), eq(votingCodes.used, false), eq(votingCodes.withdrawn, false)))
      .returning({ batch: votingCodes.batch });
    await recordAudit(tx, { actor, action: 'funds.codes.withdrawn', objectType: 'fund_round', objectId: round.id, organisationId, details: { batch, withdrawn: rows.length } });
    return rows.length;
  });
}

// ---- Emails --------------------------------------------------------------------------------------------------

/** A keyed hash of the address, so the list of who voted cannot be read back as addresses. */
export const emailHashOf = (secret: string, email: string) => createHmac('sha256', secret).update(email.trim().toLowerCase()).digest('hex');
export const isEmail = (email: string) => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email.trim()) && email.trim().length <= 254;
const tokenLife = 24 * 60 * 60 * 1000;

/**
 * Emails a link to vote. An address that has already voted gets an email saying so (and no link), so the page
 * shown is the same either way and says nothing about who has voted.
 */
export async function requestEmailVote(db: Db, mailer: Mailer, secret: string, round: Round, email: string, voteUrl: string, now = new Date()): Promise<void> {
  const emailHash = emailHashOf(secret, email);
  const token = randomBytes(32).toString('base64url');
  const sent = await db.transaction(async (tx) => {
    const [row] = await tx.select({ used: votingEmails.used }).from(votingEmails).where(and(eq(votingEmails.roundId, round.id), eq(votingEmails.emailHash, emailHash)));
    if (row?.used) return false;
    const values = { tokenHash: sha256(token), tokenExpiresAt: new Date(now.getTime() + tokenLife) };
    await tx.insert(votingEmails).values({ roundId: round.id, emailHash, ...values }).onConflictDoUpdate({ target: [votingEmails.roundId, votingEmails.emailHash], set: values });
    return true;
  });
  await mailer.send(
    sent
      ? { to: email.trim(), subject: `Your link to vote: ${round.name}`, text: `Use this link to vote in ${round.name}. It works once, for 24 hours:\n\n${voteUrl}/email/${token}\n\nIf you did not ask for it, ignore this email.` }
      : { to: email.trim(), subject: `You have already voted: ${round.name}`, text: `This email address has already been used to vote in ${round.name}, so it cannot be used again.` },
  );
}

/** Whether an emailed link's token can still be used (it is checked again, and used, when the ballot is cast). */
export async function emailTokenUsable(db: Tx, roundId: string, token: string): Promise<boolean> {
  const rows = await queryRows(db, sql`select 1 from voting_emails where round_id = ${roundId} and token_hash = ${sha256(token)} and not used and token_expires_at > now()`);
  return rows.length > 0;
}

// ---- Who may vote --------------------------------------------------------------------------------------------

export type AreaName = { name: string };

/** The fund's areas in words, e.g. "Pemberton ward or the Worsley Mesnes neighbourhood". */
export async function fundAreaNames(db: Tx, fundId: string): Promise<string[]> {
  const rows = await queryRows<{ name: string }>(
    db,
    sql`select coalesce(case when fa.neighbourhood_id is not null then n.name || ' neighbourhood' else a.name || ' (' || fa.area_code || ')' end, fa.area_code) as name
        from fund_areas fa left join areas a on a.vintage = fa.area_vintage and a.code = fa.area_code left join neighbourhoods n on n.id = fa.neighbourhood_id
        where fa.fund_id = ${fundId} order by 1`,
  );
  return rows.map((r) => r.name);
}

/**
 * Whether someone living at this postcode may vote on the fund's money: its point is in one of the fund's wards
 * (or other areas, by vintage), or its 2021 LSOA is mostly (share ≥ 0.5) in one of its neighbourhoods' current
 * version. The postcode is only looked at here, never kept. A fund with no areas is open to everyone.
 */
export async function checkEligibility(db: Tx, fundId: string, postcode: string): Promise<{ ok: true } | { ok: false; message: string }> {
  const areas = await db.select().from(fundAreas).where(eq(fundAreas.fundId, fundId));
  if (areas.length === 0) return { ok: true };
  const found = await findPostcode(db, postcode);
  if (!found.postcode) return { ok: false, message: found.message };
  const p = found.postcode;
  const vintages = [...new Set(['lsoa21', ...areas.flatMap((a) => (a.areaVintage ? [a.areaVintage] : []))])];
  const located = p.latitude !== null && p.longitude !== null ? (await locatePoints(db, [{ lon: p.longitude, lat: p.latitude }], vintages))[0]! : null;
  const lsoa21 = located?.lsoa21 ?? p.lsoa21;
  for (const a of areas) {
    if (a.areaVintage && a.areaCode && located?.[a.areaVintage] === a.areaCode) return { ok: true };
    if (a.neighbourhoodId && lsoa21) {
      const rows = await queryRows(
        db,
        sql`select 1 from neighbourhood_lsoas nl join neighbourhood_versions v on v.id = nl.version_id join neighbourhoods n on n.id = v.neighbourhood_id and v.version = n.current_version
            where n.id = ${a.neighbourhoodId} and nl.lsoa_vintage = 'lsoa21' and nl.lsoa_code = ${lsoa21} and nl.share >= ${neighbourhoodBestFit}`,
      );
      if (rows.length) return { ok: true };
    }
  }
  const names = await fundAreaNames(db, fundId);
  return { ok: false, message: `${p.display} is not in the area this vote is for (${names.join(', ')}): only people who live there can vote` };
}

// ---- Casting -------------------------------------------------------------------------------------------------

export type Credential = { kind: 'code'; code: string } | { kind: 'email'; token: string };
export type CastOutcome = { ok: true } | { ok: false; field: 'code' | 'choices' | 'round'; message: string };

/**
 * Casts a ballot: checks the choices, uses the code (or email link) and inserts the ballot in one transaction, so
 * a code is never used without its ballot, nor a ballot kept without its code. The round is locked for share so
 * a count (which locks it for update) sees every ballot or none of a vote in progress.
 */
export async function castBallot(db: Db, round: Round, credential: Credential, choices: number[], channel: 'online' | 'paper'): Promise<CastOutcome> {
  const onBallot = await ballotProposals(db, round.id);
  const problem = validateBallot(countRoundOf(round), onBallot, choices);
  if (problem) return { ok: false, field: 'choices', message: problem };
  class Refused extends Error {}
  try {
    await db.transaction(async (tx) => {
      const [locked] = await queryRows<{ counted: boolean; phase: string }>(tx, sql`select counted_at is not null as counted, phase from fund_rounds where id = ${round.id} for share`);
      if (!locked || locked.counted || locked.phase !== 'voting') throw new Refused('Voting has closed: the votes have been counted');
      const used =
        credential.kind === 'code'
          ? await queryRows(tx, sql`update voting_codes set used = true where code_hash = ${hashCode(credential.code)} and round_id = ${round.id} and not used and not withdrawn returning 1`)
          : await queryRows(tx, sql`update voting_emails set used = true, token_hash = null, token_expires_at = null where round_id = ${round.id} and token_hash = ${sha256(credential.token)} and not used and token_expires_at > now() returning 1`);
      if (used.length === 0) throw new Refused(credential.kind === 'code' ? usedCodeMessage : usedEmailLinkMessage);
      await tx.insert(ballots).values({ roundId: round.id, choices, channel });
    });
  } catch (e) {
    if (e instanceof Refused) return { ok: false, field: e.message.startsWith('Voting') ? 'round' : 'code', message: e.message };
    throw e;
  }
  return { ok: true };
}

// ---- Counting and publishing ----------------------------------------------------------------------------------

/** The published ballots: in ballot id order (ids are random, so the order says nothing about when they came). */
export async function ballotsJsonOf(db: Tx, round: Round): Promise<BallotsJson> {
  const onBallot = await ballotProposals(db, round.id);
  const rows = await db.select({ choices: ballots.choices }).from(ballots).where(eq(ballots.roundId, round.id)).orderBy(asc(ballots.id));
  return {
    round: { id: round.id, name: round.name, budgetPence: round.budgetPence, method: round.votingMethod ?? 'approval-budget', projectLimit: round.projectLimit },
    proposals: onBallot.map((p) => ({ number: p.number, title: p.title, amountPence: p.amountPence })),
    ballots: rows.map((r) => r.choices),
  };
}

export async function channelCounts(db: Tx, roundId: string): Promise<{ online: number; paper: number }> {
  const rows = await queryRows<{ channel: string; n: string }>(db, sql`select channel, count(*) as n from ballots where round_id = ${roundId} group by channel`);
  const of = (c: string) => Number(rows.find((r) => r.channel === c)?.n ?? 0);
  return { online: of('online'), paper: of('paper') };
}

/**
 * Counts the round's ballots and publishes the result: the round moves to its results phase (counted_at set, so no
 * more ballots), and each proposal on the ballot becomes funded or not-funded. Nothing else is stored: the result
 * is re-run from the ballots whenever it is shown, as anyone can re-run it from ballots.json.
 */
export async function countAndPublish(db: Db, round: Round, organisationId: string, actor: Actor): Promise<{ ok: true; result: CountResult } | { ok: false; message: string }> {
  return db.transaction(async (tx) => {
    const [locked] = await tx.select().from(fundRounds).where(eq(fundRounds.id, round.id)).for('update');
    if (!locked || locked.phase !== 'voting' || locked.countedAt || !locked.votingMethod) return { ok: false as const, message: 'Only a round in its voting phase, not yet counted, can be counted' };
    const data = await ballotsJsonOf(tx, locked);
    if (data.proposals.length === 0) return { ok: false as const, message: 'There are no shortlisted proposals to count' };
    const result = count(countRoundOf(locked), data.proposals, data.ballots);
    await tx.update(fundRounds).set({ phase: 'results', countedAt: new Date(), updatedAt: new Date() }).where(eq(fundRounds.id, round.id));
    const funded = new Set(result.proposals.filter((p) => p.funded).map((p) => p.number));
    for (const p of await ballotProposals(tx, round.id)) {
      await tx.update(proposals).set({ status: funded.has(p.number) ? 'funded' : 'not-funded', updatedAt: new Date() }).where(eq(proposals.id, p.id));
    }
    await recordAudit(tx, {
      actor,
      action: 'funds.round.counted',
      objectType: 'fund_round',
      objectId: round.id,
      organisationId,
      details: { ballots: result.ballotCount, funded: [...funded], totalFundedPence: result.totalFundedPence, leftPence: result.leftPence },
    });
    return { ok: true as const, result };
  });
}

/** ballots.csv: one row per ballot, numbered 1..n in the same order as ballots.json, choices as "3;7;12". */
export function ballotsCsv(data: BallotsJson): string {
  return ['ballot,choices', ...data.ballots.map((b, i) => `${i + 1},${b.join(';')}`)].join('\r\n') + '\r\n';
}
