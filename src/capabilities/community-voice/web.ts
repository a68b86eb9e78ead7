import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { getCampaign, type Campaign } from './campaigns.ts';

/**
 * What community voice's route files share: form reading, parameters, and finding the campaign an
 * organisation-scoped route names. Who may use a route is decided in permissions.ts (access.organisation);
 * a campaign of another organisation is then simply not there (404), the same as one that does not exist.
 */

export { formBody, text, texts, type Form } from '../../platform/web/forms.ts';
export const orgParams = z.object({ slug: z.string().max(100) });
export const campaignParams = z.object({ slug: z.string().max(100), campaignId: z.string().max(100) });
export const publicCampaignParams = z.object({ campaignId: z.string().max(100) });

/** The campaign named by `:campaignId`, if it belongs to the organisation the route's access rule loaded. */
export async function campaignOfOrganisation(request: FastifyRequest): Promise<Campaign | null> {
  const { campaignId } = request.params as { campaignId: string };
  const campaign = await getCampaign(request.server.database.db, campaignId);
  return campaign && campaign.organisationId === request.organisation?.id ? campaign : null;
}

/** Where a campaign's pages live, for links between route files. */
export const campaignPath = (campaign: Pick<Campaign, 'id' | 'organisationSlug'>, rest = '') => `/organisations/${campaign.organisationSlug}/voice/${campaign.id}${rest}`;
export const publicFormPath = (campaign: Pick<Campaign, 'id'>) => `/have-your-say/${campaign.id}`;
export const publicSummaryPath = (campaign: Pick<Campaign, 'id'>) => `/voice/${campaign.id}`;
