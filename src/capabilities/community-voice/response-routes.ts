import { sql } from 'drizzle-orm';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { actorOf } from '../../platform/audit/audit.ts';
import { access, viewerOf, visibleTo, type Viewer } from '../../platform/auth/permissions.ts';
import { queryRows } from '../../platform/db/database.ts';
import type { FormErrors } from '../../platform/web/forms.ts';
import { neighbourhoods } from '../neighbourhoods/schema.ts';
import { lsoasIn } from './areas.ts';
import { neighbourhoodsVisibleTo, responseInputFromForm } from './response-form.ts';
import { getCampaign, isAccepting, questionsOf, type Campaign, type Question } from './campaigns.ts';
import { answerField, commentField, contactConsentStatement, recordResponse, type Problem, type ResponseMeta } from './responses.ts';
import { demographics } from './vocabulary.ts';
import { campaignOfOrganisation, campaignParams, campaignPath, formBody, publicCampaignParams, publicFormPath, publicSummaryPath, text, texts, type Form } from './web.ts';

/**
 * Answering a campaign: residents on its public link (no account; a rate limit and a honeypot keep machines
 * out), and volunteers and staff capturing answers at an event or on a doorstep, on a phone, possibly offline
 * (helper module voice-offline.mjs keeps those in the browser and sends them to …/sync when back online).
 * Both forms are the same fields (views/_answer-fields.njk) and the same checks (responses.ts).
 */

// Answers are anonymous, so nothing but this limit (kept in memory) stops one connection sending many.
const rateLimit = { max: 10, timeWindow: '1 hour', errorResponseBuilder: () => ({ statusCode: 429, message: 'Too many answers from your connection. Thank you: try again in an hour.' }) };

/** The field a spam robot fills in and a person (told to leave it empty, and never shown it) does not. */
export const honeypotField = 'website';

const isUuid = (id: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);
const todayIso = () => new Date().toISOString().slice(0, 10);

/** responses.ts's problems as the GOV.UK error summary, each linking to the element on the page it is about. */
export function errorsOfProblems(problems: Problem[], questions: Question[]): FormErrors {
  const errors: FormErrors = { summary: [], fields: {} };
  for (const p of problems) {
    const target = p.field === 'form' ? (questions[0] ? answerField(questions[0]) : 'answers') : p.field === 'answered-at' ? 'answered-at-day' : p.field;
    if (!errors.summary.some((s) => s.text === p.message)) errors.summary.push({ text: p.message, href: `#${target}` });
    if (p.field !== 'form' && !errors.fields[p.field]) errors.fields[p.field] = { text: p.message };
  }
  return errors;
}

/** The questions as the shared partial draws them, with what was typed kept. */
export function fieldsOf(questions: Question[], values: Form, errors?: FormErrors) {
  return questions.map((q) => {
    const name = answerField(q);
    const chosen = new Set(texts(values, name));
    const label = `${q.position}. ${q.prompt}${q.required ? '' : ' (optional)'}`;
    const ends = q.kind === 'scale' ? [q.scaleMinLabel ? `${q.scaleMin} means ${q.scaleMinLabel}` : null, q.scaleMaxLabel ? `${q.scaleMax} means ${q.scaleMaxLabel}` : null].filter(Boolean).map((e) => `${e}.`).join(' ') : '';
    const hint = [q.hint, ends].filter(Boolean).join(' ');
    const items =
      q.kind === 'scale'
        ? Array.from({ length: q.scaleMax! - q.scaleMin! + 1 }, (_, i) => String(q.scaleMin! + i)).map((v) => ({ value: v, text: v, checked: chosen.has(v) }))
        : q.kind === 'text'
          ? []
          : (q.options ?? []).map((o) => ({ value: o, text: o, checked: chosen.has(o) }));
    return {
      id: q.id,
      kind: q.kind,
      name,
      label,
      hint: hint || null,
      items,
      value: text(values, name),
      error: errors?.fields[name],
      withComment: q.withComment,
      commentName: commentField(q),
      commentValue: text(values, commentField(q)),
      commentError: errors?.fields[commentField(q)],
    };
  });
}

function demographicFieldsOf(values: Form) {
  return demographics.map((d) => ({
    field: d.field,
    label: d.label,
    items: [
      ...d.values.map((v) => ({ value: v, text: (d.labels as Record<string, string>)[v]!, checked: text(values, d.field) === v })),
      { divider: 'or' },
      { value: '', text: 'Prefer not to say', checked: false },
    ],
  }));
}

