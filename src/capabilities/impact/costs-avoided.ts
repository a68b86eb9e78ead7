/**
 * Costs avoided: people × the change in how often each uses a service in a year × the unit cost × years. Every line
 * carries the source of its unit cost and of its change, because a finance director will ask. Pure, like sroi.ts.
 */

export type CostLine = {
  service: string;
  people: number;
  /** Fewer uses per person per year (e.g. 2 fewer GP appointments); negative means more use. */
  changePerPersonPerYear: number;
  unitCost: number;
  unitCostSource: string;
  changeSource: string;
  years: number;
};

export type CostLineResult = { usesAvoided: number; costAvoided: number };

export function costLineResult(line: CostLine): CostLineResult {
  const usesAvoided = line.people * line.changePerPersonPerYear * line.years;
  return { usesAvoided, costAvoided: usesAvoided * line.unitCost };
}

export function costsAvoided(lines: readonly CostLine[]): { lines: CostLineResult[]; total: number } {
  const results = lines.map(costLineResult);
  return { lines: results, total: results.reduce((sum, r) => sum + r.costAvoided, 0) };
}

export function costLineProblems(line: CostLine, n: number): string[] {
  const problems: string[] = [];
  const name = line.service.trim() || `Line ${n}`;
  if (!line.service.trim()) problems.push(`Line ${n}: name the service, such as GP appointments`);
  if (!(Number.isInteger(line.people) && line.people >= 0)) problems.push(`${name}: the number of people must be a whole number, 0 or more`);
  if (!Number.isFinite(line.changePerPersonPerYear)) problems.push(`${name}: the change in use must be a number`);
  if (!(Number.isFinite(line.unitCost) && line.unitCost >= 0)) problems.push(`${name}: the unit cost must be £0 or more`);
  if (!line.unitCostSource.trim()) problems.push(`${name}: the unit cost needs a source, such as the PSSRU Unit Costs of Health and Social Care`);
  if (!line.changeSource.trim()) problems.push(`${name}: the change in use needs a source: how it was measured or where it comes from`);
  if (!(Number.isFinite(line.years) && line.years > 0 && line.years <= 10)) problems.push(`${name}: the period must be more than 0 and at most 10 years`);
  return problems;
}
