import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { recordAudit, type Actor } from '../../platform/audit/audit.ts';
import type { Db, Tx } from '../../platform/db/database.ts';
import { formProblems, text, type Form, type FormErrors } from '../../platform/web/forms.ts';
import { costLineProblems, costsAvoided, type CostLine, type CostLineResult } from './costs-avoided.ts';
import { proxyForPartnership } from './proxies.ts';
import { costAvoidedLines, impactOutcomes, sroiInputs, sroiModels, sroiOutcomes } from './schema.ts';
import { breakEvenProxy, calculateSroi, greenBookDiscountRate, sensitivity, sroiProblems, type OutcomeResult, type SensitivityRow, type SroiModel, type SroiResult } from './sroi.ts';
import { isUuid, parseNumber, pounds } from './web.ts';

/**
 * SROI models of a partnership's work: inputs, valued outcomes (each assumption with its source) and costs avoided.
 * The figures all come from sroi.ts and costs-avoided.ts; this file stores what people type and turns results into
 * the words a finance director reads. `modelReport` is the whole of a model's page, so the impact report can show
 * the same thing.
 */

export const defaultDiscountRateSource = 'HM Treasury Green Book (2022), 3.5% a year';

export type Outcome<T> = { ok: true; value: T } | { ok: false; errors: FormErrors };

// ---------------------------------------------------------------------------------------------------------------
// Reading forms


type FieldReader = {
  words: (name: string, missing: string, max?: number) => string;
  optionalWords: (name: string, max?: number) => string;
  number: (name: string, rule: { missing: string; invalid: string; min?: number; max?: number; range?: string; whole?: boolean; percent?: boolean }) => number;
};

function reader(form: Form, fail: (field: string, message: string) => void): FieldReader {
  return {
    words(name, missing, max = 500) {
      const value = text(form, name).trim();
      if (!value) fail(name, missing);
      else if (value.length > max) fail(name, `This must be ${max.toLocaleString('en-GB')} characters or fewer`);
      return value;
    },
    optionalWords(name, max = 500) {
      const value = text(form, name).trim();
      if (value.length > max) fail(name, `This must be ${max.toLocaleString('en-GB')} characters or fewer`);
      return value;
    },
    number(name, rule) {
      const n = parseNumber(text(form, name), { percent: rule.percent });
      if (n === null) fail(name, rule.missing);
      else if (n === 'invalid') fail(name, rule.invalid);
      else if ((rule.whole && !Number.isInteger(n)) || (rule.min !== undefined && n < rule.min) || (rule.max !== undefined && n > rule.max)) fail(name, rule.range ?? rule.invalid);
      else return n;
      return Number.NaN;
    },
  };
}

const percentRule = (label: string) => ({
  missing: `Enter the ${label} as a percentage from 0 to 100`,
  invalid: `Enter the ${label} as a number from 0 to 100, like 25 or 12.5`,
  range: `The ${label} must be from 0% to 100%`,
  min: 0,
  max: 100,
  percent: true,
});

export type ModelDetails = { title: string; period: string; discountRate: number; discountRateSource: string };

export function readModelForm(form: Form): Outcome<ModelDetails> {
  const { errors, fail } = formProblems();
  const r = reader(form, fail);
  const title = r.words('title', 'Enter a title for the model, like Marsh Green warm spaces 2025 to 2026', 200);
  const period = r.words('period', 'Enter the period the model covers, like April 2025 to March 2026', 200);
  const discountRate = r.number('discountRate', { missing: 'Enter the discount rate as a percentage a year, like 3.5', invalid: 'Enter the discount rate as a number, like 3.5', min: 0, max: 20, range: 'The discount rate must be from 0% to 20% a year', percent: true });
  const discountRateSource = r.words('discountRateSource', 'Enter where the discount rate comes from, like HM Treasury Green Book (2022), 3.5% a year');
  return errors.summary.length ? { ok: false, errors } : { ok: true, value: { title, period, discountRate, discountRateSource } };
}

export type InputValues = { description: string; amount: number; inKind: boolean; source: string };

