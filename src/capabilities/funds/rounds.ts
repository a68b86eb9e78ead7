import { and, asc, eq, sql } from 'drizzle-orm';
import { recordAudit, type Actor } from '../../platform/audit/audit.ts';
import { queryRows, type Db, type Tx } from '../../platform/db/database.ts';
import { findPostcode } from '../geography/postcodes.ts';
import { locatePoints } from '../geography/locator.ts';
import { lsoasIn, type VoiceArea } from '../community-voice/areas.ts';
import { neighbourhoods } from '../neighbourhoods/schema.ts';
import { formatPence, parsePounds } from './money.ts';
import { applicantKinds, fundAreas, fundRounds, funds, proposalDecisions, proposals, roundPhases, votingMethods, type ProposalStatus, type RoundPhase, type VotingMethod } from './schema.ts';
import type { Fund, Round } from './web.ts';

/**
 * Funds, their eligible areas and rounds; a round's phases; proposals from the public and the panel's decisions.
 * Every change is one transaction with its audit event. Money is integer pence; a fund's rounds never together
 * budget more than the fund, and a panel-decided round never funds more than its budget.
 */

export const maxName = 150;
export const maxDescription = 5000;
export const maxSummary = 300;
export const maxReason = 2000;
export const maxAreas = 200;
const grantIdPrefixPattern = /^360G-[A-Za-z0-9-]+$/;
const emailPattern = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const isoDate = /^\d{4}-\d{2}-\d{2}$/;
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A refusal naming the form field it is about and the HTTP status it deserves. */
export class FundsError extends Error {
  constructor(
    message: string,
    public readonly field: string,
    public readonly status: 400 | 404 | 409 = 400,
  ) {
    super(message);
    this.name = 'FundsError';
  }
}

export type Problem = { field: string; message: string };

export const phaseWords: Record<RoundPhase, string> = {
  draft: 'Being prepared',
  proposals: 'Open for proposals',
  review: 'Proposals being reviewed',
  voting: 'Voting open',
  results: 'Results published',
  delivery: 'Projects being delivered',
  closed: 'Closed',
};

export const votingMethodWords: Record<VotingMethod | 'none', string> = {
  none: 'No vote: the panel decides',
  'approval-budget': 'Approval within the budget: voters choose projects whose costs together fit the budget',
  'approval-limit': 'Approval with a project limit: voters choose up to a number of projects',
  ranked: 'Ranked: voters put projects in order of preference',
};

export const statusWords: Record<ProposalStatus, string> = {
  submitted: 'Submitted',
  shortlisted: 'Shortlisted',
  rejected: 'Rejected',
  withdrawn: 'Withdrawn',
  funded: 'Funded',
  'not-funded': 'Not funded',
};

export const applicantKindWords: Record<(typeof applicantKinds)[number], string> = {
  resident: 'A resident',
  'community-group': 'A community group (not registered)',
  'registered-charity': 'A registered charity',
  'registered-company': 'A registered company (for example a community interest company)',
  'public-body': 'A school or public body',
};

// ---- Funds -------------------------------------------------------------------------------------------------

export type NewFund = {
  organisationId: string;
  name: string;
  description: string | null;
  budgetPence: number;
  grantIdPrefix: string | null;
  /** 2025 ward codes. */
  wardCodes: string[];
  neighbourhoodIds: string[];
  sample?: boolean;
};

/** Neighbourhoods an organisation may use as a fund's area: its own and those shared beyond their owner. */
const usableBy = (organisationId: string) => sql`(${neighbourhoods.sharing} in ('public', 'partners') or ${neighbourhoods.ownerOrganisationId} = ${organisationId})`;

export async function neighbourhoodChoices(db: Tx, organisationId: string): Promise<{ id: string; name: string }[]> {
  return db
    .select({ id: neighbourhoods.id, name: neighbourhoods.name })
    .from(neighbourhoods)
    .where(and(usableBy(organisationId), sql`${neighbourhoods.layerId} is null`))
    .orderBy(asc(neighbourhoods.name))
    .limit(500);
}

