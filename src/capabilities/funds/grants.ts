import { randomUUID } from 'node:crypto';
import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import { recordAudit, type Actor } from '../../platform/audit/audit.ts';
import { organisations } from '../../platform/auth/schema.ts';
import { queryRows, type Db, type Tx } from '../../platform/db/database.ts';
import { findPostcode } from '../geography/postcodes.ts';
import { locatePoints } from '../geography/locator.ts';
import { formatPence, parsePounds } from './money.ts';
import { fundRounds, funds, grantReports, grants, proposals } from './schema.ts';
import type { Fund, Round } from './web.ts';
import { dateFromBoxes, longDate, todayInEngland as todayInUk } from '../../platform/web/dates.ts';

/**
 * The grants register: grants recorded by hand or awarded from a round's funded proposals, and the progress and
 * spend each funded project reports. Money is integer pence. The rules that keep the register honest live here,
 * not in the routes: a round's grants never total more than its budget, a fund's never more than the fund, and
 * reported spend never more than the grant. An individual's name is kept for staff but never published.
 */

export type Grant = typeof grants.$inferSelect;
export type GrantReport = typeof grantReports.$inferSelect;

export const recipientKinds = ['individual', 'group', 'charity', 'company'] as const;
export type RecipientKind = (typeof recipientKinds)[number];
export const recipientKindLabels: Record<RecipientKind, string> = {
  individual: 'An individual',
  group: 'A community group or other unregistered body',
  charity: 'A registered charity',
  company: 'A registered company (including community interest companies)',
};

/** What the public sees instead of an individual's name, everywhere: pages, exports, the register. */
export const individualName = 'An individual';

/** A refusal naming the form field at fault, with a message for the person who filled it in. */
export class GrantError extends Error {
  constructor(
    public readonly field: string,
    message: string,
    public readonly status = 400,
  ) {
    super(message);
    this.name = 'GrantError';
  }
}

/** The 360Giving identifier prefix: the fund's own if it has one, otherwise one derived from the organisation. */
export const grantPrefix = (fund: Pick<Fund, 'grantIdPrefix'> | null, organisationSlug: string) => fund?.grantIdPrefix?.trim() || `360G-patchwork-${organisationSlug}`;

/** Lower-case words joined by hyphens, for identifiers made from a group's name. */
export const slugify = (name: string) =>
  name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60) || 'unnamed';

/** A charity number as registered in England and Wales (6 or 7 digits, maybe with a .N subsidiary suffix dropped). */
export function charityNumberOf(typed: string): string | null {
  const cleaned = typed.replace(/\s+/g, '');
  return /^\d{6,8}$/.test(cleaned) ? cleaned : null;
}

/** A Companies House number: 8 characters, digits padded with leading zeros, or two letters and 6 digits (SC123456). */
export function companyNumberOf(typed: string): string | null {
  const cleaned = typed.replace(/\s+/g, '').toUpperCase();
  if (/^\d{1,8}$/.test(cleaned)) return cleaned.padStart(8, '0');
  return /^[A-Z]{2}\d{6}$/.test(cleaned) ? cleaned : null;
}

/**
 * The recipient's organisation identifier (org-id.guide): GB-CHC-… for a registered charity, GB-COH-… for a company,
 * otherwise the funder's own: <prefix>-group-<name>, or <prefix>-individual-<grant number> for a person (so the
 * identifier says nothing about who they are).
 */
export function recipientOrgIdOf(prefix: string, kind: RecipientKind, name: string, number: string | null, grantNumber: string): string {
  if (kind === 'charity' && number) return `GB-CHC-${number}`;
  if (kind === 'company' && number) return `GB-COH-${number}`;
  if (kind === 'individual') return `${prefix}-individual-${grantNumber}`;
  return `${prefix}-group-${slugify(name)}`;
}

/** The kind of recipient an identifier records. */
export function recipientKindOf(grant: Pick<Grant, 'recipientOrgId' | 'recipientIsIndividual'>): RecipientKind {
  if (grant.recipientIsIndividual) return 'individual';
  if (grant.recipientOrgId.startsWith('GB-CHC-')) return 'charity';
  if (grant.recipientOrgId.startsWith('GB-COH-')) return 'company';
  return 'group';
}

