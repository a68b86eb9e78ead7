import { and, eq, sql } from 'drizzle-orm';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf, recordAudit } from '../../platform/audit/audit.ts';
import { canSee, roleAtLeast, viewerOf, access } from '../../platform/auth/permissions.ts';
import { queryRows } from '../../platform/db/database.ts';
import type { FormErrors } from '../../platform/web/forms.ts';
import { fewerThan, suppressBreakdown } from '../../platform/statistics/suppression.ts';
import { addQuestion, campaignsOf, createCampaign, isAccepting, questionsOf, setPublished, setStatus, VoiceError, type Campaign, type NewQuestion, type Question } from './campaigns.ts';
import { voiceContacts, voiceResponses } from './schema.ts';
import {
  campaignKindLabels,
  campaignKinds,
  demographics,
  questionKindLabels,
  questionKinds,
  responseChannelLabels,
  responseChannels,
  type CampaignKind,
  type QuestionKind,
  type ResponseChannel,
} from './vocabulary.ts';
import { campaignOfOrganisation, campaignParams, campaignPath, formBody, orgParams, publicFormPath, publicSummaryPath, text, type Form } from './web.ts';

/**
 * An organisation's listening campaigns: starting one, its overview (status, questions, where responses came
 * from, links to everything done with them), adding questions, the list of responses and one response, and
 * the contact details of respondents who asked to be contacted. Who may use each page is decided by
 * permissions.ts; a campaign of another organisation is simply not there.
 */

const responseParams = z.object({ slug: z.string().max(100), campaignId: z.string().max(100), responseId: z.string().max(100) });
const listQuery = z.object({ channel: z.string().max(20).optional(), ward: z.string().max(20).optional(), page: z.string().max(10).optional() });
const isUuid = (id: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);
const pageSize = 50;

/** A GOV.UK date input's three boxes as an ISO date; null when all are empty, 'invalid' when they make no date. */
export function dateFrom(form: Form, name: string): string | null {
  const [day, month, year] = ['day', 'month', 'year'].map((p) => text(form, `${name}-${p}`).trim());
  if (!day && !month && !year) return null;
  if (!/^\d{1,2}$/.test(day!) || !/^\d{1,2}$/.test(month!) || !/^\d{4}$/.test(year!)) return 'invalid';
  const iso = `${year}-${month!.padStart(2, '0')}-${day!.padStart(2, '0')}`;
  // Date.parse accepts 31 February (rolling it over), so the date must survive a round trip.
  const parsed = new Date(`${iso}T00:00:00Z`);
  return Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== iso ? 'invalid' : iso;
}

/** Where a field's error summary link goes: a date input's first box, otherwise the field itself. */
const dateFields = new Set(['opensOn', 'closesOn']);
function errorsOf(error: VoiceError): FormErrors {
  const field = error.field === 'questions' ? 'title' : error.field;
  return { summary: [{ text: error.message, href: `#${dateFields.has(field) ? `${field}-day` : field}` }], fields: { [field]: { text: error.message } } };
}

const statusWords: Record<string, string> = { draft: 'Draft', open: 'Open', closed: 'Closed' };
const statusColours: Record<string, string> = { draft: 'govuk-tag--grey', open: 'govuk-tag--green', closed: 'govuk-tag--red' };

export function describeQuestion(q: Question): string {
  if (q.kind === 'scale') {
    const ends = [q.scaleMinLabel ? `${q.scaleMin} = ${q.scaleMinLabel}` : null, q.scaleMaxLabel ? `${q.scaleMax} = ${q.scaleMaxLabel}` : null].filter(Boolean).join(', ');
    return `A scale from ${q.scaleMin} to ${q.scaleMax}${ends ? ` (${ends})` : ''}`;
  }
  if (q.kind === 'choice' || q.kind === 'multiple-choice') return `${questionKindLabels[q.kind]}: ${(q.options ?? []).join('; ')}`;
  return questionKindLabels[q.kind];
}

