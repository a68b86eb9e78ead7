import type { FastifyPluginAsync } from 'fastify';
import type { Capability } from '../../platform/capability.ts';
import { socialValueRoutes } from './social-value-routes.ts';
import { sourceRoutes } from './source-routes.ts';
import { spendRoutes } from './spend-routes.ts';
import { supplierRoutes } from './supplier-routes.ts';

const routes: FastifyPluginAsync = async (app) => {
  // The local spend dashboards: a district's and each neighbourhood's share of the organisation's spend, with CSV.
  await app.register(spendRoutes);
  // Spend files: sources with their remembered column mapping, uploads checked before import, and import reports.
  await app.register(sourceRoutes);
  // Suppliers: kinds, places, likely duplicates, merges and their record. Individuals are never named.
  await app.register(supplierRoutes);
  // Social value: measures, contracts with what they promised, deliveries, rolled up by place.
  await app.register(socialValueRoutes);
};

export const communityWealth: Capability = {
  name: 'community-wealth',
  purpose: 'Community wealth: where an organisation’s spend lands (its district, neighbourhoods, deprived areas, small firms and the voluntary sector), its suppliers, and the social value its contracts promise and deliver.',
  routes,
};
