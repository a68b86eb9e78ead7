import { sql, type SQL } from 'drizzle-orm';
import { queryRows, type Tx } from '../../platform/db/database.ts';
import { pointEwkt } from '../../platform/db/geometry.ts';
import { findPostcode, normalisePostcode } from '../geography/postcodes.ts';
import { directoryLocations, directoryOrganisations, directorySchedules, directoryServiceLocations, directoryServices, directoryServiceTaxonomies, directoryTaxonomyTerms, type AssetKind, type ServiceStatus } from './schema.ts';
import { describeSchedule, staleAfterDays, termWithDescendants, type DayCode, type ScheduleInput } from './service.ts';

/**
 * Finding assets: the directory searched by words, category, day and time, cost, access, kind and place, a
 * page at a time. One statement finds and counts every match (the filters are cheap, indexed where it
 * matters), and only the page's rows are then dressed with their categories, place and times.
 */

export const pageSize = 20;
/** The distances a search near a place may choose, in metres; null is any distance (ordered by it). */
export const distanceChoices = [800, 1600, 5000, null] as const;
export type Distance = (typeof distanceChoices)[number];
/** A mile: about a 20-minute walk, which is how far most people look for something local. */
export const defaultMetres = 1600;

/** Parts of the day, as [from, until) times: a schedule matches when its hours overlap the part. */
export const timesOfDay = {
  morning: { from: '00:00', until: '12:00', label: 'Morning (before 12 noon)' },
  afternoon: { from: '12:00', until: '17:00', label: 'Afternoon (12 noon to 5pm)' },
  evening: { from: '17:00', until: '24:00', label: 'Evening (after 5pm)' },
} as const;
export type TimeOfDay = keyof typeof timesOfDay;

/** Areas a place name may be: 2025 wards, districts, and 2021 MSOAs by their House of Commons Library names. */
export const placeVintages = ['ward25', 'lad25', 'msoa21'] as const;
export type PlaceVintage = (typeof placeVintages)[number];
export const placeKind: Record<PlaceVintage, string> = { ward25: 'ward', lad25: 'district', msoa21: 'neighbourhood area' };

export type PlaceArea = { vintage: PlaceVintage; code: string; name: string; district: string | null };
/** Where a search is centred, and for a named area, the area (whatever is in it counts as near). */
export type Place = { label: string; longitude: number; latitude: number; postcode: string | null; area: PlaceArea | null; note: string | null };

export type SearchFilters = {
  words?: string | null;
  /** Taxonomy term ids; each brings the terms beneath it. */
  categories?: string[];
  day?: DayCode | null;
  /** A part of the day, or a time ("18:30") it must be on at. */
  time?: TimeOfDay | { at: string } | null;
  free?: boolean;
  accessible?: boolean;
  kind?: AssetKind | null;
  /** Active only when not given. */
  statuses?: ServiceStatus[];
  near?: { longitude: number; latitude: number; metres: Distance; area?: Pick<PlaceArea, 'vintage' | 'code'> | null } | null;
};

export type SearchRow = {
  id: string;
  name: string;
  kind: AssetKind;
  description: string | null;
  organisation: string;
  categories: { id: string; name: string }[];
  /** The nearest of its locations when searching near a place, otherwise the first by name. */
  location: { name: string | null; address1: string | null; city: string | null; postcode: string | null; longitude: number | null; latitude: number | null } | null;
  locationCount: number;
  /** From the place searched near, to the nearest of its locations, in whole metres. */
  metres: number | null;
  schedules: string[];
  free: boolean | null;
  fees: string | null;
  wheelchairAccessible: boolean | null;
  lastChecked: string;
  stale: boolean;
  sample: boolean;
};

export type SearchResult = { total: number; page: number; pages: number; size: number; rows: SearchRow[] };

const timePattern = /^([01]\d|2[0-3]):[0-5]\d$/;

