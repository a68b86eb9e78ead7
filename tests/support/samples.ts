/**
 * Sample form inputs shared by tests: invented (sample data), shaped as the upload and index forms send them.
 */

/** A local indicator's details, as the upload form sends them (sample data). */
export const sampleIndicatorMeta = {
  label: 'Anti-social behaviour incidents',
  unit: 'per 1,000 people',
  period: '2025/26',
  direction: 'higher-is-worse',
  aggregation: 'population-weighted-mean',
  vintage: 'lsoa11',
  source: 'Test police force, incident records',
  licence: 'Open Government Licence v3.0',
  sharing: 'public',
};

/** A two-input composite index of every ward of Leeds and Bradford, as the form sends it. */
export const sampleIndexForm = {
  name: 'Leeds and Bradford wellbeing',
  edition: 'iod2019',
  level: 'ward',
  lads: 'E08000035, E08000032',
  sharing: 'public',
  source0: 'iod2019.income',
  component0: 'Material wellbeing',
  dimension0: 'Basic Human Needs',
  direction0: 'higher-is-worse',
  weight0: '1',
  transform0: 'none',
  source1: 'iod2019.employment',
  component1: 'Work',
  dimension1: 'Opportunity',
  direction1: 'higher-is-worse',
  weight1: '1',
  transform1: 'none',
};
