import { jsonb, pgTable, text, timestamp, uuid, check, index } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import { organisations, users } from '../../platform/auth/schema.ts';
import { editions, sharingLevels } from '../indicators/schema.ts';
import type { IndicatorSpec } from './compute.ts';

/** An indicator of a composite index and where its values come from: an edition's domain or a local indicator. */
export type StoredIndicator = IndicatorSpec & { source: string };

/**
 * A composite index an analyst has built: which indicators, grouped how, weighted how, for the wards or
 * LSOAs of which districts. Results are computed when read, from the data as it is then.
 */
export const compositeIndexes = pgTable(
  'composite_indexes',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    ownerOrganisationId: uuid('owner_organisation_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    description: text('description'),
    editionId: text('edition_id')
      .notNull()
      .references(() => editions.id, { onDelete: 'cascade' }),
    level: text('level', { enum: ['ward', 'lsoa'] }).notNull(),
    ladCodes: text('lad_codes').array().notNull(),
    indicators: jsonb('indicators').$type<StoredIndicator[]>().notNull(),
    sharing: text('sharing', { enum: sharingLevels }).notNull().default('organisation'),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('composite_indexes_owner_idx').on(t.ownerOrganisationId),
    check('composite_indexes_level_check', sql`level in ('ward', 'lsoa')`),
    check('composite_indexes_sharing_check', sql`sharing in ('public', 'partners', 'organisation')`),
  ],
);
