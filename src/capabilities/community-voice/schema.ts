import { sql } from 'drizzle-orm';
import { type AnyPgColumn, boolean, check, date, index, integer, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { organisations, users } from '../../platform/auth/schema.ts';
import { neighbourhoods } from '../neighbourhoods/schema.ts';
import { ageBands, campaignKinds, campaignStatuses, disabilities, ethnicityGroups, genders, locationSources, questionKinds, responseChannels, tenures } from './vocabulary.ts';
import { enumCheck } from '../../platform/db/checks.ts';

/**
 * Community voice: listening campaigns, their questions, and residents' responses, tied to a place and never
 * to a person. A response keeps the areas its postcode falls in (not the postcode), and demographics only when
 * the respondent agreed to give them. A name or email is kept only when the respondent asks to be contacted,
 * in its own table, so it can be erased without touching what they said.
 */


export const voiceCampaigns = pgTable(
  'voice_campaigns',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** The organisation that runs it: its members capture responses, its coordinators manage it. */
    organisationId: uuid('organisation_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'restrict' }),
    title: text('title').notNull(),
    /** What it is about and why, shown to respondents on the public form and summary. */
    summary: text('summary'),
    kind: text('kind', { enum: campaignKinds }).notNull(),
    status: text('status', { enum: campaignStatuses }).notNull().default('draft'),
    /** The 2025 district (E06–E09) it listens in: the population it is checked against. */
    lad25: text('lad25'),
    /** Whether residents may answer on the public link (volunteers and imports are always possible while open). */
    acceptsPublic: boolean('accepts_public').notNull().default(true),
    opensOn: date('opens_on'),
    closesOn: date('closes_on'),
    /** An earlier campaign this repeats (a repeat Place Standard assessment of the same place), for comparison. */
    repeatOfId: uuid('repeat_of_id').references((): AnyPgColumn => voiceCampaigns.id, { onDelete: 'set null' }),
    /** A public summary (suppressed counts, publishable quotes) is shown only when published. */
    published: boolean('published').notNull().default(false),
    publishedAt: timestamp('published_at', { withTimezone: true }),
    /** Invented for demonstration or tests; labelled "sample data" wherever it is shown. */
    sample: boolean('sample').notNull().default(false),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('voice_campaigns_organisation_idx').on(t.organisationId),
    enumCheck('voice_campaigns_kind_check', 'kind', campaignKinds),
    enumCheck('voice_campaigns_status_check', 'status', campaignStatuses),
  ],
);

export const voiceQuestions = pgTable(
  'voice_questions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    campaignId: uuid('campaign_id')
      .notNull()
      .references(() => voiceCampaigns.id, { onDelete: 'cascade' }),
    /** 1, 2, 3…: the order asked. */
    position: integer('position').notNull(),
    kind: text('kind', { enum: questionKinds }).notNull(),
    prompt: text('prompt').notNull(),
    hint: text('hint'),
    /** The answers offered, for choice and multiple-choice questions. */
    options: text('options').array(),
    /** For scale questions: the lowest and highest answers and what they mean. */
    scaleMin: integer('scale_min'),
    scaleMax: integer('scale_max'),
    scaleMinLabel: text('scale_min_label'),
    scaleMaxLabel: text('scale_max_label'),
    required: boolean('required').notNull().default(false),
    /** For Place Standard assessments: which of the 14 themes this rating is (see placeStandardThemes). */
    placeStandardTheme: text('place_standard_theme'),
    /** Whether a comment box follows a choice or scale answer. */
    withComment: boolean('with_comment').notNull().default(false),
  },
  (t) => [
    uniqueIndex('voice_questions_position_idx').on(t.campaignId, t.position),
    enumCheck('voice_questions_kind_check', 'kind', questionKinds),
    check('voice_questions_scale_check', sql`kind <> 'scale' or (scale_min is not null and scale_max is not null and scale_min < scale_max)`),
    check('voice_questions_options_check', sql`kind not in ('choice', 'multiple-choice') or cardinality(options) >= 2`),
  ],
);

