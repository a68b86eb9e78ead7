import { describe, expect, it } from 'vitest';
import { effectiveSampleSize, rake, weightedMean, weightedShares } from './weighting.ts';

const repeat = <T>(value: T, times: number): T[] => Array.from({ length: times }, () => value);
const pop = (entries: Record<string, number>) => new Map(Object.entries(entries));

describe('raking respondents to the population', () => {
  it('weights one margin in one step: population 60/40, respondents 8 and 2 → weights 0.75 and 2', () => {
    const values = [...repeat(['young'], 8), ...repeat(['old'], 2)];
    const result = rake(values, [{ name: 'age', population: pop({ young: 600, old: 400 }) }], { capMultiple: null });
    // 10 respondents should be 6 young and 4 old: 6/8 = 0.75, 4/2 = 2.
    expect(result.weights.slice(0, 8)).toEqual(repeat(0.75, 8));
    expect(result.weights.slice(8)).toEqual([2, 2]);
    expect(result.iterations).toBe(1);
    expect(result.converged).toBe(true);
    expect(result.sumOfWeights).toBeCloseTo(10, 12);
    // n_eff = 10² / (8 × 0.75² + 2 × 2²) = 100 / 12.5 = 8; design effect 10 / 8 = 1.25.
    expect(result.effectiveSampleSize).toBeCloseTo(8, 12);
    expect(result.designEffect).toBeCloseTo(1.25, 12);
    expect(result.capped).toBeNull();
  });

  it('rakes two margins to convergence (2 × 2 worked by hand)', () => {
    // Respondents: a1x1 4, a1x2 1, a2x1 2, a2x2 3 (n = 10). Age 50/50, area 40/60, so weighted cell totals
    // T must have rows 5, 5 and columns 4, 6, and raking keeps the cross-product ratio 4×3 / (1×2) = 6:
    // t(1 + t) = 6(5 − t)(4 − t) gives t = 3, so T = [[3, 2], [1, 4]] and the weights are
    // 3/4, 2/1, 1/2 and 4/3.
    const values = [...repeat(['a1', 'x1'], 4), ['a1', 'x2'], ...repeat(['a2', 'x1'], 2), ...repeat(['a2', 'x2'], 3)];
    const result = rake(values, [
      { name: 'age', population: pop({ a1: 500, a2: 500 }) },
      { name: 'area', population: pop({ x1: 400, x2: 600 }) },
    ], { capMultiple: null });
    expect(result.converged).toBe(true);
    expect(result.iterations).toBeGreaterThan(1);
    expect(result.iterations).toBeLessThan(100);
    expect(result.weights[0]).toBeCloseTo(0.75, 8);
    expect(result.weights[4]).toBeCloseTo(2, 8);
    expect(result.weights[5]).toBeCloseTo(0.5, 8);
    expect(result.weights[9]).toBeCloseTo(4 / 3, 8);
    // Both margins met to within the tolerance.
    const sum = (pick: (v: string[]) => boolean) => values.reduce((s, v, i) => (pick(v) ? s + result.weights[i]! : s), 0);
    expect(sum((v) => v[0] === 'a1')).toBeCloseTo(5, 8);
    expect(sum((v) => v[1] === 'x2')).toBeCloseTo(6, 8);
  });

  it('stops at the iteration limit and says it did not converge', () => {
    const values = [...repeat(['a1', 'x1'], 4), ['a1', 'x2'], ...repeat(['a2', 'x1'], 2), ...repeat(['a2', 'x2'], 3)];
    const margins = [
      { name: 'age', population: pop({ a1: 500, a2: 500 }) },
      { name: 'area', population: pop({ x1: 400, x2: 600 }) },
    ];
    const limited = rake(values, margins, { capMultiple: null, maxIterations: 2 });
    expect(limited.iterations).toBe(2);
    expect(limited.converged).toBe(false);
    const full = rake(values, margins, { capMultiple: null });
    expect(full.iterations).toBeGreaterThan(2);
    // A margin already matched needs no iterations.
    expect(rake([['a'], ['b']], [{ name: 'age', population: pop({ a: 5, b: 5 }) }]).iterations).toBe(0);
  });

  it('caps weights at 5 × the mean, trims and renormalises, and says so', () => {
    // Population 90/10, respondents 1 and 9: raw weights 9 and 1/9. Cap = 5 × mean (1) = 5; the 9 others
    // share the remaining 10 − 5 = 5, so 5/9 each. n_eff = 100 / (25 + 9 × 25/81) = 3.6.
    const values = [['a'], ...repeat(['b'], 9)];
    const uncapped = rake(values, [{ name: 'age', population: pop({ a: 90, b: 10 }) }], { capMultiple: null });
    expect(uncapped.weights[0]).toBeCloseTo(9, 12);
    const result = rake(values, [{ name: 'age', population: pop({ a: 90, b: 10 }) }]);
    expect(result.capped?.trimmed).toBe(1);
    expect(result.capped?.cap).toBeCloseTo(5, 12);
    expect(result.weights[0]).toBeCloseTo(5, 12);
    expect(result.weights[1]).toBeCloseTo(5 / 9, 12);
    expect(result.sumOfWeights).toBeCloseTo(10, 12);
    expect(result.effectiveSampleSize).toBeCloseTo(3.6, 12);
    expect(result.designEffect).toBeCloseTo(10 / 3.6, 12);
  });

  it('keeps a factor of 1 for respondents missing a margin and names categories nobody answered from', () => {
    // Age known for 4 (3 young, 1 old), unknown for 2; population young 50, old 50, and "75-plus" 20 with no
    // respondents: it cannot be weighted up, so young and old share the population 50/50. The 4 with an age
    // keep their total of 4: young 2/3 each, old 2; the 2 without keep 1.
    const values = [['young'], ['young'], ['young'], ['old'], [null], [null]];
    const result = rake(values, [{ name: 'age', population: pop({ young: 50, old: 50, '75-plus': 20 }) }], { capMultiple: null });
    expect(result.weights.map((w) => Number(w.toFixed(10)))).toEqual([0.6666666667, 0.6666666667, 0.6666666667, 2, 1, 1]);
    expect(result.margins).toEqual([{ name: 'age', unmatched: 2, unweightable: ['75-plus'] }]);
  });

  it('weights shares and means', () => {
    const weights = [0.75, 0.75, 2];
    const shares = weightedShares([['Yes'], ['No'], ['Yes', 'Maybe']], weights);
    expect(shares.get('Yes')).toBeCloseTo(2.75 / 3.5, 12);
    expect(shares.get('No')).toBeCloseTo(0.75 / 3.5, 12);
    expect(shares.get('Maybe')).toBeCloseTo(2 / 3.5, 12);
    expect(weightedMean([1, null, 4], weights)).toBeCloseTo((0.75 + 8) / 2.75, 12);
    expect(weightedMean([null, null, null], weights)).toBeNull();
    expect(effectiveSampleSize([1, 1, 1, 1])).toBe(4);
  });
});
