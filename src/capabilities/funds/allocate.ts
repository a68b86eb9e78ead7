/**
 * Splitting a budget across areas in proportion to need: pure arithmetic, no database.
 *
 * Each area's weight is its need (or need × population). Every area gets λ × weight, held between the floor and
 * the cap, with one λ chosen so the amounts add up to the budget. That is exactly where the usual iterative
 * method ends up (fix the areas whose proportional share falls below the floor at the floor and those above the
 * cap at the cap, share what is left among the others in proportion, repeat until nothing changes); it is
 * computed here directly from the points where areas meet the floor or cap, because the step-by-step method can
 * fix an area at the cap too early when floors and caps bind in the same pass.
 *
 * The exact amounts are then rounded to whole pounds by the largest remainder method (Hamilton): everyone gets
 * the whole pounds of their exact amount, and the pounds left over go one each to the areas with the largest
 * fractions of a pound; ties go to the larger weight, then to the area code in alphabetical order. The floor and
 * cap are whole pounds, so rounding never breaks them. Money is integer pence throughout; results are whole
 * pounds (multiples of 100 pence).
 */

export class AllocationError extends Error {
  constructor(
    message: string,
    /** The form field at fault: budget, floor, cap, areas or measure. */
    readonly field: 'budget' | 'floor' | 'cap' | 'areas' | 'measure',
  ) {
    super(message);
  }
}

export interface AreaNeed {
  code: string;
  name?: string;
  need: number | null | undefined;
  population?: number | null;
}

export interface AllocationInput {
  budgetPence: number;
  areas: AreaNeed[];
  timesPopulation?: boolean;
  floorPence?: number | null;
  capPence?: number | null;
  /** Leave out areas without a need value (or population, when multiplying) instead of refusing; they are listed. */
  excludeMissing?: boolean;
}

export interface AllocatedArea {
  code: string;
  name: string;
  need: number;
  population: number | null;
  weight: number;
  /** λ × weight held between floor and cap, in pence, before rounding. */
  exactPence: number;
  amountPence: number;
  equalPence: number;
  bound: 'floor' | 'cap' | null;
}

export interface Allocation {
  lines: AllocatedArea[];
  /** Areas left out for want of data (only when excludeMissing). */
  excluded: { code: string; name: string; reason: string }[];
  totalPence: number;
  equalTotalPence: number;
}

const pounds = (pence: number) => `£${(pence / 100).toLocaleString('en-GB')}`;
const label = (a: { code: string; name?: string }) => (a.name ? `${a.name} (${a.code})` : a.code);

function wholePounds(pence: number | null | undefined, what: string, field: AllocationError['field']): number | null {
  if (pence === null || pence === undefined) return null;
  if (!Number.isSafeInteger(pence) || pence < 0) throw new AllocationError(`The ${what} must be a whole number of pounds, not negative`, field);
  if (pence % 100 !== 0) throw new AllocationError(`The ${what} must be in whole pounds, without pence`, field);
  return pence / 100;
}

/**
 * Whole pounds for each area, adding up to `total` exactly: the whole part of each exact amount, then one more pound
 * each to the largest fractions (ties: larger weight, then code). `lo`/`hi` are never crossed.
 */
export function largestRemainder(exact: { code: string; weight: number; value: number }[], total: number, lo = 0, hi = Infinity): number[] {
  // A value within a billionth of a whole pound is that whole pound: floating point noise must not decide who gets a pound.
  const snapped = exact.map((e) => (Math.abs(e.value - Math.round(e.value)) < 1e-9 ? Math.round(e.value) : e.value));
  const base = snapped.map((v) => Math.min(hi, Math.max(lo, Math.floor(v))));
  const fraction = snapped.map((v, i) => v - base[i]!);
  let left = total - base.reduce((s, v) => s + v, 0);
  const order = exact.map((_, i) => i);
  const byFraction = (a: number, b: number) => fraction[b]! - fraction[a]! || exact[b]!.weight - exact[a]!.weight || (exact[a]!.code < exact[b]!.code ? -1 : exact[a]!.code > exact[b]!.code ? 1 : 0);
  order.sort(byFraction);
  // Normally `left` is between 0 and the number of areas; the loops also cope with the edge cases noise can make.
  while (left > 0) {
    let given = false;
    for (const i of order) {
      if (left === 0) break;
      if (base[i]! + 1 > hi) continue;
      base[i]! += 1;
      left -= 1;
      given = true;
    }
    if (!given) throw new AllocationError('The amounts cannot add up to the budget within the cap', 'cap');
  }
  while (left < 0) {
    let taken = false;
    for (const i of [...order].reverse()) {
      if (left === 0) break;
      if (base[i]! - 1 < lo) continue;
      base[i]! -= 1;
      left += 1;
      taken = true;
    }
    if (!taken) throw new AllocationError('The amounts cannot add up to the budget above the floor', 'floor');
  }
  return base;
}

/** The budget split equally in whole pounds; the pounds left over go one each to the areas first by code. */
export function equalSplit(budgetPence: number, codes: string[]): Map<string, number> {
  const budget = wholePounds(budgetPence, 'budget', 'budget')!;
  const result = new Map<string, number>();
  if (!codes.length) return result;
  const each = Math.floor(budget / codes.length);
  let left = budget - each * codes.length;
  for (const code of [...codes].sort()) {
    result.set(code, (each + (left > 0 ? 1 : 0)) * 100);
    left -= 1;
  }
  return result;
}

