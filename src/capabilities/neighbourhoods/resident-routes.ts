import { stringify } from 'csv-stringify/sync';
import { sql } from 'drizzle-orm';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../platform/audit/audit.ts';
import { access, viewerOf } from '../../platform/auth/permissions.ts';
import { queryRows } from '../../platform/db/database.ts';
import { fieldError, formProblems, type FormErrors } from '../../platform/web/forms.ts';
import { problem, problemFor, sendCsv, wantsCsv } from '../indicators/routes.ts';
import { sharingLevels } from '../indicators/schema.ts';
import { tileServiceFor } from '../maps/tiles.ts';
import { consensusBands, consensusSvg } from './consensus-svg.ts';
import {
  anchorText,
  canSeeResults,
  consensus,
  createMapping,
  districtOf,
  findMapping,
  listMappings,
  maxPlaces,
  metresPerMinute,
  minimumResponses,
  placesOf,
  ResidentMappingError,
  saveConsensus,
  setMappingOpen,
  submitAnswer,
  walkCentreRoundingMetres,
  walkMinutes,
  type Answer,
  type Mapping,
} from './resident-mapping.ts';
import { residentAnchors } from './schema.ts';
import { NeighbourhoodError } from './service.ts';

/**
 * Asking residents where their neighbourhood is: an organisation opens a question for a place, anyone answers
 * it without an account at /have-your-say/neighbourhood/{id}, and the summary of where answers agree is at
 * /resident-mapping/{id} for whoever the organisation shares it with.
 */

type Form = Record<string, unknown>;
const text = (form: Form, field: string) => (typeof form[field] === 'string' ? (form[field] as string).trim() : '');
const list = (form: Form, field: string) => [form[field]].flat().filter((v): v is string => typeof v === 'string');
const sharingText = { public: 'Anyone (public)', partners: 'Partners: anyone signed in from an organisation taking part', organisation: 'My organisation only' } as const;
const thresholds = [25, 50, 75, 100] as const;
const mappingParams = z.object({ mappingId: z.uuid('Not a question address') });
const ownerParams = z.object({ slug: z.string(), mappingId: z.uuid('Not a question address') });


