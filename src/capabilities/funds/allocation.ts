import { and, desc, eq, sql } from 'drizzle-orm';
import { recordAudit, type Actor } from '../../platform/audit/audit.ts';
import { queryRows, type Db } from '../../platform/db/database.ts';
import { spreadsheetCsv } from '../../platform/data/csv.ts';
import { domains } from '../indicators/iod-import.ts';
import { allocate, AllocationError, type Allocation } from './allocate.ts';
import { formatPence } from './money.ts';
import { allocationLines, allocationScenarios } from './schema.ts';

/**
 * Allocation scenarios: a budget split across the 2025 wards of a district in proportion to a need measure,
 * saved with its method and every area's line so anyone can see how each amount was reached.
 *
 * The need measures offered are the IoD2025 IMD and domain scores, and population. IoD2025 is published for 2021
 * LSOAs and its own ward summaries (area_summaries) are for 2024 wards, so a 2025 ward's score is computed here the
 * way the IoD defines a ward's average score: the population-weighted mean of its LSOAs' scores, over the 2021 LSOAs
 * whose best-fit ward it is, weighted by the 2021-LSOA population estimate. Its population is the sum of the same
 * estimates. Not offered (yet): neighbourhoods as the areas, local data and composite indexes as the measure
 * (composite indexes are computed for the edition's 2024 wards, which do not match 2025 wards).
 */

export const populationIndicator = 'population.mid2020-estimate.lsoa21';
const edition = { id: 'iod2025', year: '2025' };

export type Measure = { id: string; label: string };

/** Every measure this module knows how to roll up to 2025 wards; measuresAvailable keeps those loaded. */
export const knownMeasures: Measure[] = [
  ...domains.map((d) => ({ id: `${edition.id}.${d.key}`, label: d.key === 'imd' ? `IMD ${edition.year} average score` : `IoD ${edition.year} ${d.label} domain average score` })),
  { id: 'population', label: 'population' },
];

export const measureLabel = (id: string) => knownMeasures.find((m) => m.id === id)?.label ?? id;

export class ScenarioError extends Error {
  constructor(
    message: string,
    readonly field: 'name' | 'budget' | 'district' | 'measure' | 'floor' | 'cap',
  ) {
    super(message);
  }
}

/** The measures whose data is loaded (population is needed by all of them, for the weighting). */
export async function measuresAvailable(db: Db): Promise<Measure[]> {
  const loaded = new Set(
    (await queryRows<{ id: string }>(db, sql`select id from indicators where id in (${sql.join([...knownMeasures.map((m) => m.id), populationIndicator].map((id) => sql`${id}`), sql`, `)})`)).map((r) => r.id),
  );
  if (!loaded.has(populationIndicator)) return [];
  return knownMeasures.filter((m) => m.id === 'population' || loaded.has(m.id));
}

/** Districts (2025) that have 2025 wards loaded. */
export async function districtsWithWards(db: Db): Promise<{ code: string; name: string }[]> {
  return queryRows(
    db,
    sql`select d.code, d.name from areas d where d.vintage = 'lad25'
          and exists (select 1 from area_lookups k where k.from_vintage = 'ward25' and k.to_vintage = 'lad25' and k.to_code = d.code)
        order by d.name`,
  );
}

export type WardNeed = { code: string; name: string; need: number | null; population: number | null };

/**
 * Each 2025 ward of the district with its need and population. An LSOA counts once, towards its best-fit ward (a
 * published lookup before one derived from boundaries); a ward whose LSOAs lack a score or a population has no need.
 */
export async function wardNeeds(db: Db, lad25: string, measureId: string): Promise<WardNeed[]> {
  const score = measureId === 'population' ? null : measureId;
  return queryRows<WardNeed>(
    db,
    sql`with wards as (
          select w.code, w.name from areas w
          join area_lookups k on k.from_vintage = 'ward25' and k.from_code = w.code and k.to_vintage = 'lad25' and k.to_code = ${lad25}
          where w.vintage = 'ward25'),
        fits as (
          select distinct on (l.from_code) l.from_code as lsoa, l.to_code as ward from area_lookups l
          where l.from_vintage = 'lsoa21' and l.to_vintage = 'ward25' and l.to_code in (select code from wards)
          order by l.from_code, l.method <> 'published', l.to_code),
        members as (
          select f.ward, p.value as population, s.value as score from fits f
          left join indicator_values p on p.indicator_id = ${populationIndicator} and p.code = f.lsoa
          left join indicator_values s on s.indicator_id = ${score} and s.code = f.lsoa)
        select w.code, w.name,
          case when count(m.ward) = 0 or count(m.population) < count(m.ward) then null else sum(m.population) end as population,
          case when count(m.ward) = 0 or count(m.population) < count(m.ward) then null
               when ${score}::text is null then sum(m.population)
               when count(m.score) < count(m.ward) or sum(m.population) = 0 then null
               else sum(m.score * m.population) / sum(m.population) end as need
        from wards w left join members m on m.ward = w.code
        group by w.code, w.name order by w.code`,
  );
}

