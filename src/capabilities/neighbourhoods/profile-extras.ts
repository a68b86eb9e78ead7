import { sql } from 'drizzle-orm';
import type { Viewer } from '../../platform/auth/permissions.ts';
import { queryRows, type Db } from '../../platform/db/database.ts';
import { computeCompositeIndex, visibleCompositeIndexes, type CompositeIndex } from '../composite-index/service.ts';
import { knownVintages } from '../geography/lookups.ts';
import type { Edition } from '../indicators/service.ts';
import { populationFor, visibleLocalIndicators, type LocalIndicator } from '../local-data/service.ts';

/**
 * Local data and composite index positions for a neighbourhood, apportioned from the LSOAs it covers by the
 * rule its profile uses for people: each LSOA counts once, times its share. Only LSOAs with a share above 0
 * take part; an LSOA touched by the boundary but counted at 0 must not add a value or a weight.
 */

// Rates are weighted by the same estimates as the area roll-ups, so a rate for a neighbourhood of whole LSOAs
// agrees with the same LSOAs rolled up to a ward.
const localRateWeights = populationFor;

const levelWords: Record<string, string> = { ward: 'wards', lad: 'districts', msoa: 'MSOAs', ccg: 'clinical commissioning groups', lsoa: 'LSOAs' };

export type ApportionedValue = {
  kind: 'apportioned';
  method: 'sum' | 'population-weighted-mean';
  /** null when no covered LSOA has a value, or (for a rate) none of those with one has a population estimate. */
  value: number | null;
  /** How many of its LSOAs (in the indicator's LSOA geography) have a value, of how many it covers. */
  covered: number;
  of: number;
  /** For a rate: LSOAs with a value but no population estimate, left out of the weighted mean. */
  withoutPopulation: number;
};

export type NotApportionable = {
  /** A ward or district value cannot be split between the parts of it inside and outside the neighbourhood. */
  kind: 'not-apportionable';
  /** Areas of the indicator's geography that its LSOAs lie in, and how many of them have a value. */
  areasTouched: number;
  areasWithValue: number;
};

export type NeighbourhoodLocalValue = {
  indicator: LocalIndicator;
  /** The geography the indicator was uploaded at, in words, such as “wards (2019)”. */
  publishedFor: string;
} & (ApportionedValue | NotApportionable);

const publishedFor = (vintage: string) => {
  const known = knownVintages[vintage];
  return known ? `${levelWords[known.type] ?? known.type} (${known.year})` : vintage;
};

/**
 * Every local indicator this viewer may see that has a value for any area the neighbourhood covers. LSOA
 * indicators are apportioned from the neighbourhood's LSOAs in the indicator's own LSOA geography: counts
 * as Σ value × share; rates as the mean weighted by population × share. Missing values are left out and
 * reported as coverage, never counted as 0. Indicators at other levels are listed as not apportionable.
 */
export async function neighbourhoodLocalData(db: Db, viewer: Viewer, versionId: string): Promise<NeighbourhoodLocalValue[]> {
  const indicators = await visibleLocalIndicators(db, viewer);
  if (!indicators.length) return [];
  const counts = await queryRows<{ vintage: string; n: number }>(
    db,
    sql`select lsoa_vintage as vintage, count(*)::int as n from neighbourhood_lsoas where version_id = ${versionId} and share > 0 group by lsoa_vintage`,
  );
  const lsoasIn = new Map(counts.map((c) => [c.vintage, c.n]));

  type Row = { id: string; share: number; value: number; population: number | null };
  const rowsFor = new Map<string, Row[]>();
  for (const [vintage, weights] of Object.entries(localRateWeights)) {
    const ids = indicators.filter((i) => i.vintage === vintage).map((i) => i.id);
    if (!ids.length || !lsoasIn.get(vintage)) continue;
    const rows = await queryRows<Row>(
      db,
      sql`select v.indicator_id as id, n.share, v.value, p.value as population
          from neighbourhood_lsoas n
          join indicator_values v on v.code = n.lsoa_code and v.indicator_id in (${sql.join(ids.map((id) => sql`${id}`), sql`, `)}) and v.value is not null
          left join indicator_values p on p.indicator_id = ${weights} and p.code = n.lsoa_code
          where n.version_id = ${versionId} and n.lsoa_vintage = ${vintage} and n.share > 0`,
    );
    for (const r of rows) rowsFor.set(r.id, [...(rowsFor.get(r.id) ?? []), { id: r.id, share: Number(r.share), value: Number(r.value), population: r.population === null ? null : Number(r.population) }]);
  }

  const found: NeighbourhoodLocalValue[] = [];
  for (const indicator of indicators) {
    if (indicator.vintage in localRateWeights) {
      const rows = rowsFor.get(indicator.id) ?? [];
      // An indicator with no value in any of its LSOAs is about somewhere else.
      if (!rows.length) continue;
      found.push({ indicator, publishedFor: publishedFor(indicator.vintage), ...apportion(rows, indicator.aggregation === 'sum' ? 'sum' : 'population-weighted-mean', lsoasIn.get(indicator.vintage) ?? 0) });
      continue;
    }
    const [touched] = await queryRows<{ areas: number; valued: number }>(
      db,
      sql`select count(distinct l.to_code)::int as areas, count(distinct v.code)::int as valued
          from neighbourhood_lsoas n
          join area_lookups l on l.from_vintage = n.lsoa_vintage and l.from_code = n.lsoa_code and l.to_vintage = ${indicator.vintage}
          left join indicator_values v on v.indicator_id = ${indicator.id} and v.code = l.to_code and v.value is not null
          where n.version_id = ${versionId} and n.share > 0`,
    );
    if (!touched?.valued) continue;
    found.push({ indicator, publishedFor: publishedFor(indicator.vintage), kind: 'not-apportionable', areasTouched: touched.areas, areasWithValue: touched.valued });
  }
  return found;
}

