import { sql, type SQL } from 'drizzle-orm';
import type { Viewer } from '../../platform/auth/permissions.ts';
import { queryRows, type Db } from '../../platform/db/database.ts';
import { findLayer, layerAreas } from './layers.ts';
import { findNeighbourhood } from './service.ts';

/**
 * Reconciling footprints: how the units of one geography or definition (wards, CCGs, districts, LSOAs, a
 * neighbourhood) overlap the units of another, by people and by area.
 *
 * Nothing is intersected as polygons. Every geography is expressed as weights on one common LSOA grid: rows
 * (LSOA, unit, weight) where the weight is the fraction of that LSOA counted in the unit. A statutory
 * geography reached by a best-fit lookup gives each LSOA wholly to its unit; LSOAs are themselves; a
 * neighbourhood gives each LSOA the share its version recorded, and a layer is its areas, each a neighbourhood. The overlap of unit A_i with unit B_j is then
 * Σ over LSOAs of population × wA × wB (and the same with each LSOA's area), which works for geographies with
 * no boundaries at all (CCGs, 2019 wards) and counts every LSOA's people exactly once on each side.
 */

export type LsoaVintage = 'lsoa11' | 'lsoa21';

/** The statutory geographies an overlap can use, and the LSOAs each is built from. */
export const overlapGeographies = {
  ward19: { label: 'Wards (December 2019)', unit: 'ward', lsoaVintage: 'lsoa11', coarse: false },
  ward24: { label: 'Wards (2024)', unit: 'ward', lsoaVintage: 'lsoa21', coarse: false },
  ward25: { label: 'Wards (2025)', unit: 'ward', lsoaVintage: 'lsoa21', coarse: false },
  lad19: { label: 'Local authority districts (2019)', unit: 'district', lsoaVintage: 'lsoa11', coarse: true },
  lad24: { label: 'Local authority districts (2024)', unit: 'district', lsoaVintage: 'lsoa21', coarse: true },
  ccg20: { label: 'NHS clinical commissioning groups (April 2020)', unit: 'CCG', lsoaVintage: 'lsoa11', coarse: true },
  lsoa11: { label: 'LSOAs (2011)', unit: 'LSOA', lsoaVintage: 'lsoa11', coarse: false },
  lsoa21: { label: 'LSOAs (2021)', unit: 'LSOA', lsoaVintage: 'lsoa21', coarse: false },
} as const satisfies Record<string, { label: string; unit: string; lsoaVintage: LsoaVintage; coarse: boolean }>;
export type OverlapVintage = keyof typeof overlapGeographies;

export type GeographyRef = { kind: 'areas'; vintage: OverlapVintage } | { kind: 'neighbourhood'; id: string } | { kind: 'layer'; id: string };

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const districtPattern = /^E0[6-9]\d{6}$/;

/** A query value such as `ward19`, `neighbourhood:<uuid>` or `layer:<uuid>`, or null when it names none of them. */
export function parseGeographyRef(value: string | undefined | null): GeographyRef | null {
  const text = (value ?? '').trim();
  if (Object.hasOwn(overlapGeographies, text.toLowerCase())) return { kind: 'areas', vintage: text.toLowerCase() as OverlapVintage };
  const match = /^(neighbourhood|layer):(.+)$/i.exec(text);
  if (match && uuidPattern.test(match[2]!)) return { kind: match[1]!.toLowerCase() as 'neighbourhood' | 'layer', id: match[2]!.toLowerCase() };
  return null;
}

export const refValue = (ref: GeographyRef) => (ref.kind === 'areas' ? ref.vintage : `${ref.kind}:${ref.id}`);

/** A request that cannot be answered: 400 when it makes no sense, 404 when what it names is not there (or not shared). */
export class OverlapError extends Error {
  constructor(
    message: string,
    readonly field: 'a' | 'b' | 'lad',
    readonly status: 400 | 404 = 400,
  ) {
    super(message);
    this.name = 'OverlapError';
  }
}

export type OverlapUnit = {
  code: string;
  name: string;
  /** The whole unit's people and area, wherever they are (null when not known). */
  population: number | null;
  areaSqKm: number | null;
  /** The part inside the district asked about (the whole unit when none was). */
  populationInScope: number | null;
  areaSqKmInScope: number | null;
  /** LSOAs of the grid the unit counts, in part or whole, inside the district. */
  lsoasInScope: number;
};

