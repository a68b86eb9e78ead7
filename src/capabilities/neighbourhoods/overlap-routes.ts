import { stringify } from 'csv-stringify/sync';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access, viewerOf, type Viewer } from '../../platform/auth/permissions.ts';
import type { Db } from '../../platform/db/database.ts';
import type { FormErrors } from '../../platform/web/forms.ts';
import { problem, problemFor, sendCsv, wantsCsv } from '../indicators/routes.ts';
import { valuesMapView, type MapValue, type MapView } from '../maps/view.ts';
import { lowerFirst, overlapGeographies, overlapMatrix, OverlapError, parseGeographyRef, type GeographyRef, type OverlapCell, type OverlapMatrix, type OverlapUnit } from './overlap.ts';
import { visibleLayers } from './layers.ts';
import { visibleNeighbourhoods } from './service.ts';

/**
 * Reconciling footprints (issue 5): the overlap of two geographies or definitions as a matrix (or a long
 * table of pairs when one side has many units), a map and CSV, and the same as JSON or CSV in the API.
 */

/** The most columns the matrix layout shows by default, and at all; beyond, pairs are listed instead. */
const autoColumns = 8;
const maxColumns = 30;
/** The most LSOAs drawn on the map (a district has at most about 640). */
const maxMapLsoas = 2500;

const choice = z.string().trim().max(60, 'Choose a geography from the list').optional();
const ladText = z.string().trim().max(20, 'Enter a district code such as E08000035').optional();
const pageQuery = z.object({
  a: choice.describe('ward19, ward24, ward25, lad19, lad24, ccg20, lsoa11, lsoa21, neighbourhood:<id> or layer:<id>'),
  b: choice,
  lad: ladText,
  layout: z.enum(['auto', 'matrix', 'pairs'], { message: 'Layout must be auto, matrix or pairs' }).default('auto'),
  format: z.enum(['html', 'csv'], { message: 'Format must be html or csv' }).default('html'),
});
type PageQuery = z.infer<typeof pageQuery>;

const pct = (share: number | null) => {
  if (share === null) return '–';
  if (share > 0 && share < 0.0005) return 'under 0.1%';
  return `${(share * 100).toLocaleString('en-GB', { maximumFractionDigits: 1 })}%`;
};
const people = (n: number | null) => (n === null ? '–' : Math.round(n).toLocaleString('en-GB'));
/** “1 person”, “2,162 people”, “under 1 person” for a sliver. */
const peopleText = (n: number) => (n > 0 && n < 0.5 ? 'under 1 person' : Math.round(n) === 1 ? '1 person' : `${people(n)} people`);
const km2 = (n: number | null) => (n === null ? '–' : n.toLocaleString('en-GB', { minimumFractionDigits: 2, maximumFractionDigits: 2 }));
const article = (unit: string) => (/^(LSOA|[aeiou])/.test(unit) ? 'an' : 'a');
const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const round = (n: number | null, digits: number) => (n === null ? null : Number(n.toFixed(digits)));

const csvColumns = ['aGeography', 'aCode', 'aName', 'bGeography', 'bCode', 'bName', 'population', 'populationShareOfA', 'populationShareOfB', 'areaSqKm', 'areaShareOfA', 'areaShareOfB', 'lsoaVintage', 'populationSource', 'district'];

/** The non-empty pairs, one row each: what the long table shows, and the CSV. */
function pairs(matrix: OverlapMatrix) {
  const unitA = new Map(matrix.a.units.map((u) => [u.code, u]));
  const unitB = new Map(matrix.b.units.map((u) => [u.code, u]));
  return matrix.cells.map((c) => ({ cell: c, a: unitA.get(c.a)!, b: unitB.get(c.b)! }));
}

export function overlapCsv(matrix: OverlapMatrix): string {
  return stringify(
    pairs(matrix).map(({ cell, a, b }) => ({
      aGeography: matrix.a.value,
      aCode: a.code,
      aName: a.name,
      bGeography: matrix.b.value,
      bCode: b.code,
      bName: b.name,
      population: round(cell.population, 2),
      populationShareOfA: round(cell.shareOfA, 6),
      populationShareOfB: round(cell.shareOfB, 6),
      areaSqKm: round(cell.areaSqKm, 4),
      areaShareOfA: round(cell.areaShareOfA, 6),
      areaShareOfB: round(cell.areaShareOfB, 6),
      lsoaVintage: matrix.lsoaVintage,
      populationSource: matrix.population?.indicatorId ?? null,
      district: matrix.district?.code ?? null,
    })),
    { header: true, columns: csvColumns },
  );
}

