import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/database.ts';
import { areaSummaries } from '../indicators/schema.ts';
import { domains } from '../indicators/iod-import.ts';
import { findArea, levelOf, listEditions, lsoaChanges, lsoaFigures, summariesOfArea, parentsOf, summaries, vintageFor, wardsInLad, type AreaLevel, type Edition, type Summary } from '../indicators/service.ts';

/**
 * One row of a drill-down table: a district, ward or LSOA with the figures the page sorts, filters and colours
 * by. Every level has a rank and a decile so the same filters work everywhere: an LSOA's are its national
 * rank and decile in the edition; a district's or ward's are its rank on average score among all English
 * districts or wards (1 = most deprived) and the decile that rank falls in.
 */
export type MemberRow = {
  code: string;
  name: string;
  level: AreaLevel;
  population: number | null;
  lsoaCount: number;
  score: number | null;
  rank: number | null;
  decile: number | null;
  /** LSOAs in the most deprived 10% nationally (for an LSOA: 1 if it is, else 0). */
  lsoasInDecile1: number;
  /** LSOAs in the most deprived 1% nationally (rank ≤ ⌊N/100⌋). */
  lsoasInTop1pct: number;
  /** A local indicator's value, when the page shows one beside the index. */
  localValue?: number | null;
};

export type MemberTable = { rows: MemberRow[]; level: AreaLevel; /** how many areas of this level England has, for ranks and deciles */ peers: number };

export const filters = ['all', 'decile1', 'top1pct', 'range'] as const;
export type Filter = (typeof filters)[number];
export const sorts = ['rank', 'name', 'population', 'decile1', 'local'] as const;
export type Sort = (typeof sorts)[number];

export type TableState = { domain: string; filter: Filter; from: number; to: number; sort: Sort; dir: 'asc' | 'desc' };

const decileOf = (rank: number | null, n: number) => (rank === null || n === 0 ? null : Math.min(10, Math.ceil((10 * rank) / n)));

/**
 * How many districts or wards each index of an edition ranks, by domain. Fixed for an edition until it is
 * re-imported, so kept per (edition, import time).
 */
const peerCache = new Map<string, Map<string, number>>();
async function peerCounts(db: Db, edition: Edition, level: 'lad' | 'ward'): Promise<Map<string, number>> {
  const key = `${edition.id}|${edition.importedAt.toISOString()}|${level}`;
  const cached = peerCache.get(key);
  if (cached) return cached;
  const rows = await db
    .select({ indicatorId: areaSummaries.indicatorId, n: sql<number>`count(*)::int` })
    .from(areaSummaries)
    .where(and(sql`${areaSummaries.indicatorId} like ${`${edition.id}.%`}`, eq(areaSummaries.vintage, vintageFor(edition, level))))
    .groupBy(areaSummaries.indicatorId);
  const counts = new Map(rows.map((r) => [r.indicatorId.slice(edition.id.length + 1), Number(r.n)]));
  peerCache.set(key, counts);
  return counts;
}
const peerCount = async (db: Db, edition: Edition, level: 'lad' | 'ward', domain: string) => (await peerCounts(db, edition, level)).get(domain) ?? 0;

function fromSummary(s: Summary, level: 'lad' | 'ward', peers: number): MemberRow {
  return {
    code: s.code,
    name: s.name,
    level,
    population: s.population,
    lsoaCount: s.lsoaCount ?? 0,
    score: s.averageScore,
    rank: s.rankAverageScore,
    decile: decileOf(s.rankAverageScore, peers),
    lsoasInDecile1: s.decileCounts?.[0] ?? 0,
    lsoasInTop1pct: s.mostDeprived1pct ?? 0,
  };
}

