import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../platform/audit/audit.ts';
import { access, type OrganisationContext } from '../../platform/auth/permissions.ts';
import { fieldError, formBody, formProblems, type FormErrors } from '../../platform/web/forms.ts';
import { findPostcode, normalisePostcode } from '../geography/postcodes.ts';
import { directoryPath, editPath, isUuid, publicPath, reasonsText, renderServiceForm, saveEditedRecord, saveNewRecord } from './routes.ts';
import { formText, formValuesOf, type Form, type FormValues } from './service-form.ts';
import { findDuplicates, getService, groupTerms, taxonomyFor, type ServiceRecord } from './service.ts';
import { mergeSuggestion, pendingSuggestions, rejectSuggestion, suggestCorrection, suggestionFor, SuggestionError, suggestNew, type Suggestion } from './suggestions.ts';

/**
 * Residents suggesting an asset, or a correction to a record, without an account; and the coordinators who
 * decide them: accept (through the record form, pre-filled), merge into a record that already lists it, or
 * reject with a reason that is kept for the record and shown to nobody outside the organisation.
 */

const serviceParams = z.object({ serviceId: z.string().max(100) });
const queueParams = z.object({ slug: z.string().max(100), suggestionId: z.string().max(100) });
const thanksQuery = z.object({ service: z.string().max(100).optional() });

// Suggestions are anonymous, so nothing but this limit (kept in memory) stops one connection sending many.
const rateLimit = { max: 10, timeWindow: '1 hour', errorResponseBuilder: () => ({ statusCode: 429, message: 'Too many suggestions from your connection. Thank you: try again in an hour.' }) };

const emailHint = 'Only so a coordinator can ask you a question about it. It is deleted as soon as your suggestion is decided, and never shown publicly.';

const queuePath = (slug: string) => `${directoryPath(slug)}/suggestions`;
const suggestionPath = (slug: string, id: string) => `${queuePath(slug)}/${id}`;

/** Plain text as typed, with its length checked; what residents write is only ever shown escaped. */
function field(form: Form, name: string, max: number, fail: (f: string, m: string) => void, what: string): string {
  const value = formText(form, name);
  if (value.length > max) fail(name, `${what} must be ${max.toLocaleString('en-GB')} characters or fewer`);
  return value;
}

