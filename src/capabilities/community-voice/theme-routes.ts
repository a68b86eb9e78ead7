import { desc, eq, sql } from 'drizzle-orm';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../platform/audit/audit.ts';
import { access, roleAtLeast, viewerOf } from '../../platform/auth/permissions.ts';
import { organisations } from '../../platform/auth/schema.ts';
import { fieldError, formProblems, type FormErrors } from '../../platform/web/forms.ts';
import { areaChoices, areaKey, resolveArea, type VoiceArea } from './areas.ts';
import { getCampaign, questionsOf, VoiceError, type Campaign } from './campaigns.ts';
import { campaignResults, groupChoices, parseGroup, resultsCsv, shownCount, type Group } from './results.ts';
import { voiceCampaigns } from './schema.ts';
import { suggestThemes, responsesUsing, foldPhrase } from './text-analysis.ts';
import {
  addTheme,
  campaignTexts,
  editTheme,
  getTheme,
  isUuid,
  maxThemeName,
  nextUntagged,
  removeTheme,
  responseForTagging,
  saveTagging,
  tagMany,
  themesOf,
  untaggedCount,
  type ResponseForTagging,
} from './themes.ts';
import { compassFor } from './place-standard.ts';
import { campaignKindLabels } from './vocabulary.ts';
import { campaignOfOrganisation, campaignParams, campaignPath, formBody, orgParams, publicCampaignParams, publicSummaryPath, text, texts, type Form } from './web.ts';

/**
 * Themes and what is made of them: the organisation's shared theme list, tagging one response (and marking its
 * words fit to publish), suggested themes from the words residents used with tagging in bulk, the results page
 * and its CSV, and the public summaries of published campaigns. Every figure shown here has been through
 * small-number suppression in results.ts; every word of residents' text is printed escaped.
 */

const themeParams = z.object({ slug: z.string().max(100), themeId: z.string().max(100) });
const tagParams = z.object({ slug: z.string().max(100), campaignId: z.string().max(100), responseId: z.string().max(100) });
const resultsQuery = z.object({ area: z.string().max(100).optional(), group: z.string().max(60).optional() });

const themesPath = (slug: string) => `/organisations/${slug}/voice/themes`;
const tagPath = (campaign: Campaign, responseId: string) => campaignPath(campaign, `/responses/${responseId}/tag`);

