import type { FastifyRequest } from 'fastify';
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { fundRounds, funds } from './schema.ts';

/**
 * What the funds route files share: form reading, parameters, and finding the fund or round an
 * organisation-scoped route names. Who may use a route is decided in permissions.ts (access.organisation); a fund of
 * another organisation is then simply not there (404).
 */

export { formBody, text, texts, type Form } from '../../platform/web/forms.ts';
export const orgParams = z.object({ slug: z.string().max(100) });
export const fundParams = z.object({ slug: z.string().max(100), fundId: z.string().max(100) });
export const roundParams = z.object({ slug: z.string().max(100), fundId: z.string().max(100), roundId: z.string().max(100) });
export const publicRoundParams = z.object({ roundId: z.string().max(100) });

export const isUuid = (id: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);

export type Fund = typeof funds.$inferSelect;
export type Round = typeof fundRounds.$inferSelect;

/** The fund named by `:fundId`, if it belongs to the organisation the route's access rule loaded. */
export async function fundOfOrganisation(request: FastifyRequest): Promise<Fund | null> {
  const { fundId } = request.params as { fundId: string };
  if (!isUuid(fundId)) return null;
  const [fund] = await request.server.database.db.select().from(funds).where(eq(funds.id, fundId));
  return fund && fund.organisationId === request.organisation?.id ? fund : null;
}

/** The round named by `:roundId` within the fund named by `:fundId`, if both belong to the organisation. */
export async function roundOfOrganisation(request: FastifyRequest): Promise<{ fund: Fund; round: Round } | null> {
  const fund = await fundOfOrganisation(request);
  const { roundId } = request.params as { roundId: string };
  if (!fund || !isUuid(roundId)) return null;
  const [round] = await request.server.database.db.select().from(fundRounds).where(eq(fundRounds.id, roundId));
  return round && round.fundId === fund.id ? { fund, round } : null;
}

/** Where pages live, for links between route files. */
export const fundPath = (slug: string, fundId: string, rest = '') => `/organisations/${slug}/funds/${fundId}${rest}`;
export const roundPath = (slug: string, fundId: string, roundId: string, rest = '') => `/organisations/${slug}/funds/${fundId}/rounds/${roundId}${rest}`;
/** Public pages of a round: proposing, voting, results. */
export const publicRoundPath = (roundId: string, rest = '') => `/budgets/${roundId}${rest}`;
