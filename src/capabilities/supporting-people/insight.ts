import { sql, type SQL } from 'drizzle-orm';
import { canSee, type Viewer } from '../../platform/auth/permissions.ts';
import { queryRows, type Tx } from '../../platform/db/database.ts';
import { cellText, shareOf, suppress, suppressBreakdown, type Shown } from '../../platform/statistics/suppression.ts';
import { lsoasIn, neighbourhoodBestFit, type VoiceArea } from '../community-voice/areas.ts';
import { connectionOutcomeNames, connectionOutcomes, introductionRouteNames, introductionRoutes, type ConnectionOutcome, type IntroductionRoute, type WellbeingOccasion } from './schema.ts';
import { scoreKeys, type ScoreKey } from './wellbeing.ts';
import { longDate } from './web.ts';

/**
 * The aggregate picture of supporting people, for partnerships and area profiles. Only counts leave here, each
 * suppressed (platform/statistics/suppression.ts): below the threshold a count is never shown, and where a
 * breakdown is shown with its total the next smallest cell is hidden too, so the small one cannot be worked
 * out. No name, id or note of any person is read. Records erased under retention still count: their counts
 * were kept for this.
 *
 * "The people" are those introduced in the period (to a team of one of the partnership's organisations, living
 * in the area chosen). Introductions are counted as introductions (someone introduced twice counts twice);
 * their connections and wellbeing are those of the same people.
 */

export type InsightScope = {
  /** Null: every team (area profiles). */
  partnershipId: string | null;
  from: string | null;
  to: string | null;
  area: VoiceArea | null;
};

/** A condition on `support_people p`: they live in the area (by their postcode's codes; neighbourhoods by best fit). */
export function personIn(area: VoiceArea): SQL {
  if (area.kind === 'lad25') return sql`p.lad25 = ${area.code}`;
  if (area.kind === 'ward25') return sql`p.ward25 = ${area.code}`;
  return sql`p.lsoa21 in (${lsoasIn(area)})`;
}

const introductionsFrom = sql`support_introductions i join support_people p on p.id = i.person_id join support_teams t on t.id = p.team_id`;

function introductionsWhere(scope: InsightScope): SQL {
  const conditions: SQL[] = [sql`true`];
  if (scope.partnershipId) conditions.push(sql`t.organisation_id in (select organisation_id from partnership_organisations where partnership_id = ${scope.partnershipId})`);
  if (scope.from) conditions.push(sql`i.introduced_on >= ${scope.from}`);
  if (scope.to) conditions.push(sql`i.introduced_on <= ${scope.to}`);
  if (scope.area) conditions.push(personIn(scope.area));
  return sql.join(conditions, sql` and `);
}

/** The people in scope, as a subquery of person ids (used only inside queries: ids never leave this file). */
const cohort = (scope: InsightScope) => sql`select distinct i.person_id from ${introductionsFrom} where ${introductionsWhere(scope)}`;

// ---- Suppressed tables ---------------------------------------------------------------------------------------------

export type BreakdownRow = { label: string; count: string; shown: Shown };
export type Breakdown = { rows: BreakdownRow[]; total: string; totalShown: Shown };

/** A one-way breakdown shown with its total, with secondary suppression. */
export function breakdown(entries: readonly { label: string; n: number }[], threshold: number): Breakdown {
  const { cells, total } = suppressBreakdown(
    entries.map((e) => e.n),
    threshold,
  );
  return { rows: entries.map((e, i) => ({ label: e.label, count: cellText(cells[i]!, threshold), shown: cells[i]! })), total: cellText(total, threshold), totalShown: total };
}

const countsBy = async <K extends string>(db: Tx, query: SQL): Promise<Map<K, number>> => new Map((await queryRows<{ key: K; n: number }>(db, query)).map((r) => [r.key, Number(r.n)]));

export async function introductionsByRoute(db: Tx, scope: InsightScope, threshold: number): Promise<Breakdown & { byRoute: Map<IntroductionRoute, number> }> {
  const counts = await countsBy<IntroductionRoute>(db, sql`select i.route as key, count(*)::int as n from ${introductionsFrom} where ${introductionsWhere(scope)} group by i.route`);
  return { ...breakdown(introductionRoutes.map((r) => ({ label: introductionRouteNames[r], n: counts.get(r) ?? 0 })), threshold), byRoute: counts };
}

