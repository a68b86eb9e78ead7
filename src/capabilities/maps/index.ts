import { sql } from 'drizzle-orm';
import type { Capability } from '../../platform/capability.ts';
import { mapRoutes } from './routes.ts';

export const maps: Capability = {
  name: 'maps',
  purpose: 'Vector tiles made by Patchwork from the boundaries in the database, on either engine, and the map on pages.',
  routes: mapRoutes,
  // Boundaries loaded from any source: pages carry the tiles' version and say when maps are not ready.
  dataVersion: sql`select count(boundary)::text from areas`,
};
