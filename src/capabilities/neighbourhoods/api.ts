import { stringify } from 'csv-stringify/sync';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access, viewerOf } from '../../platform/auth/permissions.ts';
import { editionParam, problem, problemFor, sendCsv, wantsCsv } from '../indicators/routes.ts';
import { sharingLevels } from '../indicators/schema.ts';
import { findEdition } from '../indicators/service.ts';
import { apportionmentMethods, neighbourhoodMethods, neighbourhoodPurposes } from './schema.ts';
import { findNeighbourhood, neighbourhoodProfile, versionsOf, visibleNeighbourhoods, type Neighbourhood } from './service.ts';
import { neighbourhoodIndexPositions, neighbourhoodLocalData } from './profile-extras.ts';

/**
 * The neighbourhood pages' data as JSON (and CSV). Callers are who the session cookie says and see what the
 * pages would show them; a neighbourhood not shared with the caller answers as one that does not exist.
 */

const summarySchema = z.object({
  id: z.string(),
  name: z.string(),
  purpose: z.enum(neighbourhoodPurposes),
  description: z.string().nullable(),
  sharing: z.enum(sharingLevels),
  owner: z.object({ slug: z.string(), name: z.string() }),
  currentVersion: z.number().int(),
  areaSqKm: z.number().optional(),
  population: z.number().nullable().optional().describe('People counted in the current version, by the latest edition’s denominators'),
});
const summaryOut = (n: Neighbourhood) => ({
  id: n.id,
  name: n.name,
  purpose: n.purpose,
  description: n.description,
  sharing: n.sharing,
  owner: { slug: n.ownerSlug, name: n.ownerName },
  currentVersion: n.currentVersion,
});

const format = z.enum(['json', 'csv']).optional();

