import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../platform/audit/audit.ts';
import { access, roleAtLeast } from '../../platform/auth/permissions.ts';
import { fieldError, type FormErrors } from '../../platform/web/forms.ts';
import { formList, formText, type Form } from '../community-assets/service-form.ts';
import { addDecision, addMeetingAction, createMeeting, getMeeting, listMeetings, MeetingError, organisationsWithPeople, partnershipPriorities, saveNotes, type MeetingDetail } from './meetings.ts';

/** Meetings of a partnership: the list, recording one, and its page where decisions, agreed actions and notes are added. */

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const partnershipParams = z.object({ partnershipId: z.string().max(100) });
const meetingParams = z.object({ partnershipId: z.string().max(100), meetingId: z.string().max(100) });
const formBody = z.record(z.string(), z.unknown());

const meetingsPath = (partnershipId: string) => `/partnerships/${partnershipId}/meetings`;

export const meetingRoutes: FastifyPluginAsync = async (root) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const db = () => app.database.db;

  /** Whether to offer the forms that change things; the routes they post to make the decision themselves. */
  const canEdit = (request: FastifyRequest) => Boolean(request.user?.isSiteAdmin) || (request.partnership?.memberOrganisations ?? []).some((o) => roleAtLeast(o.role, 'member'));

  app.get('/partnerships/:partnershipId/meetings', { config: { access: access.partnership('viewer') }, schema: { params: partnershipParams } }, async (request, reply) => {
    const p = request.partnership!;
    const list = await listMeetings(db(), p.id);
    return reply.page('partnerships/views/meeting-list.njk', { pageTitle: `${p.name}: meetings`, partnership: p, meetings: list.map((m) => ({ ...m, href: `${meetingsPath(p.id)}/${m.id}` })), newHref: canEdit(request) ? `${meetingsPath(p.id)}/new` : null });
  });

  const renderNew = async (request: FastifyRequest, reply: FastifyReply, values: Form, errors?: FormErrors) => {
    const p = request.partnership!;
    const orgs = await organisationsWithPeople(db(), p.id);
    const ticked = new Set(formList(values, 'attendees'));
    return reply.page(
      'partnerships/views/meeting-new.njk',
      {
        pageTitle: `${p.name}: record a meeting`,
        partnership: p,
        values,
        errors,
        action: `${meetingsPath(p.id)}/new`,
        backHref: meetingsPath(p.id),
        organisations: orgs.map((o, i) => ({
          name: o.name,
          id: `attendees-${i}`,
          items: o.people.map((person) => ({ value: `${o.id}:${person.id}`, text: person.name, checked: ticked.has(`${o.id}:${person.id}`) })),
        })),
      },
      errors ? 400 : 200,
    );
  };

  app.get('/partnerships/:partnershipId/meetings/new', { config: { access: access.partnership('member') }, schema: { params: partnershipParams } }, async (request, reply) => renderNew(request, reply, {}));

  app.post('/partnerships/:partnershipId/meetings/new', { config: { access: access.partnership('member') }, schema: { params: partnershipParams, body: formBody } }, async (request, reply) => {
    const form = request.body as Form;
    try {
      const id = await createMeeting(
        db(),
        request.partnership!.id,
        { heldOn: formText(form, 'heldOn'), title: formText(form, 'title'), agenda: formText(form, 'agenda'), userIds: formList(form, 'attendees'), others: formText(form, 'others').split(/\r?\n/) },
        actorOf(request),
      );
      reply.flash('Meeting recorded');
      return reply.redirect(`${meetingsPath(request.partnership!.id)}/${id}`, 303);
    } catch (error) {
      if (!(error instanceof MeetingError)) throw error;
      return renderNew(request, reply, form, fieldError(error.field, error.message));
    }
  });

  const renderMeeting = async (request: FastifyRequest, reply: FastifyReply, meeting: MeetingDetail, values: Form = {}, errors?: FormErrors, status = 200, conflict: string | null = null) => {
    const p = request.partnership!;
    const [priorityList, orgs] = await Promise.all([partnershipPriorities(db(), p.id), organisationsWithPeople(db(), p.id)]);
    const href = `${meetingsPath(p.id)}/${meeting.id}`;
    const select = (items: { id: string; name?: string; title?: string }[], chosen: string, none: string) => [{ value: '', text: none, selected: !chosen }, ...items.map((i) => ({ value: i.id, text: i.title ?? i.name ?? '', selected: i.id === chosen }))];
    return reply.page(
      'partnerships/views/meeting-show.njk',
      {
        pageTitle: `${meeting.title}, ${meeting.heldOn}`,
        partnership: p,
        meeting,
        values,
        errors,
        conflict,
        canEdit: canEdit(request),
        backHref: meetingsPath(p.id),
        planHref: `/partnerships/${p.id}/plan`,
        decisionAction: `${href}/decisions`,
        actionAction: `${href}/actions`,
        notesAction: `${href}/notes`,
        notesValue: values.notes !== undefined && !conflict ? formText(values, 'notes') : (meeting.notes ?? ''),
        decisionPriorityItems: select(priorityList, formText(values, 'decisionPriority'), 'Not about one priority'),
        priorityItems: select(priorityList, formText(values, 'priorityId'), 'Choose a priority'),
        ownerItems: select(orgs, formText(values, 'ownerOrganisationId'), 'Choose an organisation'),
        hasPriorities: priorityList.length > 0,
      },
      status,
    );
  };

  const meetingOf = async (request: FastifyRequest) => {
    const { meetingId } = request.params as { meetingId: string };
    return uuid.test(meetingId) ? getMeeting(db(), request.partnership!.id, meetingId) : null;
  };

  app.get('/partnerships/:partnershipId/meetings/:meetingId', { config: { access: access.partnership('viewer') }, schema: { params: meetingParams } }, async (request, reply) => {
    const meeting = await meetingOf(request);
    if (!meeting) return reply.callNotFound();
    return renderMeeting(request, reply, meeting);
  });

  app.post('/partnerships/:partnershipId/meetings/:meetingId/decisions', { config: { access: access.partnership('member') }, schema: { params: meetingParams, body: formBody } }, async (request, reply) => {
    const meeting = await meetingOf(request);
    if (!meeting) return reply.callNotFound();
    const form = request.body as Form;
    try {
      await addDecision(db(), request.partnership!.id, meeting.id, { text: formText(form, 'decision'), priorityId: formText(form, 'decisionPriority') }, actorOf(request));
    } catch (error) {
      if (!(error instanceof MeetingError)) throw error;
      return renderMeeting(request, reply, meeting, form, fieldError(error.field, error.message), 400);
    }
    reply.flash('Decision recorded');
    return reply.redirect(`${meetingsPath(request.partnership!.id)}/${meeting.id}#decisions`, 303);
  });

  app.post('/partnerships/:partnershipId/meetings/:meetingId/actions', { config: { access: access.partnership('member') }, schema: { params: meetingParams, body: formBody } }, async (request, reply) => {
    const meeting = await meetingOf(request);
    if (!meeting) return reply.callNotFound();
    const form = request.body as Form;
    try {
      await addMeetingAction(
        db(),
        request.partnership!.id,
        meeting.id,
        { priorityId: formText(form, 'priorityId'), title: formText(form, 'actionTitle'), ownerOrganisationId: formText(form, 'ownerOrganisationId'), leadName: formText(form, 'leadName'), startOn: formText(form, 'startOn'), dueOn: formText(form, 'dueOn') },
        actorOf(request),
      );
    } catch (error) {
      if (!(error instanceof MeetingError)) throw error;
      return renderMeeting(request, reply, meeting, form, fieldError(error.field, error.message), 400);
    }
    reply.flash('Action added to the plan');
    return reply.redirect(`${meetingsPath(request.partnership!.id)}/${meeting.id}#actions`, 303);
  });

  app.post('/partnerships/:partnershipId/meetings/:meetingId/notes', { config: { access: access.partnership('member') }, schema: { params: meetingParams, body: formBody } }, async (request, reply) => {
    const meeting = await meetingOf(request);
    if (!meeting) return reply.callNotFound();
    const form = request.body as Form;
    const version = Number(formText(form, 'version'));
    if (!Number.isInteger(version) || version < 1) return renderMeeting(request, reply, meeting, form, fieldError('notes', 'The form was missing its version: reload the page and make your change again'), 400);
    let outcome: 'saved' | 'conflict';
    try {
      outcome = await saveNotes(db(), request.partnership!.id, meeting.id, version, formText(form, 'notes'), actorOf(request));
    } catch (error) {
      if (!(error instanceof MeetingError)) throw error;
      return renderMeeting(request, reply, meeting, form, fieldError(error.field, error.message), 400);
    }
    if (outcome === 'conflict') {
      const message = 'Someone else changed these notes while you were editing: here is what they say now; make your change again';
      return renderMeeting(request, reply, meeting, form, fieldError('notes', message), 409, formText(form, 'notes'));
    }
    reply.flash('Notes saved');
    return reply.redirect(`${meetingsPath(request.partnership!.id)}/${meeting.id}#notes`, 303);
  });
};
