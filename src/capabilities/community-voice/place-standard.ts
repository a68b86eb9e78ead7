import { sql, type SQL } from 'drizzle-orm';
import { queryRows, type Tx } from '../../platform/db/database.ts';
import { cellText, fewerThan, suppress, suppressBreakdown, type Shown } from '../../platform/statistics/suppression.ts';
import type { Campaign } from './campaigns.ts';
import { responseIn, wardsOf, type VoiceArea } from './areas.ts';
import { compassSvg, type CompassSeries } from './compass-svg.ts';
import { demographics, placeStandardScale, placeStandardThemes, type DemographicKey } from './vocabulary.ts';

/**
 * Place Standard results: for each of the 14 themes, how many rated it, the mean and median rating and how the
 * ratings spread over 1–7, for the whole campaign or one area, split by ward or by a demographic band, and set
 * beside the earlier assessment it repeats.
 *
 * Suppression: a theme's number of ratings goes through suppress(); its mean and median are hidden with it.
 * The spread over 1–7 is a breakdown shown beside its total, so it goes through suppressBreakdown(). When the
 * results are split into groups, each theme's group counts are a breakdown of the overall count, so they go
 * through suppressBreakdown() too, and a group's mean is hidden whenever its count is: otherwise the overall
 * mean and the other groups' means and counts would give a hidden group's mean back.
 */

export const groupKeys = ['area', ...demographics.map((d) => d.key)] as const;
export type GroupKey = 'area' | DemographicKey;
export const groupLabels: Record<GroupKey, string> = { area: 'Ward', ...Object.fromEntries(demographics.map((d) => [d.key, d.label])) } as Record<GroupKey, string>;

export type ThemeResult = {
  key: string;
  label: string;
  /** Number of ratings, suppressed. */
  n: Shown;
  /** Hidden (null) whenever n is hidden. */
  mean: number | null;
  median: number | null;
  /** Ratings of 1, 2 … 7, suppressed as a breakdown of n. */
  distribution: Shown[];
};

export type Series = { key: string; label: string; respondents: Shown; themes: ThemeResult[] };

export type PlaceStandardOptions = { area?: VoiceArea | null; group?: GroupKey | null; compare?: boolean };

export type PlaceStandardResults = {
  overall: Series;
  /** One series per group when split; empty otherwise. */
  groups: Series[];
  /** The earlier assessment this repeats, in the same area, when asked for and there is one. */
  earlier: (Series & { campaignId: string; title: string }) | null;
  /** Per theme: this assessment's mean less the earlier one's (one decimal), or null when either is hidden. */
  change: (number | null)[];
  comments: { key: string; label: string; comments: string[] }[];
  threshold: number;
};

type Count = { theme: string; scale: number; grp: string | null; n: number };

const scaleValues = Array.from({ length: placeStandardScale.max - placeStandardScale.min + 1 }, (_, i) => placeStandardScale.min + i);

