import { sql } from 'drizzle-orm';
import { bigint, boolean, check, date, doublePrecision, index, integer, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { organisations, users } from '../../platform/auth/schema.ts';
import { neighbourhoods } from '../neighbourhoods/schema.ts';
import { enumCheck } from '../../platform/db/checks.ts';

/**
 * Devolving money: funds and their rounds, proposals and the panel's decisions, participatory budgeting ballots
 * (with single-use voting codes kept only as hashes, and ballots that carry nothing linking them to a voter),
 * the grants register (360Giving), delivery reports, and budgets allocated across areas in proportion to need.
 * Money is always integer pence.
 */

export const roundPhases = ['draft', 'proposals', 'review', 'voting', 'results', 'delivery', 'closed'] as const;
export type RoundPhase = (typeof roundPhases)[number];
/**
 * How a round's vote is counted: approval within the budget (each voter approves projects whose cost together
 * fits the budget), approval of at most `projectLimit` projects, or ranking projects in order of preference.
 */
export const votingMethods = ['approval-budget', 'approval-limit', 'ranked'] as const;
export type VotingMethod = (typeof votingMethods)[number];
export const proposalStatuses = ['submitted', 'shortlisted', 'rejected', 'withdrawn', 'funded', 'not-funded'] as const;
export type ProposalStatus = (typeof proposalStatuses)[number];
/** Who is asking: a resident, an unconstituted group, a registered charity or company, a school or public body. */
export const applicantKinds = ['resident', 'community-group', 'registered-charity', 'registered-company', 'public-body'] as const;
export const grantStatuses = ['awarded', 'in-delivery', 'completed', 'withdrawn'] as const;

const pence = (name: string) => bigint(name, { mode: 'number' });

/** A pot of money an organisation devolves, e.g. a Ward Alliance Fund. */
export const funds = pgTable(
  'funds',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organisationId: uuid('organisation_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'restrict' }),
    name: text('name').notNull(),
    description: text('description'),
    budgetPence: pence('budget_pence').notNull(),
    /** Its 360Giving identifier prefix (e.g. 360G-wigancouncil), for the grants register export. */
    grantIdPrefix: text('grant_id_prefix'),
    sample: boolean('sample').notNull().default(false),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('funds_organisation_idx').on(t.organisationId), check('funds_budget_check', sql`budget_pence >= 0`)],
);

/** Where a fund's money may go, and who may vote on it: wards (vintage + code) or neighbourhoods. */
export const fundAreas = pgTable(
  'fund_areas',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    fundId: uuid('fund_id')
      .notNull()
      .references(() => funds.id, { onDelete: 'cascade' }),
    areaVintage: text('area_vintage'),
    areaCode: text('area_code'),
    neighbourhoodId: uuid('neighbourhood_id').references(() => neighbourhoods.id, { onDelete: 'cascade' }),
  },
  (t) => [
    index('fund_areas_fund_idx').on(t.fundId),
    check('fund_areas_one_check', sql`(area_code is not null and area_vintage is not null and neighbourhood_id is null) or (area_code is null and area_vintage is null and neighbourhood_id is not null)`),
  ],
);