export async function createFund(db: Db, input: NewFund, actor: Actor): Promise<string> {
  const name = input.name.trim();
  if (!name) throw new FundsError('Enter the fund’s name', 'name');
  if (name.length > maxName) throw new FundsError(`The fund’s name must be ${maxName} characters or fewer`, 'name');
  if ((input.description ?? '').length > maxDescription) throw new FundsError(`The description must be ${maxDescription} characters or fewer`, 'description');
  if (!Number.isSafeInteger(input.budgetPence) || input.budgetPence <= 0) throw new FundsError('Enter the fund’s budget: more than £0', 'budget');
  const prefix = input.grantIdPrefix?.trim() || null;
  if (prefix && !grantIdPrefixPattern.test(prefix)) throw new FundsError('The 360Giving identifier prefix must start 360G- followed by letters, numbers and hyphens, like 360G-wigancouncil', 'grantIdPrefix');
  const wardCodes = [...new Set(input.wardCodes.map((c) => c.trim().toUpperCase()).filter(Boolean))];
  const neighbourhoodIds = [...new Set(input.neighbourhoodIds.filter(Boolean))];
  if (!wardCodes.length && !neighbourhoodIds.length) throw new FundsError('Give at least one eligible area: a 2025 ward code or a neighbourhood', 'wards');
  if (wardCodes.length + neighbourhoodIds.length > maxAreas) throw new FundsError(`A fund may cover at most ${maxAreas} areas`, 'wards');
  return db.transaction(async (tx) => {
    if (wardCodes.length) {
      const known = await queryRows<{ code: string }>(tx, sql`select code from areas where vintage = 'ward25' and code in (${sql.join(wardCodes.map((c) => sql`${c}`), sql`, `)})`);
      const missing = wardCodes.filter((c) => !known.some((k) => k.code === c));
      if (missing.length) throw new FundsError(`Not a 2025 ward code: ${missing.slice(0, 5).join(', ')}. Give codes like E05014906, one on each line`, 'wards');
    }
    if (neighbourhoodIds.length) {
      if (neighbourhoodIds.some((id) => !uuidPattern.test(id))) throw new FundsError('Choose neighbourhoods from the list', 'neighbourhoods');
      const usable = await tx
        .select({ id: neighbourhoods.id })
        .from(neighbourhoods)
        .where(and(usableBy(input.organisationId), sql`${neighbourhoods.id} in (${sql.join(neighbourhoodIds.map((id) => sql`${id}::uuid`), sql`, `)})`));
      if (usable.length !== neighbourhoodIds.length) throw new FundsError('Choose neighbourhoods from the list', 'neighbourhoods');
    }
    const [fund] = await tx
      .insert(funds)
      .values({ organisationId: input.organisationId, name, description: input.description?.trim() || null, budgetPence: input.budgetPence, grantIdPrefix: prefix, sample: input.sample ?? false, createdBy: actor.userId })
      .returning({ id: funds.id });
    const areaRows = [...wardCodes.map((code) => ({ fundId: fund!.id, areaVintage: 'ward25', areaCode: code })), ...neighbourhoodIds.map((id) => ({ fundId: fund!.id, neighbourhoodId: id }))];
    await tx.insert(fundAreas).values(areaRows);
    await recordAudit(tx, { actor, action: 'fund.create', objectType: 'fund', objectId: fund!.id, organisationId: input.organisationId, details: { name, budgetPence: input.budgetPence, wards: wardCodes, neighbourhoods: neighbourhoodIds } });
    return fund!.id;
  });
}

export async function getFund(db: Tx, fundId: string): Promise<Fund | null> {
  if (!uuidPattern.test(fundId)) return null;
  const [fund] = await db.select().from(funds).where(eq(funds.id, fundId));
  return fund ?? null;
}

export async function listFunds(db: Tx, organisationId: string) {
  const rows = await queryRows<{ id: string; name: string; budget_pence: string; allocated: string; rounds: number; sample: boolean }>(
    db,
    sql`select f.id, f.name, f.budget_pence, coalesce((select sum(r.budget_pence) from fund_rounds r where r.fund_id = f.id), 0) as allocated,
          (select count(*)::int from fund_rounds r where r.fund_id = f.id) as rounds, f.sample
        from funds f where f.organisation_id = ${organisationId} order by f.created_at desc`,
  );
  return rows.map((r) => ({ id: r.id, name: r.name, budgetPence: Number(r.budget_pence), allocatedPence: Number(r.allocated), rounds: Number(r.rounds), sample: r.sample }));
}

