import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf, recordAudit } from '../../platform/audit/audit.ts';
import { access } from '../../platform/auth/permissions.ts';
import type { Tx } from '../../platform/db/database.ts';
import type { FormErrors } from '../../platform/web/forms.ts';
import { conversationsOf, insertConversation, markStepDone, nextStepsOf, paragraphsOf, readConversationForm, stepDueField, stepField, stepsPerConversation } from './conversations.ts';
import { dateBoxes } from '../../platform/web/dates.ts';
import { goalOf, goalsOf, goalStatusNames, goalStatusTagClass, insertGoal, insertProgress, readGoalForm, readProgressForm, readStatusForm, setGoalStatus, type GoalRow } from './goals.ts';
import { goalStatuses } from './schema.ts';
import { formBody, isUuid, longDate, personOf, personParams, personPath, today, type Form } from './web.ts';

/**
 * A person's conversations, the next steps agreed in them, and their "what matters to me" goals with progress.
 * One page reads it all; each form is a page of its own (easier on a phone) that posts to the part it changes.
 * Only the person's coordinator and their team's leads may change anything: a colleague it is shared with reads.
 */

const stepParams = personParams.extend({ stepId: z.string().max(100) });
const goalParams = personParams.extend({ goalId: z.string().max(100) });

const read = { access: access.supportPerson('read') };
const write = { access: access.supportPerson('write') };

const conversationsPath = (personId: string, rest = '') => personPath(personId, `/conversations${rest}`);
const goalPath = (personId: string, goalId: string, rest = '') => personPath(personId, `/goals/${goalId}${rest}`);
/** How much of a goal's progress the record page shows; the progress page shows it all. */
const historyShown = 5;

/** Every change is audited with ids and counts only: never the note, step or goal itself. */
async function audit(tx: Tx, request: FastifyRequest, action: string, details: Record<string, unknown>) {
  const support = request.support!;
  await recordAudit(tx, { actor: actorOf(request), action, objectType: 'support-person', objectId: support.personId, organisationId: support.organisationId, details });
}

function goalLine(g: GoalRow, personId: string, shown = Infinity) {
  const latest = g.progress[0] ?? null;
  return {
    id: g.id,
    paragraphs: paragraphsOf(g.goal),
    setOn: longDate(g.setOn),
    status: goalStatusNames[g.status],
    statusClass: goalStatusTagClass[g.status],
    statusOn: g.statusOn && g.status !== 'active' ? longDate(g.statusOn) : null,
    latest: latest ? { score: latest.score, date: longDate(latest.recordedOn) } : null,
    history: g.progress.slice(0, shown).map((p) => ({ date: longDate(p.recordedOn), score: p.score, paragraphs: paragraphsOf(p.note) })),
    more: g.progress.length > shown,
    progressHref: goalPath(personId, g.id, '/progress'),
    statusHref: goalPath(personId, g.id, '/status'),
  };
}