export function readInputForm(form: Form): Outcome<InputValues> {
  const { errors, fail } = formProblems();
  const r = reader(form, fail);
  const description = r.words('inputDescription', 'Describe the input, like Staff time or Grant from the council', 300);
  const amount = r.number('inputAmount', { missing: 'Enter the amount in pounds, like 12,000', invalid: 'Enter the amount in pounds as a number, like 12,000 or £12,000.50', min: 0, range: 'The amount must be £0 or more' });
  const kind = text(form, 'inputKind');
  if (kind !== 'cash' && kind !== 'in-kind') fail('inputKind', 'Choose whether the input is cash or in kind');
  const source = r.words('inputSource', 'Enter where the amount comes from, like the project budget 2025 to 2026');
  return errors.summary.length ? { ok: false, errors } : { ok: true, value: { description, amount, inKind: kind === 'in-kind', source } };
}

export type OutcomeValues = {
  description: string;
  stakeholder: string;
  outcomeId: string | null;
  quantity: number;
  quantitySource: string;
  proxyId: string | null;
  proxyValue: number;
  proxySource: string;
  durationYears: number;
  deadweight: number;
  deadweightSource: string;
  displacement: number;
  displacementSource: string;
  attribution: number;
  attributionSource: string;
  dropOff: number;
  dropOffSource: string;
};

/** The assumptions an outcome carries, each a percentage with its source, in the order the guide applies them. */
export const assumptions = [
  { key: 'deadweight', label: 'deadweight', title: 'Deadweight', hint: 'How much would have happened anyway' },
  { key: 'displacement', label: 'displacement', title: 'Displacement', hint: 'How much of the outcome displaced other outcomes' },
  { key: 'attribution', label: 'attribution', title: 'Attribution', hint: 'How much of the outcome is owed to others' },
  { key: 'dropOff', label: 'drop-off', title: 'Drop-off', hint: 'How much the outcome falls each year after the first' },
] as const;

/**
 * An outcome as typed. A proxy chosen from the library has its value and source copied in (the model keeps what
 * it was built with); it must be one of the partnership's organisations' proxies. Otherwise both are typed.
 */
/** What an outcome row already holds from the library: kept when the form names the same proxy again. */
export type Kept = { proxyId: string | null; proxyValue: number; proxySource: string };

