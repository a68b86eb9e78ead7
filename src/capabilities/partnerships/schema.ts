import { sql } from 'drizzle-orm';
import { boolean, check, date, index, integer, pgTable, primaryKey, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';
import { organisations, users } from '../../platform/auth/schema.ts';
import { neighbourhoods } from '../neighbourhoods/schema.ts';
import { voiceCampaigns, voiceThemes } from '../community-voice/schema.ts';
import { enumCheck } from '../../platform/db/checks.ts';

/**
 * Partnerships and their shared plans: the organisations working together on a place, the stage they are
 * at, and the golden thread from strategic aims (set once, reused) through each partnership's priorities to
 * the actions its members own. Rows that people edit carry a `version`, so two people editing the same thing
 * at once cannot silently overwrite each other (optimistic locking).
 */

export const partnershipStages = ['catalyse', 'nurture', 'sustain'] as const;
export type PartnershipStage = (typeof partnershipStages)[number];
/** How a person takes part in a partnership. */
export const partnershipRoles = ['lead', 'member', 'resident-representative', 'councillor'] as const;
export const actionStatuses = ['not-started', 'on-track', 'at-risk', 'off-track', 'done'] as const;
export type ActionStatus = (typeof actionStatuses)[number];
/** What a priority's evidence points at. */
export const evidenceKinds = ['indicator', 'area-profile', 'voice-theme', 'note'] as const;


export const partnerships = pgTable(
  'partnerships',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    name: text('name').notNull(),
    description: text('description'),
    /** The organisation that set it up and answers for it; member organisations are in partnership_organisations. */
    leadOrganisationId: uuid('lead_organisation_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'restrict' }),
    stage: text('stage', { enum: partnershipStages }).notNull().default('catalyse'),
    /** A plain-English summary for residents, shown on the public page only when `published`. */
    publicSummary: text('public_summary'),
    published: boolean('published').notNull().default(false),
    version: integer('version').notNull().default(1),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('partnerships_lead_idx').on(t.leadOrganisationId), enumCheck('partnerships_stage_check', 'stage', partnershipStages)],
);

/** The places a partnership covers: wards (by vintage and code) or neighbourhoods. */
export const partnershipAreas = pgTable(
  'partnership_areas',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    partnershipId: uuid('partnership_id')
      .notNull()
      .references(() => partnerships.id, { onDelete: 'cascade' }),
    /** For a ward: its vintage (ward25, ward24, ward19) and GSS code. */
    areaVintage: text('area_vintage'),
    areaCode: text('area_code'),
    neighbourhoodId: uuid('neighbourhood_id').references(() => neighbourhoods.id, { onDelete: 'cascade' }),
  },
  (t) => [
    index('partnership_areas_partnership_idx').on(t.partnershipId),
    check('partnership_areas_one_check', sql`(area_code is not null and area_vintage is not null and neighbourhood_id is null) or (area_code is null and area_vintage is null and neighbourhood_id is not null)`),
  ],
);

