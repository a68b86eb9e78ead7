import { stringify } from 'csv-stringify/sync';
import { sql } from 'drizzle-orm';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { inPage } from '../maps/view.ts';
import { access, viewerOf, type Viewer } from '../../platform/auth/permissions.ts';
import { queryRows } from '../../platform/db/database.ts';
import { formErrors, fieldError, type FormErrors } from '../../platform/web/forms.ts';
import { problem, problemFor, sendCsv } from '../indicators/routes.ts';
import { tileServiceFor } from '../maps/tiles.ts';
import { visibleNeighbourhoods } from '../neighbourhoods/service.ts';
import { areaTypes, decileChoices, defaultCategories, gapAnalysis, GapError, latestLsoa21Edition, walkChoices, type GapAnalysis, type GapArea, type GapLsoa } from './gaps.ts';
import { groupTerms, taxonomyFor, type Term } from './service.ts';

/**
 * Gaps: where need is high and assets are few. /directory/gaps is public (the directory and the IMD are), but
 * a neighbourhood is only analysed for someone it is shared with. The page is a GET form, so every result has
 * an address to share; CSV and JSON give the same figures.
 */

/** A select's or radio's empty answer means the same as leaving the field out. */
const blank = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema);
const walkValues = walkChoices.map(String) as [string, ...string[]];
const decileValues = decileChoices.map(String) as [string, ...string[]];

const gapQuery = {
  area: blank(z.enum(areaTypes, { message: 'Choose a district, a ward or a neighbourhood' }).optional()).describe('which of lad, ward and neighbourhood to analyse; inferred when only one is given'),
  lad: blank(z.string().trim().max(100, 'The district must be 100 characters or fewer').optional()).describe('a district’s name or GSS code, such as Wigan or E08000010'),
  ward: blank(z.string().trim().max(100, 'The ward must be 100 characters or fewer').optional()).describe('a 2025 ward’s GSS code (or its name, when no other ward has it)'),
  neighbourhood: blank(z.uuid('Choose a neighbourhood from the list').optional()).describe('the id of a neighbourhood shared with the caller'),
  category: z
    .preprocess((v) => (v === undefined ? undefined : [v].flat().filter((c) => c !== '')), z.array(z.string().max(100, 'Choose categories from the list')).max(40, 'Choose at most 40 categories').optional())
    .describe('taxonomy term ids, repeated (each includes the terms beneath it); default community-space'),
  walk: blank(z.enum(walkValues, { message: 'Choose a walking distance: 400, 800, 1,200 or 1,600 metres' }).default('800')).describe('metres, in a straight line'),
  deciles: blank(z.enum(decileValues, { message: 'Choose the most deprived 10%, 20% or 30% of LSOAs' }).default('2')).describe('deprived means in national IMD deciles 1 to this: 1, 2 or 3'),
  table: blank(z.enum(['lsoas', 'wards', 'assets'], { message: 'The table must be lsoas, wards or assets' }).default('lsoas')).describe('for CSV: the LSOAs, the wards, or the records counted'),
};
const pageQuery = z.object({ ...gapQuery, format: blank(z.enum(['html', 'csv'], { message: 'Format must be html or csv' }).default('html')) });
const apiQuery = z.object({ ...gapQuery, format: blank(z.enum(['json', 'csv'], { message: 'Format must be json or csv' }).default('json')) });
type Query = z.infer<typeof pageQuery>;
type Raw = Record<string, unknown>;

/** The area a query names, or why it names none; null when it names none at all (the empty form). */
function areaOf(query: Pick<Query, 'area' | 'lad' | 'ward' | 'neighbourhood'>): GapArea | GapError | null {
  const type = query.area ?? (query.lad ? 'lad' : query.ward ? 'ward' : query.neighbourhood ? 'neighbourhood' : null);
  if (!type) return null;
  if (type === 'lad') return query.lad ? { type, code: query.lad } : new GapError('lad', 'Enter a district’s name or code, such as Wigan or E08000010');
  if (type === 'ward') return query.ward ? { type, code: query.ward } : new GapError('ward', 'Enter a 2025 ward’s code, such as E05000841');
  return query.neighbourhood ? { type, id: query.neighbourhood } : new GapError('neighbourhood', 'Choose a neighbourhood');
}

