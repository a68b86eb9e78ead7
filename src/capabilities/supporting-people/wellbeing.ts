import { randomUUID } from 'node:crypto';
import { asc, eq } from 'drizzle-orm';
import { recordAudit, type Actor } from '../../platform/audit/audit.ts';
import type { Db, Tx } from '../../platform/db/database.ts';
import { formProblems, text, type Form, type FormErrors } from '../../platform/web/forms.ts';
import { dateOf } from '../../platform/web/dates.ts';
import { supportWellbeing, wellbeingOccasions, type WellbeingOccasion } from './schema.ts';
import { scoreSwemwbs, swemwbsStatements } from './swemwbs.ts';

/**
 * Wellbeing measures: the ONS personal wellbeing questions (ONS4) and, optionally, SWEMWBS. Scores are kept in
 * plain numbers (they name no one) so aggregates can use them; only people with access to the record see them
 * against a person.
 */

export type Ons4Key = 'lifeSatisfaction' | 'worthwhile' | 'happiness' | 'anxiety';

/** The four questions in the ONS's own words; for anxiety a lower score is better. */
export const ons4Questions: readonly { key: Ons4Key; name: string; question: string; lowerIsBetter: boolean }[] = [
  { key: 'lifeSatisfaction', name: 'Life satisfaction', question: 'Overall, how satisfied are you with your life nowadays?', lowerIsBetter: false },
  { key: 'worthwhile', name: 'Worthwhile', question: 'Overall, to what extent do you feel that the things you do in your life are worthwhile?', lowerIsBetter: false },
  { key: 'happiness', name: 'Happiness', question: 'Overall, how happy did you feel yesterday?', lowerIsBetter: false },
  { key: 'anxiety', name: 'Anxiety', question: 'On a scale where 0 is ‘not at all anxious’ and 10 is ‘completely anxious’, overall, how anxious did you feel yesterday?', lowerIsBetter: true },
];

export const occasionNames: Record<WellbeingOccasion, string> = { start: 'Start', 'follow-up': 'Follow-up', end: 'End' };

export const swemwbsMetricName = 'SWEMWBS wellbeing (metric score)';

export type NewWellbeing = {
  measuredOn: string;
  occasion: WellbeingOccasion;
  scores: Record<Ons4Key, number | null>;
  swemwbs: { items: number[]; raw: number; metric: number } | null;
};

export const swemwbsField = (i: number) => `swemwbs${i + 1}`;

/** Reads the form; every problem is named against its field, and nothing is kept unless all is well. */
export function readWellbeingForm(form: Form, today: string): { ok: true; value: NewWellbeing } | { ok: false; errors: FormErrors } {
  const { errors, fail } = formProblems();
  const measuredOn = dateOf(form, 'measuredOn');
  if (measuredOn === null) fail('measuredOn', 'Enter the date the measure was taken');
  else if (measuredOn === 'invalid') fail('measuredOn', 'The date the measure was taken must be a real date, like 14 3 2026');
  else if (measuredOn > today) fail('measuredOn', 'The date the measure was taken must be today or in the past');
  const occasion = text(form, 'occasion');
  if (!(wellbeingOccasions as readonly string[]).includes(occasion)) fail('occasion', 'Select whether this is the start, a follow-up or the end');

  const scores = {} as Record<Ons4Key, number | null>;
  for (const q of ons4Questions) {
    const typed = text(form, q.key).trim();
    scores[q.key] = null;
    if (!typed) continue;
    if (!/^\d{1,2}$/.test(typed) || Number(typed) > 10) fail(q.key, `${q.name} must be a whole number from 0 to 10`);
    else scores[q.key] = Number(typed);
  }

  const typedItems = swemwbsStatements.map((_, i) => text(form, swemwbsField(i)).trim());
  const answered = typedItems.filter(Boolean).length;
  let swemwbs: NewWellbeing['swemwbs'] = null;
  if (answered > 0 && answered < swemwbsStatements.length) {
    fail(swemwbsField(typedItems.findIndex((t) => !t)), `Answer all 7 SWEMWBS statements, or none of them (${answered} of 7 answered)`);
  } else if (answered) {
    const items = typedItems.map(Number);
    const bad = items.findIndex((n, i) => !/^[1-5]$/.test(typedItems[i]!) || !Number.isInteger(n));
    if (bad >= 0) fail(swemwbsField(bad), `Choose an answer from “None of the time” to “All of the time” for statement ${bad + 1}`);
    else swemwbs = { items, ...scoreSwemwbs(items) };
  }
  if (!errors.summary.length && Object.values(scores).every((s) => s === null) && !swemwbs) fail('lifeSatisfaction', 'Answer at least one of the four ONS questions, or all 7 SWEMWBS statements');
  if (errors.summary.length) return { ok: false, errors };
  return { ok: true, value: { measuredOn: measuredOn as string, occasion: occasion as WellbeingOccasion, scores, swemwbs } };
}

