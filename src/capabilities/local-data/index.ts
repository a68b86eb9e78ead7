import type { Capability } from '../../platform/capability.ts';
import { localDataRoutes } from './routes.ts';

export const localData: Capability = {
  name: 'local-data',
  purpose: 'Local indicators an organisation uploads (CSV or Excel, LSOA/ward/district), shared as it chooses, rolled up and shown beside the national data.',
  routes: localDataRoutes,
};
