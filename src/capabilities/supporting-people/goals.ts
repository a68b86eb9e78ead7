import { randomUUID } from 'node:crypto';
import { and, asc, desc, eq, inArray } from 'drizzle-orm';
import type { DataKey } from '../../platform/crypto/envelope.ts';
import type { Tx } from '../../platform/db/database.ts';
import { formProblems, text, type Form, type FormErrors } from '../../platform/web/forms.ts';
import { linkDateErrors, pastDate } from '../../platform/web/dates.ts';
import { seal } from './people.ts';
import { goalStatuses, supportGoalProgress, supportGoals, type GoalStatus } from './schema.ts';

/**
 * "What matters to me": goals in the person's own words, how far along they feel they are (1 not started, 10
 * there), and whether the goal is still theirs. The words and progress notes are encrypted; the status, dates and
 * scores are plain because aggregates count them.
 */

export const goalMaxLength = 1_000;
export const progressNoteMaxLength = 2_000;

export const goalStatusNames: Record<GoalStatus, string> = { active: 'Working on it', achieved: 'Achieved', changed: 'Changed to something else', stopped: 'Stopped' };
export const goalStatusTagClass: Record<GoalStatus, string> = { active: 'govuk-tag--blue', achieved: 'govuk-tag--green', changed: 'govuk-tag--grey', stopped: 'govuk-tag--grey' };

type Checked<T> = { ok: true; input: T } | { ok: false; errors: FormErrors };

export type GoalInput = { goal: string; setOn: string };

export function readGoalForm(form: Form, today: string): Checked<GoalInput> {
  const { errors, fail } = formProblems();
  const goal = text(form, 'goal').trim();
  if (!goal) fail('goal', 'Enter what matters to them, in their words');
  else if (goal.length > goalMaxLength) fail('goal', `What matters to them must be ${goalMaxLength.toLocaleString('en-GB')} characters or fewer`);
  const setOn = pastDate(form, 'setOn', 'it was set', today, fail);
  if (errors.summary.length || !setOn) return { ok: false, errors: linkDateErrors(errors, ['setOn']) };
  return { ok: true, input: { goal, setOn } };
}

export type ProgressInput = { score: number; recordedOn: string; note: string | null };

export function readProgressForm(form: Form, today: string): Checked<ProgressInput> {
  const { errors, fail } = formProblems();
  const typed = text(form, 'score').trim();
  const score = Number(typed);
  if (!typed) fail('score', 'Choose how far along they feel they are, from 1 to 10');
  else if (!/^\d{1,2}$/.test(typed) || score < 1 || score > 10) fail('score', 'Progress must be a whole number from 1 to 10');
  const recordedOn = pastDate(form, 'recordedOn', 'of the progress', today, fail);
  const note = text(form, 'note').trim();
  if (note.length > progressNoteMaxLength) fail('note', `The note must be ${progressNoteMaxLength.toLocaleString('en-GB')} characters or fewer`);
  if (errors.summary.length || !recordedOn) return { ok: false, errors: linkDateErrors(errors, ['recordedOn']) };
  return { ok: true, input: { score, recordedOn, note: note || null } };
}

export type StatusInput = { status: GoalStatus; statusOn: string };

export function readStatusForm(form: Form, today: string): Checked<StatusInput> {
  const { errors, fail } = formProblems();
  const status = text(form, 'status');
  if (!(goalStatuses as readonly string[]).includes(status)) fail('status', 'Choose where the goal is now');
  const statusOn = pastDate(form, 'statusOn', 'of the change', today, fail);
  if (errors.summary.length || !statusOn) return { ok: false, errors: linkDateErrors(errors, ['statusOn']) };
  return { ok: true, input: { status: status as GoalStatus, statusOn } };
}

// ---- Writing ----------------------------------------------------------------------------------------------------

export async function insertGoal(tx: Tx, dataKey: DataKey, personId: string, input: GoalInput): Promise<string> {
  const id = randomUUID();
  await tx.insert(supportGoals).values({ id, personId, setOn: input.setOn, goalEnc: dataKey.encrypt(input.goal, seal('support_goals', id, 'goal')), status: 'active', statusOn: input.setOn });
  return id;
}

/** The goal, when it is this person's: routes answer 404 for anyone else's. */
export async function goalOf(tx: Tx, dataKey: DataKey, personId: string, goalId: string): Promise<{ id: string; goal: string; status: GoalStatus; setOn: string } | null> {
  const [row] = await tx.select().from(supportGoals).where(and(eq(supportGoals.id, goalId), eq(supportGoals.personId, personId)));
  return row ? { id: row.id, status: row.status, setOn: row.setOn, goal: dataKey.decrypt(row.goalEnc, seal('support_goals', row.id, 'goal')) } : null;
}

export async function insertProgress(tx: Tx, dataKey: DataKey, goalId: string, input: ProgressInput): Promise<string> {
  const id = randomUUID();
  await tx.insert(supportGoalProgress).values({ id, goalId, recordedOn: input.recordedOn, score: input.score, noteEnc: dataKey.encrypt(input.note, seal('support_goal_progress', id, 'note')) });
  await tx.update(supportGoals).set({ updatedAt: new Date() }).where(eq(supportGoals.id, goalId));
  return id;
}

export async function setGoalStatus(tx: Tx, goalId: string, input: StatusInput): Promise<void> {
  await tx.update(supportGoals).set({ status: input.status, statusOn: input.statusOn, updatedAt: new Date() }).where(eq(supportGoals.id, goalId));
}

// ---- Reading ----------------------------------------------------------------------------------------------------

export type ProgressRow = { id: string; recordedOn: string; score: number; note: string | null };
export type GoalRow = { id: string; goal: string; setOn: string; status: GoalStatus; statusOn: string | null; progress: ProgressRow[] };

/** A person's goals, active ones first then newest, each with its progress newest first. */
export async function goalsOf(tx: Tx, dataKey: DataKey, personId: string): Promise<GoalRow[]> {
  const goals = await tx.select().from(supportGoals).where(eq(supportGoals.personId, personId)).orderBy(desc(supportGoals.setOn), desc(supportGoals.createdAt));
  const progress = goals.length
    ? await tx
        .select()
        .from(supportGoalProgress)
        .where(
          inArray(
            supportGoalProgress.goalId,
            goals.map((g) => g.id),
          ),
        )
        .orderBy(desc(supportGoalProgress.recordedOn), desc(supportGoalProgress.createdAt), asc(supportGoalProgress.id))
    : [];
  const rows = goals.map((g) => ({
    id: g.id,
    setOn: g.setOn,
    status: g.status,
    statusOn: g.statusOn,
    goal: dataKey.decrypt(g.goalEnc, seal('support_goals', g.id, 'goal')),
    progress: progress.filter((p) => p.goalId === g.id).map((p) => ({ id: p.id, recordedOn: p.recordedOn, score: p.score, note: dataKey.decrypt(p.noteEnc, seal('support_goal_progress', p.id, 'note')) })),
  }));
  return [...rows.filter((g) => g.status === 'active'), ...rows.filter((g) => g.status !== 'active')];
}