/** What the fund's rounds have been given, in pence. */
export async function allocatedPence(db: Tx, fundId: string): Promise<number> {
  const [row] = await queryRows<{ total: string | null }>(db, sql`select sum(budget_pence) as total from fund_rounds where fund_id = ${fundId}`);
  return Number(row?.total ?? 0);
}

export type FundArea = VoiceArea & { key: string };

/** A fund's eligible areas, wards then neighbourhoods, each with its key (ward25:E05… or neighbourhood:<id>). */
export async function areasOfFund(db: Tx, fundId: string): Promise<FundArea[]> {
  const rows = await queryRows<{ code: string | null; neighbourhood_id: string | null; name: string | null; version_id: string | null }>(
    db,
    sql`select fa.area_code as code, fa.neighbourhood_id, coalesce(a.name, n.name) as name, v.id as version_id
        from fund_areas fa
        left join areas a on a.vintage = 'ward25' and a.code = fa.area_code
        left join neighbourhoods n on n.id = fa.neighbourhood_id
        left join neighbourhood_versions v on v.neighbourhood_id = n.id and v.version = n.current_version
        where fa.fund_id = ${fundId} order by fa.neighbourhood_id nulls first, 3`,
  );
  return rows.map((r): FundArea =>
    r.neighbourhood_id
      ? { kind: 'neighbourhood', id: r.neighbourhood_id, name: r.name ?? 'A neighbourhood', versionId: r.version_id ?? '', key: `neighbourhood:${r.neighbourhood_id}` }
      : { kind: 'ward25', code: r.code!, name: r.name ?? r.code!, key: `ward25:${r.code}` },
  );
}

export const areaLabel = (a: FundArea) => (a.kind === 'neighbourhood' ? `${a.name} (neighbourhood)` : `${a.name} (ward, ${a.code})`);

// ---- Rounds ------------------------------------------------------------------------------------------------

export type NewRound = {
  name: string;
  description: string | null;
  budgetPence: number;
  votingMethod: VotingMethod | null;
  projectLimit: number | null;
  minAmountPence: number | null;
  maxAmountPence: number | null;
  proposalsCloseOn: string | null;
  votingOpensOn: string | null;
  votingClosesOn: string | null;
  emailVoting: boolean;
};

const validDate = (d: string) => isoDate.test(d) && !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d);

