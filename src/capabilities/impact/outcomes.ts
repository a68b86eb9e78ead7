import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { recordAudit, type Actor } from '../../platform/audit/audit.ts';
import type { Tx } from '../../platform/db/database.ts';
import { dateOf, linkDateErrors, pastDate, todayInEngland } from '../../platform/web/dates.ts';
import { formProblems, text, type Form } from '../../platform/web/forms.ts';
import type { LinkedChoice, LinkedPoint } from './linked-sources.ts';
import { impactMeasurements, impactMeasures, impactOutcomes, measureCadences, measureDirections, type MeasureCadence, type MeasureDirection, type MeasureSource } from './schema.ts';
import { numberOrNull, type Checked } from './web.ts';

/**
 * The outcomes framework: outcomes a partnership agreed with the community (who agreed them, and when), each
 * measured by values typed in or taken from Patchwork's own data, against a baseline and a target. Progress is
 * said in words as well as drawn, so a board paper or a funder can read it without the chart.
 */


export const measureSourceNames: Record<MeasureSource, string> = {
  indicator: 'An Indices of Deprivation domain',
  'local-indicator': 'Local data',
  voice: 'A community voice result',
  support: 'People supported (counts under the suppression threshold are not shown)',
  'social-value': 'Social value delivered under contracts (each financial year)',
  manual: 'Entered by hand',
};
export const directionNames: Record<MeasureDirection, string> = { increase: 'Should go up', decrease: 'Should go down', maintain: 'Should stay where it is' };
export const cadenceNames: Record<MeasureCadence, string> = { monthly: 'Monthly', quarterly: 'Every 3 months', 'six-monthly': 'Every 6 months', annually: 'Every year' };
const cadenceMonths: Record<MeasureCadence, number> = { monthly: 1, quarterly: 3, 'six-monthly': 6, annually: 12 };

/** A figure as people read it with its unit: "42.5%", "120 people", "5.2 score out of 7". */
export function formatValue(value: number, unit: string): string {
  const n = value.toLocaleString('en-GB', { maximumFractionDigits: 2 });
  if (!unit) return n;
  return unit === '%' ? `${n}%` : `${n} ${unit}`;
}

/** "March 2025": progress is read by the month, not the day. */
export function monthYear(iso: string): string {
  return new Intl.DateTimeFormat('en-GB', { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(`${iso.slice(0, 10)}T12:00:00Z`));
}

export function addMonths(iso: string, months: number): string {
  const [y, m, d] = iso.split('-').map(Number) as [number, number, number];
  const target = new Date(Date.UTC(y, m - 1 + months, 1));
  // The 31st of a shorter month is its last day, not the start of the next.
  const last = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(d, last));
  return target.toISOString().slice(0, 10);
}

// ---- Forms ------------------------------------------------------------------------------------------------------

export type OutcomeInput = { title: string; description: string | null; agreedWith: string; agreedOn: string };

export function readOutcomeForm(form: Form, today = todayInEngland()): Checked<OutcomeInput> {
  const { errors, fail } = formProblems();
  const title = text(form, 'title').trim();
  if (!title) fail('title', 'Enter the outcome, like “Residents feel safer in Marsh Green”');
  else if (title.length > 300) fail('title', 'The outcome must be 300 characters or fewer');
  const description = text(form, 'description').trim();
  if (description.length > 5000) fail('description', 'The description must be 5,000 characters or fewer');
  const agreedWith = text(form, 'agreedWith').trim();
  if (!agreedWith) fail('agreedWith', 'Enter who agreed this outcome with you, like “Residents at the Marsh Green listening event”');
  else if (agreedWith.length > 500) fail('agreedWith', 'Who agreed it must be 500 characters or fewer');
  const agreedOn = pastDate(form, 'agreedOn', 'it was agreed', today, fail);
  if (errors.summary.length || !agreedOn) return { ok: false, errors: linkDateErrors(errors, ['agreedOn']) };
  return { ok: true, input: { title, description: description || null, agreedWith, agreedOn } };
}

export type MeasureInput = {
  name: string;
  unit: string;
  baselineValue: number;
  baselineOn: string;
  targetValue: number;
  targetOn: string;
  direction: MeasureDirection;
  cadence: MeasureCadence;
  sourceNote: string;
};

/** A number as typed: "42", "42.5", "-3", "1,200"; null when it is not one. */

/**
 * The measure form. A linked measure's blank name, unit, direction and source note are taken from what it is
 * linked to, so the form works in one go without scripts.
 */
