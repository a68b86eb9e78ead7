import { sql } from 'drizzle-orm';
import { queryRows, type Tx } from '../../platform/db/database.ts';
import { fewerThan, suppress } from '../../platform/statistics/suppression.ts';
import { responseIn, type VoiceArea } from './areas.ts';
import { compassFor, type CompassView } from './place-standard.ts';
import { campaignKindLabels, type CampaignKind } from './vocabulary.ts';
import { publicSummaryPath } from './web.ts';

/**
 * "What residents said" on area and neighbourhood profiles: the published campaigns with responses in the
 * area, how many (suppressed), the themes most often tagged there (only those with at least the threshold of
 * responses, at most five), and for Place Standard assessments the compass for the area. Only published
 * campaigns appear: a profile is public, and what a campaign shows publicly is its organisation's choice.
 */

export const maxProfileThemes = 5;

export type ResidentsCampaign = {
  id: string;
  title: string;
  kind: string;
  kindLabel: string;
  organisationName: string;
  opensOn: string | null;
  closesOn: string | null;
  sample: boolean;
  responses: string;
  themes: { name: string; responses: number }[];
  compass: CompassView | null;
  href: string;
};

export type Residents = { campaigns: ResidentsCampaign[]; areaName: string; threshold: number };

export async function residentsSaid(db: Tx, area: VoiceArea, threshold: number): Promise<Residents> {
  const rows = await queryRows<{ id: string; title: string; kind: CampaignKind; organisation_name: string; opens_on: string | null; closes_on: string | null; sample: boolean; repeat_of_id: string | null; lad25: string | null; n: number }>(
    db,
    sql`select c.id, c.title, c.kind, o.name as organisation_name, to_char(c.opens_on, 'YYYY-MM-DD') as opens_on, to_char(c.closes_on, 'YYYY-MM-DD') as closes_on,
               c.sample, c.repeat_of_id, c.lad25, count(*)::int as n
        from voice_responses r join voice_campaigns c on c.id = r.campaign_id join organisations o on o.id = c.organisation_id
        where c.published and ${responseIn(area)}
        group by c.id, c.title, c.kind, o.name, c.opens_on, c.closes_on, c.sample, c.repeat_of_id, c.lad25, c.published_at
        order by c.published_at desc nulls last, c.title`,
  );
  if (!rows.length) return { campaigns: [], areaName: area.name, threshold };
  const themes = await queryRows<{ campaign_id: string; name: string; n: number }>(
    db,
    sql`select r.campaign_id, t.name, count(distinct r.id)::int as n
        from voice_response_themes rt join voice_responses r on r.id = rt.response_id join voice_themes t on t.id = rt.theme_id
        where r.campaign_id in (${sql.join(rows.map((c) => sql`${c.id}::uuid`), sql`, `)}) and ${responseIn(area)}
        group by r.campaign_id, t.name
        having count(distinct r.id) >= ${threshold}
        order by n desc, t.name`,
  );
  const campaigns: ResidentsCampaign[] = [];
  for (const c of rows) {
    const n = suppress(Number(c.n), threshold);
    campaigns.push({
      id: c.id,
      title: c.title,
      kind: c.kind,
      kindLabel: campaignKindLabels[c.kind] ?? c.kind,
      organisationName: c.organisation_name,
      opensOn: c.opens_on,
      closesOn: c.closes_on,
      sample: Boolean(c.sample),
      responses: n.suppressed ? fewerThan(threshold) : String(n.value),
      themes: themes
        .filter((t) => t.campaign_id === c.id)
        .slice(0, maxProfileThemes)
        .map((t) => ({ name: t.name, responses: Number(t.n) })),
      // Only worth drawing where enough people answered here for some theme to show.
      compass:
        c.kind === 'place-standard' && !n.suppressed
          ? await compassFor(db, { id: c.id, title: c.title, repeatOfId: c.repeat_of_id, lad25: c.lad25 }, { area }, threshold, `compass-${c.id.slice(0, 8)}`)
          : null,
      href: publicSummaryPath(c),
    });
  }
  return { campaigns, areaName: area.name, threshold };
}