export const neighbourhoodApi: FastifyPluginAsync = async (root) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const db = () => app.database.db;

  app.get(
    '/api/v1/neighbourhoods',
    {
      config: { access: access.public },
      schema: {
        tags: ['neighbourhoods'],
        summary: 'The neighbourhoods shared with the caller, newest first; q searches name, purpose and owner',
        querystring: z.object({ q: z.string().max(100).optional(), format }),
        response: { 200: z.object({ neighbourhoods: z.array(summarySchema) }) },
      },
    },
    async (request, reply) => {
      const list = await visibleNeighbourhoods(db(), await viewerOf(db(), request.user), request.query.q, await findEdition(db(), undefined));
      const out = list.map((n) => ({ ...summaryOut(n), areaSqKm: n.areaSqKm, population: n.population }));
      if (wantsCsv(request, request.query.format)) {
        return sendCsv(reply, 'neighbourhoods.csv', stringify(out.map(({ owner, ...n }) => ({ ...n, ownerSlug: owner.slug, ownerName: owner.name })), { header: true, columns: ['id', 'name', 'purpose', 'description', 'sharing', 'currentVersion', 'areaSqKm', 'population', 'ownerSlug', 'ownerName'] }));
      }
      return { neighbourhoods: out };
    },
  );

  app.get(
    '/api/v1/neighbourhoods/:neighbourhoodId',
    {
      config: { access: access.public },
      schema: {
        tags: ['neighbourhoods'],
        summary: 'A neighbourhood’s profile in an edition (the latest if none is named): its people, each index apportioned from its LSOAs, and every LSOA with the share counted; CSV gives the LSOAs',
        params: z.object({ neighbourhoodId: z.uuid('Not a neighbourhood id') }),
        querystring: z.object({ edition: editionParam.optional(), version: z.coerce.number().int().min(1).optional(), format }),
        response: {
          200: summarySchema.extend({
            version: z.object({ version: z.number().int(), method: z.enum(neighbourhoodMethods), memberVintage: z.string().nullable(), memberCodes: z.array(z.string()).nullable(), areaSqKm: z.number(), repairNote: z.string().nullable(), note: z.string().nullable(), createdAt: z.string() }),
            edition: z.string(),
            population: z.number().nullable().describe('null when the edition’s population figures are not loaded'),
            domains: z.array(z.object({ key: z.string(), label: z.string(), averageScore: z.number().nullable(), peopleByDecile: z.array(z.number()).length(10).describe('People counted in each national decile; index 0 = decile 1 (most deprived)') })),
            lsoas: z.array(z.object({ code: z.string(), name: z.string(), share: z.number(), areaShare: z.number(), method: z.enum(apportionmentMethods), population: z.number().nullable(), counted: z.number().nullable() })),
            localData: z
              .array(
                z.object({
                  indicator: z.object({ id: z.string(), label: z.string(), unit: z.string(), period: z.string(), vintage: z.string(), sharing: z.enum(sharingLevels), owner: z.object({ slug: z.string(), name: z.string() }).nullable() }),
                  publishedFor: z.string().describe('The geography it was uploaded at, in words'),
                  method: z.enum(['sum', 'population-weighted-mean', 'not apportionable']).describe('sum: Σ value × share over its LSOAs; population-weighted-mean: weights mid-2020 population × share; not apportionable: published for wards or districts, which cannot be split'),
                  value: z.number().nullable().describe('null when not apportionable or when none of its LSOAs has a value'),
                  covered: z.number().int().nullable().describe('How many of its LSOAs (in the indicator’s LSOA geography) have a value; missing ones are never counted as 0'),
                  of: z.number().int().nullable().describe('How many LSOAs of that geography it counts (share above 0)'),
                  withoutPopulation: z.number().int().nullable().describe('For a rate: LSOAs with a value but no population estimate, left out of the average'),
                  areasTouched: z.number().int().nullable().describe('Not apportionable: the areas of its geography that the neighbourhood’s LSOAs lie in'),
                  areasWithValue: z.number().int().nullable(),
                }),
              )
              .describe('Local indicators shared with the caller with a value for any area it covers'),
            compositeIndexes: z
              .array(
                z.object({
                  index: z.object({ id: z.string(), name: z.string(), owner: z.object({ slug: z.string(), name: z.string() }), edition: z.string(), level: z.enum(['ward', 'lsoa']) }),
                  scored: z.number().int().describe('How many LSOAs or wards the index scores in all'),
                  averageScore: z.number().nullable().describe('LSOA indexes: the mean score of its scored LSOAs weighted by people counted; null for ward indexes (a ward’s score is for the whole ward) or when population figures are missing'),
                  inLowestFifth: z.number().int().describe('Its LSOAs (or the wards they lie in) in the lowest-scoring fifth of all the index scores'),
                  unscored: z.number().int().describe('Its LSOAs (or wards) the index covers but cannot score for missing inputs'),
                  outside: z.number().int().describe('Its LSOAs (or wards) outside the index’s districts'),
                  peopleScored: z.number().nullable(),
                  peopleInLowestFifth: z.number().nullable(),
                  peopleUnscored: z.number().nullable(),
                  shareInLowestFifth: z.number().nullable().describe('peopleInLowestFifth ÷ peopleScored'),
                  areas: z.array(
                    z.object({
                      code: z.string(),
                      name: z.string(),
                      people: z.number().nullable().describe('The neighbourhood’s people in it: population × share, summed over its LSOAs in a ward'),
                      rank: z.number().int().nullable(),
                      score: z.number().nullable(),
                      missing: z.number().int().describe('How many of the index’s inputs it has no value for'),
                      inLowestFifth: z.boolean(),
                    }),
                  ),
                }),
              )
              .describe('Composite indexes of this edition shared with the caller that cover any of its LSOAs'),
          }),
          404: problem,
        },
      },
    },
    async (request, reply) => {
      const viewer = await viewerOf(db(), request.user);
      const neighbourhood = await findNeighbourhood(db(), viewer, request.params.neighbourhoodId);
      if (!neighbourhood) return problemFor(request, reply, 404, 'Neighbourhood not found', `No neighbourhood ${request.params.neighbourhoodId} is shared with you.`);
      const edition = await findEdition(db(), request.query.edition);
      if (!edition) return problemFor(request, reply, 404, 'Edition not found', `No edition "${request.query.edition ?? ''}" is loaded.`);
      const version = (await versionsOf(db(), neighbourhood.id)).find((v) => v.version === (request.query.version ?? neighbourhood.currentVersion));
      if (!version) return problemFor(request, reply, 404, 'Version not found', `${neighbourhood.name} has no version ${request.query.version}.`);
      const profile = await neighbourhoodProfile(db(), version.id, edition);
      const lsoas = profile.lsoas.map((l) => ({ code: l.code, name: l.name, share: l.share, areaShare: l.areaShare, method: l.method as (typeof apportionmentMethods)[number], population: l.population, counted: l.counted }));
      if (wantsCsv(request, request.query.format)) return sendCsv(reply, `neighbourhood-${neighbourhood.id}-v${version.version}-${edition.id}.csv`, stringify(lsoas, { header: true, columns: ['code', 'name', 'share', 'areaShare', 'method', 'population', 'counted'] }));
      return {
        ...summaryOut(neighbourhood),
        version: { ...version, areaSqKm: Number(version.areaSqKm), createdAt: version.createdAt.toISOString() },
        edition: edition.id,
        population: profile.population,
        domains: profile.domains.filter((d) => d.covered).map(({ key, label, averageScore, peopleByDecile }) => ({ key, label, averageScore, peopleByDecile })),
        lsoas,
        localData: (await neighbourhoodLocalData(db(), viewer, version.id)).map((d) => ({
          indicator: { id: d.indicator.id, label: d.indicator.label, unit: d.indicator.unit, period: d.indicator.period, vintage: d.indicator.vintage, sharing: d.indicator.sharing, owner: d.indicator.ownerSlug && d.indicator.ownerName ? { slug: d.indicator.ownerSlug, name: d.indicator.ownerName } : null },
          publishedFor: d.publishedFor,
          ...(d.kind === 'apportioned'
            ? { method: d.method, value: d.value, covered: d.covered, of: d.of, withoutPopulation: d.withoutPopulation, areasTouched: null, areasWithValue: null }
            : { method: 'not apportionable' as const, value: null, covered: null, of: null, withoutPopulation: null, areasTouched: d.areasTouched, areasWithValue: d.areasWithValue }),
        })),
        compositeIndexes: (await neighbourhoodIndexPositions(db(), viewer, version.id, edition)).map((p) => ({
          index: { id: p.index.id, name: p.index.name, owner: { slug: p.index.ownerSlug, name: p.index.ownerName }, edition: p.index.editionId, level: p.level },
          scored: p.scored,
          averageScore: p.averageScore,
          inLowestFifth: p.inLowestFifth,
          unscored: p.unscored,
          outside: p.outside,
          peopleScored: p.peopleScored,
          peopleInLowestFifth: p.peopleInLowestFifth,
          peopleUnscored: p.peopleUnscored,
          shareInLowestFifth: p.shareInLowestFifth,
          areas: p.units,
        })),
      };
    },
  );
};
