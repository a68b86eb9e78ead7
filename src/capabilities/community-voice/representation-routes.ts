import { stringify } from 'csv-stringify/sync';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access, viewerOf } from '../../platform/auth/permissions.ts';
import { cellText, fewerThan, type Shown } from '../../platform/statistics/suppression.ts';
import { formProblems, type FormErrors } from '../../platform/web/forms.ts';
import { areaKey, resolveArea, wardsOf, type VoiceArea } from './areas.ts';
import { questionsOf, type Campaign } from './campaigns.ts';
import {
  analyse,
  defaultArea,
  districtOf,
  flagLabels,
  gather,
  overRepresentedAbove,
  underRepresentedBelow,
  weightChoiceLabels,
  weightChoices,
  type Representation,
  type WeightChoice,
} from './representation.ts';
import { campaignOfOrganisation, campaignParams, campaignPath } from './web.ts';
import { defaultCapMultiple } from './weighting.ts';

/**
 * Whose voice? For a campaign and an area: respondents beside residents by area and by age, the other
 * demographics respondents gave, and results re-weighted to the population beside the unweighted ones. A GET
 * form, so every view has an address to share; the CSV carries the same suppressed figures.
 */

const query = z.object({ area: z.string().max(100).optional(), areaKey: z.string().max(100).optional(), weight: z.string().max(20).optional(), cap: z.string().max(10).optional() });
type Query = z.infer<typeof query>;

const capChoices = [
  { value: '5', text: '5 times the average weight (recommended)' },
  { value: '3', text: '3 times the average weight' },
  { value: '10', text: '10 times the average weight' },
  { value: 'none', text: 'No limit' },
];

type Choices = { area: VoiceArea | null; weight: WeightChoice; cap: number | null; capText: string; errors?: FormErrors };

async function choicesOf(request: FastifyRequest, campaign: Campaign, q: Query): Promise<Choices> {
  const db = request.server.database.db;
  const viewer = await viewerOf(db, request.user);
  const { errors, fail } = formProblems();
  // The text box, when filled in, wins over the list: it is how a neighbourhood is chosen.
  const typed = q.areaKey?.trim() ?? '';
  const areaText = typed || (q.area?.trim() ?? '');
  let area: VoiceArea | null = null;
  if (areaText) {
    area = await resolveArea(db, viewer, areaText);
    if (!area) fail(typed ? 'areaKey' : 'area', `"${areaText.slice(0, 60)}" is not an area Patchwork knows: choose one from the list, or enter a key like ward25:E05000841 or neighbourhood:<its id>`);
  } else area = await defaultArea(db, viewer, campaign);
  const weightText = q.weight?.trim() || 'none';
  const weight = (weightChoices as readonly string[]).includes(weightText) ? (weightText as WeightChoice) : 'none';
  if (weight !== weightText) fail('weight', 'Choose how to weight the results from the list');
  const capText = q.cap?.trim() || String(defaultCapMultiple);
  if (!capChoices.some((c) => c.value === capText)) fail('cap', 'Choose a limit on weights from the list');
  const cap = capText === 'none' ? null : Number(capChoices.some((c) => c.value === capText) ? capText : defaultCapMultiple);
  return { area, weight, cap, capText, errors: errors.summary.length ? errors : undefined };
}

// ---- Presenting numbers: the page and the CSV say the same ----
const pct = (share: number | null, digits = 1) => (share === null ? null : `${(share * 100).toFixed(digits)}%`);
const count = (shown: Shown, threshold: number) => cellText(shown, threshold);
const ratio = (r: number | null) => (r === null ? null : r.toFixed(2));
const points = (p: number | null) => (p === null ? null : `${p > 0 ? '+' : p < 0 ? '−' : ''}${Math.abs(p).toFixed(1)}`);
const people = (n: number | null) => (n === null ? null : Math.round(n).toLocaleString('en-GB'));
const mean = (m: number | null) => (m === null ? null : m.toFixed(2));

