/**
 * Social return on investment, as the Social Value UK guide (A Guide to Social Return on Investment, 2012) sets it
 * out. Pure: no database, so the worked examples in sroi.test.ts pin every figure.
 *
 * For each outcome, per year t = 1 … duration:
 *   value(1) = quantity × proxy × (1 − deadweight) × (1 − displacement) × (1 − attribution)
 *   value(t) = value(t − 1) × (1 − drop-off)                      (drop-off applies from the second year)
 *   present value = Σ value(t) / (1 + discount rate)^t            (the first year is discounted too, as in the guide)
 * Inputs (costs and in-kind) are taken as spent at the start, undiscounted.
 *   SROI ratio = total present value ÷ total inputs;  net present value = total present value − total inputs
 *   payback period (months) = total inputs ÷ (total first-year value ÷ 12)
 */

export type SroiInput = { description: string; amount: number; inKind: boolean; source: string };

export type SroiOutcome = {
  description: string;
  /** How many people (or things) experience the outcome. */
  quantity: number;
  /** Value of the outcome for one, per year, in pounds, with where the figure comes from. */
  proxyValue: number;
  proxySource: string;
  durationYears: number;
  /** Percentages, 0–100. */
  deadweight: number;
  displacement: number;
  attribution: number;
  dropOff: number;
};

export type SroiModel = {
  inputs: SroiInput[];
  outcomes: SroiOutcome[];
  /** Percent a year; HM Treasury's Green Book rate is 3.5. */
  discountRate: number;
};

export const greenBookDiscountRate = 3.5;

export type OutcomeResult = { yearly: number[]; firstYear: number; presentValue: number };
export type SroiResult = {
  totalInputs: number;
  outcomes: OutcomeResult[];
  presentValue: number;
  netPresentValue: number;
  /** Null when there are no inputs to divide by. */
  ratio: number | null;
  /** Null when the first year returns nothing (it never pays back). */
  paybackMonths: number | null;
};

const share = (percent: number) => 1 - percent / 100;

export function outcomeValues(outcome: SroiOutcome, discountRate: number): OutcomeResult {
  const yearly: number[] = [];
  let value = outcome.quantity * outcome.proxyValue * share(outcome.deadweight) * share(outcome.displacement) * share(outcome.attribution);
  for (let year = 1; year <= outcome.durationYears; year++) {
    if (year > 1) value *= share(outcome.dropOff);
    yearly.push(value);
  }
  const presentValue = yearly.reduce((sum, v, i) => sum + v / (1 + discountRate / 100) ** (i + 1), 0);
  return { yearly, firstYear: yearly[0] ?? 0, presentValue };
}

export function calculateSroi(model: SroiModel): SroiResult {
  const totalInputs = model.inputs.reduce((sum, i) => sum + i.amount, 0);
  const outcomes = model.outcomes.map((o) => outcomeValues(o, model.discountRate));
  const presentValue = outcomes.reduce((sum, o) => sum + o.presentValue, 0);
  const firstYear = outcomes.reduce((sum, o) => sum + o.firstYear, 0);
  return {
    totalInputs,
    outcomes,
    presentValue,
    netPresentValue: presentValue - totalInputs,
    ratio: totalInputs > 0 ? presentValue / totalInputs : null,
    paybackMonths: firstYear > 0 ? totalInputs / (firstYear / 12) : null,
  };
}

/**
 * The proxy value at which the whole model breaks even (ratio 1), everything else held: present value is linear in
 * each proxy, so it is (inputs − the other outcomes' present value) ÷ (this outcome's present value per pound of
 * proxy). Zero or less means the model breaks even without this outcome; null when the outcome adds nothing whatever
 * its proxy (no quantity, no years, or 100% deadweight, displacement or attribution).
 */
export function breakEvenProxy(model: SroiModel, index: number): number | null {
  const base = calculateSroi(model);
  const outcome = model.outcomes[index]!;
  const perPound = outcomeValues({ ...outcome, proxyValue: 1 }, model.discountRate).presentValue;
  if (perPound <= 0) return null;
  const others = base.presentValue - base.outcomes[index]!.presentValue;
  return (base.totalInputs - others) / perPound;
}

export type SensitivityRow = {
  outcomeIndex: number | null;
  assumption: 'proxyValue' | 'quantity' | 'durationYears' | 'deadweight' | 'displacement' | 'attribution' | 'dropOff' | 'discountRate';
  base: number;
  low: number;
  high: number;
  ratioLow: number | null;
  ratioHigh: number | null;
};

