import { describe, expect, it } from 'vitest';
import { scoreSwemwbs, swemwbsMaxRaw, swemwbsMetric, swemwbsMetricTable, swemwbsMinRaw, swemwbsStatements } from './swemwbs.ts';

describe('SWEMWBS raw to metric conversion (Stewart-Brown et al. 2009)', () => {
  it('gives the published metric scores', () => {
    expect(swemwbsMetric(7)).toBe(7);
    expect(swemwbsMetric(8)).toBe(9.51);
    expect(swemwbsMetric(14)).toBe(15.32);
    expect(swemwbsMetric(21)).toBe(19.25);
    expect(swemwbsMetric(28)).toBe(25.03);
    expect(swemwbsMetric(33)).toBe(30.7);
    expect(swemwbsMetric(34)).toBe(32.55);
    expect(swemwbsMetric(35)).toBe(35);
  });

  it('covers every raw score from 7 to 35 once, each higher than the last', () => {
    const raws = Object.keys(swemwbsMetricTable).map(Number);
    expect(raws).toEqual(Array.from({ length: swemwbsMaxRaw - swemwbsMinRaw + 1 }, (_, i) => i + swemwbsMinRaw));
    for (let raw = swemwbsMinRaw + 1; raw <= swemwbsMaxRaw; raw++) expect(swemwbsMetric(raw)).toBeGreaterThan(swemwbsMetric(raw - 1));
  });

  it('refuses raw scores the scale cannot produce', () => {
    expect(() => swemwbsMetric(6)).toThrow(RangeError);
    expect(() => swemwbsMetric(36)).toThrow(RangeError);
    expect(() => swemwbsMetric(20.5)).toThrow(RangeError);
  });

  it('scores seven answers and refuses any other number of them', () => {
    expect(swemwbsStatements).toHaveLength(7);
    expect(scoreSwemwbs([4, 3, 3, 3, 3, 3, 3])).toEqual({ raw: 22, metric: 19.98 });
    expect(() => scoreSwemwbs([4, 3, 3, 3, 3, 3])).toThrow(RangeError);
    expect(() => scoreSwemwbs([4, 3, 3, 3, 3, 3, 6])).toThrow(RangeError);
  });
});
