import { sql } from 'drizzle-orm';
import { boolean, check, customType, date, index, integer, jsonb, pgTable, primaryKey, text, time, timestamp, unique, uuid, type AnyPgColumn } from 'drizzle-orm/pg-core';
import { organisations, users } from '../../platform/auth/schema.ts';
import { geometry } from '../../platform/db/geometry.ts';

/**
 * The community assets directory, shaped after Open Referral UK (HSDS-UK): organisations provide services
 * (an activity, a group, or what a place such as a library offers), delivered at locations, on regular
 * schedules, with contacts, eligibility, cost and categories from a taxonomy. Table names carry `directory_`
 * because Patchwork's own organisations (the partners who keep records) are a different thing from the
 * organisations listed in the directory.
 */

/** A physical asset (a park, a library, a hall) or a social one (a group, a club, an activity, a VCSE organisation). */
export const assetKinds = ['place', 'activity'] as const;
export type AssetKind = (typeof assetKinds)[number];
/** Open Referral's service statuses. */
export const serviceStatuses = ['active', 'inactive', 'defunct', 'temporarily closed'] as const;
export type ServiceStatus = (typeof serviceStatuses)[number];
/** Open Referral's schedule frequencies Patchwork supports: every n weeks on given days, or an nth weekday of the month. */
export const scheduleFrequencies = ['WEEKLY', 'MONTHLY'] as const;
/**
 * Who a contact is. A shared line or inbox of the organisation, or a named person acting for it, may be made
 * public by the organisation; a private individual's details (a volunteer's own mobile) never are.
 */
export const contactKinds = ['organisation', 'staff', 'private-individual'] as const;
export const suggestionKinds = ['new', 'correction'] as const;
export const suggestionStatuses = ['pending', 'accepted', 'merged', 'rejected'] as const;

const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

/** An organisation as the directory lists it: who runs a service (the council, a charity, a residents' group). */
export const directoryOrganisations = pgTable(
  'directory_organisations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** The Patchwork organisation that keeps this record. */
    ownerOrganisationId: uuid('owner_organisation_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    description: text('description'),
    email: text('email'),
    url: text('url'),
    phone: text('phone'),
    /** Invented for demonstration, and labelled so wherever it shows. */
    sample: boolean('sample').notNull().default(false),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('directory_organisations_owner_idx').on(t.ownerOrganisationId),
    // Searching by words matches the organisation's name too. fastupdate off: PGlite has no autovacuum to merge
    // a GIN index's pending list, and the planner stops trusting an index whose list only grows.
    index('directory_organisations_name_search_idx').using('gin', sql`to_tsvector('english'::regconfig, ${t.name})`).with({ fastupdate: false }),
  ],
);

/** A service, activity or place: one entry in the directory, with its own public page. */
export const directoryServices = pgTable(
  'directory_services',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    directoryOrganisationId: uuid('directory_organisation_id')
      .notNull()
      .references(() => directoryOrganisations.id, { onDelete: 'restrict' }),
    ownerOrganisationId: uuid('owner_organisation_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: assetKinds }).notNull(),
    name: text('name').notNull(),
    /** The name folded for duplicate-finding: lower case, no punctuation, "the"/"and"/"&" dropped, "center" → "centre". */
    nameKey: text('name_key').notNull(),
    description: text('description'),
    url: text('url'),
    email: text('email'),
    status: text('status', { enum: serviceStatuses }).notNull().default('active'),
    /** Null when not known; false means there is a charge, described in `fees`. */
    free: boolean('free'),
    fees: text('fees'),
    eligibility: text('eligibility'),
    minimumAge: integer('minimum_age'),
    maximumAge: integer('maximum_age'),
    /** Null when not known. */
    wheelchairAccessible: boolean('wheelchair_accessible'),
    accessibility: text('accessibility'),
    /** When someone last confirmed the record is right; records not checked for a year are flagged for review. */
    lastChecked: date('last_checked', { mode: 'string' }).notNull(),
    /** Set when this record was found to duplicate another and merged into it: it then only redirects. */
    mergedIntoId: uuid('merged_into_id').references((): AnyPgColumn => directoryServices.id, { onDelete: 'set null' }),
    sample: boolean('sample').notNull().default(false),
    search: tsvector('search')
      .notNull()
      .generatedAlwaysAs(sql`setweight(to_tsvector('english'::regconfig, coalesce(name, '')), 'A') || setweight(to_tsvector('english'::regconfig, coalesce(description, '')), 'B')`),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('directory_services_owner_idx').on(t.ownerOrganisationId),
    index('directory_services_organisation_idx').on(t.directoryOrganisationId),
    index('directory_services_name_key_idx').on(t.nameKey),
    index('directory_services_search_idx').using('gin', t.search).with({ fastupdate: false }),
    check('directory_services_kind_check', sql.raw(`kind in (${assetKinds.map((v) => `'${v}'`).join(', ')})`)),
    check('directory_services_status_check', sql.raw(`status in (${serviceStatuses.map((v) => `'${v}'`).join(', ')})`)),
    check('directory_services_ages_check', sql`minimum_age is null or maximum_age is null or minimum_age <= maximum_age`),
  ],
);

