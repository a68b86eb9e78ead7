import { sql } from 'drizzle-orm';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../platform/audit/audit.ts';
import { access, viewerOf } from '../../platform/auth/permissions.ts';
import { ImportError } from '../../platform/data/csv.ts';
import { queryRows, type Database } from '../../platform/db/database.ts';
import { formErrors, type FormErrors } from '../../platform/web/forms.ts';
import { knownVintages } from '../geography/lookups.ts';
import { sendCsv } from '../indicators/routes.ts';
import { aggregations, directions, sharingLevels } from '../indicators/schema.ts';
import { bandOfRank, valuesMapView, type MapValue } from '../maps/view.ts';
import { findLocalIndicator, importLocalIndicatorBytes, localIndicatorValues, localValuesCsv, localVintages, visibleLocalIndicators, type LocalIndicator, type LocalValue } from './service.ts';

/** PostgreSQL text cannot hold a NUL character: refused on the form rather than failing when saved. */
const noNul = (s: string) => !s.includes('\0');
const text = (label: string, max = 200) =>
  z
    .string({ message: `Enter ${label}` })
    .trim()
    .min(1, `Enter ${label}`)
    .max(max, `${label[0]!.toUpperCase()}${label.slice(1)} must be ${max} characters or fewer`)
    .refine(noNul, `${label[0]!.toUpperCase()}${label.slice(1)} must not contain a NUL character`);

const uploadForm = z.object({
  label: text('a name for the indicator', 120),
  unit: text('its unit, such as “per 1,000 people” or “count”', 60),
  period: text('the period it covers, such as “2025/26”', 40),
  direction: z.enum(directions, { message: 'Say whether a higher value is worse or better' }),
  aggregation: z.enum(aggregations, { message: 'Say whether the values are counts or rates' }),
  vintage: z.enum(localVintages, { message: 'Choose the geography the codes are in' }),
  source: text('where the data comes from', 300),
  licence: text('its licence or terms, such as “Open Government Licence v3.0” or “internal use”', 200),
  description: z.string().trim().max(2000, 'The description must be 2,000 characters or fewer').refine(noNul, 'The description must not contain a NUL character').optional(),
  sharing: z.enum(sharingLevels, { message: 'Choose who may see it' }),
  file: z.custom<Buffer>((v) => Buffer.isBuffer(v) && v.length > 0, { message: 'Choose a CSV or Excel file to upload' }),
});

const sharingText = { public: 'Anyone (public)', partners: 'Partners: anyone signed in from an organisation taking part', organisation: 'My organisation only' } as const;
const aggregationText = { sum: 'Counts (add up across areas)', 'population-weighted-mean': 'Rates or averages (population-weighted across areas)' } as const;

/** The file's type from its first bytes, so a misnamed file is still read as what it is. */
function uploadName(bytes: Buffer): string {
  if (bytes[0] === 0x50 && bytes[1] === 0x4b) return 'upload.xlsx';
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return 'upload.csv.gz';
  return 'upload.csv';
}

/**
 * The indicator on a map: each area in the tenth of the areas its value puts it in, worst first (band 1),
 * which way round depending on whether higher is worse. Equal values share a band.
 */
function valuesMap(database: Database, indicator: LocalIndicator, rows: LocalValue[]) {
  const higherWorse = indicator.direction === 'higher-is-worse';
  const bestFirst = [...rows].sort((a, b) => (higherWorse ? a.value - b.value : b.value - a.value));
  const rankOf = new Map<number, number>();
  bestFirst.forEach((r, i) => rankOf.has(r.value) || rankOf.set(r.value, i + 1));
  const values = new Map<string, MapValue>(rows.map((r) => [r.code, { band: bandOfRank(rankOf.get(r.value)!, rows.length), text: `${r.name} (${r.code}): ${r.value.toLocaleString('en-GB')} ${indicator.unit}` }]));
  return valuesMapView(database, indicator.vintage, values, {
    lsoaVintage: (knownVintages[indicator.vintage]?.year ?? 0) >= 2021 ? 'lsoa21' : 'lsoa11',
    link: '/areas/{code}',
    legendTitle: 'tenth of the areas by value',
    worst: 'worst',
    best: 'best',
  });
}

