import { sql } from 'drizzle-orm';
import type { FastifyPluginAsync } from 'fastify';
import type { Capability } from '../../platform/capability.ts';
import { campaignRoutes } from './campaign-routes.ts';
import { placeStandardRoutes } from './place-standard-routes.ts';
import { representationRoutes } from './representation-routes.ts';
import { responseRoutes } from './response-routes.ts';
import { themeRoutes } from './theme-routes.ts';
import { transferRoutes } from './transfer-routes.ts';

const routes: FastifyPluginAsync = async (app) => {
  // Campaigns and their questions; the list of responses; contact details of those who asked to be contacted.
  await app.register(campaignRoutes);
  // Answering: the public form for residents, and capture by volunteers and staff (offline too).
  await app.register(responseRoutes);
  // Responses in and out: CSV import with its template, CSV export, and the sync of responses made offline.
  await app.register(transferRoutes);
  // Themes: the shared list, tagging, suggested themes from the words used, publishable quotes, public summaries.
  await app.register(themeRoutes);
  // Whose voice? Respondents against the resident population, by area and by age, and re-weighted results.
  await app.register(representationRoutes);
  // Place Standard: the 14 themes rated 1–7, compass charts, comparisons between groups and repeat assessments.
  await app.register(placeStandardRoutes);
};

export const communityVoice: Capability = {
  name: 'community-voice',
  purpose: 'Listening campaigns, surveys and Place Standard assessments tied to places, themed, and checked for whose voice was heard.',
  routes,
  dataVersion: sql`select concat_ws('|', (select count(*) from voice_responses), (select max(updated_at) from voice_campaigns), (select count(*) from voice_response_themes), (select count(*) from voice_answers where publishable))`,
};
