import { sql } from 'drizzle-orm';
import { boolean, check, date, doublePrecision, index, integer, pgTable, primaryKey, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';
import { organisations, users } from '../../platform/auth/schema.ts';
import { geometry } from '../../platform/db/geometry.ts';
import { sharingLevels } from '../indicators/schema.ts';

/** What a neighbourhood is for, as partners name their footprints. */
export const neighbourhoodPurposes = ['resident-defined', 'pcn-footprint', 'service-delivery', 'locality', 'partnership-area', 'other'] as const;
/** How a version's shape was made: from whole LSOAs or wards, or a boundary drawn, uploaded or agreed by residents. */
export const neighbourhoodMethods = ['lsoas', 'wards', 'drawn', 'uploaded', 'resident-consensus'] as const;
/** How an LSOA's share of a neighbourhood is worked out (shown on every profile). */
export const apportionmentMethods = ['whole-lsoa', 'population-weighted-centroid', 'area-weighted'] as const;

/**
 * A neighbourhood as an organisation defines it: a name, a purpose and who may see it. Its shape lives in
 * versions, so a redrawn boundary keeps the old one and what was said about it.
 */
export const neighbourhoods = pgTable(
  'neighbourhoods',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** Set when the neighbourhood is one area of an imported layer (such as a PCN's footprint among all PCNs). */
    layerId: uuid('layer_id').references(() => neighbourhoodLayers.id, { onDelete: 'cascade' }),
    /** The area's own code in its layer's source file, where it had one. */
    code: text('code'),
    ownerOrganisationId: uuid('owner_organisation_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    purpose: text('purpose', { enum: neighbourhoodPurposes }).notNull(),
    description: text('description'),
    sharing: text('sharing', { enum: sharingLevels }).notNull().default('organisation'),
    currentVersion: integer('current_version').notNull().default(1),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('neighbourhoods_owner_idx').on(t.ownerOrganisationId),
    index('neighbourhoods_layer_idx').on(t.layerId),
    check('neighbourhoods_sharing_check', sql`sharing in ('public', 'partners', 'organisation')`),
  ],
);

/** One shape of a neighbourhood: its members or boundary, and how each LSOA's share was reckoned. */
export const neighbourhoodVersions = pgTable(
  'neighbourhood_versions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    neighbourhoodId: uuid('neighbourhood_id')
      .notNull()
      .references(() => neighbourhoods.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    method: text('method', { enum: neighbourhoodMethods }).notNull(),
    /** For members: the geography of the codes chosen (lsoa11, lsoa21, ward19, ward25…). */
    memberVintage: text('member_vintage'),
    memberCodes: text('member_codes').array(),
    boundary: geometry('boundary', 'MultiPolygon').notNull(),
    areaSqKm: doublePrecision('area_sq_km').notNull(),
    /** Whether the boundary needed repair when it was drawn or uploaded, and why. */
    repairNote: text('repair_note'),
    note: text('note'),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique('neighbourhood_versions_version_key').on(t.neighbourhoodId, t.version), index('neighbourhood_versions_boundary_idx').using('gist', t.boundary)],
);

/**
 * Each LSOA a version covers, in each LSOA geography, with the share of it counted: 1 for a whole member,
 * or the share of its population (by its population-weighted centroid) or of its area inside a boundary.
 */
export const neighbourhoodLsoas = pgTable(
  'neighbourhood_lsoas',
  {
    versionId: uuid('version_id')
      .notNull()
      .references(() => neighbourhoodVersions.id, { onDelete: 'cascade' }),
    lsoaVintage: text('lsoa_vintage').notNull(),
    lsoaCode: text('lsoa_code').notNull(),
    share: doublePrecision('share').notNull(),
    areaShare: doublePrecision('area_share').notNull(),
    method: text('method', { enum: apportionmentMethods }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.versionId, t.lsoaVintage, t.lsoaCode] }), check('neighbourhood_lsoas_share_check', sql`share >= 0 and share <= 1 and area_share >= 0 and area_share <= 1`)],
);

/**
 * A set of areas imported together from one file, such as every PCN's footprint in a district: a footprint
 * of its own that can be compared with wards or any other in the overlap matrix. Each area is a neighbourhood.
 */
export const neighbourhoodLayers = pgTable(
  'neighbourhood_layers',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    ownerOrganisationId: uuid('owner_organisation_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    purpose: text('purpose', { enum: neighbourhoodPurposes }).notNull(),
    description: text('description'),
    sharing: text('sharing', { enum: sharingLevels }).notNull().default('organisation'),
    /** Where the file came from, as the importer said (publisher, date). */
    source: text('source'),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('neighbourhood_layers_owner_idx').on(t.ownerOrganisationId), check('neighbourhood_layers_sharing_check', sql`sharing in ('public', 'partners', 'organisation')`)],
);

/** What residents may say anchors their neighbourhood. */
export const residentAnchors = ['school', 'shops', 'park', 'place-of-worship', 'community-centre', 'gp-surgery', 'pub-or-cafe', 'library', 'bus-or-station'] as const;
/** How a resident showed their neighbourhood: drawn on the map, chosen places, or a walk from a postcode. */
export const residentMethods = ['map', 'places', 'walk'] as const;

/**
 * An organisation asking residents of a district "where is your neighbourhood?" on a public page that needs
 * no account. The answers are summarised as where most respondents agree.
 */
export const residentMappings = pgTable(
  'resident_mappings',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    ownerOrganisationId: uuid('owner_organisation_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'cascade' }),
    /** The place asked about, as residents would say it ("Armley", "Hyde Park"). */
    place: text('place').notNull(),
    /** The district whose places are offered to choose from and whose map is shown. */
    ladCode: text('lad_code').notNull(),
    introduction: text('introduction'),
    /** Who may see the summary of answers (never individual answers). */
    resultsSharing: text('results_sharing', { enum: sharingLevels }).notNull().default('organisation'),
    open: boolean('open').notNull().default(true),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('resident_mappings_owner_idx').on(t.ownerOrganisationId), check('resident_mappings_sharing_check', sql`results_sharing in ('public', 'partners', 'organisation')`)],
);

/**
 * One resident's answer, kept anonymously: no account, address, postcode, IP address or time of day, only the
 * shape (a walk from a postcode is kept as a circle whose centre is rounded to 100 m) and the day it came.
 */
export const residentDrawings = pgTable(
  'resident_drawings',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    mappingId: uuid('mapping_id')
      .notNull()
      .references(() => residentMappings.id, { onDelete: 'cascade' }),
    method: text('method', { enum: residentMethods }).notNull(),
    boundary: geometry('boundary', 'MultiPolygon').notNull(),
    areaSqKm: doublePrecision('area_sq_km').notNull(),
    /** For chosen places: their codes; for a walk: the minutes walked. */
    placeCodes: text('place_codes').array(),
    walkMinutes: integer('walk_minutes'),
    anchors: text('anchors').array().notNull().default(sql`'{}'::text[]`),
    /** Another anchor in the resident's words (a place, never an address: the form says so). */
    otherAnchor: text('other_anchor'),
    submittedOn: date('submitted_on').notNull().defaultNow(),
  },
  (t) => [index('resident_drawings_mapping_idx').on(t.mappingId)],
);
