import { sql } from 'drizzle-orm';
import { check, doublePrecision, index, integer, pgTable, primaryKey, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';
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