/** A schedule running on the day and at the time asked, when either is asked. */
function scheduleMatch(filters: SearchFilters): SQL | null {
  const { day, time } = filters;
  if (!day && !time) return null;
  const conditions: SQL[] = [sql`sc.service_id = s.id`, sql`(sc.valid_to is null or sc.valid_to >= current_date)`];
  // by_day holds two-letter codes separated by commas and ordinals ("MO,TH", "2TU", "-1FR"), so a code's two
  // letters appear only where that day is meant.
  if (day) conditions.push(sql`strpos(sc.by_day, ${day}) > 0`);
  if (time && typeof time === 'object') {
    if (!timePattern.test(time.at)) throw new RangeError(`not a time: ${time.at}`);
    conditions.push(sql`sc.opens_at <= ${time.at}::time and (sc.closes_at > ${time.at}::time or (sc.closes_at is null and sc.opens_at = ${time.at}::time))`);
  } else if (time) {
    const part = timesOfDay[time];
    // Until 24:00 is the end of the day, which PostgreSQL's time type allows.
    conditions.push(sql`sc.opens_at < ${part.until}::time and (sc.closes_at > ${part.from}::time or (sc.closes_at is null and sc.opens_at >= ${part.from}::time))`);
  }
  return sql`exists (select 1 from ${directorySchedules} sc where ${sql.join(conditions, sql` and `)})`;
}

/** The area a location must be in to count as "in" a named place. */
function inArea(area: Pick<PlaceArea, 'vintage' | 'code'>): SQL {
  if (area.vintage === 'ward25') return sql`l.ward25 = ${area.code}`;
  if (area.vintage === 'lad25') return sql`l.lad25 = ${area.code}`;
  return sql`l.lsoa21 in (select from_code from area_lookups where to_vintage = 'msoa21' and to_code = ${area.code} and from_vintage = 'lsoa21')`;
}

/**
 * The directory's matches for some filters, a page at a time, with how many there are in all. Records merged
 * into another never appear; only active ones do unless other statuses are asked for. Near a place, the
 * nearest come first; with words, the best matches; otherwise by name.
 */
export async function searchServices(db: Tx, filters: SearchFilters, page: { page: number; size?: number } = { page: 1 }): Promise<SearchResult> {
  const categories = filters.categories?.length ? await termWithDescendants(db, filters.categories) : [];
  const size = page.size ?? pageSize;
  const pageNumber = Math.max(1, Math.floor(page.page));
  let rows: Record<string, unknown>[];
  let total: number;
  if (filters.near && filters.near.metres === null) {
    // At any distance, the nearest are looked for within widening circles first: once a circle holds the
    // page, nothing outside it can come first, so the distance to every record need not be measured. The
    // next circle is sized from how many the last one held (as if they were spread evenly), at least doubled.
    const needed = pageNumber * size;
    let ring: number | null = firstRing;
    rows = await queryRows<Record<string, unknown>>(db, searchQuery(filters, categories, page, { ring, total: true }).query);
    total = Number(rows[0]?.total ?? 0);
    while (ring !== null) {
      const within = Number(rows[0]?.within ?? 0);
      if (within >= needed || within >= total) break;
      const next = Math.round(ring * Math.max(2, Math.sqrt(needed / Math.max(within, 1)) * 1.25));
      ring = next > lastRing ? null : next;
      rows = await queryRows<Record<string, unknown>>(db, searchQuery(filters, categories, page, { ring, total: false }).query);
    }
  } else {
    rows = await queryRows<Record<string, unknown>>(db, searchQuery(filters, categories, page).query);
    total = Number(rows[0]?.total ?? 0);
  }
  const json = <T>(v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v) as T;
  return {
    total,
    page: pageNumber,
    size,
    pages: Math.max(1, Math.ceil(total / size)),
    rows: rows
      .filter((r) => r.id !== null)
      .map((r) => {
        const location = json<SearchRow['location'] & { longitude: unknown; latitude: unknown }>(r.location);
        return {
          id: r.id as string,
          name: r.name as string,
          kind: r.kind as AssetKind,
          description: r.description as string | null,
          organisation: r.organisation as string,
          categories: json<SearchRow['categories']>(r.categories),
          location: location && { ...location, longitude: location.longitude === null ? null : Number(location.longitude), latitude: location.latitude === null ? null : Number(location.latitude) },
          locationCount: Number(r.location_count),
          metres: r.metres === null ? null : Math.round(Number(r.metres)),
          schedules: json<Pick<ScheduleInput, 'freq' | 'interval' | 'byDay' | 'opensAt' | 'closesAt'>[]>(r.schedules).map((s) => describeSchedule({ ...s, interval: Number(s.interval) })),
          free: r.free as boolean | null,
          fees: r.fees as string | null,
          wheelchairAccessible: r.wheelchair_accessible as boolean | null,
          lastChecked: r.last_checked as string,
          stale: r.stale as boolean,
          sample: r.sample as boolean,
        };
      }),
  };
}