export async function createRound(db: Db, fund: Fund, input: NewRound, actor: Actor): Promise<string> {
  const name = input.name.trim();
  if (!name) throw new FundsError('Enter the round’s name', 'name');
  if (name.length > maxName) throw new FundsError(`The round’s name must be ${maxName} characters or fewer`, 'name');
  if ((input.description ?? '').length > maxDescription) throw new FundsError(`The description must be ${maxDescription} characters or fewer`, 'description');
  if (!Number.isSafeInteger(input.budgetPence) || input.budgetPence <= 0) throw new FundsError('Enter the round’s budget: more than £0', 'budget');
  if (input.votingMethod !== null && !votingMethods.includes(input.votingMethod)) throw new FundsError('Choose how the round decides', 'votingMethod');
  const needsLimit = input.votingMethod === 'approval-limit' || input.votingMethod === 'ranked';
  if (needsLimit && (input.projectLimit === null || !Number.isInteger(input.projectLimit) || input.projectLimit < 1 || input.projectLimit > 50))
    throw new FundsError(input.votingMethod === 'ranked' ? 'Enter how many projects a voter may rank: a whole number from 1 to 50' : 'Enter how many projects a voter may choose: a whole number from 1 to 50', 'projectLimit');
  const projectLimit = needsLimit ? input.projectLimit : null;
  const { minAmountPence: min, maxAmountPence: max } = input;
  if (min !== null && min > input.budgetPence) throw new FundsError('The smallest amount cannot be more than the round’s budget', 'minAmount');
  if (min !== null && max !== null && max < min) throw new FundsError('The largest amount cannot be less than the smallest', 'maxAmount');
  if (max !== null && max <= 0) throw new FundsError('The largest amount must be more than £0', 'maxAmount');
  for (const [field, value, label] of [
    ['proposalsCloseOn', input.proposalsCloseOn, 'The date proposals close'],
    ['votingOpensOn', input.votingOpensOn, 'The date voting opens'],
    ['votingClosesOn', input.votingClosesOn, 'The date voting closes'],
  ] as const) {
    if (value !== null && !validDate(value)) throw new FundsError(`${label} must be a real date`, field);
  }
  const voting = input.votingMethod !== null;
  if (!voting && (input.votingOpensOn || input.votingClosesOn)) throw new FundsError('A round the panel decides has no voting dates: leave them empty or choose a voting method', 'votingOpensOn');
  if (input.votingOpensOn && input.votingClosesOn && input.votingClosesOn < input.votingOpensOn) throw new FundsError('Voting must close on or after the day it opens', 'votingClosesOn');
  if (input.proposalsCloseOn && input.votingOpensOn && input.votingOpensOn < input.proposalsCloseOn) throw new FundsError('Voting must open on or after the day proposals close', 'votingOpensOn');
  if (!voting && input.emailVoting) throw new FundsError('Voting by email needs a voting method', 'emailVoting');
  return db.transaction(async (tx) => {
    // The fund's row is locked so two rounds made at once cannot both fit in what is left.
    const [locked] = await queryRows<{ budget_pence: string }>(tx, sql`select budget_pence from funds where id = ${fund.id} for update`);
    if (!locked) throw new FundsError('The fund no longer exists', 'form', 404);
    const fundBudget = Number(locked.budget_pence);
    const allocated = await allocatedPence(tx, fund.id);
    if (allocated + input.budgetPence > fundBudget)
      throw new FundsError(`The round’s budget of ${formatPence(input.budgetPence)} is more than is left of the fund: ${formatPence(fundBudget - allocated)} of ${formatPence(fundBudget)} (${formatPence(allocated)} is already given to rounds)`, 'budget', 409);
    const [round] = await tx
      .insert(fundRounds)
      .values({ fundId: fund.id, name, description: input.description?.trim() || null, budgetPence: input.budgetPence, votingMethod: input.votingMethod, projectLimit, minAmountPence: min, maxAmountPence: max, proposalsCloseOn: input.proposalsCloseOn, votingOpensOn: input.votingOpensOn, votingClosesOn: input.votingClosesOn, emailVoting: input.emailVoting })
      .returning({ id: fundRounds.id });
    await recordAudit(tx, { actor, action: 'fund-round.create', objectType: 'fund-round', objectId: round!.id, organisationId: fund.organisationId, details: { fundId: fund.id, name, budgetPence: input.budgetPence, votingMethod: input.votingMethod } });
    return round!.id;
  });
}

export async function getRound(db: Tx, roundId: string): Promise<Round | null> {
  if (!uuidPattern.test(roundId)) return null;
  const [round] = await db.select().from(fundRounds).where(eq(fundRounds.id, roundId));
  return round ?? null;
}

export async function roundsOf(db: Tx, fundId: string): Promise<Round[]> {
  return db.select().from(fundRounds).where(eq(fundRounds.fundId, fundId)).orderBy(asc(fundRounds.createdAt));
}

/** The phases a round goes through: a round the panel decides has no voting. */
export const phasesOf = (round: Pick<Round, 'votingMethod'>): RoundPhase[] => roundPhases.filter((p) => p !== 'voting' || round.votingMethod !== null);

/** The phase after this one, or null when the round is closed. */
export function nextPhase(round: Pick<Round, 'votingMethod' | 'phase'>): RoundPhase | null {
  const phases = phasesOf(round);
  return phases[phases.indexOf(round.phase) + 1] ?? null;
}