function present(r: Representation) {
  const t = r.threshold;
  const hidden = fewerThan(t);
  return {
    headline: r.headline,
    responses: count(r.responses, t),
    byArea: {
      rows: r.byArea.rows.map((row) => ({
        code: row.code,
        name: row.name,
        responses: count(row.responses, t),
        responseShare: pct(row.responseShare) ?? (row.responses.suppressed ? count(row.responses, t) : '—'),
        population: people(row.population) ?? '—',
        populationShare: pct(row.populationShare) ?? '—',
        ratio: ratio(row.ratio) ?? (row.responses.suppressed ? count(row.responses, t) : '—'),
        perThousand: row.perThousand === null ? (row.responses.suppressed ? count(row.responses, t) : '—') : row.perThousand.toFixed(1),
        flag: row.flag ? flagLabels[row.flag] : '',
        flagKey: row.flag,
      })),
      total: count(r.byArea.total, t),
      outside: r.byArea.outsideAny ? count(r.byArea.outside, t) : null,
      population: people(r.byArea.population),
    },
    byAge: {
      rows: r.byAge.rows.map((row) => ({
        band: row.band,
        label: row.label,
        respondents: count(row.respondents, t),
        respondentShare: pct(row.respondentShare) ?? hidden,
        residentShare: pct(row.residentShare) ?? '—',
        difference: points(row.differencePoints) ?? hidden,
        ratio: ratio(row.ratio) ?? hidden,
        flag: row.flag ? flagLabels[row.flag] : '',
        flagKey: row.flag,
      })),
      gaveAge: count(r.byAge.gaveAge, t),
      notGiven: count(r.byAge.notGiven, t),
      underSixteen: count(r.byAge.underSixteen, t),
      population: people(r.byAge.population),
      sharesHidden: r.byAge.sharesHidden,
    },
    others: r.others.map((b) => ({ label: b.label, cells: b.cells.map((c) => ({ label: c.label, count: count(c.count, t), share: pct(c.share) ?? (c.count.suppressed ? count(c.count, t) : hidden) })), notGiven: count(b.notGiven, t) })),
    weighting: r.weighting && {
      label: weightChoiceLabels[r.weighting.choice],
      iterations: r.weighting.result.iterations,
      converged: r.weighting.result.converged,
      effectiveSampleSize: r.weighting.result.effectiveSampleSize.toFixed(1),
      designEffect: r.weighting.result.designEffect.toFixed(2),
      capped: r.weighting.result.capped && { cap: r.weighting.result.capped.cap.toFixed(2), trimmed: r.weighting.result.capped.trimmed },
      margins: r.weighting.margins.map((m) => ({ name: m.name, unmatched: m.unmatchedAny ? count(m.unmatched, t) : null, unweightable: m.unweightable })),
    },
    questions: r.questions.map((q) => ({
      prompt: q.prompt,
      position: q.position,
      kind: q.kind,
      answered: count(q.answered, t),
      options: q.options.map((o) => ({ option: o.option, count: count(o.count, t), share: pct(o.share) ?? (o.count.suppressed ? count(o.count, t) : hidden), weightedShare: pct(o.weightedShare) ?? (o.count.suppressed ? count(o.count, t) : hidden) })),
      mean: mean(q.mean) ?? hidden,
      weightedMean: mean(q.weightedMean) ?? hidden,
    })),
  };
}

/** One flat table: every figure of the page, as shown there (suppressed cells read "fewer than 5"). */
function representationCsv(campaign: Campaign, r: Representation, p: ReturnType<typeof present>, weight: WeightChoice): string {
  const rows: Record<string, string | number | null>[] = [];
  const base = { campaign: campaign.title, area: r.area.name, area_key: areaKey(r.area) };
  for (const row of p.byArea.rows) {
    rows.push({ ...base, table: r.rowKind === 'ward' ? 'by ward' : 'by LSOA', code: row.code, group: row.name, responses: row.responses, response_share: row.responseShare, residents_16_plus: row.population, resident_share: row.populationShare, ratio: row.ratio, per_1000_residents: row.perThousand, flag: row.flag });
  }
  for (const row of p.byAge.rows) {
    rows.push({ ...base, table: 'by age band', code: row.band, group: row.label, responses: row.respondents, response_share: row.respondentShare, resident_share: row.residentShare, difference_points: row.difference, ratio: row.ratio, flag: row.flag });
  }
  rows.push({ ...base, table: 'by age band', code: 'not-given', group: 'Did not give an age', responses: p.byAge.notGiven });
  for (const b of p.others) {
    for (const c of b.cells) rows.push({ ...base, table: b.label, group: c.label, responses: c.count, response_share: c.share });
    rows.push({ ...base, table: b.label, group: 'Not given', responses: b.notGiven });
  }
  for (const q of p.questions) {
    if (q.kind === 'scale') rows.push({ ...base, table: `question ${q.position}`, group: q.prompt, responses: q.answered, mean: q.mean, weighting: weight, weighted_mean: weight === 'none' ? null : q.weightedMean });
    for (const o of q.options) rows.push({ ...base, table: `question ${q.position}`, group: `${q.prompt}: ${o.option}`, responses: o.count, response_share: o.share, weighting: weight, weighted_share: weight === 'none' ? null : o.weightedShare });
  }
  const columns = ['campaign', 'area', 'area_key', 'table', 'code', 'group', 'responses', 'response_share', 'residents_16_plus', 'resident_share', 'difference_points', 'ratio', 'per_1000_residents', 'flag', 'mean', 'weighting', 'weighted_share', 'weighted_mean'];
  return stringify(rows, { header: true, columns });
}

