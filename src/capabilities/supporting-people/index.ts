import type { FastifyPluginAsync } from 'fastify';
import type { Capability } from '../../platform/capability.ts';
import { connectionRoutes } from './connection-routes.ts';
import { conversationRoutes } from './conversation-routes.ts';
import { insightRoutes } from './insight-routes.ts';
import { personRoutes } from './person-routes.ts';
import { privacyRoutes } from './privacy-routes.ts';
import { teamRoutes } from './team-routes.ts';
import { wellbeingRoutes } from './wellbeing-routes.ts';

const routes: FastifyPluginAsync = async (app) => {
  // Support teams, set up by an organisation's admins; a lead's view of their team.
  await app.register(teamRoutes);
  // Caseloads, recording someone new with their introduction, and the summary of a person's record.
  await app.register(personRoutes);
  // Conversations, next steps, and "what matters to me" goals with their progress.
  await app.register(conversationRoutes);
  // Connections to groups, assets and services from the directory, and what came of them.
  await app.register(connectionRoutes);
  // ONS4 and SWEMWBS wellbeing measures, and the change in them.
  await app.register(wellbeingRoutes);
  // The aggregate picture for partnerships, with small numbers suppressed.
  await app.register(insightRoutes);
  // Sharing with consent, who has looked, subject access export, erasure and retention.
  await app.register(privacyRoutes);
};

export const supportingPeople: Capability = {
  name: 'supporting-people',
  purpose: 'Supporting people: Local Area Coordination and social prescribing caseloads, conversations, goals, connections to community groups and wellbeing, with personal data encrypted, every read audited, and only suppressed aggregates shared.',
  routes,
  // No public page shows support data, so no cached page depends on it.
};