export const campaignRoutes: FastifyPluginAsync = async (root) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const db = () => app.database.db;
  const threshold = () => app.config.suppressionThreshold;
  const holds = (request: FastifyRequest, role: 'member' | 'coordinator') => Boolean(request.user?.isSiteAdmin) || roleAtLeast(request.organisation?.role, role);
  const listPath = (slug: string) => `/organisations/${slug}/voice`;

  // ---- The list ------------------------------------------------------------------------------------------------

  app.get('/organisations/:slug/voice', { config: { access: access.organisation('viewer') }, schema: { params: orgParams } }, async (request, reply) => {
    const org = request.organisation!;
    const campaigns = await campaignsOf(db(), org.id);
    return reply.page('community-voice/views/campaign-list.njk', {
      pageTitle: `${org.name}: community voice`,
      org,
      canCreate: holds(request, 'coordinator'),
      themesHref: `${listPath(org.slug)}/themes`,
      campaigns: campaigns.map((c) => ({
        title: c.title,
        sample: c.sample && !c.title.includes('(sample data)'),
        href: campaignPath(c),
        kind: campaignKindLabels[c.kind],
        status: statusWords[c.status],
        statusColour: statusColours[c.status],
        responses: c.responses,
        dates: datesText(c),
      })),
    });
  });

  // ---- Starting a campaign -----------------------------------------------------------------------------------

  const districts = async () => queryRows<{ code: string; name: string }>(db(), sql`select code, name from areas where vintage = 'lad25' order by name limit 41`);

  const renderNew = async (request: FastifyRequest, reply: FastifyReply, values: Form, errors?: FormErrors, status?: number) => {
    const org = request.organisation!;
    const earlier = await campaignsOf(db(), org.id);
    const known = await districts();
    const kind = text(values, 'kind');
    const chosenDistrict = text(values, 'lad25');
    const chosenRepeat = text(values, 'repeatOfId');
    return reply.page(
      'community-voice/views/campaign-new.njk',
      {
        pageTitle: `Start a campaign: ${org.name}`,
        org,
        values,
        errors,
        backHref: listPath(org.slug),
        kindItems: campaignKinds.map((k) => ({
          value: k,
          text: campaignKindLabels[k],
          checked: k === kind,
          hint:
            k === 'place-standard'
              ? { text: 'Comes with the 14 Place Standard themes (moving around, public transport, feeling safe and the rest), each rated 1 to 7 with room for a comment. You can add questions of your own after them.' }
              : k === 'listening'
                ? { text: 'Open conversations: what people are proud of, what should change' }
                : undefined,
        })),
        // A short list is a select; the whole country's districts would be too long for one, so a box to type in.
        districtItems:
          known.length && known.length <= 40
            ? [{ value: '', text: 'Not tied to one district', selected: !chosenDistrict }, ...known.map((d) => ({ value: d.code, text: `${d.name} (${d.code})`, selected: d.code === chosenDistrict }))]
            : null,
        repeatItems: earlier.length
          ? [{ value: '', text: 'Not a repeat', selected: !chosenRepeat }, ...earlier.map((c) => ({ value: c.id, text: `${c.title} (${campaignKindLabels[c.kind]}${c.opensOn ? `, ${c.opensOn.slice(0, 4)}` : ''})`, selected: c.id === chosenRepeat }))]
          : null,
        acceptsPublicChecked: text(values, 'acceptsPublic') === 'yes',
      },
      status ?? (errors ? 400 : 200),
    );
  };

  /** A district as typed: its code, or its name; anything else is passed on for createCampaign to refuse by name. */
  const districtCode = async (typed: string): Promise<string | null> => {
    const value = typed.trim();
    if (!value) return null;
    const [found] = await queryRows<{ code: string }>(db(), sql`select code from areas where vintage = 'lad25' and (code = ${value.toUpperCase()} or lower(name) = ${value.toLowerCase()}) limit 1`);
    return found?.code ?? value.slice(0, 60);
  };

  app.get('/organisations/:slug/voice/new', { config: { access: access.organisation('coordinator') }, schema: { params: orgParams } }, async (request, reply) => renderNew(request, reply, { acceptsPublic: 'yes' }));

  app.post('/organisations/:slug/voice/new', { config: { access: access.organisation('coordinator') }, schema: { params: orgParams, body: formBody } }, async (request, reply) => {
    const form = request.body as Form;
    const org = request.organisation!;
    let id: string;
    try {
      id = await createCampaign(
        db(),
        {
          organisationId: org.id,
          title: text(form, 'title'),
          summary: text(form, 'summary').trim() || null,
          kind: text(form, 'kind') as CampaignKind,
          lad25: await districtCode(text(form, 'lad25')),
          acceptsPublic: text(form, 'acceptsPublic') === 'yes',
          opensOn: dateFrom(form, 'opensOn'),
          closesOn: dateFrom(form, 'closesOn'),
          repeatOfId: isUuid(text(form, 'repeatOfId')) ? text(form, 'repeatOfId') : text(form, 'repeatOfId') ? '00000000-0000-0000-0000-000000000000' : null,
          questions: [],
        },
        actorOf(request),
      );
    } catch (error) {
      if (!(error instanceof VoiceError)) throw error;
      return renderNew(request, reply, form, errorsOf(error), error.status);
    }
    return reply.flash(`Campaign started: ${text(form, 'title').trim()}. It is a draft until you open it.`).redirect(`${listPath(org.slug)}/${id}`, 303);
  });

  // ---- The overview --------------------------------------------------------------------------------------------

  const renderOverview = async (request: FastifyRequest, reply: FastifyReply, campaign: Campaign, errors?: FormErrors, status?: number) => {
    const questions = await questionsOf(db(), campaign.id);
    const byChannel = await queryRows<{ channel: ResponseChannel; n: number }>(db(), sql`select channel, count(*)::int as n from voice_responses where campaign_id = ${campaign.id} group by channel`);
    const counts = responseChannels.map((c) => Number(byChannel.find((r) => r.channel === c)?.n ?? 0));
    const shown = suppressBreakdown(counts, threshold());
    const [district] = campaign.lad25 ? await queryRows<{ name: string }>(db(), sql`select name from areas where vintage = 'lad25' and code = ${campaign.lad25}`) : [];
    const [repeatOf] = campaign.repeatOfId ? await queryRows<{ id: string; title: string }>(db(), sql`select id, title from voice_campaigns where id = ${campaign.repeatOfId} and organisation_id = ${campaign.organisationId}`) : [];
    const base = campaignPath(campaign);
    return reply.page(
      'community-voice/views/campaign-show.njk',
      {
        pageTitle: campaign.title,
        campaign,
        org: request.organisation,
        errors,
        statusWord: statusWords[campaign.status],
        statusColour: statusColours[campaign.status],
        kindWord: campaignKindLabels[campaign.kind],
        accepting: isAccepting(campaign),
        districtName: district ? `${district.name} (${campaign.lad25})` : campaign.lad25,
        repeatOf: repeatOf ? { title: repeatOf.title, href: campaignPath({ id: repeatOf.id, organisationSlug: campaign.organisationSlug }) } : null,
        dates: datesText(campaign),
        questions: questions.map((q) => ({ ...q, described: describeQuestion(q), kindWord: questionKindLabels[q.kind] })),
        canAddQuestions: campaign.status !== 'closed',
        channelRows: responseChannels.map((c, i) => [{ text: responseChannelLabels[c] }, { text: shown.cells[i]!.suppressed ? fewerThan(threshold()) : shown.cells[i]!.value!.toLocaleString('en-GB'), format: 'numeric' }]),
        total: counts.reduce((a, b) => a + b, 0),
        totalShown: shown.total.suppressed ? fewerThan(threshold()) : shown.total.value!.toLocaleString('en-GB'),
        isCoordinator: holds(request, 'coordinator'),
        isMember: holds(request, 'member'),
        publicFormHref: publicFormPath(campaign),
        publicSummaryHref: publicSummaryPath(campaign),
        links: {
          list: listPath(campaign.organisationSlug),
          capture: `${base}/capture`,
          responses: `${base}/responses`,
          newQuestion: `${base}/questions/new`,
          status: `${base}/status`,
          publish: `${base}/publish`,
          contacts: `${base}/contacts`,
          importCsv: `${base}/import`,
          template: `${base}/template.csv`,
          exportCsv: `${base}/responses.csv`,
          themes: `${base}/themes`,
          themeList: `${listPath(campaign.organisationSlug)}/themes`,
          results: `${base}/results`,
          representation: `${base}/representation`,
          placeStandard: `${base}/place-standard`,
        },
      },
      status ?? (errors ? 400 : 200),
    );
  };

  app.get('/organisations/:slug/voice/:campaignId', { config: { access: access.organisation('viewer') }, schema: { params: campaignParams } }, async (request, reply) => {
    const campaign = await campaignOfOrganisation(request);
    if (!campaign) return reply.callNotFound();
    return renderOverview(request, reply, campaign);
  });

  app.post('/organisations/:slug/voice/:campaignId/status', { config: { access: access.organisation('coordinator') }, schema: { params: campaignParams, body: formBody } }, async (request, reply) => {
    const campaign = await campaignOfOrganisation(request);
    if (!campaign) return reply.callNotFound();
    const status = text(request.body as Form, 'status');
    // Back to draft is not offered: a draft hides the public form, which residents may already have been sent.
    if (status !== 'open' && status !== 'closed') return renderOverview(request, reply, campaign, { summary: [{ text: 'Choose whether to open or close the campaign', href: '#status-actions' }], fields: {} });
    if (status === campaign.status) return reply.flash(`The campaign is already ${status}.`).redirect(campaignPath(campaign), 303);
    await setStatus(db(), campaign, status, actorOf(request));
    return reply.flash(status === 'open' ? 'The campaign is open: responses can be captured, and residents can answer on the public link if it takes them.' : 'The campaign is closed: no more responses are taken.').redirect(campaignPath(campaign), 303);
  });

  app.post('/organisations/:slug/voice/:campaignId/publish', { config: { access: access.organisation('coordinator') }, schema: { params: campaignParams, body: formBody } }, async (request, reply) => {
    const campaign = await campaignOfOrganisation(request);
    if (!campaign) return reply.callNotFound();
    const choice = text(request.body as Form, 'published');
    if (choice !== 'yes' && choice !== 'no') return renderOverview(request, reply, campaign, { summary: [{ text: 'Choose whether to publish or unpublish the public summary', href: '#publish-actions' }], fields: {} });
    await setPublished(db(), campaign, choice === 'yes', actorOf(request));
    return reply.flash(choice === 'yes' ? 'The public summary is published.' : 'The public summary is no longer published.').redirect(campaignPath(campaign), 303);
  });

  // ---- Adding a question ---------------------------------------------------------------------------------------

  const renderQuestion = (reply: FastifyReply, campaign: Campaign, values: Form, errors?: FormErrors, status?: number) => {
    const kind = text(values, 'kind');
    return reply.page(
      'community-voice/views/campaign-question-new.njk',
      {
        pageTitle: `Add a question: ${campaign.title}`,
        campaign,
        values,
        errors,
        closed: campaign.status === 'closed',
        backHref: campaignPath(campaign),
        kindItems: questionKinds.map((k) => ({ value: k, text: questionKindLabels[k], checked: k === kind })),
        requiredChecked: text(values, 'required') === 'yes',
        withCommentChecked: text(values, 'withComment') === 'yes',
      },
      status ?? (errors ? 400 : 200),
    );
  };

  app.get('/organisations/:slug/voice/:campaignId/questions/new', { config: { access: access.organisation('coordinator') }, schema: { params: campaignParams } }, async (request, reply) => {
    const campaign = await campaignOfOrganisation(request);
    if (!campaign) return reply.callNotFound();
    return renderQuestion(reply, campaign, {});
  });

  const scaleNumber = (form: Form, name: string): number | null => (text(form, name).trim() === '' ? null : Number(text(form, name).trim()));
  const questionFields: Record<string, string> = { scaleMin: 'scaleMin', scaleMax: 'scaleMax' };

  app.post('/organisations/:slug/voice/:campaignId/questions/new', { config: { access: access.organisation('coordinator') }, schema: { params: campaignParams, body: formBody } }, async (request, reply) => {
    const campaign = await campaignOfOrganisation(request);
    if (!campaign) return reply.callNotFound();
    const form = request.body as Form;
    // A closed campaign's questions are what its respondents were asked; a new one would have no answers.
    if (campaign.status === 'closed') return renderQuestion(reply, campaign, form, { summary: [{ text: 'This campaign is closed: questions cannot be added to it. Open it again first if you need to ask more.', href: '#prompt' }], fields: {} }, 409);
    const question: NewQuestion = {
      kind: text(form, 'kind') as QuestionKind,
      prompt: text(form, 'prompt'),
      hint: text(form, 'hint'),
      options: text(form, 'options').split('\n'),
      scaleMin: scaleNumber(form, 'scaleMin'),
      scaleMax: scaleNumber(form, 'scaleMax'),
      scaleMinLabel: text(form, 'scaleMinLabel'),
      scaleMaxLabel: text(form, 'scaleMaxLabel'),
      required: text(form, 'required') === 'yes',
      withComment: text(form, 'withComment') === 'yes',
    };
    try {
      await addQuestion(db(), campaign, question, actorOf(request));
    } catch (error) {
      if (!(error instanceof VoiceError)) throw error;
      const field = questionFields[error.field] ?? error.field;
      return renderQuestion(reply, campaign, form, { summary: [{ text: error.message, href: `#${field}` }], fields: { [field]: { text: error.message } } }, error.status);
    }
    return reply.flash(`Question added: ${question.prompt.trim()}`).redirect(campaignPath(campaign), 303);
  });

  // ---- Responses ---------------------------------------------------------------------------------------------

  app.get('/organisations/:slug/voice/:campaignId/responses', { config: { access: access.organisation('member') }, schema: { params: campaignParams, querystring: listQuery } }, async (request, reply) => {
    const campaign = await campaignOfOrganisation(request);
    if (!campaign) return reply.callNotFound();
    const channel = (responseChannels as readonly string[]).includes(request.query.channel ?? '') ? (request.query.channel as ResponseChannel) : null;
    const wards = await queryRows<{ code: string; name: string | null }>(
      db(),
      sql`select distinct r.ward25 as code, a.name from voice_responses r left join areas a on a.vintage = 'ward25' and a.code = r.ward25 where r.campaign_id = ${campaign.id} and r.ward25 is not null order by a.name, r.ward25`,
    );
    const ward = wards.some((w) => w.code === request.query.ward) ? request.query.ward! : null;
    const page = Math.max(1, Math.min(100_000, Number.parseInt(request.query.page ?? '1', 10) || 1));
    const where = sql`r.campaign_id = ${campaign.id}${channel ? sql` and r.channel = ${channel}` : sql``}${ward ? sql` and r.ward25 = ${ward}` : sql``}`;
    const [{ n: total }] = (await queryRows<{ n: number }>(db(), sql`select count(*)::int as n from voice_responses r where ${where}`)) as [{ n: number }];
    const rows = await queryRows<{ id: string; answered_at: Date | string; channel: ResponseChannel; ward_name: string | null; ward25: string | null; neighbourhood_name: string | null; sharing: string | null; owner: string | null; excerpt: string | null; themes: number }>(
      db(),
      sql`select r.id, r.answered_at, r.channel, r.ward25, w.name as ward_name, n.name as neighbourhood_name, n.sharing, n.owner_organisation_id as owner,
            (select coalesce(a.text, a.comment) from voice_answers a join voice_questions q on q.id = a.question_id where a.response_id = r.id and coalesce(a.text, a.comment) is not null order by a.text is null, q.position limit 1) as excerpt,
            (select count(*)::int from voice_response_themes t where t.response_id = r.id) as themes
          from voice_responses r left join areas w on w.vintage = 'ward25' and w.code = r.ward25 left join neighbourhoods n on n.id = r.neighbourhood_id
          where ${where} order by r.answered_at desc, r.received_at desc, r.id limit ${pageSize} offset ${(page - 1) * pageSize}`,
    );
    const viewer = await viewerOf(db(), request.user);
    const base = `${campaignPath(campaign)}/responses`;
    const query = (p: number) => {
      const q = new URLSearchParams();
      if (channel) q.set('channel', channel);
      if (ward) q.set('ward', ward);
      if (p > 1) q.set('page', String(p));
      const s = q.toString();
      return s ? `${base}?${s}` : base;
    };
    const pages = Math.max(1, Math.ceil(total / pageSize));
    return reply.page('community-voice/views/campaign-responses.njk', {
      pageTitle: `Responses: ${campaign.title}`,
      campaign,
      backHref: campaignPath(campaign),
      total,
      from: total ? (page - 1) * pageSize + 1 : 0,
      to: Math.min(total, page * pageSize),
      filtered: Boolean(channel || ward),
      clearHref: base,
      channelItems: [{ value: '', text: 'Any way', selected: !channel }, ...responseChannels.map((c) => ({ value: c, text: responseChannelLabels[c], selected: c === channel }))],
      wardItems: [{ value: '', text: 'Any ward', selected: !ward }, ...wards.map((w) => ({ value: w.code, text: w.name ?? w.code, selected: w.code === ward }))],
      responses: rows.map((r) => ({
        href: `${base}/${r.id}`,
        when: r.answered_at,
        channel: responseChannelLabels[r.channel],
        area: r.ward_name ?? r.ward25 ?? (r.neighbourhood_name && canSee(viewer, r.sharing as 'public', r.owner) ? r.neighbourhood_name : r.neighbourhood_name ? 'A neighbourhood' : 'Not given'),
        excerpt: r.excerpt ? (r.excerpt.length > 120 ? `${r.excerpt.slice(0, 117).trimEnd()}…` : r.excerpt) : null,
        themes: Number(r.themes),
      })),
      pagination:
        pages > 1
          ? {
              previous: page > 1 ? { href: query(page - 1) } : undefined,
              next: page < pages ? { href: query(page + 1) } : undefined,
              items: Array.from({ length: pages }, (_, i) => i + 1)
                .filter((p) => p === 1 || p === pages || Math.abs(p - page) <= 2)
                .flatMap((p, i, all) => [...(i > 0 && p - all[i - 1]! > 1 ? [{ ellipsis: true }] : []), { number: p, href: query(p), current: p === page }]),
            }
          : null,
    });
  });

  app.get('/organisations/:slug/voice/:campaignId/responses/:responseId', { config: { access: access.organisation('member') }, schema: { params: responseParams } }, async (request, reply) => {
    const campaign = await campaignOfOrganisation(request);
    if (!campaign || !isUuid(request.params.responseId)) return reply.callNotFound();
    const [response] = await queryRows<{
      id: string;
      channel: ResponseChannel;
      answered_at: Date | string;
      received_at: Date | string;
      location_source: string;
      lsoa21: string | null;
      lsoa_name: string | null;
      ward25: string | null;
      ward_name: string | null;
      lad25: string | null;
      lad_name: string | null;
      neighbourhood_name: string | null;
      sharing: string | null;
      owner: string | null;
      demographics_consent: boolean;
      captured_by: string | null;
      import_id: string | null;
      age_band: string | null;
      gender: string | null;
      ethnicity_group: string | null;
      disability: string | null;
      tenure: string | null;
    }>(
      db(),
      sql`select r.id, r.channel, r.answered_at, r.received_at, r.location_source, r.lsoa21, l.name as lsoa_name, r.ward25, w.name as ward_name, r.lad25, d.name as lad_name,
            n.name as neighbourhood_name, n.sharing, n.owner_organisation_id as owner, r.demographics_consent, u.name as captured_by, r.import_id,
            r.age_band, r.gender, r.ethnicity_group, r.disability, r.tenure
          from voice_responses r
          left join areas l on l.vintage = 'lsoa21' and l.code = r.lsoa21
          left join areas w on w.vintage = 'ward25' and w.code = r.ward25
          left join areas d on d.vintage = 'lad25' and d.code = r.lad25
          left join neighbourhoods n on n.id = r.neighbourhood_id
          left join users u on u.id = r.captured_by
          where r.id = ${request.params.responseId} and r.campaign_id = ${campaign.id}`,
    );
    if (!response) return reply.callNotFound();
    const answers = await queryRows<{ position: number; prompt: string; kind: string; text: string | null; choices: string[] | null; scale: number | null; comment: string | null; scale_max: number | null }>(
      db(),
      sql`select q.position, q.prompt, q.kind, a.text, a.choices, a.scale, a.comment, q.scale_max from voice_answers a join voice_questions q on q.id = a.question_id where a.response_id = ${response.id} order by q.position`,
    );
    const viewer = await viewerOf(db(), request.user);
    const named = (name: string | null, code: string | null) => (code ? (name ? `${name} (${code})` : code) : null);
    const column: Record<string, keyof typeof response> = { ageBand: 'age_band', gender: 'gender', ethnicityGroup: 'ethnicity_group', disability: 'disability', tenure: 'tenure' };
    const about = response.demographics_consent
      ? demographics.map((d) => {
          const value = response[column[d.key]!] as string | null;
          return { key: { text: d.label }, value: { text: value ? ((d.labels as Record<string, string>)[value] ?? value) : 'Not given' } };
        })
      : null;
    return reply.page('community-voice/views/campaign-response.njk', {
      pageTitle: `Response: ${campaign.title}`,
      campaign,
      backHref: `${campaignPath(campaign)}/responses`,
      tagHref: `${campaignPath(campaign)}/responses/${response.id}/tag`,
      canTag: holds(request, 'coordinator'),
      answers: answers.map((a) => ({
        ...a,
        answer: a.kind === 'scale' ? (a.scale === null ? null : `${a.scale} out of ${a.scale_max}`) : a.kind === 'text' ? a.text : a.choices?.join('; ') ?? null,
      })),
      detailRows: [
        { key: { text: 'Answered' }, value: { text: formatWhen(response.answered_at) } },
        { key: { text: 'How it was given' }, value: { text: responseChannelLabels[response.channel] } },
        ...(response.captured_by ? [{ key: { text: 'Captured by' }, value: { text: response.captured_by } }] : []),
        ...(response.location_source === 'postcode'
          ? [
              { key: { text: 'Small area (2021 LSOA)' }, value: { text: named(response.lsoa_name, response.lsoa21) ?? 'Not found' } },
              { key: { text: 'Ward' }, value: { text: named(response.ward_name, response.ward25) ?? 'Not found' } },
              { key: { text: 'District' }, value: { text: named(response.lad_name, response.lad25) ?? 'Not found' } },
            ]
          : response.location_source === 'neighbourhood'
            ? [{ key: { text: 'Neighbourhood' }, value: { text: response.neighbourhood_name ? (canSee(viewer, response.sharing as 'public', response.owner) ? response.neighbourhood_name : 'A neighbourhood not shared with you') : 'A neighbourhood since deleted' } }]
            : [{ key: { text: 'Where' }, value: { text: 'Not given' } }]),
      ],
      about,
    });
  });

  // ---- Contact details ---------------------------------------------------------------------------------------

  app.get('/organisations/:slug/voice/:campaignId/contacts', { config: { access: access.organisation('coordinator') }, schema: { params: campaignParams } }, async (request, reply) => {
    const campaign = await campaignOfOrganisation(request);
    if (!campaign) return reply.callNotFound();
    const contacts = await db().transaction(async (tx) => {
      const rows = await tx
        .select({ responseId: voiceContacts.responseId, name: voiceContacts.name, email: voiceContacts.email, phone: voiceContacts.phone, consentedAt: voiceContacts.consentedAt })
        .from(voiceContacts)
        .innerJoin(voiceResponses, eq(voiceResponses.id, voiceContacts.responseId))
        .where(eq(voiceResponses.campaignId, campaign.id))
        .orderBy(voiceContacts.consentedAt);
      // Personal details: who looked, and when, is kept, even when there was nothing to see.
      await recordAudit(tx, { actor: actorOf(request), action: 'voice.contacts.viewed', objectType: 'voice_campaign', objectId: campaign.id, organisationId: campaign.organisationId, details: { contacts: rows.length } });
      return rows;
    });
    return reply.page('community-voice/views/contacts-list.njk', {
      pageTitle: `Contact details: ${campaign.title}`,
      campaign,
      backHref: campaignPath(campaign),
      contacts: contacts.map((c) => ({ ...c, responseHref: `${campaignPath(campaign)}/responses/${c.responseId}`, eraseAction: `${campaignPath(campaign)}/contacts/${c.responseId}/erase` })),
    });
  });

  app.post('/organisations/:slug/voice/:campaignId/contacts/:responseId/erase', { config: { access: access.organisation('coordinator') }, schema: { params: responseParams, body: formBody } }, async (request, reply) => {
    const campaign = await campaignOfOrganisation(request);
    if (!campaign || !isUuid(request.params.responseId)) return reply.callNotFound();
    const erased = await db().transaction(async (tx) => {
      const [inCampaign] = await tx.select({ id: voiceResponses.id }).from(voiceResponses).where(and(eq(voiceResponses.id, request.params.responseId), eq(voiceResponses.campaignId, campaign.id)));
      if (!inCampaign) return false;
      const gone = await tx.delete(voiceContacts).where(eq(voiceContacts.responseId, inCampaign.id)).returning({ id: voiceContacts.responseId });
      if (!gone.length) return false;
      await recordAudit(tx, { actor: actorOf(request), action: 'voice.contact.erased', objectType: 'voice_response', objectId: inCampaign.id, organisationId: campaign.organisationId, details: { campaign: campaign.id } });
      return true;
    });
    if (!erased) return reply.callNotFound();
    return reply.flash('Contact details erased. What they said is kept, with nothing to identify them.').redirect(`${campaignPath(campaign)}/contacts`, 303);
  });
};

function datesText(c: Pick<Campaign, 'opensOn' | 'closesOn'>): string {
  const day = (iso: string) => new Intl.DateTimeFormat('en-GB', { dateStyle: 'long', timeZone: 'UTC' }).format(new Date(`${iso}T00:00:00Z`));
  if (c.opensOn && c.closesOn) return `${day(c.opensOn)} to ${day(c.closesOn)}`;
  if (c.opensOn) return `From ${day(c.opensOn)}`;
  if (c.closesOn) return `Until ${day(c.closesOn)}`;
  return 'No dates set';
}

function formatWhen(value: Date | string): string {
  return new Intl.DateTimeFormat('en-GB', { dateStyle: 'long', timeStyle: 'short', timeZone: 'Europe/London' }).format(value instanceof Date ? value : new Date(value));
}

