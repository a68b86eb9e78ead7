import { sql, type SQL } from 'drizzle-orm';
import type { Viewer } from '../../platform/auth/permissions.ts';
import { queryRows, type Db } from '../../platform/db/database.ts';
import { listEditions, type Edition } from '../indicators/service.ts';
import { populationFor } from '../local-data/service.ts';
import { findNeighbourhood } from '../neighbourhoods/service.ts';
import { directoryTaxonomyTerms } from './schema.ts';
import { termWithDescendants } from './service.ts';

/**
 * Where need is high and assets are few. For a district, a 2025 ward or a neighbourhood, every 2021 LSOA in
 * it with its people, its national IMD decile (the latest edition on 2021 LSOAs), the directory's records of
 * the chosen categories located in it (per 1,000 people) and the straight-line distance from where its people
 * live to the nearest such record anywhere, across the district boundary too. An LSOA is a gap when it is
 * among the most deprived deciles chosen and nothing of those categories is within the chosen distance.
 * Wards roll the LSOAs up.
 */

export const walkChoices = [400, 800, 1200, 1600] as const;
export type WalkMetres = (typeof walkChoices)[number];
/** "The most deprived 10%, 20% or 30%": LSOAs in national deciles 1 to this. */
export const decileChoices = [1, 2, 3] as const;
export type DecileChoice = (typeof decileChoices)[number];
export const defaultCategories = ['community-space'];
export const areaTypes = ['lad', 'ward', 'neighbourhood'] as const;
export type AreaType = (typeof areaTypes)[number];

export type GapArea = { type: 'lad'; code: string } | { type: 'ward'; code: string } | { type: 'neighbourhood'; id: string };

export type GapOptions = {
  area: GapArea;
  /** Taxonomy term ids; each brings the terms beneath it. */
  categories?: string[];
  walkMetres?: WalkMetres;
  deciles?: DecileChoice;
  /** Who is asking: a neighbourhood counts only when it is shared with them. */
  viewer?: Viewer;
};

/** A request that cannot be answered, with the field it is about and the status it deserves. */
export class GapError extends Error {
  constructor(
    readonly field: 'area' | 'lad' | 'ward' | 'neighbourhood' | 'category' | 'walk' | 'deciles',
    message: string,
    readonly status: 400 | 404 = 400,
  ) {
    super(message);
    this.name = 'GapError';
  }
}

export type MeasuredFrom = 'population-weighted centroid' | 'point on surface';

export type NearestAsset = {
  locationId: string;
  /** The counted records at that location, by name. */
  services: { id: string; name: string }[];
  metres: number;
  /** Whether the location lies in one of the area's LSOAs (the nearest may be over the boundary). */
  inArea: boolean;
};

export type GapLsoa = {
  code: string;
  name: string;
  ward: { code: string; name: string } | null;
  /** For a neighbourhood drawn across LSOAs, the share of this LSOA it counts; 1 otherwise. */
  share: number;
  /** The whole LSOA's people; null when the population estimates are not loaded. */
  population: number | null;
  /** population × share: the people the area counts. */
  people: number | null;
  decile: number | null;
  rank: number | null;
  /** Counted records with a location in the LSOA. */
  assets: number;
  assetIds: string[];
  per1000: number | null;
  nearest: NearestAsset | null;
  /** Which point the distance was measured from; null when the LSOA's boundary is not loaded. */
  measuredFrom: MeasuredFrom | null;
  deprived: boolean;
  /** Deprived and nothing within the distance; null when the distance cannot be measured. */
  gap: boolean | null;
  /** Nothing within the distance, whatever the decile; null when it cannot be measured. */
  beyondWalk: boolean | null;
};

export type GapTotals = {
  lsoas: number;
  people: number | null;
  /** Counted records located in the area (for a partly-counted LSOA, times its share). */
  assets: number;
  per1000: number | null;
  deprived: number;
  deprivedPeople: number | null;
  gaps: number;
  gapPeople: number | null;
  /** LSOAs with nothing within the distance, in any decile. */
  beyondWalk: number;
  beyondWalkPeople: number | null;
};

