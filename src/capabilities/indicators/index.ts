import type { Capability } from '../../platform/capability.ts';
import type { FastifyPluginAsync } from 'fastify';
import { changeRoute, indicatorRoutes } from './routes.ts';

const routes: FastifyPluginAsync = async (app) => {
  await app.register(indicatorRoutes);
  await app.register(changeRoute);
};

export const indicators: Capability = {
  name: 'indicators',
  purpose: 'Editions of the Indices of Deprivation and other indicators at LSOA level, their import, and the summary measures for wards and districts.',
  routes,
};
