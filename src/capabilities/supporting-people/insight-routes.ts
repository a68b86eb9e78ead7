import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access, viewerOf } from '../../platform/auth/permissions.ts';
import { spreadsheetCsv } from '../../platform/data/csv.ts';
import { formProblems } from '../../platform/web/forms.ts';
import { resolveArea } from '../community-voice/areas.ts';
import { insightAreaChoices, insightCsvRows, insightFor, type InsightScope } from './insight.ts';

/**
 * What a partnership sees of supporting people: suppressed counts of introductions, connections and wellbeing
 * change for people supported by teams of its organisations, filtered by period and area, as a page and a CSV
 * with the same cells. No person is named or identified anywhere on either.
 */

const partnershipParams = z.object({ partnershipId: z.string().max(100) });
const insightQuery = z.object({ from: z.string().max(20).optional(), to: z.string().max(20).optional(), area: z.string().max(100).optional() });
type InsightQuery = z.infer<typeof insightQuery>;

const insightPath = (partnershipId: string, rest = '') => `/partnerships/${partnershipId}/support${rest}`;

/** A day typed as 2026-09-01 or 1/9/2026; null when blank, 'invalid' when not a real date. */
export function dayOf(typed: string | undefined): string | null | 'invalid' {
  const t = typed?.trim() ?? '';
  if (!t) return null;
  const iso = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(t);
  const uk = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(t);
  const [y, m, d] = iso ? [iso[1]!, iso[2]!, iso[3]!] : uk ? [uk[3]!, uk[2]!, uk[1]!] : [];
  if (!y) return 'invalid';
  const day = `${y}-${m!.padStart(2, '0')}-${d!.padStart(2, '0')}`;
  const parsed = new Date(`${day}T00:00:00Z`);
  return Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== day ? 'invalid' : day;
}

export const insightRoutes: FastifyPluginAsync = async (root) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const db = () => app.database.db;

  /** The scope asked for, or the problems with the filters. */
  const scopeOf = async (request: FastifyRequest, query: InsightQuery) => {
    const { errors, fail } = formProblems();
    const from = dayOf(query.from);
    const to = dayOf(query.to);
    if (from === 'invalid') fail('from', 'The start of the period must be a real date, like 2026-09-01 or 1/9/2026');
    if (to === 'invalid') fail('to', 'The end of the period must be a real date, like 2026-11-30 or 30/11/2026');
    if (from && to && from !== 'invalid' && to !== 'invalid' && to < from) fail('to', 'The end of the period must be the same as or after the start');
    const viewer = await viewerOf(db(), request.user);
    const area = query.area ? await resolveArea(db(), viewer, query.area) : null;
    if (query.area && !area) fail('area', 'Choose an area from the list');
    const scope: InsightScope = { partnershipId: request.partnership!.id, from: from === 'invalid' ? null : from, to: to === 'invalid' ? null : to, area };
    return { scope, viewer, errors: errors.summary.length ? errors : null };
  };

  app.get('/partnerships/:partnershipId/support', { config: { access: access.partnership('viewer') }, schema: { params: partnershipParams, querystring: insightQuery } }, async (request, reply) => {
    const p = request.partnership!;
    const query = request.query;
    const { scope, viewer, errors } = await scopeOf(request, query);
    const threshold = app.config.suppressionThreshold;
    const insight = errors ? null : await insightFor(db(), viewer, scope, threshold);
    const csvQuery = new URLSearchParams(Object.entries(query).filter((e): e is [string, string] => Boolean(e[1]))).toString();
    return reply.page(
      'supporting-people/views/insight.njk',
      {
        pageTitle: `${p.name}: people supported`,
        partnership: p,
        insight,
        threshold,
        values: query,
        errors: errors ?? undefined,
        areaItems: await insightAreaChoices(db(), viewer, p.id, query.area ?? ''),
        action: insightPath(p.id),
        csvHref: insightPath(p.id, `.csv${csvQuery ? `?${csvQuery}` : ''}`),
        backHref: `/partnerships/${p.id}`,
      },
      errors ? 400 : 200,
    );
  });

  app.get('/partnerships/:partnershipId/support.csv', { config: { access: access.partnership('viewer') }, schema: { params: partnershipParams, querystring: insightQuery } }, async (request, reply) => {
    const { scope, viewer, errors } = await scopeOf(request, request.query);
    if (errors) return reply.page('error.njk', { pageTitle: 'Check the filters', paragraphs: errors.summary.map((e) => e.text) }, 400);
    const { columns, rows } = insightCsvRows(await insightFor(db(), viewer, scope, app.config.suppressionThreshold));
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', 'attachment; filename="people-supported.csv"')
      .header('cache-control', 'no-store')
      .send(spreadsheetCsv(columns, rows));
  });
};