export async function readOutcomeForm(db: Tx, partnershipId: string, form: Form, kept?: Kept): Promise<Outcome<OutcomeValues>> {
  const { errors, fail } = formProblems();
  const r = reader(form, fail);
  const description = r.words('outcomeDescription', 'Describe the outcome, like Fewer people lonely', 300);
  const stakeholder = r.words('stakeholder', 'Enter who experiences the outcome, like Older residents who came to the lunch club', 300);
  const linked = text(form, 'outcomeId').trim();
  let outcomeId: string | null = null;
  if (linked) {
    const [found] = isUuid(linked)
      ? await db.select({ id: impactOutcomes.id }).from(impactOutcomes).where(and(eq(impactOutcomes.id, linked), eq(impactOutcomes.partnershipId, partnershipId)))
      : [];
    if (found) outcomeId = found.id;
    else fail('outcomeId', 'Choose one of the partnership’s agreed outcomes, or none');
  }
  const quantity = r.number('quantity', { missing: 'Enter how many people (or things) experience the outcome, like 40', invalid: 'Enter the quantity as a number, like 40', min: 0, range: 'The quantity must be 0 or more' });
  const quantitySource = r.words('quantitySource', 'Enter where the quantity comes from, like the lunch club register');
  const chosen = text(form, 'proxyId').trim();
  const typedValue = text(form, 'proxyValue').trim();
  const typedSource = text(form, 'proxySource').trim();
  let proxyId: string | null = null;
  let proxyValue = Number.NaN;
  let proxySource = '';
  if (chosen && kept?.proxyId === chosen && !typedValue && !typedSource) {
    proxyId = kept.proxyId;
    proxyValue = kept.proxyValue;
    proxySource = kept.proxySource;
  } else if (chosen) {
    const proxy = await proxyForPartnership(db, partnershipId, chosen);
    if (!proxy) fail('proxyId', 'Choose a proxy from the libraries of the partnership’s organisations');
    else if (typedValue || typedSource) fail('proxyValue', 'Either choose a proxy from the library or type a value and its source, not both');
    else {
      proxyId = proxy.id;
      proxyValue = proxy.value;
      proxySource = `${proxy.source} (${proxy.organisationName} library: ${proxy.name}, ${proxy.unit}${proxy.priceYear ? `, ${proxy.priceYear} prices` : ''})`;
    }
  } else {
    proxyValue = r.number('proxyValue', { missing: 'Choose a proxy from the library, or enter its value in pounds, like 1,200', invalid: 'Enter the proxy value in pounds as a number, like 1,200 or £1,200.50', min: 0, range: 'The proxy value must be £0 or more' });
    proxySource = r.words('proxySource', 'Enter where the proxy value comes from, like HACT Social Value Bank (2024)');
  }
  const durationYears = r.number('durationYears', { missing: 'Enter how many years the outcome lasts, from 1 to 50', invalid: 'Enter the duration as a whole number of years, like 3', min: 1, max: 50, whole: true, range: 'The duration must be a whole number of years from 1 to 50' });
  const values: Record<string, number | string> = {};
  for (const a of assumptions) {
    values[a.key] = r.number(a.key, percentRule(a.label));
    values[`${a.key}Source`] = r.words(`${a.key}Source`, `Enter where the ${a.label} figure comes from, like a survey of participants or a comparison group`);
  }
  if (errors.summary.length) return { ok: false, errors };
  return {
    ok: true,
    value: {
      description,
      stakeholder,
      outcomeId,
      quantity,
      quantitySource,
      proxyId,
      proxyValue,
      proxySource,
      durationYears,
      deadweight: values.deadweight as number,
      deadweightSource: values.deadweightSource as string,
      displacement: values.displacement as number,
      displacementSource: values.displacementSource as string,
      attribution: values.attribution as number,
      attributionSource: values.attributionSource as string,
      dropOff: values.dropOff as number,
      dropOffSource: values.dropOffSource as string,
    },
  };
}

export function readCostForm(form: Form): Outcome<CostLine> {
  const { errors, fail } = formProblems();
  const r = reader(form, fail);
  const service = r.words('service', 'Name the service, like GP appointments', 300);
  const people = r.number('people', { missing: 'Enter how many people, like 25', invalid: 'Enter the number of people as a whole number, like 25', min: 0, whole: true, range: 'The number of people must be a whole number, 0 or more' });
  const changePerPersonPerYear = r.number('change', { missing: 'Enter how many fewer uses each person makes a year, like 2', invalid: 'Enter the change in use as a number, like 2 or 0.5 (negative if they use it more)' });
  const changeSource = r.words('changeSource', 'Enter how the change was measured or where it comes from');
  const unitCost = r.number('unitCost', { missing: 'Enter the cost of one use in pounds, like 42', invalid: 'Enter the unit cost in pounds as a number, like 42 or £42.50', min: 0, range: 'The unit cost must be £0 or more' });
  const unitCostSource = r.words('unitCostSource', 'Enter where the unit cost comes from, like PSSRU Unit Costs of Health and Social Care 2024');
  const years = r.number('years', { missing: 'Enter the period in years, like 1', invalid: 'Enter the period in years as a number, like 1 or 1.5', min: 0, max: 10, range: 'The period must be more than 0 and at most 10 years' });
  if (errors.summary.length) return { ok: false, errors };
  const line = { service, people, changePerPersonPerYear, changeSource, unitCost, unitCostSource, years };
  // costs-avoided.ts has the last word on what a line may be (years of exactly 0, for one).
  const left = costLineProblems(line, 1);
  if (left.length) {
    fail(years === 0 ? 'years' : 'service', left[0]!);
    return { ok: false, errors };
  }
  return { ok: true, value: line };
}

// ---------------------------------------------------------------------------------------------------------------
// Changing models

export type ModelRow = typeof sroiModels.$inferSelect;

