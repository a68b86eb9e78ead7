import { sql, type SQL } from 'drizzle-orm';
import { queryRows, type Tx } from '../../platform/db/database.ts';
import type { StoryConsent } from './schema.ts';
import { outcomePath, storyPath } from './web.ts';

/**
 * Stories: dated accounts of change told beside the numbers, tagged to outcomes and areas. A story is shown
 * outside the partnership only when published, and it can be published only with the consent of the person it
 * is about (a check constraint holds that in the database too).
 */

/** An area a story is tagged to: `ward25`/`lad25` and a code, or `neighbourhood` and the neighbourhood's id. */
export type StoryArea = { vintage: string; code: string; name: string };

export type StoryView = {
  id: string;
  partnershipId: string;
  partnershipName: string;
  toldOn: string;
  title: string;
  body: string;
  quote: string | null;
  consent: StoryConsent;
  consentOn: string | null;
  published: boolean;
  sample: boolean;
  outcomes: { id: string; title: string; href: string }[];
  areas: StoryArea[];
  href: string;
};

export type StoryFilter = {
  partnershipId?: string;
  storyId?: string;
  outcomeId?: string;
  area?: { vintage: string; code: string };
  /** Outside the partnership (area pages, the public), only published stories. */
  publishedOnly: boolean;
};

/** Stories matching the filter, newest first, each with its outcomes and areas (named). */
export async function storiesFor(db: Tx, filter: StoryFilter, limit = 200): Promise<StoryView[]> {
  const where: SQL[] = [];
  if (filter.partnershipId) where.push(sql`s.partnership_id = ${filter.partnershipId}`);
  if (filter.storyId) where.push(sql`s.id = ${filter.storyId}`);
  if (filter.outcomeId) where.push(sql`exists (select 1 from impact_story_outcomes so where so.story_id = s.id and so.outcome_id = ${filter.outcomeId})`);
  if (filter.area) where.push(sql`exists (select 1 from impact_story_areas sa where sa.story_id = s.id and sa.vintage = ${filter.area.vintage} and sa.code = ${filter.area.code})`);
  if (filter.publishedOnly) where.push(sql`s.published`);
  const rows = await queryRows<{ id: string; partnership_id: string; partnership_name: string; told_on: string; title: string; body: string; quote: string | null; consent: StoryConsent; consent_on: string | null; published: boolean; sample: boolean }>(
    db,
    sql`select s.id, s.partnership_id, p.name as partnership_name, s.told_on::text as told_on, s.title, s.body, s.quote, s.consent, s.consent_on::text as consent_on, s.published, s.sample
        from impact_stories s join partnerships p on p.id = s.partnership_id
        ${where.length ? sql`where ${sql.join(where, sql` and `)}` : sql``}
        order by s.told_on desc, s.created_at desc limit ${limit}`,
  );
  if (!rows.length) return [];
  const ids = sql.join(rows.map((r) => sql`${r.id}`), sql`, `);
  const [outcomes, areas] = await Promise.all([
    queryRows<{ story_id: string; id: string; title: string; partnership_id: string }>(
      db,
      sql`select so.story_id, o.id, o.title, o.partnership_id from impact_story_outcomes so join impact_outcomes o on o.id = so.outcome_id where so.story_id in (${ids}) order by o.position, o.title`,
    ),
    queryRows<{ story_id: string; vintage: string; code: string; name: string | null }>(
      db,
      sql`select sa.story_id, sa.vintage, sa.code, coalesce(a.name, n.name) as name from impact_story_areas sa
          left join areas a on sa.vintage <> 'neighbourhood' and a.vintage = sa.vintage and a.code = sa.code
          left join neighbourhoods n on sa.vintage = 'neighbourhood' and n.id::text = sa.code
          where sa.story_id in (${ids}) order by name`,
    ),
  ]);
  return rows.map((r) => ({
    id: r.id,
    partnershipId: r.partnership_id,
    partnershipName: r.partnership_name,
    toldOn: r.told_on,
    title: r.title,
    body: r.body,
    quote: r.quote,
    consent: r.consent,
    consentOn: r.consent_on,
    published: r.published,
    sample: r.sample,
    outcomes: outcomes.filter((o) => o.story_id === r.id).map((o) => ({ id: o.id, title: o.title, href: outcomePath(o.partnership_id, o.id) })),
    areas: areas.filter((a) => a.story_id === r.id).map((a) => ({ vintage: a.vintage, code: a.code, name: a.name ?? a.code })),
    href: storyPath(r.partnership_id, r.id),
  }));
}