export function readMeasureForm(form: Form, choice: LinkedChoice | null, today = todayInEngland()): Checked<MeasureInput> {
  const { errors, fail } = formProblems();
  const name = text(form, 'name').trim() || choice?.label || '';
  if (!name) fail('name', 'Enter what the measure is, like “Residents who feel safe after dark”');
  else if (name.length > 300) fail('name', 'The name must be 300 characters or fewer');
  const unit = text(form, 'unit').trim() || choice?.unit || '';
  if (!unit) fail('unit', 'Enter the unit, like “%” or “people”');
  else if (unit.length > 50) fail('unit', 'The unit must be 50 characters or fewer');
  const baselineTyped = text(form, 'baselineValue');
  const baselineValue = numberOrNull(baselineTyped);
  if (!baselineTyped.trim()) fail('baselineValue', 'Enter the baseline: the value when you started');
  else if (baselineValue === null) fail('baselineValue', 'Enter the baseline as a number, like 42.5');
  const baselineOn = pastDate(form, 'baselineOn', 'of the baseline', today, fail);
  const targetTyped = text(form, 'targetValue');
  const targetValue = numberOrNull(targetTyped);
  if (!targetTyped.trim()) fail('targetValue', 'Enter the target: the value you aim for');
  else if (targetValue === null) fail('targetValue', 'Enter the target as a number, like 60');
  const targetOn = dateOf(form, 'targetOn');
  if (targetOn === null) fail('targetOn', 'Enter the date you aim to reach the target by');
  else if (targetOn === 'invalid') fail('targetOn', 'The target date must be a real date, for example 31 3 2027');
  else if (baselineOn && targetOn <= baselineOn) fail('targetOn', 'The target date must be after the baseline date');
  const directionTyped = text(form, 'direction') || choice?.direction || '';
  if (!(measureDirections as readonly string[]).includes(directionTyped)) fail('direction', 'Choose whether the measure should go up, go down or stay where it is');
  const cadenceTyped = text(form, 'cadence');
  if (!(measureCadences as readonly string[]).includes(cadenceTyped)) fail('cadence', 'Choose how often it is measured');
  const sourceNote = text(form, 'sourceNote').trim() || choice?.sourceNote || '';
  if (!sourceNote) fail('sourceNote', 'Enter where the figures come from, like “Marsh Green residents’ survey, run by the partnership”');
  else if (sourceNote.length > 1000) fail('sourceNote', 'Where the figures come from must be 1,000 characters or fewer');
  if (errors.summary.length || baselineValue === null || targetValue === null || !baselineOn || !targetOn || targetOn === 'invalid') return { ok: false, errors: linkDateErrors(errors, ['baselineOn', 'targetOn']) };
  return { ok: true, input: { name, unit, baselineValue, baselineOn, targetValue, targetOn, direction: directionTyped as MeasureDirection, cadence: cadenceTyped as MeasureCadence, sourceNote } };
}

export type MeasurementInput = { measuredOn: string; value: number; source: string; note: string | null };

/** `prefix` tells one measure's form from another's on the outcome page. */
export function readMeasurementForm(form: Form, prefix: string, today = todayInEngland()): Checked<MeasurementInput> {
  const { errors, fail } = formProblems();
  const measuredOn = pastDate(form, `${prefix}measuredOn`, 'it was measured', today, fail);
  const typed = text(form, `${prefix}value`);
  const value = numberOrNull(typed);
  if (!typed.trim()) fail(`${prefix}value`, 'Enter the value');
  else if (value === null) fail(`${prefix}value`, 'Enter the value as a number, like 42.5');
  const source = text(form, `${prefix}source`).trim();
  if (!source) fail(`${prefix}source`, 'Enter where this figure comes from, like “Residents’ survey, June 2025 (212 replies)”');
  else if (source.length > 500) fail(`${prefix}source`, 'Where it comes from must be 500 characters or fewer');
  const note = text(form, `${prefix}note`).trim();
  if (note.length > 2000) fail(`${prefix}note`, 'The note must be 2,000 characters or fewer');
  if (errors.summary.length || !measuredOn || value === null) return { ok: false, errors: linkDateErrors(errors, [`${prefix}measuredOn`]) };
  return { ok: true, input: { measuredOn, value, source, note: note || null } };
}

// ---- Writing ----------------------------------------------------------------------------------------------------