export type OverlapCell = {
  a: string;
  b: string;
  population: number | null;
  shareOfA: number | null;
  shareOfB: number | null;
  areaSqKm: number | null;
  areaShareOfA: number | null;
  areaShareOfB: number | null;
};

export type OverlapSide = {
  ref: GeographyRef;
  value: string;
  /** "Wards (December 2019)", or the neighbourhood's or layer's name. */
  label: string;
  /** What one unit is called: "ward", "CCG", "neighbourhood", "area" (of a layer). */
  unit: string;
  units: OverlapUnit[];
  /** How it was put on the common LSOA grid. */
  method: string;
};

export type OverlapMatrix = {
  a: OverlapSide;
  b: OverlapSide;
  district: { code: string; name: string } | null;
  /** The LSOA geography both sides were expressed on. */
  lsoaVintage: LsoaVintage;
  population: { indicatorId: string; label: string; period: string; editionId: string | null } | null;
  /** The non-empty pairs, in row then column order. */
  cells: OverlapCell[];
  /** People and area in all the cells together (each LSOA's counted once per pair of units it falls in). */
  total: { population: number | null; areaSqKm: number | null };
  /** The LSOAs compared: those of the district, or of the neighbourhood(s) when no district was given. */
  scope: { lsoas: number; population: number | null; areaSqKm: number | null; lsoasWithoutPopulation: number; lsoasWithoutBoundary: number };
  /** Each LSOA compared, with the unit of each side holding most of it (for a map). */
  lsoas: { code: string; name: string; a: string | null; b: string | null }[];
  notes: string[];
};

type WeightRow = { lsoa: string; unit: string; w: number; wa: number };

type ResolvedSide = {
  ref: GeographyRef;
  field: 'a' | 'b';
  label: string;
  unit: string;
  native: LsoaVintage | null;
  neighbourhood: { id: string; name: string; versionId: string } | null;
  /** A layer's areas, each a unit counted by its current version. */
  layer: { id: string; name: string; areas: { id: string; name: string; versionId: string }[] } | null;
};

/** A side defined by its own shapes (a neighbourhood or a layer): no district is needed, its LSOAs are the scope. */
const ownShapes = (side: ResolvedSide) => side.neighbourhood !== null || side.layer !== null;

/** "Wards (2019)" → "wards (2019)", leaving initialisms ("NHS", "LSOAs") alone. */
export const lowerFirst = (s: string) => (/^[A-Z][a-z]/.test(s) ? s.charAt(0).toLowerCase() + s.slice(1) : s);
const lsoaLabel = (v: LsoaVintage) => (v === 'lsoa11' ? '2011 LSOAs' : '2021 LSOAs');
const textList = (codes: string[]) => sql`${sql.param(codes)}::text[]`;

async function resolveSide(db: Db, viewer: Viewer, ref: GeographyRef, field: 'a' | 'b'): Promise<ResolvedSide> {
  if (ref.kind === 'areas') {
    const g = overlapGeographies[ref.vintage];
    return { ref, field, label: g.label, unit: g.unit, native: g.lsoaVintage, neighbourhood: null, layer: null };
  }
  if (ref.kind === 'layer') {
    const layer = await findLayer(db, viewer, ref.id);
    if (!layer) throw new OverlapError(`No neighbourhood layer ${ref.id} is shared with you`, field, 404);
    const areas = await layerAreas(db, viewer, layer.id, null);
    return { ref, field, label: layer.name, unit: 'area', native: null, neighbourhood: null, layer: { id: layer.id, name: layer.name, areas: areas.map((a) => ({ id: a.id, name: a.name, versionId: a.versionId })) } };
  }
  const found = await findNeighbourhood(db, viewer, ref.id);
  // Not there, or not shared with this viewer: the same answer, so its existence does not leak.
  if (!found) throw new OverlapError(`No neighbourhood ${ref.id} is shared with you`, field, 404);
  const [version] = await queryRows<{ id: string }>(db, sql`select id from neighbourhood_versions where neighbourhood_id = ${found.id} and version = ${found.currentVersion}`);
  if (!version) throw new OverlapError(`No neighbourhood ${ref.id} is shared with you`, field, 404);
  return { ref, field, label: found.name, unit: 'neighbourhood', native: null, neighbourhood: { id: found.id, name: found.name, versionId: version.id }, layer: null };
}

