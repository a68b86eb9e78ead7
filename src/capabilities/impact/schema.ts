import { sql } from 'drizzle-orm';
import { boolean, check, date, doublePrecision, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { organisations, users } from '../../platform/auth/schema.ts';
import { partnerships } from '../partnerships/schema.ts';
import { enumCheck } from '../../platform/db/checks.ts';

/**
 * Impact: outcomes a partnership agreed with residents and the measures that track them, stories told beside the
 * numbers, and social return on investment (SROI) models with costs avoided. Money here is in pounds as typed
 * (proxies and unit costs are estimates, often with pence and fractions), not the whole pence funds keeps.
 * Every figure a person enters carries its source.
 */

/** Where a measure's values come from: Patchwork's own data, or typed in. */
export const measureSources = ['indicator', 'local-indicator', 'voice', 'support', 'social-value', 'manual'] as const;
export type MeasureSource = (typeof measureSources)[number];
export const measureDirections = ['increase', 'decrease', 'maintain'] as const;
export type MeasureDirection = (typeof measureDirections)[number];
export const measureCadences = ['monthly', 'quarterly', 'six-monthly', 'annually'] as const;
export type MeasureCadence = (typeof measureCadences)[number];
/** A story is published only with the consent of the person it is about. */
export const storyConsents = ['given', 'not-asked', 'refused'] as const;
export type StoryConsent = (typeof storyConsents)[number];

/** An outcome the partnership agreed with the community: who agreed it, and when. */
export const impactOutcomes = pgTable(
  'impact_outcomes',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    partnershipId: uuid('partnership_id')
      .notNull()
      .references(() => partnerships.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    description: text('description'),
    /** In words: "Residents at the Marsh Green listening event and the partnership board". */
    agreedWith: text('agreed_with').notNull(),
    agreedOn: date('agreed_on').notNull(),
    position: integer('position').notNull().default(0),
    version: integer('version').notNull().default(1),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('impact_outcomes_partnership_idx').on(t.partnershipId, t.position)],
);

/**
 * How an outcome is measured. `source` says where values come from; `sourceRef` names the thing in Patchwork (an
 * indicator id and area, a campaign's question, a support aggregate), empty for manual measures.
 */
export const impactMeasures = pgTable(
  'impact_measures',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    outcomeId: uuid('outcome_id')
      .notNull()
      .references(() => impactOutcomes.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    source: text('source', { enum: measureSources }).notNull(),
    sourceRef: jsonb('source_ref').$type<Record<string, string>>().notNull().default({}),
    /** "%", "people", "score out of 7" … */
    unit: text('unit').notNull(),
    baselineValue: doublePrecision('baseline_value'),
    baselineOn: date('baseline_on'),
    targetValue: doublePrecision('target_value'),
    targetOn: date('target_on'),
    direction: text('direction', { enum: measureDirections }).notNull(),
    cadence: text('cadence', { enum: measureCadences }).notNull(),
    /** Where the figures come from, in words, shown beside every figure. */
    sourceNote: text('source_note').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('impact_measures_outcome_idx').on(t.outcomeId), enumCheck('impact_measures_source_check', 'source', measureSources), enumCheck('impact_measures_direction_check', 'direction', measureDirections), enumCheck('impact_measures_cadence_check', 'cadence', measureCadences)],
);

/** One value of a measure at a date, typed in or taken from Patchwork's data (then `source` says from what). */
export const impactMeasurements = pgTable(
  'impact_measurements',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    measureId: uuid('measure_id')
      .notNull()
      .references(() => impactMeasures.id, { onDelete: 'cascade' }),
    measuredOn: date('measured_on').notNull(),
    value: doublePrecision('value').notNull(),
    source: text('source').notNull(),
    note: text('note'),
    recordedBy: uuid('recorded_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('impact_measurements_measure_idx').on(t.measureId, t.measuredOn)],
);

/** A dated account of change, tagged to outcomes and areas; public only with consent. */
export const impactStories = pgTable(
  'impact_stories',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    partnershipId: uuid('partnership_id')
      .notNull()
      .references(() => partnerships.id, { onDelete: 'cascade' }),
    toldOn: date('told_on').notNull(),
    title: text('title').notNull(),
    body: text('body').notNull(),
    quote: text('quote'),
    consent: text('consent', { enum: storyConsents }).notNull(),
    consentOn: date('consent_on'),
    /** Shown on public pages: refused by a check constraint unless consent was given. */
    published: boolean('published').notNull().default(false),
    sample: boolean('sample').notNull().default(false),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('impact_stories_partnership_idx').on(t.partnershipId, t.toldOn),
    enumCheck('impact_stories_consent_check', 'consent', storyConsents),
    check('impact_stories_published_check', sql`not published or (consent = 'given' and consent_on is not null)`),
  ],
);

export const impactStoryOutcomes = pgTable(
  'impact_story_outcomes',
  {
    storyId: uuid('story_id')
      .notNull()
      .references(() => impactStories.id, { onDelete: 'cascade' }),
    outcomeId: uuid('outcome_id')
      .notNull()
      .references(() => impactOutcomes.id, { onDelete: 'cascade' }),
  },
  (t) => [primaryKey({ columns: [t.storyId, t.outcomeId] }), index('impact_story_outcomes_outcome_idx').on(t.outcomeId)],
);

/** The places a story is about: an area by vintage and code (ward25, lad25 …) or a neighbourhood id under 'neighbourhood'. */
export const impactStoryAreas = pgTable(
  'impact_story_areas',
  {
    storyId: uuid('story_id')
      .notNull()
      .references(() => impactStories.id, { onDelete: 'cascade' }),
    vintage: text('vintage').notNull(),
    code: text('code').notNull(),
  },
  (t) => [primaryKey({ columns: [t.storyId, t.vintage, t.code] }), index('impact_story_areas_area_idx').on(t.vintage, t.code)],
);

/** An organisation's shared library of financial proxies: values entered by people, each with its source. */
export const sroiProxies = pgTable(
  'sroi_proxies',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organisationId: uuid('organisation_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    value: doublePrecision('value').notNull(),
    /** What one unit is: "per person per year". */
    unit: text('unit').notNull(),
    source: text('source').notNull(),
    sourceUrl: text('source_url'),
    /** The year the value is priced in. */
    priceYear: integer('price_year'),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('sroi_proxies_organisation_idx').on(t.organisationId), check('sroi_proxies_value_check', sql`value >= 0`)],
);

/** An SROI model of a partnership's work over a period (see sroi.ts for the method). */
export const sroiModels = pgTable(
  'sroi_models',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    partnershipId: uuid('partnership_id')
      .notNull()
      .references(() => partnerships.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    /** In words: "April 2025 to March 2026". */
    period: text('period').notNull(),
    discountRate: doublePrecision('discount_rate').notNull().default(3.5),
    discountRateSource: text('discount_rate_source').notNull().default('HM Treasury Green Book (2022), 3.5% a year'),
    version: integer('version').notNull().default(1),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('sroi_models_partnership_idx').on(t.partnershipId), check('sroi_models_rate_check', sql`discount_rate >= 0 and discount_rate <= 20`)],
);

export const sroiInputs = pgTable(
  'sroi_inputs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    modelId: uuid('model_id')
      .notNull()
      .references(() => sroiModels.id, { onDelete: 'cascade' }),
    description: text('description').notNull(),
    amount: doublePrecision('amount').notNull(),
    inKind: boolean('in_kind').notNull().default(false),
    source: text('source').notNull(),
    position: integer('position').notNull().default(0),
  },
  (t) => [index('sroi_inputs_model_idx').on(t.modelId), check('sroi_inputs_amount_check', sql`amount >= 0`)],
);