/** Whether staff may move the round to `to` on the phase form (results of a vote come from the count alone). */
export function phaseChoices(round: Pick<Round, 'votingMethod' | 'phase'>): RoundPhase[] {
  const next = nextPhase(round);
  const choices: RoundPhase[] = [];
  if (next && !(next === 'results' && round.votingMethod !== null)) choices.push(next);
  if (round.phase === 'review') choices.push('proposals');
  return choices;
}

/**
 * Moves a round to another phase: only forward one phase at a time (a round without a vote skips voting), or back
 * from review to proposals to take more. Voting needs at least two shortlisted proposals. Closing a round erases
 * applicants' contact details, as the proposal form promises. H2's count calls this to move voting → results.
 */
export async function setPhase(db: Tx, round: Pick<Round, 'id'>, to: RoundPhase, actor: Actor): Promise<void> {
  if (!roundPhases.includes(to)) throw new FundsError('Choose a phase', 'phase');
  await db.transaction(async (tx) => {
    const [current] = await queryRows<{ phase: RoundPhase; voting_method: VotingMethod | null; fund_id: string }>(tx, sql`select phase, voting_method, fund_id from fund_rounds where id = ${round.id} for update`);
    if (!current) throw new FundsError('The round no longer exists', 'phase', 404);
    const now = { phase: current.phase, votingMethod: current.voting_method };
    const next = nextPhase(now);
    const back = now.phase === 'review' && to === 'proposals';
    if (to === now.phase) throw new FundsError(`The round is already ${phaseWords[to].toLowerCase()}`, 'phase', 409);
    if (!back && to !== next) {
      const phases = phasesOf(now);
      if (!phases.includes(to)) throw new FundsError('A round the panel decides has no voting phase', 'phase', 409);
      throw new FundsError(phases.indexOf(to) < phases.indexOf(now.phase) ? 'A round cannot go back a phase, except from review to proposals' : `The next phase is ${next ? phaseWords[next].toLowerCase() : 'none: the round is closed'}; phases cannot be skipped`, 'phase', 409);
    }
    if (to === 'voting') {
      const [row] = await queryRows<{ n: number }>(tx, sql`select count(*)::int as n from proposals where round_id = ${round.id} and status = 'shortlisted'`);
      if (Number(row?.n ?? 0) < 2) throw new FundsError('Voting needs at least 2 shortlisted proposals', 'phase', 409);
    }
    let erased = 0;
    if (to === 'closed') {
      const rows = await tx
        .update(proposals)
        .set({ contactName: null, contactEmail: null, updatedAt: new Date() })
        .where(and(eq(proposals.roundId, round.id), sql`(contact_name is not null or contact_email is not null)`))
        .returning({ id: proposals.id });
      erased = rows.length;
    }
    await tx.update(fundRounds).set({ phase: to, updatedAt: new Date() }).where(eq(fundRounds.id, round.id));
    const [fund] = await tx.select({ organisationId: funds.organisationId }).from(funds).where(eq(funds.id, current.fund_id));
    await recordAudit(tx, { actor, action: 'fund-round.phase', objectType: 'fund-round', objectId: round.id, organisationId: fund?.organisationId ?? null, details: { from: now.phase, to, ...(to === 'closed' ? { contactDetailsErased: erased } : {}) } });
  });
}

// ---- Proposals ---------------------------------------------------------------------------------------------

export type Proposal = typeof proposals.$inferSelect;

/** Shortlisted proposals of a round, by number: what goes on the ballot. */
export async function shortlisted(db: Tx, roundId: string): Promise<Proposal[]> {
  return db.select().from(proposals).where(and(eq(proposals.roundId, roundId), eq(proposals.status, 'shortlisted'))).orderBy(asc(proposals.number));
}

export async function proposalsOf(db: Tx, roundId: string): Promise<(Proposal & { areaName: string | null })[]> {
  const rows = await db
    .select({ proposal: proposals, neighbourhoodName: neighbourhoods.name, wardName: sql<string | null>`(select name from areas where vintage = 'ward25' and code = ${proposals.ward25})` })
    .from(proposals)
    .leftJoin(neighbourhoods, eq(neighbourhoods.id, proposals.neighbourhoodId))
    .where(eq(proposals.roundId, roundId))
    .orderBy(asc(proposals.number));
  return rows.map((r) => ({ ...r.proposal, areaName: r.neighbourhoodName ?? r.wardName ?? r.proposal.ward25 }));
}