/** One indicator's LSOA values apportioned by share; exported so the arithmetic can be checked on its own. */
export function apportion(rows: { share: number; value: number; population: number | null }[], method: ApportionedValue['method'], of: number): ApportionedValue {
  if (method === 'sum') {
    return { kind: 'apportioned', method, value: rows.length ? rows.reduce((sum, r) => sum + r.value * r.share, 0) : null, covered: rows.length, of, withoutPopulation: 0 };
  }
  let weighted = 0;
  let weight = 0;
  for (const r of rows) {
    if (r.population === null) continue;
    weighted += r.value * r.population * r.share;
    weight += r.population * r.share;
  }
  return { kind: 'apportioned', method, value: weight > 0 ? weighted / weight : null, covered: rows.length, of, withoutPopulation: rows.filter((r) => r.population === null).length };
}

/** One of a neighbourhood's LSOAs, or one ward its LSOAs lie in, as a composite index places it. */
export type IndexUnit = {
  code: string;
  name: string;
  /** The neighbourhood's people in it (population × share); null when the edition's population figure is missing. */
  people: number | null;
  rank: number | null;
  score: number | null;
  /** How many of the index's inputs it has no value for (why it is unscored). */
  missing: number;
  inLowestFifth: boolean;
};

export type NeighbourhoodIndexPosition = {
  index: CompositeIndex;
  level: 'lsoa' | 'ward';
  levelName: 'LSOAs' | 'wards';
  /** How many LSOAs or wards the index scores in all. */
  scored: number;
  /** Its LSOAs (or the wards they lie in) that the index covers, best placed first, unscored last. */
  units: IndexUnit[];
  /** Its LSOAs (or wards) outside the index's districts. */
  outside: number;
  /** For an LSOA index: the mean score of its scored LSOAs weighted by people counted; null for a ward index. */
  averageScore: number | null;
  inLowestFifth: number;
  unscored: number;
  /** Its people in scored units and in those of the lowest fifth; null when population figures are missing. */
  peopleScored: number | null;
  peopleInLowestFifth: number | null;
  peopleUnscored: number | null;
  /** peopleInLowestFifth ÷ peopleScored: the unscored are left out of both, not counted as outside it. */
  shareInLowestFifth: number | null;
};

const sumKnown = (values: (number | null)[]) => (values.some((v) => v !== null) ? values.reduce<number>((a, v) => a + (v ?? 0), 0) : null);

/**
 * Where the neighbourhood stands in every composite index of this edition shared with the viewer that
 * covers any of its LSOAs. For an LSOA index: the people-weighted average score of its scored LSOAs, and how
 * many of its LSOAs, holding what share of its people, fall in the index's lowest-scoring fifth. A ward score
 * describes the whole ward, so for a ward index it is not averaged: each ward its LSOAs lie in is listed with
 * its rank and the neighbourhood's people living in it. Unscored LSOAs and wards are reported, never taken as 0.
 */
