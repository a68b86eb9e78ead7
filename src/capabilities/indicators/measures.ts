/**
 * The higher-area summary measures of the English Indices of Deprivation, as defined in the IoD2019
 * technical report (Table 3.2 and Appendix N), for any set of LSOAs: a district, a ward, or a
 * neighbourhood. Pure functions, checked against the report's worked examples in measures.test.ts.
 */

export type Member = {
  /** National rank, 1 = most deprived. */
  rank: number;
  decile: number | null;
  score: number | null;
  /** The LSOA's population denominator; null when unknown. */
  population: number | null;
};

export type Measures = {
  lsoaCount: number;
  population: number | null;
  /** LSOAs in each national decile; index 0 = decile 1 (most deprived). */
  decileCounts: number[];
  /** LSOAs ranked in the most deprived 1% nationally: rank ≤ ⌊N / 100⌋. */
  mostDeprived1pct: number;
  /** Share of LSOAs in the most deprived 10% nationally. */
  proportionBottomDecile: number;
  /** Population-weighted mean score. */
  averageScore: number | null;
  /** N + 1 − population-weighted mean rank (reversed, so higher = more deprived). */
  averageRank: number | null;
  /** Weighted share of the population in the most deprived 30% of LSOAs. */
  extent: number | null;
  /** N + 1 − population-weighted mean rank of the most deprived LSOAs holding exactly 10% of the population. */
  localConcentration: number | null;
};

/** Weight of an LSOA's population in the extent measure, from its national percentile ⌈rank / N × 100⌉. */
export function extentWeight(rank: number, n: number): number {
  const percentile = Math.ceil((rank / n) * 100);
  if (percentile <= 10) return 1;
  if (percentile <= 30) return 0.95 - ((percentile - 11) * 0.9) / 19;
  return 0;
}

export function summarise(members: Member[], n: number): Measures {
  const decileCounts = Array.from({ length: 10 }, () => 0);
  let most1 = 0;
  for (const m of members) {
    if (m.decile !== null && m.decile >= 1 && m.decile <= 10) decileCounts[m.decile - 1]!++;
    if (m.rank <= Math.floor(n / 100)) most1++;
  }
  const allPopulations = members.length > 0 && members.every((m) => m.population !== null);
  const total = allPopulations ? members.reduce((sum, m) => sum + m.population!, 0) : null;
  const weighted = (f: (m: Member) => number) => members.reduce((sum, m) => sum + f(m) * m.population!, 0) / total!;
  const usable = total !== null && total > 0;

  let localConcentration: number | null = null;
  if (usable) {
    const target = total * 0.1;
    let remaining = target;
    let sum = 0;
    for (const m of [...members].sort((a, b) => a.rank - b.rank)) {
      if (remaining <= 0) break;
      const take = Math.min(m.population!, remaining);
      sum += take * m.rank;
      remaining -= take;
    }
    localConcentration = n + 1 - sum / target;
  }

  return {
    lsoaCount: members.length,
    population: total,
    decileCounts,
    mostDeprived1pct: most1,
    proportionBottomDecile: members.length ? decileCounts[0]! / members.length : 0,
    averageScore: usable && members.every((m) => m.score !== null) ? weighted((m) => m.score!) : null,
    averageRank: usable ? n + 1 - weighted((m) => m.rank) : null,
    extent: usable ? weighted((m) => extentWeight(m.rank, n)) : null,
    localConcentration,
  };
}

/**
 * Standard competition ranking ("1224"), 1 = the largest value: how the IoD ranks areas on each
 * summary measure. Nulls are not ranked.
 */
export function rankDescending(values: (number | null)[]): (number | null)[] {
  const sorted = values.filter((v): v is number => v !== null).sort((a, b) => b - a);
  const firstPosition = new Map<number, number>();
  sorted.forEach((v, i) => {
    if (!firstPosition.has(v)) firstPosition.set(v, i + 1);
  });
  return values.map((v) => (v === null ? null : firstPosition.get(v)!));
}