export async function getProposal(db: Tx, roundId: string, proposalId: string): Promise<Proposal | null> {
  if (!uuidPattern.test(proposalId)) return null;
  const [p] = await db.select().from(proposals).where(and(eq(proposals.id, proposalId), eq(proposals.roundId, roundId)));
  return p ?? null;
}

export type ProposalInput = {
  title: string;
  summary: string;
  description: string;
  amount: string;
  applicantKind: string;
  groupName: string;
  registeredNumber: string;
  area: string;
  postcode: string;
  contactName: string;
  contactEmail: string;
};

/** A charity or company number as the registers write it, or null when it does not look like one. */
export function cleanRegisteredNumber(kind: string, typed: string): string | null {
  const t = typed.trim().toUpperCase().replace(/\s+/g, '');
  if (kind === 'registered-charity') return /^(\d{6,7}(-\d{1,2})?|SC\d{6}|NIC?\d{5,6})$/.test(t) ? t : null;
  // Companies House numbers are 8 characters; people often leave off the leading zeros.
  if (kind === 'registered-company') return /^\d{1,8}$/.test(t) ? t.padStart(8, '0') : /^[A-Z]{2}\d{6}$/.test(t) ? t : null;
  return null;
}

/**
 * Takes a proposal from the public form, numbered in the order received. Refused (with every problem, each naming its
 * field) unless the round is taking proposals and the amount, applicant and place are right; a project postcode must
 * be in one of the fund's areas.
 */
