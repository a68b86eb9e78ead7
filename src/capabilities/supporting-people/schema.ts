import { sql } from 'drizzle-orm';
import { boolean, check, date, index, numeric, pgTable, primaryKey, smallint, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { organisations, users } from '../../platform/auth/schema.ts';
import { directoryServices } from '../community-assets/schema.ts';
import { enumCheck } from '../../platform/db/checks.ts';

/**
 * Supporting people: Local Area Coordination, social prescribing and community health and wellbeing work.
 *
 * Personal data is kept to a minimum and protected at rest: every column ending `_enc` holds AES-256-GCM ciphertext
 * made with the person's own data key (`support_people.wrapped_key`), which is itself encrypted by the key in the
 * environment (see platform/crypto/envelope.ts). Columns left in plain text are the ones aggregates need (route,
 * dates, areas, age band, outcomes, wellbeing scores): none of them names or contacts anyone.
 *
 * Who may see a person's record is decided in one place (platform/auth/permissions.ts, access.supportPerson): their
 * coordinator, the leads of their team, and a colleague the record is shared with while the share lasts. Every read
 * is written to the audit log.
 */

/** A team member either holds a caseload (coordinator) or oversees the team's (lead, who may also hold one). */
export const supportTeamRoles = ['coordinator', 'lead'] as const;
export type SupportTeamRole = (typeof supportTeamRoles)[number];

/** How someone came to be introduced. */
export const introductionRoutes = ['self', 'family-neighbour', 'councillor', 'gp-pcn', 'social-care', 'housing', 'vcse', 'other'] as const;
export type IntroductionRoute = (typeof introductionRoutes)[number];
export const introductionRouteNames: Record<IntroductionRoute, string> = {
  self: 'Themselves',
  'family-neighbour': 'Family, friend or neighbour',
  councillor: 'Councillor',
  'gp-pcn': 'GP practice or primary care network',
  'social-care': 'Social care',
  housing: 'Housing',
  vcse: 'Voluntary or community organisation',
  other: 'Other',
};

/** Consent to Patchwork keeping the record at all (the lawful basis is recorded by the organisation, in PRIVACY.md). */
export const consentStatuses = ['given', 'withdrawn'] as const;
export type ConsentStatus = (typeof consentStatuses)[number];

export const personStatuses = ['open', 'closed'] as const;
export type PersonStatus = (typeof personStatuses)[number];

export const closureReasons = ['goals-met', 'connected', 'moved-away', 'no-longer-wanted', 'no-contact', 'referred-on', 'died', 'other'] as const;
export type ClosureReason = (typeof closureReasons)[number];
export const closureReasonNames: Record<ClosureReason, string> = {
  'goals-met': 'What mattered to them is in place',
  connected: 'Connected and no longer needs support',
  'moved-away': 'Moved away',
  'no-longer-wanted': 'No longer wanted support',
  'no-contact': 'Could not be contacted',
  'referred-on': 'Referred to another service',
  died: 'Died',
  other: 'Other',
};

/** Age bands kept in plain text for aggregates; the date of birth itself is encrypted. */
export const supportAgeBands = ['under-18', '18-24', '25-34', '35-49', '50-64', '65-74', '75-84', '85-plus'] as const;
export type SupportAgeBand = (typeof supportAgeBands)[number];

export const goalStatuses = ['active', 'achieved', 'changed', 'stopped'] as const;
export type GoalStatus = (typeof goalStatuses)[number];

/** What became of a connection to a group, asset or service. */
export const connectionOutcomes = ['suggested', 'attended', 'continuing', 'didnt-suit'] as const;
export type ConnectionOutcome = (typeof connectionOutcomes)[number];
export const connectionOutcomeNames: Record<ConnectionOutcome, string> = {
  suggested: 'Suggested, not yet tried',
  attended: 'Attended',
  continuing: 'Continuing',
  'didnt-suit': 'Didn’t suit them',
};

export const wellbeingOccasions = ['start', 'follow-up', 'end'] as const;
export type WellbeingOccasion = (typeof wellbeingOccasions)[number];

/** A team within an organisation: Local Area Coordinators for a district, a PCN's link workers. */
export const supportTeams = pgTable(
  'support_teams',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organisationId: uuid('organisation_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('support_teams_name_key').on(t.organisationId, sql`lower(${t.name})`)],
);

export const supportTeamMembers = pgTable(
  'support_team_members',
  {
    teamId: uuid('team_id')
      .notNull()
      .references(() => supportTeams.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text('role', { enum: supportTeamRoles }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.userId] }), index('support_team_members_user_idx').on(t.userId), enumCheck('support_team_members_role_check', 'role', supportTeamRoles)],
);

/** One person supported. Everything that identifies them is encrypted; the rest is what aggregates need. */
export const supportPeople = pgTable(
  'support_people',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    teamId: uuid('team_id')
      .notNull()
      .references(() => supportTeams.id, { onDelete: 'restrict' }),
    /** Null only when their coordinator's account has been deleted: the team's leads then reassign them. */
    coordinatorUserId: uuid('coordinator_user_id').references(() => users.id, { onDelete: 'set null' }),
    /** The person's data key, wrapped by the key-encryption key; null once erased under retention (crypto-shredded). */
    wrappedKey: text('wrapped_key'),
    nameEnc: text('name_enc'),
    /** JSON {email, phone, address}. */
    contactEnc: text('contact_enc'),
    postcodeEnc: text('postcode_enc'),
    dateOfBirthEnc: text('date_of_birth_enc'),
    /** JSON of optional demographics (gender, ethnic group, disability, …), kept only with consent. */
    demographicsEnc: text('demographics_enc'),
    ageBand: text('age_band', { enum: supportAgeBands }),
    /** Where they live, from the postcode's point: 2021 LSOA, 2025 ward and district. */
    lsoa21: text('lsoa21'),
    ward25: text('ward25'),
    lad25: text('lad25'),
    consentStatus: text('consent_status', { enum: consentStatuses }).notNull(),
    consentOn: date('consent_on').notNull(),
    status: text('status', { enum: personStatuses }).notNull().default('open'),
    closedOn: date('closed_on'),
    closureReason: text('closure_reason', { enum: closureReasons }),
    /** Set when retention flagged the record for erasure. */
    retentionFlaggedAt: timestamp('retention_flagged_at', { withTimezone: true }),
    /** Set when the record was erased under retention: personal data gone, counts kept for aggregates. */
    anonymisedAt: timestamp('anonymised_at', { withTimezone: true }),
    /** Invented for demonstration, and labelled so wherever it shows. */
    sample: boolean('sample').notNull().default(false),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('support_people_team_idx').on(t.teamId),
    index('support_people_coordinator_idx').on(t.coordinatorUserId),
    index('support_people_lsoa_idx').on(t.lsoa21),
    enumCheck('support_people_consent_check', 'consent_status', consentStatuses),
    enumCheck('support_people_status_check', 'status', personStatuses),
    check('support_people_closure_check', sql`(status = 'closed') = (closed_on is not null and closure_reason is not null)`),
    check('support_people_erased_check', sql`anonymised_at is null or (wrapped_key is null and name_enc is null and contact_enc is null and postcode_enc is null and date_of_birth_enc is null and demographics_enc is null)`),
  ],
);