export async function introductionsByMonth(db: Tx, scope: InsightScope, threshold: number): Promise<Breakdown> {
  const rows = await queryRows<{ key: string; n: number }>(db, sql`select to_char(i.introduced_on, 'YYYY-MM') as key, count(*)::int as n from ${introductionsFrom} where ${introductionsWhere(scope)} group by 1 order by 1`);
  return breakdown(rows.map((r) => ({ label: r.key, n: Number(r.n) })), threshold);
}

export async function introductionsByWard(db: Tx, scope: InsightScope, threshold: number): Promise<Breakdown> {
  const rows = await queryRows<{ code: string | null; name: string | null; n: number }>(
    db,
    sql`select x.code, a.name, x.n from (select p.ward25 as code, count(*)::int as n from ${introductionsFrom} where ${introductionsWhere(scope)} group by p.ward25) x
        left join areas a on a.vintage = 'ward25' and a.code = x.code order by a.name nulls last, x.code nulls last`,
  );
  return breakdown(rows.map((r) => ({ label: r.code ? (r.name ?? r.code) : 'Not known (no postcode)', n: Number(r.n) })), threshold);
}

type BestFit = { id: string; name: string; purpose: string; lsoa: string; share: number };

/** Neighbourhoods the viewer may see that hold (by best fit) any of these 2021 LSOAs, each LSOA with its share. */
async function neighbourhoodsHolding(db: Tx, viewer: Viewer, lsoas: readonly string[]): Promise<BestFit[]> {
  if (!lsoas.length) return [];
  const rows = await queryRows<BestFit & { sharing: 'public' | 'partners' | 'organisation'; owner: string }>(
    db,
    sql`select n.id, n.name, n.purpose, n.sharing, n.owner_organisation_id as owner, nl.lsoa_code as lsoa, nl.share
        from neighbourhoods n join neighbourhood_versions v on v.neighbourhood_id = n.id and v.version = n.current_version
        join neighbourhood_lsoas nl on nl.version_id = v.id and nl.lsoa_vintage = 'lsoa21' and nl.share >= ${neighbourhoodBestFit}
        where nl.lsoa_code in (${sql.join(lsoas.map((l) => sql`${l}`), sql`, `)})`,
  );
  return rows.filter((r) => canSee(viewer, r.sharing, r.owner)).map((r) => ({ id: r.id, name: r.name, purpose: r.purpose, lsoa: r.lsoa, share: Number(r.share) }));
}

export type NeighbourhoodTable = { caption: string; table: Breakdown };

/**
 * Introductions by neighbourhood: primary care networks (neighbourhoods drawn as PCN footprints) and other
 * neighbourhoods in separate tables. Neighbourhoods can overlap, so each LSOA is counted in just one of each kind,
 * the one holding most of its people: each table then adds up to its total, and secondary suppression holds.
 */
export async function introductionsByNeighbourhood(db: Tx, viewer: Viewer, scope: InsightScope, threshold: number): Promise<NeighbourhoodTable[]> {
  const byLsoa = await queryRows<{ lsoa: string | null; n: number }>(db, sql`select p.lsoa21 as lsoa, count(*)::int as n from ${introductionsFrom} where ${introductionsWhere(scope)} group by p.lsoa21`);
  const fits = await neighbourhoodsHolding(
    db,
    viewer,
    byLsoa.flatMap((r) => (r.lsoa ? [r.lsoa] : [])),
  );
  const tables: NeighbourhoodTable[] = [];
  for (const [caption, isKind] of [
    ['Introductions by primary care network', (f: BestFit) => f.purpose === 'pcn-footprint'],
    ['Introductions by neighbourhood', (f: BestFit) => f.purpose !== 'pcn-footprint'],
  ] as const) {
    const best = new Map<string, BestFit>();
    for (const f of fits.filter(isKind)) {
      const held = best.get(f.lsoa);
      if (!held || f.share > held.share || (f.share === held.share && f.name < held.name)) best.set(f.lsoa, f);
    }
    if (!best.size) continue;
    const counts = new Map<string, { name: string; n: number }>();
    let outside = 0;
    for (const r of byLsoa) {
      const f = r.lsoa ? best.get(r.lsoa) : undefined;
      if (!f) outside += Number(r.n);
      else counts.set(f.id, { name: f.name, n: (counts.get(f.id)?.n ?? 0) + Number(r.n) });
    }
    const entries = [...counts.values()].sort((a, b) => a.name.localeCompare(b.name)).map((c) => ({ label: c.name, n: c.n }));
    tables.push({ caption, table: breakdown([...entries, { label: 'Elsewhere or not known', n: outside }], threshold) });
  }
  return tables;
}

