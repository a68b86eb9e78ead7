/**
 * Re-weighting respondents to the resident population by raking (iterative proportional fitting): each
 * respondent gets a weight so that, weighted, respondents match the population's shares on every margin
 * asked for (age band, area, or both). Pure arithmetic, no database, so it can be checked by hand.
 *
 * Rules, each reported so the page can say them:
 * - A respondent whose value for a margin is unknown (no age given, no area found), or falls outside the
 *   population figures (say, under 16 when the population is 16 and over), keeps a factor of 1 for that margin.
 * - A category with residents but no respondents cannot be weighted up: nobody can speak for it. The others
 *   share the population between them in proportion.
 * - Weights may be capped at a multiple of the mean (default 5), trimmed and the rest scaled so the total is
 *   unchanged, so one respondent cannot stand for too many; the margins then match less exactly.
 */

export type Margin = {
  name: string;
  /** Residents in each category. */
  population: ReadonlyMap<string, number>;
};

export type RakeOptions = {
  /** Cap each weight at this multiple of the mean weight; null for no cap. */
  capMultiple?: number | null;
  tolerance?: number;
  maxIterations?: number;
};

export const defaultCapMultiple = 5;
export const defaultTolerance = 1e-9;
export const defaultMaxIterations = 100;

export type MarginReport = {
  name: string;
  /** Respondents who keep a factor of 1 for this margin (value unknown or outside the population figures). */
  unmatched: number;
  /** Categories with residents but no respondents: they cannot be weighted up. */
  unweightable: string[];
};

export type RakeResult = {
  weights: number[];
  iterations: number;
  converged: boolean;
  margins: MarginReport[];
  /** Set when the cap was applied: the cap and how many respondents were trimmed to it. */
  capped: { cap: number; trimmed: number } | null;
  sumOfWeights: number;
  /** Kish's effective sample size (Σw)² / Σw². */
  effectiveSampleSize: number;
  /** n / n_eff: how much the weighting widens the uncertainty. */
  designEffect: number;
};

/** Kish's effective sample size of a set of weights: (Σw)² / Σw². */
export function effectiveSampleSize(weights: readonly number[]): number {
  const sum = weights.reduce((a, b) => a + b, 0);
  const squares = weights.reduce((a, b) => a + b * b, 0);
  return squares > 0 ? (sum * sum) / squares : 0;
}

/**
 * Rakes weights for respondents to margins. `values[i][m]` is respondent i's category on margin m (null when
 * unknown). Each margin step keeps the total weight of the respondents it applies to, so with no cap the
 * weights sum to the number of respondents.
 */
export function rake(values: readonly (readonly (string | null)[])[], margins: readonly Margin[], options: RakeOptions = {}): RakeResult {
  const tolerance = options.tolerance ?? defaultTolerance;
  const maxIterations = options.maxIterations ?? defaultMaxIterations;
  const capMultiple = options.capMultiple === undefined ? defaultCapMultiple : options.capMultiple;
  const n = values.length;
  const weights = values.map(() => 1);

  // For each margin: the target share of each category that has both residents and respondents.
  const plans = margins.map((margin, m) => {
    const counts = new Map<string, number>();
    for (const v of values) {
      const c = v[m];
      if (c != null && (margin.population.get(c) ?? 0) > 0) counts.set(c, (counts.get(c) ?? 0) + 1);
    }
    const unweightable = [...margin.population].filter(([c, p]) => p > 0 && !counts.has(c)).map(([c]) => c);
    const base = [...counts.keys()].reduce((sum, c) => sum + margin.population.get(c)!, 0);
    const target = new Map([...counts.keys()].map((c) => [c, margin.population.get(c)! / base]));
    const unmatched = values.filter((v) => !target.has(v[m] ?? '')).length;
    return { target, report: { name: margin.name, unmatched, unweightable } };
  });

  const categorySums = (m: number) => {
    const sums = new Map<string, number>();
    let total = 0;
    values.forEach((v, i) => {
      const c = v[m];
      if (c == null || !plans[m]!.target.has(c)) return;
      sums.set(c, (sums.get(c) ?? 0) + weights[i]!);
      total += weights[i]!;
    });
    return { sums, total };
  };
  const gap = () =>
    plans.reduce((worst, plan, m) => {
      const { sums, total } = categorySums(m);
      for (const [c, share] of plan.target) worst = Math.max(worst, Math.abs((sums.get(c) ?? 0) / total - share));
      return worst;
    }, 0);

  let iterations = 0;
  let converged = n === 0 || plans.every((p) => p.target.size === 0) || gap() < tolerance;
  while (!converged && iterations < maxIterations) {
    iterations++;
    plans.forEach((plan, m) => {
      const { sums, total } = categorySums(m);
      const factors = new Map([...plan.target].map(([c, share]) => [c, (share * total) / sums.get(c)!]));
      values.forEach((v, i) => {
        const f = factors.get(v[m] ?? '');
        if (f !== undefined) weights[i]! *= f;
      });
    });
    converged = gap() < tolerance;
  }

  let capped: RakeResult['capped'] = null;
  if (capMultiple != null && n > 0) {
    const total = weights.reduce((a, b) => a + b, 0);
    const cap = capMultiple * (total / n);
    const atCap = new Set<number>();
    // Trimming and scaling the rest back up can push others over the cap, so repeat until none is.
    for (;;) {
      const over = weights.map((w, i) => (!atCap.has(i) && w > cap + 1e-12 ? i : -1)).filter((i) => i >= 0);
      if (!over.length) break;
      for (const i of over) atCap.add(i);
      const rest = weights.reduce((sum, w, i) => (atCap.has(i) ? sum : sum + w), 0);
      const scale = rest > 0 ? (total - cap * atCap.size) / rest : 0;
      weights.forEach((w, i) => (weights[i] = atCap.has(i) ? cap : w * scale));
    }
    if (atCap.size) capped = { cap, trimmed: atCap.size };
  }

  const sumOfWeights = weights.reduce((a, b) => a + b, 0);
  const nEff = effectiveSampleSize(weights);
  return { weights, iterations, converged, margins: plans.map((p) => p.report), capped, sumOfWeights, effectiveSampleSize: nEff, designEffect: nEff > 0 ? n / nEff : 0 };
}

/**
 * Weighted share of those who answered choosing each option: Σ weights of those choosing it ÷ Σ weights of
 * those who answered. For a multiple-choice question the shares can add up to more than 1.
 */
export function weightedShares(answers: readonly (readonly string[] | null)[], weights: readonly number[]): Map<string, number> {
  const chose = new Map<string, number>();
  let answered = 0;
  answers.forEach((a, i) => {
    if (!a || !a.length) return;
    answered += weights[i]!;
    for (const option of new Set(a)) chose.set(option, (chose.get(option) ?? 0) + weights[i]!);
  });
  return new Map([...chose].map(([o, w]) => [o, answered > 0 ? w / answered : 0]));
}

/** Weighted mean of the numbers given (null where not answered), or null when nobody answered. */
export function weightedMean(answers: readonly (number | null)[], weights: readonly number[]): number | null {
  let sum = 0;
  let total = 0;
  answers.forEach((a, i) => {
    if (a == null) return;
    sum += a * weights[i]!;
    total += weights[i]!;
  });
  return total > 0 ? sum / total : null;
}
