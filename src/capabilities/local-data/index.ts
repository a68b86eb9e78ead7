import type { FastifyPluginAsync } from 'fastify';
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
};
