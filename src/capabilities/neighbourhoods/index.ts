import { sql } from 'drizzle-orm';
import type { FastifyPluginAsync } from 'fastify';
import type { Capability } from '../../platform/capability.ts';
import { neighbourhoodApi } from './api.ts';
import { layerRoutes } from './layer-routes.ts';
import { overlapRoutes } from './overlap-routes.ts';
import { residentRoutes } from './resident-routes.ts';
import { neighbourhoodRoutes } from './routes.ts';

const routes: FastifyPluginAsync = async (app) => {
  await app.register(neighbourhoodRoutes);
  await app.register(neighbourhoodApi);
  // Comparing footprints: /neighbourhoods/overlap (a static path, so it wins over /neighbourhoods/:neighbourhoodId) and its API.
  await app.register(overlapRoutes);
  // Layers of areas imported from one file (every PCN of a district): the import form, a layer's page and its API.
  await app.register(layerRoutes);
  // Asking residents where their neighbourhood is, and where they agree.
  await app.register(residentRoutes);
};

export const neighbourhoods: Capability = {
  name: 'neighbourhoods',
  purpose: 'Neighbourhoods as people know them: built from wards or LSOAs, drawn, uploaded or agreed by residents, versioned, shared, with profiles apportioned from the LSOAs they cover.',
  routes,
  dataVersion: sql`select concat_ws('|', (select count(*) from neighbourhoods), (select max(updated_at) from neighbourhoods), (select count(*) from resident_mappings), (select max(updated_at) from resident_mappings))`,
};
