/**
 * A composite index in the manner of the Social Progress Index: indicators grouped into components,
 * components into dimensions, every score on a 0–100 scale between a worst ("dystopia") and a best
 * ("utopia") reference.
 *
 *   component = (Σ wᵢ·xᵢ − Σ wᵢ·dᵢ) / (Σ wᵢ·uᵢ − Σ wᵢ·dᵢ) × 100
 *   dimension = mean of its components;  index = mean of its dimensions
 *
 * where xᵢ is the (transformed) value, uᵢ and dᵢ the best and worst values and wᵢ the weight. For an
 * indicator where higher is worse the best value is the lower one, so lower values score higher. Unset
 * references are the best and worst observed among the areas scored. An area missing any input of a component has no score for it, nor for its dimension or the index:
 * the gap is reported, never filled with 0.
 */

export type Transform = 'none' | 'log' | 'cap';

export type IndicatorSpec = {
  key: string;
  label: string;
  component: string;
  dimension: string;
  weight: number;
  direction: 'higher-is-better' | 'higher-is-worse';
  transform: Transform;
  /** For transform 'cap': values beyond this are treated as this. */
  cap?: number | null;
  /** Best and worst values (after transforming); null means "the best/worst observed among the areas". */
  best: number | null;
  worst: number | null;
};

export type AreaInput = { code: string; name: string; values: Record<string, number | null> };

export type AreaResult = {
  code: string;
  name: string;
  components: Record<string, number | null>;
  dimensions: Record<string, number | null>;
  index: number | null;
  rank: number | null;
  /** The inputs this area lacks, by indicator key. */
  missing: string[];
};

export type IndexResult = {
  areas: AreaResult[];
  /** The references used for each indicator, after filling observed best/worst. */
  references: Record<string, { best: number; worst: number }>;
  components: { name: string; dimension: string }[];
  dimensions: string[];
  /** Why an indicator could not be scored (all values missing, or best equal to worst). */
  problems: string[];
};

export function transform(value: number | null, spec: Pick<IndicatorSpec, 'transform' | 'cap'>): number | null {
  if (value === null || !Number.isFinite(value)) return null;
  if (spec.transform === 'log') return value > -1 ? Math.log1p(value) : null;
  if (spec.transform === 'cap' && spec.cap !== null && spec.cap !== undefined) return Math.min(value, spec.cap);
  return value;
}

export function computeIndex(specs: IndicatorSpec[], inputs: AreaInput[]): IndexResult {
  const problems: string[] = [];
  const references: IndexResult['references'] = {};
  const transformed = inputs.map((a) => Object.fromEntries(specs.map((s) => [s.key, transform(a.values[s.key] ?? null, s)])) as Record<string, number | null>);

  for (const spec of specs) {
    const observed = transformed.map((t) => t[spec.key]).filter((v): v is number => v !== null);
    const higherBetter = spec.direction === 'higher-is-better';
    const lowest = observed.length ? Math.min(...observed) : null;
    const highest = observed.length ? Math.max(...observed) : null;
    const best = spec.best ?? (higherBetter ? highest : lowest);
    const worst = spec.worst ?? (higherBetter ? lowest : highest);
    if (best === null || worst === null) problems.push(`${spec.label}: no area has a value, so it cannot be scored`);
    else if (best === worst) problems.push(`${spec.label}: the best and worst values are both ${best}, so it cannot be scored`);
    else references[spec.key] = { best, worst };
  }

  const componentNames = [...new Set(specs.map((s) => s.component))];
  const components = componentNames.map((name) => ({ name, dimension: specs.find((s) => s.component === name)!.dimension }));
  const dimensions = [...new Set(components.map((c) => c.dimension))];

  const areas: AreaResult[] = inputs.map((area, i) => {
    const values = transformed[i]!;
    const missing = specs.filter((s) => values[s.key] === null).map((s) => s.key);
    const componentScores: Record<string, number | null> = {};
    for (const c of components) {
      const members = specs.filter((s) => s.component === c.name);
      if (members.some((s) => values[s.key] === null || !references[s.key])) {
        componentScores[c.name] = null;
        continue;
      }
      const sum = (f: (s: IndicatorSpec) => number) => members.reduce((acc, s) => acc + s.weight * f(s), 0);
      const x = sum((s) => values[s.key]!);
      const u = sum((s) => references[s.key]!.best);
      const d = sum((s) => references[s.key]!.worst);
      componentScores[c.name] = u === d ? null : ((x - d) / (u - d)) * 100;
    }
    const dimensionScores: Record<string, number | null> = {};
    for (const dimension of dimensions) {
      const scores = components.filter((c) => c.dimension === dimension).map((c) => componentScores[c.name] ?? null);
      dimensionScores[dimension] = scores.some((s) => s === null) ? null : mean(scores as number[]);
    }
    const dimensionValues = dimensions.map((d) => dimensionScores[d] ?? null);
    const index = dimensionValues.some((v) => v === null) ? null : mean(dimensionValues as number[]);
    return { code: area.code, name: area.name, components: componentScores, dimensions: dimensionScores, index, rank: null, missing };
  });

  // Rank 1 = the highest index score (the best social progress); areas without a score are unranked.
  const scored = areas.filter((a) => a.index !== null).sort((a, b) => b.index! - a.index!);
  scored.forEach((a, i) => {
    a.rank = i > 0 && a.index === scored[i - 1]!.index ? scored[i - 1]!.rank : i + 1;
  });
  return { areas, references, components, dimensions, problems };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
