import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  index,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { geometry } from '../db/geometry.ts';

/**
 * Identity tables every capability leans on: people who sign in, the organisations they belong to and
 * what role they hold in each. They live in the platform, not a capability, because permission checks
 * for every route read them.
 */

export const organisationKinds = [
  'council',
  'nhs',
  'police',
  'housing',
  'vcse',
  'school',
  'community-group',
  'other',
] as const;
export type OrganisationKind = (typeof organisationKinds)[number];

/** Ordered from least to most: a role includes everything the roles before it may do. */
export const roles = ['viewer', 'member', 'coordinator', 'admin'] as const;
export type Role = (typeof roles)[number];

export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    email: text('email').notNull(),
    name: text('name').notNull(),
    /** Null until the person sets a password through an invitation. */
    passwordHash: text('password_hash'),
    isSiteAdmin: boolean('is_site_admin').notNull().default(false),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    disabledAt: timestamp('disabled_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('users_email_key').on(sql`lower(${t.email})`)],
);

export const organisations = pgTable(
  'organisations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    slug: text('slug').notNull(),
    name: text('name').notNull(),
    kind: text('kind', { enum: organisationKinds }).notNull(),
    description: text('description').notNull().default(''),
    website: text('website'),
    /** Where the organisation is based, for maps of who works where. */
    location: geometry('location', 'Point'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('organisations_slug_key').on(t.slug),
    index('organisations_location_idx').using('gist', t.location),
    check(
      'organisations_kind_check',
      sql.raw(`kind in (${organisationKinds.map((k) => `'${k}'`).join(', ')})`),
    ),
  ],
);

export const memberships = pgTable(
  'memberships',
  {
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    organisationId: uuid('organisation_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'cascade' }),
    role: text('role', { enum: roles }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.userId, t.organisationId] }),
    index('memberships_organisation_idx').on(t.organisationId),
    check('memberships_role_check', sql.raw(`role in (${roles.map((r) => `'${r}'`).join(', ')})`)),
  ],
);

export const sessions = pgTable(
  'sessions',
  {
    /** SHA-256 of the cookie's token: a leaked table cannot be replayed as cookies. */
    tokenHash: text('token_hash').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('sessions_user_idx').on(t.userId)],
);
