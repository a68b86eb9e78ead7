import { bigint, index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * Append-only record of every change (and, from the support capability on, every read of personal
 * data). A trigger in the migrations refuses UPDATE, DELETE and TRUNCATE, so not even a bug can rewrite
 * history. Actor and organisation are plain values rather than foreign keys for the same reason:
 * deleting a user must not delete what they did.
 */
export const auditEvents = pgTable(
  'audit_events',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull().defaultNow(),
    actorUserId: uuid('actor_user_id'),
    /** Who acted, as they were known at the time ("cli" for the command line). */
    actorLabel: text('actor_label').notNull(),
    action: text('action').notNull(),
    objectType: text('object_type').notNull(),
    objectId: text('object_id'),
    organisationId: uuid('organisation_id'),
    requestId: text('request_id'),
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [
    index('audit_events_occurred_idx').on(t.occurredAt),
    index('audit_events_object_idx').on(t.objectType, t.objectId),
    index('audit_events_organisation_idx').on(t.organisationId),
  ],
);
