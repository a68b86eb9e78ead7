import type { Capability } from '../../platform/capability.ts';
import { indicatorRoutes } from './routes.ts';

export const indicators: Capability = {
  name: 'indicators',
  purpose: 'Editions of the Indices of Deprivation and other indicators at LSOA level, their import, and the summary measures for wards and districts.',
  routes: indicatorRoutes,
};