/** Every district of England; the wards or LSOAs of a district; or the LSOAs of a ward. */
export async function memberTable(db: Db, edition: Edition, domain: string, within?: { level: 'lad' | 'ward'; code: string }, show: 'wards' | 'lsoas' = 'wards'): Promise<MemberTable> {
  if (!within) {
    const peers = await peerCount(db, edition, 'lad', domain);
    return { level: 'lad', peers, rows: (await summaries(db, edition, 'lad', domain)).map((s) => fromSummary(s, 'lad', peers)) };
  }
  if (within.level === 'lad' && show === 'wards') {
    const peers = await peerCount(db, edition, 'ward', domain);
    return { level: 'ward', peers, rows: (await wardsInLad(db, edition, within.code, domain)).map((s) => fromSummary(s, 'ward', peers)) };
  }
  const top1 = Math.floor(edition.lsoaCount / 100);
  const rows = (await lsoaFigures(db, edition, within)).map((l): MemberRow => {
    const m = l.domains[domain];
    return {
      code: l.code,
      name: l.name,
      level: 'lsoa',
      population: l.population,
      lsoaCount: 1,
      score: m?.score ?? null,
      rank: m?.rank ?? null,
      decile: m?.decile ?? null,
      lsoasInDecile1: m?.decile === 1 ? 1 : 0,
      lsoasInTop1pct: m?.rank != null && m.rank <= top1 ? 1 : 0,
    };
  });
  return { level: 'lsoa', peers: edition.lsoaCount, rows };
}

/** The rows a table state shows, in its order. */
export function applyState(table: MemberTable, state: TableState): MemberRow[] {
  const top1 = Math.floor(table.peers / 100);
  const keep = (r: MemberRow) => {
    switch (state.filter) {
      case 'decile1':
        return r.decile === 1;
      case 'top1pct':
        return r.rank !== null && r.rank <= top1;
      case 'range':
        return r.decile !== null && r.decile >= Math.min(state.from, state.to) && r.decile <= Math.max(state.from, state.to);
      default:
        return true;
    }
  };
  const key: Record<Sort, (r: MemberRow) => number | string> = {
    rank: (r) => r.rank ?? Number.MAX_SAFE_INTEGER,
    name: (r) => r.name.toLowerCase(),
    population: (r) => r.population ?? -1,
    decile1: (r) => r.lsoasInDecile1,
    // Areas without a value go last, as unranked areas do.
    local: (r) => r.localValue ?? (state.dir === 'desc' ? -Infinity : Infinity),
  };
  const f = key[state.sort];
  const sign = state.dir === 'desc' ? -1 : 1;
  return table.rows.filter(keep).sort((a, b) => {
    const [x, y] = [f(a), f(b)];
    return (x < y ? -1 : x > y ? 1 : a.name.localeCompare(b.name)) * sign;
  });
}

/** Where a row of a table stood in an earlier (or later) edition, for the "change since" view. */
export type Then = { rank: number | null; decile: number | null; peers: number; movement: number | null; note: string | null };

/**
 * The rows of a table as they stood in another edition. Districts and wards are matched by code: a code
 * that is not in the other edition's geography means its boundaries changed, which is said, not guessed
 * across. LSOAs follow ONS's 2011→2021 lookup, and an LSOA that was split or merged is reported as such.
 */
export async function tableThen(db: Db, table: MemberTable, since: Edition, edition: Edition, domain: string, within?: { level: 'lad' | 'ward'; code: string }): Promise<Map<string, Then>> {
  const result = new Map<string, Then>();
  const movement = (now: number | null, then: number | null) => (now !== null && then !== null ? now - then : null);
  if (table.level === 'lsoa') {
    for (const c of await lsoaChanges(db, since, edition, within!, domain)) {
      const note = c.previous.length === 0 ? `not in ${since.label}’s LSOAs` : c.previous.length > 1 ? `merged from ${c.previous.length} LSOAs of ${since.label}` : c.changeCode === 'S' ? `split from ${c.previous[0]!.code}` : null;
      result.set(c.code, { rank: c.rankThen, decile: c.decileThen, peers: since.lsoaCount, movement: c.decileMovement, note });
    }
    return result;
  }
  const thenWithin = within && (await findArea(db, vintageFor(since, within.level), within.code)) ? within : undefined;
  const then = within && !thenWithin ? null : await memberTable(db, since, domain, thenWithin, 'wards');
  const byCode = new Map((then?.rows ?? []).map((r) => [r.code, r]));
  for (const row of table.rows) {
    const old = byCode.get(row.code);
    result.set(row.code, old ? { rank: old.rank, decile: old.decile, peers: then!.peers, movement: movement(row.decile, old.decile), note: null } : { rank: null, decile: null, peers: then?.peers ?? 0, movement: null, note: `not in ${since.label}’s geography (boundaries changed)` });
  }
  return result;
}

export type DomainFigure = { key: string; label: string; score: number | null; rank: number | null; decile: number | null; lsoasInDecile1: number | null; lsoaCount: number | null };