/** For the nearest at any distance: the first circle searched, and the widest before every record is measured, in metres. */
const firstRing = 1600;
const lastRing = 150_000;

/**
 * The statement searchServices runs. `categories` are term ids with their descendants. For a search at any
 * distance, `ring` limits the page to within that many metres and counts those as `within`, and `total: false`
 * leaves out the count of every match (known from the first ring).
 */
function searchQuery(
  filters: SearchFilters,
  categories: string[],
  page: { page: number; size?: number },
  options: { ring?: number | null; total?: boolean } = {},
): { query: SQL; size: number; pageNumber: number } {
  const ring = options.ring ?? null;
  const size = page.size ?? pageSize;
  const pageNumber = Math.max(1, Math.floor(page.page));
  const words = filters.words?.trim() || null;
  const statuses = filters.statuses?.length ? filters.statuses : (['active'] as ServiceStatus[]);
  const near = filters.near ?? null;

  const ctes: SQL[] = [];
  const where: SQL[] = [sql`s.merged_into_id is null`, sql`s.status in (${sql.join(statuses.map((v) => sql`${v}`), sql`, `)})`];
  let rank = sql`0::real`;
  if (words) {
    const query = sql`websearch_to_tsquery('english', ${words})`;
    // A service matches on its own name and description, or by the name of its organisation or of one of its
    // categories ("library", "food bank"); its own words rank it, and a match elsewhere lifts it a little.
    ctes.push(sql`by_organisation as materialized (select o.id from ${directoryOrganisations} o where to_tsvector('english', o.name) @@ ${query})`);
    ctes.push(sql`by_category as materialized (
      select distinct st.service_id from ${directoryServiceTaxonomies} st
      where st.term_id in (select t.id from ${directoryTaxonomyTerms} t where to_tsvector('english', t.name || ' ' || coalesce(t.description, '')) @@ ${query}))`);
    ctes.push(sql`worded as materialized (
      select s.id from ${directoryServices} s where s.search @@ ${query}
      union select s.id from ${directoryServices} s join by_organisation b on b.id = s.directory_organisation_id
      union select service_id from by_category)`);
    where.push(sql`s.id in (select id from worded)`);
    rank = sql`(ts_rank(s.search, ${query}) + case when s.directory_organisation_id in (select id from by_organisation) then 0.05 else 0 end
      + case when s.id in (select service_id from by_category) then 0.05 else 0 end)::real`;
  }
  if (categories.length) where.push(sql`s.id in (select service_id from ${directoryServiceTaxonomies} where term_id in (${sql.join(categories.map((c) => sql`${c}`), sql`, `)}))`);
  const schedule = scheduleMatch(filters);
  if (schedule) where.push(schedule);
  if (filters.free) where.push(sql`s.free`);
  if (filters.accessible) where.push(sql`s.wheelchair_accessible`);
  if (filters.kind) where.push(sql`s.kind = ${filters.kind}`);

  let from = sql`${directoryServices} s`;
  let countFrom = from;
  let within: SQL | null = null;
  let metres = sql`null::double precision`;
  if (near) {
    if (!Number.isFinite(near.longitude) || !Number.isFinite(near.latitude)) throw new RangeError('near needs a longitude and latitude');
    ctes.push(sql`p as (select ST_Transform(${pointEwkt(near.longitude, near.latitude)}::geometry, 27700) as g)`);
    const radius = near.metres ?? ring;
    const reach: SQL[] = [];
    if (radius !== null) reach.push(sql`ST_DWithin(l.location_bng, p.g, ${radius})`);
    if (near.area && near.metres !== null) reach.push(inArea(near.area));
    // <-> is the exact distance between points, and PostGIS declares it far cheaper than ST_Distance: with
    // ST_Distance over every location the planner's estimate crossed PostgreSQL's threshold for JIT
    // compilation, which then cost half a second a search.
    ctes.push(sql`nearby as materialized (
      select sl.service_id, min(l.location_bng <-> p.g) as metres
      from ${directoryLocations} l join ${directoryServiceLocations} sl on sl.location_id = l.id, p
      where l.location_bng is not null ${reach.length ? sql`and (${sql.join(reach, sql` or `)})` : sql``}
      group by sl.service_id)`);
    const joined = sql`${directoryServices} s join nearby n on n.service_id = s.id`;
    metres = sql`n.metres`;
    if (near.metres !== null) {
      from = joined;
      countFrom = joined;
    } else if (ring !== null) {
      from = joined;
      within = joined;
    } else {
      // At any distance, services with no fixed place (online, by phone) still match, after the rest.
      from = sql`${directoryServices} s left join nearby n on n.service_id = s.id`;
    }
  }
  const filter = sql.join(where, sql` and `);
  // By the folded name ("The Old Library" under O), for which there is an index, so a search with no
  // place or words reads the first names in order rather than sorting every record.
  const order = near ? sql`metres asc nulls last, rank desc, name_key, id` : words ? sql`rank desc, name_key, id` : sql`name_key, id`;

  const matching = sql`select s.id, s.name_key, ${rank} as rank, ${metres} as metres from ${from} where ${filter}`;
  const offset = (pageNumber - 1) * size;
  // A search that narrows the records (words, categories, times, a circle) finds its matches once and counts
  // and pages that set. One that does not (everything, or only free, accessible or a kind) counts and pages
  // separately, so the page can read the first names in the index's order and stop, rather than sort every
  // record; given a narrow search, the planner would take that road too and read most of the index.
  const narrow = Boolean(words || categories.length || schedule || (near && (near.metres ?? ring) !== null));
  if (narrow) ctes.push(sql`hits as materialized (${matching})`);
  const total = options.total === false ? sql`null::int` : narrow && countFrom === from ? sql`(select count(*) from hits)::int` : sql`(select count(*) from ${countFrom} where ${filter})::int`;
  const inRing = !within ? sql`null::int` : narrow ? sql`(select count(*) from hits)::int` : sql`(select count(*) from ${within} where ${filter})::int`;
  const pageQuery = narrow ? sql`select * from hits order by ${order} limit ${size} offset ${offset}` : sql`${matching} order by ${order} limit ${size} offset ${offset}`;

  const query = sql`${ctes.length ? sql`with ${sql.join(ctes, sql`, `)}` : sql``}
    select t.total, t.within, d.* from (select ${total} as total, ${inRing} as within) t left join (
      select c.id, c.name_key, c.rank, c.metres, s.name, s.kind, s.description, o.name as organisation,
        s.free, s.fees, s.wheelchair_accessible, to_char(s.last_checked, 'YYYY-MM-DD') as last_checked, s.last_checked < current_date - ${staleAfterDays}::int as stale, s.sample,
        (select coalesce(json_agg(json_build_object('id', t.id, 'name', t.name) order by t.name), '[]'::json) from ${directoryServiceTaxonomies} st join ${directoryTaxonomyTerms} t on t.id = st.term_id where st.service_id = c.id) as categories,
        (select count(*) from ${directoryServiceLocations} sl where sl.service_id = c.id)::int as location_count,
        (select json_build_object('name', l.name, 'address1', l.address_1, 'city', l.city, 'postcode', l.postcode, 'longitude', ST_X(l.location), 'latitude', ST_Y(l.location))
          from ${directoryServiceLocations} sl join ${directoryLocations} l on l.id = sl.location_id where sl.service_id = c.id
          order by ${near ? sql`l.location_bng <-> (select g from p) nulls last, ` : sql``}l.name nulls last, l.id limit 1) as location,
        (select coalesce(json_agg(json_build_object('freq', sc.freq, 'interval', sc.interval, 'byDay', sc.by_day, 'opensAt', to_char(sc.opens_at, 'HH24:MI'), 'closesAt', to_char(sc.closes_at, 'HH24:MI')) order by sc.opens_at nulls last, sc.id), '[]'::json)
          from ${directorySchedules} sc where sc.service_id = c.id and (sc.valid_to is null or sc.valid_to >= current_date)) as schedules
      from (${pageQuery}) c
        join ${directoryServices} s on s.id = c.id join ${directoryOrganisations} o on o.id = s.directory_organisation_id
    ) d on true
    order by ${order}`;
  return { query, size, pageNumber };
}

