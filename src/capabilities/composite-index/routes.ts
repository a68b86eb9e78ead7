import { sql } from 'drizzle-orm';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../platform/audit/audit.ts';
import { access, viewerOf, type Viewer } from '../../platform/auth/permissions.ts';
import { queryRows, type Database } from '../../platform/db/database.ts';
import { formProblems, type FormErrors } from '../../platform/web/forms.ts';
import { sendCsv } from '../indicators/routes.ts';
import { listEditions, type Edition } from '../indicators/service.ts';
import { bandOfRank, valuesMapView, type MapValue } from '../maps/view.ts';
import type { AreaResult, Transform } from './compute.ts';
import type { StoredIndicator } from './schema.ts';
import { availableSources, type CompositeIndex, compositeIndexCsv, compositeIndexReport, createCompositeIndex, defaultDimensions, findCompositeIndex, visibleCompositeIndexes } from './service.ts';

/** The index on a map: each area in the tenth of the scored areas its rank puts it in (10 = best placed). */
function indexMap(database: Database, index: CompositeIndex, edition: Edition, ranked: AreaResult[]) {
  const scored = ranked.filter((a) => a.rank !== null).length;
  const values = new Map<string, MapValue>(
    ranked.map((a) => [a.code, { band: bandOfRank(a.rank, scored), text: a.rank === null ? `${a.name} (${a.code}): not scored, an input is missing` : `${a.name} (${a.code}): index ${a.index!.toFixed(1)}, rank ${a.rank} of ${scored}` }]),
  );
  return valuesMapView(database, index.level === 'ward' ? edition.wardVintage : edition.lsoaVintage, values, {
    lsoaVintage: edition.lsoaVintage,
    link: `/areas/{code}?edition=${edition.id}`,
    legendTitle: 'tenth of the index score',
    worst: 'lowest scores',
    best: 'highest scores',
  });
}

/** Rows of inputs on the form: enough for a real index, and no JavaScript needed to add more. */
const rowCount = 8;
const transforms: Transform[] = ['none', 'log', 'cap'];
const sharingText = { public: 'Anyone (public)', partners: 'Partners: anyone signed in from an organisation taking part', organisation: 'My organisation only' } as const;

type Form = Record<string, string | undefined>;
const openness = { public: 0, partners: 1, organisation: 2 } as const;

