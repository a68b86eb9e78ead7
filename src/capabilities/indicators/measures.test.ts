import { describe, expect, it } from 'vitest';
import { extentWeight, rankDescending, summarise, type Member } from './measures.ts';

const n = 32844;
const lsoa = (rank: number, population: number, score: number | null = null): Member => ({ rank, population, score, decile: Math.ceil((10 * rank) / n) });

// The worked examples of the IoD2019 technical report, Appendix N.
describe('summary measures reproduce the technical report’s worked examples', () => {
  it('average rank (N.1.5–N.1.7): 25,240', () => {
    const members = [lsoa(3000, 1200), lsoa(10000, 1800), lsoa(500, 1400), lsoa(1000, 1500), lsoa(20000, 1700)];
    expect(Math.round(summarise(members, n).averageRank!)).toBe(25240);
  });

  it('average score (N.1.8–N.1.10): population-weighted mean score', () => {
    const members = [lsoa(3000, 1200, 45.9), lsoa(10000, 1800, 26.51), lsoa(500, 1400, 65.67), lsoa(1000, 1500, 59.14), lsoa(20000, 1700, 13.64)];
    const expected = (45.9 * 1200 + 26.51 * 1800 + 65.67 * 1400 + 59.14 * 1500 + 13.64 * 1700) / 7600;
    expect(summarise(members, n).averageScore).toBeCloseTo(expected, 10);
  });

  it('proportion in the most deprived 10% (5.3.23–5.3.24): 18 of 65 = 0.277', () => {
    const members = Array.from({ length: 65 }, (_, i) => lsoa(i < 18 ? 100 + i : 10000 + i, 1000));
    expect(summarise(members, n).proportionBottomDecile).toBeCloseTo(0.277, 3);
  });

  it('extent (5.3.25–5.3.27): 0.062292, with weight 0.1447 for the 28th percentile', () => {
    expect(extentWeight(9000, n)).toBeCloseTo(0.1447, 4);
    expect(extentWeight(3284, n)).toBe(1);
    expect(extentWeight(3285, n)).toBe(0.95);
    expect(extentWeight(9854, n)).toBe(0); // 31st percentile
    // A district of 70,000 people: four LSOAs in the most deprived 30%, the rest (64,100 people) outside it.
    const members = [lsoa(500, 1400), lsoa(1000, 1500), lsoa(3000, 1200), lsoa(9000, 1800), lsoa(20000, 64100)];
    expect(summarise(members, n).extent).toBeCloseTo(0.062292, 5);
  });

  it('local concentration (N.1.11–N.1.14): 26,302.14', () => {
    // 70,000 people; the five most deprived LSOAs hold 7,600, so 1,100 of the fifth are counted.
    const members = [lsoa(500, 1400), lsoa(1000, 1500), lsoa(3000, 1200), lsoa(10000, 1800), lsoa(20000, 1700), lsoa(25000, 62400)];
    expect(summarise(members, n).localConcentration).toBeCloseTo(26302.14, 2);
  });

  it('most deprived 1%: rank ≤ ⌊N/100⌋', () => {
    expect(summarise([lsoa(328, 1), lsoa(329, 1)], n).mostDeprived1pct).toBe(1);
  });

  it('gives no population-based measure when a population is missing', () => {
    const s = summarise([lsoa(1, 100), { rank: 2, decile: 1, score: 1, population: null }], n);
    expect([s.averageRank, s.averageScore, s.extent, s.localConcentration, s.population]).toEqual([null, null, null, null, null]);
    expect(s.decileCounts[0]).toBe(2);
  });
});

describe('ranking areas on a measure', () => {
  it('ranks the largest value 1, shares tied ranks and skips after them', () => {
    expect(rankDescending([0.2, 0.5, null, 0.5, 0.1])).toEqual([3, 1, null, 1, 4]);
  });
});