export const voiceResponses = pgTable(
  'voice_responses',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    campaignId: uuid('campaign_id')
      .notNull()
      .references(() => voiceCampaigns.id, { onDelete: 'cascade' }),
    channel: text('channel', { enum: responseChannels }).notNull(),
    /** Made by the browser for a response captured offline, so sending it twice stores it once. */
    clientId: uuid('client_id'),
    /** The volunteer or member of staff who captured it (null for residents' own and imported responses). */
    capturedBy: uuid('captured_by').references(() => users.id, { onDelete: 'set null' }),
    /** When the person answered (earlier than receivedAt for offline and imported responses). */
    answeredAt: timestamp('answered_at', { withTimezone: true }).notNull().defaultNow(),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
    /** How its place was given: a postcode (kept only as the areas below), a chosen neighbourhood, or not at all. */
    locationSource: text('location_source', { enum: locationSources }).notNull(),
    lsoa21: text('lsoa21'),
    ward25: text('ward25'),
    lad25: text('lad25'),
    neighbourhoodId: uuid('neighbourhood_id').references(() => neighbourhoods.id, { onDelete: 'set null' }),
    /** Demographics are kept only when this is true. */
    demographicsConsent: boolean('demographics_consent').notNull().default(false),
    ageBand: text('age_band', { enum: ageBands }),
    gender: text('gender', { enum: genders }),
    ethnicityGroup: text('ethnicity_group', { enum: ethnicityGroups }),
    disability: text('disability', { enum: disabilities }),
    tenure: text('tenure', { enum: tenures }),
    /** The import it came in with, so a whole import can be named in the audit log. */
    importId: uuid('import_id'),
  },
  (t) => [
    index('voice_responses_campaign_idx').on(t.campaignId),
    index('voice_responses_ward_idx').on(t.ward25),
    index('voice_responses_lsoa_idx').on(t.lsoa21),
    uniqueIndex('voice_responses_client_idx').on(t.clientId),
    enumCheck('voice_responses_channel_check', 'channel', responseChannels),
    enumCheck('voice_responses_location_check', 'location_source', locationSources),
    enumCheck('voice_responses_age_check', 'age_band', ageBands, true),
    enumCheck('voice_responses_gender_check', 'gender', genders, true),
    enumCheck('voice_responses_ethnicity_check', 'ethnicity_group', ethnicityGroups, true),
    enumCheck('voice_responses_disability_check', 'disability', disabilities, true),
    enumCheck('voice_responses_tenure_check', 'tenure', tenures, true),
    check(
      'voice_responses_consent_check',
      sql`demographics_consent or (age_band is null and gender is null and ethnicity_group is null and disability is null and tenure is null)`,
    ),
  ],
);

/** One answer to one question. Free text is plain text, always shown escaped. */
export const voiceAnswers = pgTable(
  'voice_answers',
  {
    responseId: uuid('response_id')
      .notNull()
      .references(() => voiceResponses.id, { onDelete: 'cascade' }),
    questionId: uuid('question_id')
      .notNull()
      .references(() => voiceQuestions.id, { onDelete: 'cascade' }),
    text: text('text'),
    choices: text('choices').array(),
    scale: integer('scale'),
    comment: text('comment'),
    /** A coordinator has marked this answer's words as fit to publish (as `quote`, or the text as given). */
    publishable: boolean('publishable').notNull().default(false),
    /** The words to publish, when a coordinator trimmed them (to remove a name, say). */
    quote: text('quote'),
    markedBy: uuid('marked_by').references(() => users.id, { onDelete: 'set null' }),
  },
  (t) => [primaryKey({ columns: [t.responseId, t.questionId] }), index('voice_answers_question_idx').on(t.questionId)],
);

/** Contact details of a respondent who asked to be contacted, kept apart from what they said. */
export const voiceContacts = pgTable('voice_contacts', {
  responseId: uuid('response_id')
    .primaryKey()
    .references(() => voiceResponses.id, { onDelete: 'cascade' }),
  name: text('name').notNull(),
  email: text('email'),
  phone: text('phone'),
  /** What they agreed to, in the words shown to them. */
  consentStatement: text('consent_statement').notNull(),
  consentedAt: timestamp('consented_at', { withTimezone: true }).notNull().defaultNow(),
});

/** An organisation's shared, editable list of themes for tagging responses. */
export const voiceThemes = pgTable(
  'voice_themes',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organisationId: uuid('organisation_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    description: text('description'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('voice_themes_name_idx').on(t.organisationId, sql`lower(${t.name})`)],
);

export const voiceResponseThemes = pgTable(
  'voice_response_themes',
  {
    responseId: uuid('response_id')
      .notNull()
      .references(() => voiceResponses.id, { onDelete: 'cascade' }),
    themeId: uuid('theme_id')
      .notNull()
      .references(() => voiceThemes.id, { onDelete: 'cascade' }),
    taggedBy: uuid('tagged_by').references(() => users.id, { onDelete: 'set null' }),
    taggedAt: timestamp('tagged_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.responseId, t.themeId] }), index('voice_response_themes_theme_idx').on(t.themeId)],
);