export const suggestionRoutes: FastifyPluginAsync = async (root) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const db = () => app.database.db;

  // The platform's page for too many requests speaks of sign-in attempts; a resident over the limit gets words
  // of their own. Every other error goes on to the platform's handler.
  app.setErrorHandler((error: { statusCode?: number }, request, reply) => {
    if (error.statusCode !== 429 || request.routeOptions.config.rateLimit !== rateLimit) throw error;
    return reply.page('error.njk', { pageTitle: 'Too many suggestions', paragraphs: ['Thank you for all your suggestions. So many have come from your connection in the last hour that we cannot take more for now.', 'Try again in an hour.'], linkHref: '/directory', linkText: 'Search the community directory' }, 429);
  });

  // ---- Residents: suggesting, without an account ----------------------------------------------------------

  const shippedCategories = async () => {
    const terms = await taxonomyFor(db(), null);
    return groupTerms(terms).flatMap((g) => [...g.children.map((c) => ({ id: c.id, text: `${c.name} (${g.term.name.toLowerCase()})` })), { id: g.term.id, text: `Other ${g.term.name.toLowerCase()}` }]);
  };

  const renderNew = async (reply: FastifyReply, values: Form, errors?: FormErrors) => {
    const categories = await shippedCategories();
    const chosen = formText(values, 'category');
    return reply.page(
      'community-assets/views/suggestion-new.njk',
      { pageTitle: 'Suggest a place, group or activity', values, errors, emailHint, categoryItems: [{ value: '', text: 'Not sure', selected: !chosen }, ...categories.map((c) => ({ value: c.id, text: c.text, selected: c.id === chosen }))] },
      errors ? 400 : 200,
    );
  };

  app.get('/directory/suggest', { config: { access: access.public } }, async (_request, reply) => renderNew(reply, {}));

  app.post('/directory/suggest', { config: { access: access.public, rateLimit }, schema: { body: formBody } }, async (request, reply) => {
    const form = request.body as Form;
    const { errors, fail } = formProblems();
    const name = field(form, 'name', 200, fail, 'The name');
    if (!name) fail('name', 'Enter the name of the place, group or activity');
    const category = formText(form, 'category');
    if (category && !(await shippedCategories()).some((c) => c.id === category)) fail('category', 'Choose what it is from the list, or “Not sure”');
    const description = field(form, 'description', 5000, fail, 'What it is');
    const postcode = formText(form, 'postcode');
    if (!postcode) fail('postcode', 'Enter the postcode where it is, like WN1 1AA');
    else if (!normalisePostcode(postcode)) fail('postcode', `"${postcode}" is not a postcode: enter a postcode like WN1 1AA`);
    const address = field(form, 'address', 300, fail, 'The address');
    const when = field(form, 'when', 1000, fail, 'When it happens');
    const contact = field(form, 'contact', 1000, fail, 'How to get in touch');
    const email = field(form, 'email', 254, fail, 'Your email address');
    if (errors.summary.length) return renderNew(reply, form, errors);
    try {
      await suggestNew(db(), { name, category, description, postcode, address, when, contact }, email || null, actorOf(request));
    } catch (error) {
      if (!(error instanceof SuggestionError)) throw error;
      return renderNew(reply, form, fieldError(error.field, error.message));
    }
    return reply.redirect('/directory/suggest/thanks', 303);
  });

  /** The record a correction is about; a merged-away record's corrections go to the record it became. */
  const liveRecord = async (serviceId: string): Promise<ServiceRecord | 'moved' | null> => {
    const record = isUuid(serviceId) ? await getService(db(), serviceId) : null;
    if (!record) return null;
    return record.mergedIntoId ? 'moved' : record;
  };

  const renderCorrection = (reply: FastifyReply, record: ServiceRecord, values: Form, errors?: FormErrors) =>
    reply.page('community-assets/views/suggestion-correction.njk', { pageTitle: `Suggest a correction: ${record.name}`, record, recordHref: publicPath(record.id), values, errors, emailHint }, errors ? 400 : 200);

  app.get('/directory/services/:serviceId/suggest', { config: { access: access.public }, schema: { params: serviceParams } }, async (request, reply) => {
    const record = await liveRecord(request.params.serviceId);
    if (!record) return reply.callNotFound();
    if (record === 'moved') {
      const moved = (await getService(db(), request.params.serviceId))!;
      return reply.redirect(`${publicPath(moved.mergedIntoId!)}/suggest`, 301);
    }
    return renderCorrection(reply, record, {});
  });

  app.post('/directory/services/:serviceId/suggest', { config: { access: access.public, rateLimit }, schema: { params: serviceParams, body: formBody } }, async (request, reply) => {
    const record = await liveRecord(request.params.serviceId);
    if (!record || record === 'moved') return reply.callNotFound();
    const form = request.body as Form;
    const { errors, fail } = formProblems();
    const problem = field(form, 'problem', 5000, fail, 'What is wrong');
    if (!problem) fail('problem', 'Tell us what is wrong or out of date');
    const details = field(form, 'details', 5000, fail, 'The right details');
    const email = field(form, 'email', 254, fail, 'Your email address');
    if (errors.summary.length) return renderCorrection(reply, record, form, errors);
    try {
      await suggestCorrection(db(), record.id, { problem, details }, email || null, actorOf(request));
    } catch (error) {
      if (!(error instanceof SuggestionError)) throw error;
      return renderCorrection(reply, record, form, fieldError(error.field, error.message));
    }
    return reply.redirect(`/directory/suggest/thanks?service=${record.id}`, 303);
  });

  app.get('/directory/suggest/thanks', { config: { access: access.public }, schema: { querystring: thanksQuery } }, async (request, reply) => {
    const service = request.query.service && isUuid(request.query.service) ? await getService(db(), request.query.service) : null;
    return reply.page('community-assets/views/suggestion-thanks.njk', { pageTitle: 'Thank you', record: service, recordHref: service ? publicPath(service.id) : null });
  });

  // ---- Coordinators: deciding -----------------------------------------------------------------------------

  const siteAdmin = (request: FastifyRequest) => Boolean(request.user?.isSiteAdmin);
  const titleOf = (s: Suggestion) => (s.kind === 'new' ? s.proposed.name || 'A new asset' : `Correction to ${s.service?.name ?? 'a record'}`);

  app.get('/organisations/:slug/directory/suggestions', { config: { access: access.organisation('coordinator') }, schema: { params: z.object({ slug: z.string().max(100) }) } }, async (request, reply) => {
    const org = request.organisation!;
    const pending = await pendingSuggestions(db(), org.id, siteAdmin(request));
    return reply.page('community-assets/views/suggestion-queue.njk', {
      pageTitle: `${org.name}: residents’ suggestions`,
      org,
      siteAdmin: siteAdmin(request),
      suggestions: pending.map((s) => ({ ...s, title: titleOf(s), href: suggestionPath(org.slug, s.id) })),
      directoryHref: directoryPath(org.slug),
    });
  });

  /** The suggestion in the address, when it is this organisation's to decide; otherwise as if it did not exist. */
  const suggestionOf = async (request: FastifyRequest, suggestionId: string) =>
    isUuid(suggestionId) ? suggestionFor(db(), request.organisation!.id, siteAdmin(request), suggestionId) : null;

  /** Records that may already list a new asset: same name nearby, same postcode. */
  const duplicatesOf = async (s: Suggestion) => {
    if (s.kind !== 'new' || !s.proposed.name) return [];
    const found = s.proposed.postcode ? await findPostcode(db(), s.proposed.postcode) : null;
    return findDuplicates(db(), { name: s.proposed.name, postcode: s.proposed.postcode || null, phones: [], longitude: found?.postcode?.longitude ?? null, latitude: found?.postcode?.latitude ?? null });
  };

  const renderDecision = async (reply: FastifyReply, org: OrganisationContext, s: Suggestion, values: Form = {}, errors?: FormErrors) => {
    const duplicates = s.status === 'pending' ? await duplicatesOf(s) : [];
    const categories = await taxonomyFor(db(), null);
    return reply.page(
      'community-assets/views/suggestion-show.njk',
      {
        pageTitle: titleOf(s),
        title: titleOf(s),
        org,
        suggestion: s,
        suggestionCategory: s.proposed.category ? (categories.find((c) => c.id === s.proposed.category)?.name ?? null) : null,
        recordHref: s.service ? publicPath(s.service.id) : null,
        resultHref: s.resultServiceId ? publicPath(s.resultServiceId) : null,
        acceptHref: `${suggestionPath(org.slug, s.id)}/accept`,
        mergeAction: `${suggestionPath(org.slug, s.id)}/merge`,
        rejectAction: `${suggestionPath(org.slug, s.id)}/reject`,
        queueHref: queuePath(org.slug),
        duplicateItems: duplicates.map((d) => ({
          value: d.id,
          text: d.name,
          hint: { text: [reasonsText(d.reasons), `kept by ${d.ownerName}`, d.postcode, d.metres !== null ? `${d.metres.toLocaleString('en-GB')} metres away` : null].filter(Boolean).join(' · ') },
          checked: formText(values, 'serviceId') === d.id,
        })),
        duplicates,
        values,
        errors,
      },
      errors ? 400 : 200,
    );
  };

  app.get('/organisations/:slug/directory/suggestions/:suggestionId', { config: { access: access.organisation('coordinator') }, schema: { params: queueParams } }, async (request, reply) => {
    const s = await suggestionOf(request, request.params.suggestionId);
    if (!s) return reply.callNotFound();
    return renderDecision(reply, request.organisation!, s);
  });

  const alreadyDecided = (reply: FastifyReply, org: OrganisationContext, s: Suggestion) => reply.flash('This suggestion has already been decided.').redirect(suggestionPath(org.slug, s.id), 303);

  /** Accepting: the add form pre-filled from a new asset, or the record's edit form beside a correction. */
  const acceptPage = async (request: FastifyRequest, reply: FastifyReply, suggestionId: string, post: boolean) => {
    const org = request.organisation!;
    const s = await suggestionOf(request, suggestionId);
    if (!s) return reply.callNotFound();
    if (s.status !== 'pending') return alreadyDecided(reply, org, s);
    const action = `${suggestionPath(org.slug, s.id)}/accept`;
    if (s.kind === 'new') {
      if (post) return saveNewRecord(db(), request, reply, { org, action, suggestion: s });
      const terms = await taxonomyFor(db(), org.id);
      const category = terms.find((t) => t.id === s.proposed.category);
      const top = category?.parentId ?? category?.id;
      const values: FormValues = {
        name: s.proposed.name ?? '',
        description: s.proposed.description ?? '',
        postcode: s.proposed.postcode ?? '',
        address: s.proposed.address ?? '',
        categories: category ? [category.id] : [],
        ...(top === 'places' ? { kind: 'place' } : top === 'activities' ? { kind: 'activity' } : {}),
      };
      return renderServiceForm(db(), reply, { org, mode: 'new', action, suggestion: s, values });
    }
    const record = s.service ? await getService(db(), s.service.mergedIntoId ?? s.service.id) : null;
    if (!record) return renderDecision(reply, org, s, {}, fieldError('reason', 'The record this correction is about is no longer in the directory: reject the suggestion, giving that as the reason'));
    // A site administrator deciding for another organisation's record does so under that organisation's address.
    if (record.ownerOrganisationId !== org.id) return reply.redirect(`${suggestionPath(record.ownerSlug, s.id)}/accept`, 303);
    if (post) return saveEditedRecord(db(), request, reply, { org, action, record, suggestion: s });
    return renderServiceForm(db(), reply, { org, mode: 'edit', action, record, suggestion: s, values: formValuesOf(record) });
  };

  app.get('/organisations/:slug/directory/suggestions/:suggestionId/accept', { config: { access: access.organisation('coordinator') }, schema: { params: queueParams } }, async (request, reply) => acceptPage(request, reply, request.params.suggestionId, false));
  app.post('/organisations/:slug/directory/suggestions/:suggestionId/accept', { config: { access: access.organisation('coordinator') }, schema: { params: queueParams, body: formBody } }, async (request, reply) =>
    acceptPage(request, reply, request.params.suggestionId, true),
  );

  app.post('/organisations/:slug/directory/suggestions/:suggestionId/merge', { config: { access: access.organisation('coordinator') }, schema: { params: queueParams, body: formBody } }, async (request, reply) => {
    const org = request.organisation!;
    const s = await suggestionOf(request, request.params.suggestionId);
    if (!s) return reply.callNotFound();
    if (s.status !== 'pending') return alreadyDecided(reply, org, s);
    const form = request.body as Form;
    const serviceId = formText(form, 'serviceId');
    if (s.kind !== 'new') return renderDecision(reply, org, s, form, fieldError('reason', 'A correction is accepted or rejected, not merged'));
    const candidates = await duplicatesOf(s);
    if (!candidates.some((d) => d.id === serviceId)) return renderDecision(reply, org, s, form, fieldError('serviceId', 'Choose the record that already lists it'));
    try {
      await mergeSuggestion(db(), s.id, serviceId, actorOf(request));
    } catch (error) {
      if (!(error instanceof SuggestionError)) throw error;
      return renderDecision(reply, org, s, form, fieldError('serviceId', error.message));
    }
    const record = (await getService(db(), serviceId))!;
    // The organisation's own record opens for editing, to add anything new the resident mentioned.
    if (record.ownerOrganisationId === org.id) return reply.flash(`The suggestion is marked as already listed as ${record.name}. Add anything new from it below.`).redirect(`${editPath(org.slug, record.id)}?suggestion=${s.id}`, 303);
    return reply.flash(`The suggestion is marked as already listed as ${record.name}, which ${record.ownerName} keeps. Suggest a correction to them if the resident mentioned something new.`).redirect(publicPath(record.id), 303);
  });

  app.post('/organisations/:slug/directory/suggestions/:suggestionId/reject', { config: { access: access.organisation('coordinator') }, schema: { params: queueParams, body: formBody } }, async (request, reply) => {
    const org = request.organisation!;
    const s = await suggestionOf(request, request.params.suggestionId);
    if (!s) return reply.callNotFound();
    if (s.status !== 'pending') return alreadyDecided(reply, org, s);
    const form = request.body as Form;
    try {
      await rejectSuggestion(db(), s.id, formText(form, 'reason'), actorOf(request));
    } catch (error) {
      if (!(error instanceof SuggestionError)) throw error;
      return renderDecision(reply, org, s, form, fieldError(error.field === 'form' ? 'reason' : error.field, error.message));
    }
    return reply.flash('The suggestion has been rejected. Your reason is kept with it.').redirect(queuePath(org.slug), 303);
  });
};
