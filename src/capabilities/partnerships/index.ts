import { sql } from 'drizzle-orm';
import type { FastifyPluginAsync } from 'fastify';
import type { Capability } from '../../platform/capability.ts';
import { meetingRoutes } from './meeting-routes.ts';
import { planRoutes } from './plan-routes.ts';
import { reportRoutes } from './report-routes.ts';
import { partnershipRoutes } from './routes.ts';

const routes: FastifyPluginAsync = async (app) => {
  // Partnerships: making one, its places, organisations and people, its stage and checklist, its public page.
  await app.register(partnershipRoutes);
  // The plan: strategic aims, priorities with their evidence, actions and updates, the golden thread, my actions.
  await app.register(planRoutes);
  // Meetings: agenda, who came, decisions and the actions agreed.
  await app.register(meetingRoutes);
  // The board report for a date range: page, PDF and CSV of actions.
  await app.register(reportRoutes);
};

export const partnershipsCapability: Capability = {
  name: 'partnerships',
  purpose: 'Partnerships of organisations for a place, their stage, and the golden thread from strategic aims through neighbourhood priorities to actions, with meetings and board reports.',
  routes,
  dataVersion: sql`select concat_ws('|', (select count(*) from partnerships), (select max(updated_at) from partnerships), (select max(updated_at) from actions), (select max(updated_at) from strategic_aims))`,
};
