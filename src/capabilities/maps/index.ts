import type { Capability } from '../../platform/capability.ts';
import { mapRoutes } from './routes.ts';

export const maps: Capability = {
  name: 'maps',
  purpose: 'Vector tiles made by Patchwork from the boundaries in the database, on either engine, and the map on pages.',
  routes: mapRoutes,
};
