import { stringify } from 'csv-stringify/sync';
import { sql } from 'drizzle-orm';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { inPage } from '../maps/view.ts';
import { access, viewerOf } from '../../platform/auth/permissions.ts';
import { queryRows, type Db } from '../../platform/db/database.ts';
import { formProblems, type FormErrors } from '../../platform/web/forms.ts';
import { problemFor, sendCsv } from '../indicators/routes.ts';
import { tileServiceFor } from '../maps/tiles.ts';
import { assetKinds, directoryTaxonomyTerms, type AssetKind } from './schema.ts';
import {
  defaultMetres,
  distanceChoices,
  distanceText,
  findPlace,
  pageSize,
  placeKind,
  searchServices,
  timesOfDay,
  type Distance,
  type Place,
  type PlaceArea,
  type SearchFilters,
  type SearchResult,
  type SearchRow,
  type TimeOfDay,
} from './search.ts';
import { dayCodes, dayName, groupTerms, type DayCode, type Term } from './service.ts';

/**
 * Finding assets: /directory, a GET form that works without JavaScript (words, a postcode or place, how far,
 * categories, day and time, free, accessible, kind), the results as a numbered list with a map of the same
 * page beside it, a CSV of every result, and the page's results as GeoJSON at /directory/results.geojson.
 */

type Query = Record<string, unknown>;
const text = (query: Query, field: string) => {
  const v = query[field];
  return typeof v === 'string' ? v.trim() : Array.isArray(v) && typeof v[0] === 'string' ? (v[0] as string).trim() : '';
};
const list = (query: Query, field: string) => [query[field]].flat().filter((v): v is string => typeof v === 'string' && v.trim() !== '').map((v) => v.trim());

const distanceValue = (d: Distance) => (d === null ? 'any' : String(d));
const distanceLabel: Record<string, string> = {
  '800': 'Within 800 m (10-minute walk)',
  '1600': 'Within 1.6 km (1 mile)',
  '5000': 'Within 5 km (3 miles)',
  any: 'Any distance (nearest first)',
};
const kindLabel: Record<AssetKind, string> = { place: 'Place', activity: 'Group or activity' };
/** England with a margin, for positions from a browser. */
const england = { latitude: [49.8, 55.9], longitude: [-6.5, 1.8] } as const;
/** Enough for a district's whole directory in one file, and a bound on the work one request may ask for. */
const csvLimit = 50_000;

/** A search as asked in the address, read and checked; the form's values as typed, for showing it again. */
type Asked = {
  values: Record<string, string | string[]>;
  filters: SearchFilters;
  page: number;
  place: Place | null;
  choices: PlaceArea[] | null;
  moreChoices: boolean;
  errors: FormErrors | null;
  /** The address's query string for this search (without page or format), for paging, CSV and GeoJSON links. */
  query: URLSearchParams;
};

