import { stringify } from 'csv-stringify/sync';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access, viewerOf } from '../../platform/auth/permissions.ts';
import { knownVintages } from '../geography/lookups.ts';
import { areaCode, editionParam, problem, problemFor, sendCsv, wantsCsv } from '../indicators/routes.ts';
import { aggregations, directions, sharingLevels } from '../indicators/schema.ts';
import { findArea, findEdition, levelOf, vintageFor } from '../indicators/service.ts';
import { findLocalIndicator, localDataForArea, localIndicatorValues, localValuesCsv, visibleLocalIndicators, type LocalIndicator } from './service.ts';

/**
 * The JSON (and CSV) equivalents of the local data pages. Callers are who the session cookie says, as on
 * the pages, and see exactly what the pages would show them: the sharing rule is the one in
 * permissions.ts, applied by the same service functions. An indicator that does not exist and one not
 * shared with the caller get the same 404.
 */

const indicatorSchema = z.object({
  id: z.string(),
  label: z.string(),
  description: z.string().nullable(),
  unit: z.string(),
  period: z.string(),
  direction: z.enum(directions),
  vintage: z.string().describe('The geography the values were uploaded at: lsoa11, lsoa21, ward19, ward24, lad19 or lad24'),
  level: z.string().describe('lsoa, ward or lad'),
  geography: z.string().describe('The geography in words, such as “LSOA (2011)”'),
  aggregation: z.enum(aggregations).nullable().describe('How values roll up to larger areas: sum (counts) or population-weighted-mean (rates)'),
  source: z.string(),
  licence: z.string(),
  sharing: z.enum(sharingLevels).describe('public: anyone; partners: anyone signed in from an organisation taking part; organisation: the owner’s members'),
  owner: z.object({ slug: z.string(), name: z.string() }).nullable(),
  uploadedAt: z.string().nullable(),
});
type IndicatorOut = z.infer<typeof indicatorSchema>;

const indicatorOut = (i: LocalIndicator): IndicatorOut => ({
  id: i.id,
  label: i.label,
  description: i.description,
  unit: i.unit,
  period: i.period,
  direction: i.direction,
  vintage: i.vintage,
  level: knownVintages[i.vintage]?.type ?? i.vintage,
  geography: knownVintages[i.vintage]?.label ?? i.vintage,
  aggregation: i.aggregation,
  source: i.source,
  licence: i.licence,
  sharing: i.sharing,
  owner: i.ownerSlug && i.ownerName ? { slug: i.ownerSlug, name: i.ownerName } : null,
  uploadedAt: i.uploadedAt?.toISOString() ?? null,
});

/** One flat CSV row of an indicator's description; the columns are named so an empty list still has its header. */
const indicatorRow = ({ owner, ...i }: IndicatorOut) => ({ ...i, ownerSlug: owner?.slug ?? null, ownerName: owner?.name ?? null });
const indicatorColumns = [...Object.keys(indicatorSchema.shape).filter((k) => k !== 'owner'), 'ownerSlug', 'ownerName'];

const format = z.enum(['json', 'csv']).optional();
const indicatorId = z.string().regex(/^local\.[0-9a-f-]{36}$/, 'id must be a local indicator id such as local.0b6c…');

