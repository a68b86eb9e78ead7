import { describe, expect, it } from 'vitest';
import { breakEvenProxy, calculateSroi, greenBookDiscountRate, sensitivity, sroiProblems, type SroiModel, type SroiOutcome } from './sroi.ts';

/**
 * Worked examples, each calculated by hand (the working is in the comments) and checked to the penny or better.
 */
const outcome = (o: Partial<SroiOutcome>): SroiOutcome => ({ description: 'x', quantity: 1, proxyValue: 1, proxySource: 'Worked example', durationYears: 1, deadweight: 0, displacement: 0, attribution: 0, dropOff: 0, ...o });
const input = (amount: number, inKind = false) => ({ description: 'x', amount, inKind, source: 'Worked example' });

describe('SROI, worked example 1: one outcome, one year', () => {
  // Inputs £10,000. 10 people × £1,000, deadweight 20%, attribution 10%, Green Book rate 3.5%.
  // Impact: 10 × 1,000 × 0.8 × 1 × 0.9 = £7,200 in year 1. PV: 7,200 ÷ 1.035 = £6,956.5217.
  // Ratio 0.69565 : 1; NPV −£3,043.48; payback 10,000 ÷ (7,200 ÷ 12) = 16.667 months.
  // Break-even proxy: PV per £1 of proxy = 10 × 0.72 ÷ 1.035 = 6.9565; 10,000 ÷ 6.9565 = £1,437.50.
  const model: SroiModel = { inputs: [input(10_000)], outcomes: [outcome({ quantity: 10, proxyValue: 1_000, deadweight: 20, attribution: 10 })], discountRate: greenBookDiscountRate };

  it('gives the present value, net present value, ratio and payback', () => {
    const r = calculateSroi(model);
    expect(r.outcomes[0]!.yearly).toEqual([7_200]);
    expect(r.presentValue).toBeCloseTo(6_956.5217, 4);
    expect(r.netPresentValue).toBeCloseTo(-3_043.4783, 4);
    expect(r.ratio).toBeCloseTo(0.695652, 6);
    expect(r.paybackMonths).toBeCloseTo(16.6667, 4);
  });

  it('finds the proxy that breaks even', () => {
    expect(breakEvenProxy(model, 0)).toBeCloseTo(1_437.5, 6);
    expect(calculateSroi({ ...model, outcomes: [{ ...model.outcomes[0]!, proxyValue: 1_437.5 }] }).ratio).toBeCloseTo(1, 9);
  });

  it('varies each assumption on its own', () => {
    const rows = sensitivity(model);
    const row = (a: string) => rows.find((r) => r.assumption === a)!;
    // Deadweight 10%: 10,000 × 0.9 × 0.9 = 8,100 ÷ 1.035 = 7,826.09 → 0.78261. 30%: 6,300 ÷ 1.035 = 6,086.96 → 0.60870.
    expect(row('deadweight')).toMatchObject({ base: 20, low: 10, high: 30 });
    expect(row('deadweight').ratioLow).toBeCloseTo(0.782609, 6);
    expect(row('deadweight').ratioHigh).toBeCloseTo(0.608696, 6);
    // Proxy ±25%: £750 → 0.52174; £1,250 → 0.86957.
    expect(row('proxyValue').ratioLow).toBeCloseTo(0.521739, 6);
    expect(row('proxyValue').ratioHigh).toBeCloseTo(0.869565, 6);
    // Duration cannot go below a year; two years: (7,200 ÷ 1.035 + 7,200 ÷ 1.035²) ÷ 10,000 = (6,956.5217 + 6,721.2770) ÷ 10,000 = 1.367780.
    expect(row('durationYears')).toMatchObject({ low: 1, high: 2 });
    expect(row('durationYears').ratioHigh).toBeCloseTo(1.36778, 5);
    // Displacement cannot go below 0%.
    expect(row('displacement')).toMatchObject({ low: 0, high: 10 });
    // Discount rate 0%: 0.72; 7%: 7,200 ÷ 1.07 ÷ 10,000 = 0.67290.
    expect(row('discountRate').ratioLow).toBeCloseTo(0.72, 9);
    expect(row('discountRate').ratioHigh).toBeCloseTo(0.672897, 6);
  });
});