export type SensitivityOptions = {
  /** Percentage points each of deadweight, displacement, attribution and drop-off moves either way (clamped to 0–100). */
  percentagePoints: number;
  /** Share either way for proxy values and quantities (0.25: 25% less and 25% more). */
  proportion: number;
  /** Years either way for duration (never below 1). */
  years: number;
  /** Discount rates to try instead of the model's. */
  discountRates: [number, number];
};

export const defaultSensitivity: SensitivityOptions = { percentagePoints: 10, proportion: 0.25, years: 1, discountRates: [0, 7] };

/** Each assumption varied on its own, everything else held, with the ratio each way (the guide's sensitivity analysis). */
export function sensitivity(model: SroiModel, options: SensitivityOptions = defaultSensitivity): SensitivityRow[] {
  const ratioWith = (index: number, change: Partial<SroiOutcome>) => calculateSroi({ ...model, outcomes: model.outcomes.map((o, i) => (i === index ? { ...o, ...change } : o)) }).ratio;
  const clampPercent = (v: number) => Math.min(100, Math.max(0, v));
  const rows: SensitivityRow[] = [];
  model.outcomes.forEach((o, index) => {
    const vary = (assumption: SensitivityRow['assumption'] & keyof SroiOutcome, low: number, high: number) => {
      rows.push({ outcomeIndex: index, assumption, base: o[assumption] as number, low, high, ratioLow: ratioWith(index, { [assumption]: low }), ratioHigh: ratioWith(index, { [assumption]: high }) });
    };
    vary('proxyValue', o.proxyValue * (1 - options.proportion), o.proxyValue * (1 + options.proportion));
    vary('quantity', o.quantity * (1 - options.proportion), o.quantity * (1 + options.proportion));
    vary('durationYears', Math.max(1, o.durationYears - options.years), o.durationYears + options.years);
    for (const a of ['deadweight', 'displacement', 'attribution', 'dropOff'] as const) vary(a, clampPercent(o[a] - options.percentagePoints), clampPercent(o[a] + options.percentagePoints));
  });
  const [lowRate, highRate] = options.discountRates;
  rows.push({ outcomeIndex: null, assumption: 'discountRate', base: model.discountRate, low: lowRate, high: highRate, ratioLow: calculateSroi({ ...model, discountRate: lowRate }).ratio, ratioHigh: calculateSroi({ ...model, discountRate: highRate }).ratio });
  return rows;
}

/** Problems with a model, in words, before anything is calculated from it. */
export function sroiProblems(model: SroiModel): string[] {
  const problems: string[] = [];
  const percent = (v: number) => Number.isFinite(v) && v >= 0 && v <= 100;
  if (!model.inputs.length) problems.push('Add at least one input: what the work cost, in money or in kind');
  model.inputs.forEach((i, n) => {
    if (!(Number.isFinite(i.amount) && i.amount >= 0)) problems.push(`Input ${n + 1} must be an amount of £0 or more`);
    if (!i.source.trim()) problems.push(`Input ${n + 1} needs a source: where the figure comes from`);
  });
  if (!(Number.isFinite(model.discountRate) && model.discountRate >= 0 && model.discountRate <= 20)) problems.push('The discount rate must be between 0% and 20%');
  model.outcomes.forEach((o, n) => {
    const name = `Outcome ${n + 1}`;
    if (!(Number.isFinite(o.quantity) && o.quantity >= 0)) problems.push(`${name}: the quantity must be 0 or more`);
    if (!(Number.isFinite(o.proxyValue) && o.proxyValue >= 0)) problems.push(`${name}: the financial proxy must be £0 or more`);
    if (!o.proxySource.trim()) problems.push(`${name}: the financial proxy needs a source`);
    if (!(Number.isInteger(o.durationYears) && o.durationYears >= 1 && o.durationYears <= 50)) problems.push(`${name}: the duration must be a whole number of years from 1 to 50`);
    for (const [key, label] of [['deadweight', 'deadweight'], ['displacement', 'displacement'], ['attribution', 'attribution'], ['dropOff', 'drop-off']] as const) {
      if (!percent(o[key])) problems.push(`${name}: ${label} must be a percentage from 0 to 100`);
    }
  });
  return problems;
}