/**
 * Where services happen. The area codes are worked out from the point whenever it is saved, so an asset
 * knows its 2021 LSOA, 2025 ward and district without anyone typing them.
 */
export const directoryLocations = pgTable(
  'directory_locations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    ownerOrganisationId: uuid('owner_organisation_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'cascade' }),
    name: text('name'),
    description: text('description'),
    address1: text('address_1'),
    city: text('city'),
    /** As Patchwork keys postcodes: upper case, one space ("WN1 1AA"). */
    postcode: text('postcode'),
    /** WGS84; null for a service with no fixed place (online, by phone, at people's homes). */
    location: geometry('location', 'Point'),
    /** The same point in British National Grid metres, for distances and nearest-asset searches. */
    locationBng: geometry('location_bng', 'Point', 27700),
    lsoa21: text('lsoa21'),
    ward25: text('ward25'),
    lad25: text('lad25'),
    accessibility: text('accessibility'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('directory_locations_location_idx').using('gist', t.location),
    index('directory_locations_location_bng_idx').using('gist', t.locationBng),
    index('directory_locations_postcode_idx').on(t.postcode),
    index('directory_locations_lsoa21_idx').on(t.lsoa21),
    index('directory_locations_ward25_idx').on(t.ward25),
    index('directory_locations_lad25_idx').on(t.lad25),
  ],
);

/** Open Referral's service_at_location: a service delivered at a location. */
export const directoryServiceLocations = pgTable(
  'directory_service_locations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    serviceId: uuid('service_id')
      .notNull()
      .references(() => directoryServices.id, { onDelete: 'cascade' }),
    locationId: uuid('location_id')
      .notNull()
      .references(() => directoryLocations.id, { onDelete: 'cascade' }),
  },
  (t) => [unique('directory_service_locations_key').on(t.serviceId, t.locationId), index('directory_service_locations_location_idx').on(t.locationId)],
);

/**
 * When a service runs, as Open Referral's regular_schedule (after iCalendar's RRULE): weekly on `byDay`
 * ("MO,TH"), or monthly on an nth weekday ("2TU" the second Tuesday, "-1FR" the last Friday).
 */
export const directorySchedules = pgTable(
  'directory_schedules',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    serviceId: uuid('service_id')
      .notNull()
      .references(() => directoryServices.id, { onDelete: 'cascade' }),
    serviceLocationId: uuid('service_location_id').references(() => directoryServiceLocations.id, { onDelete: 'cascade' }),
    freq: text('freq', { enum: scheduleFrequencies }).notNull(),
    interval: integer('interval').notNull().default(1),
    byDay: text('by_day').notNull(),
    opensAt: time('opens_at'),
    closesAt: time('closes_at'),
    validFrom: date('valid_from', { mode: 'string' }),
    validTo: date('valid_to', { mode: 'string' }),
    description: text('description'),
  },
  (t) => [
    index('directory_schedules_service_idx').on(t.serviceId),
    check('directory_schedules_freq_check', sql.raw(`freq in (${scheduleFrequencies.map((v) => `'${v}'`).join(', ')})`)),
    check('directory_schedules_interval_check', sql`interval between 1 and 12`),
    check('directory_schedules_by_day_check', sql`by_day ~ '^(-?[1-5]?(MO|TU|WE|TH|FR|SA|SU))(,-?[1-5]?(MO|TU|WE|TH|FR|SA|SU))*$'`),
  ],
);