/** The name anyone outside the organisation may see. */
export const publicRecipientName = (grant: Pick<Grant, 'recipientIsIndividual' | 'recipientName'>) => (grant.recipientIsIndividual ? individualName : grant.recipientName);
// Kept under the names funds' files already use.
export { dateFromBoxes, longDate, todayInUk };

async function areaExists(tx: Tx, vintage: string, code: string): Promise<boolean> {
  const [row] = await queryRows<{ n: number }>(tx, sql`select count(*)::int as n from areas where vintage = ${vintage} and code = ${code}`);
  return Number(row?.n ?? 0) > 0;
}

async function lookupArea(tx: Tx, from: string, code: string, to: string): Promise<string | null> {
  const [row] = await queryRows<{ code: string }>(tx, sql`select to_code as code from area_lookups where from_vintage = ${from} and from_code = ${code} and to_vintage = ${to} order by share desc nulls last, to_code limit 1`);
  return row?.code ?? null;
}

/**
 * Where a grant's beneficiaries are: a postcode placed in its 2021 LSOA and 2025 ward (the postcode itself is not
 * kept: only the areas are), or a 2025 ward code. Neither: no location.
 */
export async function beneficiaryArea(tx: Tx, postcode: string, wardCode: string): Promise<{ lsoa21: string | null; ward25: string | null }> {
  const typedPostcode = postcode.trim();
  const typedWard = wardCode.trim().toUpperCase();
  if (typedPostcode && typedWard) throw new GrantError('postcode', 'Give either a postcode or a ward code for where the beneficiaries are, not both');
  if (typedPostcode) {
    const found = await findPostcode(tx, typedPostcode);
    if (!found.postcode) throw new GrantError('postcode', found.message);
    const p = found.postcode;
    let lsoa21 = p.lsoa21;
    let ward25: string | null = null;
    if (p.latitude !== null && p.longitude !== null) {
      const [codes] = await locatePoints(tx, [{ lon: p.longitude, lat: p.latitude }], ['lsoa21', 'ward25'] as const);
      lsoa21 = codes?.lsoa21 ?? lsoa21;
      ward25 = codes?.ward25 ?? null;
    }
    ward25 ??= lsoa21 ? await lookupArea(tx, 'lsoa21', lsoa21, 'ward25') : null;
    if (!lsoa21 && !ward25) throw new GrantError('postcode', `${p.display} cannot be placed in a 2021 LSOA or 2025 ward with the boundaries loaded`);
    return { lsoa21, ward25 };
  }
  if (typedWard) {
    if (!/^[EW]05\d{6}$/.test(typedWard)) throw new GrantError('wardCode', `"${wardCode.trim().slice(0, 20)}" is not a ward code: enter a 2025 ward code like E05000841`);
    if (!(await areaExists(tx, 'ward25', typedWard))) throw new GrantError('wardCode', `${typedWard} is not a 2025 ward loaded into Patchwork`);
    return { lsoa21: null, ward25: typedWard };
  }
  return { lsoa21: null, ward25: null };
}

/** What the coordinator typed to record a grant by hand. */
export type GrantInput = {
  fundId: string;
  title: string;
  description: string;
  recipientName: string;
  recipientKind: string;
  registeredNumber: string;
  amount: string;
  awardDate: string | null | 'invalid';
  plannedStart: string | null | 'invalid';
  plannedEnd: string | null | 'invalid';
  postcode: string;
  wardCode: string;
  sample?: boolean;
};

const titleLimit = 140; // 360Giving: "This should be under 140 characters long."
const textLimit = 5000;

async function grantedTotal(tx: Tx, column: typeof grants.fundId | typeof grants.roundId, id: string): Promise<number> {
  const [row] = await tx
    .select({ total: sql<string>`coalesce(sum(${grants.amountPence}), 0)` })
    .from(grants)
    .where(and(eq(column, id), sql`${grants.status} <> 'withdrawn'`));
  return Number(row?.total ?? 0);
}