export async function createOutcome(db: Tx, partnershipId: string, input: OutcomeInput, actor: Actor): Promise<string> {
  return db.transaction(async (tx) => {
    const [{ next }] = (await tx.select({ next: sql<number>`coalesce(max(${impactOutcomes.position}), -1)::int + 1` }).from(impactOutcomes).where(eq(impactOutcomes.partnershipId, partnershipId))) as [{ next: number }];
    const [row] = await tx
      .insert(impactOutcomes)
      .values({ partnershipId, ...input, position: Number(next), createdBy: actor.userId })
      .returning({ id: impactOutcomes.id });
    await recordAudit(tx, { actor, action: 'impact.outcome-created', objectType: 'impact_outcome', objectId: row!.id, details: { partnershipId, ...input } });
    return row!.id;
  });
}

/** Saves the outcome unless someone else changed it since `version` was read: then 'conflict'. */
export async function editOutcome(db: Tx, partnershipId: string, outcomeId: string, version: number, input: OutcomeInput, actor: Actor): Promise<'saved' | 'conflict'> {
  return db.transaction(async (tx) => {
    const changed = await tx
      .update(impactOutcomes)
      .set({ ...input, version: sql`${impactOutcomes.version} + 1`, updatedAt: new Date() })
      .where(and(eq(impactOutcomes.id, outcomeId), eq(impactOutcomes.partnershipId, partnershipId), eq(impactOutcomes.version, version)))
      .returning({ id: impactOutcomes.id });
    if (!changed.length) return 'conflict';
    await recordAudit(tx, { actor, action: 'impact.outcome-edited', objectType: 'impact_outcome', objectId: outcomeId, details: { partnershipId, version: version + 1, ...input } });
    return 'saved';
  });
}

export type NewMeasure = MeasureInput & { source: MeasureSource; sourceRef: Record<string, string> };

export async function createMeasure(db: Tx, partnershipId: string, outcomeId: string, input: NewMeasure, actor: Actor): Promise<string> {
  return db.transaction(async (tx) => {
    const [row] = await tx.insert(impactMeasures).values({ outcomeId, ...input }).returning({ id: impactMeasures.id });
    await recordAudit(tx, { actor, action: 'impact.measure-created', objectType: 'impact_measure', objectId: row!.id, details: { partnershipId, outcomeId, ...input } });
    return row!.id;
  });
}

export async function editMeasure(db: Tx, partnershipId: string, measureId: string, input: MeasureInput, actor: Actor): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.update(impactMeasures).set({ ...input, updatedAt: new Date() }).where(eq(impactMeasures.id, measureId));
    await recordAudit(tx, { actor, action: 'impact.measure-edited', objectType: 'impact_measure', objectId: measureId, details: { partnershipId, ...input } });
  });
}

export async function addMeasurement(db: Tx, partnershipId: string, measureId: string, input: MeasurementInput, actor: Actor): Promise<string> {
  return db.transaction(async (tx) => {
    const [row] = await tx.insert(impactMeasurements).values({ measureId, ...input, recordedBy: actor.userId }).returning({ id: impactMeasurements.id });
    await recordAudit(tx, { actor, action: 'impact.measurement-added', objectType: 'impact_measure', objectId: measureId, details: { partnershipId, measurementId: row!.id, ...input } });
    return row!.id;
  });
}

/** False when there is no such measurement of this measure. */
export async function deleteMeasurement(db: Tx, partnershipId: string, measureId: string, measurementId: string, actor: Actor): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [gone] = await tx.delete(impactMeasurements).where(and(eq(impactMeasurements.id, measurementId), eq(impactMeasurements.measureId, measureId))).returning();
    if (!gone) return false;
    await recordAudit(tx, { actor, action: 'impact.measurement-deleted', objectType: 'impact_measure', objectId: measureId, details: { partnershipId, measurementId, measuredOn: gone.measuredOn, value: gone.value, source: gone.source } });
    return true;
  });
}

/**
 * Points from Patchwork's data not already stored (the same date and value), each with the source it came with.
 * A value that was revised upstream is added beside the old one rather than replacing it, so nothing shown in an
 * earlier report silently changes; an editor can delete the old one.
 */
export async function storeLinkedPoints(db: Tx, partnershipId: string, measureId: string, points: LinkedPoint[], actor: Actor): Promise<number> {
  return db.transaction(async (tx) => {
    const have = await tx.select({ measuredOn: impactMeasurements.measuredOn, value: impactMeasurements.value }).from(impactMeasurements).where(eq(impactMeasurements.measureId, measureId));
    const seen = new Set(have.map((h) => `${h.measuredOn}|${h.value}`));
    const fresh: LinkedPoint[] = [];
    for (const p of points) {
      const key = `${p.measuredOn}|${p.value}`;
      if (seen.has(key) || !Number.isFinite(p.value)) continue;
      seen.add(key);
      fresh.push(p);
    }
    if (fresh.length) await tx.insert(impactMeasurements).values(fresh.map((p) => ({ measureId, measuredOn: p.measuredOn, value: p.value, source: p.source, recordedBy: actor.userId })));
    await recordAudit(tx, { actor, action: 'impact.measure-refreshed', objectType: 'impact_measure', objectId: measureId, details: { partnershipId, offered: points.length, added: fresh.length } });
    return fresh.length;
  });
}

