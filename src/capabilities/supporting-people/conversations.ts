import { randomUUID } from 'node:crypto';
import { and, asc, desc, eq } from 'drizzle-orm';
import { users } from '../../platform/auth/schema.ts';
import type { DataKey } from '../../platform/crypto/envelope.ts';
import type { Tx } from '../../platform/db/database.ts';
import { formProblems, text, type Form, type FormErrors } from '../../platform/web/forms.ts';
import { seal } from './people.ts';
import { supportConversations, supportNextSteps } from './schema.ts';
import { dateOf, linkDateErrors, pastDate } from '../../platform/web/dates.ts';

/**
 * Conversations with a supported person and the next steps agreed in them. The note and each step are personal,
 * so they are stored only encrypted with the person's data key, each bound to its own row and column.
 */

export const noteMaxLength = 10_000;
export const stepMaxLength = 1_000;
/** Steps agreed in one conversation: enough for what was agreed, few enough for a phone-sized form. */
export const stepsPerConversation = 3;

export { paragraphsOf } from '../../platform/web/paragraphs.ts';

// ---- Recording a conversation -----------------------------------------------------------------------------------

export type ConversationInput = { heldOn: string; note: string; steps: { text: string; dueOn: string | null }[] };

export const stepField = (n: number) => `step${n}`;
export const stepDueField = (n: number) => `step${n}Due`;
const conversationDateFields = ['heldOn', ...Array.from({ length: stepsPerConversation }, (_, i) => stepDueField(i + 1))];

/** The conversation form checked: what to store, or every problem with it. */
export function readConversationForm(form: Form, today: string): { ok: true; input: ConversationInput } | { ok: false; errors: FormErrors } {
  const { errors, fail } = formProblems();
  const heldOn = pastDate(form, 'heldOn', 'of the conversation', today, fail);
  const note = text(form, 'note').trim();
  if (!note) fail('note', 'Enter a note of the conversation');
  else if (note.length > noteMaxLength) fail('note', `The note must be ${noteMaxLength.toLocaleString('en-GB')} characters or fewer`);
  const steps: ConversationInput['steps'] = [];
  for (let n = 1; n <= stepsPerConversation; n++) {
    const step = text(form, stepField(n)).trim();
    const due = dateOf(form, stepDueField(n));
    if (step.length > stepMaxLength) fail(stepField(n), `Next step ${n} must be ${stepMaxLength.toLocaleString('en-GB')} characters or fewer`);
    if (due === 'invalid') fail(stepDueField(n), `The due date of next step ${n} must be a real date, for example 14 3 2026`);
    else if (due && !step) fail(stepField(n), `Enter next step ${n}, or remove its due date`);
    if (step && due !== 'invalid') steps.push({ text: step, dueOn: due });
  }
  if (errors.summary.length || !heldOn) return { ok: false, errors: linkDateErrors(errors, conversationDateFields) };
  return { ok: true, input: { heldOn, note, steps } };
}

/** Writes a conversation and its next steps, in the caller's transaction. */
export async function insertConversation(tx: Tx, dataKey: DataKey, personId: string, input: ConversationInput, recordedBy: string | null): Promise<{ conversationId: string; stepIds: string[] }> {
  const conversationId = randomUUID();
  await tx.insert(supportConversations).values({
    id: conversationId,
    personId,
    heldOn: input.heldOn,
    noteEnc: dataKey.encrypt(input.note, seal('support_conversations', conversationId, 'note')),
    recordedBy,
  });
  const stepIds: string[] = [];
  for (const step of input.steps) {
    const id = randomUUID();
    await tx.insert(supportNextSteps).values({ id, personId, conversationId, stepEnc: dataKey.encrypt(step.text, seal('support_next_steps', id, 'step')), dueOn: step.dueOn });
    stepIds.push(id);
  }
  return { conversationId, stepIds };
}

// ---- Reading them back ------------------------------------------------------------------------------------------

export type ConversationRow = { id: string; heldOn: string; note: string; recordedByName: string | null };

/** A person's conversations, newest first. */
export async function conversationsOf(tx: Tx, dataKey: DataKey, personId: string): Promise<ConversationRow[]> {
  const rows = await tx
    .select({ id: supportConversations.id, heldOn: supportConversations.heldOn, noteEnc: supportConversations.noteEnc, recordedByName: users.name })
    .from(supportConversations)
    .leftJoin(users, eq(users.id, supportConversations.recordedBy))
    .where(eq(supportConversations.personId, personId))
    .orderBy(desc(supportConversations.heldOn), desc(supportConversations.createdAt));
  return rows.map((r) => ({ id: r.id, heldOn: r.heldOn, recordedByName: r.recordedByName, note: dataKey.decrypt(r.noteEnc, seal('support_conversations', r.id, 'note')) }));
}

export type NextStepRow = { id: string; step: string; dueOn: string | null; doneOn: string | null; conversationId: string | null };

/** A person's next steps: open ones by due date (undated last), then done ones, most recently done first. */
export async function nextStepsOf(tx: Tx, dataKey: DataKey, personId: string): Promise<{ open: NextStepRow[]; done: NextStepRow[] }> {
  const rows = await tx.select().from(supportNextSteps).where(eq(supportNextSteps.personId, personId)).orderBy(asc(supportNextSteps.createdAt));
  const steps = rows.map((r) => ({ id: r.id, dueOn: r.dueOn, doneOn: r.doneOn, conversationId: r.conversationId, step: dataKey.decrypt(r.stepEnc, seal('support_next_steps', r.id, 'step')) }));
  const byDue = (a: NextStepRow, b: NextStepRow) => (a.dueOn ?? '9999-12-31').localeCompare(b.dueOn ?? '9999-12-31');
  return {
    open: steps.filter((s) => !s.doneOn).sort(byDue),
    done: steps.filter((s) => s.doneOn).sort((a, b) => b.doneOn!.localeCompare(a.doneOn!)),
  };
}

/** Marks one of the person's next steps done on a date; a step of anyone else is not there. */
export async function markStepDone(tx: Tx, personId: string, stepId: string, on: string): Promise<'done' | 'already' | 'not-found'> {
  const [step] = await tx.select({ doneOn: supportNextSteps.doneOn }).from(supportNextSteps).where(and(eq(supportNextSteps.id, stepId), eq(supportNextSteps.personId, personId)));
  if (!step) return 'not-found';
  if (step.doneOn) return 'already';
  await tx.update(supportNextSteps).set({ doneOn: on }).where(eq(supportNextSteps.id, stepId));
  return 'done';
}
