/**
 * Small-number suppression for every count Patchwork publishes or exports: a count below the threshold
 * (default 5, PATCHWORK_SUPPRESSION_THRESHOLD) is never shown, nor anything worked out from it (a percentage,
 * a mean, a weighted estimate). Where a breakdown is shown with its total, hiding one cell is not enough —
 * total minus the others gives it back — so the next smallest cell is hidden too (secondary suppression).
 */

export const defaultThreshold = 5;

/** A count as it may be shown; `secondary` marks a count of at least the threshold hidden only to protect a smaller one. */
export type Shown = { value: number; suppressed: false } | { value: null; suppressed: true; secondary?: boolean };

export function suppress(count: number, threshold = defaultThreshold): Shown {
  return count < threshold ? { value: null, suppressed: true } : { value: count, suppressed: false };
}

/** The words a suppressed cell shows. */
export const fewerThan = (threshold = defaultThreshold) => `fewer than ${threshold}`;

/**
 * Suppresses a one-way breakdown shown beside its total. Cells below the threshold (zero included) are hidden.
 * The hidden cells' sum can be worked out from the total, so while it is a small number of people (1 to
 * threshold − 1) the smallest shown cell is hidden too. A sum of zero reveals only that nobody is in those
 * groups, which identifies no one, so it needs nothing more. If the total is below the threshold, all is hidden.
 */
export function suppressBreakdown(counts: readonly number[], threshold = defaultThreshold): { cells: Shown[]; total: Shown } {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total < threshold) return { cells: counts.map(() => ({ value: null, suppressed: true })), total: { value: null, suppressed: true } };
  const hidden = counts.map((c) => c < threshold);
  const hiddenSum = () => counts.reduce((sum, c, i) => (hidden[i] ? sum + c : sum), 0);
  while (hiddenSum() > 0 && hiddenSum() < threshold && hidden.includes(false)) {
    let next = -1;
    counts.forEach((c, i) => {
      if (!hidden[i] && (next === -1 || c < counts[next]!)) next = i;
    });
    hidden[next] = true;
  }
  return {
    cells: counts.map((c, i) => (hidden[i] ? (c >= threshold ? { value: null, suppressed: true, secondary: true } : { value: null, suppressed: true }) : { value: c, suppressed: false })),
    total: { value: total, suppressed: false },
  };
}

/**
 * What a cell reads: the number, "fewer than 5", or "hidden" for one kept back only so that a smaller one cannot
 * be worked out (calling that "fewer than 5" would be untrue).
 */
export function cellText(shown: Shown, threshold = defaultThreshold): string {
  if (!shown.suppressed) return shown.value.toLocaleString('en-GB');
  return shown.secondary ? 'hidden' : fewerThan(threshold);
}

/** A share (0–1) that is shown only when both its count and its base are shown. */
export function shareOf(part: Shown, base: Shown): number | null {
  return part.suppressed || base.suppressed || base.value === 0 ? null : part.value / base.value;
}
