import { integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Counts for the rate limits on sign-in and the public forms, in the database rather than each server's
 * memory, so that servers behind a load balancer share one count: otherwise the limit would be multiplied by
 * the number of servers. The key is an HMAC of the route and the client's address, never the address itself.
 */
export const rateLimitHits = pgTable('rate_limit_hits', {
  key: text('key').primaryKey(),
  hits: integer('hits').notNull(),
  windowEndsAt: timestamp('window_ends_at', { withTimezone: true }).notNull(),
});