/** Records a grant made outside a round; returns its id. Refuses, naming the field, if anything is wrong. */
export async function recordGrant(db: Db, organisation: { id: string; slug: string }, input: GrantInput, actor: Actor): Promise<string> {
  const title = input.title.trim();
  const description = input.description.trim();
  const name = input.recipientName.trim();
  if (!title) throw new GrantError('title', 'Enter a title for the grant');
  if (title.length > titleLimit) throw new GrantError('title', `The title must be ${titleLimit} characters or fewer (it is ${title.length})`);
  if (!description) throw new GrantError('description', 'Enter what the grant is for');
  if (description.length > textLimit) throw new GrantError('description', `What the grant is for must be ${textLimit.toLocaleString('en-GB')} characters or fewer`);
  if (!(recipientKinds as readonly string[]).includes(input.recipientKind)) throw new GrantError('recipientKind', 'Choose who the grant is to');
  const kind = input.recipientKind as RecipientKind;
  if (!name) throw new GrantError('recipientName', kind === 'individual' ? 'Enter the name of the person the grant is to (it is never published)' : 'Enter the name of the recipient');
  if (name.length > 200) throw new GrantError('recipientName', 'The recipient’s name must be 200 characters or fewer');
  let number: string | null = null;
  if (kind === 'charity') {
    number = charityNumberOf(input.registeredNumber);
    if (!number) throw new GrantError('registeredNumber', input.registeredNumber.trim() ? `"${input.registeredNumber.trim().slice(0, 20)}" is not a charity number: enter the 6 to 8 digit number from the Charity Commission register` : 'Enter the charity number');
  } else if (kind === 'company') {
    number = companyNumberOf(input.registeredNumber);
    if (!number) throw new GrantError('registeredNumber', input.registeredNumber.trim() ? `"${input.registeredNumber.trim().slice(0, 20)}" is not a company number: enter the 8 character number from Companies House, like 01234567 or SC123456` : 'Enter the company number');
  }
  const amount = parsePounds(input.amount);
  if ('error' in amount) throw new GrantError('amount', amount.error);
  if (amount.pence <= 0) throw new GrantError('amount', 'The amount must be more than £0');
  if (input.awardDate === null) throw new GrantError('awardDate', 'Enter the date the grant was awarded');
  if (input.awardDate === 'invalid') throw new GrantError('awardDate', 'The award date must be a real date, like 3 4 2026');
  if (input.awardDate > todayInUk()) throw new GrantError('awardDate', 'The award date must be today or in the past');
  if (input.plannedStart === 'invalid') throw new GrantError('plannedStart', 'The planned start must be a real date, like 1 5 2026');
  if (input.plannedEnd === 'invalid') throw new GrantError('plannedEnd', 'The planned end must be a real date, like 31 3 2027');
  if (input.plannedEnd && !input.plannedStart) throw new GrantError('plannedStart', 'Enter the planned start as well as the planned end');
  if (input.plannedStart && input.plannedEnd && input.plannedEnd < input.plannedStart) throw new GrantError('plannedEnd', 'The planned end must be on or after the planned start');
  const awardDate = input.awardDate;

  return db.transaction(async (tx) => {
    let fund: Fund | null = null;
    if (input.fundId) {
      [fund = null] = await tx.select().from(funds).where(and(eq(funds.id, input.fundId), eq(funds.organisationId, organisation.id))).for('update');
      if (!fund) throw new GrantError('fundId', 'Choose one of your organisation’s funds, or none');
      // A fund cannot give away more than it holds: every grant from it, by hand or from its rounds, counts.
      const granted = await grantedTotal(tx, grants.fundId, fund.id);
      if (granted + amount.pence > fund.budgetPence) {
        throw new GrantError('amount', `${formatPence(amount.pence)} is more than is left in ${fund.name}: its budget is ${formatPence(fund.budgetPence)} and ${formatPence(granted)} has already been granted, leaving ${formatPence(fund.budgetPence - granted)}`);
      }
    }
    const place = await beneficiaryArea(tx, input.postcode, input.wardCode);
    const id = randomUUID();
    const grantNumber = id.slice(0, 8);
    const prefix = grantPrefix(fund, organisation.slug);
    const identifier = `${prefix}-${grantNumber}`;
    await tx.insert(grants).values({
      id,
      organisationId: organisation.id,
      fundId: fund?.id ?? null,
      identifier,
      title,
      description,
      recipientName: name,
      recipientOrgId: recipientOrgIdOf(prefix, kind, name, number, grantNumber),
      recipientIsIndividual: kind === 'individual',
      amountPence: amount.pence,
      awardDate,
      plannedStart: input.plannedStart,
      plannedEnd: input.plannedEnd,
      beneficiaryLsoa21: place.lsoa21,
      beneficiaryWard25: place.ward25,
      sample: input.sample ?? false,
    });
    // The audit keeps what was decided, not who an individual is.
    await recordAudit(tx, {
      actor,
      action: 'funds.grant.recorded',
      objectType: 'grant',
      objectId: id,
      organisationId: organisation.id,
      details: { identifier, amountPence: amount.pence, awardDate, fundId: fund?.id ?? null, recipientKind: kind, beneficiaryWard25: place.ward25 },
    });
    return id;
  });
}

