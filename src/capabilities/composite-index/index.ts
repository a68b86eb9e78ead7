import type { Capability } from '../../platform/capability.ts';
import { compositeIndexRoutes } from './routes.ts';

export const compositeIndex: Capability = {
  name: 'composite-index',
  purpose: 'Social Progress Index–style composite indexes over every ward or LSOA of chosen districts, from national and local data.',
  routes: compositeIndexRoutes,
};
