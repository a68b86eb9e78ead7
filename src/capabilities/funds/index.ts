import { sql } from 'drizzle-orm';
import type { FastifyPluginAsync } from 'fastify';
import type { Capability } from '../../platform/capability.ts';
import { allocationRoutes } from './allocation-routes.ts';
import { fundRoutes } from './fund-routes.ts';
import { grantRoutes } from './grant-routes.ts';
import { proposalRoutes } from './proposal-routes.ts';
import { votingRoutes } from './voting-routes.ts';

const routes: FastifyPluginAsync = async (app) => {
  // Funds, their areas and rounds, and each round's phase.
  await app.register(fundRoutes);
  // Proposals from residents and groups, and the panel's recorded decisions.
  await app.register(proposalRoutes);
  // Participatory budgeting: voting codes, the ballot, the count anyone can re-run, the results.
  await app.register(votingRoutes);
  // The grants register, its 360Giving export, and funded projects' progress and spend.
  await app.register(grantRoutes);
  // Splitting a budget across areas in proportion to need.
  await app.register(allocationRoutes);
};

export const funds: Capability = {
  name: 'funds',
  purpose: 'Devolving money: funds and rounds, proposals and decisions, participatory budgeting votes, the grants register (360Giving) and allocation by need.',
  routes,
  dataVersion: sql`select concat_ws('|', (select max(updated_at) from fund_rounds), (select max(updated_at) from proposals), (select count(*) from ballots), (select max(updated_at) from grants), (select count(*) from grant_reports))`,
};