async function readSearch(db: Db, query: Query, terms: Term[]): Promise<Asked> {
  const { errors, fail } = formProblems();
  const values: Asked['values'] = {
    q: text(query, 'q'),
    where: text(query, 'where'),
    area: text(query, 'area'),
    lat: text(query, 'lat'),
    lon: text(query, 'lon'),
    distance: text(query, 'distance') || distanceValue(defaultMetres),
    category: list(query, 'category'),
    day: text(query, 'day'),
    time: text(query, 'time'),
    at: text(query, 'at'),
    free: text(query, 'free'),
    accessible: text(query, 'accessible'),
    kind: text(query, 'kind'),
  };
  const filters: SearchFilters = {};
  const words = values.q as string;
  if (words.length > 200) fail('q', 'Words to search for must be 200 characters or fewer');
  else filters.words = words || null;

  const distance = distanceChoices.find((d) => distanceValue(d) === values.distance);
  if (distance === undefined) fail('distance', 'Choose how far from the list');

  const known = new Set(terms.map((t) => t.id));
  const categories = values.category as string[];
  if (categories.some((c) => !known.has(c))) fail('category', 'Choose categories from the list');
  else filters.categories = categories;

  const day = values.day as string;
  if (day && !(dayCodes as string[]).includes(day)) fail('day', 'Choose a day from the list');
  else filters.day = (day || null) as DayCode | null;

  // A part of the day, or a time it must be on at; not both. (A separate box rather than a revealed one: the
  // reveal's aria-expanded on a radio is not an attribute radios may have.)
  const time = values.time as string;
  const atText = values.at as string;
  if (time && !(time in timesOfDay)) fail('time', 'Choose a time of day from the list');
  else if (time && atText) fail('at', 'Choose a time of day or enter a time it should be on at, not both');
  else if (atText) {
    // "18:30", "9:30" and "18.30" are all times people write.
    const match = /^(\d{1,2})[:.](\d{2})$/.exec(atText);
    const hh = match ? Number(match[1]) : NaN;
    const mm = match ? Number(match[2]) : NaN;
    if (!match || hh > 23 || mm > 59) fail('at', 'Enter a time on the 24-hour clock, like 09:30 or 18:30');
    else filters.time = { at: `${String(hh).padStart(2, '0')}:${String(mm).padStart(2, '0')}` };
  } else filters.time = (time || null) as TimeOfDay | null;

  filters.free = values.free === 'yes';
  filters.accessible = values.accessible === 'yes';
  const kind = values.kind as string;
  if (kind && !(assetKinds as readonly string[]).includes(kind)) fail('kind', 'Choose places, groups and activities, or both');
  else filters.kind = (kind || null) as AssetKind | null;

  const pageText = text(query, 'page');
  const page = pageText ? Number(pageText) : 1;
  if (!Number.isInteger(page) || page < 1 || page > 100_000) fail('page', 'The page must be a whole number, 1 or more');

  // Where: typed words come first; the browser's position ("use my location") only when nothing is typed.
  let place: Place | null = null;
  let choices: PlaceArea[] | null = null;
  let moreChoices = false;
  const where = values.where as string;
  if (where) {
    const found = await findPlace(db, where, (values.area as string) || null);
    if (found.status === 'unknown') fail('where', found.message);
    else if (found.status === 'choose') {
      choices = found.choices;
      moreChoices = found.more;
    } else place = found.place;
  } else if (values.lat || values.lon) {
    const latitude = Number(values.lat);
    const longitude = Number(values.lon);
    const inEngland = latitude >= england.latitude[0] && latitude <= england.latitude[1] && longitude >= england.longitude[0] && longitude <= england.longitude[1];
    if (!values.lat || !values.lon || !Number.isFinite(latitude) || !Number.isFinite(longitude)) fail('where', 'Your location could not be read: enter your postcode instead');
    else if (!inEngland) fail('where', 'Your location is outside England, where Patchwork’s directory is: enter a postcode instead');
    else place = { label: 'your location', longitude, latitude, postcode: null, area: null, note: null };
  }
  if (place && distance !== undefined) filters.near = { longitude: place.longitude, latitude: place.latitude, metres: distance, area: place.area };

  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) {
    for (const v of [value].flat()) if (v && !(key === 'distance' && v === distanceValue(defaultMetres))) params.append(key, v);
  }
  // The chosen area is kept only while it names what was typed.
  if (place?.area) params.set('area', `${place.area.vintage}:${place.area.code}`);
  else params.delete('area');
  if (!place || place.area || place.postcode) {
    params.delete('lat');
    params.delete('lon');
  }
  return { values, filters, page: Number.isInteger(page) && page >= 1 ? page : 1, place, choices, moreChoices, errors: errors.summary.length ? errors : null, query: params };
}

const placeText = (area: PlaceArea) => `${area.name} (${placeKind[area.vintage]}${area.district && area.district !== area.name ? ` in ${area.district}` : ''})`;

/** The search in words, for the results heading: "within 1.6 km of WN5 9AA, for “lunch club”, on Tuesdays". */
function describeSearch(asked: Asked, terms: Term[]): { where: string | null; filters: string[] } {
  const { filters, place } = asked;
  let where: string | null = null;
  if (place && filters.near) {
    const name = place.area ? placeText(place.area) : place.label;
    where = filters.near.metres === null ? `nearest to ${name}` : place.area ? `in or within ${distanceText(filters.near.metres)} of ${name}` : `within ${distanceText(filters.near.metres)} of ${name}`;
  }
  const parts: string[] = [];
  if (filters.words) parts.push(`matching “${filters.words}”`);
  const names = (filters.categories ?? []).map((id) => terms.find((t) => t.id === id)?.name ?? id);
  if (names.length) parts.push(`in ${names.join(' or ')}`);
  if (filters.kind) parts.push(filters.kind === 'place' ? 'places only' : 'groups and activities only');
  if (filters.day) parts.push(`on ${dayName(filters.day)}s`);
  if (filters.time) parts.push(typeof filters.time === 'object' ? `on at ${filters.time.at}` : `in the ${filters.time}`);
  if (filters.free) parts.push('free');
  if (filters.accessible) parts.push('wheelchair accessible');
  return { where, filters: parts };
}