/** Connections of the people, by what came of them. */
export async function connectionsByOutcome(db: Tx, scope: InsightScope, threshold: number): Promise<Breakdown> {
  const counts = await countsBy<ConnectionOutcome>(db, sql`select c.outcome as key, count(*)::int as n from support_connections c where c.person_id in (${cohort(scope)}) group by c.outcome`);
  return breakdown(connectionOutcomes.map((o) => ({ label: connectionOutcomeNames[o], n: counts.get(o) ?? 0 })), threshold);
}

/**
 * Connections of the people by the directory category of the service. A service in several categories is counted
 * under the first by name, so the table adds up to its total.
 */
export async function connectionsByCategory(db: Tx, scope: InsightScope, threshold: number): Promise<Breakdown> {
  const rows = await queryRows<{ key: string | null; n: number }>(
    db,
    sql`select x.key, count(*)::int as n from (
          select (select tt.name from directory_service_taxonomies st join directory_taxonomy_terms tt on tt.id = st.term_id where st.service_id = c.service_id order by tt.name limit 1) as key
          from support_connections c where c.person_id in (${cohort(scope)})
        ) x group by x.key order by x.key nulls last`,
  );
  return breakdown(rows.map((r) => ({ label: r.key ?? 'No category, or no longer in the directory', n: Number(r.n) })), threshold);
}

export const topServiceCount = 10;

/** The services most people were connected to: only those with at least the threshold of people, at most ten. */
export async function topServices(db: Tx, scope: InsightScope, threshold: number): Promise<{ name: string; people: string }[]> {
  const rows = await queryRows<{ name: string; n: number }>(
    db,
    sql`select coalesce(s.name, c.service_name) as name, count(distinct c.person_id)::int as n
        from support_connections c left join directory_services s on s.id = c.service_id
        where c.person_id in (${cohort(scope)})
        group by coalesce(s.name, c.service_name) having count(distinct c.person_id) >= ${threshold}
        order by n desc, name limit ${topServiceCount}`,
  );
  return rows.map((r) => ({ name: r.name, people: cellText(suppress(Number(r.n), threshold), threshold) }));
}

// ---- Wellbeing change ----------------------------------------------------------------------------------------------

type MeasureRow = { person: string; measured_on: string; occasion: WellbeingOccasion } & Record<'life_satisfaction' | 'worthwhile' | 'happiness' | 'anxiety' | 'swemwbs_metric', number | string | null>;
const columnOf: Record<ScoreKey, keyof MeasureRow> = { lifeSatisfaction: 'life_satisfaction', worthwhile: 'worthwhile', happiness: 'happiness', anxiety: 'anxiety', swemwbsMetric: 'swemwbs_metric' };

export type WellbeingChangeRow = { name: string; people: string; meanStart: string; meanLatest: string; meanChange: string; improved: string; suppressed: boolean };