const fileName = (a: string, b: string, lad: string | undefined) => `overlap-${a}-${b}-${lad ?? 'england'}.csv`.replace(/[^A-Za-z0-9._-]/g, '-');

/** The choices of the form's two selects: the statutory geographies, then the layers and neighbourhoods this viewer may see. */
async function geographyItems(db: Db, viewer: Viewer) {
  const neighbourhoods = await visibleNeighbourhoods(db, viewer, undefined, null);
  const layers = await visibleLayers(db, viewer);
  return (selected: string | undefined) => [
    { value: '', text: 'Choose', selected: !selected },
    ...Object.entries(overlapGeographies).map(([value, g]) => ({ value, text: g.label, selected: value === selected })),
    ...(layers.length ? [{ value: '', text: '— Layers of areas shared with you —', disabled: true }] : []),
    ...layers.map((l) => ({ value: `layer:${l.id}`, text: `${l.name} (${l.ownerName}, ${l.areas.toLocaleString('en-GB')} ${l.areas === 1 ? 'area' : 'areas'})`, selected: `layer:${l.id}` === selected })),
    ...(neighbourhoods.length ? [{ value: '', text: '— Neighbourhoods shared with you —', disabled: true }] : []),
    ...neighbourhoods.map((n) => ({ value: `neighbourhood:${n.id}`, text: `${n.name} (${n.ownerName})`, selected: `neighbourhood:${n.id}` === selected })),
  ];
}

/**
 * The LSOAs of the comparison, each coloured by how well the pair it mostly falls in nests: the larger of the
 * pair's share of its A unit's people and of its B unit's. 100% means one lies wholly in the other (a ward in
 * its CCG, an LSOA in its ward); a small share marks a sliver, where the two footprints disagree.
 */
async function overlapMap(database: Parameters<typeof valuesMapView>[0], matrix: OverlapMatrix): Promise<MapView> {
  if (!matrix.district && matrix.lsoas.length > maxMapLsoas) return { available: false, reason: 'The map is drawn for one district at a time: enter a district code to see it.' };
  const cells = new Map(matrix.cells.map((c) => [`${c.a}\u0000${c.b}`, c]));
  const nameA = new Map(matrix.a.units.map((u) => [u.code, u.name]));
  const nameB = new Map(matrix.b.units.map((u) => [u.code, u.name]));
  const values = new Map<string, MapValue>();
  for (const l of matrix.lsoas) {
    const cell = l.a && l.b ? cells.get(`${l.a}\u0000${l.b}`) : undefined;
    const where = `${l.name} (${l.code})`;
    const byPeople = cell?.shareOfA != null && cell.shareOfB != null;
    const [ofA, ofB] = byPeople ? [cell!.shareOfA, cell!.shareOfB] : [cell?.areaShareOfA ?? null, cell?.areaShareOfB ?? null];
    if (!cell || ofA === null || ofB === null) {
      values.set(l.code, { band: null, text: `${where}: ${l.a ? `in ${nameA.get(l.a)}` : `in no ${matrix.a.unit}`}, ${l.b ? `in ${nameB.get(l.b)}` : `in no ${matrix.b.unit}`}` });
      continue;
    }
    const what = byPeople ? 'people' : 'area';
    values.set(l.code, {
      band: Math.min(10, Math.max(1, Math.ceil(Math.max(ofA, ofB) * 10))),
      text: `${where}: mostly in ${nameA.get(l.a!)} and ${nameB.get(l.b!)}; the two share ${pct(ofA)} of the ${what} of ${nameA.get(l.a!)} and ${pct(ofB)} of the ${what} of ${nameB.get(l.b!)}`,
    });
  }
  const edition = matrix.population?.editionId;
  return valuesMapView(database, matrix.lsoaVintage, values, {
    lsoaVintage: matrix.lsoaVintage,
    link: edition ? `/areas/{code}?edition=${edition}` : '/areas/{code}',
    legendTitle: 'how much of the smaller area the pair shares',
    worst: 'under 10% (a sliver)',
    best: '90% or more (one lies in the other)',
  });
}