/**
 * The weights of one side on the grid, for every LSOA of every unit that touches the scope (so each unit's
 * whole population is known), or for all units when there is no scope.
 */
async function weightsOf(db: Db, side: ResolvedSide, grid: LsoaVintage, scope: string[] | null): Promise<WeightRow[]> {
  let query: SQL;
  if (side.neighbourhood) {
    query = sql`select lsoa_code as lsoa, ${side.neighbourhood.id}::text as unit, share::float8 as w, area_share::float8 as wa
                from neighbourhood_lsoas where version_id = ${side.neighbourhood.versionId} and lsoa_vintage = ${grid} and (share > 0 or area_share > 0)`;
  } else if (side.layer) {
    if (!side.layer.areas.length) return [];
    query = sql`select l.lsoa_code as lsoa, v.neighbourhood_id::text as unit, l.share::float8 as w, l.area_share::float8 as wa
                from neighbourhood_lsoas l join neighbourhood_versions v on v.id = l.version_id
                where l.version_id = any(${sql.param(side.layer.areas.map((a) => a.versionId))}::uuid[]) and l.lsoa_vintage = ${grid} and (l.share > 0 or l.area_share > 0)`;
  } else {
    const vintage = (side.ref as Extract<GeographyRef, { kind: 'areas' }>).vintage;
    const native = overlapGeographies[vintage].lsoaVintage;
    if (vintage === grid) {
      query = sql`select code as lsoa, code as unit, 1::float8 as w, 1::float8 as wa from areas where vintage = ${grid} ${scope ? sql`and code = any(${textList(scope)})` : sql``}`;
    } else if (native === grid) {
      // Best fit: one unit per LSOA. Should two sources ever give an LSOA two units, it is shared between them.
      const touching = scope
        ? sql`and l.to_code in (select s.to_code from area_lookups s where s.from_vintage = ${grid} and s.to_vintage = ${vintage} and s.from_code = any(${textList(scope)}))`
        : sql``;
      query = sql`select l.from_code as lsoa, l.to_code as unit,
                    (1.0 / (select count(*) from area_lookups c where c.from_vintage = l.from_vintage and c.from_code = l.from_code and c.to_vintage = l.to_vintage))::float8 as w
                  from area_lookups l where l.from_vintage = ${grid} and l.to_vintage = ${vintage} ${touching}`;
      query = sql`select lsoa, unit, w, w as wa from (${query}) x`;
    } else if (native === 'lsoa21' && grid === 'lsoa11') {
      // A geography of 2021 LSOAs on the 2011 grid: each 2011 LSOA shared among the 2021 LSOAs it became by
      // the share of its area in each (recorded where both boundaries are loaded; otherwise equally), the
      // same rule as the 2021-LSOA population estimates.
      const reached = scope
        ? sql`select distinct s.to_code from area_lookups s where s.from_vintage = 'lsoa11' and s.to_vintage = 'lsoa21' and s.from_code = any(${textList(scope)})`
        : null;
      const members =
        vintage === 'lsoa21'
          ? sql`select distinct s.to_code as l21, s.to_code as unit, 1::float8 as w from area_lookups s where s.from_vintage = 'lsoa11' and s.to_vintage = 'lsoa21' ${scope ? sql`and s.from_code = any(${textList(scope)})` : sql``}`
          : sql`select m.from_code as l21, m.to_code as unit,
                  (1.0 / (select count(*) from area_lookups c where c.from_vintage = m.from_vintage and c.from_code = m.from_code and c.to_vintage = m.to_vintage))::float8 as w
                from area_lookups m where m.from_vintage = 'lsoa21' and m.to_vintage = ${vintage}
                ${reached ? sql`and m.to_code in (select t.to_code from area_lookups t where t.from_vintage = 'lsoa21' and t.to_vintage = ${vintage} and t.from_code in (${reached}))` : sql``}`;
      query = sql`with members as (${members})
        select c.from_code as lsoa, m.unit,
               sum(m.w * case when k.with_share = k.n and k.total > 0 then c.share / k.total else 1.0 / k.n end)::float8 as w
        from members m
        join area_lookups c on c.to_vintage = 'lsoa21' and c.to_code = m.l21 and c.from_vintage = 'lsoa11'
        cross join lateral (select count(*) as n, count(share) as with_share, sum(share) as total from area_lookups k
                            where k.from_vintage = 'lsoa11' and k.from_code = c.from_code and k.to_vintage = 'lsoa21') k
        group by c.from_code, m.unit`;
      query = sql`select lsoa, unit, w, w as wa from (${query}) x`;
    } else {
      // Never chosen: a side on 2011 LSOAs puts the grid on 2011 LSOAs.
      throw new Error(`Cannot express ${vintage} on ${grid}`);
    }
  }
  const rows = await queryRows<WeightRow>(db, query);
  return rows.map((r) => ({ lsoa: r.lsoa, unit: r.unit, w: Number(r.w), wa: Number(r.wa) }));
}