/** How someone came to be supported; a person may be introduced again later. */
export const supportIntroductions = pgTable(
  'support_introductions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    personId: uuid('person_id')
      .notNull()
      .references(() => supportPeople.id, { onDelete: 'cascade' }),
    introducedOn: date('introduced_on').notNull(),
    route: text('route', { enum: introductionRoutes }).notNull(),
    /** The introducer's organisation or role in words ("Pemberton PCN"), never a private person's name. */
    introducerEnc: text('introducer_enc'),
    reasonEnc: text('reason_enc'),
    recordedBy: uuid('recorded_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('support_introductions_person_idx').on(t.personId), index('support_introductions_date_idx').on(t.introducedOn), enumCheck('support_introductions_route_check', 'route', introductionRoutes)],
);

/** A dated conversation: what was talked about and the next steps agreed. */
export const supportConversations = pgTable(
  'support_conversations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    personId: uuid('person_id')
      .notNull()
      .references(() => supportPeople.id, { onDelete: 'cascade' }),
    heldOn: date('held_on').notNull(),
    noteEnc: text('note_enc').notNull(),
    recordedBy: uuid('recorded_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('support_conversations_person_idx').on(t.personId, t.heldOn)],
);

/** An agreed next step, done or not. */
export const supportNextSteps = pgTable(
  'support_next_steps',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    personId: uuid('person_id')
      .notNull()
      .references(() => supportPeople.id, { onDelete: 'cascade' }),
    conversationId: uuid('conversation_id').references(() => supportConversations.id, { onDelete: 'set null' }),
    stepEnc: text('step_enc').notNull(),
    dueOn: date('due_on'),
    doneOn: date('done_on'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('support_next_steps_person_idx').on(t.personId)],
);

/** "What matters to me": a goal in the person's own words, and how it is going. */
export const supportGoals = pgTable(
  'support_goals',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    personId: uuid('person_id')
      .notNull()
      .references(() => supportPeople.id, { onDelete: 'cascade' }),
    setOn: date('set_on').notNull(),
    goalEnc: text('goal_enc').notNull(),
    status: text('status', { enum: goalStatuses }).notNull().default('active'),
    statusOn: date('status_on'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('support_goals_person_idx').on(t.personId), enumCheck('support_goals_status_check', 'status', goalStatuses)],
);

/** Progress towards a goal as the person sees it, 1 (not started) to 10 (there). */
export const supportGoalProgress = pgTable(
  'support_goal_progress',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    goalId: uuid('goal_id')
      .notNull()
      .references(() => supportGoals.id, { onDelete: 'cascade' }),
    recordedOn: date('recorded_on').notNull(),
    score: smallint('score').notNull(),
    noteEnc: text('note_enc'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('support_goal_progress_goal_idx').on(t.goalId, t.recordedOn), check('support_goal_progress_score_check', sql`score between 1 and 10`)],
);

/** A connection to a group, asset or service in the directory, and what came of it. */
export const supportConnections = pgTable(
  'support_connections',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    personId: uuid('person_id')
      .notNull()
      .references(() => supportPeople.id, { onDelete: 'cascade' }),
    /** Null when the directory entry has since been deleted; `serviceName` keeps what it was called. */
    serviceId: uuid('service_id').references(() => directoryServices.id, { onDelete: 'set null' }),
    serviceName: text('service_name').notNull(),
    connectedOn: date('connected_on').notNull(),
    outcome: text('outcome', { enum: connectionOutcomes }).notNull().default('suggested'),
    outcomeOn: date('outcome_on'),
    noteEnc: text('note_enc'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('support_connections_person_idx').on(t.personId), index('support_connections_service_idx').on(t.serviceId), enumCheck('support_connections_outcome_check', 'outcome', connectionOutcomes)],
);

/**
 * Personal wellbeing: the ONS4 questions (0–10; for anxiety lower is better) and, optionally, SWEMWBS (7 items scored
 * 1–5, the raw total 7–35 and its metric score from the published conversion table).
 */
export const supportWellbeing = pgTable(
  'support_wellbeing',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    personId: uuid('person_id')
      .notNull()
      .references(() => supportPeople.id, { onDelete: 'cascade' }),
    measuredOn: date('measured_on').notNull(),
    occasion: text('occasion', { enum: wellbeingOccasions }).notNull(),
    lifeSatisfaction: smallint('life_satisfaction'),
    worthwhile: smallint('worthwhile'),
    happiness: smallint('happiness'),
    anxiety: smallint('anxiety'),
    /** The seven SWEMWBS item scores, in the questionnaire's order, as "4,3,5,…"; null when not asked. */
    swemwbsItems: text('swemwbs_items'),
    swemwbsRaw: smallint('swemwbs_raw'),
    swemwbsMetric: numeric('swemwbs_metric', { precision: 5, scale: 2, mode: 'number' }),
    recordedBy: uuid('recorded_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('support_wellbeing_person_idx').on(t.personId, t.measuredOn),
    enumCheck('support_wellbeing_occasion_check', 'occasion', wellbeingOccasions),
    check('support_wellbeing_ons4_check', sql`coalesce(life_satisfaction, 0) between 0 and 10 and coalesce(worthwhile, 0) between 0 and 10 and coalesce(happiness, 0) between 0 and 10 and coalesce(anxiety, 0) between 0 and 10`),
    check('support_wellbeing_swemwbs_check', sql`swemwbs_raw is null or swemwbs_raw between 7 and 35`),
    check('support_wellbeing_something_check', sql`num_nonnulls(life_satisfaction, worthwhile, happiness, anxiety, swemwbs_raw) > 0`),
  ],
);

/**
 * A person's record shared with a named colleague in another organisation: only with the person's consent, recorded
 * here, for a stated purpose and until an end date. Revoking keeps the row, so who had access stays known.
 */
export const supportShares = pgTable(
  'support_shares',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    personId: uuid('person_id')
      .notNull()
      .references(() => supportPeople.id, { onDelete: 'cascade' }),
    sharedWithUserId: uuid('shared_with_user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    sharedWithOrganisationId: uuid('shared_with_organisation_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'cascade' }),
    sharedBy: uuid('shared_by').references(() => users.id, { onDelete: 'set null' }),
    purpose: text('purpose').notNull(),
    /** When the person agreed to this sharing, and how (in words: "in person", "by phone"). */
    consentOn: date('consent_on').notNull(),
    consentHow: text('consent_how').notNull(),
    startsOn: date('starts_on').notNull(),
    endsOn: date('ends_on').notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    revokedBy: uuid('revoked_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('support_shares_person_idx').on(t.personId), index('support_shares_user_idx').on(t.sharedWithUserId), check('support_shares_period_check', sql`ends_on >= starts_on`)],
);

export type SupportPerson = typeof supportPeople.$inferSelect;
export type SupportTeam = typeof supportTeams.$inferSelect;