export const residentRoutes: FastifyPluginAsync = async (root) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const db = () => app.database.db;

  // ---- The organisation's side: opening a question -------------------------------------------------------

  const renderNew = (reply: FastifyReply, org: { slug: string; name: string }, values: Form, errors?: FormErrors) =>
    reply.page(
      'neighbourhoods/views/resident-new.njk',
      {
        pageTitle: 'Ask residents where their neighbourhood is',
        org,
        values,
        errors,
        sharingItems: sharingLevels.map((s) => ({ value: s, text: sharingText[s], checked: (text(values, 'resultsSharing') || 'organisation') === s })),
        minimumResponses,
      },
      errors ? 400 : 200,
    );

  app.get('/organisations/:slug/resident-mapping/new', { config: { access: access.organisation('member') }, schema: { params: z.object({ slug: z.string() }) } }, async (request, reply) =>
    renderNew(reply, request.organisation!, {}),
  );

  app.post(
    '/organisations/:slug/resident-mapping',
    { config: { access: access.organisation('member') }, schema: { params: z.object({ slug: z.string() }), body: z.record(z.string(), z.unknown()) }, attachValidation: true },
    async (request, reply) => {
      const org = request.organisation!;
      const form = (request.body ?? {}) as Form;
      const { errors, fail } = formProblems();
      const place = text(form, 'place');
      if (!place) fail('place', 'Enter the place you are asking about');
      else if (place.length > 80) fail('place', 'The place must be 80 characters or fewer');
      const ladCode = text(form, 'ladCode').toUpperCase();
      if (!/^E0[6-9]\d{6}$/.test(ladCode)) fail('ladCode', 'Enter a district code such as E08000035');
      const introduction = text(form, 'introduction');
      if (introduction.length > 1000) fail('introduction', 'The introduction must be 1,000 characters or fewer');
      const resultsSharing = text(form, 'resultsSharing') as Mapping['resultsSharing'];
      if (!(sharingLevels as readonly string[]).includes(resultsSharing)) fail('resultsSharing', 'Choose who may see the summary of answers');
      if (errors.summary.length) return renderNew(reply, org, form, errors);
      try {
        const id = await createMapping(db(), { place, ladCode, introduction: introduction || null, resultsSharing }, { organisationId: org.id, userId: request.user?.id ?? null }, actorOf(request));
        return reply.flash(`The question about ${place} is open. Share its link with residents.`).redirect(`/resident-mapping/${id}`, 303);
      } catch (error) {
        if (!(error instanceof ResidentMappingError)) throw error;
        return renderNew(reply, org, form, fieldError(error.field, error.message));
      }
    },
  );

  /** The mapping, when it belongs to the organisation in the address; another's answers as not there. */
  const ownMapping = async (orgId: string, mappingId: string) => {
    const mapping = await findMapping(db(), mappingId);
    return mapping && mapping.ownerOrganisationId === orgId ? mapping : null;
  };

  app.post(
    '/organisations/:slug/resident-mapping/:mappingId/open',
    { config: { access: access.organisation('member') }, schema: { params: ownerParams, body: z.object({ open: z.enum(['true', 'false']) }).passthrough() } },
    async (request, reply) => {
      const mapping = await ownMapping(request.organisation!.id, request.params.mappingId);
      if (!mapping) return reply.callNotFound();
      const open = request.body.open === 'true';
      await setMappingOpen(db(), mapping.id, open, actorOf(request));
      return reply.flash(open ? 'The question is open again.' : 'The question is closed: no more answers will be taken.').redirect(`/resident-mapping/${mapping.id}`, 303);
    },
  );

  app.post(
    '/organisations/:slug/resident-mapping/:mappingId/neighbourhood',
    { config: { access: access.organisation('member') }, schema: { params: ownerParams, body: z.record(z.string(), z.unknown()) } },
    async (request, reply) => {
      const mapping = await ownMapping(request.organisation!.id, request.params.mappingId);
      if (!mapping) return reply.callNotFound();
      const form = request.body as Form;
      const threshold = Number(text(form, 'threshold'));
      const name = text(form, 'name');
      const sharing = text(form, 'sharing') as Mapping['resultsSharing'];
      const { errors, fail } = formProblems();
      if (!name) fail('name', 'Enter a name for the neighbourhood');
      else if (name.length > 120) fail('name', 'The name must be 120 characters or fewer');
      if (!(sharingLevels as readonly string[]).includes(sharing)) fail('sharing', 'Choose who may see the neighbourhood');
      if (!(thresholds as readonly number[]).includes(threshold)) fail('threshold', 'Choose how many of the answers must agree');
      if (errors.summary.length) return renderResults(request.user, reply, mapping, thresholds.includes(threshold as never) ? threshold : 50, form, errors);
      try {
        const id = await saveConsensus(db(), mapping, threshold / 100, { name, sharing, description: null }, request.user?.id ?? null, actorOf(request));
        return reply.flash(`${name} has been made from where residents agree.`).redirect(`/neighbourhoods/${id}`, 303);
      } catch (error) {
        if (!(error instanceof ResidentMappingError) && !(error instanceof NeighbourhoodError)) throw error;
        return renderResults(request.user, reply, mapping, threshold, form, fieldError('name', error.message));
      }
    },
  );

  // ---- The resident's side: answering, without an account ------------------------------------------------

  const renderAsk = async (reply: FastifyReply, mapping: Mapping, values: Form, errors?: FormErrors) => {
    const district = await districtOf(db(), mapping.ladCode);
    const tiles = tileServiceFor(app.database);
    const outlines = await tiles.resolve('lsoa21');
    const bounds = district?.bounds ?? [-6.42, 49.86, 1.77, 55.81];
    const how = text(values, 'how');
    const chosen = new Set(list(values, 'places'));
    const anchors = new Set(list(values, 'anchors'));
    return reply.page(
      'neighbourhoods/views/resident-ask.njk',
      {
        pageTitle: `Where is your neighbourhood? ${mapping.place}`,
        mapping,
        values,
        errors,
        drawMap: outlines ? { tiles: `/tiles/lsoa21/{z}/{x}/{y}.mvt?v=${encodeURIComponent(await tiles.version(outlines))}`, layer: 'lsoa21', bounds: bounds.map((v) => v.toFixed(4)).join(',') } : null,
        howItems: [
          { value: 'map', text: 'Draw it on a map', hint: { text: 'With a mouse, touch, or the arrow keys and Enter' }, checked: how === 'map' },
          { value: 'walk', text: 'Give a postcode and how far you would walk', checked: how === 'walk' },
          { value: 'places', text: 'Choose places from a list', checked: how === 'places' },
        ],
        placeItems: (await placesOf(db(), mapping.ladCode)).map((p) => ({ value: p.code, text: p.name, checked: chosen.has(p.code) })),
        minuteItems: walkMinutes.map((m) => ({ value: String(m), text: `${m} minutes (about ${(m * metresPerMinute).toLocaleString('en-GB')} metres)`, checked: text(values, 'minutes') === String(m) })),
        anchorItems: residentAnchors.map((a) => ({ value: a, text: anchorText[a], checked: anchors.has(a) })),
        maxPlaces,
        walkCentreRoundingMetres,
      },
      errors ? 400 : 200,
    );
  };

  app.get('/have-your-say/neighbourhood/:mappingId', { config: { access: access.public }, schema: { params: mappingParams } }, async (request, reply) => {
    const mapping = await findMapping(db(), request.params.mappingId);
    if (!mapping) return reply.callNotFound();
    if (!mapping.open) return reply.page('neighbourhoods/views/resident-closed.njk', { pageTitle: `Where is your neighbourhood? ${mapping.place}`, mapping, resultsVisible: canSeeResults(await viewerOf(db(), request.user), mapping) });
    return renderAsk(reply, mapping, {});
  });

  app.post(
    '/have-your-say/neighbourhood/:mappingId',
    {
      config: {
        access: access.public,
        // Answers are anonymous, so nothing stops one person answering many times but this limit, kept in memory only.
        rateLimit: { max: 20, timeWindow: '1 hour', errorResponseBuilder: () => ({ statusCode: 429, message: 'Too many answers from your connection. Thank you: try again in an hour if you need to.' }) },
      },
      schema: { params: mappingParams, body: z.record(z.string(), z.unknown()) },
    },
    async (request, reply) => {
      const mapping = await findMapping(db(), request.params.mappingId);
      if (!mapping) return reply.callNotFound();
      const form = request.body as Form;
      const how = text(form, 'how');
      const { errors, fail } = formProblems();
      let answer: Answer | null = null;
      if (how === 'map') {
        if (!text(form, 'drawn')) fail('drawn', 'Draw your neighbourhood on the map: at least three corners');
        else answer = { method: 'map', drawn: text(form, 'drawn') };
      } else if (how === 'places') {
        if (!list(form, 'places').length) fail('places', 'Choose at least one place');
        else answer = { method: 'places', codes: list(form, 'places') };
      } else if (how === 'walk') {
        if (!text(form, 'postcode')) fail('postcode', 'Enter a postcode, like WN1 1AA');
        if (!walkMinutes.includes(Number(text(form, 'minutes')) as never)) fail('minutes', 'Choose how many minutes’ walk');
        if (!errors.summary.length) answer = { method: 'walk', postcode: text(form, 'postcode'), minutes: Number(text(form, 'minutes')) };
      } else fail('how', 'Choose how you will show your neighbourhood');
      if (!answer) return renderAsk(reply, mapping, form, errors);
      try {
        await submitAnswer(db(), mapping, answer, { anchors: list(form, 'anchors'), otherAnchor: text(form, 'otherAnchor') || null });
      } catch (error) {
        if (!(error instanceof ResidentMappingError)) throw error;
        return renderAsk(reply, mapping, form, fieldError(error.field, error.message));
      }
      return reply.redirect(`/have-your-say/neighbourhood/${mapping.id}/thanks`, 303);
    },
  );

  app.get('/have-your-say/neighbourhood/:mappingId/thanks', { config: { access: access.public }, schema: { params: mappingParams } }, async (request, reply) => {
    const mapping = await findMapping(db(), request.params.mappingId);
    if (!mapping) return reply.callNotFound();
    return reply.page('neighbourhoods/views/resident-thanks.njk', { pageTitle: 'Thank you', mapping, resultsVisible: canSeeResults(await viewerOf(db(), request.user), mapping) });
  });

  // ---- The summary ---------------------------------------------------------------------------------------

  const thresholdQuery = z.object({
    threshold: z.coerce
      .number({ message: 'Choose 25, 50, 75 or 100' })
      .refine((t) => (thresholds as readonly number[]).includes(t), 'Choose 25, 50, 75 or 100')
      .default(50),
    format: z.enum(['html', 'csv', 'json']).optional(),
  });

  const renderResults = async (user: Parameters<typeof viewerOf>[1], reply: FastifyReply, mapping: Mapping, threshold: number, values: Form = {}, errors?: FormErrors) => {
    const viewer = await viewerOf(db(), user);
    const result = await consensus(db(), mapping.id, threshold / 100);
    const owner = viewer.organisationIds.includes(mapping.ownerOrganisationId);
    return reply.page(
      'neighbourhoods/views/resident-results.njk',
      {
        pageTitle: `Where residents say ${mapping.place} is`,
        mapping,
        result,
        threshold,
        owner,
        values,
        errors,
        minimumResponses,
        anchorText,
        bands: consensusBands,
        sharingText: sharingText[mapping.resultsSharing],
        askPath: `/have-your-say/neighbourhood/${mapping.id}`,
        svg: result.suppressed ? null : consensusSvg(result, `Where the ${result.responses} answers about ${mapping.place} say the neighbourhood is`),
        thresholdItems: thresholds.map((t) => ({ value: String(t), text: t === 100 ? 'All answers' : `At least ${t}% of answers`, selected: t === threshold })),
        sharingItems: sharingLevels.map((s) => ({ value: s, text: sharingText[s], checked: (text(values, 'sharing') || 'organisation') === s })),
        csvHref: `/resident-mapping/${mapping.id}?threshold=${threshold}&format=csv`,
      },
      errors ? 400 : 200,
    );
  };

  app.get('/resident-mapping', { config: { access: access.public } }, async (request, reply) => {
    const viewer = await viewerOf(db(), request.user);
    const makeFor = viewer.organisationIds.length
      ? await queryRows<{ slug: string; name: string }>(db(), sql`select slug, name from organisations where id in (${sql.join(viewer.organisationIds.map((id) => sql`${id}::uuid`), sql`, `)}) order by name`)
      : [];
    return reply.page('neighbourhoods/views/resident-list.njk', { pageTitle: 'Where residents say their neighbourhood is', mappings: await listMappings(db(), viewer), makeFor, minimumResponses });
  });

  app.get('/resident-mapping/:mappingId', { config: { access: access.public }, schema: { params: mappingParams, querystring: thresholdQuery } }, async (request, reply) => {
    const mapping = await findMapping(db(), request.params.mappingId);
    if (!mapping || !canSeeResults(await viewerOf(db(), request.user), mapping)) return reply.callNotFound();
    if (request.query.format === 'csv') {
      const result = await consensus(db(), mapping.id, request.query.threshold / 100);
      const rows = result.suppressed ? [] : result.lsoas.map((l) => ({ lsoa21: l.code, name: l.name, place: l.place, answers: l.count, shareOfAnswers: Number(l.share.toFixed(4)) }));
      return sendCsv(reply, `resident-mapping-${mapping.id}.csv`, stringify(rows, { header: true, columns: ['lsoa21', 'name', 'place', 'answers', 'shareOfAnswers'] }));
    }
    return renderResults(request.user, reply, mapping, request.query.threshold);
  });

  // ---- API -----------------------------------------------------------------------------------------------

  app.get(
    '/api/v1/resident-mapping/:mappingId',
    {
      config: { access: access.public },
      schema: {
        tags: ['neighbourhoods'],
        summary: 'Where residents who answered a "where is your neighbourhood?" question agree: the outline covered by at least the threshold share of answers, and how many answers cover each 2021 LSOA. Withheld below the minimum number of answers.',
        params: mappingParams,
        querystring: thresholdQuery,
        response: {
          200: z.object({
            id: z.string(),
            place: z.string(),
            district: z.object({ code: z.string(), name: z.string() }),
            owner: z.object({ slug: z.string(), name: z.string() }),
            open: z.boolean(),
            responses: z.number().int(),
            suppressed: z.boolean().describe(`true when fewer than ${minimumResponses} answers have come: nothing more is given`),
            threshold: z.number(),
            outline: z.unknown().nullable().describe('WGS84 GeoJSON MultiPolygon of where at least the threshold share of answers agree'),
            outlineAreaSqKm: z.number().nullable(),
            cellMetres: z.number().nullable(),
            lsoas: z.array(z.object({ code: z.string(), name: z.string(), place: z.string().nullable(), answers: z.number().int(), share: z.number() })),
            anchors: z.array(z.object({ anchor: z.string(), answers: z.number().int() })),
          }),
          404: problem,
        },
      },
    },
    async (request, reply) => {
      const mapping = await findMapping(db(), request.params.mappingId);
      if (!mapping || !canSeeResults(await viewerOf(db(), request.user), mapping)) return problemFor(request, reply, 404, 'Question not found', `No resident mapping ${request.params.mappingId} is shared with you.`);
      const result = await consensus(db(), mapping.id, request.query.threshold / 100);
      const body = {
        id: mapping.id,
        place: mapping.place,
        district: { code: mapping.ladCode, name: mapping.ladName },
        owner: { slug: mapping.ownerSlug, name: mapping.ownerName },
        open: mapping.open,
        responses: result.responses,
        suppressed: result.suppressed,
        threshold: request.query.threshold / 100,
        outline: result.suppressed || !result.outline ? null : JSON.parse(result.outline.geojson),
        outlineAreaSqKm: result.suppressed || !result.outline ? null : result.outline.areaSqKm,
        cellMetres: result.suppressed ? null : result.cellMetres,
        lsoas: result.suppressed ? [] : result.lsoas.map((l) => ({ code: l.code, name: l.name, place: l.place, answers: l.count, share: l.share })),
        anchors: result.suppressed ? [] : result.anchors.map((a) => ({ anchor: a.anchor, answers: a.count })),
      };
      if (wantsCsv(request, request.query.format === 'csv' ? 'csv' : undefined)) {
        return sendCsv(reply, `resident-mapping-${mapping.id}.csv`, stringify(body.lsoas, { header: true, columns: ['code', 'name', 'place', 'answers', 'share'] }));
      }
      return body;
    },
  );
};
