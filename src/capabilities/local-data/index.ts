import type { FastifyPluginAsync } from 'fastify';
import { sql } from 'drizzle-orm';
import type { Capability } from '../../platform/capability.ts';
import { localDataApi } from './api.ts';
import { localDataRoutes } from './routes.ts';

const routes: FastifyPluginAsync = async (app) => {
  await app.register(localDataRoutes);
  await app.register(localDataApi);
};

export const localData: Capability = {
  name: 'local-data',
  purpose: 'Local indicators an organisation uploads (CSV or Excel, LSOA/ward/district), shared as it chooses, rolled up and shown beside the national data.',
  routes,
  dataVersion: sql`select count(*)::text || max(uploaded_at)::text from indicators where owner_organisation_id is not null`,
};