export const directoryContacts = pgTable(
  'directory_contacts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    serviceId: uuid('service_id')
      .notNull()
      .references(() => directoryServices.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: contactKinds }).notNull(),
    name: text('name'),
    title: text('title'),
    phone: text('phone'),
    /** The phone's digits only, for spotting duplicates ("01942 123456" = "+44 1942 123456"). */
    phoneKey: text('phone_key'),
    email: text('email'),
    public: boolean('public').notNull().default(false),
    /** The order the contacts were given in, which is the order they are shown in. */
    position: integer('position').notNull().default(0),
  },
  (t) => [
    index('directory_contacts_service_idx').on(t.serviceId),
    index('directory_contacts_phone_key_idx').on(t.phoneKey),
    check('directory_contacts_kind_check', sql.raw(`kind in (${contactKinds.map((v) => `'${v}'`).join(', ')})`)),
    check('directory_contacts_private_check', sql`not (public and kind = 'private-individual')`),
  ],
);

/**
 * Categories, in vocabularies: Patchwork ships one for community assets (owner null); an organisation may
 * add terms of its own, under the shipped ones or in a vocabulary of its own. Ids are strings, as Open
 * Referral's are, so shipped terms have readable ids ("community-space") that stay the same everywhere.
 */
export const directoryTaxonomyTerms = pgTable(
  'directory_taxonomy_terms',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    description: text('description'),
    parentId: text('parent_id').references((): AnyPgColumn => directoryTaxonomyTerms.id, { onDelete: 'cascade' }),
    vocabulary: text('vocabulary').notNull(),
    ownerOrganisationId: uuid('owner_organisation_id').references(() => organisations.id, { onDelete: 'cascade' }),
  },
  (t) => [index('directory_taxonomy_terms_parent_idx').on(t.parentId)],
);

export const directoryServiceTaxonomies = pgTable(
  'directory_service_taxonomies',
  {
    serviceId: uuid('service_id')
      .notNull()
      .references(() => directoryServices.id, { onDelete: 'cascade' }),
    termId: text('term_id')
      .notNull()
      .references(() => directoryTaxonomyTerms.id, { onDelete: 'cascade' }),
  },
  (t) => [primaryKey({ columns: [t.serviceId, t.termId] }), index('directory_service_taxonomies_term_idx').on(t.termId)],
);

/**
 * A resident's suggestion, made without an account: a new asset, or a correction to one. It changes nothing
 * until a coordinator accepts it (making or updating a record), merges it into an existing record, or
 * rejects it with a reason. The optional email is only for the coordinator to ask a question and is erased
 * when the suggestion is decided.
 */
export const directorySuggestions = pgTable(
  'directory_suggestions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    kind: text('kind', { enum: suggestionKinds }).notNull(),
    /** For a correction: the record it is about. */
    serviceId: uuid('service_id').references(() => directoryServices.id, { onDelete: 'cascade' }),
    /** What the resident proposed, as plain text fields (name, description, category, postcode, address, when, contact…). */
    proposed: jsonb('proposed').$type<Record<string, string>>().notNull(),
    /** The district the suggestion is in (from its postcode, or its record's location), to route it to coordinators there. */
    lad25: text('lad25'),
    submitterEmail: text('submitter_email'),
    status: text('status', { enum: suggestionStatuses }).notNull().default('pending'),
    reason: text('reason'),
    /** The record made, corrected or merged into. */
    resultServiceId: uuid('result_service_id').references(() => directoryServices.id, { onDelete: 'set null' }),
    decidedBy: uuid('decided_by').references(() => users.id, { onDelete: 'set null' }),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('directory_suggestions_status_idx').on(t.status, t.lad25),
    index('directory_suggestions_service_idx').on(t.serviceId),
    check('directory_suggestions_kind_check', sql.raw(`kind in (${suggestionKinds.map((v) => `'${v}'`).join(', ')})`)),
    check('directory_suggestions_status_check', sql.raw(`status in (${suggestionStatuses.map((v) => `'${v}'`).join(', ')})`)),
    check('directory_suggestions_correction_check', sql`kind = 'new' or service_id is not null or status <> 'pending'`),
  ],
);