/** Reads the form; every problem is named against its field, as the GOV.UK error summary expects. */
async function readForm(form: Form, editions: Edition[], ladsOf: (edition: Edition, wanted: string[]) => Promise<{ found: string[]; unknown: string[] }>, sources: (edition: Edition) => Promise<{ value: string; sharing: 'public' | 'partners' | 'organisation' }[]>) {
  const { errors, fail } = formProblems();
  const name = (form.name ?? '').trim();
  if (!name) fail('name', 'Enter a name for the index');
  else if (name.length > 120) fail('name', 'The name must be 120 characters or fewer');
  const edition = editions.find((e) => e.id === form.edition);
  if (!edition) fail('edition', 'Choose an edition');
  const level: 'ward' | 'lsoa' | null = form.level === 'ward' || form.level === 'lsoa' ? form.level : null;
  if (!level) fail('level', 'Choose whether to score wards or LSOAs');
  const sharing: 'public' | 'partners' | 'organisation' | null = form.sharing === 'public' || form.sharing === 'partners' || form.sharing === 'organisation' ? form.sharing : null;
  if (!sharing) fail('sharing', 'Choose who may see it');
  const wanted = (form.lads ?? '').split(/[\s,;]+/).map((s) => s.trim().toUpperCase()).filter(Boolean);
  let ladCodes: string[] = [];
  if (!wanted.length) fail('lads', 'Enter the codes of the districts to score, such as E08000035');
  else if (wanted.length > 50) fail('lads', 'Enter 50 districts or fewer');
  else if (edition) {
    const { found, unknown } = await ladsOf(edition, wanted);
    if (unknown.length) fail('lads', `${unknown.join(', ')} ${unknown.length === 1 ? 'is not a district' : 'are not districts'} of ${edition.label}`);
    ladCodes = found;
  }
  const allowed = new Map(edition ? (await sources(edition)).map((s) => [s.value, s.sharing]) : []);
  const indicators: StoredIndicator[] = [];
  const number = (field: string, label: string, value: string | undefined): number | null => {
    if (value === undefined || value.trim() === '') return null;
    const n = Number(value.replace(/,/g, ''));
    if (!Number.isFinite(n)) {
      fail(field, `${label} must be a number`);
      return null;
    }
    return n;
  };
  for (let i = 0; i < rowCount; i++) {
    const source = form[`source${i}`];
    if (!source) continue;
    if (edition && !allowed.has(source)) fail(`source${i}`, `Input ${i + 1} is not available for ${edition.label}: choose one of its domains or local data shared with you`);
    // An index's scores can be worked back to its inputs' values, so it may be no more open than its inputs.
    const inputSharing = allowed.get(source);
    if (inputSharing && sharing && openness[inputSharing] > openness[sharing]) fail(`source${i}`, `Input ${i + 1} is shared only with ${inputSharing === 'partners' ? 'partners' : 'its organisation'}, so an index shared with ${sharing === 'public' ? 'anyone' : 'partners'} cannot use it: its scores would reveal the input's values. Share the index more narrowly or choose another input`);
    const component = (form[`component${i}`] ?? '').trim();
    if (!component) fail(`component${i}`, `Enter the component input ${i + 1} belongs to, such as “Safety”`);
    const dimension = (form[`dimension${i}`] ?? '').trim();
    if (!(defaultDimensions as readonly string[]).includes(dimension)) fail(`dimension${i}`, `Choose the dimension of input ${i + 1}`);
    const direction = form[`direction${i}`] === 'higher-is-better' ? 'higher-is-better' : 'higher-is-worse';
    const weight = number(`weight${i}`, `The weight of input ${i + 1}`, form[`weight${i}`]) ?? 1;
    if (weight <= 0) fail(`weight${i}`, `The weight of input ${i + 1} must be more than 0`);
    const transform = (transforms as string[]).includes(form[`transform${i}`] ?? '') ? (form[`transform${i}`] as Transform) : 'none';
    const cap = number(`cap${i}`, `The cap of input ${i + 1}`, form[`cap${i}`]);
    if (transform === 'cap' && cap === null) fail(`cap${i}`, `Enter the value to cap input ${i + 1} at`);
    const best = number(`best${i}`, `The best value of input ${i + 1}`, form[`best${i}`]);
    const worst = number(`worst${i}`, `The worst value of input ${i + 1}`, form[`worst${i}`]);
    if (best !== null && worst !== null && best === worst) fail(`worst${i}`, `The best and worst values of input ${i + 1} must differ`);
    if (best !== null && worst !== null && (direction === 'higher-is-better') !== best > worst) fail(`best${i}`, `Input ${i + 1}: the best value must be ${direction === 'higher-is-better' ? 'higher' : 'lower'} than the worst, as ${direction === 'higher-is-better' ? 'higher is better' : 'higher is worse'}`);
    indicators.push({ source, key: source, label: source, component, dimension, direction, weight, transform, cap, best, worst });
  }
  if (!indicators.length) fail('source0', 'Choose at least one input');
  const description = (form.description ?? '').trim() || null;
  return { errors, value: { name, description, editionId: edition?.id ?? '', level: level ?? 'ward', ladCodes, indicators, sharing: sharing ?? 'organisation' } };
}