const optionsOf = (query: Query, area: GapArea, viewer: Viewer) => ({
  area,
  categories: query.category?.length ? query.category : defaultCategories,
  walkMetres: Number(query.walk) as (typeof walkChoices)[number],
  deciles: Number(query.deciles) as (typeof decileChoices)[number],
  viewer,
});

// ---------------------------------------------------------------------------------------------- words

const metres = (n: number) => `${Math.round(n).toLocaleString('en-GB')} m`;
const people = (n: number | null) => (n === null ? null : Math.round(n));
/** A category's name inside a sentence: "Libraries" → "libraries", but "GP surgeries" stays. */
const lowerFirst = (name: string) => (/^[A-Z][a-z]/.test(name) ? name[0]!.toLowerCase() + name.slice(1) : name);
const orList = (names: string[]) => (names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`);
export const decileWords = (d: number) => `the most deprived ${d * 10}%`;
const decileRange = (d: number) => (d === 1 ? 'decile 1' : `deciles 1–${d}`);

/** The page's headline, in the words a coordinator would say it. */
export function summarySentence(a: GapAnalysis): string {
  const what = orList(a.categories.map((c) => lowerFirst(c.name)));
  const t = a.totals;
  if (!t.deprived) return `None of the ${t.lsoas} LSOAs in ${a.area.name} is in ${decileWords(a.deciles)} nationally, so none is a gap by this measure.`;
  const lives = t.gapPeople === null ? '' : `; ${t.gapPeople === 0 ? 'no one lives' : `about ${roundPeople(t.gapPeople).toLocaleString('en-GB')} ${Math.round(t.gapPeople) === 1 ? 'person lives' : 'people live'}`} in them`;
  return `${t.gaps} of the ${t.deprived} LSOA${t.deprived === 1 ? '' : 's'} in ${decileWords(a.deciles)} ${t.deprived === 1 ? 'has' : 'have'} no ${what} within ${metres(a.walkMetres)}${lives}.`;
}
/** People to the nearest 100 above a thousand, to the nearest 10 below: the estimates are not exact. */
const roundPeople = (n: number) => (n >= 1000 ? Math.round(n / 100) * 100 : Math.round(n / 10) * 10);

const statusWords = (l: GapLsoa, walk: number) =>
  l.gap === null ? 'Not known: no boundary to measure from' : l.gap ? `Gap: deprived, nothing within ${metres(walk)}` : l.deprived ? `Deprived, something within ${metres(walk)}` : l.beyondWalk ? `Not deprived, nothing within ${metres(walk)}` : 'Not deprived';
const nearestWords = (l: GapLsoa) => {
  if (!l.nearest) return l.measuredFrom ? 'None anywhere' : 'Not known';
  const names = l.nearest.services.map((s) => s.name);
  return `${names.slice(0, 2).join('; ')}${names.length > 2 ? ` and ${names.length - 2} more` : ''}${l.nearest.inArea ? '' : ' (outside the area)'}`;
};

// ------------------------------------------------------------------------------------------------ CSV

function lsoaCsv(a: GapAnalysis): string {
  return stringify(
    a.lsoas.map((l) => ({
      lsoa21Code: l.code,
      lsoaName: l.name,
      ward25Code: l.ward?.code ?? '',
      wardName: l.ward?.name ?? '',
      share: l.share,
      population: people(l.population),
      populationSource: a.population?.indicatorId ?? '',
      edition: a.edition.id,
      imdRank: l.rank,
      imdDecile: l.decile,
      deprived: l.deprived ? `yes (${decileRange(a.deciles)})` : 'no',
      assetsInLsoa: l.assets,
      assetsPer1000: l.per1000 === null ? null : Number(l.per1000.toFixed(3)),
      nearestMetres: l.nearest ? Math.round(l.nearest.metres) : null,
      nearestRecords: l.nearest ? l.nearest.services.map((s) => s.name).join('; ') : '',
      nearestRecordIds: l.nearest ? l.nearest.services.map((s) => s.id).join(' ') : '',
      nearestOutsideArea: l.nearest ? (l.nearest.inArea ? 'no' : 'yes') : '',
      measuredFrom: l.measuredFrom ?? 'not known',
      walkMetres: a.walkMetres,
      gap: l.gap === null ? 'not known' : l.gap ? 'yes' : 'no',
    })),
    { header: true },
  );
}

function wardCsv(a: GapAnalysis): string {
  return stringify(
    a.wards.map((w) => ({
      ward25Code: w.code ?? '',
      wardName: w.name,
      lsoas: w.lsoas,
      population: people(w.people),
      assets: Number(w.assets.toFixed(3)),
      assetsPer1000: w.per1000 === null ? null : Number(w.per1000.toFixed(3)),
      deprivedLsoas: w.deprived,
      gapLsoas: w.gaps,
      gapPopulation: people(w.gapPeople),
      lsoasBeyondWalk: w.beyondWalk,
      walkMetres: a.walkMetres,
      deciles: decileRange(a.deciles),
    })),
    { header: true },
  );
}

function assetCsv(a: GapAnalysis): string {
  return stringify(
    a.assets.map((s) => ({
      serviceId: s.serviceId,
      name: s.name,
      kind: s.kind,
      categories: s.categories,
      sampleData: s.sample ? 'yes' : 'no',
      locationId: s.locationId,
      locationName: s.locationName ?? '',
      postcode: s.postcode ?? '',
      lsoa21Code: s.lsoa21 ?? '',
      inArea: s.inArea ? 'yes' : 'no',
      nearestToLsoas: s.nearestTo,
      longitude: s.longitude,
      latitude: s.latitude,
    })),
    { header: true },
  );
}

const csvOf = (a: GapAnalysis, table: Query['table']) => (table === 'wards' ? wardCsv(a) : table === 'assets' ? assetCsv(a) : lsoaCsv(a));
const csvName = (a: GapAnalysis, table: Query['table']) =>
  `gaps-${a.area.code ?? `neighbourhood-${a.area.id}`}-${a.categories.map((c) => c.id.replace(/[^a-z0-9-]/gi, '-')).join('+')}-${a.walkMetres}m-deciles1-${a.deciles}-${table}.csv`;

// ------------------------------------------------------------------------------------------------ map

/** Gap, deprived and other LSOAs, by band (1–4) as the map modules colour a page's figures. */
export const gapColours = { gap: '#d4351c', deprived: '#ffdd00', other: '#b1b4b6', unknown: '#ffffff' } as const;

type GapMap = { available: false; reason: string } | { available: true; tiles: string; layer: string; bounds: string; values: string; points: string; link: string; colours: string; pointCount: number };

async function gapMapOf(database: Parameters<typeof tileServiceFor>[0], a: GapAnalysis): Promise<GapMap> {
  const tiles = tileServiceFor(database);
  const layer = await tiles.resolve('lsoa21');
  if (!layer) return { available: false, reason: 'The map appears once the 2021 LSOA boundaries are loaded (on a new installation they load in the background for a few minutes after the first start).' };
  const [box] = await queryRows<{ w: number | null; s: number | null; e: number | null; n: number | null }>(
    database.db,
    sql`select ST_XMin(b) as w, ST_YMin(b) as s, ST_XMax(b) as e, ST_YMax(b) as n from (select ST_Extent(boundary) as b from areas where vintage = 'lsoa21' and code = any(${sql.param(a.lsoas.map((l) => l.code))}::text[])) x`,
  );
  if (!box || box.w === null) return { available: false, reason: 'None of these LSOAs has a boundary loaded yet, so there is nothing to draw.' };
  const band = (l: GapLsoa) => (l.gap === null ? 4 : l.gap ? 1 : l.deprived ? 2 : 3);
  const located = a.assets.filter((s) => s.longitude !== null && s.latitude !== null);
  const byLocation = new Map<string, typeof located>();
  for (const s of located) byLocation.set(s.locationId, [...(byLocation.get(s.locationId) ?? []), s]);
  return {
    available: true,
    tiles: `/tiles/${layer.name}/{z}/{x}/{y}.mvt?v=${encodeURIComponent(await tiles.version(layer))}`,
    layer: layer.name,
    bounds: [Number(box.w) - 0.005, Number(box.s) - 0.005, Number(box.e) + 0.005, Number(box.n) + 0.005].map((b) => b.toFixed(4)).join(','),
    link: `/areas/{code}?edition=${a.edition.id}`,
    colours: [gapColours.gap, gapColours.deprived, gapColours.other, gapColours.unknown].join(','),
    values: inPage({
      areas: Object.fromEntries(
        a.lsoas.map((l) => [l.code, [band(l), `${l.name} (${l.code}): ${statusWords(l, a.walkMetres).toLowerCase()}; IMD decile ${l.decile ?? 'not known'}; nearest ${l.nearest ? `${metres(l.nearest.metres)} away (${nearestWords(l)})` : lowerFirst(nearestWords(l))}`]]),
      ),
      within: {},
    }),
    points: inPage({
      type: 'FeatureCollection',
      features: [...byLocation.values()].map((at) => ({
        type: 'Feature',
        geometry: { type: 'Point', coordinates: [at[0]!.longitude, at[0]!.latitude] },
        properties: { text: `${at.map((s) => s.name + (s.sample ? ' (sample data)' : '')).join('; ')}${at[0]!.postcode ? `, ${at[0]!.postcode}` : ''}${at[0]!.inArea ? '' : ' (outside the area)'}` },
      })),
    }),
    pointCount: byLocation.size,
  };
}

// ---------------------------------------------------------------------------------------------- routes

const lsoaOut = z.object({
  code: z.string(),
  name: z.string(),
  ward: z.object({ code: z.string(), name: z.string() }).nullable().describe('the 2025 ward its centre lies in'),
  share: z.number().describe('the share of the LSOA the area counts: 1 except for a neighbourhood drawn across it'),
  population: z.number().nullable(),
  people: z.number().nullable().describe('population × share'),
  decile: z.number().int().nullable(),
  rank: z.number().int().nullable(),
  assets: z.number().int().describe('counted records with a location in the LSOA'),
  assetIds: z.array(z.string()),
  per1000: z.number().nullable(),
  nearest: z.object({ locationId: z.string(), services: z.array(z.object({ id: z.string(), name: z.string() })), metres: z.number(), inArea: z.boolean() }).nullable(),
  measuredFrom: z.enum(['population-weighted centroid', 'point on surface']).nullable(),
  deprived: z.boolean(),
  gap: z.boolean().nullable(),
  beyondWalk: z.boolean().nullable(),
});
const totalsOut = {
  lsoas: z.number().int(),
  people: z.number().nullable(),
  assets: z.number(),
  per1000: z.number().nullable(),
  deprived: z.number().int(),
  deprivedPeople: z.number().nullable(),
  gaps: z.number().int(),
  gapPeople: z.number().nullable(),
  beyondWalk: z.number().int(),
  beyondWalkPeople: z.number().nullable(),
};
const analysisOut = z.object({
  summary: z.string(),
  area: z.object({ type: z.enum(areaTypes), code: z.string().nullable(), id: z.string().nullable(), name: z.string(), district: z.object({ code: z.string(), name: z.string() }).nullable() }),
  edition: z.object({ id: z.string(), label: z.string(), publishedOn: z.string() }),
  population: z.object({ indicatorId: z.string(), label: z.string(), period: z.string() }).nullable().describe('the population estimate used: the latest for 2021 LSOAs loaded'),
  categories: z.array(z.object({ id: z.string(), name: z.string() })),
  termIds: z.array(z.string()).describe('the categories chosen and every term beneath them'),
  walkMetres: z.number().int(),
  deciles: z.number().int(),
  totals: z.object(totalsOut),
  wards: z.array(z.object({ code: z.string().nullable(), name: z.string(), ...totalsOut })),
  lsoas: z.array(lsoaOut),
  assets: z.array(
    z.object({
      serviceId: z.string(),
      name: z.string(),
      kind: z.string(),
      sample: z.boolean(),
      categories: z.string(),
      locationId: z.string(),
      locationName: z.string().nullable(),
      postcode: z.string().nullable(),
      lsoa21: z.string().nullable(),
      longitude: z.number().nullable(),
      latitude: z.number().nullable(),
      inArea: z.boolean(),
      nearestTo: z.number().int(),
    }),
  ),
  nearestMethod: z.enum(['knn-index', 'all-pairs', 'none']),
  notes: z.array(z.string()),
});

export const gapRoutes: FastifyPluginAsync = async (root) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const db = () => app.database.db;

  /** The map module with asset points, once the asset pipeline serves it; until then the shared choropleth module. */
  const assetPath = app.views.getGlobal('assetPath') as (name: string) => string;
  const gapModule = (() => {
    try {
      return assetPath('gap-map.mjs');
    } catch {
      return null;
    }
  })();

  /** The categories offered: the shipped ones and those of the viewer's organisations, grouped under their top terms. */
  const categoryGroups = async (viewer: Viewer, chosen: string[]) => {
    const terms = new Map<string, Term>();
    for (const t of await taxonomyFor(db(), null)) terms.set(t.id, t);
    for (const organisationId of viewer.organisationIds) for (const t of await taxonomyFor(db(), organisationId)) terms.set(t.id, t);
    // Places first: the default category is one of them.
    const groups = groupTerms([...terms.values()]).sort((x, y) => Number(y.term.id === 'places') - Number(x.term.id === 'places'));
    return groups.map((g, i) => ({
      idPrefix: i === 0 ? 'category' : `category-${g.term.id.replace(/[^a-z0-9-]/gi, '-')}`,
      legend: g.term.name,
      items: [g.term, ...g.children].map((t) => ({ value: t.id, text: t === g.term ? `Any of these (${t.name.toLowerCase()})` : t.name, checked: chosen.includes(t.id) })),
    }));
  };

  const render = async (reply: FastifyReply, viewer: Viewer, raw: Raw, query: Query | null, result: { analysis?: GapAnalysis; errors?: FormErrors; status?: number }) => {
    const text = (field: string) => (typeof raw[field] === 'string' ? (raw[field] as string) : '');
    const chosen = query?.category?.length ? query.category : raw.category === undefined ? defaultCategories : [raw.category].flat().filter((c): c is string => typeof c === 'string');
    const areaType = query?.area ?? (text('area') || (text('ward') ? 'ward' : text('neighbourhood') ? 'neighbourhood' : 'lad'));
    const walk = query?.walk ?? (text('walk') || '800');
    const deciles = query?.deciles ?? (text('deciles') || '2');
    const edition = await latestLsoa21Edition(db());
    const neighbourhoods = await visibleNeighbourhoods(db(), viewer, undefined, edition);
    const a = result.analysis;
    const link = (changes: Record<string, string | undefined>) => {
      const params = new URLSearchParams();
      const base = { area: a?.area.type, lad: a?.area.type === 'lad' ? (a.area.code ?? undefined) : undefined, ward: a?.area.type === 'ward' ? (a.area.code ?? undefined) : undefined, neighbourhood: a?.area.id ?? undefined, walk, deciles, ...changes };
      for (const [k, v] of Object.entries(base)) if (v !== undefined && v !== '') params.set(k, v);
      for (const c of a ? a.categories.map((c) => c.id) : chosen) params.append('category', c);
      return `/directory/gaps?${params}`;
    };
    const map = a ? await gapMapOf(app.database, a) : null;
    const lsoaRows = a
      ? [...a.lsoas].sort((x, y) => Number(y.gap === true) - Number(x.gap === true) || (x.rank ?? Infinity) - (y.rank ?? Infinity) || x.code.localeCompare(y.code))
      : [];
    return reply.page(
      'community-assets/views/gap-page.njk',
      {
        pageTitle: a ? `Gaps in ${a.area.name}: ${orList(a.categories.map((c) => lowerFirst(c.name)))} within ${metres(a.walkMetres)}` : 'Gaps: where need is high and assets are few',
        errors: result.errors,
        values: { lad: text('lad'), ward: text('ward'), neighbourhood: text('neighbourhood') },
        areaType,
        categoryGroups: await categoryGroups(viewer, chosen),
        neighbourhoodItems: [{ value: '', text: neighbourhoods.length ? 'Choose a neighbourhood' : 'No neighbourhoods are shared with you' }, ...neighbourhoods.map((n) => ({ value: n.id, text: `${n.name} (${n.ownerName})`, selected: n.id === text('neighbourhood') }))],
        walkItems: walkChoices.map((w) => ({ value: String(w), text: `${w.toLocaleString('en-GB')} m`, hint: { text: { 400: 'About a 5 to 7 minute walk', 800: 'About a 10 to 15 minute walk', 1200: 'About a 15 to 20 minute walk', 1600: 'About a 20 to 30 minute walk' }[w] }, checked: String(w) === walk })),
        decileItems: decileChoices.map((d) => ({ value: String(d), text: `${decileWords(d)[0]!.toUpperCase()}${decileWords(d).slice(1)} of LSOAs in England (${decileRange(d)})`, checked: String(d) === deciles })),
        analysis: a,
        summary: a ? summarySentence(a) : null,
        decileText: a ? decileWords(a.deciles) : '',
        lsoaRows: lsoaRows.map((l) => ({ ...l, status: statusWords(l, a!.walkMetres), nearestText: nearestWords(l), href: `/areas/${l.code}?edition=${a!.edition.id}` })),
        wardRows: a ? a.wards.map((w) => ({ ...w, href: w.code && a.area.type !== 'ward' ? link({ area: 'ward', ward: w.code, lad: undefined, neighbourhood: undefined }) : null })) : [],
        assetRows: a ? a.assets.map((s) => ({ ...s, where: [s.locationName, s.postcode].filter(Boolean).join(', ') || '–' })) : [],
        categoryWords: a ? orList(a.categories.map((c) => lowerFirst(c.name))) : '',
        csv: a ? { lsoas: link({ format: 'csv' }), wards: link({ format: 'csv', table: 'wards' }), assets: link({ format: 'csv', table: 'assets' }) } : null,
        apiHref: a ? link({}).replace('/directory/gaps', '/api/v1/directory/gaps') : null,
        districtHref: a && a.area.type === 'ward' && a.area.district ? link({ area: 'lad', lad: a.area.district.code, ward: undefined }) : null,
        partial: a ? a.lsoas.some((l) => l.share < 1) : false,
        map,
        gapModule,
        colours: gapColours,
        mapLabel: a ? `Map of ${a.area.name}’s LSOAs: red where deprived and with nothing within ${metres(a.walkMetres)}, yellow where deprived with something within reach, grey otherwise; blue dots are the records counted` : '',
      },
      result.status ?? 200,
    );
  };

  app.get(
    '/directory/gaps',
    { config: { access: access.public, pageCache: true }, schema: { querystring: pageQuery }, attachValidation: true },
    async (request, reply) => {
      const viewer = await viewerOf(db(), request.user);
      const raw = (request.query ?? {}) as Raw;
      if (request.validationError) return render(reply, viewer, raw, null, { errors: formErrors(request.validationError), status: 400 });
      const query = request.query;
      const area = areaOf(query);
      if (area === null) return render(reply, viewer, raw, query, {});
      if (area instanceof GapError) return render(reply, viewer, raw, query, { errors: fieldError(area.field, area.message), status: area.status });
      let analysis: GapAnalysis;
      try {
        analysis = await gapAnalysis(db(), optionsOf(query, area, viewer));
      } catch (error) {
        if (!(error instanceof GapError)) throw error;
        return render(reply, viewer, raw, query, { errors: fieldError(error.field, error.message), status: error.status });
      }
      if (query.format === 'csv') return sendCsv(reply, csvName(analysis, query.table), csvOf(analysis, query.table));
      return render(reply, viewer, raw, query, { analysis });
    },
  );

  app.get(
    '/api/v1/directory/gaps',
    {
      config: { access: access.public },
      schema: {
        tags: ['community-assets'],
        summary:
          'Gaps for a district, a 2025 ward or a neighbourhood shared with the caller: every 2021 LSOA with its people, IMD decile (the latest edition on 2021 LSOAs), records of the categories in it and per 1,000 people, the straight-line distance to the nearest such record anywhere, and whether it is a gap (deprived, nothing within the distance); wards rolled up. CSV gives the LSOAs (table=wards or assets for the others).',
        querystring: apiQuery,
        response: { 200: analysisOut, 400: problem, 404: problem },
      },
    },
    async (request, reply) => {
      const query = request.query as unknown as Query;
      const area = areaOf(query);
      if (area === null) return problemFor(request, reply, 400, 'No area', 'Name a district (lad=E08000010 or lad=Wigan), a 2025 ward (ward=E05…) or a neighbourhood (neighbourhood=its id).');
      if (area instanceof GapError) return problemFor(request, reply, area.status, 'No area', area.message);
      try {
        const analysis = await gapAnalysis(db(), optionsOf(query, area, await viewerOf(db(), request.user)));
        if (request.query.format === 'csv') return sendCsv(reply, csvName(analysis, query.table), csvOf(analysis, query.table));
        return { summary: summarySentence(analysis), ...analysis };
      } catch (error) {
        if (!(error instanceof GapError)) throw error;
        return problemFor(request, reply, error.status, error.status === 404 ? 'Not found' : 'The request is not valid', error.message);
      }
    },
  );
};