/** The organisations taking part. Their members are the partnership's members. */
export const partnershipOrganisations = pgTable(
  'partnership_organisations',
  {
    partnershipId: uuid('partnership_id')
      .notNull()
      .references(() => partnerships.id, { onDelete: 'cascade' }),
    organisationId: uuid('organisation_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'cascade' }),
    joinedAt: timestamp('joined_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.partnershipId, t.organisationId] }), index('partnership_organisations_organisation_idx').on(t.organisationId)],
);

/** Named people and the part they play (lead, resident representative, councillor…), each for their organisation. */
export const partnershipPeople = pgTable(
  'partnership_people',
  {
    partnershipId: uuid('partnership_id')
      .notNull()
      .references(() => partnerships.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    organisationId: uuid('organisation_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'cascade' }),
    role: text('role', { enum: partnershipRoles }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.partnershipId, t.userId] }), enumCheck('partnership_people_role_check', 'role', partnershipRoles)],
);

/** A ticked item of a stage's checklist (the items themselves are defined in code, per stage). */
export const partnershipChecklist = pgTable(
  'partnership_checklist',
  {
    partnershipId: uuid('partnership_id')
      .notNull()
      .references(() => partnerships.id, { onDelete: 'cascade' }),
    item: text('item').notNull(),
    doneBy: uuid('done_by').references(() => users.id, { onDelete: 'set null' }),
    doneAt: timestamp('done_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.partnershipId, t.item] })],
);

export const partnershipStageChanges = pgTable(
  'partnership_stage_changes',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    partnershipId: uuid('partnership_id')
      .notNull()
      .references(() => partnerships.id, { onDelete: 'cascade' }),
    fromStage: text('from_stage', { enum: partnershipStages }),
    toStage: text('to_stage', { enum: partnershipStages }).notNull(),
    note: text('note'),
    changedBy: uuid('changed_by').references(() => users.id, { onDelete: 'set null' }),
    changedAt: timestamp('changed_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('partnership_stage_changes_partnership_idx').on(t.partnershipId, t.changedAt)],
);

/** A strategic aim, set once by a council or system partner and served by priorities in any partnership. */
export const strategicAims = pgTable(
  'strategic_aims',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    ownerOrganisationId: uuid('owner_organisation_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'restrict' }),
    title: text('title').notNull(),
    description: text('description'),
    version: integer('version').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('strategic_aims_owner_idx').on(t.ownerOrganisationId)],
);

/** A neighbourhood priority in a partnership's plan, serving an aim. */
export const priorities = pgTable(
  'priorities',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    partnershipId: uuid('partnership_id')
      .notNull()
      .references(() => partnerships.id, { onDelete: 'cascade' }),
    aimId: uuid('aim_id').references(() => strategicAims.id, { onDelete: 'set null' }),
    title: text('title').notNull(),
    description: text('description'),
    position: integer('position').notNull().default(0),
    version: integer('version').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('priorities_partnership_idx').on(t.partnershipId), index('priorities_aim_idx').on(t.aimId)],
);

/** What a priority rests on: an indicator for an area, an area's profile, a community voice theme, or a note. */
export const priorityEvidence = pgTable(
  'priority_evidence',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    priorityId: uuid('priority_id')
      .notNull()
      .references(() => priorities.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: evidenceKinds }).notNull(),
    /** indicators.id (an IoD measure or local data) for kind indicator. */
    indicatorId: text('indicator_id'),
    /** The area the figure is for (GSS code), for indicator and area-profile. */
    areaCode: text('area_code'),
    /** For kind voice-theme: the campaign residents said it in, and the theme (none: the campaign's results as a whole). */
    voiceCampaignId: uuid('voice_campaign_id').references(() => voiceCampaigns.id, { onDelete: 'set null' }),
    voiceThemeId: uuid('voice_theme_id').references(() => voiceThemes.id, { onDelete: 'set null' }),
    note: text('note'),
  },
  (t) => [index('priority_evidence_priority_idx').on(t.priorityId), enumCheck('priority_evidence_kind_check', 'kind', evidenceKinds)],
);

/** An action: who does what by when, for a priority. */
export const actions = pgTable(
  'actions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    partnershipId: uuid('partnership_id')
      .notNull()
      .references(() => partnerships.id, { onDelete: 'cascade' }),
    priorityId: uuid('priority_id')
      .notNull()
      .references(() => priorities.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    description: text('description'),
    ownerOrganisationId: uuid('owner_organisation_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'restrict' }),
    /** The named lead: a Patchwork user where they have an account, and their name as shown. */
    leadUserId: uuid('lead_user_id').references(() => users.id, { onDelete: 'set null' }),
    leadName: text('lead_name').notNull(),
    startOn: date('start_on', { mode: 'string' }),
    dueOn: date('due_on', { mode: 'string' }),
    status: text('status', { enum: actionStatuses }).notNull().default('not-started'),
    /** The owning organisation's choice: may the partnership's public page mention it? */
    public: boolean('public').notNull().default(false),
    /** The meeting that agreed it, when one did. */
    meetingId: uuid('meeting_id').references(() => meetings.id, { onDelete: 'set null' }),
    completedAt: timestamp('completed_at', { withTimezone: true }),
    version: integer('version').notNull().default(1),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('actions_partnership_idx').on(t.partnershipId, t.status),
    index('actions_priority_idx').on(t.priorityId),
    index('actions_owner_idx').on(t.ownerOrganisationId, t.dueOn),
    index('actions_lead_idx').on(t.leadUserId, t.dueOn),
    enumCheck('actions_status_check', 'status', actionStatuses),
    check('actions_dates_check', sql`start_on is null or due_on is null or start_on <= due_on`),
  ],
);

/** Progress on an action, in order: each records the status it moved to (or kept) and what happened. */
export const actionUpdates = pgTable(
  'action_updates',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    actionId: uuid('action_id')
      .notNull()
      .references(() => actions.id, { onDelete: 'cascade' }),
    status: text('status', { enum: actionStatuses }).notNull(),
    note: text('note').notNull(),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('action_updates_action_idx').on(t.actionId, t.createdAt), enumCheck('action_updates_status_check', 'status', actionStatuses)],
);

export const meetings = pgTable(
  'meetings',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    partnershipId: uuid('partnership_id')
      .notNull()
      .references(() => partnerships.id, { onDelete: 'cascade' }),
    heldOn: date('held_on', { mode: 'string' }).notNull(),
    title: text('title').notNull(),
    agenda: text('agenda'),
    notes: text('notes'),
    version: integer('version').notNull().default(1),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('meetings_partnership_idx').on(t.partnershipId, t.heldOn)],
);

/** Who came, by organisation: a named person with an account, or a name as recorded (a resident, a guest). */
export const meetingAttendees = pgTable(
  'meeting_attendees',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    meetingId: uuid('meeting_id')
      .notNull()
      .references(() => meetings.id, { onDelete: 'cascade' }),
    organisationId: uuid('organisation_id').references(() => organisations.id, { onDelete: 'set null' }),
    userId: uuid('user_id').references(() => users.id, { onDelete: 'set null' }),
    name: text('name').notNull(),
  },
  (t) => [index('meeting_attendees_meeting_idx').on(t.meetingId), unique('meeting_attendees_person_key').on(t.meetingId, t.name)],
);

export const meetingDecisions = pgTable(
  'meeting_decisions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    meetingId: uuid('meeting_id')
      .notNull()
      .references(() => meetings.id, { onDelete: 'cascade' }),
    text: text('text').notNull(),
    priorityId: uuid('priority_id').references(() => priorities.id, { onDelete: 'set null' }),
    position: integer('position').notNull().default(0),
  },
  (t) => [index('meeting_decisions_meeting_idx').on(t.meetingId)],
);