/** The population of the grid's LSOAs: the denominator of the latest edition on them, else the latest national estimate. */
async function populationSource(db: Db, grid: LsoaVintage): Promise<OverlapMatrix['population']> {
  const [row] = await queryRows<{ id: string; label: string; period: string; edition_id: string | null }>(
    db,
    sql`with edition as (select id, population_indicator_id from editions where lsoa_vintage = ${grid} order by published_on desc limit 1)
        select i.id, i.label, i.period, (select id from edition where population_indicator_id = i.id) as edition_id from indicators i
        where i.id = coalesce((select population_indicator_id from edition),
          (select id from indicators where vintage = ${grid} and edition_id is null and owner_organisation_id is null and unit = 'people' order by period desc, id limit 1))`,
  );
  return row ? { indicatorId: row.id, label: row.label, period: row.period, editionId: row.edition_id } : null;
}

/** Statutory geographies fine enough that all of England would be too many rows to read: they need a district. */
const needsDistrict = (side: ResolvedSide) => side.ref.kind === 'areas' && !overlapGeographies[side.ref.vintage].coarse;

/**
 * The overlap of every unit of `a` with every unit of `b`, by people and area, within one district when
 * `lad` is given. Neighbourhoods the viewer may not see answer as if they did not exist.
 */
export async function overlapMatrix(db: Db, viewer: Viewer, aRef: GeographyRef, bRef: GeographyRef, options: { lad?: string } = {}): Promise<OverlapMatrix> {
  const lad = options.lad?.trim().toUpperCase() || undefined;
  if (lad && !districtPattern.test(lad)) throw new OverlapError('Enter a district code such as E08000035 (E06, E07, E08 or E09 and six digits)', 'lad');
  const a = await resolveSide(db, viewer, aRef, 'a');
  const b = await resolveSide(db, viewer, bRef, 'b');
  if (!lad && !ownShapes(a) && !ownShapes(b) && (needsDistrict(a) || needsDistrict(b))) {
    throw new OverlapError(
      `${a.label} by ${b.label} for the whole of England is too large to show: enter a district code (such as E08000035 for Leeds) to compare them within one district`,
      'lad',
    );
  }

  // The common grid: the one both sides are on; 2011 LSOAs when they differ (2021 LSOAs convert to 2011
  // ones by the recorded shares of area, not the other way round); a neighbourhood or layer is on both.
  const latest = (await queryRows<{ v: LsoaVintage }>(db, sql`select lsoa_vintage as v from editions order by published_on desc limit 1`))[0]?.v;
  const grid: LsoaVintage = a.native && b.native ? (a.native === b.native ? a.native : 'lsoa11') : (a.native ?? b.native ?? latest ?? 'lsoa21');
  const notes: string[] = [];
  for (const side of [a, b]) {
    if (side.native && side.native !== grid) notes.push(`${side.label} are built from ${lsoaLabel(side.native)}, compared here on ${lsoaLabel(grid)}: each 2011 LSOA is shared among the 2021 LSOAs it became by the share of its area in each where both boundaries are loaded, otherwise equally.`);
  }

  // Which LSOAs are compared.
  let scope: string[] | null = null;
  let district: OverlapMatrix['district'] = null;
  if (lad) {
    const rows = await queryRows<{ code: string }>(
      db,
      sql`select distinct from_code as code from area_lookups
          where to_vintage in (select id from area_vintages where type = 'lad') and to_code = ${lad} and from_vintage = ${grid}`,
    );
    if (!rows.length) throw new OverlapError(`${lad} is not a district Patchwork has ${lsoaLabel(grid)} for`, 'lad', 404);
    scope = rows.map((r) => r.code);
    const [named] = await queryRows<{ name: string }>(db, sql`select name from areas where code = ${lad} and vintage in (select id from area_vintages where type = 'lad') order by vintage desc limit 1`);
    district = { code: lad, name: named?.name ?? lad };
  }

  // Without a district, the neighbourhood(s) or layer(s) are the scope: their LSOAs, and the units of the other side touching them.
  let rowsA: WeightRow[];
  let rowsB: WeightRow[];
  if (!scope && (ownShapes(a) || ownShapes(b))) {
    const ownA = ownShapes(a) ? await weightsOf(db, a, grid, null) : null;
    const ownB = ownShapes(b) ? await weightsOf(db, b, grid, null) : null;
    const lsoas: string[] = [...new Set([...(ownA ?? []), ...(ownB ?? [])].map((r) => r.lsoa))];
    scope = lsoas;
    rowsA = ownA ?? (await weightsOf(db, a, grid, lsoas));
    rowsB = ownB ?? (await weightsOf(db, b, grid, lsoas));
  } else {
    rowsA = await weightsOf(db, a, grid, scope);
    rowsB = await weightsOf(db, b, grid, scope);
  }

  const inScope = scope ? new Set(scope) : null;
  const within = (lsoa: string) => !inScope || inScope.has(lsoa);

  // Every LSOA either side touches: its name, people and area.
  const population = await populationSource(db, grid);
  if (!population) notes.push(`No population estimates for ${lsoaLabel(grid)} are loaded, so only areas are compared.`);
  const codes = [...new Set([...rowsA, ...rowsB].map((r) => r.lsoa).concat(scope ?? []))];
  const facts = new Map<string, { name: string; population: number | null; km2: number | null }>();
  if (codes.length) {
    const rows = await queryRows<{ code: string; name: string; population: number | null; km2: number | null }>(
      db,
      sql`select a.code, a.name, ${population ? sql`p.value` : sql`null::float8`} as population,
                 case when a.boundary is null then null else ST_Area(ST_Transform(a.boundary, 27700)) / 1e6 end as km2
          from areas a ${population ? sql`left join indicator_values p on p.indicator_id = ${population.indicatorId} and p.code = a.code` : sql``}
          where a.vintage = ${grid} and a.code = any(${textList(codes)})`,
    );
    for (const r of rows) facts.set(r.code, { name: r.name, population: r.population === null ? null : Number(r.population), km2: r.km2 === null ? null : Number(r.km2) });
  }
  const peopleOf = (lsoa: string) => facts.get(lsoa)?.population ?? 0;
  const km2Of = (lsoa: string) => facts.get(lsoa)?.km2 ?? null;

  const unitsOf = async (side: ResolvedSide, rows: WeightRow[]): Promise<OverlapUnit[]> => {
    const byUnit = new Map<string, OverlapUnit & { areaMissing: boolean; scopeAreaMissing: boolean }>();
    for (const r of rows) {
      let u = byUnit.get(r.unit);
      if (!u) {
        u = { code: r.unit, name: r.unit, population: population ? 0 : null, areaSqKm: 0, populationInScope: population ? 0 : null, areaSqKmInScope: 0, lsoasInScope: 0, areaMissing: false, scopeAreaMissing: false };
        byUnit.set(r.unit, u);
      }
      const km2 = km2Of(r.lsoa);
      if (population) u.population! += peopleOf(r.lsoa) * r.w;
      if (km2 === null) u.areaMissing = true;
      else u.areaSqKm! += km2 * r.wa;
      if (within(r.lsoa) && (r.w > 0 || r.wa > 0)) {
        u.lsoasInScope++;
        if (population) u.populationInScope! += peopleOf(r.lsoa) * r.w;
        if (km2 === null) u.scopeAreaMissing = true;
        else u.areaSqKmInScope! += km2 * r.wa;
      }
    }
    // Units with nothing inside the district are left out, but a neighbourhood asked for is always shown.
    const units = [...byUnit.values()].filter((u) => u.lsoasInScope > 0 || side.neighbourhood);
    if (side.neighbourhood && !units.length) {
      units.push({ code: side.neighbourhood.id, name: side.neighbourhood.name, population: population ? 0 : null, areaSqKm: 0, populationInScope: population ? 0 : null, areaSqKmInScope: 0, lsoasInScope: 0, areaMissing: false, scopeAreaMissing: false });
    }
    if (side.neighbourhood) for (const u of units) u.name = side.neighbourhood.name;
    else if (side.layer) {
      const names = new Map(side.layer.areas.map((n) => [n.id, n.name]));
      for (const u of units) u.name = names.get(u.code) ?? u.code;
    } else if (units.length) {
      const vintage = (side.ref as Extract<GeographyRef, { kind: 'areas' }>).vintage;
      const names = await queryRows<{ code: string; name: string }>(db, sql`select code, name from areas where vintage = ${vintage} and code = any(${textList(units.map((u) => u.code))})`);
      const byCode = new Map(names.map((n) => [n.code, n.name]));
      for (const u of units) u.name = byCode.get(u.code) ?? u.code;
    }
    return units
      .map(({ areaMissing, scopeAreaMissing, ...u }) => ({ ...u, areaSqKm: areaMissing ? null : u.areaSqKm, areaSqKmInScope: scopeAreaMissing ? null : u.areaSqKmInScope }))
      .sort((x, y) => x.name.localeCompare(y.name, 'en-GB') || x.code.localeCompare(y.code));
  };
  const [unitsA, unitsB] = [await unitsOf(a, rowsA), await unitsOf(b, rowsB)];
  // (A neighbourhood with no LSOAs on the grid leaves nothing to compare: an empty answer, not an error.)
  const anything = !scope || scope.length > 0;
  if (anything && !a.neighbourhood && !unitsA.length) throw new OverlapError(noUnits(a, grid, district), 'a', 404);
  if (anything && !b.neighbourhood && !unitsB.length) throw new OverlapError(noUnits(b, grid, district), 'b', 404);

  // The cells: every LSOA compared, times its weight on each side.
  const sideIndex = (rows: WeightRow[]) => {
    const index = new Map<string, WeightRow[]>();
    for (const r of rows) if (within(r.lsoa) && (r.w > 0 || r.wa > 0)) index.set(r.lsoa, [...(index.get(r.lsoa) ?? []), r]);
    return index;
  };
  const byLsoaA = sideIndex(rowsA);
  const byLsoaB = sideIndex(rowsB);
  type Sum = { population: number; km2: number; areaMissing: boolean };
  const sums = new Map<string, Sum>();
  for (const [lsoa, as] of byLsoaA) {
    const bs = byLsoaB.get(lsoa);
    if (!bs) continue;
    const people = peopleOf(lsoa);
    const km2 = km2Of(lsoa);
    for (const ra of as) {
      for (const rb of bs) {
        const w = ra.w * rb.w;
        const wa = ra.wa * rb.wa;
        if (w <= 0 && wa <= 0) continue;
        const key = `${ra.unit}\u0000${rb.unit}`;
        const sum = sums.get(key) ?? { population: 0, km2: 0, areaMissing: false };
        sum.population += people * w;
        if (km2 === null) sum.areaMissing = true;
        else sum.km2 += km2 * wa;
        sums.set(key, sum);
      }
    }
  }
  const ratio = (part: number | null, whole: number | null) => (part === null || whole === null || whole <= 0 ? null : part / whole);
  const cells: OverlapCell[] = [];
  for (const ua of unitsA) {
    for (const ub of unitsB) {
      const sum = sums.get(`${ua.code}\u0000${ub.code}`);
      if (!sum) continue;
      const people = population ? sum.population : null;
      const km2 = sum.areaMissing ? null : sum.km2;
      cells.push({ a: ua.code, b: ub.code, population: people, shareOfA: ratio(people, ua.population), shareOfB: ratio(people, ub.population), areaSqKm: km2, areaShareOfA: ratio(km2, ua.areaSqKm), areaShareOfB: ratio(km2, ub.areaSqKm) });
    }
  }

  // The LSOAs compared, each with the unit of either side holding most of it.
  const main = (rows: WeightRow[] | undefined) => (rows?.length ? rows.reduce((best, r) => (r.w > best.w || (r.w === best.w && r.wa > best.wa) ? r : best)).unit : null);
  const compared = inScope ? [...inScope] : [...new Set([...byLsoaA.keys(), ...byLsoaB.keys()])];
  const lsoas = compared.map((code) => ({ code, name: facts.get(code)?.name ?? code, a: main(byLsoaA.get(code)), b: main(byLsoaB.get(code)) }));
  const withoutPopulation = population ? compared.filter((c) => facts.get(c)?.population == null).length : compared.length;
  const withoutBoundary = compared.filter((c) => km2Of(c) === null).length;
  if (population && withoutPopulation) notes.push(`${withoutPopulation.toLocaleString('en-GB')} of the LSOAs compared have no population figure and count as none.`);
  if (withoutBoundary) notes.push(`${withoutBoundary.toLocaleString('en-GB')} of the LSOAs compared have no boundary loaded, so areas are not given where they count.`);

  const totalArea = cells.some((c) => c.areaSqKm === null) ? null : cells.reduce((s, c) => s + (c.areaSqKm ?? 0), 0);
  return {
    a: { ref: aRef, value: refValue(aRef), label: a.label, unit: a.unit, units: unitsA, method: methodText(a, grid) },
    b: { ref: bRef, value: refValue(bRef), label: b.label, unit: b.unit, units: unitsB, method: methodText(b, grid) },
    district,
    lsoaVintage: grid,
    population,
    cells,
    total: { population: population ? cells.reduce((s, c) => s + (c.population ?? 0), 0) : null, areaSqKm: totalArea },
    scope: {
      lsoas: compared.length,
      population: population ? compared.reduce((s, c) => s + peopleOf(c), 0) : null,
      areaSqKm: withoutBoundary ? null : compared.reduce((s, c) => s + (km2Of(c) ?? 0), 0),
      lsoasWithoutPopulation: withoutPopulation,
      lsoasWithoutBoundary: withoutBoundary,
    },
    lsoas,
    notes,
  };
}

