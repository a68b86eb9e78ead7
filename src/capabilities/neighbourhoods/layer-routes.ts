import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../platform/audit/audit.ts';
import { access, viewerOf } from '../../platform/auth/permissions.ts';
import type { FormErrors } from '../../platform/web/forms.ts';
import { problem, problemFor } from '../indicators/routes.ts';
import { sharingLevels } from '../indicators/schema.ts';
import { findEdition } from '../indicators/service.ts';
import { boundaryLimits } from './geometry-input.ts';
import { findLayer, importLayer, layerAreas, LayerImportError } from './layers.ts';
import { purposeText, readDetails, sharingText, text, type Form } from './routes.ts';
import { neighbourhoodPurposes } from './schema.ts';

/**
 * Layers of areas (a neighbourhood footprint such as every PCN of a district, imported from one file): the
 * import form, a layer's page listing its areas, and the same as JSON. A layer not shared with the visitor
 * answers as one that does not exist.
 */

const layerParams = z.object({ layerId: z.uuid('Not a layer address') });

export const layerRoutes: FastifyPluginAsync = async (root) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const db = () => app.database.db;
  const slugParams = z.object({ slug: z.string() });

  const renderNew = (reply: FastifyReply, org: { slug: string; name: string }, values: Form, errors?: FormErrors) =>
    reply.page(
      'neighbourhoods/views/layer-new.njk',
      {
        pageTitle: 'Import a layer of areas',
        org,
        action: `/organisations/${org.slug}/neighbourhood-layers/new`,
        values: Object.fromEntries(Object.entries(values).filter(([, v]) => typeof v === 'string')),
        maxFeatures: boundaryLimits.features,
        purposeItems: [{ value: '', text: 'Choose' }, ...neighbourhoodPurposes.map((p) => ({ value: p, text: purposeText[p], selected: values.purpose === p }))],
        sharingItems: sharingLevels.map((s) => ({ value: s, text: sharingText[s], checked: (text(values, 'sharing') || 'organisation') === s })),
        errors,
      },
      errors ? 400 : 200,
    );

  app.get('/organisations/:slug/neighbourhood-layers/new', { config: { access: access.organisation('member') }, schema: { params: slugParams } }, async (request, reply) =>
    renderNew(reply, request.organisation!, { purpose: 'pcn-footprint' }),
  );

  app.post(
    '/organisations/:slug/neighbourhood-layers/new',
    { config: { access: access.organisation('member') }, schema: { params: slugParams, body: z.record(z.string(), z.unknown()) }, attachValidation: true },
    async (request, reply) => {
      const org = request.organisation!;
      const form = (request.body ?? {}) as Form;
      const { details, errors, fail } = readDetails(form, 'layer');
      const source = text(form, 'source');
      if (!source) fail('source', 'Say where the file came from, such as its publisher and date');
      else if (source.length > 500) fail('source', 'Where the file came from must be 500 characters or fewer');
      else if (source.includes('\0')) fail('source', 'Where the file came from must not contain a NUL character');
      const nameProperty = text(form, 'nameProperty');
      if (!nameProperty) fail('nameProperty', 'Enter the property that holds each area’s name, such as PCN_NAME');
      else if (nameProperty.length > 100) fail('nameProperty', 'The property’s name must be 100 characters or fewer');
      const codeProperty = text(form, 'codeProperty');
      if (codeProperty.length > 100) fail('codeProperty', 'The property’s name must be 100 characters or fewer');
      const bytes = Buffer.isBuffer(form.file) ? form.file : Buffer.alloc(0);
      if (!bytes.length) fail('file', 'Choose a GeoJSON file or a zipped shapefile');
      if (errors.summary.length) return renderNew(reply, org, form, errors);
      try {
        // The file's kind from its first bytes: a zip is a shapefile, anything else is read as GeoJSON.
        const filename = bytes[0] === 0x50 && bytes[1] === 0x4b ? 'layer.zip' : 'layer.geojson';
        const layer = await importLayer(db(), { ...details, source }, { bytes, filename }, { nameProperty, codeProperty: codeProperty || null }, { organisationId: org.id, userId: request.user?.id ?? null }, actorOf(request));
        const repaired = layer.repaired ? ` (${layer.repaired.toLocaleString('en-GB')} of their boundaries ${layer.repaired === 1 ? 'was' : 'were'} repaired: see each area’s page)` : '';
        return reply.flash(`${details.name} has been imported with ${layer.areas.toLocaleString('en-GB')} ${layer.areas === 1 ? 'area' : 'areas'}${repaired}.`).redirect(`/neighbourhood-layers/${layer.id}`, 303);
      } catch (error) {
        if (!(error instanceof LayerImportError)) throw error;
        // Every feature's problem in the summary, each leading to the field it belongs to; the field itself
        // says how many, so nothing is stored until all are fixed.
        const more = error.more ? [{ text: `And ${error.more.toLocaleString('en-GB')} more ${error.more === 1 ? 'problem' : 'problems'}: nothing was imported`, href: `#${error.field}` }] : [];
        const fieldText = error.problems.length + error.more > 1 ? `${(error.problems.length + error.more).toLocaleString('en-GB')} problems in the file, listed above: nothing was imported` : error.problems[0]!;
        return renderNew(reply, org, form, { summary: [...error.problems.map((p) => ({ text: p, href: `#${error.field}` })), ...more], fields: { [error.field]: { text: fieldText } } });
      }
    },
  );

  app.get('/neighbourhood-layers/:layerId', { config: { access: access.public }, schema: { params: layerParams } }, async (request, reply) => {
    const viewer = await viewerOf(db(), request.user);
    const layer = await findLayer(db(), viewer, request.params.layerId);
    // Not there, or not shared with this visitor: the same answer, so its existence does not leak.
    if (!layer) return reply.callNotFound();
    const edition = await findEdition(db(), undefined);
    const areas = await layerAreas(db(), viewer, layer.id, edition);
    const known = areas.filter((a) => a.population !== null);
    return reply.page('neighbourhoods/views/layer.njk', {
      pageTitle: layer.name,
      layer,
      purposeText: purposeText[layer.purpose],
      sharingText: sharingText[layer.sharing],
      edition,
      areas,
      totals: { population: known.length ? known.reduce((s, a) => s + a.population!, 0) : null, areaSqKm: areas.reduce((s, a) => s + a.areaSqKm, 0) },
      compareHref: `/neighbourhoods/overlap?${new URLSearchParams({ a: `layer:${layer.id}`, b: 'ward25' })}`,
      apiHref: `/api/v1/neighbourhood-layers/${layer.id}`,
    });
  });

  app.get(
    '/api/v1/neighbourhood-layers/:layerId',
    {
      config: { access: access.public },
      schema: {
        tags: ['neighbourhoods'],
        summary: 'A layer of areas imported from one file (such as every PCN of a district) and its areas, each a neighbourhood, with its area and the people it counts by the latest edition’s denominators',
        params: layerParams,
        response: {
          200: z.object({
            id: z.string(),
            name: z.string(),
            purpose: z.enum(neighbourhoodPurposes),
            description: z.string().nullable(),
            sharing: z.enum(sharingLevels),
            source: z.string().nullable().describe('Where the file came from, as the importer said'),
            owner: z.object({ slug: z.string(), name: z.string() }),
            createdAt: z.string(),
            edition: z.string().nullable().describe('The edition whose denominators count the people; null when none is loaded'),
            areas: z.array(
              z.object({
                id: z.string().describe('The neighbourhood’s id: its profile is /api/v1/neighbourhoods/{id}'),
                name: z.string(),
                code: z.string().nullable().describe('The area’s code in the imported file, where it had one'),
                currentVersion: z.number().int(),
                areaSqKm: z.number(),
                population: z.number().nullable(),
              }),
            ),
          }),
          404: problem,
        },
      },
    },
    async (request, reply) => {
      const viewer = await viewerOf(db(), request.user);
      const layer = await findLayer(db(), viewer, request.params.layerId);
      if (!layer) return problemFor(request, reply, 404, 'Layer not found', `No neighbourhood layer ${request.params.layerId} is shared with you.`);
      const edition = await findEdition(db(), undefined);
      const areas = await layerAreas(db(), viewer, layer.id, edition);
      return {
        id: layer.id,
        name: layer.name,
        purpose: layer.purpose,
        description: layer.description,
        sharing: layer.sharing,
        source: layer.source,
        owner: { slug: layer.ownerSlug, name: layer.ownerName },
        createdAt: layer.createdAt.toISOString(),
        edition: edition?.id ?? null,
        areas: areas.map(({ versionId: _versionId, ...a }) => a),
      };
    },
  );
};
