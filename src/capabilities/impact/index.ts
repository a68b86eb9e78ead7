import { sql } from 'drizzle-orm';
import type { FastifyPluginAsync } from 'fastify';
import type { Capability } from '../../platform/capability.ts';
import { modelRoutes } from './model-routes.ts';
import { outcomeRoutes } from './outcome-routes.ts';
import { proxyRoutes } from './proxy-routes.ts';
import { reportRoutes } from './report-routes.ts';
import { storyRoutes } from './story-routes.ts';

const routes: FastifyPluginAsync = async (app) => {
  // The outcomes framework: outcomes agreed with residents, their measures (linked to Patchwork's data or typed in) and progress.
  await app.register(outcomeRoutes);
  // Stories told beside the numbers, published only with consent, and shown on outcome and area pages.
  await app.register(storyRoutes);
  // An organisation's library of financial proxies, each with its source.
  await app.register(proxyRoutes);
  // Social return on investment models with sensitivity and break-even, and costs avoided.
  await app.register(modelRoutes);
  // The impact report: outcomes progress, stories and the SROI summary, as a page and a PDF.
  await app.register(reportRoutes);
};

export const impact: Capability = {
  name: 'impact',
  purpose: 'Impact: outcomes agreed with residents and measured over time, stories beside the numbers, social return on investment and costs avoided, and an impact report.',
  routes,
  // Published stories appear on public area pages.
  dataVersion: sql`select concat_ws('|', (select count(*) from impact_stories where published), (select max(updated_at) from impact_stories))`,
};
