import { describe, expect, it } from 'vitest';
import { costLineProblems, costsAvoided, type CostLine } from './costs-avoided.ts';

const line = (o: Partial<CostLine>): CostLine => ({ service: 'GP appointments', people: 40, changePerPersonPerYear: 2, unitCost: 42, unitCostSource: 'Worked example', changeSource: 'Worked example', years: 1, ...o });

describe('costs avoided', () => {
  it('multiplies people, change in use, unit cost and years, line by line', () => {
    // GP: 40 × 2 × 1 = 80 appointments × £42 = £3,360. A&E: 40 × 0.5 × 2 years = 40 attendances × £210 = £8,400.
    // More use counts against: 10 × −1 × 1 = −10 social-care visits × £30 = −£300. Total £11,460.
    const r = costsAvoided([line({}), line({ service: 'A&E attendances', changePerPersonPerYear: 0.5, unitCost: 210, years: 2 }), line({ service: 'Social care visits', people: 10, changePerPersonPerYear: -1, unitCost: 30 })]);
    expect(r.lines).toEqual([
      { usesAvoided: 80, costAvoided: 3_360 },
      { usesAvoided: 40, costAvoided: 8_400 },
      { usesAvoided: -10, costAvoided: -300 },
    ]);
    expect(r.total).toBe(11_460);
  });

  it('asks for the sources and sensible numbers', () => {
    expect(costLineProblems(line({ people: 2.5, unitCostSource: '', years: 0 }), 1)).toEqual([
      'GP appointments: the number of people must be a whole number, 0 or more',
      'GP appointments: the unit cost needs a source, such as the PSSRU Unit Costs of Health and Social Care',
      'GP appointments: the period must be more than 0 and at most 10 years',
    ]);
  });
});