/** Pairs of (start, latest) scores per person for one score: their first start measure and their latest later one. */
export function startAndLatest(measures: readonly MeasureRow[], key: ScoreKey): [number, number][] {
  const column = columnOf[key];
  const byPerson = new Map<string, MeasureRow[]>();
  for (const m of measures) byPerson.set(m.person, [...(byPerson.get(m.person) ?? []), m]);
  const pairs: [number, number][] = [];
  for (const list of byPerson.values()) {
    const answered = list.filter((m) => m[column] !== null);
    const startAt = answered.findIndex((m) => m.occasion === 'start');
    if (startAt < 0) continue;
    const start = answered[startAt]!;
    const later = answered.slice(startAt + 1).filter((m) => m.measured_on > start.measured_on);
    const latest = later[later.length - 1];
    if (latest) pairs.push([Number(start[column]), Number(latest[column])]);
  }
  return pairs;
}

/**
 * For each ONS4 question and the SWEMWBS metric score: how many people had a start measure and a later one, their
 * mean scores then and at the latest, the mean change, and the share whose score got better. A row with fewer
 * people than the threshold is hidden entirely.
 */
export async function wellbeingChange(db: Tx, scope: InsightScope, threshold: number): Promise<WellbeingChangeRow[]> {
  const measures = await queryRows<MeasureRow>(
    db,
    sql`select w.person_id as person, to_char(w.measured_on, 'YYYY-MM-DD') as measured_on, w.occasion, w.life_satisfaction, w.worthwhile, w.happiness, w.anxiety, w.swemwbs_metric
        from support_wellbeing w where w.person_id in (${cohort(scope)}) order by w.person_id, w.measured_on, w.created_at`,
  );
  return scoreKeys.map((s) => {
    const pairs = startAndLatest(measures, s.key);
    const n = suppress(pairs.length, threshold);
    const digits = s.key === 'swemwbsMetric' ? 2 : 1;
    if (n.suppressed) return { name: s.name, people: cellText(n, threshold), meanStart: '', meanLatest: '', meanChange: '', improved: '', suppressed: true };
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const change = mean(pairs.map(([a, b]) => b - a));
    const improved = pairs.filter(([a, b]) => (s.lowerIsBetter ? b < a : b > a)).length / pairs.length;
    return {
      name: s.lowerIsBetter ? `${s.name} (lower is better)` : s.name,
      people: cellText(n, threshold),
      meanStart: mean(pairs.map(([a]) => a)).toFixed(digits),
      meanLatest: mean(pairs.map(([, b]) => b)).toFixed(digits),
      meanChange: `${change > 0 ? '+' : ''}${change.toFixed(digits)}`,
      improved: `${Math.round(improved * 100)}%`,
      suppressed: false,
    };
  });
}

// ---- The whole picture ---------------------------------------------------------------------------------------------

/** The period in words: "between 1 September 2026 and 30 November 2026", "since …", "up to …" or "". */
export function periodText(from: string | null, to: string | null): string {
  if (from && to) return `between ${longDate(from)} and ${longDate(to)}`;
  if (from) return `since ${longDate(from)}`;
  if (to) return `up to ${longDate(to)}`;
  return '';
}

/** The sentence that leads the page: how many, and the commonest route with its share, as far as suppression allows. */
export function headline(routes: Breakdown, scope: InsightScope, threshold: number): string {
  const period = periodText(scope.from, scope.to);
  const when = period ? ` ${period}` : '';
  const living = scope.area ? ` living in ${scope.area.name}` : '';
  if (routes.totalShown.suppressed) return `Fewer than ${threshold} people${living} were introduced${when}, so every number below is kept back.`;
  const total = routes.totalShown.value;
  const top = routes.rows.filter((r) => !r.shown.suppressed).sort((a, b) => (b.shown.value ?? 0) - (a.shown.value ?? 0))[0];
  const share = top ? shareOf(top.shown, routes.totalShown) : null;
  // "GP practice…" keeps its capitals; "Themselves" does not.
  const label = top && /^[A-Z][a-z]/.test(top.label) ? top.label.charAt(0).toLowerCase() + top.label.slice(1) : top?.label;
  const most = top && share !== null ? `; the most common route was ${label} (${Math.round(share * 100)}%)` : '';
  return `${total.toLocaleString('en-GB')} ${total === 1 ? 'person' : 'people'}${living} ${total === 1 ? 'was' : 'were'} introduced${when}${most}.`;
}

