import { stringify } from 'csv-stringify/sync';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access } from '../../platform/auth/permissions.ts';
import { sendProblem } from '../../platform/web/errors.ts';
import { domains } from './iod-import.ts';
import {
  comparabilityCaveat,
  findArea,
  findEdition,
  levelOf,
  listEditions,
  lsoaChanges,
  lsoaFigures,
  parentsOf,
  summaries,
  vintageFor,
  wardsInLad,
  type Edition,
  type LsoaFigures,
  type Summary,
} from './service.ts';

export const domainKey = z.enum(domains.map((d) => d.key) as [string, ...string[]], { message: `domain must be one of ${domains.map((d) => d.key).join(', ')}` });
export const editionParam = z.string().regex(/^[a-z0-9-]{1,40}$/, 'edition must be an edition id such as iod2019');
export const areaCode = z.string().regex(/^E0[15-9]\d{6}$/, 'code must be an English LSOA (E01…), ward (E05…) or local authority district (E06–E09…) GSS code');

const summarySchema = z.object({
  code: z.string(),
  name: z.string(),
  lsoaCount: z.number().int(),
  population: z.number().nullable(),
  decileCounts: z.array(z.number().int()).length(10).describe('LSOAs in each national decile; index 0 = decile 1 (most deprived)'),
  mostDeprived1pct: z.number().int().describe('LSOAs ranked in the most deprived 1% nationally (rank ≤ ⌊N/100⌋)'),
  proportionBottomDecile: z.number(),
  averageScore: z.number().nullable(),
  averageRank: z.number().nullable(),
  extent: z.number().nullable(),
  localConcentration: z.number().nullable(),
  rankProportionBottomDecile: z.number().int().nullable(),
  rankAverageScore: z.number().int().nullable(),
  rankAverageRank: z.number().int().nullable(),
  rankExtent: z.number().int().nullable(),
  rankLocalConcentration: z.number().int().nullable(),
});
const measureSchema = z.object({ score: z.number().nullable(), rank: z.number().int().nullable(), decile: z.number().int().nullable() });
const lsoaSchema = z.object({ code: z.string(), name: z.string(), population: z.number().nullable(), domains: z.record(z.string(), measureSchema) });
const editionSchema = z.object({
  id: z.string(),
  label: z.string(),
  lsoaVintage: z.string(),
  ladVintage: z.string(),
  wardVintage: z.string(),
  lsoaCount: z.number().int(),
  publishedOn: z.string(),
  publisher: z.string(),
  licence: z.string(),
});
export const problem = z.object({ type: z.string(), title: z.string(), status: z.number(), detail: z.string().optional(), instance: z.string().optional() });

const editionOut = (e: Edition) => ({
  id: e.id,
  label: e.label,
  lsoaVintage: e.lsoaVintage,
  ladVintage: e.ladVintage,
  wardVintage: e.wardVintage,
  lsoaCount: e.lsoaCount,
  publishedOn: e.publishedOn,
  publisher: e.publisher,
  licence: e.licence,
});

/** CSV when asked for by Accept header or ?format=csv; one flat row per area. */
export function wantsCsv(request: FastifyRequest, format?: string) {
  return format === 'csv' || (format === undefined && /\btext\/csv\b/.test(request.headers.accept ?? ''));
}

function summaryCsv(rows: Summary[]): string {
  return stringify(
    rows.map(({ decileCounts, ...r }) => ({ ...r, ...Object.fromEntries((decileCounts ?? []).map((n, i) => [`decile${i + 1}`, n])) })),
    { header: true },
  );
}

function lsoaCsv(rows: LsoaFigures[]): string {
  return stringify(
    rows.map((r) => ({
      code: r.code,
      name: r.name,
      population: r.population,
      ...Object.fromEntries(Object.entries(r.domains).flatMap(([d, m]) => [[`${d}Score`, m.score], [`${d}Rank`, m.rank], [`${d}Decile`, m.decile]])),
    })),
    { header: true },
  );
}

export function sendCsv(reply: FastifyReply, filename: string, body: string) {
  return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${filename}"`).send(body);
}

const sortable = ['name', 'code', 'imdRank', 'population'] as const;

/** A problem document for this request: 404 when something named is not loaded, 400 when the ask makes no sense. */
export function problemFor(request: FastifyRequest, reply: FastifyReply, status: 400 | 404, title: string, detail: string) {
  return sendProblem(reply, { type: 'about:blank', title, status, detail, instance: request.url });
}

