import { and, asc, eq, inArray } from 'drizzle-orm';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../platform/audit/audit.ts';
import { access, roleAtLeast, viewerOf, visibleTo, type Viewer } from '../../platform/auth/permissions.ts';
import { memberships, organisations, users } from '../../platform/auth/schema.ts';
import { fieldError, formBody, text, type Form, type FormErrors } from '../../platform/web/forms.ts';
import { indicators } from '../indicators/schema.ts';
import { voiceCampaigns, voiceThemes } from '../community-voice/schema.ts';
import { logMailer, type Mailer } from './mailer.ts';
import {
  addEvidence,
  addUpdate,
  createAction,
  createAim,
  createPriority,
  dueSoonDays,
  editAction,
  fromAction,
  fromAim,
  listAims,
  myActions,
  planOf,
  PlanError,
  rollupWords,
  sendDigest,
  statusWords,
  todayInEngland,
  type ActionDetail,
  type ActionInput,
  type Editor,
} from './plan.ts';
import { actionStatuses, evidenceKinds, partnershipOrganisations, priorities } from './schema.ts';

/**
 * The plan pages: a partnership's plan (aims → priorities with their evidence → actions), adding priorities,
 * evidence and actions, updating actions, strategic aims and the golden thread down from each, and each
 * person's own actions with a digest they can send themselves.
 *
 * Access to a partnership's pages is decided by permissions.ts (access.partnership). Whether the visitor may
 * change a particular action — it must belong to one of their organisations — is a rule about the row, kept
 * in plan.ts; these routes only pass on which of the visitor's organisations they may edit for.
 */

const partnershipParams = z.object({ partnershipId: z.string().max(100) });
const priorityParams = z.object({ partnershipId: z.string().max(100), priorityId: z.string().max(100) });
const actionParams = z.object({ partnershipId: z.string().max(100), actionId: z.string().max(100) });

/** A GOV.UK date input's three boxes as an ISO date; '' when all are empty, 'invalid' when they make no date. */
export function dateFrom(form: Form, name: string): string {
  const [day, month, year] = ['day', 'month', 'year'].map((p) => text(form, `${name}-${p}`).trim());
  if (!day && !month && !year) return '';
  if (!/^\d{1,2}$/.test(day!) || !/^\d{1,2}$/.test(month!) || !/^\d{4}$/.test(year!)) return 'invalid';
  return `${year}-${month!.padStart(2, '0')}-${day!.padStart(2, '0')}`;
}

const dateParts = (iso: string | null | undefined) => {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso ?? '');
  return m ? { day: String(Number(m[3])), month: String(Number(m[2])), year: m[1]! } : { day: '', month: '', year: '' };
};

const planPath = (partnershipId: string) => `/partnerships/${partnershipId}/plan`;
const actionPath = (partnershipId: string, actionId: string) => `/partnerships/${partnershipId}/actions/${actionId}`;

/** The visitor's organisations in this partnership in which they may change things (member or above). */
function editorOf(request: FastifyRequest): Editor {
  return { actor: actorOf(request), organisationIds: (request.partnership?.memberOrganisations ?? []).filter((m) => roleAtLeast(m.role, 'member')).map((m) => m.id) };
}

const errorsOf = (error: PlanError): FormErrors => fieldError(error.field === 'form' ? 'title' : error.field, error.message);

const statusItems = (chosen: string) => actionStatuses.map((s) => ({ value: s, text: statusWords[s], checked: s === chosen }));

