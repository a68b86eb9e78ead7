import { sql } from 'drizzle-orm';
import { bigint, boolean, check, customType, date, type AnyPgColumn, doublePrecision, index, integer, jsonb, pgTable, primaryKey, smallint, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { organisations, users } from '../../platform/auth/schema.ts';
import { enumCheck } from '../../platform/db/checks.ts';
import type { SpendMapping } from './spend-columns.ts';

/**
 * Community wealth: where an organisation's money lands. Payments come from the transparency files councils and NHS
 * bodies publish, each file through a source that remembers how its columns map; payments name suppliers, whose
 * place (postcode → LSOA, ward, district) and kind (SME, large firm, VCSE, public body, individual) say how local and
 * how social the spend is. Contracts carry the social value promised and what was delivered. Money is whole pence.
 */

const pence = (name: string) => bigint(name, { mode: 'number' });

/** An individual's name is never shown or exported: they count in totals as "individuals". */
export const supplierKinds = ['sme', 'large', 'vcse', 'public', 'individual', 'unknown'] as const;
export type SupplierKind = (typeof supplierKinds)[number];
export const supplierKindNames: Record<SupplierKind, string> = {
  sme: 'Small and medium-sized firms',
  large: 'Large firms',
  vcse: 'Voluntary, community and social enterprise',
  public: 'Public bodies',
  individual: 'Individuals',
  unknown: 'Kind not known',
};

/** Where an organisation's spend files come from, and how their columns map (kept so the next file needs no mapping). */
export const spendSources = pgTable(
  'spend_sources',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organisationId: uuid('organisation_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    mapping: jsonb('mapping').$type<SpendMapping>().notNull().default({}),
    /** The district the organisation's spend counts as local to (2025 code). */
    homeLad25: text('home_lad25'),
    sample: boolean('sample').notNull().default(false),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('spend_sources_organisation_idx').on(t.organisationId)],
);

const bytes = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({
  dataType: () => 'bytea',
  fromDriver: (value) => Buffer.from(value),
});

/**
 * A file uploaded and waiting for its columns to be checked before it is imported: kept in the database (not on one
 * server's disk) so the check page works behind a load balancer; removed when imported, or after a day.
 */
export const spendUploads = pgTable(
  'spend_uploads',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    sourceId: uuid('source_id')
      .notNull()
      .references(() => spendSources.id, { onDelete: 'cascade' }),
    fileName: text('file_name').notNull(),
    bytes: bytes('bytes').notNull(),
    uploadedBy: uuid('uploaded_by').references(() => users.id, { onDelete: 'set null' }),
    uploadedAt: timestamp('uploaded_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('spend_uploads_source_idx').on(t.sourceId, t.uploadedAt)],
);

/** One file brought in, all or nothing, with what it held. The same file twice is recognised by its hash. */
export const spendImports = pgTable(
  'spend_imports',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    sourceId: uuid('source_id')
      .notNull()
      .references(() => spendSources.id, { onDelete: 'cascade' }),
    fileName: text('file_name').notNull(),
    fileSha256: text('file_sha256').notNull(),
    rowsRead: integer('rows_read').notNull(),
    paymentsAdded: integer('payments_added').notNull(),
    duplicatesSkipped: integer('duplicates_skipped').notNull(),
    creditNotes: integer('credit_notes').notNull(),
    totalPence: pence('total_pence').notNull(),
    firstPaidOn: date('first_paid_on'),
    lastPaidOn: date('last_paid_on'),
    importedBy: uuid('imported_by').references(() => users.id, { onDelete: 'set null' }),
    importedAt: timestamp('imported_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('spend_imports_source_idx').on(t.sourceId), uniqueIndex('spend_imports_file_idx').on(t.sourceId, t.fileSha256)],
);

/** A supplier as the organisation knows it: one row per firm after merging, with the names it has appeared under. */
export const suppliers = pgTable(
  'suppliers',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organisationId: uuid('organisation_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    /** supplierKey(name): brings spellings of one firm together, to suggest merges. */
    nameKey: text('name_key').notNull(),
    kind: text('kind', { enum: supplierKinds }).notNull().default('unknown'),
    postcode: text('postcode'),
    lsoa21: text('lsoa21'),
    ward25: text('ward25'),
    lad25: text('lad25'),
    companyNumber: text('company_number'),
    charityNumber: text('charity_number'),
    /** Set when merged into another supplier: its payments moved there, and it is kept only for the record. */
    mergedIntoId: uuid('merged_into_id').references((): AnyPgColumn => suppliers.id),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('suppliers_organisation_key_idx').on(t.organisationId, t.nameKey), index('suppliers_lad_idx').on(t.lad25), enumCheck('suppliers_kind_check', 'kind', supplierKinds)],
);

/** Each name (and the source's own supplier id, when it has one) a supplier has appeared under in a source's files. */
export const supplierAliases = pgTable(
  'supplier_aliases',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    sourceId: uuid('source_id')
      .notNull()
      .references(() => spendSources.id, { onDelete: 'cascade' }),
    supplierId: uuid('supplier_id')
      .notNull()
      .references(() => suppliers.id, { onDelete: 'cascade' }),
    /** As published, trimmed; matched exactly (with the source's id when there is one). */
    publishedName: text('published_name').notNull(),
    publishedId: text('published_id').notNull().default(''),
  },
  (t) => [uniqueIndex('supplier_aliases_published_idx').on(t.sourceId, t.publishedName, t.publishedId), index('supplier_aliases_supplier_idx').on(t.supplierId)],
);

/** The record of merges: who merged which supplier into which, and why. */
export const supplierMerges = pgTable(
  'supplier_merges',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organisationId: uuid('organisation_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'cascade' }),
    keptId: uuid('kept_id')
      .notNull()
      .references(() => suppliers.id, { onDelete: 'cascade' }),
    mergedId: uuid('merged_id')
      .notNull()
      .references(() => suppliers.id, { onDelete: 'cascade' }),
    mergedName: text('merged_name').notNull(),
    paymentsMoved: integer('payments_moved').notNull(),
    reason: text('reason').notNull(),
    mergedBy: uuid('merged_by').references(() => users.id, { onDelete: 'set null' }),
    mergedAt: timestamp('merged_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('supplier_merges_organisation_idx').on(t.organisationId, t.mergedAt)],
);

/**
 * One payment line. `dedupeKey` is the source's transaction reference when it has one, else the date, supplier,
 * amount and the line's occurrence among identical lines of its file, so a file imported twice, or overlapping
 * months, adds nothing twice. Credit notes are negative amounts.
 */
export const payments = pgTable(
  'payments',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    sourceId: uuid('source_id')
      .notNull()
      .references(() => spendSources.id, { onDelete: 'cascade' }),
    importId: uuid('import_id')
      .notNull()
      .references(() => spendImports.id, { onDelete: 'cascade' }),
    supplierId: uuid('supplier_id')
      .notNull()
      .references(() => suppliers.id),
    paidOn: date('paid_on').notNull(),
    amountPence: pence('amount_pence').notNull(),
    department: text('department').notNull().default(''),
    purpose: text('purpose').notNull().default(''),
    reference: text('reference').notNull().default(''),
    dedupeKey: text('dedupe_key').notNull(),
  },
  (t) => [uniqueIndex('payments_dedupe_idx').on(t.sourceId, t.dedupeKey), index('payments_supplier_idx').on(t.supplierId), index('payments_source_paid_idx').on(t.sourceId, t.paidOn)],
);

/**
 * Payments summed by supplier, financial year and department: what the dashboards and supplier pages read, so a
 * district's figures come from tens of thousands of rows rather than millions (a month's grain would keep most of a
 * long tail's rows, and nothing asks for less than a year). Kept in step by the import and by merges (spend-summary.ts).
 */
export const spendSummary = pgTable(
  'spend_summary',
  {
    sourceId: uuid('source_id')
      .notNull()
      .references(() => spendSources.id, { onDelete: 'cascade' }),
    supplierId: uuid('supplier_id')
      .notNull()
      .references(() => suppliers.id),
    /** The year the financial year (April to March) starts in: 2024 for 2024-25. */
    financialYear: smallint('financial_year').notNull(),
    department: text('department').notNull(),
    payments: integer('payments').notNull(),
    amountPence: pence('amount_pence').notNull(),
  },
  (t) => [primaryKey({ columns: [t.sourceId, t.supplierId, t.financialYear, t.department] }), index('spend_summary_supplier_idx').on(t.supplierId)],
);

/** A measure of social value an organisation asks for in contracts (local jobs, apprenticeships…), optionally valued. */
export const socialValueMeasures = pgTable(
  'social_value_measures',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organisationId: uuid('organisation_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    unit: text('unit').notNull(),
    proxyValue: doublePrecision('proxy_value'),
    proxySource: text('proxy_source'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('social_value_measures_organisation_idx').on(t.organisationId), check('social_value_measures_proxy_check', sql`proxy_value is null or (proxy_value >= 0 and proxy_source is not null)`)],
);

export const contracts = pgTable(
  'contracts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organisationId: uuid('organisation_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'cascade' }),
    supplierId: uuid('supplier_id').references(() => suppliers.id, { onDelete: 'set null' }),
    title: text('title').notNull(),
    reference: text('reference'),
    startsOn: date('starts_on').notNull(),
    endsOn: date('ends_on').notNull(),
    valuePence: pence('value_pence'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('contracts_organisation_idx').on(t.organisationId), check('contracts_dates_check', sql`ends_on >= starts_on`)],
);

/** Social value a contract promised, in a measure, optionally in one neighbourhood or area. */
export const socialValueCommitments = pgTable(
  'social_value_commitments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    contractId: uuid('contract_id')
      .notNull()
      .references(() => contracts.id, { onDelete: 'cascade' }),
    measureId: uuid('measure_id')
      .notNull()
      .references(() => socialValueMeasures.id, { onDelete: 'restrict' }),
    promised: doublePrecision('promised').notNull(),
    /** Where it is to be delivered: `ward25`/`lad25` and a code, or `neighbourhood` and its id; empty for anywhere. */
    areaVintage: text('area_vintage'),
    areaCode: text('area_code'),
  },
  (t) => [index('social_value_commitments_contract_idx').on(t.contractId), check('social_value_commitments_promised_check', sql`promised >= 0`)],
);

export const socialValueDeliveries = pgTable(
  'social_value_deliveries',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    commitmentId: uuid('commitment_id')
      .notNull()
      .references(() => socialValueCommitments.id, { onDelete: 'cascade' }),
    deliveredOn: date('delivered_on').notNull(),
    quantity: doublePrecision('quantity').notNull(),
    evidence: text('evidence').notNull(),
    recordedBy: uuid('recorded_by').references(() => users.id, { onDelete: 'set null' }),
    recordedAt: timestamp('recorded_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('social_value_deliveries_commitment_idx').on(t.commitmentId, t.deliveredOn), check('social_value_deliveries_quantity_check', sql`quantity >= 0`)],
);