export const indicatorRoutes: FastifyPluginAsync = async (root) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const db = () => app.database.db;
  const noEdition = (request: FastifyRequest, reply: FastifyReply, id?: string) =>
    problemFor(request, reply, 404, 'Edition not found', id ? `No edition "${id}" is loaded.` : 'No edition is loaded yet.');

  app.get(
    '/api/v1/editions',
    { config: { access: access.public, pageCache: true }, schema: { tags: ['deprivation'], summary: 'Editions of the Indices of Deprivation loaded', response: { 200: z.object({ editions: z.array(editionSchema) }) } } },
    async () => ({ editions: (await listEditions(db())).map(editionOut) }),
  );

  app.get(
    '/api/v1/editions/:edition/lads',
    {
      config: { access: access.public, pageCache: true },
      schema: {
        tags: ['deprivation'],
        summary: 'Every local authority district with its summary measures (IoD technical report definitions)',
        params: z.object({ edition: editionParam }),
        querystring: z.object({ domain: domainKey.default('imd'), format: z.enum(['json', 'csv']).optional() }),
        response: { 200: z.object({ edition: z.string(), domain: z.string(), lads: z.array(summarySchema) }), 404: problem },
      },
    },
    async (request, reply) => {
      const edition = await findEdition(db(), request.params.edition);
      if (!edition) return noEdition(request, reply, request.params.edition);
      const lads = await summaries(db(), edition, 'lad', request.query.domain);
      if (wantsCsv(request, request.query.format)) return sendCsv(reply, `${edition.id}-lads.csv`, summaryCsv(lads));
      return { edition: edition.id, domain: request.query.domain, lads: lads as z.infer<typeof summarySchema>[] };
    },
  );

  const areaQuery = z.object({ edition: editionParam.optional(), domain: domainKey.default('imd') });

  app.get(
    '/api/v1/areas/:code',
    {
      config: { access: access.public, pageCache: true },
      schema: {
        tags: ['deprivation'],
        summary: 'One LSOA, ward or LAD: its figures in an edition (the latest if none is named), its parents and children',
        params: z.object({ code: areaCode }),
        querystring: areaQuery,
        response: {
          200: z.object({
            code: z.string(),
            name: z.string(),
            type: z.enum(['lsoa', 'ward', 'lad']),
            vintage: z.string(),
            edition: z.string(),
            summary: summarySchema.nullable(),
            lsoa: lsoaSchema.nullable(),
            parents: z.array(z.object({ code: z.string(), name: z.string(), vintage: z.string() })),
            childTypes: z.array(z.string()),
          }),
          404: problem,
        },
      },
    },
    async (request, reply) => {
      const edition = await findEdition(db(), request.query.edition);
      if (!edition) return noEdition(request, reply, request.query.edition);
      const level = levelOf(request.params.code)!;
      const vintage = vintageFor(edition, level);
      const area = await findArea(db(), vintage, request.params.code);
      if (!area) {
        return problemFor(request, reply, 404, 'Area not found', `${request.params.code} is not a ${vintage} area in ${edition.id}.`);
      }
      const [summary] = level === 'lsoa' ? [null] : await summaries(db(), edition, level, request.query.domain, [area.code]);
      const [lsoa] = level === 'lsoa' ? await lsoaFigures(db(), edition, undefined, area.code) : [null];
      return {
        code: area.code,
        name: area.name,
        type: level,
        vintage,
        edition: edition.id,
        summary: (summary ?? null) as z.infer<typeof summarySchema> | null,
        lsoa: lsoa ?? null,
        parents: await parentsOf(db(), edition, level, area.code),
        childTypes: level === 'lad' ? ['ward', 'lsoa'] : level === 'ward' ? ['lsoa'] : [],
      };
    },
  );

  const memberQuery = areaQuery.extend({
    format: z.enum(['json', 'csv']).optional(),
    sort: z.enum(sortable, { message: `sort must be one of ${sortable.join(', ')}` }).default('imdRank'),
  });

  app.get(
    '/api/v1/areas/:code/lsoas',
    {
      config: { access: access.public, pageCache: true },
      schema: {
        tags: ['deprivation'],
        summary: 'The LSOAs in a ward or LAD with their own figures; JSON, or CSV with Accept: text/csv or ?format=csv',
        params: z.object({ code: areaCode }),
        querystring: memberQuery,
        response: { 200: z.object({ code: z.string(), edition: z.string(), lsoas: z.array(lsoaSchema) }), 400: problem, 404: problem },
      },
    },
    async (request, reply) => {
      const edition = await findEdition(db(), request.query.edition);
      if (!edition) return noEdition(request, reply, request.query.edition);
      const level = levelOf(request.params.code)!;
      if (level === 'lsoa') return problemFor(request, reply, 400, 'An LSOA has no LSOAs within it', 'Ask for the LSOAs of a ward (E05…) or district (E06–E09…).');
      if (!(await findArea(db(), vintageFor(edition, level), request.params.code))) {
        return problemFor(request, reply, 404, 'Area not found', `${request.params.code} is not a ${vintageFor(edition, level)} area in ${edition.id}.`);
      }
      const lsoas = sortLsoas(await lsoaFigures(db(), edition, { level, code: request.params.code }), request.query.sort);
      if (wantsCsv(request, request.query.format)) return sendCsv(reply, `${edition.id}-${request.params.code}-lsoas.csv`, lsoaCsv(lsoas));
      return { code: request.params.code, edition: edition.id, lsoas };
    },
  );

  app.get(
    '/api/v1/areas/:code/wards',
    {
      config: { access: access.public, pageCache: true },
      schema: {
        tags: ['deprivation'],
        summary: 'The wards of a LAD with their summary measures; JSON or CSV',
        params: z.object({ code: areaCode }),
        querystring: areaQuery.extend({ format: z.enum(['json', 'csv']).optional() }),
        response: { 200: z.object({ code: z.string(), edition: z.string(), wards: z.array(summarySchema) }), 400: problem, 404: problem },
      },
    },
    async (request, reply) => {
      const edition = await findEdition(db(), request.query.edition);
      if (!edition) return noEdition(request, reply, request.query.edition);
      if (levelOf(request.params.code) !== 'lad') return problemFor(request, reply, 400, 'Only districts have wards here', 'Ask for the wards of a local authority district (E06–E09…).');
      if (!(await findArea(db(), edition.ladVintage, request.params.code))) {
        return problemFor(request, reply, 404, 'Area not found', `${request.params.code} is not a ${edition.ladVintage} district in ${edition.id}.`);
      }
      const wards = await wardsInLad(db(), edition, request.params.code, request.query.domain);
      if (wantsCsv(request, request.query.format)) return sendCsv(reply, `${edition.id}-${request.params.code}-wards.csv`, summaryCsv(wards));
      return { code: request.params.code, edition: edition.id, wards: wards as z.infer<typeof summarySchema>[] };
    },
  );
};