function noUnits(side: ResolvedSide, grid: LsoaVintage, district: OverlapMatrix['district']): string {
  const where = district ? ` in ${district.name} (${district.code})` : '';
  if (side.layer) return `None of the areas of ${side.layer.name} lies${where || ' in any LSOA with boundaries loaded'}`;
  const native = side.native ?? grid;
  return `Patchwork has no ${lowerFirst(side.label)}${where}: the lookup from ${lsoaLabel(native)} to them is not loaded${side.ref.kind === 'areas' && side.ref.vintage === 'ward25' ? ' (it is derived once the 2025 ward and 2021 LSOA boundaries have loaded)' : ''}`;
}

function methodText(side: ResolvedSide, grid: LsoaVintage): string {
  if (side.neighbourhood) return `Each ${lsoaLabel(grid).replace(/s$/, '')} counted by the share its current version records (people by population-weighted centroid or whole membership; area by the share of area inside).`;
  if (side.layer) return `Each area of the layer a neighbourhood: each ${lsoaLabel(grid).replace(/s$/, '')} counted by the share the area's current version records (people by population-weighted centroid or whole membership; area by the share of area inside).`;
  const vintage = (side.ref as Extract<GeographyRef, { kind: 'areas' }>).vintage;
  if (vintage === grid) return 'The LSOAs themselves.';
  if (side.native === grid) return `Each ${lsoaLabel(grid).replace(/s$/, '')} wholly in its best-fit ${side.unit} (ONS lookup).`;
  return `Built from ${lsoaLabel(side.native!)}, each 2011 LSOA shared among the 2021 LSOAs it became by share of area (or equally where boundaries are not loaded).`;
}
