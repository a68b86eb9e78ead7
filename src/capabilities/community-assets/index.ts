import { sql } from 'drizzle-orm';
import type { FastifyPluginAsync } from 'fastify';
import type { Capability } from '../../platform/capability.ts';
import { gapRoutes } from './gap-routes.ts';
import { orukRoutes } from './oruk-routes.ts';
import { assetRoutes } from './routes.ts';
import { searchRoutes } from './search-routes.ts';
import { suggestionRoutes } from './suggestion-routes.ts';

const routes: FastifyPluginAsync = async (app) => {
  // Finding assets: /directory, with words, category, day and time, cost, access and place, as a list and a map.
  await app.register(searchRoutes);
  // A record's public page, and partners adding, editing, checking and merging records and extending the categories.
  await app.register(assetRoutes);
  // Residents suggesting an asset or a correction without an account, and coordinators deciding on them.
  await app.register(suggestionRoutes);
  // CSV and Open Referral UK JSON in and out, and the read-only Open Referral UK API.
  await app.register(orukRoutes);
  // Where need is high and assets are few: per LSOA and ward, for a district or a neighbourhood.
  await app.register(gapRoutes);
};

export const communityAssets: Capability = {
  name: 'community-assets',
  purpose: 'A shared directory of community assets and services (Open Referral UK), with residents’ suggestions, search by place and time, and gaps where need is high and assets are few.',
  routes,
  // Suggestions' submitter emails are not tied to accounts: they are erased when a suggestion is decided.
  dataVersion: sql`select concat_ws('|', (select count(*) from directory_services), (select max(updated_at) from directory_services), (select max(updated_at) from directory_locations), (select count(*) from directory_taxonomy_terms))`,
};