export const changeRoute: FastifyPluginAsync = async (root) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const db = () => app.database.db;
  const countsSchema = z.object({ edition: z.string(), vintage: z.string(), lsoaCount: z.number().int(), decileCounts: z.array(z.number().int()), mostDeprived1pct: z.number().int() }).nullable();

  app.get(
    '/api/v1/areas/:code/change',
    {
      config: { access: access.public, pageCache: true },
      schema: {
        tags: ['deprivation'],
        summary: 'How a ward or district changed between two editions: decile counts then and now, and each LSOA’s movement',
        params: z.object({ code: areaCode }),
        querystring: z.object({ from: editionParam, to: editionParam, domain: domainKey.default('imd'), format: z.enum(['json', 'csv']).optional() }),
        response: {
          200: z.object({
            code: z.string(),
            from: z.string(),
            to: z.string(),
            sameLsoas: z.boolean(),
            caveat: z.string(),
            then: countsSchema,
            now: countsSchema,
            lsoas: z.array(
              z.object({
                code: z.string(),
                name: z.string(),
                changeCode: z.string().nullable(),
                previous: z.array(z.object({ code: z.string(), rank: z.number().int().nullable(), decile: z.number().int().nullable() })),
                rankThen: z.number().int().nullable(),
                rankNow: z.number().int().nullable(),
                decileThen: z.number().int().nullable(),
                decileNow: z.number().int().nullable(),
                decileMovement: z.number().int().nullable(),
              }),
            ),
          }),
          400: problem,
          404: problem,
        },
      },
    },
    async (request, reply) => {
      const { from: fromId, to: toId, domain } = request.query;
      const [from, to] = [await findEdition(db(), fromId), await findEdition(db(), toId)];
      if (!from || !to) return problemFor(request, reply, 404, 'Edition not found', `No edition "${!from ? fromId : toId}" is loaded.`);
      const level = levelOf(request.params.code);
      if (level === 'lsoa' || !level) return problemFor(request, reply, 400, 'Change is reported for wards and districts', 'Ask for a ward (E05…) or district (E06–E09…); its LSOAs are listed in the answer.');
      const counts = async (edition: Edition) => {
        const [s] = await summaries(db(), edition, level, domain, [request.params.code]);
        return s ? { edition: edition.id, vintage: vintageFor(edition, level), lsoaCount: s.lsoaCount!, decileCounts: s.decileCounts!, mostDeprived1pct: s.mostDeprived1pct! } : null;
      };
      const [then, now] = [await counts(from), await counts(to)];
      if (!then && !now) return problemFor(request, reply, 404, 'Area not found', `${request.params.code} is in neither ${from.id} nor ${to.id}.`);
      const lsoas = now ? await lsoaChanges(db(), from, to, { level, code: request.params.code }, domain) : [];
      if (wantsCsv(request, request.query.format)) {
        return sendCsv(
          reply,
          `${request.params.code}-${from.id}-${to.id}.csv`,
          stringify(lsoas.map(({ previous, ...l }) => ({ ...l, previous: previous.map((p) => p.code).join(' ') })), { header: true }),
        );
      }
      return { code: request.params.code, from: from.id, to: to.id, sameLsoas: from.lsoaVintage === to.lsoaVintage, caveat: comparabilityCaveat, then, now, lsoas };
    },
  );
};

function sortLsoas(rows: LsoaFigures[], sort: (typeof sortable)[number]): LsoaFigures[] {
  const key: Record<typeof sort, (r: LsoaFigures) => string | number> = {
    name: (r) => r.name,
    code: (r) => r.code,
    imdRank: (r) => r.domains.imd?.rank ?? Number.MAX_SAFE_INTEGER,
    population: (r) => -(r.population ?? 0),
  };
  const f = key[sort];
  return [...rows].sort((a, b) => (f(a) < f(b) ? -1 : f(a) > f(b) ? 1 : 0));
}
