import { describe, expect, it } from 'vitest';
import { computeIndex, transform, type IndicatorSpec } from './compute.ts';

const spec = (over: Partial<IndicatorSpec> & Pick<IndicatorSpec, 'key' | 'component' | 'dimension'>): IndicatorSpec => ({
  label: over.key,
  weight: 1,
  direction: 'higher-is-better',
  transform: 'none',
  best: null,
  worst: null,
  ...over,
});

describe('composite index arithmetic', () => {
  it('scores components between worst and best, averages dimensions and the index, and ranks', () => {
    // Worked by hand. Component "Safety" = crime (higher is worse, best 0, worst 100, weight 2) and
    // satisfaction (higher is better, best 100, worst 0, weight 1):
    //   area A: x = 2·20 + 1·80 = 120; u = 2·0 + 1·100 = 100; d = 2·100 + 1·0 = 200 → (120 − 200)/(100 − 200)·100 = 80
    //   area B: x = 2·60 + 1·30 = 150 → (150 − 200)/(−100)·100 = 50
    // Component "Jobs" (employment rate, best 80, worst 40): A 70 → 75; B 50 → 25.
    // Dimensions: Basic needs = Safety; Opportunity = Jobs. Index = mean: A (80 + 75)/2 = 77.5; B (50 + 25)/2 = 37.5.
    const specs = [
      spec({ key: 'crime', component: 'Safety', dimension: 'Basic Human Needs', weight: 2, direction: 'higher-is-worse', best: 0, worst: 100 }),
      spec({ key: 'satisfaction', component: 'Safety', dimension: 'Basic Human Needs', best: 100, worst: 0 }),
      spec({ key: 'employment', component: 'Jobs', dimension: 'Opportunity', best: 80, worst: 40 }),
    ];
    const result = computeIndex(specs, [
      { code: 'A', name: 'A', values: { crime: 20, satisfaction: 80, employment: 70 } },
      { code: 'B', name: 'B', values: { crime: 60, satisfaction: 30, employment: 50 } },
    ]);
    const [a, b] = result.areas;
    expect(a!.components).toEqual({ Safety: 80, Jobs: 75 });
    expect(b!.components.Safety).toBeCloseTo(50, 10);
    expect(b!.components.Jobs).toBeCloseTo(25, 10);
    expect(a!.index).toBeCloseTo(77.5, 10);
    expect(b!.index).toBeCloseTo(37.5, 10);
    expect([a!.rank, b!.rank]).toEqual([1, 2]);
    expect(result.dimensions).toEqual(['Basic Human Needs', 'Opportunity']);
  });

  it('takes unset references from the areas observed, respecting direction', () => {
    const result = computeIndex([spec({ key: 'asb', component: 'Safety', dimension: 'Basic Human Needs', direction: 'higher-is-worse' })], [
      { code: 'A', name: 'A', values: { asb: 10 } },
      { code: 'B', name: 'B', values: { asb: 30 } },
      { code: 'C', name: 'C', values: { asb: 20 } },
    ]);
    expect(result.references.asb).toEqual({ best: 10, worst: 30 });
    expect(result.areas.map((a) => a.index)).toEqual([100, 0, 50]);
    expect(result.areas.map((a) => a.rank)).toEqual([1, 3, 2]);
  });

  it('reports missing data instead of treating it as zero', () => {
    const specs = [spec({ key: 'x', component: 'C1', dimension: 'D1', best: 10, worst: 0 }), spec({ key: 'y', component: 'C2', dimension: 'D2', best: 10, worst: 0 })];
    const result = computeIndex(specs, [
      { code: 'A', name: 'A', values: { x: 5, y: null } },
      { code: 'B', name: 'B', values: { x: 5, y: 5 } },
    ]);
    const [a, b] = result.areas;
    expect(a).toMatchObject({ components: { C1: 50, C2: null }, dimensions: { D1: 50, D2: null }, index: null, rank: null, missing: ['y'] });
    expect(b).toMatchObject({ index: 50, rank: 1, missing: [] });
  });

  it('applies caps and logs, and says when an indicator cannot be scored', () => {
    expect(transform(250, { transform: 'cap', cap: 100 })).toBe(100);
    expect(transform(Math.E - 1, { transform: 'log' })).toBeCloseTo(1, 12);
    expect(transform(-2, { transform: 'log' })).toBeNull();
    const flat = computeIndex([spec({ key: 'z', component: 'C', dimension: 'D' })], [
      { code: 'A', name: 'A', values: { z: 3 } },
      { code: 'B', name: 'B', values: { z: 3 } },
    ]);
    expect(flat.problems).toEqual(['z: the best and worst values are both 3, so it cannot be scored']);
    expect(flat.areas.every((a) => a.index === null)).toBe(true);
  });
});