export type NewScenario = {
  organisationId: string;
  name: string;
  budgetPence: number | null;
  districtCode: string;
  measureId: string;
  timesPopulation: boolean;
  floorPence: number | null;
  capPence: number | null;
  sample?: boolean;
  createdBy: string | null;
};

/** Works out and saves a scenario; refuses with a ScenarioError naming the field, saving nothing. */
export async function createScenario(db: Db, input: NewScenario, actor: Actor): Promise<string> {
  const name = input.name.trim();
  if (!name) throw new ScenarioError('Enter a name for the scenario', 'name');
  if (name.length > 200) throw new ScenarioError('The name must be 200 characters or fewer', 'name');
  if (input.budgetPence === null) throw new ScenarioError('Enter the budget', 'budget');
  const districts = await districtsWithWards(db);
  const district = districts.find((d) => d.code === input.districtCode);
  if (!district) throw new ScenarioError(input.districtCode ? 'Choose a district from the list: Patchwork has no 2025 wards for that one' : 'Choose a district', 'district');
  const measures = await measuresAvailable(db);
  if (!measures.some((m) => m.id === input.measureId)) throw new ScenarioError(input.measureId ? 'Choose a need measure from the list' : 'Choose a need measure', 'measure');
  if (input.measureId === 'population' && input.timesPopulation) throw new ScenarioError('The measure is already population: multiplying it by population again would weight by population squared', 'measure');

  const wards = await wardNeeds(db, district.code, input.measureId);
  let result: Allocation;
  try {
    result = allocate({ budgetPence: input.budgetPence, areas: wards, timesPopulation: input.timesPopulation, floorPence: input.floorPence, capPence: input.capPence });
  } catch (error) {
    if (!(error instanceof AllocationError)) throw error;
    throw new ScenarioError(error.message, error.field === 'areas' ? 'district' : error.field);
  }
  // The rounding guarantees this; checked again because a saved scenario that did not add up would mislead.
  if (result.totalPence !== input.budgetPence || result.equalTotalPence !== input.budgetPence) throw new Error('Allocation does not add up to the budget');
  const populations = new Map(wards.map((w) => [w.code, w.population]));

  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(allocationScenarios)
      .values({
        organisationId: input.organisationId,
        name,
        budgetPence: input.budgetPence!,
        areaKind: 'ward25',
        districtCode: district.code,
        measureKind: 'indicator',
        measureId: input.measureId,
        timesPopulation: input.timesPopulation,
        floorPence: input.floorPence,
        capPence: input.capPence,
        sample: input.sample ?? false,
        createdBy: input.createdBy,
      })
      .returning({ id: allocationScenarios.id });
    await tx.insert(allocationLines).values(
      result.lines.map((l) => ({
        scenarioId: row!.id,
        areaCode: l.code,
        areaName: l.name,
        need: l.need,
        population: populations.get(l.code) ?? null,
        weight: l.weight,
        amountPence: l.amountPence,
        equalPence: l.equalPence,
        bound: l.bound,
      })),
    );
    await recordAudit(tx, {
      actor,
      action: 'allocation.created',
      objectType: 'allocation_scenario',
      objectId: row!.id,
      organisationId: input.organisationId,
      details: { name, budgetPence: input.budgetPence, district: district.code, measure: input.measureId, timesPopulation: input.timesPopulation, floorPence: input.floorPence, capPence: input.capPence, areas: result.lines.length },
    });
    return row!.id;
  });
}

export type Scenario = typeof allocationScenarios.$inferSelect;
export type Line = typeof allocationLines.$inferSelect;