// ---- Reading ----------------------------------------------------------------------------------------------------

export type OutcomeRow = typeof impactOutcomes.$inferSelect;
export type MeasureRow = typeof impactMeasures.$inferSelect;

/** The outcome, when it is this partnership's: routes answer 404 for anyone else's. */
export async function outcomeOf(db: Tx, partnershipId: string, outcomeId: string): Promise<OutcomeRow | null> {
  const [row] = await db.select().from(impactOutcomes).where(and(eq(impactOutcomes.id, outcomeId), eq(impactOutcomes.partnershipId, partnershipId)));
  return row ?? null;
}

export async function measureOf(db: Tx, outcomeId: string, measureId: string): Promise<MeasureRow | null> {
  const [row] = await db.select().from(impactMeasures).where(and(eq(impactMeasures.id, measureId), eq(impactMeasures.outcomeId, outcomeId)));
  return row ?? null;
}

export type MeasurementView = { id: string; measuredOn: string; value: number; display: string; source: string; note: string | null };

/** Whether the latest value has moved the way the partnership wants since the baseline. */
export type Movement = 'right-way' | 'wrong-way' | 'no-change' | 'no-data';

export type MeasureProgress = {
  id: string;
  name: string;
  source: MeasureSource;
  sourceRef: Record<string, string>;
  unit: string;
  baseline: { value: number; on: string; display: string } | null;
  target: { value: number; on: string; display: string } | null;
  direction: MeasureDirection;
  cadence: MeasureCadence;
  /** Where the figures come from, in words. */
  sourceNote: string;
  /** Oldest first. */
  measurements: MeasurementView[];
  latest: MeasurementView | null;
  movement: Movement;
  /** True when the target is met, or the latest value is at least as far along as a straight line from baseline to target; null with no values. */
  onTrack: boolean | null;
  /** "Up from 42% (baseline, March 2025) to 51% (June 2025); target 60% by March 2027." */
  summary: string;
  /** The summary, then whether that is the right way and on track, in plain English. */
  sentence: string;
  nextDue: string;
  overdue: boolean;
};

export type OutcomeProgress = {
  id: string;
  title: string;
  description: string | null;
  agreedWith: string;
  agreedOn: string;
  version: number;
  measures: MeasureProgress[];
};

const tolerance = (reference: number) => Math.max(Math.abs(reference) * 0.05, 1e-9);