export const localDataRoutes: FastifyPluginAsync = async (root) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const db = () => app.database.db;
  const slugParams = z.object({ slug: z.string() });

  const renderForm = (reply: FastifyReply, slug: string, orgName: string, values: Record<string, unknown>, errors?: FormErrors, status = errors ? 400 : 200) =>
    reply.page(
      'local-data/views/upload.njk',
      {
        pageTitle: 'Upload local data',
        action: `/organisations/${slug}/indicators`,
        orgName,
        values,
        errors,
        vintageItems: localVintages.map((v) => ({ value: v, text: knownVintages[v]!.label, checked: values.vintage === v })),
        sharingItems: sharingLevels.map((s) => ({ value: s, text: sharingText[s], checked: (values.sharing ?? 'organisation') === s })),
        aggregationItems: aggregations.map((a) => ({ value: a, text: aggregationText[a], checked: values.aggregation === a })),
        directionItems: directions.map((d) => ({ value: d, text: d === 'higher-is-worse' ? 'Higher is worse' : 'Higher is better', checked: values.direction === d })),
      },
      status,
    );

  app.get('/organisations/:slug/indicators/new', { config: { access: access.organisation('member') }, schema: { params: slugParams } }, async (request, reply) =>
    renderForm(reply, request.organisation!.slug, request.organisation!.name, {}),
  );

  app.post(
    '/organisations/:slug/indicators',
    { config: { access: access.organisation('member') }, schema: { params: slugParams, body: uploadForm }, attachValidation: true },
    async (request, reply) => {
      const org = request.organisation!;
      const values = { ...(request.body as Record<string, unknown>), file: undefined };
      if (request.validationError) return renderForm(reply, org.slug, org.name, values, formErrors(request.validationError));
      const { file, ...input } = request.body;
      try {
        const result = await importLocalIndicatorBytes(db(), file, uploadName(file), { ...input, description: input.description || undefined }, { organisationId: org.id, userId: request.user?.id ?? null }, actorOf(request));
        return reply.flash(`${input.label} has been uploaded: ${result.rows.toLocaleString('en-GB')} areas.`).redirect(`/indicators/${result.id}`, 303);
      } catch (error) {
        if (!(error instanceof ImportError)) throw error;
        // The file's problems, row by row, above the form; nothing was saved.
        const problems = error.problems.slice(0, 20).map((p) => `${p.row ? `Row ${p.row}` : 'The file'}${p.column ? `, column “${p.column}”` : ''}: ${p.message}`);
        const headline = error.problems.length
          ? `The file was not imported: ${error.problems.length === 1 ? 'one row has a problem' : `${error.problems.length >= 50 ? 'at least 50' : error.problems.length} rows have problems`}. Nothing has been saved.`
          : error.message.split('\n')[0]!.replace(/\bupload\.(csv(\.gz)?|xlsx)\b/g, 'The file');
        const errors: FormErrors = { summary: [{ text: headline, href: '#file' }, ...problems.map((text) => ({ text, href: '#file' }))], fields: { file: { text: headline } } };
        return renderForm(reply, org.slug, org.name, values, errors);
      }
    },
  );

  app.get('/indicators', { config: { access: access.public } }, async (request, reply) => {
    const viewer = await viewerOf(db(), request.user);
    const list = await visibleLocalIndicators(db(), viewer);
    return reply.page('local-data/views/list.njk', {
      pageTitle: 'Local data',
      indicators: list.map((i) => ({ ...i, sharingText: sharingText[i.sharing], geography: knownVintages[i.vintage]?.label ?? i.vintage })),
      uploadTargets: viewer.organisationIds.length ? await organisationsOf(viewer.organisationIds) : [],
    });
  });

  const organisationsOf = (ids: string[]) =>
    queryRows<{ slug: string; name: string }>(db(), sql`select slug, name from organisations where id in (${sql.join(ids.map((id) => sql`${id}::uuid`), sql`, `)}) order by name`);

  app.get(
    '/indicators/:id',
    { config: { access: access.public, pageCache: true }, schema: { params: z.object({ id: z.string().regex(/^local\.[0-9a-f-]{36}$/, 'Not an indicator address') }), querystring: z.object({ format: z.enum(['html', 'csv']).default('html') }) } },
    async (request, reply) => {
      const viewer = await viewerOf(db(), request.user);
      const indicator = await findLocalIndicator(db(), viewer, request.params.id);
      // Not there, or not shared with this visitor: the same answer, so its existence does not leak.
      if (!indicator) return reply.callNotFound();
      const rows = await localIndicatorValues(db(), indicator);
      if (request.query.format === 'csv') return sendCsv(reply, `${indicator.id}.csv`, localValuesCsv(indicator, rows));
      return reply.page('local-data/views/show.njk', {
        pageTitle: indicator.label,
        indicator,
        geography: knownVintages[indicator.vintage]?.label ?? indicator.vintage,
        sharingText: sharingText[indicator.sharing],
        aggregationText: aggregationText[indicator.aggregation ?? 'sum'],
        rows,
        csvHref: `/indicators/${indicator.id}?format=csv`,
        map: await valuesMap(app.database, indicator, rows),
        mapLabel: `Map of ${indicator.label}, ${indicator.period}, each area coloured by the tenth its value falls in`,
      });
    },
  );
};