/** "450 m", "1.2 km", "5 km", "12 km". */
export function distanceText(metres: number): string {
  if (metres < 1000) return `${Math.max(10, Math.round(metres / 10) * 10)} m`;
  return metres < 10_000 ? `${(metres / 1000).toFixed(1).replace(/\.0$/, '')} km` : `${Math.round(metres / 1000)} km`;
}

export type PlaceLookup = { status: 'found'; place: Place } | { status: 'choose'; choices: PlaceArea[]; more: boolean } | { status: 'unknown'; message: string };

/** At most this many places are offered to choose from; more means the name was too short to tell. */
const maxChoices = 20;

/** Names compared without case, accents or extra spaces. */
const fold = (text: string) => text.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/\s+/g, ' ').trim();

type PlaceName = { vintage: PlaceVintage; code: string; name: string; folded: string };
/** How long the names of wards, districts and MSOAs are kept: they change only when boundaries or lookups are loaded. */
const placeNamesFreshMs = 5 * 60_000;
const placeNameCache = new WeakMap<object, { at: number; names: Promise<PlaceName[]> }>();

/**
 * Every place name a search may mean (about 14,000), kept in memory for a few minutes: matching words anywhere in
 * a name with ILIKE read every one of those rows of the areas table, 10 to 15 ms a search, and no index serves a
 * match in the middle of a name.
 */