export const localDataApi: FastifyPluginAsync = async (root) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const db = () => app.database.db;

  app.get(
    '/api/v1/indicators',
    {
      config: { access: access.public },
      schema: {
        tags: ['local data'],
        summary: 'The local indicators shared with the caller (anyone: public ones; signed in: also those shared with their organisations), newest first; JSON or CSV',
        querystring: z.object({ format }),
        response: { 200: z.object({ indicators: z.array(indicatorSchema) }) },
      },
    },
    async (request, reply) => {
      const list = (await visibleLocalIndicators(db(), await viewerOf(db(), request.user))).map(indicatorOut);
      if (wantsCsv(request, request.query.format)) return sendCsv(reply, 'local-indicators.csv', stringify(list.map(indicatorRow), { header: true, columns: indicatorColumns }));
      return { indicators: list };
    },
  );

  app.get(
    '/api/v1/indicators/:id',
    {
      config: { access: access.public },
      schema: {
        tags: ['local data'],
        summary: 'One local indicator: its description and its values by area code as uploaded, highest first; JSON, or CSV (code, name, value, indicator, unit, period)',
        params: z.object({ id: indicatorId }),
        querystring: z.object({ format }),
        response: {
          200: indicatorSchema.extend({ values: z.array(z.object({ code: z.string(), name: z.string().describe('The area’s name, or its code if Patchwork does not know the area'), value: z.number() })) }),
          404: problem,
        },
      },
    },
    async (request, reply) => {
      const indicator = await findLocalIndicator(db(), await viewerOf(db(), request.user), request.params.id);
      // Not there, or not shared with this caller: the same answer, so its existence does not leak.
      if (!indicator) return problemFor(request, reply, 404, 'Indicator not found', `No local indicator ${request.params.id} is shared with you.`);
      const values = await localIndicatorValues(db(), indicator);
      if (wantsCsv(request, request.query.format)) return sendCsv(reply, `${indicator.id}.csv`, localValuesCsv(indicator, values));
      return { ...indicatorOut(indicator), values };
    },
  );

  app.get(
    '/api/v1/areas/:code/local-data',
    {
      config: { access: access.public },
      schema: {
        tags: ['local data'],
        summary: 'The local data shared with the caller for one LSOA, ward or district of an edition’s geography (the latest edition if none is named): as uploaded, or rolled up from LSOAs with how many had a value; JSON or CSV',
        params: z.object({ code: areaCode }),
        querystring: z.object({ edition: editionParam.optional(), format }),
        response: {
          200: z.object({
            code: z.string(),
            name: z.string(),
            type: z.enum(['lsoa', 'ward', 'lad']),
            vintage: z.string(),
            edition: z.string(),
            localData: z.array(
              z.object({
                indicator: indicatorSchema,
                value: z.number().nullable().describe('null when none of the area’s LSOAs has a value'),
                covered: z.number().int().describe('How many of the area’s small areas have a value; missing ones are never counted as 0'),
                of: z.number().int(),
                method: z.enum(['as uploaded', 'sum', 'population-weighted-mean']),
              }),
            ),
          }),
          404: problem,
        },
      },
    },
    async (request, reply) => {
      const edition = await findEdition(db(), request.query.edition);
      if (!edition) return problemFor(request, reply, 404, 'Edition not found', request.query.edition ? `No edition "${request.query.edition}" is loaded.` : 'No edition is loaded yet.');
      const level = levelOf(request.params.code)!;
      const vintage = vintageFor(edition, level);
      const area = await findArea(db(), vintage, request.params.code);
      if (!area) return problemFor(request, reply, 404, 'Area not found', `${request.params.code} is not a ${vintage} area in ${edition.id}.`);
      const found = (await localDataForArea(db(), await viewerOf(db(), request.user), edition, level, area.code)).map(({ indicator, ...v }) => ({ indicator: indicatorOut(indicator), ...v }));
      if (wantsCsv(request, request.query.format)) {
        return sendCsv(
          reply,
          `${area.code}-${edition.id}-local-data.csv`,
          stringify(
            found.map((f) => ({ code: area.code, name: area.name, edition: edition.id, indicatorId: f.indicator.id, indicator: f.indicator.label, unit: f.indicator.unit, period: f.indicator.period, owner: f.indicator.owner?.name ?? null, value: f.value, covered: f.covered, of: f.of, method: f.method })),
            { header: true, columns: ['code', 'name', 'edition', 'indicatorId', 'indicator', 'unit', 'period', 'owner', 'value', 'covered', 'of', 'method'] },
          ),
        );
      }
      return { code: area.code, name: area.name, type: level, vintage, edition: edition.id, localData: found };
    },
  );
};