export const fundRounds = pgTable(
  'fund_rounds',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    fundId: uuid('fund_id')
      .notNull()
      .references(() => funds.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    description: text('description'),
    /** What this round spends: no more than what is left of the fund. */
    budgetPence: pence('budget_pence').notNull(),
    phase: text('phase', { enum: roundPhases }).notNull().default('draft'),
    /** Null: decided by the panel alone (a grants round); otherwise residents vote. */
    votingMethod: text('voting_method', { enum: votingMethods }),
    /** approval-limit: how many projects a voter may approve; ranked: how many they may rank. */
    projectLimit: integer('project_limit'),
    minAmountPence: pence('min_amount_pence'),
    maxAmountPence: pence('max_amount_pence'),
    proposalsCloseOn: date('proposals_close_on'),
    votingOpensOn: date('voting_opens_on'),
    votingClosesOn: date('voting_closes_on'),
    /** Whether a verified email may be used to vote, as well as a voting code. */
    emailVoting: boolean('email_voting').notNull().default(false),
    /** The ballots are frozen once the count is published; the count is re-run from them, never edited. */
    countedAt: timestamp('counted_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('fund_rounds_fund_idx').on(t.fundId),
    enumCheck('fund_rounds_phase_check', 'phase', roundPhases),
    enumCheck('fund_rounds_method_check', 'voting_method', votingMethods, true),
    check('fund_rounds_budget_check', sql`budget_pence >= 0`),
    check('fund_rounds_amounts_check', sql`(min_amount_pence is null or min_amount_pence >= 0) and (max_amount_pence is null or max_amount_pence >= coalesce(min_amount_pence, 0))`),
  ],
);

/** A proposal or application to a round, from a resident or a group. */
export const proposals = pgTable(
  'proposals',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    roundId: uuid('round_id')
      .notNull()
      .references(() => fundRounds.id, { onDelete: 'cascade' }),
    /** Shown on the ballot and results, e.g. 7 (numbered in the order received). */
    number: integer('number').notNull(),
    title: text('title').notNull(),
    summary: text('summary').notNull(),
    description: text('description'),
    amountPence: pence('amount_pence').notNull(),
    applicantKind: text('applicant_kind', { enum: applicantKinds }).notNull(),
    /** The group's name (or "a resident" for an individual: their own name is in contact_name only). */
    groupName: text('group_name'),
    /** For registered bodies: charity or company number, used for the 360Giving recipient identifier. */
    registeredNumber: text('registered_number'),
    /** Personal data, kept for the panel to reach the applicant; never published, erased after the round. */
    contactName: text('contact_name'),
    contactEmail: text('contact_email'),
    /** Which neighbourhood or ward it is for, and its 2021 LSOA / 2025 ward when a project postcode was given. */
    neighbourhoodId: uuid('neighbourhood_id').references(() => neighbourhoods.id, { onDelete: 'set null' }),
    ward25: text('ward25'),
    lsoa21: text('lsoa21'),
    status: text('status', { enum: proposalStatuses }).notNull().default('submitted'),
    submittedBy: uuid('submitted_by').references(() => users.id, { onDelete: 'set null' }),
    submittedAt: timestamp('submitted_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('proposals_round_idx').on(t.roundId),
    uniqueIndex('proposals_number_idx').on(t.roundId, t.number),
    enumCheck('proposals_status_check', 'status', proposalStatuses),
    enumCheck('proposals_applicant_check', 'applicant_kind', applicantKinds),
    check('proposals_amount_check', sql`amount_pence > 0`),
  ],
);

/** The panel's decisions on a proposal, with reasons: the record of who decided what and why. */
export const proposalDecisions = pgTable(
  'proposal_decisions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    proposalId: uuid('proposal_id')
      .notNull()
      .references(() => proposals.id, { onDelete: 'cascade' }),
    fromStatus: text('from_status', { enum: proposalStatuses }).notNull(),
    toStatus: text('to_status', { enum: proposalStatuses }).notNull(),
    reason: text('reason').notNull(),
    decidedBy: uuid('decided_by').references(() => users.id, { onDelete: 'set null' }),
    decidedAt: timestamp('decided_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('proposal_decisions_proposal_idx').on(t.proposalId)],
);

/**
 * A voting code, kept only as the SHA-256 of the code (codes are long random strings, so a hash cannot be
 * reversed by trying them). Used once: `used` is set when a ballot is cast, and nothing records which ballot.
 */
export const votingCodes = pgTable(
  'voting_codes',
  {
    codeHash: text('code_hash').primaryKey(),
    roundId: uuid('round_id')
      .notNull()
      .references(() => fundRounds.id, { onDelete: 'cascade' }),
    /** The printing they came in, so a lost batch can be withdrawn. */
    batch: integer('batch').notNull(),
    used: boolean('used').notNull().default(false),
    withdrawn: boolean('withdrawn').notNull().default(false),
  },
  (t) => [index('voting_codes_round_idx').on(t.roundId, t.batch)],
);

/**
 * A verified email that may vote once in a round, kept as a keyed hash of the address (so the list cannot be read
 * back as addresses). `tokenHash` is the emailed link's token, until used.
 */
export const votingEmails = pgTable(
  'voting_emails',
  {
    roundId: uuid('round_id')
      .notNull()
      .references(() => fundRounds.id, { onDelete: 'cascade' }),
    emailHash: text('email_hash').notNull(),
    tokenHash: text('token_hash'),
    tokenExpiresAt: timestamp('token_expires_at', { withTimezone: true }),
    used: boolean('used').notNull().default(false),
  },
  (t) => [primaryKey({ columns: [t.roundId, t.emailHash] })],
);

/**
 * An anonymous ballot: the proposals chosen (in order of preference for a ranked vote). It has no time, no
 * code, no address and no voter: nothing joins it to who cast it. Its id is random, so their order says nothing.
 */
export const ballots = pgTable(
  'ballots',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    roundId: uuid('round_id')
      .notNull()
      .references(() => fundRounds.id, { onDelete: 'cascade' }),
    /** Proposal numbers, in the voter's order. */
    choices: integer('choices').array().notNull(),
    /** How it was cast: online or on paper (typed in by staff), for the results' notes. */
    channel: text('channel', { enum: ['online', 'paper'] }).notNull(),
  },
  (t) => [index('ballots_round_idx').on(t.roundId)],
);

/** An awarded grant: the grants register, exportable in the 360Giving Data Standard. */
export const grants = pgTable(
  'grants',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organisationId: uuid('organisation_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'restrict' }),
    fundId: uuid('fund_id').references(() => funds.id, { onDelete: 'set null' }),
    roundId: uuid('round_id').references(() => fundRounds.id, { onDelete: 'set null' }),
    proposalId: uuid('proposal_id').references(() => proposals.id, { onDelete: 'set null' }),
    /** The 360Giving identifier, e.g. 360G-wigancouncil-2026-014. */
    identifier: text('identifier').notNull(),
    title: text('title').notNull(),
    description: text('description').notNull(),
    recipientName: text('recipient_name').notNull(),
    /** An org-id.guide identifier (GB-CHC-…, GB-COH-…) or the funder's own (360G-…-group-…) for an unregistered group. */
    recipientOrgId: text('recipient_org_id').notNull(),
    /** An individual's name is never published; the register says "an individual" instead. */
    recipientIsIndividual: boolean('recipient_is_individual').notNull().default(false),
    amountPence: pence('amount_pence').notNull(),
    awardDate: date('award_date').notNull(),
    plannedStart: date('planned_start'),
    plannedEnd: date('planned_end'),
    /** Where the beneficiaries are: 2021 LSOA and 2025 ward codes. */
    beneficiaryLsoa21: text('beneficiary_lsoa21'),
    beneficiaryWard25: text('beneficiary_ward25'),
    status: text('status', { enum: grantStatuses }).notNull().default('awarded'),
    sample: boolean('sample').notNull().default(false),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('grants_organisation_idx').on(t.organisationId),
    uniqueIndex('grants_identifier_idx').on(t.identifier),
    enumCheck('grants_status_check', 'status', grantStatuses),
    check('grants_amount_check', sql`amount_pence > 0`),
  ],
);

/** Progress and spend reported by a funded project. */
export const grantReports = pgTable(
  'grant_reports',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    grantId: uuid('grant_id')
      .notNull()
      .references(() => grants.id, { onDelete: 'cascade' }),
    reportedOn: date('reported_on').notNull(),
    progress: text('progress').notNull(),
    /** Spent in this report's period. */
    spendPence: pence('spend_pence').notNull(),
    reportedBy: uuid('reported_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('grant_reports_grant_idx').on(t.grantId), check('grant_reports_spend_check', sql`spend_pence >= 0`)],
);

/** A budget split across areas by need, saved with its method so anyone can see how each amount was reached. */
export const allocationScenarios = pgTable(
  'allocation_scenarios',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organisationId: uuid('organisation_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    budgetPence: pence('budget_pence').notNull(),
    /** The areas: wards of a district (area_vintage ward25, district code) or a list of neighbourhoods. */
    areaKind: text('area_kind', { enum: ['ward25', 'neighbourhood'] }).notNull(),
    districtCode: text('district_code'),
    /** The need measure: an indicator id (IMD score, a domain, local data) or a composite index id. */
    measureKind: text('measure_kind', { enum: ['indicator', 'composite-index'] }).notNull(),
    measureId: text('measure_id').notNull(),
    timesPopulation: boolean('times_population').notNull().default(false),
    floorPence: pence('floor_pence'),
    capPence: pence('cap_pence'),
    sample: boolean('sample').notNull().default(false),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('allocation_scenarios_organisation_idx').on(t.organisationId), check('allocation_scenarios_budget_check', sql`budget_pence >= 0`)],
);

/** One area's line of a scenario: its need, population, weight, amount by need and the equal split beside it. */
export const allocationLines = pgTable(
  'allocation_lines',
  {
    scenarioId: uuid('scenario_id')
      .notNull()
      .references(() => allocationScenarios.id, { onDelete: 'cascade' }),
    areaCode: text('area_code').notNull(),
    areaName: text('area_name').notNull(),
    need: doublePrecision('need'),
    population: doublePrecision('population'),
    weight: doublePrecision('weight').notNull(),
    amountPence: pence('amount_pence').notNull(),
    equalPence: pence('equal_pence').notNull(),
    /** Whether the floor or the cap decided this area's amount. */
    bound: text('bound', { enum: ['floor', 'cap'] }),
  },
  (t) => [primaryKey({ columns: [t.scenarioId, t.areaCode] })],
);