function placeNames(db: Tx): Promise<PlaceName[]> {
  const kept = placeNameCache.get(db);
  if (kept && Date.now() - kept.at < placeNamesFreshMs) return kept.names;
  const names = queryRows<{ vintage: PlaceVintage; code: string; name: string }>(
    db,
    sql`select vintage, code, name from areas where vintage in (${sql.join(placeVintages.map((v) => sql`${v}`), sql`, `)})`,
  ).then((rows) => rows.map((r) => ({ ...r, folded: fold(r.name) })));
  names.catch(() => placeNameCache.delete(db));
  placeNameCache.set(db, { at: Date.now(), names });
  return names;
}

/**
 * Where a search should be centred, from what someone typed: a postcode (from the postcodes loaded: an
 * unknown one gets a clear message, never a guess), or the name of a 2025 ward, a district or a 2021 MSOA.
 * One name matching exactly is taken; several are offered to choose from. `chosen` ("ward25:E05015006")
 * is an area picked from such a list, taken when it still fits the words typed.
 */
export async function findPlace(db: Tx, text: string, chosen: string | null = null): Promise<PlaceLookup> {
  const typed = text.trim().replace(/\s+/g, ' ');
  if (!typed) return { status: 'unknown', message: 'Enter a postcode or the name of a place' };
  if (normalisePostcode(typed)) {
    const found = await findPostcode(db, typed);
    const record = found.postcode;
    if (!record) return { status: 'unknown', message: found.message ?? `${typed.toUpperCase()} is not a postcode Patchwork knows` };
    if (record.longitude === null || record.latitude === null) return { status: 'unknown', message: found.message ?? `${record.postcode} cannot be placed on a map` };
    return { status: 'found', place: { label: record.postcode, longitude: record.longitude, latitude: record.latitude, postcode: record.postcode, area: null, note: found.message } };
  }
  if (/^[a-z]{1,2}\d[a-z\d]?$/i.test(typed)) {
    return { status: 'unknown', message: `${typed.toUpperCase()} is only the first half of a postcode: enter the whole postcode, like ${typed.toUpperCase()} 1AA, or the name of a place` };
  }
  if (typed.length < 3) return { status: 'unknown', message: 'Enter at least 3 letters of a place’s name, or a postcode' };
  if (typed.length > 100) return { status: 'unknown', message: 'A place’s name must be 100 characters or fewer' };
  const folded = fold(typed);
  const matches = (await placeNames(db))
    .filter((n) => n.folded.includes(folded))
    .map((n) => ({ ...n, exact: n.folded === folded }))
    .sort((a, b) => Number(b.exact) - Number(a.exact) || placeVintages.indexOf(a.vintage) - placeVintages.indexOf(b.vintage) || a.name.localeCompare(b.name, 'en-GB') || a.code.localeCompare(b.code));
  const picked = chosen ? matches.find((c) => `${c.vintage}:${c.code}` === chosen) : undefined;
  const exact = matches.filter((c) => c.exact);
  const only = picked ?? (exact.length === 1 ? exact[0] : matches.length === 1 ? matches[0] : undefined);
  if (!only && !matches.length) return { status: 'unknown', message: `No ward, district or neighbourhood area called “${typed}” is known: check the spelling, or enter a postcode` };
  // Each named with its district, so two Pembertons can be told apart.
  const shown = only ? [only] : (exact.length > 1 ? exact : matches).slice(0, maxChoices);
  const districts = await queryRows<{ vintage: string; code: string; district: string | null }>(
    db,
    sql`select a.vintage, a.code,
          case a.vintage
            when 'ward25' then (select d.name from area_lookups k join areas d on d.vintage = 'lad25' and d.code = k.to_code where k.from_vintage = 'ward25' and k.from_code = a.code and k.to_vintage = 'lad25' limit 1)
            when 'msoa21' then (select d.name from area_lookups m join area_lookups k on k.from_vintage = 'lsoa21' and k.from_code = m.from_code and k.to_vintage = 'lad24'
                                  join areas d on d.vintage = 'lad24' and d.code = k.to_code where m.to_vintage = 'msoa21' and m.to_code = a.code and m.from_vintage = 'lsoa21' limit 1)
          end as district
        from areas a where (a.vintage, a.code) in (${sql.join(shown.map((m) => sql`(${m.vintage}, ${m.code})`), sql`, `)})`,
  );
  const withDistrict = ({ vintage, code, name }: PlaceName): PlaceArea => ({ vintage, code, name, district: districts.find((d) => d.vintage === vintage && d.code === code)?.district ?? null });
  if (!only) return { status: 'choose', choices: shown.map(withDistrict), more: (exact.length > 1 ? exact : matches).length > maxChoices };
  const area = withDistrict(only);
  const centre =
    area.vintage === 'ward25'
      ? sql`select centroid as g from areas where vintage = 'ward25' and code = ${area.code}`
      : area.vintage === 'lad25'
        ? sql`select ST_Centroid(ST_Collect(a.centroid)) as g from area_lookups k join areas a on a.vintage = 'ward25' and a.code = k.from_code where k.to_vintage = 'lad25' and k.to_code = ${area.code} and k.from_vintage = 'ward25'`
        : sql`select ST_Centroid(ST_Collect(a.centroid)) as g from area_lookups k join areas a on a.vintage = 'lsoa21' and a.code = k.from_code where k.to_vintage = 'msoa21' and k.to_code = ${area.code} and k.from_vintage = 'lsoa21'`;
  const [point] = await queryRows<{ x: number | null; y: number | null }>(db, sql`select ST_X(g) as x, ST_Y(g) as y from (${centre}) c`);
  if (!point || point.x === null || point.y === null) return { status: 'unknown', message: `${area.name} cannot be placed on a map yet: its boundaries are not loaded` };
  return { status: 'found', place: { label: area.name, longitude: Number(point.x), latitude: Number(point.y), postcode: null, area, note: null } };
}