/** A model of this partnership, or null (another partnership's, a bad id). */
export async function modelOf(db: Tx, partnershipId: string, modelId: string): Promise<ModelRow | null> {
  if (!isUuid(modelId)) return null;
  const [row] = await db.select().from(sroiModels).where(and(eq(sroiModels.id, modelId), eq(sroiModels.partnershipId, partnershipId)));
  return row ?? null;
}

export async function createModel(db: Db, partnershipId: string, details: ModelDetails, actor: Actor): Promise<string> {
  return db.transaction(async (tx) => {
    const [row] = await tx.insert(sroiModels).values({ partnershipId, ...details, createdBy: actor.userId }).returning({ id: sroiModels.id });
    await recordAudit(tx, { actor, action: 'sroi-model.created', objectType: 'sroi_model', objectId: row!.id, details: { partnershipId, ...details } });
    return row!.id;
  });
}

/** Saves the model's details only if nobody else has since (`version` is the one the form was drawn from). */
export async function updateModel(db: Db, model: ModelRow, version: number, details: ModelDetails, actor: Actor): Promise<'saved' | 'conflict'> {
  return db.transaction(async (tx) => {
    const updated = await tx
      .update(sroiModels)
      .set({ ...details, version: sql`${sroiModels.version} + 1`, updatedAt: new Date() })
      .where(and(eq(sroiModels.id, model.id), eq(sroiModels.version, version)))
      .returning({ id: sroiModels.id });
    if (!updated.length) return 'conflict';
    await recordAudit(tx, { actor, action: 'sroi-model.updated', objectType: 'sroi_model', objectId: model.id, details: { partnershipId: model.partnershipId, before: { title: model.title, period: model.period, discountRate: model.discountRate, discountRateSource: model.discountRateSource }, after: details } });
    return 'saved';
  });
}

export type RowKind = 'input' | 'outcome' | 'cost';
const tables = { input: sroiInputs, outcome: sroiOutcomes, cost: costAvoidedLines } as const;

const nextPosition = async (tx: Tx, kind: RowKind, modelId: string) => {
  const table = tables[kind];
  const [row] = await tx.select({ n: sql<number>`coalesce(max(${table.position}), -1)::int + 1` }).from(table).where(eq(table.modelId, modelId));
  return Number(row?.n ?? 0);
};

const touch = (tx: Tx, modelId: string) => tx.update(sroiModels).set({ updatedAt: new Date() }).where(eq(sroiModels.id, modelId));

type RowValues = { input: InputValues; outcome: OutcomeValues; cost: CostLine };

export async function addRow<K extends RowKind>(db: Db, model: ModelRow, kind: K, values: RowValues[K], actor: Actor): Promise<string> {
  return db.transaction(async (tx) => {
    const position = await nextPosition(tx, kind, model.id);
    const table = tables[kind];
    const [row] = await tx
      .insert(table)
      .values({ ...(values as RowValues['cost']), modelId: model.id, position } as never)
      .returning({ id: table.id });
    await touch(tx, model.id);
    await recordAudit(tx, { actor, action: `sroi-${kind}.added`, objectType: `sroi_${kind}`, objectId: row!.id, details: { partnershipId: model.partnershipId, modelId: model.id, ...values } });
    return row!.id;
  });
}

/** One row of a model (null when it is not this model's). */
export async function rowOf<K extends RowKind>(db: Tx, model: ModelRow, kind: K, rowId: string): Promise<(typeof tables)[K]['$inferSelect'] | null> {
  if (!isUuid(rowId)) return null;
  const table = tables[kind];
  const [row] = await db
    .select()
    .from(table as typeof sroiInputs)
    .where(and(eq(table.id, rowId), eq(table.modelId, model.id)));
  return (row as (typeof tables)[K]['$inferSelect'] | undefined) ?? null;
}

export async function updateRow<K extends RowKind>(db: Db, model: ModelRow, kind: K, rowId: string, values: RowValues[K], actor: Actor): Promise<boolean> {
  return db.transaction(async (tx) => {
    const table = tables[kind];
    const before = await rowOf(tx, model, kind, rowId);
    if (!before) return false;
    await tx
      .update(table as typeof sroiInputs)
      .set(values as never)
      .where(and(eq(table.id, rowId), eq(table.modelId, model.id)));
    await touch(tx, model.id);
    await recordAudit(tx, { actor, action: `sroi-${kind}.updated`, objectType: `sroi_${kind}`, objectId: rowId, details: { partnershipId: model.partnershipId, modelId: model.id, before, after: values } });
    return true;
  });
}

