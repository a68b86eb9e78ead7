/**
 * The Short Warwick-Edinburgh Mental Wellbeing Scale (SWEMWBS): seven statements about the last two weeks, each
 * answered 1 (none of the time) to 5 (all of the time). The raw total (7–35) is not on an interval scale, so
 * it is converted to a metric score with the published table before means or changes are worked out.
 *
 * Source of the conversion: Stewart-Brown S, Tennant A, Tennant R, Platt S, Parkinson J, Weich S (2009).
 * "Internal construct validity of the Warwick-Edinburgh Mental Well-being Scale (WEMWBS): a Rasch analysis using
 * data from the Scottish Health Education Population Survey". Health and Quality of Life Outcomes 7:15,
 * doi:10.1186/1477-7525-7-15; the raw-to-metric table as published by Warwick Medical School
 * (https://warwick.ac.uk/fac/sci/med/research/platform/wemwbs/). Checked against an independent copy of the
 * published table in public code before use.
 *
 * SWEMWBS is © NHS Health Scotland, University of Warwick and University of Edinburgh, 2008, all rights reserved.
 * It is free to use, but each organisation that uses it must register with the University of Warwick first (the
 * licence form on the page above); Patchwork asks organisations to do so before recording it.
 */

export const swemwbsStatements = [
  'I’ve been feeling optimistic about the future',
  'I’ve been feeling useful',
  'I’ve been feeling relaxed',
  'I’ve been dealing with problems well',
  'I’ve been thinking clearly',
  'I’ve been feeling close to other people',
  'I’ve been able to make up my own mind about things',
] as const;

export const swemwbsAnswers = [
  { value: 1, text: 'None of the time' },
  { value: 2, text: 'Rarely' },
  { value: 3, text: 'Some of the time' },
  { value: 4, text: 'Often' },
  { value: 5, text: 'All of the time' },
] as const;

export const swemwbsMinRaw = 7;
export const swemwbsMaxRaw = 35;

/** Raw total → metric score (Stewart-Brown et al. 2009). */
export const swemwbsMetricTable: Readonly<Record<number, number>> = Object.freeze({
  7: 7.0,
  8: 9.51,
  9: 11.25,
  10: 12.4,
  11: 13.33,
  12: 14.08,
  13: 14.75,
  14: 15.32,
  15: 15.84,
  16: 16.36,
  17: 16.88,
  18: 17.43,
  19: 17.98,
  20: 18.59,
  21: 19.25,
  22: 19.98,
  23: 20.73,
  24: 21.54,
  25: 22.35,
  26: 23.21,
  27: 24.11,
  28: 25.03,
  29: 26.02,
  30: 27.03,
  31: 28.13,
  32: 29.31,
  33: 30.7,
  34: 32.55,
  35: 35.0,
});

/** The metric score for a raw total; throws for a total the scale cannot produce. */
export function swemwbsMetric(raw: number): number {
  const metric = swemwbsMetricTable[raw];
  if (!Number.isInteger(raw) || metric === undefined) throw new RangeError(`A SWEMWBS raw score runs from ${swemwbsMinRaw} to ${swemwbsMaxRaw}, not ${raw}`);
  return metric;
}

/** Raw total and metric score for seven item answers (each 1–5). */
export function scoreSwemwbs(items: readonly number[]): { raw: number; metric: number } {
  if (items.length !== swemwbsStatements.length || items.some((i) => !Number.isInteger(i) || i < 1 || i > 5)) throw new RangeError('SWEMWBS needs seven answers, each 1 to 5');
  const raw = items.reduce((a, b) => a + b, 0);
  return { raw, metric: swemwbsMetric(raw) };
}