export async function submitProposal(db: Db, round: Round, input: ProposalInput, actor: Actor): Promise<{ problems: Problem[] } | { id: string; number: number }> {
  const problems: Problem[] = [];
  const fail = (field: string, message: string) => problems.push({ field, message });
  const title = input.title.trim();
  const summary = input.summary.trim();
  const description = input.description.trim();
  if (!title) fail('title', 'Enter a title for your project');
  else if (title.length > maxName) fail('title', `The title must be ${maxName} characters or fewer`);
  if (!summary) fail('summary', 'Enter a short summary of your project');
  else if (summary.length > maxSummary) fail('summary', `The summary must be ${maxSummary} characters or fewer: it has ${summary.length}`);
  if (description.length > maxDescription) fail('description', `The description must be ${maxDescription} characters or fewer`);
  const parsed = parsePounds(input.amount);
  let amountPence = 0;
  if ('error' in parsed) fail('amount', parsed.error);
  else {
    amountPence = parsed.pence;
    const max = Math.min(round.maxAmountPence ?? round.budgetPence, round.budgetPence);
    if (amountPence <= 0) fail('amount', 'The amount must be more than £0');
    else if (round.minAmountPence !== null && amountPence < round.minAmountPence) fail('amount', `The amount must be at least ${formatPence(round.minAmountPence)}`);
    else if (amountPence > max) fail('amount', `The amount must be no more than ${formatPence(max)}`);
  }
  const kind = input.applicantKind;
  if (!(applicantKinds as readonly string[]).includes(kind)) fail('applicantKind', 'Choose who is asking');
  const groupName = input.groupName.trim();
  if (kind && kind !== 'resident' && !groupName) fail('groupName', 'Enter the name of your group or organisation');
  if (groupName.length > maxName) fail('groupName', `The group’s name must be ${maxName} characters or fewer`);
  let registeredNumber: string | null = null;
  if (kind === 'registered-charity' || kind === 'registered-company') {
    const noun = kind === 'registered-charity' ? 'charity number' : 'company number';
    if (!input.registeredNumber.trim()) fail('registeredNumber', `Enter your ${noun}`);
    else {
      registeredNumber = cleanRegisteredNumber(kind, input.registeredNumber);
      if (!registeredNumber) fail('registeredNumber', kind === 'registered-charity' ? 'Enter a charity number like 1234567 (or SC012345 in Scotland)' : 'Enter a company number like 01234567 (8 characters)');
    }
  }
  const contactName = input.contactName.trim();
  const contactEmail = input.contactEmail.trim();
  if (!contactName) fail('contactName', 'Enter your name');
  else if (contactName.length > 200) fail('contactName', 'Your name must be 200 characters or fewer');
  if (!contactEmail) fail('contactEmail', 'Enter your email address');
  else if (contactEmail.length > 254 || !emailPattern.test(contactEmail)) fail('contactEmail', 'Enter an email address like name@example.com');

  return db.transaction(async (tx) => {
    // Locked so proposals arriving together are numbered one after another, and a phase change waits for them.
    const [locked] = await queryRows<{ phase: RoundPhase; fund_id: string }>(tx, sql`select phase, fund_id from fund_rounds where id = ${round.id} for update`);
    if (!locked || locked.phase !== 'proposals') return { problems: [{ field: 'form', message: 'This round is not taking proposals' }] };
    const areas = await areasOfFund(tx, locked.fund_id);
    const area = areas.find((a) => a.key === input.area);
    if (!area) fail('area', 'Choose the neighbourhood or ward your project is for');
    let ward25: string | null = area?.kind === 'ward25' ? area.code : null;
    let lsoa21: string | null = null;
    const postcode = input.postcode.trim();
    if (postcode) {
      const found = await findPostcode(tx, postcode);
      if (!found.postcode) fail('postcode', found.message);
      else {
        const p = found.postcode;
        let placedWard: string | null = null;
        lsoa21 = p.lsoa21;
        if (p.latitude !== null && p.longitude !== null) {
          const [codes] = await locatePoints(tx, [{ lon: p.longitude, lat: p.latitude }], ['lsoa21', 'ward25'] as const);
          lsoa21 = codes?.lsoa21 ?? lsoa21;
          placedWard = codes?.ward25 ?? null;
        }
        if (!placedWard && lsoa21) {
          const [w] = await queryRows<{ code: string }>(tx, sql`select to_code as code from area_lookups where from_vintage = 'lsoa21' and from_code = ${lsoa21} and to_vintage = 'ward25' order by share desc nulls last limit 1`);
          placedWard = w?.code ?? null;
        }
        const inside = await postcodeInAreas(tx, areas, placedWard, lsoa21);
        if (!inside) fail('postcode', `${p.display} is not in the areas this fund covers: ${areas.map((a) => a.name).join(', ')}`);
        ward25 = placedWard ?? ward25;
      }
    }
    if (problems.length) return { problems };
    const [next] = await queryRows<{ n: number }>(tx, sql`select coalesce(max(number), 0)::int + 1 as n from proposals where round_id = ${round.id}`);
    const number = Number(next!.n);
    const [row] = await tx
      .insert(proposals)
      .values({
        roundId: round.id,
        number,
        title,
        summary,
        description: description || null,
        amountPence,
        applicantKind: kind as (typeof applicantKinds)[number],
        groupName: groupName || null,
        registeredNumber,
        contactName,
        contactEmail,
        neighbourhoodId: area!.kind === 'neighbourhood' ? area!.id : null,
        ward25,
        lsoa21,
        submittedBy: actor.userId,
      })
      .returning({ id: proposals.id });
    const [fund] = await tx.select({ organisationId: funds.organisationId }).from(funds).where(eq(funds.id, locked.fund_id));
    // No personal data in the audit trail: the contact details are erased after the round, the audit is not.
    await recordAudit(tx, { actor, action: 'proposal.submit', objectType: 'proposal', objectId: row!.id, organisationId: fund?.organisationId ?? null, details: { roundId: round.id, number, amountPence } });
    return { id: row!.id, number };
  });
}

/** Whether a placed postcode is in one of the areas: a ward by its 2025 code, a neighbourhood by its 2021 LSOAs. */
async function postcodeInAreas(tx: Tx, areas: FundArea[], ward25: string | null, lsoa21: string | null): Promise<boolean> {
  if (ward25 && areas.some((a) => a.kind === 'ward25' && a.code === ward25)) return true;
  if (!lsoa21) return false;
  for (const a of areas) {
    if (a.kind !== 'neighbourhood' || !a.versionId) continue;
    const [hit] = await queryRows<{ code: string }>(tx, sql`select code from (${lsoasIn(a)}) s where code = ${lsoa21}`);
    if (hit) return true;
  }
  return false;
}