export type Insight = {
  headline: string;
  routes: Breakdown;
  months: Breakdown;
  wards: Breakdown;
  neighbourhoods: NeighbourhoodTable[];
  outcomes: Breakdown;
  categories: Breakdown;
  services: { name: string; people: string }[];
  wellbeing: WellbeingChangeRow[];
};

export async function insightFor(db: Tx, viewer: Viewer, scope: InsightScope, threshold: number): Promise<Insight> {
  const routes = await introductionsByRoute(db, scope, threshold);
  return {
    headline: headline(routes, scope, threshold),
    routes,
    months: await introductionsByMonth(db, scope, threshold),
    wards: await introductionsByWard(db, scope, threshold),
    neighbourhoods: await introductionsByNeighbourhood(db, viewer, scope, threshold),
    outcomes: await connectionsByOutcome(db, scope, threshold),
    categories: await connectionsByCategory(db, scope, threshold),
    services: await topServices(db, scope, threshold),
    wellbeing: await wellbeingChange(db, scope, threshold),
  };
}

/** The same suppressed cells as the page, one row per cell. */
export function insightCsvRows(insight: Insight): { columns: string[]; rows: string[][] } {
  const rows: string[][] = [];
  const table = (name: string, b: Breakdown) => {
    for (const r of b.rows) rows.push([name, r.label, r.count, '', '', '', '', '']);
    rows.push([name, 'Total', b.total, '', '', '', '', '']);
  };
  table('Introductions by route', insight.routes);
  table('Introductions by month', insight.months);
  table('Introductions by ward', insight.wards);
  for (const n of insight.neighbourhoods) table(n.caption, n.table);
  table('Connections by outcome', insight.outcomes);
  table('Connections by directory category', insight.categories);
  for (const s of insight.services) rows.push(['People connected, by service (services with fewer than the threshold not listed)', s.name, s.people, '', '', '', '', '']);
  for (const w of insight.wellbeing) rows.push(['Wellbeing change from start to latest', w.name, '', w.people, w.meanStart, w.meanLatest, w.meanChange, w.improved]);
  return { columns: ['Table', 'Row', 'Count', 'People', 'Mean at start', 'Mean latest', 'Mean change', 'Share improved'], rows };
}

/**
 * The areas the insight page can be narrowed to: the districts and wards the partnership's people live in, and
 * the neighbourhoods the viewer may see that hold any of them (PCN footprints marked as such).
 */
export async function insightAreaChoices(db: Tx, viewer: Viewer, partnershipId: string, chosenKey: string): Promise<{ value: string; text: string; selected: boolean }[]> {
  const everyone: InsightScope = { partnershipId, from: null, to: null, area: null };
  const places = await queryRows<{ kind: string; code: string; name: string }>(
    db,
    sql`select 'lad25' as kind, a.code, a.name from areas a where a.vintage = 'lad25' and a.code in (select p.lad25 from support_people p where p.id in (${cohort(everyone)}))
        union all
        select 'ward25' as kind, a.code, a.name from areas a where a.vintage = 'ward25' and a.code in (select p.ward25 from support_people p where p.id in (${cohort(everyone)}))
        order by 1, 3`,
  );
  const lsoas = await queryRows<{ lsoa: string }>(db, sql`select distinct p.lsoa21 as lsoa from support_people p where p.lsoa21 is not null and p.id in (${cohort(everyone)})`);
  const fits = await neighbourhoodsHolding(
    db,
    viewer,
    lsoas.map((l) => l.lsoa),
  );
  const neighbourhoods = [...new Map(fits.map((f) => [f.id, f])).values()].sort((a, b) => a.name.localeCompare(b.name));
  const item = (value: string, text: string) => ({ value, text, selected: value === chosenKey });
  return [
    item('', 'All areas'),
    ...places.map((p) => item(`${p.kind}:${p.code}`, p.kind === 'lad25' ? `${p.name} (district)` : `${p.name} (ward)`)),
    ...neighbourhoods.map((n) => item(`neighbourhood:${n.id}`, `${n.name} (${n.purpose === 'pcn-footprint' ? 'primary care network' : 'neighbourhood'})`)),
  ];
}
