/**
 * How hard the fuzz and fault tests push. `npm test` runs a quick profile, so every run still tries hostile
 * input and faults; `npm run test:hard` (PATCHWORK_TEST_PROFILE=hard) runs them fully. PATCHWORK_FUZZ_RUNS and
 * PATCHWORK_FUZZ_SEED override either, so a failure found with one seed can be replayed.
 */
export const hardProfile = process.env.PATCHWORK_TEST_PROFILE === 'hard';

/** Generated inputs per property: `quick` in npm test, `hard` (default 1,000) in test:hard. */
export function fuzzRuns(quick: number, hard = 1000): number {
  const set = Number(process.env.PATCHWORK_FUZZ_RUNS);
  if (Number.isInteger(set) && set > 0) return set;
  return hardProfile ? hard : quick;
}

/** A fixed seed by default, so a failing run fails again the same way; PATCHWORK_FUZZ_SEED picks another. */
export function fuzzSeed(fallback: number): number {
  const set = Number(process.env.PATCHWORK_FUZZ_SEED);
  return Number.isInteger(set) ? set : fallback;
}

/** A test's time limit, longer in the hard profile (which runs `hardRuns / quickRuns` times as many inputs). */
export function fuzzTimeout(quickMs: number): number {
  return hardProfile ? quickMs * 30 : quickMs;
}