// ---- Decisions ---------------------------------------------------------------------------------------------

/** What the panel may decide: a voting round's panel shortlists; a panel-decided round's panel also funds. */
export function decisionChoices(round: Pick<Round, 'votingMethod'>): ProposalStatus[] {
  return round.votingMethod === null ? ['shortlisted', 'rejected', 'withdrawn', 'funded', 'not-funded'] : ['shortlisted', 'rejected', 'withdrawn'];
}

/** Phases in which the panel decides: once voting starts, the ballot is fixed. */
export const decisionPhases: RoundPhase[] = ['proposals', 'review'];

/** The sum of proposals in a round with a status, in pence. */
export async function totalWithStatus(db: Tx, roundId: string, status: ProposalStatus): Promise<number> {
  const [row] = await queryRows<{ total: string | null }>(db, sql`select sum(amount_pence) as total from proposals where round_id = ${roundId} and status = ${status}`);
  return Number(row?.total ?? 0);
}

export async function decideProposal(db: Db, round: Round, organisationId: string, proposalId: string, to: string, reasonTyped: string, actor: Actor): Promise<void> {
  const reason = reasonTyped.trim();
  if (!(decisionChoices(round) as string[]).includes(to)) throw new FundsError('Choose a decision', 'decision');
  if (!reason) throw new FundsError('Enter the reason for the decision: it is kept with the decision', 'reason');
  if (reason.length > maxReason) throw new FundsError(`The reason must be ${maxReason} characters or fewer`, 'reason');
  await db.transaction(async (tx) => {
    const [r] = await queryRows<{ phase: RoundPhase; budget_pence: string }>(tx, sql`select phase, budget_pence from fund_rounds where id = ${round.id} for update`);
    if (!r) throw new FundsError('The round no longer exists', 'decision', 404);
    if (!decisionPhases.includes(r.phase)) throw new FundsError(`Decisions are made while the round takes proposals or is in review; it is now ${phaseWords[r.phase].toLowerCase()}`, 'decision', 409);
    const [p] = await tx.select().from(proposals).where(and(eq(proposals.id, proposalId), eq(proposals.roundId, round.id)));
    if (!p) throw new FundsError('The proposal no longer exists', 'decision', 404);
    const status = to as ProposalStatus;
    if (p.status === status) throw new FundsError(`The proposal is already ${statusWords[status].toLowerCase()}`, 'decision', 409);
    if (status === 'funded') {
      const funded = await totalWithStatus(tx, round.id, 'funded');
      const budget = Number(r.budget_pence);
      if (funded + p.amountPence > budget)
        throw new FundsError(`Funding this (${formatPence(p.amountPence)}) would go over the round’s budget: ${formatPence(funded)} of ${formatPence(budget)} is already funded, leaving ${formatPence(budget - funded)}`, 'decision', 409);
    }
    await tx.update(proposals).set({ status, updatedAt: new Date() }).where(eq(proposals.id, p.id));
    await tx.insert(proposalDecisions).values({ proposalId: p.id, fromStatus: p.status, toStatus: status, reason, decidedBy: actor.userId });
    await recordAudit(tx, { actor, action: 'proposal.decide', objectType: 'proposal', objectId: p.id, organisationId, details: { roundId: round.id, number: p.number, from: p.status, to: status, reason } });
  });
}

export async function decisionsOf(db: Tx, proposalId: string) {
  return queryRows<{ from_status: ProposalStatus; to_status: ProposalStatus; reason: string; decided_at: Date; decided_by: string | null }>(
    db,
    sql`select d.from_status, d.to_status, d.reason, d.decided_at, u.email as decided_by from proposal_decisions d left join users u on u.id = d.decided_by where d.proposal_id = ${proposalId} order by d.decided_at, d.id`,
  );
}