const whereText = (row: SearchRow) => {
  const l = row.location;
  if (!l) return row.kind === 'activity' ? 'No fixed place (online, by phone or at people’s homes)' : null;
  const parts = [l.name && l.name !== row.name ? l.name : null, l.address1, l.city, l.postcode].filter(Boolean);
  const more = row.locationCount > 1 ? ` and ${row.locationCount - 1} other place${row.locationCount > 2 ? 's' : ''}` : '';
  return parts.length ? `${parts.join(', ')}${more}` : null;
};
const costText = (row: SearchRow) => (row.free === true ? 'Free' : row.free === false ? (row.fees ? `Costs: ${row.fees}` : 'There is a charge') : null);
const accessText = (row: SearchRow) => (row.wheelchairAccessible === true ? 'Wheelchair accessible' : row.wheelchairAccessible === false ? 'Not wheelchair accessible' : null);
const servicePath = (id: string) => `/directory/services/${id}`;

/** The page's results as GeoJSON points, numbered as the list is; those with no place are left out. */
function resultsGeoJson(result: SearchResult) {
  const first = (result.page - 1) * result.size;
  return {
    type: 'FeatureCollection' as const,
    features: result.rows.flatMap((row, i) =>
      row.location?.longitude != null && row.location.latitude != null
        ? [
            {
              type: 'Feature' as const,
              geometry: { type: 'Point' as const, coordinates: [row.location.longitude, row.location.latitude] },
              properties: {
                position: first + i + 1,
                id: row.id,
                name: row.name,
                url: servicePath(row.id),
                kind: row.kind,
                where: whereText(row),
                distance: row.metres === null ? null : distanceText(row.metres),
                metres: row.metres,
                sample: row.sample,
              },
            },
          ]
        : [],
    ),
  };
}

/** JSON to sit in a <script type="application/json"> element: no "<" may close it early. */

const csvColumns = ['id', 'name', 'kind', 'organisation', 'categories', 'location', 'address', 'town', 'postcode', 'longitude', 'latitude', 'metres', 'when', 'free', 'fees', 'wheelchairAccessible', 'lastChecked', 'sample', 'page'];