/** Pure: the progress of one measure from its stored row and measurements, as of `today`. */
export function measureProgress(m: MeasureRow, rows: { id: string; measuredOn: string; value: number; source: string; note: string | null }[], today = todayInEngland()): MeasureProgress {
  const measurements = [...rows].sort((a, b) => a.measuredOn.localeCompare(b.measuredOn)).map((r) => ({ ...r, display: formatValue(r.value, m.unit) }));
  const latest = measurements.at(-1) ?? null;
  const baseline = m.baselineValue !== null && m.baselineOn ? { value: m.baselineValue, on: m.baselineOn, display: formatValue(m.baselineValue, m.unit) } : null;
  const target = m.targetValue !== null && m.targetOn ? { value: m.targetValue, on: m.targetOn, display: formatValue(m.targetValue, m.unit) } : null;
  const targetText = target ? `target ${target.display} by ${monthYear(target.on)}` : 'no target set';

  let movement: Movement = 'no-data';
  let onTrack: boolean | null = null;
  let summary: string;
  if (!latest) summary = baseline ? `No measurements yet since the baseline of ${baseline.display} (${monthYear(baseline.on)}); ${targetText}.` : `No measurements yet; ${targetText}.`;
  else if (!baseline) summary = `Latest ${latest.display} (${monthYear(latest.measuredOn)}); ${targetText}.`;
  else {
    const change = latest.value - baseline.value;
    const same = Math.abs(change) < 1e-9;
    const verb = same ? 'Unchanged at' : change > 0 ? 'Up from' : 'Down from';
    summary = same
      ? `Unchanged at ${latest.display} since the baseline (${monthYear(baseline.on)}); latest figure ${monthYear(latest.measuredOn)}; ${targetText}.`
      : `${verb} ${baseline.display} (baseline, ${monthYear(baseline.on)}) to ${latest.display} (${monthYear(latest.measuredOn)}); ${targetText}.`;
    if (m.direction === 'maintain') movement = Math.abs(change) <= tolerance(baseline.value) ? 'no-change' : 'wrong-way';
    else if (same) movement = 'no-change';
    else movement = (change > 0) === (m.direction === 'increase') ? 'right-way' : 'wrong-way';
  }
  if (latest) {
    if (m.direction === 'maintain') {
      const reference = target?.value ?? baseline?.value ?? latest.value;
      onTrack = Math.abs(latest.value - reference) <= tolerance(reference);
    } else if (target) {
      const sign = m.direction === 'increase' ? 1 : -1;
      const met = sign * (latest.value - target.value) >= 0;
      if (met) onTrack = true;
      else if (baseline && target.on > baseline.on && target.value !== baseline.value) {
        // Against a straight line from baseline to target: as far along as the time gone by.
        const span = Date.parse(target.on) - Date.parse(baseline.on);
        const elapsed = Math.min(1, Math.max(0, (Date.parse(latest.measuredOn) - Date.parse(baseline.on)) / span));
        const done = (latest.value - baseline.value) / (target.value - baseline.value);
        onTrack = done >= elapsed - 1e-9 && (latest.measuredOn < target.on || met);
      } else onTrack = false;
    }
  }
  const verdict = (() => {
    if (!latest) return '';
    const metTarget = target && m.direction !== 'maintain' && (m.direction === 'increase' ? latest.value >= target.value : latest.value <= target.value);
    if (metTarget) return 'Target reached.';
    if (m.direction === 'maintain') return onTrack ? 'Holding steady, as intended.' : 'It has moved away from where the partnership wants it to stay.';
    if (movement === 'right-way') return onTrack ? 'Moving the right way and on track to reach the target.' : target ? 'Moving the right way, but not fast enough to reach the target on time.' : 'Moving the right way.';
    if (movement === 'wrong-way') return 'Moving the wrong way.';
    if (movement === 'no-change') return 'No change since the baseline.';
    return '';
  })();
  const lastOn = latest?.measuredOn ?? baseline?.on ?? todayInEngland();
  const nextDue = addMonths(lastOn, cadenceMonths[m.cadence]);
  return {
    id: m.id,
    name: m.name,
    source: m.source,
    sourceRef: m.sourceRef,
    unit: m.unit,
    baseline,
    target,
    direction: m.direction,
    cadence: m.cadence,
    sourceNote: m.sourceNote,
    measurements,
    latest,
    movement,
    onTrack,
    summary,
    sentence: verdict ? `${summary} ${verdict}` : summary,
    nextDue,
    overdue: nextDue < today,
  };
}

/**
 * Every outcome of the partnership in its agreed order, with each measure's baseline, target, measurements (by
 * date), latest value, progress in words and the source of each figure: the impact report uses this too.
 */
export async function outcomeProgress(db: Tx, partnershipId: string, onlyOutcomeId?: string): Promise<OutcomeProgress[]> {
  const outcomes = await db
    .select()
    .from(impactOutcomes)
    .where(onlyOutcomeId ? and(eq(impactOutcomes.partnershipId, partnershipId), eq(impactOutcomes.id, onlyOutcomeId)) : eq(impactOutcomes.partnershipId, partnershipId))
    .orderBy(asc(impactOutcomes.position), asc(impactOutcomes.createdAt));
  if (!outcomes.length) return [];
  const measures = await db
    .select()
    .from(impactMeasures)
    .where(inArray(impactMeasures.outcomeId, outcomes.map((o) => o.id)))
    .orderBy(asc(impactMeasures.createdAt), asc(impactMeasures.name));
  const values = measures.length
    ? await db
        .select({ id: impactMeasurements.id, measureId: impactMeasurements.measureId, measuredOn: impactMeasurements.measuredOn, value: impactMeasurements.value, source: impactMeasurements.source, note: impactMeasurements.note })
        .from(impactMeasurements)
        .where(inArray(impactMeasurements.measureId, measures.map((m) => m.id)))
        .orderBy(asc(impactMeasurements.measuredOn), asc(impactMeasurements.createdAt))
    : [];
  const today = todayInEngland();
  return outcomes.map((o) => ({
    id: o.id,
    title: o.title,
    description: o.description,
    agreedWith: o.agreedWith,
    agreedOn: o.agreedOn,
    version: o.version,
    measures: measures.filter((m) => m.outcomeId === o.id).map((m) => measureProgress(m, values.filter((v) => v.measureId === m.id), today)),
  }));
}
