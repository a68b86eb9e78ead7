/** Timing and its summary, shared by every benchmark so their figures are computed and shown alike. */

export type Stats = { median: number; p95: number; n: number };

/** Nearest-rank quantiles: every figure reported is a time that was actually measured. */
export function stats(samples: number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
  return { median: at(0.5), p95: at(0.95), n: sorted.length };
}

/** Milliseconds, from hrtime: Date.now() is too coarse for sub-millisecond routes. */
export async function time(f: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await f();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

export const ms = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(2)} s` : v >= 10 ? `${v.toFixed(0)} ms` : v >= 1 ? `${v.toFixed(1)} ms` : `${v.toFixed(2)} ms`);