/** Rounds whose vote is counted or whose panel has decided: their funded proposals may become grants. */
const awardablePhases = new Set(['review', 'results', 'delivery', 'closed']);

const kindOfApplicant = (applicantKind: string, registeredNumber: string | null): { kind: RecipientKind; number: string | null } => {
  if (applicantKind === 'resident') return { kind: 'individual', number: null };
  if (applicantKind === 'registered-charity') {
    const number = registeredNumber ? charityNumberOf(registeredNumber) : null;
    return number ? { kind: 'charity', number } : { kind: 'group', number: null };
  }
  if (applicantKind === 'registered-company') {
    const number = registeredNumber ? companyNumberOf(registeredNumber) : null;
    return number ? { kind: 'company', number } : { kind: 'group', number: null };
  }
  return { kind: 'group', number: null };
};

/**
 * Turns a round's funded proposals into grants, all at once or not at all: identifier <prefix>-<round>-<proposal
 * number>, recipient and amount from the proposal, beneficiary location from its LSOA and ward. Refuses a round
 * already awarded, a round with nothing funded, and funded proposals totalling more than the round's budget.
 * A round in results moves on to delivery.
 */
export async function awardRound(db: Db, organisation: { id: string; slug: string }, fund: Fund, round: Round, actor: Actor): Promise<{ count: number; totalPence: number }> {
  return db.transaction(async (tx) => {
    // Lock the round, so two coordinators pressing the button at once cannot both award it.
    const [locked] = await tx.select().from(fundRounds).where(eq(fundRounds.id, round.id)).for('update');
    if (!locked) throw new GrantError('round', 'That round no longer exists', 404);
    if (!awardablePhases.has(locked.phase)) throw new GrantError('round', `Grants can be awarded once the round’s decisions are made: ${locked.name} is still in its ${locked.phase} phase`, 409);
    const already = await tx.select({ id: grants.id }).from(grants).where(eq(grants.roundId, locked.id)).limit(1);
    if (already.length) throw new GrantError('round', `The grants for ${locked.name} have already been awarded`, 409);
    const funded = await tx.select().from(proposals).where(and(eq(proposals.roundId, locked.id), eq(proposals.status, 'funded'))).orderBy(asc(proposals.number));
    if (!funded.length) throw new GrantError('round', `No proposals in ${locked.name} are marked as funded, so there is nothing to award`, 409);
    const total = funded.reduce((sum, p) => sum + p.amountPence, 0);
    if (total > locked.budgetPence) {
      throw new GrantError('round', `The funded proposals total ${formatPence(total)}, more than the round’s budget of ${formatPence(locked.budgetPence)}: nothing was awarded`, 409);
    }
    const prefix = grantPrefix(fund, organisation.slug);
    const roundShort = locked.id.slice(0, 8);
    const awardDate = todayInUk();
    const rows = funded.map((p) => {
      const grantNumber = `${roundShort}-${p.number}`;
      const { kind, number } = kindOfApplicant(p.applicantKind, p.registeredNumber);
      // A resident's own name is only in the proposal's contact details; the register keeps it for staff, never shows it.
      const name = kind === 'individual' ? p.contactName?.trim() || individualName : p.groupName?.trim() || p.title;
      return {
        organisationId: organisation.id,
        fundId: fund.id,
        roundId: locked.id,
        proposalId: p.id,
        identifier: `${prefix}-${grantNumber}`,
        title: p.title.slice(0, titleLimit),
        description: p.description?.trim() || p.summary,
        recipientName: name,
        recipientOrgId: recipientOrgIdOf(prefix, kind, name, number, grantNumber),
        recipientIsIndividual: kind === 'individual',
        amountPence: p.amountPence,
        awardDate,
        beneficiaryLsoa21: p.lsoa21,
        beneficiaryWard25: p.ward25,
        sample: fund.sample,
      };
    });
    const inserted = await tx.insert(grants).values(rows).returning({ id: grants.id, identifier: grants.identifier, amountPence: grants.amountPence });
    const movesOn = locked.phase === 'results' || locked.phase === 'review';
    if (movesOn) await tx.update(fundRounds).set({ phase: 'delivery', updatedAt: new Date() }).where(eq(fundRounds.id, locked.id));
    await recordAudit(tx, {
      actor,
      action: 'funds.round.awarded',
      objectType: 'fund_round',
      objectId: locked.id,
      organisationId: organisation.id,
      details: { grants: inserted.map((g) => ({ id: g.id, identifier: g.identifier, amountPence: g.amountPence })), totalPence: total, budgetPence: locked.budgetPence, phase: movesOn ? { from: locked.phase, to: 'delivery' } : null },
    });
    return { count: inserted.length, totalPence: total };
  });
}