/** Splits the budget in proportion to need (× population), with floor and cap, to whole pounds summing exactly. */
export function allocate(input: AllocationInput): Allocation {
  const budget = wholePounds(input.budgetPence, 'budget', 'budget');
  if (budget === null) throw new AllocationError('Enter the budget', 'budget');
  if (budget === 0) throw new AllocationError('The budget must be more than £0', 'budget');
  const floor = wholePounds(input.floorPence, 'floor', 'floor');
  const cap = wholePounds(input.capPence, 'cap', 'cap');
  if (floor !== null && cap !== null && floor > cap) throw new AllocationError(`The floor (${pounds(floor * 100)}) is more than the cap (${pounds(cap * 100)})`, 'floor');

  // ---- Weights: refuse what is not a need (or leave it out, saying so) ----
  const excluded: Allocation['excluded'] = [];
  const seen = new Set<string>();
  const areas: { code: string; name: string; need: number; population: number | null; weight: number }[] = [];
  for (const a of input.areas) {
    if (seen.has(a.code)) throw new AllocationError(`${label(a)} is listed twice`, 'areas');
    seen.add(a.code);
    const missingNeed = a.need === null || a.need === undefined || !Number.isFinite(a.need);
    const missingPopulation = input.timesPopulation && (a.population === null || a.population === undefined || !Number.isFinite(a.population));
    if (missingNeed || missingPopulation) {
      const reason = missingNeed ? 'no need value' : 'no population figure';
      if (input.excludeMissing) {
        excluded.push({ code: a.code, name: a.name ?? a.code, reason });
        continue;
      }
      throw new AllocationError(`${label(a)} has ${reason}`, 'measure');
    }
    if (a.need! < 0) throw new AllocationError(`${label(a)} has a negative need (${a.need}): need must be 0 or more`, 'measure');
    if (input.timesPopulation && a.population! < 0) throw new AllocationError(`${label(a)} has a negative population`, 'measure');
    const population = a.population ?? null;
    areas.push({ code: a.code, name: a.name ?? a.code, need: a.need!, population, weight: input.timesPopulation ? a.need! * population! : a.need! });
  }
  const n = areas.length;
  if (!n) throw new AllocationError('There are no areas to share the budget between', 'areas');
  if (floor !== null && floor * n > budget)
    throw new AllocationError(`The floor is too high: ${n} areas × ${pounds(floor * 100)} = ${pounds(floor * n * 100)}, more than the budget of ${pounds(budget * 100)}`, 'floor');
  if (cap !== null && cap * n < budget)
    throw new AllocationError(`The cap is too low: ${n} areas × ${pounds(cap * 100)} = ${pounds(cap * n * 100)}, less than the budget of ${pounds(budget * 100)}`, 'cap');
  const positive = areas.filter((a) => a.weight > 0);
  if (!positive.length) throw new AllocationError('Every area’s need is 0, so there is nothing to share in proportion to: use the equal split', 'measure');

  // ---- λ: amounts are clamp(λ × weight, floor, cap); S(λ) rises with λ, so find where it meets the budget ----
  const lo = floor ?? 0;
  const hi = cap ?? Infinity;
  const clamp = (v: number) => Math.min(hi, Math.max(lo, v));
  const zeroTotal = (n - positive.length) * lo; // areas of no need get the floor (or nothing)
  const sumAt = (lambda: number) => zeroTotal + positive.reduce((s, a) => s + clamp(lambda * a.weight), 0);
  if (cap !== null && zeroTotal + positive.length * cap < budget)
    throw new AllocationError(
      `The cap is too low: the ${positive.length} areas with some need can have at most ${pounds(positive.length * cap * 100)} between them, and the ${n - positive.length} with none get only the floor, which is less than the budget`,
      'cap',
    );
  const breakpoints = [...new Set(positive.flatMap((a) => [lo / a.weight, ...(cap !== null ? [cap / a.weight] : [])]))].sort((x, y) => x - y);
  let lambda: number | null = null;
  let previous = 0;
  for (const b of [...breakpoints, Infinity]) {
    const atB = b === Infinity ? Infinity : sumAt(b);
    if (atB >= budget) {
      // Between previous and b, the same areas are held at floor or cap; the others share what is left in proportion.
      const mid = b === Infinity ? previous + 1 : (previous + b) / 2;
      let fixed = zeroTotal;
      let freeWeight = 0;
      for (const a of positive) {
        const v = mid * a.weight;
        if (v <= lo) fixed += lo;
        else if (v >= hi) fixed += hi;
        else freeWeight += a.weight;
      }
      lambda = freeWeight > 0 ? (budget - fixed) / freeWeight : b;
      break;
    }
    previous = b;
  }
  if (lambda === null) throw new AllocationError('The budget cannot be split within the floor and cap', 'cap');

  const exact = areas.map((a) => clamp(lambda! * a.weight));
  const rounded = largestRemainder(
    areas.map((a, i) => ({ code: a.code, weight: a.weight, value: exact[i]! })),
    budget,
    lo,
    hi,
  );
  const equal = equalSplit(budget * 100, areas.map((a) => a.code));
  const lines: AllocatedArea[] = areas.map((a, i) => {
    const proportional = lambda! * a.weight;
    const bound = floor !== null && proportional < floor - 1e-9 ? 'floor' : cap !== null && proportional > cap + 1e-9 ? 'cap' : null;
    return { ...a, exactPence: exact[i]! * 100, amountPence: rounded[i]! * 100, equalPence: equal.get(a.code)!, bound };
  });
  return {
    lines,
    excluded,
    totalPence: lines.reduce((s, l) => s + l.amountPence, 0),
    equalTotalPence: lines.reduce((s, l) => s + l.equalPence, 0),
  };
}