export async function removeRow(db: Db, model: ModelRow, kind: RowKind, rowId: string, actor: Actor): Promise<boolean> {
  return db.transaction(async (tx) => {
    const before = await rowOf(tx, model, kind, rowId);
    if (!before) return false;
    const table = tables[kind];
    await tx.delete(table as typeof sroiInputs).where(and(eq(table.id, rowId), eq(table.modelId, model.id)));
    await touch(tx, model.id);
    await recordAudit(tx, { actor, action: `sroi-${kind}.removed`, objectType: `sroi_${kind}`, objectId: rowId, details: { partnershipId: model.partnershipId, modelId: model.id, before } });
    return true;
  });
}

/** A stored row as the form shows it, for editing. */
export function formValuesOf(kind: RowKind, row: Record<string, unknown>): Form {
  const s = (v: unknown) => (v === null || v === undefined ? '' : String(v));
  if (kind === 'input') return { inputDescription: s(row.description), inputAmount: s(row.amount), inputKind: row.inKind ? 'in-kind' : 'cash', inputSource: s(row.source) };
  if (kind === 'cost') return { service: s(row.service), people: s(row.people), change: s(row.changePerPersonPerYear), changeSource: s(row.changeSource), unitCost: s(row.unitCost), unitCostSource: s(row.unitCostSource), years: s(row.years) };
  const form: Form = {
    outcomeDescription: s(row.description),
    stakeholder: s(row.stakeholder),
    outcomeId: s(row.outcomeId),
    quantity: s(row.quantity),
    quantitySource: s(row.quantitySource),
    proxyId: s(row.proxyId),
    // A library proxy is chosen again rather than typed, so it is copied afresh from the library.
    proxyValue: row.proxyId ? '' : s(row.proxyValue),
    proxySource: row.proxyId ? '' : s(row.proxySource),
    durationYears: s(row.durationYears),
  };
  for (const a of assumptions) {
    form[a.key] = s(row[a.key]);
    form[`${a.key}Source`] = s(row[`${a.key}Source`]);
  }
  return form;
}

// ---------------------------------------------------------------------------------------------------------------
// Reading models

export type InputView = { id: string; description: string; amount: number; inKind: boolean; source: string };
export type OutcomeView = typeof sroiOutcomes.$inferSelect & { linkedOutcomeTitle: string | null; result: OutcomeResult | null; discounted: number[] };
export type CostView = typeof costAvoidedLines.$inferSelect & CostLineResult;
export type SensitivityView = SensitivityRow & { label: string; ratioLowText: string; ratioHighText: string };
export type BreakEvenView = { outcomeId: string; description: string; proxyValue: number; breakEven: number | null; text: string };

export type ModelReport = {
  model: ModelRow;
  inputs: InputView[];
  outcomes: OutcomeView[];
  /** Why the model cannot be calculated yet, in words; empty when it can. */
  problems: string[];
  /** Null while there are problems. */
  result: SroiResult | null;
  headline: { ratioText: string; paybackText: string } | null;
  valueByYear: { years: number[]; totals: number[]; discountedTotals: number[] };
  sensitivity: SensitivityView[];
  breakEven: BreakEvenView[];
  costs: { lines: CostView[]; total: number };
};

export type ModelSummary = { id: string; title: string; period: string; discountRate: number; discountRateSource: string; problems: string[]; result: SroiResult | null; ratioText: string };

const num = (v: unknown) => Number(v);

