import type { Capability } from '../../platform/capability.ts';
import type { FastifyPluginAsync } from 'fastify';
import { sql } from 'drizzle-orm';
import { changeRoute, indicatorRoutes } from './routes.ts';

const routes: FastifyPluginAsync = async (app) => {
  await app.register(indicatorRoutes);
  await app.register(changeRoute);
};

export const indicators: Capability = {
  name: 'indicators',
  purpose: 'Editions of the Indices of Deprivation and other indicators at LSOA level, their import, and the summary measures for wards and districts.',
  routes,
  // Editions loaded or re-imported, and steps of the bundled data (each boundary file) as they finish.
  dataVersion: sql`(select count(*)::text || max(imported_at)::text from editions) || '/' || (select count(*)::text from bundled_data_steps)`,
};