/** What a funded project typed to report progress and spend. */
export type ReportInput = { reportedOn: string | null | 'invalid'; progress: string; spend: string };

/** Records a progress report; refuses spend that would take the total above the grant, with the amounts. */
export async function addReport(db: Db, grantId: string, input: ReportInput, actor: Actor): Promise<string> {
  if (input.reportedOn === null) throw new GrantError('reportedOn', 'Enter the date of the report');
  if (input.reportedOn === 'invalid') throw new GrantError('reportedOn', 'The report date must be a real date, like 30 9 2026');
  if (input.reportedOn > todayInUk()) throw new GrantError('reportedOn', 'The report date must be today or in the past');
  const progress = input.progress.trim();
  if (!progress) throw new GrantError('progress', 'Enter what the project has done so far');
  if (progress.length > textLimit) throw new GrantError('progress', `The progress report must be ${textLimit.toLocaleString('en-GB')} characters or fewer`);
  const spend = parsePounds(input.spend);
  if ('error' in spend) throw new GrantError('spend', spend.error);
  const reportedOn = input.reportedOn;

  return db.transaction(async (tx) => {
    // Lock the grant, so two reports at once cannot together overspend it.
    const [grant] = await tx.select().from(grants).where(eq(grants.id, grantId)).for('update');
    if (!grant) throw new GrantError('grant', 'That grant no longer exists', 404);
    if (grant.status === 'withdrawn') throw new GrantError('spend', 'This grant was withdrawn, so no more spending can be reported', 409);
    if (reportedOn < grant.awardDate) throw new GrantError('reportedOn', `The report date must be on or after the award date, ${longDate(grant.awardDate)}`);
    const spent = await spentOn(tx, grant.id);
    if (spent + spend.pence > grant.amountPence) {
      throw new GrantError(
        'spend',
        `${formatPence(spend.pence)} would take spending to ${formatPence(spent + spend.pence)}, more than the ${formatPence(grant.amountPence)} awarded: ${formatPence(spent)} has already been reported, so at most ${formatPence(grant.amountPence - spent)} more can be`,
      );
    }
    const [report] = await tx.insert(grantReports).values({ grantId: grant.id, reportedOn, progress, spendPence: spend.pence, reportedBy: actor.userId }).returning({ id: grantReports.id });
    await tx
      .update(grants)
      .set({ status: grant.status === 'awarded' ? 'in-delivery' : grant.status, updatedAt: new Date() })
      .where(eq(grants.id, grant.id));
    await recordAudit(tx, {
      actor,
      action: 'funds.grant.reported',
      objectType: 'grant',
      objectId: grant.id,
      organisationId: grant.organisationId,
      details: { reportId: report!.id, reportedOn, spendPence: spend.pence, spentPence: spent + spend.pence, amountPence: grant.amountPence },
    });
    return report!.id;
  });
}

/** Total spend reported on a grant, in pence. */
export async function spentOn(tx: Tx, grantId: string): Promise<number> {
  const [row] = await tx.select({ total: sql<string>`coalesce(sum(${grantReports.spendPence}), 0)` }).from(grantReports).where(eq(grantReports.grantId, grantId));
  return Number(row?.total ?? 0);
}

