import { sql } from 'drizzle-orm';
import { check, date, doublePrecision, index, integer, pgTable, primaryKey, smallint, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { organisations, users } from '../../platform/auth/schema.ts';

/** An edition of the English Indices of Deprivation, on the LSOA vintage it was published for. */
export const editions = pgTable('editions', {
  id: text('id').primaryKey(),
  label: text('label').notNull(),
  lsoaVintage: text('lsoa_vintage').notNull(),
  ladVintage: text('lad_vintage').notNull(),
  wardVintage: text('ward_vintage').notNull(),
  /** The indicator used as population denominator for the summary measures. */
  populationIndicatorId: text('population_indicator_id').notNull(),
  publishedOn: date('published_on').notNull(),
  publisher: text('publisher').notNull(),
  licence: text('licence').notNull(),
  lsoaCount: integer('lsoa_count').notNull(),
  importedAt: timestamp('imported_at', { withTimezone: true }).notNull().defaultNow(),
});

export const directions = ['higher-is-worse', 'higher-is-better'] as const;
/** Who may see a local indicator: anyone; anyone signed in to a partner organisation; the owner's members. */
export const sharingLevels = ['public', 'partners', 'organisation'] as const;
/** How values roll up from small areas to larger ones: counts add up; rates are averaged, weighted by population. */
export const aggregations = ['sum', 'population-weighted-mean'] as const;

/**
 * Anything measured for areas: an IoD domain in one edition, a population estimate, a council's local data.
 */
export const indicators = pgTable(
  'indicators',
  {
    id: text('id').primaryKey(),
    editionId: text('edition_id').references(() => editions.id, { onDelete: 'cascade' }),
    /** imd, income, employment, education, health, crime, housing, environment, idaci, idaopi */
    domain: text('domain'),
    label: text('label').notNull(),
    unit: text('unit').notNull(),
    direction: text('direction', { enum: directions }).notNull(),
    vintage: text('vintage').notNull(),
    period: text('period').notNull(),
    source: text('source').notNull(),
    licence: text('licence').notNull(),
    /** Local data only (national data has none): the organisation that uploaded it and controls it. */
    ownerOrganisationId: uuid('owner_organisation_id').references(() => organisations.id, { onDelete: 'cascade' }),
    sharing: text('sharing', { enum: sharingLevels }).notNull().default('public'),
    aggregation: text('aggregation', { enum: aggregations }),
    description: text('description'),
    uploadedBy: uuid('uploaded_by').references(() => users.id, { onDelete: 'set null' }),
    uploadedAt: timestamp('uploaded_at', { withTimezone: true }),
  },
  (t) => [
    index('indicators_edition_idx').on(t.editionId),
    index('indicators_owner_idx').on(t.ownerOrganisationId),
    check('indicators_direction_check', sql`direction in ('higher-is-worse', 'higher-is-better')`),
    check('indicators_sharing_check', sql`sharing in ('public', 'partners', 'organisation')`),
    check('indicators_aggregation_check', sql`aggregation is null or aggregation in ('sum', 'population-weighted-mean')`),
  ],
);

/*
 * indicator_values and area_summaries refer to indicators without a declared foreign key: a row-level
 * key check doubled the time to load a national edition (263,000 rows) on the embedded engine. The same
 * rule is kept by statement-level triggers (migration 0005) that check each insert or update as one set
 * and delete an indicator's rows with it.
 */
export const referencesKeptByTriggers = [
  { child: 'indicator_values', parent: 'indicators' },
  { child: 'area_summaries', parent: 'indicators' },
];

export const indicatorValues = pgTable(
  'indicator_values',
  {
    indicatorId: text('indicator_id').notNull(),
    code: text('code').notNull(),
    value: doublePrecision('value'),
    /** 1 = most deprived, for ranked indices. */
    rank: integer('rank'),
    decile: smallint('decile'),
  },
  (t) => [
    // The primary key serves every read (they all know the indicator); an index on code alone only slowed
    // imports of a national edition by a third.
    primaryKey({ columns: [t.indicatorId, t.code] }),
    check('indicator_values_decile_check', sql`decile is null or decile between 1 and 10`),
    check('indicator_values_rank_check', sql`rank is null or rank >= 1`),
  ],
);

/**
 * The figures councils quote, per edition, indicator and higher area (LAD or ward), precomputed at import
 * so pages and the API read one row. Definitions: IoD2019 technical report, Table 3.2 and Appendix N.
 */
export const areaSummaries = pgTable(
  'area_summaries',
  {
    indicatorId: text('indicator_id').notNull(),
    vintage: text('vintage').notNull(),
    code: text('code').notNull(),
    lsoaCount: integer('lsoa_count').notNull(),
    population: doublePrecision('population'),
    /** Index 0 = national decile 1 (most deprived). */
    decileCounts: integer('decile_counts').array().notNull(),
    mostDeprived1pct: integer('most_deprived_1pct').notNull(),
    proportionBottomDecile: doublePrecision('proportion_bottom_decile').notNull(),
    averageScore: doublePrecision('average_score'),
    averageRank: doublePrecision('average_rank'),
    extent: doublePrecision('extent'),
    localConcentration: doublePrecision('local_concentration'),
    rankProportionBottomDecile: integer('rank_proportion_bottom_decile'),
    rankAverageScore: integer('rank_average_score'),
    rankAverageRank: integer('rank_average_rank'),
    rankExtent: integer('rank_extent'),
    rankLocalConcentration: integer('rank_local_concentration'),
  },
  (t) => [primaryKey({ columns: [t.indicatorId, t.vintage, t.code] }), index('area_summaries_area_idx').on(t.vintage, t.code)],
);

/**
 * Which steps of the bundled national data load have finished, so an interrupted first start resumes
 * where it stopped and the slow boundary steps run once.
 */
export const bundledDataSteps = pgTable('bundled_data_steps', {
  step: text('step').primaryKey(),
  completedAt: timestamp('completed_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * Resident population by age band for each LSOA (ONS small area estimates), so who answered a survey can be set
 * beside who lives there. Bands match community voice's age question; under-16 is kept so bands sum to the total.
 */
export const populationAgeBands = pgTable(
  'population_age_bands',
  {
    vintage: text('vintage').notNull(),
    code: text('code').notNull(),
    band: text('band').notNull(),
    people: doublePrecision('people').notNull(),
    /** The estimate's date, e.g. mid-2020. */
    period: text('period').notNull(),
  },
  (t) => [primaryKey({ columns: [t.vintage, t.code, t.band] })],
);