/** The median of ratings given as counts of each value 1–7 (the mean of the two middle ratings when n is even). */
export function medianOf(counts: readonly number[]): number | null {
  const n = counts.reduce((a, b) => a + b, 0);
  if (!n) return null;
  const at = (k: number) => {
    let seen = 0;
    for (let i = 0; i < counts.length; i++) {
      seen += counts[i]!;
      if (seen > k) return scaleValues[i]!;
    }
    return scaleValues[scaleValues.length - 1]!;
  };
  return n % 2 ? at((n - 1) / 2) : (at(n / 2 - 1) + at(n / 2)) / 2;
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/** One theme's figures from its counts of each rating; `shown` is false when a wider breakdown hides its count. */
function themeResult(theme: (typeof placeStandardThemes)[number], counts: number[], threshold: number, shown = true): ThemeResult {
  const n = counts.reduce((a, b) => a + b, 0);
  const visible = shown && n >= threshold;
  const sum = counts.reduce((a, c, i) => a + c * scaleValues[i]!, 0);
  return {
    key: theme.key,
    label: theme.label,
    n: visible ? { value: n, suppressed: false } : n >= threshold ? { value: null, suppressed: true, secondary: true } : { value: null, suppressed: true },
    mean: visible ? sum / n : null,
    median: visible ? medianOf(counts) : null,
    distribution: visible ? suppressBreakdown(counts, threshold).cells : counts.map(() => ({ value: null, suppressed: true })),
  };
}

function countsFor(rows: Count[], theme: string, grp: string | null | undefined): number[] {
  const counts = scaleValues.map(() => 0);
  for (const r of rows) {
    if (r.theme !== theme || (grp !== undefined && r.grp !== grp)) continue;
    const i = r.scale - placeStandardScale.min;
    if (i >= 0 && i < counts.length) counts[i]! += r.n;
  }
  return counts;
}

function groupColumn(group: GroupKey | null | undefined): SQL {
  if (!group) return sql`null::text`;
  if (group === 'area') return sql`r.ward25`;
  const d = demographics.find((x) => x.key === group)!;
  return sql.raw(`r.${d.column}::text`);
}

async function ratingCounts(db: Tx, campaignId: string, area: VoiceArea | null | undefined, group: GroupKey | null | undefined): Promise<{ counts: Count[]; respondents: { grp: string | null; n: number }[] }> {
  const where = sql`q.campaign_id = ${campaignId} and q.place_standard_theme is not null and a.scale is not null${area ? sql` and ${responseIn(area)}` : sql``}`;
  const grp = groupColumn(group);
  const counts = await queryRows<Count>(
    db,
    sql`select q.place_standard_theme as theme, a.scale, ${grp} as grp, count(*)::int as n
        from voice_answers a join voice_questions q on q.id = a.question_id join voice_responses r on r.id = a.response_id
        where ${where} group by 1, 2, 3`,
  );
  const respondents = await queryRows<{ grp: string | null; n: number }>(
    db,
    sql`select ${grp} as grp, count(distinct r.id)::int as n
        from voice_answers a join voice_questions q on q.id = a.question_id join voice_responses r on r.id = a.response_id
        where ${where} group by 1`,
  );
  return { counts: counts.map((c) => ({ ...c, scale: Number(c.scale), n: Number(c.n) })), respondents: respondents.map((r) => ({ ...r, n: Number(r.n) })) };
}

const notGiven: Record<GroupKey, string> = { area: 'Ward not known', ageBand: 'Age not given', gender: 'Gender not given', ethnicityGroup: 'Ethnic group not given', disability: 'Disability not given', tenure: 'Home not given' };

/** The groups to show, in a fixed order: wards by name (of the district), demographic bands as asked. */
async function groupsOf(db: Tx, group: GroupKey, present: Set<string | null>, district: string | null): Promise<{ value: string | null; label: string }[]> {
  let known: { value: string; label: string }[];
  if (group === 'area') {
    const wards = district ? await wardsOf(db, district) : [];
    const names = new Map(wards.map((w) => [w.code, w.name]));
    const others = [...present].filter((c): c is string => c !== null && !names.has(c));
    const otherNames = others.length ? await queryRows<{ code: string; name: string }>(db, sql`select code, name from areas where vintage = 'ward25' and code in (${sql.join(others.map((c) => sql`${c}`), sql`, `)})`) : [];
    for (const o of otherNames) names.set(o.code, o.name);
    known = [...present]
      .filter((c): c is string => c !== null)
      .map((c) => ({ value: c, label: names.get(c) ?? c }))
      .sort((a, b) => a.label.localeCompare(b.label));
  } else {
    const d = demographics.find((x) => x.key === group)!;
    known = (d.values as readonly string[]).filter((v) => present.has(v)).map((v) => ({ value: v, label: (d.labels as Record<string, string>)[v]! }));
  }
  return present.has(null) ? [...known, { value: null, label: notGiven[group] }] : known;
}

function seriesOf(key: string, label: string, counts: Count[], respondents: number, threshold: number, grp?: string | null, hidden?: boolean[]): Series {
  return {
    key,
    label,
    respondents: suppress(respondents, threshold),
    themes: placeStandardThemes.map((t, i) => themeResult(t, countsFor(counts, t.key, grp), threshold, !hidden?.[i])),
  };
}

export type ResultsCampaign = Pick<Campaign, 'id' | 'title' | 'repeatOfId' | 'lad25'>;

export async function placeStandardResults(db: Tx, campaign: ResultsCampaign, options: PlaceStandardOptions, threshold: number): Promise<PlaceStandardResults> {
  const { area, group } = options;
  const { counts, respondents } = await ratingCounts(db, campaign.id, area, group);
  const total = respondents.reduce((a, r) => a + r.n, 0);
  const overall = seriesOf('all', area ? `All in ${area.name}` : 'Everyone', counts, total, threshold);

  let groups: Series[] = [];
  if (group) {
    const district = area?.kind === 'lad25' ? area.code : campaign.lad25;
    const present = new Set<string | null>(respondents.map((r) => r.grp));
    const list = await groupsOf(db, group, present, district);
    // Per theme, the groups' counts are a breakdown of the overall count: hide enough of them (secondary suppression).
    const hiddenByTheme = placeStandardThemes.map((t) => {
      const cells = suppressBreakdown(list.map((g) => countsFor(counts, t.key, g.value).reduce((a, b) => a + b, 0)), threshold).cells;
      return cells.map((c) => c.suppressed);
    });
    groups = list.map((g, gi) =>
      seriesOf(
        `group:${g.value ?? 'none'}`,
        g.label,
        counts,
        respondents.find((r) => r.grp === g.value)?.n ?? 0,
        threshold,
        g.value,
        hiddenByTheme.map((h) => h[gi]!),
      ),
    );
    const respondentCells = suppressBreakdown(list.map((g) => respondents.find((r) => r.grp === g.value)?.n ?? 0), threshold).cells;
    groups.forEach((s, i) => (s.respondents = respondentCells[i]!));
  }

  let earlier: PlaceStandardResults['earlier'] = null;
  if (options.compare && campaign.repeatOfId) {
    const [before] = await queryRows<{ id: string; title: string }>(db, sql`select id, title from voice_campaigns where id = ${campaign.repeatOfId}`);
    if (before) {
      const then = await ratingCounts(db, before.id, area, null);
      const s = seriesOf('earlier', `Earlier: ${before.title}`, then.counts, then.respondents.reduce((a, r) => a + r.n, 0), threshold);
      earlier = { ...s, campaignId: before.id, title: before.title };
    }
  }
  const change = overall.themes.map((t, i) => {
    const e = earlier?.themes[i];
    return t.mean !== null && e && e.mean !== null ? round1(round1(t.mean) - round1(e.mean)) : null;
  });

  const quoted = await queryRows<{ theme: string; words: string }>(
    db,
    sql`select q.place_standard_theme as theme, coalesce(a.quote, a.comment) as words
        from voice_answers a join voice_questions q on q.id = a.question_id join voice_responses r on r.id = a.response_id
        where q.campaign_id = ${campaign.id} and q.place_standard_theme is not null and a.publishable and coalesce(a.quote, a.comment) is not null
        ${area ? sql`and ${responseIn(area)}` : sql``}
        order by r.answered_at, r.id`,
  );
  const comments = placeStandardThemes.map((t) => ({ key: t.key, label: t.label, comments: quoted.filter((q) => q.theme === t.key).map((q) => q.words) })).filter((c) => c.comments.length);

  return { overall, groups, earlier, change, comments, threshold };
}

/** "Rated lowest: Feeling safe (2.8); highest: Natural space (5.6)" — the answer first, from the shown means only. */
export function headline(series: Series): string | null {
  const shown = series.themes.filter((t) => t.mean !== null);
  if (!shown.length) return null;
  const low = shown.reduce((a, b) => (b.mean! < a.mean! ? b : a));
  const high = shown.reduce((a, b) => (b.mean! > a.mean! ? b : a));
  const lows = shown.filter((t) => round1(t.mean!) === round1(low.mean!)).map((t) => t.label);
  const highs = shown.filter((t) => round1(t.mean!) === round1(high.mean!)).map((t) => t.label);
  const list = (names: string[]) => (names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)}` : names[0]);
  return `Rated lowest: ${list(lows)} (${low.mean!.toFixed(1)}); highest: ${list(highs)} (${high.mean!.toFixed(1)})`;
}

/** The most series a compass draws clearly; the table shows them all. */
export const maxCompassSeries = 4;

export type CompassView = {
  svg: string;
  caption: string;
  series: { label: string }[];
  rows: { label: string; cells: { mean: string; n: string }[]; change: string | null }[];
  threshold: number;
  fewerThan: string;
  showChange: boolean;
  /** Set when there were more groups than the chart draws. */
  chartNote: string | null;
  headline: string | null;
};

const formatChange = (c: number | null) => (c === null ? null : c > 0 ? `+${c.toFixed(1)}` : c < 0 ? `−${Math.abs(c).toFixed(1)}` : '0.0');

/** The compass chart and its table for results already worked out. */
export function compassView(results: PlaceStandardResults, title: string, idPrefix = 'compass'): CompassView {
  const { threshold } = results;
  // The table always starts with everyone, so a split shows each group beside the whole.
  const tableSeries = [results.overall, ...results.groups, ...(results.earlier ? [results.earlier] : [])];
  const room = maxCompassSeries - (results.earlier ? 1 : 0);
  const drawn = results.groups.length
    ? [...results.groups].sort((a, b) => (b.respondents.value ?? -1) - (a.respondents.value ?? -1)).slice(0, room)
    : [results.overall];
  const chartSeries: CompassSeries[] = [...drawn, ...(results.earlier ? [results.earlier] : [])].map((s) => ({ label: s.label, values: s.themes.map((t) => t.mean) }));
  const hidden = fewerThan(threshold);
  const showChange = results.earlier !== null;
  return {
    svg: compassSvg({ id: idPrefix, title, series: chartSeries, labels: placeStandardThemes.map((t) => t.label) }),
    caption: `${title}: mean rating of each theme from 1 (a lot of room for improvement) to 7 (very little room for improvement), and the number of ratings`,
    series: tableSeries.map((s) => ({ label: s.label })),
    rows: placeStandardThemes.map((t, i) => ({
      label: t.label,
      cells: tableSeries.map((s) => {
        const r = s.themes[i]!;
        return { mean: r.mean === null ? (r.n.suppressed ? cellText(r.n, threshold) : 'not shown') : r.mean.toFixed(1), n: cellText(r.n, threshold) };
      }),
      change: showChange ? (formatChange(results.change[i]!) ?? 'not shown') : null,
    })),
    threshold,
    fewerThan: hidden,
    showChange,
    chartNote: results.groups.length > room ? `The chart shows the ${room} groups with the most respondents; the table shows all ${results.groups.length}.` : null,
    headline: headline(results.overall),
  };
}

/**
 * The `compass` variable of views/place-standard-compass.njk for a campaign (the whole campaign, or an area,
 * split or compared as asked): for the results page, area profiles and the public summary.
 */
export async function compassFor(db: Tx, campaign: ResultsCampaign, options: PlaceStandardOptions, threshold: number, idPrefix = 'compass'): Promise<CompassView> {
  const results = await placeStandardResults(db, campaign, options, threshold);
  const where = options.area ? ` in ${options.area.name}` : '';
  return compassView(results, `${campaign.title}${where}`, idPrefix);
}