export async function neighbourhoodIndexPositions(db: Db, viewer: Viewer, versionId: string, edition: Edition): Promise<NeighbourhoodIndexPosition[]> {
  const indexes = (await visibleCompositeIndexes(db, viewer)).filter((i) => i.editionId === edition.id);
  if (!indexes.length) return [];
  const rows = await queryRows<{ code: string; name: string | null; share: number; population: number | null; ward: string | null; lad: string | null }>(
    db,
    sql`select n.lsoa_code as code, a.name, n.share, p.value as population, w.to_code as ward, d.to_code as lad
        from neighbourhood_lsoas n
        left join areas a on a.vintage = n.lsoa_vintage and a.code = n.lsoa_code
        left join indicator_values p on p.indicator_id = ${edition.populationIndicatorId} and p.code = n.lsoa_code
        left join area_lookups w on w.from_vintage = n.lsoa_vintage and w.from_code = n.lsoa_code and w.to_vintage = ${edition.wardVintage}
        left join area_lookups d on d.from_vintage = n.lsoa_vintage and d.from_code = n.lsoa_code and d.to_vintage = ${edition.ladVintage}
        where n.version_id = ${versionId} and n.lsoa_vintage = ${edition.lsoaVintage} and n.share > 0`,
  );
  const lsoas = new Map<string, { code: string; name: string; people: number | null; wards: Set<string> }>();
  const lads = new Set<string>();
  for (const r of rows) {
    const lsoa = lsoas.get(r.code) ?? { code: r.code, name: r.name ?? r.code, people: r.population === null ? null : Number(r.population) * Number(r.share), wards: new Set<string>() };
    if (r.ward) lsoa.wards.add(r.ward);
    if (r.lad) lads.add(r.lad);
    lsoas.set(r.code, lsoa);
  }

  const positions: NeighbourhoodIndexPosition[] = [];
  // Computing an index reads every area of its districts, so only those sharing a district are computed.
  for (const index of indexes.filter((i) => i.ladCodes.some((c) => lads.has(c)))) {
    const result = await computeCompositeIndex(db, index, edition);
    const scored = result.areas.filter((a) => a.rank !== null).length;
    // The lowest fifth by rank among all the index scores (rank 1 is the best placed), as on area profiles.
    const cutoff = scored - Math.floor(scored / 5);
    const byCode = new Map(result.areas.map((a) => [a.code, a]));
    const unitOf = (code: string, people: number | null): IndexUnit | null => {
      const area = byCode.get(code);
      if (!area) return null;
      return { code, name: area.name, people, rank: area.rank, score: area.index, missing: area.missing.length, inLowestFifth: area.rank !== null && area.rank > cutoff };
    };

    let candidates: { code: string; people: number | null }[];
    if (index.level === 'lsoa') {
      candidates = [...lsoas.values()].map((l) => ({ code: l.code, people: l.people }));
    } else {
      // The lookups are best fit (each LSOA in one ward), so each person counted is placed in one ward.
      const wards = new Map<string, (number | null)[]>();
      for (const l of lsoas.values()) for (const w of l.wards) wards.set(w, [...(wards.get(w) ?? []), l.people]);
      candidates = [...wards].map(([code, people]) => ({ code, people: sumKnown(people) }));
    }
    const units = candidates.map((c) => unitOf(c.code, c.people)).filter((u): u is IndexUnit => u !== null);
    if (!units.length) continue;
    units.sort((a, b) => (a.rank ?? Infinity) - (b.rank ?? Infinity) || a.name.localeCompare(b.name));

    const scoredUnits = units.filter((u) => u.score !== null);
    let averageScore: number | null = null;
    if (index.level === 'lsoa') {
      let weighted = 0;
      let weight = 0;
      for (const u of scoredUnits) {
        if (u.people === null) continue;
        weighted += u.score! * u.people;
        weight += u.people;
      }
      averageScore = weight > 0 ? weighted / weight : null;
    }
    const lowest = units.filter((u) => u.inLowestFifth);
    const peopleScored = sumKnown(scoredUnits.map((u) => u.people));
    const peopleInLowestFifth = peopleScored === null ? null : (sumKnown(lowest.map((u) => u.people)) ?? 0);
    positions.push({
      index,
      level: index.level,
      levelName: index.level === 'ward' ? 'wards' : 'LSOAs',
      scored,
      units,
      outside: candidates.length - units.length,
      averageScore,
      inLowestFifth: lowest.length,
      unscored: units.length - scoredUnits.length,
      peopleScored,
      peopleInLowestFifth,
      peopleUnscored: sumKnown(units.filter((u) => u.score === null).map((u) => u.people)),
      shareInLowestFifth: peopleScored && peopleInLowestFifth !== null ? peopleInLowestFifth / peopleScored : null,
    });
  }
  return positions;
}