/** Records a measure and its audit event (ids only) in the caller's transaction. */
export async function insertWellbeing(tx: Tx, personId: string, organisationId: string | null, value: NewWellbeing, actor: Actor): Promise<string> {
  const id = randomUUID();
  await tx.insert(supportWellbeing).values({
    id,
    personId,
    measuredOn: value.measuredOn,
    occasion: value.occasion,
    ...value.scores,
    swemwbsItems: value.swemwbs ? value.swemwbs.items.join(',') : null,
    swemwbsRaw: value.swemwbs?.raw ?? null,
    swemwbsMetric: value.swemwbs?.metric ?? null,
    recordedBy: actor.userId,
  });
  await recordAudit(tx, { actor, action: 'support.wellbeing.create', objectType: 'support-person', objectId: personId, organisationId, details: { wellbeingId: id } });
  return id;
}

export type Measure = {
  id: string;
  measuredOn: string;
  occasion: WellbeingOccasion;
  lifeSatisfaction: number | null;
  worthwhile: number | null;
  happiness: number | null;
  anxiety: number | null;
  swemwbsRaw: number | null;
  swemwbsMetric: number | null;
};

/** A person's measures, oldest first. */
export async function measuresOf(db: Db | Tx, personId: string): Promise<Measure[]> {
  const rows = await db
    .select({
      id: supportWellbeing.id,
      measuredOn: supportWellbeing.measuredOn,
      occasion: supportWellbeing.occasion,
      lifeSatisfaction: supportWellbeing.lifeSatisfaction,
      worthwhile: supportWellbeing.worthwhile,
      happiness: supportWellbeing.happiness,
      anxiety: supportWellbeing.anxiety,
      swemwbsRaw: supportWellbeing.swemwbsRaw,
      swemwbsMetric: supportWellbeing.swemwbsMetric,
    })
    .from(supportWellbeing)
    .where(eq(supportWellbeing.personId, personId))
    .orderBy(asc(supportWellbeing.measuredOn), asc(supportWellbeing.createdAt));
  return rows.map((r) => ({ ...r, measuredOn: String(r.measuredOn).slice(0, 10), swemwbsMetric: r.swemwbsMetric === null ? null : Number(r.swemwbsMetric) }));
}

/** What a measure is scored on: the four ONS questions and the SWEMWBS metric score. */
export type ScoreKey = Ons4Key | 'swemwbsMetric';
export const scoreKeys: readonly { key: ScoreKey; name: string; lowerIsBetter: boolean }[] = [...ons4Questions.map(({ key, name, lowerIsBetter }) => ({ key, name, lowerIsBetter })), { key: 'swemwbsMetric', name: swemwbsMetricName, lowerIsBetter: false }];

const formatScore = (key: ScoreKey, n: number) => (key === 'swemwbsMetric' ? n.toFixed(2) : String(n));

/** "Anxiety fell from 8 to 4 (better)": the change between two scores, and which way is better. */
export function changeSentence(name: string, key: ScoreKey, from: number, to: number, lowerIsBetter: boolean): string {
  const [a, b] = [formatScore(key, from), formatScore(key, to)];
  if (from === to) return `${name} stayed at ${a} (no change)`;
  const better = lowerIsBetter ? to < from : to > from;
  return `${name} ${to > from ? 'rose' : 'fell'} from ${a} to ${b} (${better ? 'better' : 'worse'})`;
}

/**
 * For each score, the change from the first measure that answered it to the latest that did; nothing for a score
 * answered only once.
 */
export function changesOf(measures: readonly Measure[]): { key: ScoreKey; text: string; from: string; to: string }[] {
  const result: { key: ScoreKey; text: string; from: string; to: string }[] = [];
  for (const s of scoreKeys) {
    const answered = measures.filter((m) => m[s.key] !== null);
    if (answered.length < 2) continue;
    const first = answered[0]!;
    const latest = answered[answered.length - 1]!;
    result.push({ key: s.key, text: changeSentence(s.name, s.key, first[s.key]!, latest[s.key]!, s.lowerIsBetter), from: first.measuredOn, to: latest.measuredOn });
  }
  return result;
}
