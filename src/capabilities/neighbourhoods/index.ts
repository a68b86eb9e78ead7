import { sql } from 'drizzle-orm';
import type { FastifyPluginAsync } from 'fastify';
import type { Capability } from '../../platform/capability.ts';
import { neighbourhoodApi } from './api.ts';
import { overlapRoutes } from './overlap-routes.ts';
import { neighbourhoodRoutes } from './routes.ts';

const routes: FastifyPluginAsync = async (app) => {
  await app.register(neighbourhoodRoutes);
  await app.register(neighbourhoodApi);
  // Comparing footprints: /neighbourhoods/overlap (a static path, so it wins over /neighbourhoods/:neighbourhoodId) and its API.
  await app.register(overlapRoutes);
};

export const neighbourhoods: Capability = {
  name: 'neighbourhoods',
  purpose: 'Neighbourhoods as people know them: built from wards or LSOAs or drawn, versioned, shared, with profiles apportioned from the LSOAs they cover.',
  routes,
  dataVersion: sql`select count(*)::text || max(updated_at)::text from neighbourhoods`,
};