export const responseRoutes: FastifyPluginAsync = async (root) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const db = () => app.database.db;

  // The platform's page for too many requests speaks of sign-in attempts; a resident over the limit gets words
  // of their own. Every other error goes on to the platform's handler.
  app.setErrorHandler((error: { statusCode?: number }, request, reply) => {
    if (error.statusCode !== 429 || request.routeOptions.config.rateLimit !== rateLimit) throw error;
    return reply.page(
      'error.njk',
      {
        pageTitle: 'Too many answers',
        paragraphs: ['Thank you for taking part. So many answers have come from your connection in the last hour that we cannot take more for now.', 'If you share a connection with others, for example at a library, try again in an hour.'],
        linkHref: '/have-your-say',
        linkText: 'Other ways to have your say',
      },
      429,
    );
  });

  // Helper A2's offline module; capture works without it (as a plain form), so the page does not depend on it.
  const assetPath = app.views.getGlobal('assetPath') as (name: string) => string;
  const offlineModule = (() => {
    try {
      return assetPath('voice-offline.mjs');
    } catch {
      return null;
    }
  })();

  /** Neighbourhoods a respondent may choose: in the campaign's district when it has one, and visible to them. */
  const neighbourhoodItems = async (campaign: Campaign, viewer: Viewer | null, chosen: string) => {
    const visible = viewer ? visibleTo(viewer, neighbourhoods.sharing, neighbourhoods.ownerOrganisationId) : sql`${neighbourhoods.sharing} = 'public'`;
    const inDistrict = campaign.lad25
      ? sql` and exists (select 1 from neighbourhood_lsoas nl where nl.version_id = v.id and nl.lsoa_vintage = 'lsoa21' and nl.lsoa_code in (${lsoasIn({ kind: 'lad25', code: campaign.lad25, name: '' })}))`
      : sql``;
    const rows = await queryRows<{ id: string; name: string }>(
      db(),
      sql`select ${neighbourhoods.id} as id, ${neighbourhoods.name} as name from ${neighbourhoods}
          join neighbourhood_versions v on v.neighbourhood_id = ${neighbourhoods.id} and v.version = ${neighbourhoods.currentVersion}
          where ${visible}${inDistrict} order by ${neighbourhoods.name} limit 300`,
    );
    return rows.length ? [{ value: '', text: 'Choose a neighbourhood', selected: !chosen }, ...rows.map((n) => ({ value: n.id, text: n.name, selected: n.id === chosen }))] : null;
  };

  const sharedFields = async (campaign: Campaign, questions: Question[], values: Form, errors: FormErrors | undefined, viewer: Viewer | null) => ({
    fields: fieldsOf(questions, values, errors),
    demographicFields: demographicFieldsOf(values),
    neighbourhoodItems: await neighbourhoodItems(campaign, viewer, text(values, 'neighbourhood')),
    demographicsConsentChecked: text(values, 'demographics-consent') === 'yes',
    contactConsentChecked: text(values, 'contact-consent') === 'yes',
    contactConsentStatement,
    values,
    errors,
  });

  // ---- Residents -------------------------------------------------------------------------------------------

  app.get('/have-your-say', { config: { access: access.public } }, async (_request, reply) => {
    const rows = await queryRows<{ id: string; title: string; summary: string | null; organisation: string; opens_on: string | null; closes_on: string | null; sample: boolean }>(
      db(),
      sql`select c.id, c.title, c.summary, o.name as organisation, c.opens_on::text as opens_on, c.closes_on::text as closes_on, c.sample
          from voice_campaigns c join organisations o on o.id = c.organisation_id where c.accepts_public and c.status = 'open' order by c.closes_on nulls last, c.title`,
    );
    const open = rows.filter((c) => isAccepting({ status: 'open', opensOn: c.opens_on, closesOn: c.closes_on }));
    return reply.page('community-voice/views/answer-list.njk', {
      pageTitle: 'Have your say',
      campaigns: open.map((c) => ({ ...c, href: publicFormPath(c), closes: c.closes_on ? new Date(`${c.closes_on}T12:00:00Z`) : null, sampleLabel: c.sample && !c.title.includes('(sample data)') })),
    });
  });

  /** The campaign on a public link: null (not found) unless it takes public answers and is not a draft. */
  const publicCampaign = async (campaignId: string) => {
    const campaign = await getCampaign(db(), campaignId);
    // A draft is not there for the public at all: its title may not be ready to be seen.
    return campaign && campaign.acceptsPublic && campaign.status !== 'draft' ? campaign : null;
  };

  const renderClosed = (reply: FastifyReply, campaign: Campaign, status: number) => {
    const notYet = campaign.status === 'open' && campaign.opensOn !== null && todayIso() < campaign.opensOn;
    return reply.page(
      'community-voice/views/answer-closed.njk',
      { pageTitle: `${campaign.title}: ${notYet ? 'not open yet' : 'closed'}`, campaign, notYet, opens: campaign.opensOn ? new Date(`${campaign.opensOn}T12:00:00Z`) : null, summaryHref: campaign.published ? publicSummaryPath(campaign) : null },
      status,
    );
  };

  const renderPublic = async (reply: FastifyReply, campaign: Campaign, questions: Question[], values: Form, errors?: FormErrors) =>
    reply.page(
      'community-voice/views/answer-form.njk',
      {
        pageTitle: campaign.title,
        campaign,
        action: publicFormPath(campaign),
        honeypotField,
        closes: campaign.closesOn ? new Date(`${campaign.closesOn}T12:00:00Z`) : null,
        ...(await sharedFields(campaign, questions, values, errors, null)),
      },
      errors ? 400 : 200,
    );

  app.get('/have-your-say/:campaignId', { config: { access: access.public }, schema: { params: publicCampaignParams } }, async (request, reply) => {
    const campaign = await publicCampaign(request.params.campaignId);
    if (!campaign) return reply.callNotFound();
    if (!isAccepting(campaign)) return renderClosed(reply, campaign, 200);
    return renderPublic(reply, campaign, await questionsOf(db(), campaign.id), {});
  });

  app.post('/have-your-say/:campaignId', { config: { access: access.public, rateLimit }, schema: { params: publicCampaignParams, body: formBody } }, async (request, reply) => {
    const campaign = await publicCampaign(request.params.campaignId);
    if (!campaign) return reply.callNotFound();
    if (!isAccepting(campaign)) return renderClosed(reply, campaign, 409);
    const form = request.body as Form;
    // A robot that filled the hidden field is thanked like anyone else, so it learns nothing, and nothing is kept.
    if (text(form, honeypotField).trim()) {
      request.log.info({ campaign: campaign.id }, 'voice: honeypot filled, response dropped');
      return reply.redirect(`${publicFormPath(campaign)}/thanks`, 303);
    }
    const questions = await questionsOf(db(), campaign.id);
    const result = await recordResponse(db(), campaign, questions, { ...responseInputFromForm(form, questions), answeredAt: null }, { channel: 'public', neighbourhoodAllowed: (sharing) => sharing === 'public' }, actorOf(request));
    if (result.status === 'refused') return renderPublic(reply, campaign, questions, form, errorsOfProblems(result.problems, questions));
    return reply.redirect(`${publicFormPath(campaign)}/thanks`, 303);
  });

  app.get('/have-your-say/:campaignId/thanks', { config: { access: access.public }, schema: { params: publicCampaignParams } }, async (request, reply) => {
    const campaign = await publicCampaign(request.params.campaignId);
    if (!campaign) return reply.callNotFound();
    return reply.page('community-voice/views/answer-thanks.njk', { pageTitle: 'Thank you', campaign, summaryHref: campaign.published ? publicSummaryPath(campaign) : null, againHref: isAccepting(campaign) ? publicFormPath(campaign) : null });
  });

  // ---- Volunteers and staff ----------------------------------------------------------------------------------

  const renderCapture = async (request: FastifyRequest, reply: FastifyReply, campaign: Campaign, values: Form, errors?: FormErrors, status?: number) => {
    const open = campaign.status === 'open';
    const questions = open ? await questionsOf(db(), campaign.id) : [];
    return reply.page(
      'community-voice/views/capture-form.njk',
      {
        pageTitle: `Capture a response: ${campaign.title}`,
        campaign,
        open,
        action: campaignPath(campaign, '/capture'),
        syncUrl: campaignPath(campaign, '/sync'),
        backHref: campaignPath(campaign),
        offlineModule,
        ...(open ? await sharedFields(campaign, questions, values, errors, await viewerOf(db(), request.user)) : { values, errors }),
      },
      status ?? (errors ? 400 : 200),
    );
  };

  app.get('/organisations/:slug/voice/:campaignId/capture', { config: { access: access.organisation('member') }, schema: { params: campaignParams } }, async (request, reply) => {
    const campaign = await campaignOfOrganisation(request);
    if (!campaign) return reply.callNotFound();
    return renderCapture(request, reply, campaign, {});
  });

  app.post('/organisations/:slug/voice/:campaignId/capture', { config: { access: access.organisation('member') }, schema: { params: campaignParams, body: formBody } }, async (request, reply) => {
    const campaign = await campaignOfOrganisation(request);
    if (!campaign) return reply.callNotFound();
    const form = request.body as Form;
    // Paper forms may be typed up after the closing date, so only the campaign's status stops capture.
    if (campaign.status !== 'open') return renderCapture(request, reply, campaign, form, undefined, 409);
    const questions = await questionsOf(db(), campaign.id);
    const viewer = await viewerOf(db(), request.user);
    const input = responseInputFromForm(form, questions);
    const meta: ResponseMeta = {
      channel: 'volunteer',
      capturedBy: request.user!.id,
      // Made by the offline module; anything else is ignored rather than refused, as nobody could correct it.
      clientId: isUuid(text(form, 'clientId')) ? text(form, 'clientId').toLowerCase() : null,
      neighbourhoodAllowed: neighbourhoodsVisibleTo(viewer),
    };
    const result = await recordResponse(db(), campaign, questions, input, meta, actorOf(request));
    if (result.status === 'refused') return renderCapture(request, reply, campaign, form, errorsOfProblems(result.problems, questions));
    return reply.flash(result.status === 'recorded' ? 'Response saved' : 'Response saved (it had already been received)').redirect(campaignPath(campaign, '/capture'), 303);
  });
};