export const searchRoutes: FastifyPluginAsync = async (root) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const db = () => app.database.db;
  const tiles = tileServiceFor(app.database);
  const searchQuery = z.record(z.string(), z.unknown());

  // The page works without its script; it is served once the asset pipeline knows the file.
  const assetPath = app.views.getGlobal('assetPath') as (name: string) => string;
  const mapScript = (() => {
    try {
      return assetPath('directory-map.mjs');
    } catch {
      return null;
    }
  })();

  /** Every category, so a link naming an organisation's own category works; the form offers the shipped ones. */
  const terms = () => db().select().from(directoryTaxonomyTerms).orderBy(directoryTaxonomyTerms.name) as Promise<Term[]>;

  async function partnerLinks(request: FastifyRequest) {
    const viewer = await viewerOf(db(), request.user);
    if (!viewer.organisationIds.length) return [];
    return queryRows<{ slug: string; name: string }>(db(), sql`select slug, name from organisations where id in (${sql.join(viewer.organisationIds.map((id) => sql`${id}::uuid`), sql`, `)}) order by name`);
  }

  async function mapOf(result: SearchResult, asked: Asked) {
    const points = resultsGeoJson(result);
    if (!points.features.length) return null;
    const centre = asked.place && asked.filters.near ? { coordinates: [asked.place.longitude, asked.place.latitude], metres: asked.filters.near.metres } : null;
    const xs = [...points.features.map((f) => f.geometry.coordinates[0]!), ...(centre ? [centre.coordinates[0]!] : [])];
    const ys = [...points.features.map((f) => f.geometry.coordinates[1]!), ...(centre ? [centre.coordinates[1]!] : [])];
    // The whole circle searched in view, when there is one, and a little room round the points.
    if (centre?.metres) {
      const [lon, lat] = centre.coordinates as [number, number];
      const dLat = centre.metres / 110_574;
      const dLon = centre.metres / (111_320 * Math.cos((lat * Math.PI) / 180));
      xs.push(lon - dLon, lon + dLon);
      ys.push(lat - dLat, lat + dLat);
    }
    const pad = Math.max(0.004, (Math.max(...xs) - Math.min(...xs)) * 0.03);
    const bounds = [Math.min(...xs) - pad, Math.min(...ys) - pad / 1.6, Math.max(...xs) + pad, Math.max(...ys) + pad / 1.6];
    const outlines = await tiles.resolve('ward25');
    return {
      bounds: bounds.map((b) => b.toFixed(5)).join(','),
      tiles: outlines ? `/tiles/ward25/{z}/{x}/{y}.mvt?v=${encodeURIComponent(await tiles.version(outlines))}` : null,
      layer: 'ward25',
      data: inPage({ features: points, centre }),
      shown: points.features.length,
    };
  }

  async function render(request: FastifyRequest, reply: FastifyReply, asked: Asked, result: SearchResult | null, allTerms: Term[]) {
    const v = asked.values;
    const chosen = new Set(v.category as string[]);
    const groups = groupTerms(allTerms.filter((t) => t.ownerOrganisationId === null)).map(({ term, children }) => ({
      term,
      items: [term, ...children].map((t) => ({ value: t.id, text: t.id === term.id ? `Any of these: ${t.name.toLowerCase()}` : t.name, checked: chosen.has(t.id) })),
    }));
    const link = (page: number) => {
      const params = new URLSearchParams(asked.query);
      if (page > 1) params.set('page', String(page));
      return `/directory${params.size ? `?${params}` : ''}`;
    };
    const first = result ? (result.page - 1) * result.size + 1 : 1;
    const description = describeSearch(asked, allTerms);
    const map = result && result.rows.length ? await mapOf(result, asked) : null;
    return reply.page(
      'community-assets/views/search-page.njk',
      {
        pageTitle: result && result.page > 1 ? `Find community assets and activities (page ${result.page} of ${result.pages})` : 'Find community assets and activities',
        values: v,
        errors: asked.errors,
        place: asked.place,
        choices: asked.choices?.map((c) => ({ value: `${c.vintage}:${c.code}`, text: placeText(c) })),
        moreChoices: asked.moreChoices,
        categoryGroups: groups,
        distanceItems: distanceChoices.map((d) => ({ value: distanceValue(d), text: distanceLabel[distanceValue(d)], selected: v.distance === distanceValue(d) })),
        dayItems: [{ value: '', text: 'Any day' }, ...dayCodes.map((d) => ({ value: d, text: dayName(d), selected: v.day === d }))],
        timeItems: [
          { value: '', text: 'Any time', checked: !v.time },
          ...Object.entries(timesOfDay).map(([key, t]) => ({ value: key, text: t.label, checked: v.time === key })),
        ],
        kindItems: [
          { value: '', text: 'Places, groups and activities', checked: !v.kind },
          { value: 'place', text: 'Places only (halls, libraries, parks…)', checked: v.kind === 'place' },
          { value: 'activity', text: 'Groups and activities only', checked: v.kind === 'activity' },
        ],
        result,
        first,
        heading: result ? `${result.total.toLocaleString('en-GB')} ${result.total === 1 ? 'result' : 'results'}${description.where ? ` ${description.where}` : ''}` : null,
        searchFilters: description.filters.length ? `${description.filters.join(', ').replace(/^./, (c) => c.toUpperCase())}.` : null,
        asked: asked.query.size > 0,
        rows: (result?.rows ?? []).map((row, i) => ({
          ...row,
          position: first + i,
          href: servicePath(row.id),
          kindText: kindLabel[row.kind],
          categoryText: row.categories.map((c) => c.name).join(', '),
          whereText: whereText(row),
          distance: row.metres === null ? null : distanceText(row.metres),
          facts: [costText(row), accessText(row)].filter(Boolean),
        })),
        pagination: result && result.pages > 1
          ? {
              previous: result.page > 1 ? { href: link(result.page - 1) } : undefined,
              next: result.page < result.pages ? { href: link(result.page + 1) } : undefined,
              items: pageItems(result.page, result.pages).map((p) => (p === null ? { ellipsis: true } : { number: p, href: link(p), current: p === result.page })),
              landmarkLabel: 'Pages of results',
            }
          : null,
        firstHref: link(1),
        reachText: asked.place && asked.filters.near?.metres ? distanceText(asked.filters.near.metres) : null,
        csvHref: `/directory?${new URLSearchParams([...asked.query, ['format', 'csv']])}`,
        geojsonHref: `/directory/results.geojson${asked.query.size || (result && result.page > 1) ? `?${new URLSearchParams([...asked.query, ...(result && result.page > 1 ? [['page', String(result.page)]] : [])])}` : ''}`,
        map,
        mapScript,
        mapLabel: asked.place ? `Map of the results on this page, numbered as in the list, and the place searched near` : 'Map of the results on this page, numbered as in the list',
        partners: await partnerLinks(request),
        pageSize,
      },
      asked.errors ? 400 : 200,
    );
  }

  app.get('/directory', { config: { access: access.public, pageCache: true }, schema: { querystring: searchQuery } }, async (request, reply) => {
    const query = request.query as Query;
    const allTerms = await terms();
    const asked = await readSearch(db(), query, allTerms);
    const format = text(query, 'format');
    if (format && format !== 'csv' && format !== 'html') {
      const { errors, fail } = formProblems();
      fail('format', 'The format must be csv or html');
      return render(request, reply, { ...asked, errors: asked.errors ?? errors }, null, allTerms);
    }
    // A place to choose, or a problem: the form again, with no results until it is settled.
    if (asked.errors || asked.choices) return render(request, reply, asked, null, allTerms);
    if (format === 'csv') {
      const result = await searchServices(db(), asked.filters, { page: 1, size: csvLimit });
      const origin = `${request.protocol}://${request.host}`;
      const rows = result.rows.map((r) => ({
        id: r.id,
        name: r.name,
        kind: r.kind,
        organisation: r.organisation,
        categories: r.categories.map((c) => c.name).join('; '),
        location: r.location?.name ?? '',
        address: r.location?.address1 ?? '',
        town: r.location?.city ?? '',
        postcode: r.location?.postcode ?? '',
        longitude: r.location?.longitude ?? '',
        latitude: r.location?.latitude ?? '',
        metres: r.metres ?? '',
        when: r.schedules.join('; '),
        free: r.free === null ? '' : r.free ? 'yes' : 'no',
        fees: r.fees ?? '',
        wheelchairAccessible: r.wheelchairAccessible === null ? '' : r.wheelchairAccessible ? 'yes' : 'no',
        lastChecked: r.lastChecked,
        sample: r.sample ? 'yes' : 'no',
        page: `${origin}${servicePath(r.id)}`,
      }));
      return sendCsv(reply, 'directory-search.csv', stringify(rows, { header: true, columns: csvColumns }));
    }
    const result = await searchServices(db(), asked.filters, { page: asked.page });
    return render(request, reply, asked, result, allTerms);
  });

  app.get('/directory/results.geojson', { config: { access: access.public, pageCache: true }, schema: { querystring: searchQuery } }, async (request, reply) => {
    const query = request.query as Query;
    const asked = await readSearch(db(), query, await terms());
    if (asked.errors) return problemFor(request, reply, 400, 'The search cannot be run', asked.errors.summary.map((e) => e.text).join('. '));
    if (asked.choices) {
      return problemFor(request, reply, 400, 'Choose a place', `More than one place is called “${asked.values.where}”: ${asked.choices.map(placeText).join('; ')}. Give one as area=${asked.choices[0]!.vintage}:${asked.choices[0]!.code}.`);
    }
    const result = await searchServices(db(), asked.filters, { page: asked.page });
    return reply.type('application/geo+json; charset=utf-8').send({ ...resultsGeoJson(result), total: result.total, page: result.page, pages: result.pages });
  });
};

/** Page numbers to offer: the first, the last, and two either side of the current one, with gaps as null. */
function pageItems(current: number, pages: number): (number | null)[] {
  const shown = [...new Set([1, current - 2, current - 1, current, current + 1, current + 2, pages])].filter((p) => p >= 1 && p <= pages).sort((a, b) => a - b);
  return shown.flatMap((p, i) => (i > 0 && p - shown[i - 1]! > 1 ? [null, p] : [p]));
}