export type GapWard = GapTotals & { code: string | null; name: string };

export type CountedAsset = {
  serviceId: string;
  name: string;
  kind: string;
  sample: boolean;
  categories: string;
  locationId: string;
  locationName: string | null;
  postcode: string | null;
  lsoa21: string | null;
  longitude: number | null;
  latitude: number | null;
  inArea: boolean;
  /** The LSOAs of the area it is the nearest record to. */
  nearestTo: number;
};

export type GapAnalysis = {
  area: { type: AreaType; code: string | null; id: string | null; name: string; district: { code: string; name: string } | null };
  edition: { id: string; label: string; publishedOn: string };
  population: { indicatorId: string; label: string; period: string } | null;
  categories: { id: string; name: string }[];
  /** The chosen terms and every term beneath them. */
  termIds: string[];
  walkMetres: WalkMetres;
  deciles: DecileChoice;
  lsoas: GapLsoa[];
  wards: GapWard[];
  totals: GapTotals;
  /** Every counted record located in the area, and those outside it that are the nearest to one of its LSOAs. */
  assets: CountedAsset[];
  /** How the distances were found: by the spatial index, or by measuring to each of a few records. */
  nearestMethod: 'knn-index' | 'all-pairs' | 'none';
  notes: string[];
};

/** The latest edition of the Indices of Deprivation on 2021 LSOAs, or null when none is loaded. */
export async function latestLsoa21Edition(db: Db): Promise<Edition | null> {
  return (await listEditions(db)).filter((e) => e.lsoaVintage === 'lsoa21').at(-1) ?? null;
}

/**
 * The most recent national population estimate for 2021 LSOAs the database holds: by the year in its period,
 * then the one the local-data roll-ups weight by. Null when none has any values.
 */
export async function latestLsoa21Population(db: Db): Promise<{ indicatorId: string; label: string; period: string } | null> {
  const [row] = await queryRows<{ id: string; label: string; period: string }>(
    db,
    sql`select i.id, i.label, i.period from indicators i
        where i.vintage = 'lsoa21' and i.edition_id is null and i.owner_organisation_id is null and i.unit = 'people' and i.id like 'population.%'
          and exists (select 1 from indicator_values v where v.indicator_id = i.id)
        order by (regexp_match(i.period, '\\d{4}'))[1] desc nulls last, i.id = ${populationFor.lsoa21 ?? ''} desc, i.id
        limit 1`,
  );
  return row ? { indicatorId: row.id, label: row.label, period: row.period } : null;
}

type Scope = { type: AreaType; code: string | null; id: string | null; name: string; district: { code: string; name: string } | null; lsoas: { code: string; share: number }[] };