export const compositeIndexRoutes: FastifyPluginAsync = async (root) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const db = () => app.database.db;
  const slugParams = z.object({ slug: z.string() });

  const ladsOf = async (edition: Edition, wanted: string[]) => {
    const rows = await queryRows<{ code: string }>(db(), sql`select code from areas where vintage = ${edition.ladVintage} and code in (${sql.join(wanted.map((w) => sql`${w}`), sql`, `)})`);
    const found = new Set(rows.map((r) => r.code));
    return { found: wanted.filter((w) => found.has(w)), unknown: wanted.filter((w) => !found.has(w)) };
  };

  const renderForm = async (reply: FastifyReply, viewer: Viewer, org: { slug: string; name: string }, values: Form, errors?: FormErrors) => {
    const editions = await listEditions(db());
    const edition = editions.find((e) => e.id === values.edition) ?? editions[editions.length - 1];
    const sources = edition ? await availableSources(db(), viewer, edition) : [];
    const rows = Array.from({ length: rowCount }, (_, i) => ({
      i,
      sourceItems: [{ value: '', text: 'Not used' }, ...sources.map((s) => ({ ...s, selected: values[`source${i}`] === s.value }))],
      dimensionItems: defaultDimensions.map((d) => ({ value: d, text: d, selected: (values[`dimension${i}`] ?? defaultDimensions[0]) === d })),
      directionItems: [
        { value: 'higher-is-worse', text: 'Higher is worse', selected: values[`direction${i}`] !== 'higher-is-better' },
        { value: 'higher-is-better', text: 'Higher is better', selected: values[`direction${i}`] === 'higher-is-better' },
      ],
      transformItems: [
        { value: 'none', text: 'None', selected: !values[`transform${i}`] || values[`transform${i}`] === 'none' },
        { value: 'log', text: 'Logarithm', selected: values[`transform${i}`] === 'log' },
        { value: 'cap', text: 'Cap at a value', selected: values[`transform${i}`] === 'cap' },
      ],
    }));
    return reply.page(
      'composite-index/views/new.njk',
      {
        pageTitle: 'Build a composite index',
        action: `/organisations/${org.slug}/composite-indexes`,
        orgName: org.name,
        values,
        errors,
        rows,
        editionItems: editions.map((e) => ({ value: e.id, text: e.label, selected: e.id === edition?.id })),
        levelItems: [
          { value: 'ward', text: 'Wards', checked: (values.level ?? 'ward') === 'ward' },
          { value: 'lsoa', text: 'LSOAs', checked: values.level === 'lsoa' },
        ],
        sharingItems: (['public', 'partners', 'organisation'] as const).map((s) => ({ value: s, text: sharingText[s], checked: (values.sharing ?? 'organisation') === s })),
        dimensions: defaultDimensions,
      },
      errors ? 400 : 200,
    );
  };

  app.get('/organisations/:slug/composite-indexes/new', { config: { access: access.organisation('member') }, schema: { params: slugParams, querystring: z.record(z.string(), z.string()) } }, async (request, reply) =>
    renderForm(reply, await viewerOf(db(), request.user), request.organisation!, request.query),
  );

  app.post(
    '/organisations/:slug/composite-indexes',
    { config: { access: access.organisation('member') }, schema: { params: slugParams, body: z.record(z.string(), z.string()) }, attachValidation: true },
    async (request, reply) => {
      const viewer = await viewerOf(db(), request.user);
      const form = (request.body ?? {}) as Form;
      const { errors, value } = await readForm(form, await listEditions(db()), ladsOf, (e) => availableSources(db(), viewer, e));
      if (request.validationError || errors.summary.length) return renderForm(reply, viewer, request.organisation!, form, errors.summary.length ? errors : { summary: [{ text: 'Check the form', href: '#name' }], fields: {} });
      const id = await createCompositeIndex(db(), value, { organisationId: request.organisation!.id, userId: request.user?.id ?? null }, actorOf(request));
      return reply.flash(`${value.name} has been built.`).redirect(`/composite-indexes/${id}`, 303);
    },
  );

  app.get('/composite-indexes', { config: { access: access.public } }, async (request, reply) => {
    const viewer = await viewerOf(db(), request.user);
    const organisationsOfViewer = viewer.organisationIds.length
      ? await queryRows<{ slug: string; name: string }>(db(), sql`select slug, name from organisations where id in (${sql.join(viewer.organisationIds.map((id) => sql`${id}::uuid`), sql`, `)}) order by name`)
      : [];
    return reply.page('composite-index/views/list.njk', { pageTitle: 'Composite indexes', indexes: await visibleCompositeIndexes(db(), viewer), buildFor: organisationsOfViewer });
  });

  app.get(
    '/composite-indexes/:indexId',
    { config: { access: access.public, pageCache: true }, schema: { params: z.object({ indexId: z.uuid('Not an index address') }), querystring: z.object({ format: z.enum(['html', 'csv']).default('html') }) } },
    async (request, reply) => {
      const viewer = await viewerOf(db(), request.user);
      const index = await findCompositeIndex(db(), viewer, request.params.indexId);
      if (!index) return reply.callNotFound();
      const report = await compositeIndexReport(db(), viewer, index);
      const { edition, result, ranked, labelOf } = report;
      if (request.query.format === 'csv') return sendCsv(reply, `composite-index-${index.id}.csv`, compositeIndexCsv(report));
      return reply.page('composite-index/views/show.njk', {
        pageTitle: index.name,
        index,
        edition,
        result,
        ranked,
        unscored: ranked.filter((a) => a.index === null).length,
        inputs: index.indicators.map((i) => ({ ...i, label: labelOf(i.source), reference: result.references[i.source] })),
        levelName: index.level === 'ward' ? 'ward' : 'LSOA',
        missingText: (a: { missing: string[] }) => a.missing.map(labelOf).join('; '),
        csvHref: `/composite-indexes/${index.id}?format=csv`,
        sharingText: sharingText[index.sharing],
        map: await indexMap(app.database, index, edition, ranked),
        mapLabel: `Map of the ${index.level === 'ward' ? 'wards' : 'LSOAs'} of ${index.name} coloured by tenth of the index score`,
      });
    },
  );
};