export const representationRoutes: FastifyPluginAsync = async (root) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const db = () => app.database.db;

  const compute = async (campaign: Campaign, choices: Choices): Promise<Representation | null> => {
    if (!choices.area || choices.errors) return null;
    const questions = await questionsOf(db(), campaign.id);
    return analyse(await gather(db(), campaign, questions, choices.area), { threshold: app.config.suppressionThreshold, weight: choices.weight, capMultiple: choices.cap });
  };

  app.get('/organisations/:slug/voice/:campaignId/representation', { config: { access: access.organisation('viewer') }, schema: { params: campaignParams, querystring: query } }, async (request, reply) => {
    const campaign = await campaignOfOrganisation(request);
    if (!campaign) return reply.callNotFound();
    const choices = await choicesOf(request, campaign, request.query);
    const result = await compute(campaign, choices);
    const district = await districtOf(db(), campaign, choices.area);
    const chosenKey = choices.area ? areaKey(choices.area) : '';
    const wards = district ? await wardsOf(db(), district.code) : [];
    const areaItems = [
      ...(district ? [{ value: `lad25:${district.code}`, text: `${district.name} (district)` }] : []),
      ...wards.map((w) => ({ value: `ward25:${w.code}`, text: `${w.name} (ward)` })),
    ];
    const listed = areaItems.some((i) => i.value === chosenKey);
    const query = new URLSearchParams(Object.entries({ area: chosenKey, weight: choices.weight, cap: choices.capText }).filter(([, v]) => v)).toString();
    return reply.page(
      'community-voice/views/representation-show.njk',
      {
        pageTitle: `Whose voice? ${campaign.title}`,
        campaign,
        area: choices.area,
        rowWord: result?.rowKind === 'lsoa' ? 'LSOA' : 'ward',
        r: result && present(result),
        weight: choices.weight,
        weightLabel: weightChoiceLabels[choices.weight],
        areaItems: [{ value: '', text: 'Choose an area', selected: !listed && !chosenKey }, ...areaItems.map((i) => ({ ...i, selected: i.value === chosenKey }))],
        areaKeyValue: listed ? '' : (request.query.areaKey ?? chosenKey),
        weightItems: weightChoices.map((w) => ({ value: w, text: weightChoiceLabels[w], checked: w === choices.weight })),
        capItems: capChoices.map((c) => ({ ...c, selected: c.value === choices.capText })),
        threshold: app.config.suppressionThreshold,
        fewer: fewerThan(app.config.suppressionThreshold),
        underRepresentedBelow,
        overRepresentedAbove,
        errors: choices.errors,
        formAction: campaignPath(campaign, '/representation'),
        csvHref: campaignPath(campaign, `/representation.csv${query ? `?${query}` : ''}`),
        campaignHref: campaignPath(campaign),
      },
      choices.errors ? 400 : 200,
    );
  });

  app.get('/organisations/:slug/voice/:campaignId/representation.csv', { config: { access: access.organisation('viewer') }, schema: { params: campaignParams, querystring: query } }, async (request, reply) => {
    const campaign = await campaignOfOrganisation(request);
    if (!campaign) return reply.callNotFound();
    const choices = await choicesOf(request, campaign, request.query);
    if (choices.errors) return reply.code(400).type('text/plain; charset=utf-8').send(choices.errors.summary.map((e) => e.text).join('\n'));
    if (!choices.area) return reply.code(400).type('text/plain; charset=utf-8').send('Choose an area: this campaign has no district and no responses placed in one.');
    const result = (await compute(campaign, choices))!;
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="representation-${campaign.id}.csv"`)
      .header('cache-control', 'private, no-store')
      .send(representationCsv(campaign, result, present(result), choices.weight));
  });
};