describe('SROI, worked example 2: drop-off over several years, discounted', () => {
  // Inputs £40,000 cash + £10,000 in kind = £50,000; rate 3.5%.
  // A: 20 × £2,500 = 50,000 × 0.75 (deadweight 25%) × 0.9 (displacement 10%) × 0.8 (attribution 20%) = £27,000 in year 1,
  //    drop-off 50%: £13,500 in year 2, £6,750 in year 3.
  //    PV = 27,000 ÷ 1.035 + 13,500 ÷ 1.071225 + 6,750 ÷ 1.108717875 = 26,086.9565 + 12,602.3729 + 6,088.1348 = £44,777.4642.
  // B: 5 × £4,000 × 0.5 (attribution 50%) = £10,000 in year 1; drop-off 10%: £9,000 in year 2.
  //    PV = 10,000 ÷ 1.035 + 9,000 ÷ 1.071225 = 9,661.8357 + 8,401.5964 = £18,063.4321.
  // Total PV £62,840.8963; NPV £12,840.8963; ratio 1.25682; payback 50,000 ÷ (37,000 ÷ 12) = 16.216 months.
  // Break-even A: PV per £1 = 44,777.4642 ÷ 2,500 = 17.9110; (50,000 − 18,063.4321) ÷ 17.9110 = £1,783.07.
  // Break-even B: PV per £1 = 18,063.4321 ÷ 4,000 = 4.5159; (50,000 − 44,777.4642) ÷ 4.5159 = £1,156.49.
  const model: SroiModel = {
    inputs: [input(40_000), input(10_000, true)],
    outcomes: [
      outcome({ quantity: 20, proxyValue: 2_500, durationYears: 3, deadweight: 25, displacement: 10, attribution: 20, dropOff: 50 }),
      outcome({ quantity: 5, proxyValue: 4_000, durationYears: 2, attribution: 50, dropOff: 10 }),
    ],
    discountRate: 3.5,
  };

  it('drops off year by year and discounts every year', () => {
    const r = calculateSroi(model);
    expect(r.totalInputs).toBe(50_000);
    expect(r.outcomes[0]!.yearly.map((v) => Math.round(v * 100) / 100)).toEqual([27_000, 13_500, 6_750]);
    expect(r.outcomes[1]!.yearly.map((v) => Math.round(v * 100) / 100)).toEqual([10_000, 9_000]);
    expect(r.outcomes[0]!.presentValue).toBeCloseTo(44_777.4642, 3);
    expect(r.outcomes[1]!.presentValue).toBeCloseTo(18_063.4321, 3);
    expect(r.presentValue).toBeCloseTo(62_840.8963, 3);
    expect(r.netPresentValue).toBeCloseTo(12_840.8963, 3);
    expect(r.ratio).toBeCloseTo(1.256818, 6);
    expect(r.paybackMonths).toBeCloseTo(16.216216, 6);
  });

  it('finds each proxy’s break-even value', () => {
    expect(breakEvenProxy(model, 0)).toBeCloseTo(1_783.07, 2);
    expect(breakEvenProxy(model, 1)).toBeCloseTo(1_156.49, 2);
  });

  it('shows a higher drop-off lowering the ratio', () => {
    const row = sensitivity(model).find((r) => r.outcomeIndex === 0 && r.assumption === 'dropOff')!;
    // Drop-off 60%: 27,000, 10,800, 4,320 → PV 26,086.9565 + 10,081.8981 + 3,896.4063 = 40,065.2609; ratio (40,065.2609 + 18,063.4321) ÷ 50,000 = 1.16257.
    expect(row).toMatchObject({ base: 50, low: 40, high: 60 });
    expect(row.ratioHigh).toBeCloseTo(1.162574, 5);
    expect(row.ratioLow!).toBeGreaterThan(calculateSroi(model).ratio!);
  });
});

describe('SROI, worked example 3: no discounting, and an outcome the model does not need', () => {
  // Inputs £6,000 + £2,000 in kind = £8,000; rate 0%.
  // A: 4 × £3,000 × 0.75 (attribution 25%) = £9,000, then drop-off 20%: £7,200, £5,760, £4,608 → £26,568.
  // B: 100 × £10 × 0.5 (deadweight 50%) × 0.8 (displacement 20%) = £400 for one year.
  // Total £26,968; ratio 3.371; NPV £18,968; payback 8,000 ÷ (9,400 ÷ 12) = 10.2128 months.
  // Break-even A: per £1 of proxy 4 × 0.75 × (1 + 0.8 + 0.64 + 0.512) = 8.856; (8,000 − 400) ÷ 8.856 = £858.17.
  // Break-even B: (8,000 − 26,568) ÷ 40 = −£464.20: the model breaks even without B.
  const model: SroiModel = {
    inputs: [input(6_000), input(2_000, true)],
    outcomes: [outcome({ quantity: 4, proxyValue: 3_000, durationYears: 4, attribution: 25, dropOff: 20 }), outcome({ quantity: 100, proxyValue: 10, deadweight: 50, displacement: 20 })],
    discountRate: 0,
  };

  it('adds undiscounted values', () => {
    const r = calculateSroi(model);
    expect(r.outcomes[0]!.yearly.map((v) => Math.round(v * 100) / 100)).toEqual([9_000, 7_200, 5_760, 4_608]);
    expect(r.presentValue).toBeCloseTo(26_968, 9);
    expect(r.ratio).toBeCloseTo(3.371, 9);
    expect(r.netPresentValue).toBeCloseTo(18_968, 9);
    expect(r.paybackMonths).toBeCloseTo(10.212766, 6);
  });

  it('says when a proxy is not needed to break even, and when an outcome adds nothing', () => {
    expect(breakEvenProxy(model, 0)).toBeCloseTo(858.1752, 4);
    expect(breakEvenProxy(model, 1)).toBeCloseTo(-464.2, 9);
    expect(breakEvenProxy({ ...model, outcomes: [model.outcomes[0]!, { ...model.outcomes[1]!, attribution: 100 }] }, 1)).toBeNull();
  });
});

describe('SROI model checks', () => {
  it('names every problem', () => {
    const problems = sroiProblems({ inputs: [{ description: 'Staff', amount: -1, inKind: false, source: ' ' }], outcomes: [outcome({ durationYears: 0, deadweight: 120, proxySource: '' })], discountRate: 25 });
    expect(problems).toEqual([
      'Input 1 must be an amount of £0 or more',
      'Input 1 needs a source: where the figure comes from',
      'The discount rate must be between 0% and 20%',
      'Outcome 1: the financial proxy needs a source',
      'Outcome 1: the duration must be a whole number of years from 1 to 50',
      'Outcome 1: deadweight must be a percentage from 0 to 100',
    ]);
    expect(sroiProblems({ inputs: [], outcomes: [], discountRate: 3.5 })).toEqual(['Add at least one input: what the work cost, in money or in kind']);
    expect(calculateSroi({ inputs: [], outcomes: [], discountRate: 3.5 })).toMatchObject({ ratio: null, paybackMonths: null });
  });
});
