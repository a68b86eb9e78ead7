import { describe, expect, it } from 'vitest';
import { allocate, AllocationError, equalSplit, largestRemainder } from './allocate.ts';

/** Whole pounds of each line, by code, for readable expectations. */
const poundsOf = (result: ReturnType<typeof allocate>) => Object.fromEntries(result.lines.map((l) => [l.code, l.amountPence / 100]));
const boundsOf = (result: ReturnType<typeof allocate>) => Object.fromEntries(result.lines.map((l) => [l.code, l.bound]));
const areas = (needs: Record<string, number>) => Object.entries(needs).map(([code, need]) => ({ code, need }));
const refusal = (fn: () => unknown): AllocationError => {
  try {
    fn();
  } catch (error) {
    if (error instanceof AllocationError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
};

describe('allocating a budget in proportion to need (worked by hand)', () => {
  it('splits in proportion and rounds by largest remainder', () => {
    // £1,000 over needs 10, 20, 30: exactly 166.67, 333.33, 500. Whole pounds 166 + 333 + 500 = 999; the pound
    // left goes to the largest fraction (A, .67).
    const r = allocate({ budgetPence: 100_000, areas: areas({ A: 10, B: 20, C: 30 }) });
    expect(poundsOf(r)).toEqual({ A: 167, B: 333, C: 500 });
    expect(r.totalPence).toBe(100_000);
    expect(boundsOf(r)).toEqual({ A: null, B: null, C: null });
  });

  it('breaks ties in the remainders by larger weight, then by area code', () => {
    // £100 over three equal needs: 33.33 each, one pound left, all fractions equal and weights equal → code A.
    expect(poundsOf(allocate({ budgetPence: 10_000, areas: areas({ C: 1, A: 1, B: 1 }) }))).toEqual({ A: 34, B: 33, C: 33 });
    // £3 over needs 0.5, 0.5, 2 → 0.5, 0.5, 2 exactly: one pound left between A and B (.5 each, same weight) → A by
    // code. £7 over 1.5, 3.5 → 2.1, 4.9: the larger fraction (B .9) wins.
    expect(poundsOf(allocate({ budgetPence: 300, areas: areas({ B: 0.5, A: 0.5, C: 2 }) }))).toEqual({ A: 1, B: 0, C: 2 });
    expect(poundsOf(allocate({ budgetPence: 700, areas: areas({ A: 1.5, B: 3.5 }) }))).toEqual({ A: 2, B: 5 });
    // Equal fractions with unequal weights: £2 over weights 1 and 3 → 0.5 and 1.5; the pound left goes to the larger weight.
    expect(poundsOf(allocate({ budgetPence: 200, areas: areas({ A: 1, B: 3 }) }))).toEqual({ A: 0, B: 2 });
  });

  it('multiplies need by population when asked', () => {
    // A: 2 × 100 = 200, B: 1 × 300 = 300; £1,000 → 400 and 600 (without population it would be 667 and 333).
    const input = { budgetPence: 100_000, areas: [{ code: 'A', need: 2, population: 100 }, { code: 'B', need: 1, population: 300 }] };
    const r = allocate({ ...input, timesPopulation: true });
    expect(poundsOf(r)).toEqual({ A: 400, B: 600 });
    expect(r.lines.map((l) => l.weight)).toEqual([200, 300]);
    expect(poundsOf(allocate(input))).toEqual({ A: 667, B: 333 });
  });

  it('raises areas below the floor to it and shares the rest among the others', () => {
    // £1,000 over 1, 4, 5: 100, 400, 500. A is below the £200 floor: A = 200, and £800 is shared 4 : 5 →
    // 355.56 and 444.44; whole pounds 355 + 444 = 799, the pound left to B (.56).
    const r = allocate({ budgetPence: 100_000, areas: areas({ A: 1, B: 4, C: 5 }), floorPence: 20_000 });
    expect(poundsOf(r)).toEqual({ A: 200, B: 356, C: 444 });
    expect(boundsOf(r)).toEqual({ A: 'floor', B: null, C: null });
  });

  it('holds areas above the cap to it and shares the rest among the others', () => {
    // £1,000 over 1, 1, 8: 100, 100, 800. C is above the £500 cap: C = 500, and £500 is shared 1 : 1.
    const r = allocate({ budgetPence: 100_000, areas: areas({ A: 1, B: 1, C: 8 }), capPence: 50_000 });
    expect(poundsOf(r)).toEqual({ A: 250, B: 250, C: 500 });
    expect(boundsOf(r)).toEqual({ A: null, B: null, C: 'cap' });
  });

  it('applies a floor and a cap together', () => {
    // £1,000 over 0.5, 2, 3, 14.5 (total 20): 25, 100, 150, 725. A to the £100 floor, D to the £400 cap;
    // £500 left for B and C, 2 : 3 → 200 and 300.
    const r = allocate({ budgetPence: 100_000, areas: areas({ A: 0.5, B: 2, C: 3, D: 14.5 }), floorPence: 10_000, capPence: 40_000 });
    expect(poundsOf(r)).toEqual({ A: 100, B: 200, C: 300, D: 400 });
    expect(boundsOf(r)).toEqual({ A: 'floor', B: null, C: null, D: 'cap' });
  });

  it('does not cap an area that only looked above the cap before the floors were paid for', () => {
    // £1,000 over 1, 1, 1, 1, 6: 100 × 4 and 600. Fixing A–D at the £150 floor AND E at the £560 cap in one pass
    // would spend £1,160. Once the floors take £600, E's share of the £400 left is under the cap: E = 400.
    const r = allocate({ budgetPence: 100_000, areas: areas({ A: 1, B: 1, C: 1, D: 1, E: 6 }), floorPence: 15_000, capPence: 56_000 });
    expect(poundsOf(r)).toEqual({ A: 150, B: 150, C: 150, D: 150, E: 400 });
    expect(boundsOf(r)).toEqual({ A: 'floor', B: 'floor', C: 'floor', D: 'floor', E: null });
  });

  it('gives an area of no need the floor', () => {
    const r = allocate({ budgetPence: 100_000, areas: areas({ A: 0, B: 1, C: 3 }), floorPence: 10_000 });
    // A: 100 (floor); £900 shared 1 : 3 → 225, 675.
    expect(poundsOf(r)).toEqual({ A: 100, B: 225, C: 675 });
  });

  it('splits equally, the pounds left over going first by code', () => {
    expect([...equalSplit(10_000, ['C', 'A', 'B'])]).toEqual([['A', 3_400], ['B', 3_300], ['C', 3_300]]);
    const r = allocate({ budgetPence: 10_000, areas: areas({ C: 5, A: 1, B: 1 }) });
    expect(r.lines.map((l) => [l.code, l.equalPence])).toEqual([['C', 3_300], ['A', 3_400], ['B', 3_300]]);
    expect(r.equalTotalPence).toBe(10_000);
  });

  it('refuses impossible settings with messages that say why', () => {
    const three = areas({ A: 1, B: 2, C: 3 });
    expect(refusal(() => allocate({ budgetPence: 100_000, areas: three, floorPence: 40_000 }))).toMatchObject({
      field: 'floor',
      message: 'The floor is too high: 3 areas × £400 = £1,200, more than the budget of £1,000',
    });
    expect(refusal(() => allocate({ budgetPence: 100_000, areas: three, capPence: 30_000 }))).toMatchObject({
      field: 'cap',
      message: 'The cap is too low: 3 areas × £300 = £900, less than the budget of £1,000',
    });
    expect(refusal(() => allocate({ budgetPence: 100_000, areas: three, floorPence: 30_000, capPence: 20_000 }))).toMatchObject({ field: 'floor', message: 'The floor (£300) is more than the cap (£200)' });
    expect(refusal(() => allocate({ budgetPence: 100_050, areas: three })).message).toBe('The budget must be in whole pounds, without pence');
    expect(refusal(() => allocate({ budgetPence: 100_000, areas: three, floorPence: 1_050 })).field).toBe('floor');
    expect(refusal(() => allocate({ budgetPence: 0, areas: three })).field).toBe('budget');
    expect(refusal(() => allocate({ budgetPence: 100_000, areas: [{ code: 'E05000001', name: 'Abram', need: -2 }] })).message).toBe('Abram (E05000001) has a negative need (-2): need must be 0 or more');
    expect(refusal(() => allocate({ budgetPence: 100_000, areas: [{ code: 'E05000001', name: 'Abram', need: null }] })).message).toBe('Abram (E05000001) has no need value');
    expect(refusal(() => allocate({ budgetPence: 100_000, areas: [{ code: 'A', need: 1 }], timesPopulation: true })).message).toBe('A has no population figure');
    expect(refusal(() => allocate({ budgetPence: 100_000, areas: areas({ A: 0, B: 0 }) })).message).toMatch(/nothing to share in proportion/);
    expect(refusal(() => allocate({ budgetPence: 100_000, areas: [] })).field).toBe('areas');
  });

  it('leaves out areas without data when asked, and says which', () => {
    const r = allocate({ budgetPence: 100_000, areas: [{ code: 'A', need: 1 }, { code: 'B', name: 'Bryn', need: null }, { code: 'C', need: 3 }], excludeMissing: true });
    expect(poundsOf(r)).toEqual({ A: 250, C: 750 });
    expect(r.excluded).toEqual([{ code: 'B', name: 'Bryn', reason: 'no need value' }]);
  });

  it('rounds by largest remainder without crossing bounds', () => {
    expect(largestRemainder([{ code: 'A', weight: 1, value: 1.5 }, { code: 'B', weight: 1, value: 1.5 }], 3)).toEqual([2, 1]);
  });
});

describe('allocating random budgets (property)', () => {
  // A small seeded generator, so a failure can be repeated.
  let seed = 20260409;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));

  it('always sums exactly to the budget and keeps every area within floor and cap', () => {
    let checked = 0;
    for (let trial = 0; trial < 2_000; trial++) {
      const n = int(1, 40);
      const budget = int(1, 500_000);
      const list = Array.from({ length: n }, (_, i) => ({
        code: `E05${String(i).padStart(6, '0')}`,
        need: random() < 0.1 ? 0 : Math.round(random() * 80 * 1000) / 1000,
        population: int(0, 20_000),
      }));
      const floor = random() < 0.5 ? int(0, Math.floor(budget / n)) : null;
      const cap = random() < 0.5 ? int(Math.ceil(budget / n), budget) : null;
      const timesPopulation = random() < 0.5;
      let r;
      try {
        r = allocate({ budgetPence: budget * 100, areas: list, floorPence: floor === null ? null : floor * 100, capPence: cap === null ? null : cap * 100, timesPopulation });
      } catch (error) {
        // The only refusals possible here: every weight 0, or a cap too low once no-need areas are held at the floor.
        expect(error).toBeInstanceOf(AllocationError);
        expect((error as Error).message).toMatch(/nothing to share|cap is too low/);
        continue;
      }
      checked++;
      expect(r.totalPence).toBe(budget * 100);
      expect(r.equalTotalPence).toBe(budget * 100);
      for (const line of r.lines) {
        expect(line.amountPence % 100).toBe(0);
        if (floor !== null) expect(line.amountPence).toBeGreaterThanOrEqual(floor * 100);
        if (cap !== null) expect(line.amountPence).toBeLessThanOrEqual(cap * 100);
        // Rounding moves no area by a pound or more from its exact amount.
        expect(Math.abs(line.amountPence - line.exactPence)).toBeLessThan(100);
      }
    }
    expect(checked).toBeGreaterThan(1_500);
  });
});