/** What was compared, in words, for the summary list above the table. */
function glance(matrix: OverlapMatrix) {
  const row = (key: string, value: string) => ({ key: { text: key }, value: { text: value } });
  const count = (s: OverlapMatrix['a']) => `${s.label}: ${s.units.length.toLocaleString('en-GB')} ${s.unit}${s.units.length === 1 ? '' : 's'}. ${s.method}`;
  const amount = (p: number | null, a: number | null) => [p === null ? null : `${people(p)} people`, a === null ? null : `${km2(a)} km²`].filter(Boolean).join(' and ') || 'nothing known';
  const lsoaWords = matrix.lsoaVintage === 'lsoa11' ? '2011 LSOAs' : '2021 LSOAs';
  return [
    row('Rows', count(matrix.a)),
    row('Columns', count(matrix.b)),
    row('LSOAs compared', `${matrix.scope.lsoas.toLocaleString('en-GB')} ${lsoaWords}${matrix.district ? ` in ${matrix.district.name} (${matrix.district.code})` : matrix.a.ref.kind === 'neighbourhood' || matrix.b.ref.kind === 'neighbourhood' ? ' touching the neighbourhood' : matrix.a.ref.kind === 'layer' || matrix.b.ref.kind === 'layer' ? ' touching the layer’s areas' : ' in England'}, in whole: ${amount(matrix.scope.population, matrix.scope.areaSqKm)}`),
    row('In the pairs', amount(matrix.total.population, matrix.total.areaSqKm)),
    row('People', matrix.population ? `${matrix.population.label} (${matrix.population.indicatorId})` : 'No population figures are loaded for these LSOAs'),
  ];
}

type Layout = 'matrix' | 'pairs';
function layoutOf(matrix: OverlapMatrix, asked: PageQuery['layout']): { layout: Layout; note: string | null } {
  const columns = matrix.b.units.length;
  if (asked === 'pairs') return { layout: 'pairs', note: null };
  if (asked === 'matrix' && columns > maxColumns) return { layout: 'pairs', note: `${columns} columns are too many for a matrix, so the pairs that overlap are listed instead.` };
  if (asked === 'matrix' || columns <= autoColumns) return { layout: 'matrix', note: null };
  return { layout: 'pairs', note: `With ${columns.toLocaleString('en-GB')} ${matrix.b.unit}s as columns, the pairs that overlap are listed instead of a matrix.` };
}

function matrixRows(matrix: OverlapMatrix) {
  const cells = new Map(matrix.cells.map((c) => [`${c.a}\u0000${c.b}`, c]));
  const cellText = (c: OverlapCell | undefined, a: OverlapUnit, b: OverlapUnit) => {
    if (!c) return { empty: true, main: '–', detail: '', label: `${a.name} and ${b.name}: no overlap` };
    const main = c.population === null ? `${km2(c.areaSqKm)} km²` : peopleText(c.population);
    const detail = c.population === null ? `${pct(c.areaShareOfA)} of ${a.name}, ${pct(c.areaShareOfB)} of ${b.name}` : `${pct(c.shareOfA)} of ${a.name}, ${pct(c.shareOfB)} of ${b.name}`;
    return { empty: false, main, detail, label: '' };
  };
  return matrix.a.units.map((a) => ({ unit: a, cells: matrix.b.units.map((b) => cellText(cells.get(`${a.code}\u0000${b.code}`), a, b)) }));
}

function pairRows(matrix: OverlapMatrix) {
  return pairs(matrix).map(({ cell, a, b }) => ({
    a,
    b,
    people: people(cell.population),
    shareOfA: pct(cell.shareOfA),
    shareOfB: pct(cell.shareOfB),
    area: km2(cell.areaSqKm),
    areaShareOfA: pct(cell.areaShareOfA),
    areaShareOfB: pct(cell.areaShareOfB),
  }));
}