/** A grant with what the register shows beside it: fund, round, organisation, area names and spend so far. */
export type GrantRow = Grant & {
  organisationSlug: string;
  organisationName: string;
  fundName: string | null;
  fundPrefix: string | null;
  roundName: string | null;
  wardName: string | null;
  lsoaName: string | null;
  spentPence: number;
  reports: number;
};

/** Grants, newest award first: one organisation's, one round's, or everyone's. */
export async function grantRows(tx: Tx, where: { organisationId?: string; organisationSlug?: string; roundId?: string; grantId?: string } = {}): Promise<GrantRow[]> {
  const conditions = [
    where.organisationId ? eq(grants.organisationId, where.organisationId) : undefined,
    where.organisationSlug !== undefined ? eq(organisations.slug, where.organisationSlug) : undefined,
    where.roundId ? eq(grants.roundId, where.roundId) : undefined,
    where.grantId ? eq(grants.id, where.grantId) : undefined,
  ].filter((c) => c !== undefined);
  const rows = await tx
    .select({
      grant: grants,
      organisationSlug: organisations.slug,
      organisationName: organisations.name,
      fundName: funds.name,
      fundPrefix: funds.grantIdPrefix,
      roundName: fundRounds.name,
      wardName: sql<string | null>`(select name from areas where vintage = 'ward25' and code = ${grants.beneficiaryWard25})`,
      lsoaName: sql<string | null>`(select name from areas where vintage = 'lsoa21' and code = ${grants.beneficiaryLsoa21})`,
      spent: sql<string>`(select coalesce(sum(spend_pence), 0) from grant_reports where grant_id = ${grants.id})`,
      reports: sql<string>`(select count(*) from grant_reports where grant_id = ${grants.id})`,
    })
    .from(grants)
    .innerJoin(organisations, eq(organisations.id, grants.organisationId))
    .leftJoin(funds, eq(funds.id, grants.fundId))
    .leftJoin(fundRounds, eq(fundRounds.id, grants.roundId))
    .where(conditions.length ? and(...conditions) : undefined)
    .orderBy(desc(grants.awardDate), asc(grants.identifier));
  return rows.map((r) => ({
    ...r.grant,
    organisationSlug: r.organisationSlug,
    organisationName: r.organisationName,
    fundName: r.fundName,
    fundPrefix: r.fundPrefix,
    roundName: r.roundName,
    wardName: r.wardName,
    lsoaName: r.lsoaName,
    spentPence: Number(r.spent),
    reports: Number(r.reports),
  }));
}

/** A grant's reports, latest first. */
export async function reportsOf(tx: Tx, grantIds: string[]): Promise<GrantReport[]> {
  if (!grantIds.length) return [];
  return tx.select().from(grantReports).where(inArray(grantReports.grantId, grantIds)).orderBy(desc(grantReports.reportedOn), desc(grantReports.createdAt));
}

/** Rounds of an organisation that have funded proposals and no grants yet: ready to award. */
export async function roundsReadyToAward(tx: Tx, organisationId: string): Promise<{ fundId: string; roundId: string; fundName: string; roundName: string; phase: string; funded: number; totalPence: number; budgetPence: number }[]> {
  const rows = await queryRows<{ fund_id: string; round_id: string; fund_name: string; round_name: string; phase: string; funded: string; total: string; budget: string }>(
    tx,
    sql`select f.id as fund_id, r.id as round_id, f.name as fund_name, r.name as round_name, r.phase, count(p.id) as funded, sum(p.amount_pence) as total, r.budget_pence as budget
        from fund_rounds r join funds f on f.id = r.fund_id join proposals p on p.round_id = r.id and p.status = 'funded'
        where f.organisation_id = ${organisationId} and not exists (select 1 from grants g where g.round_id = r.id)
        group by f.id, r.id, f.name, r.name, r.phase, r.budget_pence, r.created_at order by r.created_at`,
  );
  return rows.map((r) => ({ fundId: r.fund_id, roundId: r.round_id, fundName: r.fund_name, roundName: r.round_name, phase: r.phase, funded: Number(r.funded), totalPence: Number(r.total), budgetPence: Number(r.budget) }));
}