export type EditionFigures = { edition: Edition; inGeography: boolean; lsoaCount: number | null; decileCounts: number[] | null; rank: number | null; decile: number | null; peers: number };

export type Profile = {
  code: string;
  name: string;
  level: AreaLevel;
  vintage: string;
  edition: Edition;
  population: number | null;
  lsoaCount: number;
  /** LSOAs of the area in each national decile of the chosen index (index 0 = decile 1). */
  decileCounts: number[];
  domains: DomainFigure[];
  parents: { code: string; name: string; vintage: string }[];
  /** The parent district's decile counts, for comparison (wards and LSOAs). */
  parentLad: { code: string; name: string; decileCounts: number[]; lsoaCount: number } | null;
  editions: EditionFigures[];
  summary: Summary | null;
  peers: number;
};

/** Everything an area's profile page shows, in one edition, with the other editions for change. */
export async function profile(db: Db, edition: Edition, code: string, domain: string): Promise<Profile | null> {
  const level = levelOf(code);
  if (!level) return null;
  const vintage = vintageFor(edition, level);
  const area = await findArea(db, vintage, code);
  if (!area) return null;
  const parents = await parentsOf(db, edition, level, code);
  const ladParent = parents.find((p) => p.vintage === edition.ladVintage);

  const domainFigures: DomainFigure[] = [];
  let summary: Summary | null = null;
  let population: number | null = null;
  let lsoaCount = 1;
  let decileCounts = Array.from({ length: 10 }, () => 0);
  let peers = edition.lsoaCount;
  if (level === 'lsoa') {
    const [lsoa] = await lsoaFigures(db, edition, undefined, code);
    population = lsoa?.population ?? null;
    for (const d of domains) {
      const m = lsoa?.domains[d.key];
      if (!m) continue;
      domainFigures.push({ key: d.key, label: d.label, score: m.score, rank: m.rank, decile: m.decile, lsoasInDecile1: null, lsoaCount: null });
    }
    const chosen = lsoa?.domains[domain]?.decile;
    if (chosen) decileCounts[chosen - 1] = 1;
  } else {
    const counts = await peerCounts(db, edition, level);
    peers = counts.get(domain) ?? 0;
    const byDomain = new Map((await summariesOfArea(db, edition, level, code)).map((s) => [s.domain, s]));
    for (const d of domains) {
      const s = byDomain.get(d.key);
      if (!s) continue;
      domainFigures.push({ key: d.key, label: d.label, score: s.averageScore, rank: s.rankAverageScore, decile: decileOf(s.rankAverageScore, counts.get(d.key) ?? 0), lsoasInDecile1: s.decileCounts?.[0] ?? 0, lsoaCount: s.lsoaCount });
      if (d.key === domain) {
        summary = s;
        population = s.population;
        lsoaCount = s.lsoaCount ?? 0;
        decileCounts = s.decileCounts ?? decileCounts;
      }
    }
  }

  let parentLad: Profile['parentLad'] = null;
  if (ladParent) {
    const [s] = await summaries(db, edition, 'lad', domain, [ladParent.code]);
    if (s) parentLad = { code: s.code, name: s.name, decileCounts: s.decileCounts ?? [], lsoaCount: s.lsoaCount ?? 0 };
  }

  const editionFigures: EditionFigures[] = [];
  for (const e of await listEditions(db)) {
    if (level === 'lsoa') {
      const [l] = await lsoaFigures(db, e, undefined, code);
      const m = l?.domains[domain];
      editionFigures.push({ edition: e, inGeography: Boolean(l), lsoaCount: l ? 1 : null, decileCounts: null, rank: m?.rank ?? null, decile: m?.decile ?? null, peers: e.lsoaCount });
    } else {
      const [s] = await summaries(db, e, level, domain, [code]);
      const n = s ? await peerCount(db, e, level, domain) : 0;
      editionFigures.push({ edition: e, inGeography: Boolean(s), lsoaCount: s?.lsoaCount ?? null, decileCounts: s?.decileCounts ?? null, rank: s?.rankAverageScore ?? null, decile: s ? decileOf(s.rankAverageScore, n) : null, peers: n });
    }
  }

  return { code, name: area.name, level, vintage, edition, population, lsoaCount, decileCounts, domains: domainFigures, parents, parentLad, editions: editionFigures, summary, peers };
}