/** A ratio in the words of the guide: "£2.43 of social value for every £1 invested". */
export function ratioWords(ratio: number | null, long = true): string {
  if (ratio === null) return 'No ratio: the inputs total £0';
  const amount = `£${ratio.toLocaleString('en-GB', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  return long ? `${amount} of social value for every £1 invested` : `${amount} for every £1`;
}

export function paybackWords(months: number | null): string {
  if (months === null) return 'Never: the first year returns nothing';
  const rounded = Math.round(months * 10) / 10;
  return `${rounded.toLocaleString('en-GB', { maximumFractionDigits: 1 })} ${rounded === 1 ? 'month' : 'months'}`;
}

const figure = (n: number) => n.toLocaleString('en-GB', { maximumFractionDigits: 2 });
const percentText = (n: number) => `${figure(n)}%`;
const yearsText = (n: number) => `${figure(n)} ${n === 1 ? 'year' : 'years'}`;

const sensitivityNames: Record<SensitivityRow['assumption'], { name: string; format: (n: number) => string }> = {
  proxyValue: { name: 'Financial proxy', format: pounds },
  quantity: { name: 'Quantity', format: figure },
  durationYears: { name: 'Duration', format: yearsText },
  deadweight: { name: 'Deadweight', format: percentText },
  displacement: { name: 'Displacement', format: percentText },
  attribution: { name: 'Attribution', format: percentText },
  dropOff: { name: 'Drop-off', format: percentText },
  discountRate: { name: 'Discount rate', format: percentText },
};

/** "Deadweight for ‘Fewer people lonely’: 20% → 10% / 30%". */
export function sensitivityLabel(row: SensitivityRow, outcomeDescription: string | null): string {
  const { name, format } = sensitivityNames[row.assumption];
  const what = outcomeDescription === null ? name : `${name} for ‘${outcomeDescription}’`;
  return `${what}: ${format(row.base)} → ${format(row.low)} / ${format(row.high)}`;
}

export function breakEvenWords(breakEven: number | null, proxyValue: number): string {
  if (breakEven === null) return 'No proxy value changes the ratio: this outcome adds nothing (no quantity, or 100% deadweight, displacement or attribution)';
  if (breakEven <= 0) return `The ratio stays at £1 or more even if this outcome were worth nothing; now ${pounds(proxyValue)}`;
  return `The ratio stays at £1 or more as long as the proxy is at least ${pounds(breakEven)}; now ${pounds(proxyValue)}`;
}

const toSroiModel = (model: ModelRow, inputs: InputView[], outcomes: (typeof sroiOutcomes.$inferSelect)[]): SroiModel => ({
  discountRate: num(model.discountRate),
  inputs: inputs.map((i) => ({ description: i.description, amount: i.amount, inKind: i.inKind, source: i.source })),
  outcomes: outcomes.map((o) => ({
    description: o.description,
    quantity: num(o.quantity),
    proxyValue: num(o.proxyValue),
    proxySource: o.proxySource,
    durationYears: num(o.durationYears),
    deadweight: num(o.deadweight),
    displacement: num(o.displacement),
    attribution: num(o.attribution),
    dropOff: num(o.dropOff),
  })),
});

async function rowsOf(db: Tx, modelIds: string[]) {
  if (!modelIds.length) return { inputs: [], outcomes: [], costs: [] };
  const [inputs, outcomes, costs] = await Promise.all([
    db.select().from(sroiInputs).where(inArray(sroiInputs.modelId, modelIds)).orderBy(asc(sroiInputs.position), asc(sroiInputs.id)),
    db
      .select({ row: sroiOutcomes, linkedOutcomeTitle: impactOutcomes.title })
      .from(sroiOutcomes)
      .leftJoin(impactOutcomes, eq(impactOutcomes.id, sroiOutcomes.outcomeId))
      .where(inArray(sroiOutcomes.modelId, modelIds))
      .orderBy(asc(sroiOutcomes.position), asc(sroiOutcomes.id)),
    db.select().from(costAvoidedLines).where(inArray(costAvoidedLines.modelId, modelIds)).orderBy(asc(costAvoidedLines.position), asc(costAvoidedLines.id)),
  ]);
  return { inputs, outcomes, costs };
}

const inputView = (i: typeof sroiInputs.$inferSelect): InputView => ({ id: i.id, description: i.description, amount: num(i.amount), inKind: i.inKind, source: i.source });

/** A partnership's models with their headline figures, newest first. */
export async function modelsOf(db: Tx, partnershipId: string): Promise<ModelSummary[]> {
  const models = await db.select().from(sroiModels).where(eq(sroiModels.partnershipId, partnershipId)).orderBy(sql`${sroiModels.createdAt} desc`, asc(sroiModels.title));
  const rows = await rowsOf(
    db,
    models.map((m) => m.id),
  );
  return models.map((m) => {
    const sroi = toSroiModel(
      m,
      rows.inputs.filter((i) => i.modelId === m.id).map(inputView),
      rows.outcomes.filter((o) => o.row.modelId === m.id).map((o) => o.row),
    );
    const problems = sroiProblems(sroi);
    const result = problems.length ? null : calculateSroi(sroi);
    return { id: m.id, title: m.title, period: m.period, discountRate: num(m.discountRate), discountRateSource: m.discountRateSource, problems, result, ratioText: result ? ratioWords(result.ratio, false) : 'Not calculated yet' };
  });
}

/** Everything a model's page shows, for the page itself and the impact report. Null when not this partnership's. */
export async function modelReport(db: Tx, partnershipId: string, modelId: string): Promise<ModelReport | null> {
  const model = await modelOf(db, partnershipId, modelId);
  if (!model) return null;
  const rows = await rowsOf(db, [model.id]);
  const inputs = rows.inputs.map(inputView);
  const sroi = toSroiModel(
    model,
    inputs,
    rows.outcomes.map((o) => o.row),
  );
  const problems = sroiProblems(sroi);
  const result = problems.length ? null : calculateSroi(sroi);
  const rate = 1 + num(model.discountRate) / 100;
  const outcomes: OutcomeView[] = rows.outcomes.map(({ row, linkedOutcomeTitle }, i) => {
    const own = result?.outcomes[i] ?? null;
    return {
      ...row,
      quantity: num(row.quantity),
      proxyValue: num(row.proxyValue),
      deadweight: num(row.deadweight),
      displacement: num(row.displacement),
      attribution: num(row.attribution),
      dropOff: num(row.dropOff),
      linkedOutcomeTitle,
      result: own,
      discounted: own ? own.yearly.map((v, y) => v / rate ** (y + 1)) : [],
    };
  });
  const longest = Math.max(0, ...outcomes.map((o) => o.result?.yearly.length ?? 0));
  const years = Array.from({ length: longest }, (_, i) => i + 1);
  const sumYear = (pick: (o: OutcomeView) => number[]) => years.map((_, y) => outcomes.reduce((sum, o) => sum + (pick(o)[y] ?? 0), 0));
  const costLines = rows.costs.map((c) => ({ ...c, people: num(c.people), changePerPersonPerYear: num(c.changePerPersonPerYear), unitCost: num(c.unitCost), years: num(c.years) }));
  const costs = costsAvoided(costLines);
  return {
    model: { ...model, discountRate: num(model.discountRate) },
    inputs,
    outcomes,
    problems,
    result,
    headline: result ? { ratioText: ratioWords(result.ratio), paybackText: paybackWords(result.paybackMonths) } : null,
    valueByYear: { years, totals: sumYear((o) => o.result?.yearly ?? []), discountedTotals: sumYear((o) => o.discounted) },
    sensitivity: result
      ? sensitivity(sroi).map((row) => ({
          ...row,
          label: sensitivityLabel(row, row.outcomeIndex === null ? null : outcomes[row.outcomeIndex]!.description),
          ratioLowText: ratioWords(row.ratioLow, false),
          ratioHighText: ratioWords(row.ratioHigh, false),
        }))
      : [],
    breakEven: result
      ? outcomes.map((o, i) => {
          const value = breakEvenProxy(sroi, i);
          return { outcomeId: o.id, description: o.description, proxyValue: o.proxyValue, breakEven: value, text: breakEvenWords(value, o.proxyValue) };
        })
      : [],
    costs: { lines: costLines.map((c, i) => ({ ...c, ...costs.lines[i]! })), total: costs.total },
  };
}

/** The partnership's agreed outcomes, for linking a valued outcome to one. */
export async function agreedOutcomes(db: Tx, partnershipId: string): Promise<{ id: string; title: string }[]> {
  return db.select({ id: impactOutcomes.id, title: impactOutcomes.title }).from(impactOutcomes).where(eq(impactOutcomes.partnershipId, partnershipId)).orderBy(asc(impactOutcomes.position), asc(impactOutcomes.title));
}

export const newModelDefaults = { discountRate: String(greenBookDiscountRate), discountRateSource: defaultDiscountRateSource };

// ---------------------------------------------------------------------------------------------------------------
// The model as a spreadsheet

const csvNumber = (n: number | null) => (n === null || !Number.isFinite(n) ? '' : String(Math.round(n * 10_000) / 10_000));

/** Every figure of the model, one a row, with its source: section, item, figure, value, source. */
export function modelCsvRows(report: ModelReport): string[][] {
  const { model, result } = report;
  const rows: string[][] = [
    ['Model', model.title, 'Period', model.period, ''],
    ['Model', model.title, 'Discount rate (% a year)', csvNumber(model.discountRate), model.discountRateSource],
  ];
  for (const i of report.inputs) rows.push(['Input', i.description, i.inKind ? 'Amount in kind (£)' : 'Amount in cash (£)', csvNumber(i.amount), i.source]);
  for (const o of report.outcomes) {
    const line = (name: string, value: string, source = '') => rows.push(['Outcome', o.description, name, value, source]);
    line('Stakeholder', o.stakeholder);
    line('Agreed outcome', o.linkedOutcomeTitle ?? '');
    line('Quantity', csvNumber(o.quantity), o.quantitySource);
    line('Financial proxy (£ a year)', csvNumber(o.proxyValue), o.proxySource);
    line('Duration (years)', csvNumber(o.durationYears));
    for (const a of assumptions) line(`${a.title} (%)`, csvNumber(o[a.key]), o[`${a.key}Source`]);
    if (o.result) {
      o.result.yearly.forEach((v, y) => line(`Value in year ${y + 1} (£)`, csvNumber(v)));
      o.discounted.forEach((v, y) => line(`Discounted value in year ${y + 1} (£)`, csvNumber(v)));
      line('Present value (£)', csvNumber(o.result.presentValue));
    }
  }
  if (result) {
    rows.push(['Result', '', 'Total inputs (£)', csvNumber(result.totalInputs), '']);
    rows.push(['Result', '', 'Total present value (£)', csvNumber(result.presentValue), '']);
    rows.push(['Result', '', 'Net present value (£)', csvNumber(result.netPresentValue), '']);
    rows.push(['Result', '', 'SROI ratio (£ for every £1)', csvNumber(result.ratio), '']);
    rows.push(['Result', '', 'Payback period (months)', csvNumber(result.paybackMonths), '']);
  } else for (const p of report.problems) rows.push(['Not calculated', '', 'Problem', p, '']);
  for (const s of report.sensitivity) {
    rows.push(['Sensitivity', s.label, 'Ratio with the lower figure', csvNumber(s.ratioLow), '']);
    rows.push(['Sensitivity', s.label, 'Ratio with the higher figure', csvNumber(s.ratioHigh), '']);
  }
  for (const b of report.breakEven) rows.push(['Break-even proxy', b.description, 'Proxy value at which the ratio is £1 for every £1 (£)', csvNumber(b.breakEven), b.text]);
  for (const c of report.costs.lines) {
    const line = (name: string, value: string, source = '') => rows.push(['Cost avoided', c.service, name, value, source]);
    line('People', csvNumber(c.people));
    line('Fewer uses per person a year', csvNumber(c.changePerPersonPerYear), c.changeSource);
    line('Unit cost (£)', csvNumber(c.unitCost), c.unitCostSource);
    line('Years', csvNumber(c.years));
    line('Uses avoided', csvNumber(c.usesAvoided));
    line('Cost avoided (£)', csvNumber(c.costAvoided));
  }
  rows.push(['Cost avoided', 'Total', 'Cost avoided (£), not added to the social value', csvNumber(report.costs.total), '']);
  return rows;
}

export const modelCsvColumns = ['section', 'item', 'figure', 'value', 'source'];