/** One outcome valued in the model, with every assumption's figure and source. Percentages are 0–100. */
export const sroiOutcomes = pgTable(
  'sroi_outcomes',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    modelId: uuid('model_id')
      .notNull()
      .references(() => sroiModels.id, { onDelete: 'cascade' }),
    /** The agreed outcome this values, when there is one. */
    outcomeId: uuid('outcome_id').references(() => impactOutcomes.id, { onDelete: 'set null' }),
    description: text('description').notNull(),
    stakeholder: text('stakeholder').notNull(),
    quantity: doublePrecision('quantity').notNull(),
    quantitySource: text('quantity_source').notNull(),
    /** Copied from the library when chosen from it, so the model keeps the value it was built with. */
    proxyId: uuid('proxy_id').references(() => sroiProxies.id, { onDelete: 'set null' }),
    proxyValue: doublePrecision('proxy_value').notNull(),
    proxySource: text('proxy_source').notNull(),
    durationYears: integer('duration_years').notNull(),
    deadweight: doublePrecision('deadweight').notNull(),
    deadweightSource: text('deadweight_source').notNull(),
    displacement: doublePrecision('displacement').notNull(),
    displacementSource: text('displacement_source').notNull(),
    attribution: doublePrecision('attribution').notNull(),
    attributionSource: text('attribution_source').notNull(),
    dropOff: doublePrecision('drop_off').notNull(),
    dropOffSource: text('drop_off_source').notNull(),
    position: integer('position').notNull().default(0),
  },
  (t) => [
    index('sroi_outcomes_model_idx').on(t.modelId),
    check('sroi_outcomes_numbers_check', sql`quantity >= 0 and proxy_value >= 0 and duration_years between 1 and 50 and deadweight between 0 and 100 and displacement between 0 and 100 and attribution between 0 and 100 and drop_off between 0 and 100`),
  ],
);

/** Costs avoided: people × change in service use a year × unit cost × years (see costs-avoided.ts). */
export const costAvoidedLines = pgTable(
  'cost_avoided_lines',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    modelId: uuid('model_id')
      .notNull()
      .references(() => sroiModels.id, { onDelete: 'cascade' }),
    service: text('service').notNull(),
    people: integer('people').notNull(),
    changePerPersonPerYear: doublePrecision('change_per_person_per_year').notNull(),
    changeSource: text('change_source').notNull(),
    unitCost: doublePrecision('unit_cost').notNull(),
    unitCostSource: text('unit_cost_source').notNull(),
    years: doublePrecision('years').notNull(),
    position: integer('position').notNull().default(0),
  },
  (t) => [index('cost_avoided_lines_model_idx').on(t.modelId), check('cost_avoided_lines_numbers_check', sql`people >= 0 and unit_cost >= 0 and years > 0 and years <= 10`)],
);
