import { sql } from 'drizzle-orm';
import { check, date, doublePrecision, index, integer, pgTable, primaryKey, smallint, text } from 'drizzle-orm/pg-core';
import { geometry } from '../../platform/db/geometry.ts';

/**
 * Areas with ONS GSS codes, each of a type and a vintage: the same code can exist in several vintages (a
 * ward unchanged between 2019 and 2024), and different vintages of one type do not nest.
 */
export const areaTypes = ['oa', 'lsoa', 'msoa', 'ward', 'lad', 'utla', 'region', 'ccg', 'pcn', 'neighbourhood'] as const;
export type AreaType = (typeof areaTypes)[number];

export const areaVintages = pgTable(
  'area_vintages',
  {
    /** e.g. lsoa11, lsoa21, ward19, ward24, lad13, lad19, lad24, ccg20 */
    id: text('id').primaryKey(),
    type: text('type', { enum: areaTypes }).notNull(),
    year: integer('year').notNull(),
    label: text('label').notNull(),
  },
  () => [check('area_vintages_type_check', sql.raw(`type in (${areaTypes.map((a) => `'${a}'`).join(', ')})`))],
);

export const areas = pgTable(
  'areas',
  {
    vintage: text('vintage')
      .notNull()
      .references(() => areaVintages.id, { onDelete: 'cascade' }),
    code: text('code').notNull(),
    name: text('name').notNull(),
    boundary: geometry('boundary', 'MultiPolygon'),
    /** A point inside the area's boundary (ST_PointOnSurface), for point-in-polygon joins and map labels. */
    centroid: geometry('centroid', 'Point'),
    /**
     * The published population-weighted centroid (ONS), where loaded: where the area's people live, for
     * apportioning it to a boundary drawn across it. It can lie just outside a generalised boundary.
     */
    weightedCentroid: geometry('weighted_centroid', 'Point'),
  },
  (t) => [
    primaryKey({ columns: [t.vintage, t.code] }),
    index('areas_code_idx').on(t.code),
    index('areas_boundary_idx').using('gist', t.boundary),
    index('areas_centroid_idx').using('gist', t.centroid),
    index('areas_weighted_centroid_idx').using('gist', t.weightedCentroid),
  ],
);

export const lookupMethods = ['published', 'best-fit', 'exact', 'derived-point-in-polygon', 'derived-area-overlap'] as const;

/**
 * Area → area relationships as data: LSOA → ward, LSOA → LAD, LSOA 2011 → LSOA 2021 (with the ONS change
 * indicator), LSOA → CCG. `share` is the fraction of the source area apportioned to the target when known.
 */
export const areaLookups = pgTable(
  'area_lookups',
  {
    fromVintage: text('from_vintage').notNull(),
    fromCode: text('from_code').notNull(),
    toVintage: text('to_vintage').notNull(),
    toCode: text('to_code').notNull(),
    method: text('method', { enum: lookupMethods }).notNull(),
    /** ONS change indicator for LSOA 2011 → 2021: U unchanged, S split, M merged, X irregular. */
    changeCode: text('change_code'),
    share: doublePrecision('share'),
    source: text('source').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.fromVintage, t.fromCode, t.toVintage, t.toCode] }),
    index('area_lookups_to_idx').on(t.toVintage, t.toCode, t.fromVintage),
    check('area_lookups_change_code_check', sql`change_code is null or change_code in ('U', 'S', 'M', 'X')`),
  ],
);

/**
 * Postcodes as the ONS National Statistics Postcode Lookup (or the ONS Postcode Directory) gives them: where
 * each is (the OS grid reference of its addresses, as WGS84) and the areas it falls in, in the geography of the
 * edition loaded. Terminated postcodes are kept (with the month they ended), as the NSPL keeps them, so an old
 * address can still be placed. Codes are as published; the ward and district codes are those current when the
 * edition was published.
 */
export const postcodes = pgTable(
  'postcodes',
  {
    /** Upper case, one space before the inward code: "WN1 1AA". */
    postcode: text('postcode').primaryKey(),
    /** As the file gives it (pcds, or pcd when that is all there is). */
    display: text('display').notNull(),
    /** Null for postcodes the file gives no grid reference (latitude 99.999999). */
    location: geometry('location', 'Point'),
    oa11: text('oa11'),
    lsoa11: text('lsoa11'),
    oa21: text('oa21'),
    lsoa21: text('lsoa21'),
    ward: text('ward'),
    lad: text('lad'),
    /** First of the month the postcode was introduced (dointr). */
    introduced: date('introduced', { mode: 'string' }),
    /** First of the month it was terminated (doterm); null while it is live. */
    terminated: date('terminated', { mode: 'string' }),
    /** 0 small user (ordinary addresses), 1 large user (one address receiving a lot of mail). */
    userType: smallint('user_type'),
  },
  (t) => [
    index('postcodes_location_idx').using('gist', t.location),
    check('postcodes_user_type_check', sql`user_type is null or user_type in (0, 1)`),
  ],
);