export const conversationRoutes: FastifyPluginAsync = async (root) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const db = () => app.database.db;

  // ---- The page: conversations, next steps and goals --------------------------------------------------------------

  app.get('/support/people/:personId/conversations', { config: read, schema: { params: personParams } }, async (request, reply) => {
    const { person, dataKey, record } = await personOf(request, 'conversations');
    const todayIso = today();
    const [conversations, steps, goals] = await Promise.all([conversationsOf(db(), dataKey, person.id), nextStepsOf(db(), dataKey, person.id), goalsOf(db(), dataKey, person.id)]);
    const step = (s: (typeof steps.open)[number]) => ({
      id: s.id,
      paragraphs: paragraphsOf(s.step),
      due: s.dueOn ? longDate(s.dueOn) : null,
      overdue: Boolean(s.dueOn && !s.doneOn && s.dueOn < todayIso),
      done: s.doneOn ? longDate(s.doneOn) : null,
      doneAction: personPath(person.id, `/next-steps/${s.id}/done`),
    });
    return reply.page('supporting-people/views/conversation-list.njk', {
      pageTitle: `Conversations and goals: ${person.name}`,
      record,
      conversations: conversations.map((c) => ({ id: c.id, date: longDate(c.heldOn), who: c.recordedByName ?? 'Someone no longer using Patchwork', paragraphs: paragraphsOf(c.note) })),
      openSteps: steps.open.map(step),
      doneSteps: steps.done.map(step),
      goals: goals.map((g) => goalLine(g, person.id, historyShown)),
      newConversationHref: conversationsPath(person.id, '/new'),
      newGoalHref: personPath(person.id, '/goals/new'),
    });
  });

  // ---- Recording a conversation -------------------------------------------------------------------------------------

  const renderConversationForm = async (request: FastifyRequest, reply: FastifyReply, values: Form, errors?: FormErrors) => {
    const { person, record } = await personOf(request, 'conversations');
    return reply.page(
      'supporting-people/views/conversation-new.njk',
      {
        pageTitle: `Record a conversation: ${person.name}`,
        record,
        values,
        errors,
        steps: Array.from({ length: stepsPerConversation }, (_, i) => ({ number: i + 1, field: stepField(i + 1), dueField: stepDueField(i + 1) })),
        action: conversationsPath(person.id),
        backHref: conversationsPath(person.id),
      },
      errors ? 400 : 200,
    );
  };

  app.get('/support/people/:personId/conversations/new', { config: write, schema: { params: personParams } }, async (request, reply) => renderConversationForm(request, reply, dateBoxes('heldOn', today())));

  app.post('/support/people/:personId/conversations', { config: write, schema: { params: personParams, body: formBody } }, async (request, reply) => {
    const form = request.body as Form;
    const checked = readConversationForm(form, today());
    if (!checked.ok) return renderConversationForm(request, reply, form, checked.errors);
    const { person, dataKey } = await personOf(request, 'conversations');
    await db().transaction(async (tx) => {
      const { conversationId, stepIds } = await insertConversation(tx, dataKey, person.id, checked.input, request.user!.id);
      await audit(tx, request, 'support.conversation.create', { conversationId, nextStepIds: stepIds });
    });
    const steps = checked.input.steps.length;
    return reply.flash(`Conversation recorded${steps ? ` with ${steps} next ${steps === 1 ? 'step' : 'steps'}` : ''}`).redirect(conversationsPath(person.id), 303);
  });

  app.post('/support/people/:personId/next-steps/:stepId/done', { config: write, schema: { params: stepParams, body: formBody } }, async (request, reply) => {
    const { personId, stepId } = request.params;
    if (!isUuid(stepId)) return reply.callNotFound();
    const outcome = await db().transaction(async (tx) => {
      const done = await markStepDone(tx, request.support!.personId, stepId, today());
      if (done === 'done') await audit(tx, request, 'support.next-step.done', { nextStepId: stepId });
      return done;
    });
    if (outcome === 'not-found') return reply.callNotFound();
    return reply.flash(outcome === 'done' ? 'Next step marked as done' : 'That next step was already done').redirect(conversationsPath(personId), 303);
  });

  // ---- Goals: "what matters to me" ----------------------------------------------------------------------------------

  const renderGoalForm = async (request: FastifyRequest, reply: FastifyReply, values: Form, errors?: FormErrors) => {
    const { person, record } = await personOf(request, 'conversations');
    return reply.page(
      'supporting-people/views/goal-new.njk',
      { pageTitle: `Add what matters to them: ${person.name}`, record, values, errors, action: personPath(person.id, '/goals'), backHref: conversationsPath(person.id) },
      errors ? 400 : 200,
    );
  };

  app.get('/support/people/:personId/goals/new', { config: write, schema: { params: personParams } }, async (request, reply) => renderGoalForm(request, reply, dateBoxes('setOn', today())));

  app.post('/support/people/:personId/goals', { config: write, schema: { params: personParams, body: formBody } }, async (request, reply) => {
    const form = request.body as Form;
    const checked = readGoalForm(form, today());
    if (!checked.ok) return renderGoalForm(request, reply, form, checked.errors);
    const { person, dataKey } = await personOf(request, 'conversations');
    await db().transaction(async (tx) => {
      const goalId = await insertGoal(tx, dataKey, person.id, checked.input);
      await audit(tx, request, 'support.goal.create', { goalId });
    });
    return reply.flash('What matters to them has been added').redirect(conversationsPath(person.id), 303);
  });

  /** The goal named in the URL, when it is this person's; null answers 404. */
  const goalOfRequest = async (request: FastifyRequest) => {
    const { person, dataKey, record } = await personOf(request, 'conversations');
    const { goalId } = request.params as z.infer<typeof goalParams>;
    const goal = isUuid(goalId) ? await goalOf(db(), dataKey, person.id, goalId) : null;
    return goal ? { person, dataKey, record, goal } : null;
  };

  const renderProgressForm = async (request: FastifyRequest, reply: FastifyReply, values: Form, errors?: FormErrors) => {
    const found = await goalOfRequest(request);
    if (!found) return reply.callNotFound();
    const { person, dataKey, record, goal } = found;
    const [full] = (await goalsOf(db(), dataKey, person.id)).filter((g) => g.id === goal.id);
    return reply.page(
      'supporting-people/views/goal-progress.njk',
      {
        pageTitle: `Record progress: ${person.name}`,
        record,
        goal: goalLine(full!, person.id),
        values,
        errors,
        scoreItems: Array.from({ length: 10 }, (_, i) => ({ value: String(i + 1), text: String(i + 1), checked: values.score === String(i + 1) })),
        action: goalPath(person.id, goal.id, '/progress'),
        backHref: conversationsPath(person.id),
      },
      errors ? 400 : 200,
    );
  };

  app.get('/support/people/:personId/goals/:goalId/progress', { config: write, schema: { params: goalParams } }, async (request, reply) => renderProgressForm(request, reply, dateBoxes('recordedOn', today())));

  app.post('/support/people/:personId/goals/:goalId/progress', { config: write, schema: { params: goalParams, body: formBody } }, async (request, reply) => {
    const found = await goalOfRequest(request);
    if (!found) return reply.callNotFound();
    const form = request.body as Form;
    const checked = readProgressForm(form, today());
    if (!checked.ok) return renderProgressForm(request, reply, form, checked.errors);
    await db().transaction(async (tx) => {
      const progressId = await insertProgress(tx, found.dataKey, found.goal.id, checked.input);
      await audit(tx, request, 'support.goal.progress', { goalId: found.goal.id, progressId, score: checked.input.score });
    });
    return reply.flash('Progress recorded').redirect(conversationsPath(found.person.id), 303);
  });

  const renderStatusForm = async (request: FastifyRequest, reply: FastifyReply, values: Form, errors?: FormErrors) => {
    const found = await goalOfRequest(request);
    if (!found) return reply.callNotFound();
    const { person, record, goal } = found;
    const chosen = typeof values.status === 'string' ? values.status : goal.status;
    return reply.page(
      'supporting-people/views/goal-status.njk',
      {
        pageTitle: `Change where a goal is: ${person.name}`,
        record,
        goal: { paragraphs: paragraphsOf(goal.goal), status: goalStatusNames[goal.status], setOn: longDate(goal.setOn) },
        values,
        errors,
        statusItems: goalStatuses.map((s) => ({ value: s, text: goalStatusNames[s], checked: s === chosen })),
        action: goalPath(person.id, goal.id, '/status'),
        backHref: conversationsPath(person.id),
      },
      errors ? 400 : 200,
    );
  };

  app.get('/support/people/:personId/goals/:goalId/status', { config: write, schema: { params: goalParams } }, async (request, reply) => renderStatusForm(request, reply, dateBoxes('statusOn', today())));

  app.post('/support/people/:personId/goals/:goalId/status', { config: write, schema: { params: goalParams, body: formBody } }, async (request, reply) => {
    const found = await goalOfRequest(request);
    if (!found) return reply.callNotFound();
    const form = request.body as Form;
    const checked = readStatusForm(form, today());
    if (!checked.ok) return renderStatusForm(request, reply, form, checked.errors);
    await db().transaction(async (tx) => {
      await setGoalStatus(tx, found.goal.id, checked.input);
      await audit(tx, request, 'support.goal.status', { goalId: found.goal.id, status: checked.input.status });
    });
    return reply.flash(`Goal marked as: ${goalStatusNames[checked.input.status].toLowerCase()}`).redirect(conversationsPath(found.person.id), 303);
  });
};
