import type { Capability } from '../../platform/capability.ts';
import { needRoutes } from './routes.ts';

export const need: Capability = {
  name: 'need',
  purpose: 'See need and target it: England → district → ward → LSOA tables, area profiles with charts, CSV downloads.',
  routes: needRoutes,
};