export const planRoutes: FastifyPluginAsync = async (root) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const db = () => app.database.db;
  // Chosen by configuration once there is more than one; until then messages go to the log.
  const mailer: Mailer = logMailer(app.log);
  const viewer = (request: FastifyRequest): Promise<Viewer> => viewerOf(db(), request.user);

  // ---- The plan --------------------------------------------------------------------------------------------

  app.get('/partnerships/:partnershipId/plan', { config: { access: access.partnership('viewer') }, schema: { params: partnershipParams } }, async (request, reply) => {
    const partnership = request.partnership!;
    const plan = await planOf(db(), partnership.id, todayInEngland(), await viewer(request), app.config.suppressionThreshold);
    const editor = editorOf(request);
    return reply.page('partnerships/views/plan-show.njk', {
      pageTitle: `${partnership.name}: plan`,
      partnership,
      plan,
      rollupWords,
  sendDigest,
      statusWords,
      canEdit: editor.organisationIds.length > 0,
      base: `/partnerships/${partnership.id}`,
    });
  });

  // ---- Priorities --------------------------------------------------------------------------------------------

  const renderPriority = async (request: FastifyRequest, reply: FastifyReply, values: Form, errors?: FormErrors, status?: number) => {
    const partnership = request.partnership!;
    const aims = await listAims(db());
    const chosen = text(values, 'aimId');
    return reply.page(
      'partnerships/views/plan-priority-new.njk',
      {
        pageTitle: `Add a priority: ${partnership.name}`,
        partnership,
        values,
        errors,
        aimItems: [{ value: '', text: 'Not linked to an aim', selected: !chosen }, ...aims.map((a) => ({ value: a.id, text: `${a.title} (${a.ownerName})`, selected: a.id === chosen }))],
        planHref: planPath(partnership.id),
      },
      status ?? (errors ? 400 : 200),
    );
  };

  app.get('/partnerships/:partnershipId/priorities/new', { config: { access: access.partnership('member') }, schema: { params: partnershipParams } }, async (request, reply) => renderPriority(request, reply, {}));

  app.post('/partnerships/:partnershipId/priorities/new', { config: { access: access.partnership('member') }, schema: { params: partnershipParams, body: formBody } }, async (request, reply) => {
    const form = request.body as Form;
    try {
      await createPriority(db(), request.partnership!.id, { title: text(form, 'title'), description: text(form, 'description'), aimId: text(form, 'aimId') }, actorOf(request));
    } catch (error) {
      if (!(error instanceof PlanError)) throw error;
      return renderPriority(request, reply, form, errorsOf(error));
    }
    return reply.flash(`Priority added: ${text(form, 'title').trim()}`).redirect(planPath(request.partnership!.id), 303);
  });

  // ---- Evidence ------------------------------------------------------------------------------------------------

  const kindWords: Record<string, string> = { indicator: 'A figure for an area (an indicator)', 'area-profile': 'An area’s profile', 'voice-theme': 'A theme residents raised', note: 'A note' };

  const renderEvidence = async (request: FastifyRequest, reply: FastifyReply, priorityId: string, values: Form, errors?: FormErrors) => {
    const partnership = request.partnership!;
    const [priority] = /^[0-9a-f-]{36}$/i.test(priorityId) ? await db().select({ id: priorities.id, title: priorities.title }).from(priorities).where(and(eq(priorities.id, priorityId), eq(priorities.partnershipId, partnership.id))) : [];
    if (!priority) return reply.callNotFound();
    const visible = await db()
      .select({ id: indicators.id, label: indicators.label })
      .from(indicators)
      .where(visibleTo(await viewer(request), indicators.sharing, indicators.ownerOrganisationId))
      .orderBy(asc(indicators.label));
    // The listening campaigns and themes of the partnership's organisations: titles and names only.
    const campaigns = await db()
      .select({ id: voiceCampaigns.id, title: voiceCampaigns.title, organisation: organisations.name })
      .from(voiceCampaigns)
      .innerJoin(partnershipOrganisations, and(eq(partnershipOrganisations.organisationId, voiceCampaigns.organisationId), eq(partnershipOrganisations.partnershipId, partnership.id)))
      .innerJoin(organisations, eq(organisations.id, voiceCampaigns.organisationId))
      .orderBy(asc(organisations.name), asc(voiceCampaigns.title));
    const themes = await db()
      .select({ id: voiceThemes.id, name: voiceThemes.name, organisation: organisations.name })
      .from(voiceThemes)
      .innerJoin(partnershipOrganisations, and(eq(partnershipOrganisations.organisationId, voiceThemes.organisationId), eq(partnershipOrganisations.partnershipId, partnership.id)))
      .innerJoin(organisations, eq(organisations.id, voiceThemes.organisationId))
      .orderBy(asc(organisations.name), asc(voiceThemes.name));
    const chosenCampaign = text(values, 'voiceCampaignId');
    const chosenTheme = text(values, 'voiceThemeId');
    const chosenIndicator = text(values, 'indicatorId');
    const kind = text(values, 'kind');
    return reply.page(
      'partnerships/views/plan-evidence.njk',
      {
        pageTitle: `Add evidence: ${priority.title}`,
        partnership,
        priority,
        values,
        errors,
        kindItems: evidenceKinds.map((k) => ({ value: k, text: kindWords[k], checked: k === kind })),
        hasCampaigns: campaigns.length > 0,
        campaignItems: [{ value: '', text: 'No campaign: describe the theme in the note', selected: !chosenCampaign }, ...campaigns.map((c) => ({ value: c.id, text: `${c.title} (${c.organisation})`, selected: c.id === chosenCampaign }))],
        themeItems: [{ value: '', text: 'No theme: the campaign as a whole', selected: !chosenTheme }, ...themes.map((t) => ({ value: t.id, text: `${t.name} (${t.organisation})`, selected: t.id === chosenTheme }))],
        indicatorItems: [{ value: '', text: 'Choose an indicator', selected: !chosenIndicator }, ...visible.map((i) => ({ value: i.id, text: `${i.label} (${i.id})`, selected: i.id === chosenIndicator }))],
        planHref: planPath(partnership.id),
      },
      errors ? 400 : 200,
    );
  };

  app.get('/partnerships/:partnershipId/priorities/:priorityId/evidence', { config: { access: access.partnership('member') }, schema: { params: priorityParams } }, async (request, reply) =>
    renderEvidence(request, reply, request.params.priorityId, {}),
  );

  app.post('/partnerships/:partnershipId/priorities/:priorityId/evidence', { config: { access: access.partnership('member') }, schema: { params: priorityParams, body: formBody } }, async (request, reply) => {
    const form = request.body as Form;
    const partnership = request.partnership!;
    try {
      await addEvidence(db(), partnership.id, request.params.priorityId, { kind: text(form, 'kind'), indicatorId: text(form, 'indicatorId'), areaCode: text(form, 'areaCode'), note: text(form, 'note'), voiceCampaignId: text(form, 'voiceCampaignId'), voiceThemeId: text(form, 'voiceThemeId') }, await viewer(request), actorOf(request));
    } catch (error) {
      if (!(error instanceof PlanError)) throw error;
      if (error.statusCode === 404) return reply.callNotFound();
      return renderEvidence(request, reply, request.params.priorityId, form, fieldError(error.field === 'form' ? 'kind' : error.field, error.message));
    }
    return reply.flash('Evidence added').redirect(planPath(partnership.id), 303);
  });

  // ---- Actions ---------------------------------------------------------------------------------------------------

  const actionInput = (form: Form): ActionInput => ({
    priorityId: text(form, 'priorityId'),
    title: text(form, 'title'),
    description: text(form, 'description'),
    ownerOrganisationId: text(form, 'ownerOrganisationId'),
    leadName: text(form, 'leadName'),
    leadUserId: text(form, 'leadUserId'),
    startOn: dateFrom(form, 'startOn'),
    dueOn: dateFrom(form, 'dueOn'),
    status: text(form, 'status') || 'not-started',
    public: text(form, 'public') === 'yes',
  });

  const valuesOfAction = (a: ActionDetail): Form => {
    const start = dateParts(a.startOn);
    const due = dateParts(a.dueOn);
    return {
      priorityId: a.priorityId,
      title: a.title,
      description: a.description ?? '',
      ownerOrganisationId: a.ownerOrganisationId,
      leadName: a.leadName,
      leadUserId: a.leadUserId ?? '',
      'startOn-day': start.day,
      'startOn-month': start.month,
      'startOn-year': start.year,
      'dueOn-day': due.day,
      'dueOn-month': due.month,
      'dueOn-year': due.year,
      status: a.status,
      public: a.public ? 'yes' : '',
      version: String(a.version),
    };
  };

  const renderActionForm = async (request: FastifyRequest, reply: FastifyReply, mode: { kind: 'new' } | { kind: 'edit'; action: ActionDetail }, values: Form, errors?: FormErrors, status?: number) => {
    const partnership = request.partnership!;
    const prios = await db().select({ id: priorities.id, title: priorities.title }).from(priorities).where(eq(priorities.partnershipId, partnership.id)).orderBy(asc(priorities.position), asc(priorities.createdAt));
    const orgs = await db()
      .select({ id: organisations.id, name: organisations.name })
      .from(partnershipOrganisations)
      .innerJoin(organisations, eq(organisations.id, partnershipOrganisations.organisationId))
      .where(eq(partnershipOrganisations.partnershipId, partnership.id))
      .orderBy(asc(organisations.name));
    const people = orgs.length
      ? await db()
          .select({ id: users.id, name: users.name, organisationId: memberships.organisationId })
          .from(memberships)
          .innerJoin(users, eq(users.id, memberships.userId))
          .where(inArray(memberships.organisationId, orgs.map((o) => o.id)))
          .orderBy(asc(users.name))
      : [];
    const chosen = (name: string) => text(values, name);
    const editor = editorOf(request);
    const action = mode.kind === 'edit' ? mode.action : null;
    return reply.page(
      'partnerships/views/action-form.njk',
      {
        pageTitle: action ? `Change action: ${action.title}` : `Add an action: ${partnership.name}`,
        partnership,
        action,
        values,
        errors,
        formAction: action ? `${actionPath(partnership.id, action.id)}/edit` : `/partnerships/${partnership.id}/actions/new`,
        backHref: action ? actionPath(partnership.id, action.id) : planPath(partnership.id),
        noPriorities: prios.length === 0,
        priorityItems: [{ value: '', text: 'Choose a priority', selected: !chosen('priorityId') }, ...prios.map((p) => ({ value: p.id, text: p.title, selected: p.id === chosen('priorityId') }))],
        ownerItems: [
          { value: '', text: 'Choose an organisation', selected: !chosen('ownerOrganisationId') },
          ...orgs.map((o) => ({ value: o.id, text: o.name, selected: o.id === chosen('ownerOrganisationId') })),
        ],
        leadItems: [
          { value: '', text: 'Nobody with a Patchwork account', selected: !chosen('leadUserId') },
          ...people.map((p) => ({ value: p.id, text: `${p.name} (${orgs.find((o) => o.id === p.organisationId)?.name ?? ''})`, selected: p.id === chosen('leadUserId') })),
        ],
        statusItems: statusItems(chosen('status') || 'not-started'),
        publicChecked: chosen('public') === 'yes',
        ownsAny: editor.organisationIds.length > 0,
      },
      status ?? (errors ? 400 : 200),
    );
  };

  app.get('/partnerships/:partnershipId/actions/new', { config: { access: access.partnership('member') }, schema: { params: partnershipParams } }, async (request, reply) => {
    const editor = editorOf(request);
    return renderActionForm(request, reply, { kind: 'new' }, { ownerOrganisationId: editor.organisationIds.length === 1 ? editor.organisationIds[0] : '', status: 'not-started' });
  });

  app.post('/partnerships/:partnershipId/actions/new', { config: { access: access.partnership('member') }, schema: { params: partnershipParams, body: formBody } }, async (request, reply) => {
    const form = request.body as Form;
    const partnership = request.partnership!;
    let id: string;
    try {
      id = await createAction(db(), partnership.id, actionInput(form), editorOf(request));
    } catch (error) {
      if (!(error instanceof PlanError)) throw error;
      return renderActionForm(request, reply, { kind: 'new' }, form, errorsOf(error), error.statusCode === 403 ? 403 : 400);
    }
    return reply.flash(`Action added: ${text(form, 'title').trim()}`).redirect(actionPath(partnership.id, id), 303);
  });

  /** The action in the address, when it is in this partnership. */
  const actionOf = async (request: FastifyRequest, actionId: string) => {
    const found = await fromAction(db(), actionId, todayInEngland());
    return found && found.partnershipId === request.partnership!.id ? found : null;
  };

  const renderAction = async (request: FastifyRequest, reply: FastifyReply, action: ActionDetail, values: Form = {}, errors?: FormErrors, status?: number) => {
    const partnership = request.partnership!;
    return reply.page(
      'partnerships/views/action-show.njk',
      {
        pageTitle: action.title,
        partnership,
        action,
        statusWords,
        canChange: editorOf(request).organisationIds.includes(action.ownerOrganisationId),
        statusItems: statusItems(text(values, 'status') || action.status),
        values,
        errors,
        planHref: planPath(partnership.id),
        editHref: `${actionPath(partnership.id, action.id)}/edit`,
        updateAction: `${actionPath(partnership.id, action.id)}/updates`,
      },
      status ?? (errors ? 400 : 200),
    );
  };

  app.get('/partnerships/:partnershipId/actions/:actionId', { config: { access: access.partnership('viewer') }, schema: { params: actionParams } }, async (request, reply) => {
    const action = await actionOf(request, request.params.actionId);
    if (!action) return reply.callNotFound();
    return renderAction(request, reply, action);
  });

  const notYours = (reply: FastifyReply, action: ActionDetail) =>
    reply.page('error.njk', { pageTitle: 'You cannot change this action', paragraphs: [`${action.ownerName} owns this action, so only its members can change it or make it public.`], linkHref: actionPath(action.partnershipId, action.id), linkText: 'Back to the action' }, 403);

  app.get('/partnerships/:partnershipId/actions/:actionId/edit', { config: { access: access.partnership('member') }, schema: { params: actionParams } }, async (request, reply) => {
    const action = await actionOf(request, request.params.actionId);
    if (!action) return reply.callNotFound();
    if (!editorOf(request).organisationIds.includes(action.ownerOrganisationId)) return notYours(reply, action);
    return renderActionForm(request, reply, { kind: 'edit', action }, valuesOfAction(action));
  });

  app.post('/partnerships/:partnershipId/actions/:actionId/edit', { config: { access: access.partnership('member') }, schema: { params: actionParams, body: formBody } }, async (request, reply) => {
    const action = await actionOf(request, request.params.actionId);
    if (!action) return reply.callNotFound();
    const form = request.body as Form;
    const version = Number(text(form, 'version'));
    try {
      await editAction(db(), action.partnershipId, action.id, Number.isInteger(version) ? version : -1, actionInput(form), editorOf(request));
    } catch (error) {
      if (!(error instanceof PlanError)) throw error;
      if (error.statusCode === 403 && error.field === 'form') return notYours(reply, action);
      if (error.statusCode === 409) {
        // Show what it says now, with the version now current, so the person can make their change again.
        const now = (await actionOf(request, action.id))!;
        return renderActionForm(request, reply, { kind: 'edit', action: now }, valuesOfAction(now), { summary: [{ text: error.message, href: '#title' }], fields: {} }, 409);
      }
      return renderActionForm(request, reply, { kind: 'edit', action }, form, errorsOf(error), error.statusCode === 403 ? 403 : 400);
    }
    return reply.flash('Action changed').redirect(actionPath(action.partnershipId, action.id), 303);
  });

  app.post('/partnerships/:partnershipId/actions/:actionId/updates', { config: { access: access.partnership('member') }, schema: { params: actionParams, body: formBody } }, async (request, reply) => {
    const action = await actionOf(request, request.params.actionId);
    if (!action) return reply.callNotFound();
    const form = request.body as Form;
    try {
      await addUpdate(db(), action.partnershipId, action.id, { status: text(form, 'status'), note: text(form, 'note') }, editorOf(request));
    } catch (error) {
      if (!(error instanceof PlanError)) throw error;
      if (error.statusCode === 403) return notYours(reply, action);
      return renderAction(request, reply, action, form, fieldError(error.field, error.message));
    }
    return reply.flash('Update added').redirect(actionPath(action.partnershipId, action.id), 303);
  });

  // ---- Strategic aims and the golden thread ---------------------------------------------------------------------

  app.get('/aims', { config: { access: access.signedIn } }, async (_request, reply) => {
    const aims = await listAims(db());
    return reply.page('partnerships/views/aim-list.njk', { pageTitle: 'Strategic aims', aims });
  });

  const renderAimForm = (request: FastifyRequest, reply: FastifyReply, values: Form, errors?: FormErrors) =>
    reply.page('partnerships/views/aim-new.njk', { pageTitle: `Set a strategic aim: ${request.organisation!.name}`, org: request.organisation!, values, errors }, errors ? 400 : 200);

  app.get('/organisations/:slug/aims/new', { config: { access: access.organisation('coordinator') }, schema: { params: z.object({ slug: z.string().max(100) }) } }, async (request, reply) => renderAimForm(request, reply, {}));

  app.post('/organisations/:slug/aims/new', { config: { access: access.organisation('coordinator') }, schema: { params: z.object({ slug: z.string().max(100) }), body: formBody } }, async (request, reply) => {
    const form = request.body as Form;
    let id: string;
    try {
      id = await createAim(db(), request.organisation!.id, { title: text(form, 'title'), description: text(form, 'description') }, actorOf(request));
    } catch (error) {
      if (!(error instanceof PlanError)) throw error;
      return renderAimForm(request, reply, form, errorsOf(error));
    }
    return reply.flash('Strategic aim set').redirect(`/aims/${id}`, 303);
  });

  app.get('/aims/:aimId', { config: { access: access.signedIn }, schema: { params: z.object({ aimId: z.string().max(100) }) } }, async (request, reply) => {
    const thread = await fromAim(db(), request.params.aimId, await viewer(request), todayInEngland());
    if (!thread) return reply.callNotFound();
    return reply.page('partnerships/views/aim-show.njk', { pageTitle: thread.aim.title, thread, rollupWords, statusWords });
  });

  // ---- My actions -------------------------------------------------------------------------------------------------

  const mine = async (request: FastifyRequest) => {
    const v = await viewer(request);
    return myActions(db(), request.user!.id, v.organisationIds, todayInEngland());
  };

  app.get('/my-actions', { config: { access: access.signedIn } }, async (request, reply) => {
    const groups = await mine(request);
    return reply.page('partnerships/views/my-actions.njk', {
      pageTitle: 'My actions',
      statusWords,
      sections: [
        { id: 'overdue', title: 'Overdue', items: groups.overdue, empty: 'Nothing overdue.' },
        { id: 'due-soon', title: `Due in the next ${dueSoonDays} days`, items: groups.dueSoon, empty: `Nothing due in the next ${dueSoonDays} days.` },
        { id: 'later', title: 'Later or with no due date', items: groups.later, empty: 'Nothing later.' },
        { id: 'done', title: 'Done recently', items: groups.doneRecently, empty: 'Nothing done in the last 30 days.' },
      ],
    });
  });

  app.post('/my-actions/digest', { config: { access: access.signedIn }, schema: { body: formBody } }, async (request, reply) => {
    const user = request.user!;
    const v = await viewer(request);
    await sendDigest(db(), mailer, user, v.organisationIds, `${request.protocol}://${request.host}`, actorOf(request));
    return reply.flash(`Your actions digest has been sent to ${user.email}`).redirect('/my-actions', 303);
  });
};
