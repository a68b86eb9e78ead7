import type { FastifyPluginAsync } from 'fastify';
import { sql } from 'drizzle-orm';
import type { Capability } from '../../platform/capability.ts';
import { compositeIndexApi } from './api.ts';
import { compositeIndexRoutes } from './routes.ts';

const routes: FastifyPluginAsync = async (app) => {
  await app.register(compositeIndexRoutes);
  await app.register(compositeIndexApi);
};

export const compositeIndex: Capability = {
  name: 'composite-index',
  purpose: 'Social Progress Index–style composite indexes over every ward or LSOA of chosen districts, from national and local data.',
  routes,
  dataVersion: sql`select count(*)::text || max(created_at)::text from composite_indexes`,
};
