import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access, viewerOf } from '../../platform/auth/permissions.ts';
import { formProblems } from '../../platform/web/forms.ts';
import { cellText } from '../../platform/statistics/suppression.ts';
import { areaChoices, areaKey, resolveArea, type VoiceArea } from './areas.ts';
import { compassView, groupKeys, groupLabels, placeStandardResults, type GroupKey } from './place-standard.ts';
import { campaignOfOrganisation, campaignPath } from './web.ts';

/**
 * The Place Standard results page: the compass and its table for a campaign, for one area if chosen, split by
 * ward or by a demographic band, and beside the earlier assessment it repeats. A GET form, so every view has
 * an address that can be shared.
 */

const params = z.object({ slug: z.string().max(100), campaignId: z.string().max(100) });
const query = z.object({ area: z.string().max(100).optional(), group: z.string().max(40).optional(), compare: z.string().max(10).optional() });

export const placeStandardRoutes: FastifyPluginAsync = async (root) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const db = () => app.database.db;

  app.get('/organisations/:slug/voice/:campaignId/place-standard', { config: { access: access.organisation('viewer') }, schema: { params, querystring: query } }, async (request, reply) => {
    const campaign = await campaignOfOrganisation(request);
    if (!campaign || campaign.kind !== 'place-standard') return reply.callNotFound();
    const threshold = app.config.suppressionThreshold;
    const viewer = await viewerOf(db(), request.user);
    const { errors, fail } = formProblems();

    const areaText = request.query.area?.trim() ?? '';
    let area: VoiceArea | null = null;
    if (areaText) {
      area = await resolveArea(db(), viewer, areaText);
      if (!area) fail('area', 'Choose an area from the list, or the whole campaign');
    }
    const groupText = request.query.group?.trim() ?? '';
    const group = (groupKeys as readonly string[]).includes(groupText) ? (groupText as GroupKey) : null;
    if (groupText && !group) fail('group', 'Choose how to split the results from the list, or not at all');
    const compare = request.query.compare === 'yes' && campaign.repeatOfId !== null;

    const results = await placeStandardResults(db(), campaign, { area, group, compare }, threshold);
    const compass = compassView(results, `${campaign.title}${area ? ` in ${area.name}` : ''}`);

    const chosenKey = area ? areaKey(area) : '';
    const areaItems = await areaChoices(db(), campaign, area, chosenKey);
    const groupItems = [{ value: '', text: 'Do not split', selected: !group }, ...groupKeys.map((k) => ({ value: k, text: k === 'area' ? 'By ward' : `By ${groupLabels[k].toLowerCase()}`, selected: k === group }))];

    const distribution = results.overall.themes.map((t) => ({
      label: t.label,
      cells: t.distribution.map((c) => cellText(c, threshold)),
      n: cellText(t.n, threshold),
      median: t.median === null ? cellText(t.n, threshold) : t.median.toFixed(1).replace(/\.0$/, ''),
    }));

    return reply.page(
      'community-voice/views/place-standard.njk',
      {
        pageTitle: `Place Standard results: ${campaign.title}`,
        campaign,
        area,
        group,
        groupLabel: group ? groupLabels[group] : null,
        compare,
        canCompare: campaign.repeatOfId !== null,
        earlier: results.earlier,
        compass,
        headline: compass.headline,
        respondents: cellText(results.overall.respondents, threshold),
        distribution,
        comments: results.comments,
        areaItems,
        groupItems,
        errors: errors.summary.length ? errors : undefined,
        campaignHref: campaignPath(campaign),
        formAction: campaignPath(campaign, '/place-standard'),
      },
      errors.summary.length ? 400 : 200,
    );
  });
};