export const themeRoutes: FastifyPluginAsync = async (root) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const db = () => app.database.db;
  const threshold = () => app.config.suppressionThreshold;
  const canEdit = (request: FastifyRequest) => request.user?.isSiteAdmin === true || roleAtLeast(request.organisation?.role, 'coordinator');

  // ---- The theme list ---------------------------------------------------------------------------------------

  const renderList = async (request: FastifyRequest, reply: FastifyReply, values: Form = {}, errors?: FormErrors, status?: number) => {
    const org = request.organisation!;
    return reply.page(
      'community-voice/views/theme-list.njk',
      { pageTitle: `Themes: ${org.name}`, org, themes: await themesOf(db(), org.id), canEdit: canEdit(request), values, errors, maxThemeName, voiceHref: `/organisations/${org.slug}/voice`, formAction: themesPath(org.slug) },
      status ?? (errors ? 400 : 200),
    );
  };

  const errorOf = (error: VoiceError, field = error.field): FormErrors => fieldError(field === 'form' ? 'name' : field, error.message);

  app.get('/organisations/:slug/voice/themes', { config: { access: access.organisation('viewer') }, schema: { params: orgParams } }, async (request, reply) => renderList(request, reply));

  app.post('/organisations/:slug/voice/themes', { config: { access: access.organisation('coordinator') }, schema: { params: orgParams, body: formBody } }, async (request, reply) => {
    const form = request.body as Form;
    const org = request.organisation!;
    try {
      const theme = await addTheme(db(), org.id, { name: text(form, 'name'), description: text(form, 'description') }, actorOf(request));
      return reply.flash(`Theme added: ${theme.name}`).redirect(themesPath(org.slug), 303);
    } catch (error) {
      if (!(error instanceof VoiceError)) throw error;
      return renderList(request, reply, form, errorOf(error), error.status === 409 ? 409 : 400);
    }
  });

  const renderEdit = async (request: FastifyRequest, reply: FastifyReply, themeId: string, values?: Form, errors?: FormErrors, status?: number) => {
    const org = request.organisation!;
    const theme = await getTheme(db(), org.id, themeId);
    if (!theme) return reply.callNotFound();
    return reply.page(
      'community-voice/views/theme-edit.njk',
      { pageTitle: `Change theme: ${theme.name}`, org, theme, values: values ?? { name: theme.name, description: theme.description ?? '' }, errors, backHref: themesPath(org.slug), formAction: `${themesPath(org.slug)}/${theme.id}/edit` },
      status ?? (errors ? 400 : 200),
    );
  };

  app.get('/organisations/:slug/voice/themes/:themeId/edit', { config: { access: access.organisation('coordinator') }, schema: { params: themeParams } }, async (request, reply) => renderEdit(request, reply, request.params.themeId));

  app.post('/organisations/:slug/voice/themes/:themeId/edit', { config: { access: access.organisation('coordinator') }, schema: { params: themeParams, body: formBody } }, async (request, reply) => {
    const form = request.body as Form;
    const org = request.organisation!;
    try {
      const theme = await editTheme(db(), org.id, request.params.themeId, { name: text(form, 'name'), description: text(form, 'description') }, actorOf(request));
      return reply.flash(`Theme changed: ${theme.name}`).redirect(themesPath(org.slug), 303);
    } catch (error) {
      if (!(error instanceof VoiceError)) throw error;
      if (error.status === 404) return reply.callNotFound();
      return renderEdit(request, reply, request.params.themeId, form, errorOf(error), error.status === 409 ? 409 : 400);
    }
  });

  app.get('/organisations/:slug/voice/themes/:themeId/remove', { config: { access: access.organisation('coordinator') }, schema: { params: themeParams } }, async (request, reply) => {
    const org = request.organisation!;
    const theme = (await themesOf(db(), org.id)).find((t) => t.id === request.params.themeId);
    if (!theme) return reply.callNotFound();
    return reply.page('community-voice/views/theme-remove.njk', { pageTitle: `Remove theme: ${theme.name}`, org, theme, backHref: themesPath(org.slug), formAction: `${themesPath(org.slug)}/${theme.id}/remove` });
  });

  app.post('/organisations/:slug/voice/themes/:themeId/remove', { config: { access: access.organisation('coordinator') }, schema: { params: themeParams, body: formBody } }, async (request, reply) => {
    const org = request.organisation!;
    try {
      const removed = await removeTheme(db(), org.id, request.params.themeId, actorOf(request));
      const untagged = removed.untagged === 1 ? '1 response' : `${removed.untagged} responses`;
      return reply.flash(`Theme removed: ${removed.name}. ${untagged} no longer tagged with it.`).redirect(themesPath(org.slug), 303);
    } catch (error) {
      if (error instanceof VoiceError && error.status === 404) return reply.callNotFound();
      throw error;
    }
  });

  // ---- Tagging one response ---------------------------------------------------------------------------------

  const renderTag = async (_request: FastifyRequest, reply: FastifyReply, campaign: Campaign, response: ResponseForTagging, values?: Form, errors?: FormErrors) => {
    const themes = await themesOf(db(), campaign.organisationId);
    const chosen = values ? new Set(texts(values, 'themes')) : new Set(response.themeIds);
    const answers = response.answers.map((a) => ({
      ...a,
      publishChecked: values ? text(values, `publish-${a.questionId}`) === 'yes' : a.publishable,
      quoteValue: values ? text(values, `quote-${a.questionId}`) : (a.quote ?? ''),
    }));
    return reply.page(
      'community-voice/views/theme-tag.njk',
      {
        pageTitle: `Themes for a response: ${campaign.title}`,
        campaign,
        response,
        answers,
        themeItems: themes.map((t) => ({ value: t.id, text: t.name, hint: t.description ? { text: t.description } : undefined, checked: chosen.has(t.id) })),
        newTheme: values ? text(values, 'new-theme') : '',
        untagged: await untaggedCount(db(), campaign.id),
        errors,
        formAction: tagPath(campaign, response.id),
        responseHref: campaignPath(campaign, `/responses/${response.id}`),
        campaignHref: campaignPath(campaign),
        themesHref: themesPath(campaign.organisationSlug),
      },
      errors ? 400 : 200,
    );
  };

  app.get('/organisations/:slug/voice/:campaignId/responses/:responseId/tag', { config: { access: access.organisation('coordinator') }, schema: { params: tagParams } }, async (request, reply) => {
    const campaign = await campaignOfOrganisation(request);
    if (!campaign) return reply.callNotFound();
    const response = await responseForTagging(db(), campaign, await questionsOf(db(), campaign.id), request.params.responseId);
    if (!response) return reply.callNotFound();
    return renderTag(request, reply, campaign, response);
  });

  app.post('/organisations/:slug/voice/:campaignId/responses/:responseId/tag', { config: { access: access.organisation('coordinator') }, schema: { params: tagParams, body: formBody } }, async (request, reply) => {
    const campaign = await campaignOfOrganisation(request);
    if (!campaign) return reply.callNotFound();
    const response = await responseForTagging(db(), campaign, await questionsOf(db(), campaign.id), request.params.responseId);
    if (!response) return reply.callNotFound();
    const form = request.body as Form;
    const publish = Object.fromEntries(
      response.answers.filter((a) => a.words).map((a) => [a.questionId, { publishable: text(form, `publish-${a.questionId}`) === 'yes', quote: text(form, `quote-${a.questionId}`) || null }]),
    );
    try {
      await saveTagging(db(), campaign, response.id, { themeIds: texts(form, 'themes'), newTheme: text(form, 'new-theme'), publish }, actorOf(request));
    } catch (error) {
      if (!(error instanceof VoiceError)) throw error;
      if (error.status === 404) return reply.callNotFound();
      return renderTag(request, reply, campaign, response, form, fieldError(error.field, error.message));
    }
    if (text(form, 'next') !== 'yes') return reply.flash('Themes and quotes saved').redirect(tagPath(campaign, response.id), 303);
    const next = await nextUntagged(db(), campaign.id, response.id);
    if (!next) return reply.flash('Saved. Every response in this campaign now has a theme.').redirect(campaignPath(campaign, '/themes'), 303);
    return reply.flash('Saved. This is the next response without a theme.').redirect(tagPath(campaign, next), 303);
  });

  // ---- Suggested themes -------------------------------------------------------------------------------------

  const renderSuggestions = async (_request: FastifyRequest, reply: FastifyReply, campaign: Campaign, errors?: FormErrors) => {
    const themes = await themesOf(db(), campaign.organisationId, campaign.id);
    const suggestions = suggestThemes(await campaignTexts(db(), campaign.id), themes.map((t) => t.name));
    const first = await nextUntagged(db(), campaign.id);
    return reply.page(
      'community-voice/views/theme-suggestions.njk',
      {
        pageTitle: `Suggested themes: ${campaign.title}`,
        campaign,
        suggestions: suggestions.map((s, i) => ({
          ...s,
          index: i,
          themeItems: [
            { value: '', text: 'Choose a theme' },
            ...themes.map((t) => ({ value: t.id, text: t.name, selected: s.theme !== null && t.name === s.theme })),
          ],
        })),
        themes,
        untagged: await untaggedCount(db(), campaign.id),
        firstUntaggedHref: first ? tagPath(campaign, first) : null,
        errors,
        addAction: campaignPath(campaign, '/themes/add'),
        tagAction: campaignPath(campaign, '/themes/tag'),
        campaignHref: campaignPath(campaign),
        themesHref: themesPath(campaign.organisationSlug),
        resultsHref: campaignPath(campaign, '/results'),
      },
      errors ? 400 : 200,
    );
  };

  app.get('/organisations/:slug/voice/:campaignId/themes', { config: { access: access.organisation('coordinator') }, schema: { params: campaignParams } }, async (request, reply) => {
    const campaign = await campaignOfOrganisation(request);
    if (!campaign) return reply.callNotFound();
    return renderSuggestions(request, reply, campaign);
  });

  app.post('/organisations/:slug/voice/:campaignId/themes/add', { config: { access: access.organisation('coordinator') }, schema: { params: campaignParams, body: formBody } }, async (request, reply) => {
    const campaign = await campaignOfOrganisation(request);
    if (!campaign) return reply.callNotFound();
    const form = request.body as Form;
    try {
      const theme = await addTheme(db(), campaign.organisationId, { name: text(form, 'name') }, actorOf(request));
      return reply.flash(`Theme added: ${theme.name}. Now you can tag the responses that use it.`).redirect(campaignPath(campaign, '/themes'), 303);
    } catch (error) {
      if (!(error instanceof VoiceError)) throw error;
      return renderSuggestions(request, reply, campaign, { summary: [{ text: error.message, href: '#suggestions' }], fields: {} });
    }
  });

  app.post('/organisations/:slug/voice/:campaignId/themes/tag', { config: { access: access.organisation('coordinator') }, schema: { params: campaignParams, body: formBody } }, async (request, reply) => {
    const campaign = await campaignOfOrganisation(request);
    if (!campaign) return reply.callNotFound();
    const form = request.body as Form;
    const phrase = foldPhrase(text(form, 'phrase'));
    const themeId = text(form, 'themeId');
    const problem = (message: string) => renderSuggestions(request, reply, campaign, { summary: [{ text: message, href: '#suggestions' }], fields: {} });
    if (!phrase) return problem('Choose a suggested word or phrase to tag the responses that use it');
    if (!themeId) return problem(`Choose a theme to tag the responses that use “${phrase}” with`);
    const ids = responsesUsing(await campaignTexts(db(), campaign.id), phrase);
    try {
      const done = await tagMany(db(), campaign, themeId, ids, phrase, actorOf(request));
      const already = ids.length - done.tagged;
      return reply
        .flash(`Tagged ${done.tagged} ${done.tagged === 1 ? 'response' : 'responses'} using “${phrase}” with ${done.theme}${already ? ` (${already} already had it)` : ''}.`)
        .redirect(campaignPath(campaign, '/themes'), 303);
    } catch (error) {
      if (!(error instanceof VoiceError)) throw error;
      return problem(error.message);
    }
  });

  // ---- Results ------------------------------------------------------------------------------------------------

  type Filters = { area: VoiceArea | null; group: Group | null; errors: FormErrors | undefined };

  const filtersOf = async (request: FastifyRequest, query: { area?: string; group?: string }): Promise<Filters> => {
    const { errors, fail } = formProblems();
    const areaText = query.area?.trim() ?? '';
    const area = areaText ? await resolveArea(db(), await viewerOf(db(), request.user), areaText) : null;
    if (areaText && !area) fail('area', 'Choose an area from the list, or the whole campaign');
    const groupText = query.group?.trim() ?? '';
    const group = parseGroup(groupText);
    if (groupText && !group) fail('group', 'Choose a group of respondents from the list, or everyone');
    return { area, group, errors: errors.summary.length ? errors : undefined };
  };

  const filterWords = (f: Filters) => [f.area ? `In ${f.area.name}` : '', f.group ? f.group.label : ''].filter(Boolean).join('; ');

  app.get('/organisations/:slug/voice/:campaignId/results', { config: { access: access.organisation('viewer') }, schema: { params: campaignParams, querystring: resultsQuery } }, async (request, reply) => {
    const campaign = await campaignOfOrganisation(request);
    if (!campaign) return reply.callNotFound();
    const filters = await filtersOf(request, request.query);
    const questions = await questionsOf(db(), campaign.id);
    const results = filters.errors ? null : await campaignResults(db(), campaign, questions, filters, threshold());
    const chosenArea = filters.area ? areaKey(filters.area) : (request.query.area ?? '');
    const areaItems = await areaChoices(db(), campaign, filters.area ?? null, chosenArea);
    const chosenGroup = request.query.group ?? '';
    const query = new URLSearchParams(Object.entries({ area: request.query.area ?? '', group: request.query.group ?? '' }).filter(([, v]) => v)).toString();
    return reply.page(
      'community-voice/views/results-show.njk',
      {
        pageTitle: `Results: ${campaign.title}`,
        campaign,
        results,
        filterWords: filterWords(filters),
        areaItems,
        groupItems: [{ value: '', text: 'Everyone', selected: !chosenGroup }, ...groupChoices.map((g) => ({ ...g, selected: g.value === chosenGroup }))],
        errors: filters.errors,
        formAction: campaignPath(campaign, '/results'),
        csvHref: campaignPath(campaign, `/results.csv${query ? `?${query}` : ''}`),
        campaignHref: campaignPath(campaign),
        placeStandardHref: campaign.kind === 'place-standard' ? campaignPath(campaign, '/place-standard') : null,
        suggestionsHref: canEdit(request) ? campaignPath(campaign, '/themes') : null,
        publicHref: campaign.published ? publicSummaryPath(campaign) : null,
      },
      filters.errors ? 400 : 200,
    );
  });

  app.get('/organisations/:slug/voice/:campaignId/results.csv', { config: { access: access.organisation('viewer') }, schema: { params: campaignParams, querystring: resultsQuery } }, async (request, reply) => {
    const campaign = await campaignOfOrganisation(request);
    if (!campaign) return reply.callNotFound();
    const filters = await filtersOf(request, request.query);
    if (filters.errors) return reply.code(400).type('text/plain; charset=utf-8').send(filters.errors.summary.map((e) => e.text).join('\n'));
    const results = await campaignResults(db(), campaign, await questionsOf(db(), campaign.id), filters, threshold());
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="results-${campaign.id}.csv"`)
      .header('cache-control', 'private, no-store')
      .send(resultsCsv(campaign, results, filterWords(filters)));
  });

  // ---- Public summaries ---------------------------------------------------------------------------------------

  app.get('/voice', { config: { access: access.public } }, async (_request, reply) => {
    const rows = await db()
      .select({ campaign: voiceCampaigns, organisationName: organisations.name, responses: sql<number>`(select count(*)::int from voice_responses r where r.campaign_id = voice_campaigns.id)` })
      .from(voiceCampaigns)
      .innerJoin(organisations, eq(organisations.id, voiceCampaigns.organisationId))
      .where(eq(voiceCampaigns.published, true))
      .orderBy(desc(voiceCampaigns.publishedAt));
    const campaigns = rows.map((r) => ({ ...r.campaign, organisationName: r.organisationName, kindLabel: campaignKindLabels[r.campaign.kind], responses: shownCount(Number(r.responses), threshold()), href: publicSummaryPath(r.campaign) }));
    return reply.page('community-voice/views/summary-list.njk', { pageTitle: 'What residents told us', campaigns });
  });

  app.get('/voice/:campaignId', { config: { access: access.public }, schema: { params: publicCampaignParams } }, async (request, reply) => {
    const campaign = isUuid(request.params.campaignId) ? await getCampaign(db(), request.params.campaignId) : null;
    if (!campaign || !campaign.published) return reply.callNotFound();
    const questions = await questionsOf(db(), campaign.id);
    const results = await campaignResults(db(), campaign, questions, {}, threshold());
    return reply.page('community-voice/views/summary-show.njk', {
      pageTitle: campaign.title,
      campaign,
      kindLabel: campaignKindLabels[campaign.kind],
      results,
      compass: campaign.kind === 'place-standard' ? await compassFor(db(), campaign, {}, threshold()) : null,
    });
  });
};
