import { describe, expect, it } from 'vitest';
import { cellText, shareOf, suppress, suppressBreakdown } from './suppression.ts';

const shown = (r: ReturnType<typeof suppressBreakdown>) => r.cells.map((c) => c.value);

describe('small-number suppression', () => {
  it('hides a count below the threshold and shows one at it', () => {
    expect(suppress(4)).toEqual({ value: null, suppressed: true });
    expect(suppress(0)).toEqual({ value: null, suppressed: true });
    expect(suppress(5)).toEqual({ value: 5, suppressed: false });
    expect(suppress(9, 10).suppressed).toBe(true);
  });

  it('leaves a breakdown with no small cells alone', () => {
    expect(shown(suppressBreakdown([12, 30, 5]))).toEqual([12, 30, 5]);
  });

  it('hides the next smallest cell when one small cell could be worked out from the total', () => {
    const r = suppressBreakdown([12, 30, 3, 7]);
    expect(shown(r)).toEqual([12, 30, null, null]);
    expect(r.total.value).toBe(52);
  });

  it('keeps hiding until the hidden cells together reach the threshold', () => {
    // 1 + 2 = 3 hidden; hiding 6 next makes 9, enough.
    expect(shown(suppressBreakdown([1, 2, 6, 40]))).toEqual([null, null, null, 40]);
    // Two small cells already summing to 5 or more need nothing more.
    expect(shown(suppressBreakdown([3, 4, 20]))).toEqual([null, null, 20]);
  });

  it('needs nothing more when the hidden cells are all zero, which identifies no one', () => {
    expect(shown(suppressBreakdown([20, 0, 0]))).toEqual([20, null, null]);
  });

  it('hides everything, total too, when the total is small', () => {
    const r = suppressBreakdown([2, 1]);
    expect(shown(r)).toEqual([null, null]);
    expect(r.total.suppressed).toBe(true);
  });

  it('works at another threshold', () => {
    expect(shown(suppressBreakdown([9, 10, 30], 10))).toEqual([null, null, 30]);
  });

  it('says "hidden" for a cell kept back only to protect a smaller one, and "fewer than" for a small one', () => {
    const r = suppressBreakdown([12, 30, 3, 7]);
    expect(r.cells.map((c) => cellText(c))).toEqual(['12', '30', 'fewer than 5', 'hidden']);
    expect(cellText(suppress(1234))).toBe('1,234');
  });

  it('gives a share only when both parts are shown', () => {
    expect(shareOf(suppress(10), suppress(40))).toBe(0.25);
    expect(shareOf(suppress(3), suppress(40))).toBeNull();
  });
});
