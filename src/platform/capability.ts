import type { SQL } from 'drizzle-orm';
import type { FastifyPluginAsync } from 'fastify';

/**
 * What a capability tells the platform about itself. Every capability folder has an index.ts exporting
 * one of these, and src/capabilities/index.ts lists them: that list is the whole of the wiring.
 */
export type Capability = {
  /** The folder name, used in logs and docs. */
  name: string;
  /** One sentence a newcomer can read to know what this capability is for. */
  purpose: string;
  /** Its pages and API routes; each route must set config.access. */
  routes: FastifyPluginAsync;
  /**
   * Tables that hold personal data about a user, and the column that points at them, so the platform
   * can answer subject access requests and erase a person across every capability.
   */
  personalData?: { table: string; userColumn: string }[];
  /**
   * A cheap SQL expression that changes whenever the data its public pages show changes (counts and latest
   * timestamps); pages kept for visitors who are not signed in are dropped when any capability's changes.
   */
  dataVersion?: SQL;
};
