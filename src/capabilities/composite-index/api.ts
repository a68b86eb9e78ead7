import { stringify } from 'csv-stringify/sync';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access, viewerOf } from '../../platform/auth/permissions.ts';
import { problem, problemFor, sendCsv, wantsCsv } from '../indicators/routes.ts';
import { directions, sharingLevels } from '../indicators/schema.ts';
import { compositeIndexCsv, compositeIndexReport, findCompositeIndex, visibleCompositeIndexes, type CompositeIndex } from './service.ts';

/**
 * The JSON (and CSV) equivalents of the composite index pages. Callers are who the session cookie says,
 * as on the pages, and see what the pages would show them: sharing is the rule in permissions.ts, applied
 * by the same service functions; an index that does not exist and one not shared get the same 404.
 */

const indexSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  owner: z.object({ slug: z.string(), name: z.string() }),
  edition: z.string().describe('The edition of the Indices of Deprivation whose geography and domains it uses'),
  level: z.enum(['ward', 'lsoa']).describe('What it scores: every ward or every LSOA of its districts'),
  ladCodes: z.array(z.string()),
  sharing: z.enum(sharingLevels),
  createdAt: z.string(),
});
type IndexOut = z.infer<typeof indexSchema>;

const indexOut = (i: CompositeIndex): IndexOut => ({
  id: i.id,
  name: i.name,
  description: i.description,
  owner: { slug: i.ownerSlug, name: i.ownerName },
  edition: i.editionId,
  level: i.level,
  ladCodes: i.ladCodes,
  sharing: i.sharing,
  createdAt: i.createdAt.toISOString(),
});

const indexColumns = ['id', 'name', 'description', 'ownerSlug', 'ownerName', 'edition', 'level', 'ladCodes', 'sharing', 'createdAt'];
const indexRow = ({ owner, ladCodes, ...i }: IndexOut) => ({ ...i, ownerSlug: owner.slug, ownerName: owner.name, ladCodes: ladCodes.join(' ') });

const scores = z.record(z.string(), z.number().nullable());

const detailSchema = indexSchema.extend({
  dimensions: z.array(z.string()),
  components: z.array(z.object({ name: z.string(), dimension: z.string() })),
  inputs: z.array(
    z.object({
      source: z.string().describe('An edition’s domain (iod2019.income) or a local indicator (local.…)'),
      label: z.string().describe('Its name; a local indicator no longer shared with the caller is named by its id only'),
      component: z.string(),
      dimension: z.string(),
      direction: z.enum(directions),
      weight: z.number(),
      transform: z.enum(['none', 'log', 'cap']),
      cap: z.number().nullable(),
      best: z.number().nullable().describe('The best value as set; null means the best observed'),
      worst: z.number().nullable().describe('The worst value as set; null means the worst observed'),
      reference: z.object({ best: z.number(), worst: z.number() }).nullable().describe('The best (scores 100) and worst (scores 0) values used; null when the input cannot be scored'),
    }),
  ),
  problems: z.array(z.string()).describe('Inputs that could not be scored, and why'),
  areaCount: z.number().int(),
  scoredCount: z.number().int(),
  areas: z.array(
    z.object({
      code: z.string(),
      name: z.string(),
      rank: z.number().int().nullable().describe('1 = the highest index score; null when unscored'),
      index: z.number().nullable(),
      dimensions: scores,
      components: scores,
      missing: z.array(z.string()).describe('The sources of the inputs this area has no value for; missing data is never counted as 0'),
    }),
  ),
});

const format = z.enum(['json', 'csv']).optional();

export const compositeIndexApi: FastifyPluginAsync = async (root) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const db = () => app.database.db;

  app.get(
    '/api/v1/composite-indexes',
    {
      config: { access: access.public },
      schema: {
        tags: ['composite indexes'],
        summary: 'The composite indexes shared with the caller, newest first; JSON or CSV',
        querystring: z.object({ format }),
        response: { 200: z.object({ indexes: z.array(indexSchema) }) },
      },
    },
    async (request, reply) => {
      const list = (await visibleCompositeIndexes(db(), await viewerOf(db(), request.user))).map(indexOut);
      if (wantsCsv(request, request.query.format)) return sendCsv(reply, 'composite-indexes.csv', stringify(list.map(indexRow), { header: true, columns: indexColumns }));
      return { indexes: list };
    },
  );

  app.get(
    '/api/v1/composite-indexes/:indexId',
    {
      config: { access: access.public },
      schema: {
        tags: ['composite indexes'],
        summary:
          'One composite index: its definition (inputs, components, dimensions, directions, weights, references) and every area’s scores from 0 (worst) to 100 (best), computed from the data as it is now, rank 1 first. Component = (Σ weight × value − Σ weight × worst) ÷ (Σ weight × best − Σ weight × worst) × 100; a dimension is the mean of its components, the index the mean of its dimensions. JSON, or CSV (code, name, rank, index, each dimension, each “component: …”, missing)',
        params: z.object({ indexId: z.uuid('indexId must be a composite index id (a UUID)') }),
        querystring: z.object({ format }),
        response: { 200: detailSchema, 404: problem },
      },
    },
    async (request, reply) => {
      const viewer = await viewerOf(db(), request.user);
      const index = await findCompositeIndex(db(), viewer, request.params.indexId);
      // Not there, or not shared with this caller: the same answer, so its existence does not leak.
      if (!index) return problemFor(request, reply, 404, 'Composite index not found', `No composite index ${request.params.indexId} is shared with you.`);
      const report = await compositeIndexReport(db(), viewer, index);
      if (wantsCsv(request, request.query.format)) return sendCsv(reply, `composite-index-${index.id}.csv`, compositeIndexCsv(report));
      const { result, ranked, labelOf } = report;
      return {
        ...indexOut(index),
        dimensions: result.dimensions,
        components: result.components,
        inputs: index.indicators.map((i) => ({
          source: i.source,
          label: labelOf(i.source),
          component: i.component,
          dimension: i.dimension,
          direction: i.direction,
          weight: i.weight,
          transform: i.transform,
          cap: i.cap ?? null,
          best: i.best,
          worst: i.worst,
          reference: result.references[i.source] ?? null,
        })),
        problems: result.problems,
        areaCount: ranked.length,
        scoredCount: ranked.filter((a) => a.rank !== null).length,
        areas: ranked.map((a) => ({ code: a.code, name: a.name, rank: a.rank, index: a.index, dimensions: a.dimensions, components: a.components, missing: a.missing })),
      };
    },
  );
};