const districtCode = /^E0[6-9]\d{6}$/;
const wardCode = /^E05\d{6}$/;
const listOf = (names: string[]) => (names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`);

/** A district by its code or name (2024 or 2025 districts, which share codes where unchanged). */
export async function findDistrict(db: Db, text: string): Promise<{ code: string; name: string }> {
  const wanted = text.trim();
  if (!wanted) throw new GapError('lad', 'Enter a district’s name or code, such as Wigan or E08000010');
  const candidates = await queryRows<{ code: string; name: string; exact: boolean }>(
    db,
    sql`select distinct on (code) code, name, (upper(code) = upper(${wanted}) or lower(name) = lower(${wanted})) as exact
        from areas where vintage in ('lad24', 'lad25') and (upper(code) = upper(${wanted}) or name ilike ${`%${wanted.replace(/[\\%_]/g, (c) => `\\${c}`)}%`})
        order by code, vintage desc`,
  );
  const exact = candidates.filter((c) => c.exact);
  if (exact.length === 1) return { code: exact[0]!.code, name: exact[0]!.name };
  const found = exact.length ? exact : candidates;
  if (found.length === 1) return { code: found[0]!.code, name: found[0]!.name };
  if (found.length > 1) {
    const shown = found.slice(0, 6).map((c) => `${c.name} (${c.code})`);
    throw new GapError('lad', `More than one district matches “${wanted}”: ${listOf(shown)}${found.length > 6 ? ` and ${found.length - 6} more` : ''}. Enter the full name or the code`);
  }
  if (districtCode.test(wanted.toUpperCase())) throw new GapError('lad', `${wanted.toUpperCase()} is not the code of a district Patchwork knows (2024 or 2025 districts)`, 404);
  throw new GapError('lad', `No district is called “${wanted}”: enter a district’s name, such as Wigan, or its code, such as E08000010`, 404);
}

/** A 2025 ward by its code, or by its name when only one ward has it. */
export async function findWard(db: Db, text: string): Promise<{ code: string; name: string; district: { code: string; name: string } | null }> {
  const wanted = text.trim();
  if (!wanted) throw new GapError('ward', 'Enter a 2025 ward’s name or code, such as E05000841');
  const rows = await queryRows<{ code: string; name: string; lad_code: string | null; lad_name: string | null }>(
    db,
    sql`select w.code, w.name, d.to_code as lad_code, da.name as lad_name
        from areas w
        left join area_lookups d on d.from_vintage = 'ward25' and d.from_code = w.code and d.to_vintage = 'lad25'
        left join areas da on da.vintage = 'lad25' and da.code = d.to_code
        where w.vintage = 'ward25' and (upper(w.code) = upper(${wanted}) or lower(w.name) = lower(${wanted}))
        order by w.code limit 20`,
  );
  const pick = (r: (typeof rows)[number]) => ({ code: r.code, name: r.name, district: r.lad_code ? { code: r.lad_code, name: r.lad_name ?? r.lad_code } : null });
  if (rows.length === 1) return pick(rows[0]!);
  if (rows.length > 1) {
    const shown = rows.slice(0, 6).map((r) => `${r.code} (${r.name}${r.lad_name ? `, ${r.lad_name}` : ''})`);
    throw new GapError('ward', `${rows.length}${rows.length === 20 ? ' or more' : ''} wards are called ${rows[0]!.name}: enter the code of the one you mean, such as ${listOf(shown)}`);
  }
  if (wardCode.test(wanted.toUpperCase())) throw new GapError('ward', `${wanted.toUpperCase()} is not the code of a 2025 ward Patchwork knows (ward boundaries may still be loading)`, 404);
  throw new GapError('ward', `No 2025 ward is called “${wanted}”: enter a ward’s name or its code, such as E05000841`, 404);
}

/** The area asked for and its 2021 LSOAs, with the share of each it counts. */
async function scopeOf(db: Db, area: GapArea, viewer: Viewer): Promise<Scope> {
  if (area.type === 'lad') {
    const district = await findDistrict(db, area.code);
    // 2021 LSOAs nest in districts: the exact published lookup, or through the 2025 wards for a district new in 2025.
    let lsoas = await queryRows<{ code: string }>(db, sql`select from_code as code from area_lookups where from_vintage = 'lsoa21' and to_vintage = 'lad24' and to_code = ${district.code} order by 1`);
    if (!lsoas.length) {
      lsoas = await queryRows<{ code: string }>(
        db,
        sql`select distinct l.from_code as code from area_lookups l join area_lookups d on d.from_vintage = 'ward25' and d.from_code = l.to_code and d.to_vintage = 'lad25' and d.to_code = ${district.code}
            where l.from_vintage = 'lsoa21' and l.to_vintage = 'ward25' order by 1`,
      );
    }
    if (!lsoas.length) throw new GapError('lad', `Patchwork does not know which 2021 LSOAs are in ${district.name}: load the LSOA (2021) → ward → district lookup (npx patchwork import bundled)`, 404);
    return { type: 'lad', code: district.code, id: null, name: district.name, district, lsoas: lsoas.map((l) => ({ code: l.code, share: 1 })) };
  }
  if (area.type === 'ward') {
    const ward = await findWard(db, area.code);
    const lsoas = await queryRows<{ code: string }>(db, sql`select distinct from_code as code from area_lookups where from_vintage = 'lsoa21' and to_vintage = 'ward25' and to_code = ${ward.code} order by 1`);
    if (!lsoas.length) throw new GapError('ward', `No 2021 LSOA has its centre in ${ward.name} (${ward.code}) yet: the LSOA → 2025 ward lookup is made once the 2021 LSOA boundaries are loaded`, 404);
    return { type: 'ward', code: ward.code, id: null, name: ward.name, district: ward.district, lsoas: lsoas.map((l) => ({ code: l.code, share: 1 })) };
  }
  const neighbourhood = await findNeighbourhood(db, viewer, area.id);
  if (!neighbourhood) throw new GapError('neighbourhood', 'No such neighbourhood is shared with you: choose one from the list', 404);
  const lsoas = await queryRows<{ code: string; share: number }>(
    db,
    sql`select l.lsoa_code as code, l.share from neighbourhood_lsoas l
        join neighbourhood_versions v on v.id = l.version_id and v.neighbourhood_id = ${neighbourhood.id} and v.version = ${neighbourhood.currentVersion}
        where l.lsoa_vintage = 'lsoa21' and l.share > 0 order by l.lsoa_code`,
  );
  if (!lsoas.length) throw new GapError('neighbourhood', `${neighbourhood.name} counts no 2021 LSOA (its boundary may lie outside the LSOA boundaries loaded)`, 404);
  return { type: 'neighbourhood', code: null, id: neighbourhood.id, name: neighbourhood.name, district: null, lsoas: lsoas.map((l) => ({ code: l.code, share: Number(l.share) })) };
}

/** The chosen terms (checked to exist) and every term beneath them. */
async function categoriesOf(db: Db, ids: string[]): Promise<{ chosen: { id: string; name: string }[]; termIds: string[] }> {
  const wanted = [...new Set(ids.map((c) => c.trim()).filter(Boolean))];
  if (!wanted.length) throw new GapError('category', 'Choose at least one category');
  const found = await db
    .select({ id: directoryTaxonomyTerms.id, name: directoryTaxonomyTerms.name })
    .from(directoryTaxonomyTerms)
    .where(sql`${directoryTaxonomyTerms.id} in (${sql.join(wanted.map((id) => sql`${id}`), sql`, `)})`);
  const missing = wanted.filter((id) => !found.some((f) => f.id === id));
  if (missing.length) throw new GapError('category', `Unknown ${missing.length === 1 ? 'category' : 'categories'}: ${missing.slice(0, 5).join(', ')}`);
  const chosen = wanted.map((id) => found.find((f) => f.id === id)!);
  return { chosen, termIds: (await termWithDescendants(db, wanted)).sort() };
}

/** A record counts when it is active, not merged into another, and in one of the terms. */
const countedService = (terms: string[], service: SQL) => sql`${service}.status = 'active' and ${service}.merged_into_id is null
  and exists (select 1 from directory_service_taxonomies st where st.service_id = ${service}.id and st.term_id = any(${sql.param(terms)}::text[]))`;

/**
 * Above this many counted locations for the `all` located ones (counted² ≥ all), the nearest is found by the
 * spatial index: a KNN walk visits about all ÷ counted locations before meeting a counted one. Below it, a rare
 * category among many records would make that walk long, and measuring to each of the few counted is cheaper.
 */
const useIndex = (counted: number, all: number) => counted * counted >= all;

export async function gapAnalysis(db: Db, options: GapOptions): Promise<GapAnalysis> {
  const walkMetres = options.walkMetres ?? 800;
  const deciles = options.deciles ?? 2;
  if (!walkChoices.includes(walkMetres)) throw new GapError('walk', `The walking distance must be one of ${walkChoices.join(', ')} metres`);
  if (!decileChoices.includes(deciles)) throw new GapError('deciles', 'Choose the most deprived 10%, 20% or 30%');
  const viewer = options.viewer ?? { user: null, organisationIds: [] };
  const { chosen, termIds } = await categoriesOf(db, options.categories ?? defaultCategories);
  const scope = await scopeOf(db, options.area, viewer);
  const edition = await latestLsoa21Edition(db);
  if (!edition) throw new GapError('area', 'No edition of the Indices of Deprivation on 2021 LSOAs (IoD2025) is loaded, so deprived areas cannot be found. An administrator can load the bundled data with: npx patchwork import bundled', 404);
  const population = await latestLsoa21Population(db);
  const notes: string[] = [];

  const codes = scope.lsoas.map((l) => l.code);
  const shares = scope.lsoas.map((l) => l.share);
  const [size] = await queryRows<{ counted: number; all: number }>(
    db,
    sql`select (select count(distinct sl.location_id)::int from directory_service_locations sl join directory_services s on s.id = sl.service_id join directory_locations l on l.id = sl.location_id
                where l.location_bng is not null and ${countedService(termIds, sql`s`)}) as counted,
               (select count(*)::int from directory_locations where location_bng is not null) as all`,
  );
  const counted = size?.counted ?? 0;
  const nearestMethod: GapAnalysis['nearestMethod'] = counted === 0 ? 'none' : useIndex(counted, size?.all ?? 0) ? 'knn-index' : 'all-pairs';
  const nearest =
    nearestMethod === 'knn-index'
      ? sql`left join lateral (
          select l.id as location_id, ST_Distance(l.location_bng, x.point) as metres from directory_locations l
          where l.location_bng is not null and exists (select 1 from directory_service_locations sl join directory_services s on s.id = sl.service_id where sl.location_id = l.id and ${countedService(termIds, sql`s`)})
          order by l.location_bng <-> x.point limit 1) n on x.point is not null`
      : nearestMethod === 'all-pairs'
        ? sql`left join lateral (select c.id as location_id, ST_Distance(c.bng, x.point) as metres from counted_locations c order by c.bng <-> x.point limit 1) n on x.point is not null`
        : sql`left join lateral (select null::uuid as location_id, null::float8 as metres) n on true`;

  const rows = await queryRows<{
    code: string;
    name: string;
    share: number;
    measured_from: MeasuredFrom | null;
    ward_code: string | null;
    ward_name: string | null;
    population: number | null;
    rank: number | null;
    decile: number | null;
    location_id: string | null;
    metres: number | null;
  }>(
    db,
    sql`with scope as (select * from unnest(${sql.param(codes)}::text[], ${sql.param(shares)}::float8[]) as t(code, share)),
        x as materialized (
          select a.code, a.name, s.share, a.centroid,
            ST_Transform(coalesce(a.weighted_centroid, a.centroid), 27700) as point,
            case when a.weighted_centroid is not null then 'population-weighted centroid' when a.centroid is not null then 'point on surface' end as measured_from
          from scope s join areas a on a.vintage = 'lsoa21' and a.code = s.code
        )${
          nearestMethod === 'all-pairs'
            ? sql`, counted_locations as materialized (
          select distinct l.id, l.location_bng as bng from directory_locations l join directory_service_locations sl on sl.location_id = l.id join directory_services s on s.id = sl.service_id
          where l.location_bng is not null and ${countedService(termIds, sql`s`)})`
            : sql``
        }
        select x.code, x.name, x.share, x.measured_from, w.code as ward_code, wa.name as ward_name, p.value as population, v.rank, v.decile, n.location_id, n.metres
        from x
        left join lateral (
          select coalesce(
            (select k.to_code from area_lookups k where k.from_vintage = 'lsoa21' and k.from_code = x.code and k.to_vintage = 'ward25' order by k.method <> 'derived-point-in-polygon', k.to_code limit 1),
            (select a.code from areas a where a.vintage = 'ward25' and x.centroid is not null and ST_Contains(a.boundary, x.centroid) order by a.code limit 1)) as code
        ) w on true
        left join areas wa on wa.vintage = 'ward25' and wa.code = w.code
        left join indicator_values p on p.indicator_id = ${population?.indicatorId ?? ''} and p.code = x.code
        left join indicator_values v on v.indicator_id = ${`${edition.id}.imd`} and v.code = x.code
        ${nearest}
        order by x.code`,
  );
  const missing = codes.length - rows.length;
  if (missing > 0) notes.push(`${missing} of the area’s LSOA codes ${missing === 1 ? 'is' : 'are'} not among the 2021 LSOAs Patchwork holds and ${missing === 1 ? 'is' : 'are'} left out.`);
  if (!rows.some((r) => r.measured_from)) {
    throw new GapError('area', 'The 2021 LSOA boundaries are not loaded yet, so distances cannot be measured (on a new installation they load in the background for a few minutes after the first start). Try again shortly.', 404);
  }

  const nearestIds = [...new Set(rows.map((r) => r.location_id).filter((id): id is string => id !== null))];
  const pairs = await queryRows<{
    service_id: string;
    name: string;
    kind: string;
    sample: boolean;
    categories: string | null;
    location_id: string;
    location_name: string | null;
    postcode: string | null;
    lsoa21: string | null;
    longitude: number | null;
    latitude: number | null;
  }>(
    db,
    sql`select s.id as service_id, s.name, s.kind, s.sample,
          (select string_agg(t.name, '; ' order by t.name) from directory_service_taxonomies st join directory_taxonomy_terms t on t.id = st.term_id
           where st.service_id = s.id and st.term_id = any(${sql.param(termIds)}::text[])) as categories,
          l.id as location_id, l.name as location_name, l.postcode, l.lsoa21, ST_X(l.location) as longitude, ST_Y(l.location) as latitude
        from directory_services s join directory_service_locations sl on sl.service_id = s.id join directory_locations l on l.id = sl.location_id
        where ${countedService(termIds, sql`s`)}
          and (l.lsoa21 = any(${sql.param(codes)}::text[]) ${nearestIds.length ? sql`or l.id = any(${sql.param(nearestIds)}::uuid[])` : sql``})
        order by s.name, s.id, l.id`,
  );

  const inScope = new Map(scope.lsoas.map((l) => [l.code, l.share]));
  const servicesAt = new Map<string, { id: string; name: string }[]>();
  const servicesIn = new Map<string, Set<string>>();
  for (const p of pairs) {
    const at = servicesAt.get(p.location_id) ?? [];
    if (!at.some((s) => s.id === p.service_id)) at.push({ id: p.service_id, name: p.name });
    servicesAt.set(p.location_id, at);
    if (p.lsoa21 && inScope.has(p.lsoa21)) {
      const set = servicesIn.get(p.lsoa21) ?? new Set<string>();
      set.add(p.service_id);
      servicesIn.set(p.lsoa21, set);
    }
  }
  const locationLsoa = new Map(pairs.map((p) => [p.location_id, p.lsoa21]));

  const lsoas: GapLsoa[] = rows.map((r) => {
    const populationValue = r.population === null ? null : Number(r.population);
    const share = Number(r.share);
    const assetIds = [...(servicesIn.get(r.code) ?? [])].sort();
    const metres = r.metres === null ? null : Number(r.metres);
    const decile = r.decile === null ? null : Number(r.decile);
    const deprived = decile !== null && decile <= deciles;
    const measurable = r.measured_from !== null;
    const beyondWalk = !measurable ? null : metres === null || metres > walkMetres;
    const lsoaOfNearest = r.location_id ? locationLsoa.get(r.location_id) : null;
    return {
      code: r.code,
      name: r.name,
      ward: r.ward_code ? { code: r.ward_code, name: r.ward_name ?? r.ward_code } : null,
      share,
      population: populationValue,
      people: populationValue === null ? null : populationValue * share,
      decile,
      rank: r.rank === null ? null : Number(r.rank),
      assets: assetIds.length,
      assetIds,
      per1000: populationValue ? (assetIds.length / populationValue) * 1000 : null,
      nearest: r.location_id && metres !== null ? { locationId: r.location_id, services: servicesAt.get(r.location_id) ?? [], metres, inArea: !!lsoaOfNearest && inScope.has(lsoaOfNearest) } : null,
      measuredFrom: r.measured_from,
      deprived,
      gap: beyondWalk === null ? null : deprived && beyondWalk,
      beyondWalk,
    };
  });

  const totalsOf = (group: GapLsoa[]): GapTotals => {
    const hasPopulation = group.some((l) => l.people !== null);
    const sum = (pick: (l: GapLsoa) => boolean) => (hasPopulation ? group.filter(pick).reduce((n, l) => n + (l.people ?? 0), 0) : null);
    // A record counts once in a group, at the largest share of the LSOAs it is located in.
    const weight = new Map<string, number>();
    for (const l of group) for (const id of l.assetIds) weight.set(id, Math.max(weight.get(id) ?? 0, l.share));
    const assets = [...weight.values()].reduce((a, b) => a + b, 0);
    const people = sum(() => true);
    return {
      lsoas: group.length,
      people,
      assets,
      per1000: people ? (assets / people) * 1000 : null,
      deprived: group.filter((l) => l.deprived).length,
      deprivedPeople: sum((l) => l.deprived),
      gaps: group.filter((l) => l.gap).length,
      gapPeople: sum((l) => l.gap === true),
      beyondWalk: group.filter((l) => l.beyondWalk).length,
      beyondWalkPeople: sum((l) => l.beyondWalk === true),
    };
  };
  const byWard = new Map<string, GapLsoa[]>();
  for (const l of lsoas) byWard.set(l.ward?.code ?? '', [...(byWard.get(l.ward?.code ?? '') ?? []), l]);
  const wards: GapWard[] = [...byWard]
    .map(([code, group]) => ({ code: code || null, name: code ? group[0]!.ward!.name : 'Ward not known', ...totalsOf(group) }))
    .sort((a, b) => (a.code === null ? 1 : b.code === null ? -1 : a.name.localeCompare(b.name)));

  const nearestCount = new Map<string, number>();
  for (const l of lsoas) if (l.nearest) nearestCount.set(l.nearest.locationId, (nearestCount.get(l.nearest.locationId) ?? 0) + 1);
  const assets: CountedAsset[] = pairs.map((p) => ({
    serviceId: p.service_id,
    name: p.name,
    kind: p.kind,
    sample: p.sample,
    categories: p.categories ?? '',
    locationId: p.location_id,
    locationName: p.location_name,
    postcode: p.postcode,
    lsoa21: p.lsoa21,
    longitude: p.longitude === null ? null : Number(p.longitude),
    latitude: p.latitude === null ? null : Number(p.latitude),
    inArea: !!p.lsoa21 && inScope.has(p.lsoa21),
    nearestTo: nearestCount.get(p.location_id) ?? 0,
  }));

  if (!population) notes.push('No population estimates for 2021 LSOAs are loaded, so figures per 1,000 people and counts of people are not shown. An administrator can load them with: npx patchwork import bundled');
  else if (lsoas.some((l) => l.population === null)) notes.push(`${lsoas.filter((l) => l.population === null).length} LSOAs have no population estimate and are left out of the counts of people.`);
  const unranked = lsoas.filter((l) => l.decile === null).length;
  if (unranked) notes.push(`${unranked} LSOA${unranked === 1 ? ' has' : 's have'} no ${edition.label} decile and ${unranked === 1 ? 'is' : 'are'} not counted as deprived.`);
  const unmeasured = lsoas.filter((l) => l.measuredFrom === null).length;
  if (unmeasured) notes.push(`${unmeasured} LSOA${unmeasured === 1 ? ' has' : 's have'} no boundary loaded, so ${unmeasured === 1 ? 'its' : 'their'} distance cannot be measured.`);
  if (nearestMethod === 'none') notes.push('No active record of these categories has a location, so every LSOA is beyond walking distance of one.');
  const noWard = lsoas.filter((l) => !l.ward).length;
  if (noWard) notes.push(`${noWard} LSOA${noWard === 1 ? ' is' : 's are'} in no 2025 ward Patchwork knows (the ward boundaries may not be loaded).`);

  return {
    area: { type: scope.type, code: scope.code, id: scope.id, name: scope.name, district: scope.district },
    edition: { id: edition.id, label: edition.label, publishedOn: String(edition.publishedOn) },
    population,
    categories: chosen,
    termIds,
    walkMetres,
    deciles,
    lsoas,
    wards,
    totals: totalsOf(lsoas),
    assets,
    nearestMethod,
    notes,
  };
}