export async function scenariosOf(db: Db, organisationId: string): Promise<(Scenario & { districtName: string | null; areas: number })[]> {
  const rows = await db.select().from(allocationScenarios).where(eq(allocationScenarios.organisationId, organisationId)).orderBy(desc(allocationScenarios.createdAt));
  const extra = await queryRows<{ id: string; district: string | null; areas: number }>(
    db,
    sql`select s.id, (select name from areas where vintage = 'lad25' and code = s.district_code) as district, (select count(*)::int from allocation_lines l where l.scenario_id = s.id) as areas
        from allocation_scenarios s where s.organisation_id = ${organisationId}`,
  );
  return rows.map((r) => {
    const e = extra.find((x) => x.id === r.id);
    return { ...r, districtName: e?.district ?? null, areas: Number(e?.areas ?? 0) };
  });
}

/** A scenario of the organisation, with its lines in area-name order; null when it is not there. */
export async function getScenario(db: Db, organisationId: string, id: string): Promise<{ scenario: Scenario; lines: Line[]; districtName: string | null } | null> {
  const [scenario] = await db.select().from(allocationScenarios).where(and(eq(allocationScenarios.id, id), eq(allocationScenarios.organisationId, organisationId)));
  if (!scenario) return null;
  const lines = await db.select().from(allocationLines).where(eq(allocationLines.scenarioId, id)).orderBy(allocationLines.areaName, allocationLines.areaCode);
  const [district] = scenario.districtCode ? await queryRows<{ name: string }>(db, sql`select name from areas where vintage = 'lad25' and code = ${scenario.districtCode}`) : [];
  return { scenario, lines, districtName: district?.name ?? null };
}

/** The method in words, e.g. "£250,000 split across the 25 wards of Wigan in proportion to IMD 2025 average score × population, …". */
export function methodText(scenario: Scenario, areaCount: number, districtName: string | null): string {
  const where = `the ${areaCount} ${areaCount === 1 ? 'ward' : 'wards'} (2025) of ${districtName ?? scenario.districtCode ?? 'the district'}`;
  const measure = `${measureLabel(scenario.measureId)}${scenario.timesPopulation ? ' × population' : ''}`;
  const limits = [scenario.floorPence !== null ? `a floor of ${formatPence(scenario.floorPence)}` : null, scenario.capPence !== null ? `a cap of ${formatPence(scenario.capPence)}` : null].filter(Boolean);
  return (
    `${formatPence(scenario.budgetPence)} split across ${where} in proportion to ${measure}` +
    (limits.length ? `, with ${limits.join(' and ')}` : '') +
    '; rounded to whole pounds by largest remainder (ties to the larger weight, then the ward code)'
  );
}

/** Need shown as people read it: scores to 2 decimal places, population as a whole number. */
export const needText = (value: number | null, measureId: string) => (value === null ? '' : measureId === 'population' ? Math.round(value).toLocaleString('en-GB') : value.toFixed(2));
export const boundWords = { floor: 'Floor', cap: 'Cap' } as const;

/** The scenario as a spreadsheet: a line per ward, the totals (which equal the budget) and the method. */
export function scenarioCsv(scenario: Scenario, lines: Line[], districtName: string | null): string {
  const poundsText = (pence: number) => String(pence / 100);
  // More precision than the page shows, so the weights can be checked from the file (populations are apportioned
  // from 2011 LSOAs, so they have fractions); three decimals hide only floating-point noise.
  const exact = (v: number | null) => (v === null ? '' : String(Math.round(v * 1000) / 1000));
  const rows = lines.map((l) => [
    l.areaCode,
    l.areaName,
    exact(l.need),
    exact(l.population),
    exact(l.weight),
    poundsText(l.amountPence),
    poundsText(l.equalPence),
    poundsText(l.amountPence - l.equalPence),
    l.bound ?? '',
  ]);
  const sum = (f: (l: Line) => number) => lines.reduce((s, l) => s + f(l), 0);
  rows.push(['Total', '', '', exact(sum((l) => l.population ?? 0)), '', poundsText(sum((l) => l.amountPence)), poundsText(sum((l) => l.equalPence)), poundsText(sum((l) => l.amountPence - l.equalPence)), '']);
  rows.push(['Method', methodText(scenario, lines.length, districtName), '', '', '', '', '', '', '']);
  return spreadsheetCsv(['Ward code (2025)', 'Ward', `Need: ${measureLabel(scenario.measureId)}`, 'Population', 'Weight', 'Amount by need (£)', 'Equal split (£)', 'Difference (£)', 'Floor or cap'], rows);
}