const unitSchema = z.object({
  code: z.string().describe('GSS code, or the neighbourhood’s id (for a layer, each area’s)'),
  name: z.string(),
  population: z.number().nullable().describe('The whole unit’s people (each LSOA counted by its weight), wherever they live'),
  areaSqKm: z.number().nullable().describe('The whole unit’s area; null when some of its LSOA boundaries are not loaded'),
  populationInScope: z.number().nullable().describe('Its people inside the district asked about (all of them when none was)'),
  areaSqKmInScope: z.number().nullable(),
  lsoasInScope: z.number().int(),
});
const sideSchema = z.object({ geography: z.string(), label: z.string(), unit: z.string(), method: z.string(), units: z.array(unitSchema) });
const overlapSchema = z.object({
  a: sideSchema,
  b: sideSchema,
  district: z.object({ code: z.string(), name: z.string() }).nullable(),
  lsoaVintage: z.enum(['lsoa11', 'lsoa21']).describe('The LSOA geography both sides were expressed on'),
  population: z.object({ indicatorId: z.string(), label: z.string(), period: z.string(), editionId: z.string().nullable() }).nullable().describe('Where the LSOAs’ people come from'),
  cells: z.array(
    z.object({
      a: z.string(),
      b: z.string(),
      population: z.number().nullable(),
      shareOfA: z.number().nullable().describe('The share of unit a’s people in this pair'),
      shareOfB: z.number().nullable(),
      areaSqKm: z.number().nullable(),
      areaShareOfA: z.number().nullable(),
      areaShareOfB: z.number().nullable(),
    }),
  ),
  total: z.object({ population: z.number().nullable(), areaSqKm: z.number().nullable() }),
  scope: z.object({ lsoas: z.number().int(), population: z.number().nullable(), areaSqKm: z.number().nullable(), lsoasWithoutPopulation: z.number().int(), lsoasWithoutBoundary: z.number().int() }),
  notes: z.array(z.string()),
});

const side = (s: OverlapMatrix['a']) => ({ geography: s.value, label: s.label, unit: s.unit, method: s.method, units: s.units });

/** Parses both sides, naming the one that is not a geography. */
function readRefs(a: string | undefined, b: string | undefined): { refs: [GeographyRef, GeographyRef] } | { field: 'a' | 'b'; message: string } {
  const refA = parseGeographyRef(a);
  const refB = parseGeographyRef(b);
  const known = `${Object.keys(overlapGeographies).join(', ')}, neighbourhood:<id> or layer:<id>`;
  if (!a) return { field: 'a', message: 'Choose the first geography' };
  if (!refA) return { field: 'a', message: `“${a}” is not a geography Patchwork can compare: choose ${known}` };
  if (!b) return { field: 'b', message: 'Choose the second geography' };
  if (!refB) return { field: 'b', message: `“${b}” is not a geography Patchwork can compare: choose ${known}` };
  return { refs: [refA, refB] };
}

export const overlapRoutes: FastifyPluginAsync = async (root) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const db = () => app.database.db;

  app.get('/neighbourhoods/overlap', { config: { access: access.public }, schema: { querystring: pageQuery } }, async (request, reply) => {
    const query = request.query;
    const viewer = await viewerOf(db(), request.user);
    const items = await geographyItems(db(), viewer);
    const lad = query.lad?.toUpperCase() || undefined;
    const base = {
      pageTitle: 'Compare footprints',
      aItems: items(query.a),
      bItems: items(query.b),
      lad: lad ?? '',
      layout: query.layout,
    };
    if (!query.a && !query.b) return reply.page('neighbourhoods/views/overlap.njk', base);

    const fail = (field: string, message: string, status: number) => {
      const errors: FormErrors = { summary: [{ text: message, href: `#${field}` }], fields: { [field]: { text: message } } };
      return reply.page('neighbourhoods/views/overlap.njk', { ...base, errors }, status);
    };
    const parsed = readRefs(query.a, query.b);
    if ('field' in parsed) return fail(parsed.field, parsed.message, 400);
    let matrix: OverlapMatrix;
    try {
      matrix = await overlapMatrix(db(), viewer, parsed.refs[0], parsed.refs[1], { lad });
    } catch (error) {
      if (!(error instanceof OverlapError)) throw error;
      return fail(error.field, error.message, error.status);
    }
    if (query.format === 'csv') return sendCsv(reply, fileName(matrix.a.value, matrix.b.value, matrix.district?.code), overlapCsv(matrix));

    const { layout, note } = layoutOf(matrix, query.layout);
    const params = new URLSearchParams({ a: matrix.a.value, b: matrix.b.value, ...(matrix.district ? { lad: matrix.district.code } : {}) });
    const where = matrix.district ? ` in ${matrix.district.name}` : '';
    return reply.page('neighbourhoods/views/overlap.njk', {
      ...base,
      pageTitle: `${matrix.a.label} and ${matrix.b.ref.kind === 'areas' ? lowerFirst(matrix.b.label) : matrix.b.label}${where}`,
      matrix,
      layout,
      layoutNote: note,
      headA: capital(matrix.a.unit),
      headB: capital(matrix.b.unit),
      otherLayout: layout === 'matrix' ? null : matrix.b.units.length <= maxColumns ? `/neighbourhoods/overlap?${params}&layout=matrix` : null,
      pairsHref: layout === 'matrix' ? `/neighbourhoods/overlap?${params}&layout=pairs` : null,
      rows: layout === 'matrix' ? matrixRows(matrix) : [],
      pairRows: layout === 'pairs' ? pairRows(matrix) : [],
      caption: `People${matrix.population ? '' : ' (not known: areas only)'} in each ${matrix.a.unit} (rows) and ${matrix.b.unit} (columns)${where}`,
      pairsCaption: `${matrix.cells.length.toLocaleString('en-GB')} pairs of ${article(matrix.a.unit)} ${matrix.a.unit} and ${article(matrix.b.unit)} ${matrix.b.unit} that overlap${where}`,
      csvHref: `/neighbourhoods/overlap?${params}&format=csv`,
      apiHref: `/api/v1/overlap?${params}`,
      glance: glance(matrix),
      fmt: { people, km2, pct },
      map: await overlapMap(app.database, matrix),
      mapLabel: `Map of the LSOAs compared${where}, each coloured by how much of the smaller of its ${matrix.a.unit} and its ${matrix.b.unit} the two share`,
    });
  });

  app.get(
    '/api/v1/overlap',
    {
      config: { access: access.public },
      schema: {
        tags: ['neighbourhoods'],
        summary:
          'How the units of two geographies or definitions overlap, by people and by area: wards, districts, CCGs, 2011 or 2021 LSOAs, a neighbourhood or a layer of areas (such as PCN footprints) shared with the caller; within one district (lad) when either side is finer than districts and CCGs. JSON, or CSV of the pairs that overlap',
        querystring: z.object({
          a: z.string({ message: 'a is required: ward19, ward24, ward25, lad19, lad24, ccg20, lsoa11, lsoa21, neighbourhood:<id> or layer:<id>' }).trim().max(60).describe('ward19, ward24, ward25, lad19, lad24, ccg20, lsoa11, lsoa21, neighbourhood:<id> or layer:<id>'),
          b: z.string({ message: 'b is required: ward19, ward24, ward25, lad19, lad24, ccg20, lsoa11, lsoa21, neighbourhood:<id> or layer:<id>' }).trim().max(60).describe('The other geography, as a'),
          lad: ladText.describe('A district code (E06–E09…): compare only the LSOAs of that district'),
          format: z.enum(['json', 'csv']).optional(),
        }),
        response: { 200: overlapSchema, 400: problem, 404: problem },
      },
    },
    async (request, reply) => {
      const { a, b, format } = request.query;
      const parsed = readRefs(a, b);
      if ('field' in parsed) return problemFor(request, reply, 400, 'Unknown geography', parsed.message);
      let matrix: OverlapMatrix;
      try {
        matrix = await overlapMatrix(db(), await viewerOf(db(), request.user), parsed.refs[0], parsed.refs[1], { lad: request.query.lad?.toUpperCase() || undefined });
      } catch (error) {
        if (!(error instanceof OverlapError)) throw error;
        const title = error.status === 404 ? 'Not found' : error.field === 'lad' ? 'District needed or not valid' : 'Not a geography that can be compared';
        return problemFor(request, reply, error.status, title, error.message);
      }
      if (wantsCsv(request, format)) return sendCsv(reply, fileName(matrix.a.value, matrix.b.value, matrix.district?.code), overlapCsv(matrix));
      const { lsoas: _lsoas, ...rest } = matrix;
      return { ...rest, a: side(matrix.a), b: side(matrix.b) };
    },
  );
};
