import { and, asc, desc, eq, sql } from 'drizzle-orm';
import { queryRows, type Db } from '../../platform/db/database.ts';
import { areaLookups, areas } from '../geography/schema.ts';
import { areaSummaries, editions, indicators, indicatorValues } from './schema.ts';
import { domains } from './iod-import.ts';

export type Edition = typeof editions.$inferSelect;

export async function listEditions(db: Db): Promise<Edition[]> {
  return db.select().from(editions).orderBy(asc(editions.publishedOn));
}

export async function findEdition(db: Db, id: string | undefined): Promise<Edition | null> {
  if (id) return (await db.select().from(editions).where(eq(editions.id, id)))[0] ?? null;
  // With no edition named, the latest one loaded.
  return (await db.select().from(editions).orderBy(desc(editions.publishedOn)).limit(1))[0] ?? null;
}

export type AreaLevel = 'lsoa' | 'ward' | 'lad';

/** Which of an edition's geographies a code belongs to, from its GSS prefix. */
export function levelOf(code: string): AreaLevel | null {
  if (/^E01\d{6}$/.test(code)) return 'lsoa';
  if (/^E05\d{6}$/.test(code)) return 'ward';
  if (/^E0[6-9]\d{6}$/.test(code)) return 'lad';
  return null;
}

export function vintageFor(edition: Edition, level: AreaLevel): string {
  return level === 'lsoa' ? edition.lsoaVintage : level === 'ward' ? edition.wardVintage : edition.ladVintage;
}

const summaryColumns = {
  code: areaSummaries.code,
  name: areas.name,
  lsoaCount: areaSummaries.lsoaCount,
  population: areaSummaries.population,
  decileCounts: areaSummaries.decileCounts,
  mostDeprived1pct: areaSummaries.mostDeprived1pct,
  proportionBottomDecile: areaSummaries.proportionBottomDecile,
  averageScore: areaSummaries.averageScore,
  averageRank: areaSummaries.averageRank,
  extent: areaSummaries.extent,
  localConcentration: areaSummaries.localConcentration,
  rankProportionBottomDecile: areaSummaries.rankProportionBottomDecile,
  rankAverageScore: areaSummaries.rankAverageScore,
  rankAverageRank: areaSummaries.rankAverageRank,
  rankExtent: areaSummaries.rankExtent,
  rankLocalConcentration: areaSummaries.rankLocalConcentration,
};
export type Summary = { [K in keyof typeof summaryColumns]: (typeof summaryColumns)[K]['_']['data'] | null } & { code: string; name: string };

/** Summary rows for every area of a level (LAD or ward), or for the given codes. */
export async function summaries(db: Db, edition: Edition, level: 'lad' | 'ward', domain = 'imd', codes?: string[]): Promise<Summary[]> {
  const vintage = vintageFor(edition, level);
  return (await db
    .select(summaryColumns)
    .from(areaSummaries)
    .innerJoin(areas, and(eq(areas.vintage, areaSummaries.vintage), eq(areas.code, areaSummaries.code)))
    .where(
      and(
        eq(areaSummaries.indicatorId, `${edition.id}.${domain}`),
        eq(areaSummaries.vintage, vintage),
        codes ? sql`${areaSummaries.code} in (${sql.join(codes.map((c) => sql`${c}`), sql`, `)})` : undefined,
      ),
    )
    .orderBy(asc(areas.name))) as Summary[];
}

/** One area's summary rows for every index of an edition, in one query. */
export async function summariesOfArea(db: Db, edition: Edition, level: 'lad' | 'ward', code: string): Promise<(Summary & { domain: string })[]> {
  const rows = (await db
    .select({ ...summaryColumns, indicatorId: areaSummaries.indicatorId })
    .from(areaSummaries)
    .innerJoin(areas, and(eq(areas.vintage, areaSummaries.vintage), eq(areas.code, areaSummaries.code)))
    .where(and(sql`${areaSummaries.indicatorId} like ${`${edition.id}.%`}`, eq(areaSummaries.vintage, vintageFor(edition, level)), eq(areaSummaries.code, code)))) as (Summary & { indicatorId: string })[];
  return rows.map(({ indicatorId, ...s }) => ({ ...s, domain: indicatorId.slice(edition.id.length + 1) }));
}

export type LsoaFigures = {
  code: string;
  name: string;
  population: number | null;
  /** Per domain: score, rank (1 = most deprived) and national decile. */
  domains: Record<string, { score: number | null; rank: number | null; decile: number | null }>;
};

/** Each LSOA's own figures for every domain of the edition, optionally only those in one ward or LAD. */
export async function lsoaFigures(db: Db, edition: Edition, within?: { level: 'ward' | 'lad'; code: string }, onlyCode?: string): Promise<LsoaFigures[]> {
  const parentVintage = within ? vintageFor(edition, within.level) : null;
  const rows = await queryRows<{ code: string; name: string; domain: string; value: number | null; rank: number | null; decile: number | null; population: number | null }>(
    db,
    sql`select a.code, a.name, i.domain, v.value, v.rank, v.decile, p.value as population
        from ${areas} a
        join ${indicatorValues} v on v.code = a.code
        join ${indicators} i on i.id = v.indicator_id and i.edition_id = ${edition.id}
        left join ${indicatorValues} p on p.indicator_id = ${edition.populationIndicatorId} and p.code = a.code
        ${parentVintage ? sql`join ${areaLookups} l on l.from_vintage = ${edition.lsoaVintage} and l.from_code = a.code and l.to_vintage = ${parentVintage} and l.to_code = ${within!.code}` : sql``}
        where a.vintage = ${edition.lsoaVintage} ${onlyCode ? sql`and a.code = ${onlyCode}` : sql``}`,
  );
  const byCode = new Map<string, LsoaFigures>();
  for (const r of rows) {
    const lsoa = byCode.get(r.code) ?? { code: r.code, name: r.name, population: r.population === null ? null : Number(r.population), domains: {} };
    lsoa.domains[r.domain] = { score: r.value, rank: r.rank, decile: r.decile };
    byCode.set(r.code, lsoa);
  }
  return [...byCode.values()];
}

/** The areas a code sits in (ward and LAD of the edition's geography). */
export async function parentsOf(db: Db, edition: Edition, level: AreaLevel, code: string) {
  const from = vintageFor(edition, level);
  const targets = level === 'lsoa' ? [edition.wardVintage, edition.ladVintage] : level === 'ward' ? [edition.ladVintage] : [];
  if (!targets.length) return [];
  if (level === 'ward') {
    // Wards are not in a direct lookup to LADs; find them through their LSOAs.
    return queryRows<{ code: string; name: string; vintage: string }>(
      db,
      sql`select distinct a.code, a.name, a.vintage from ${areaLookups} w
          join ${areaLookups} d on d.from_vintage = w.from_vintage and d.from_code = w.from_code and d.to_vintage = ${edition.ladVintage}
          join ${areas} a on a.vintage = d.to_vintage and a.code = d.to_code
          where w.from_vintage = ${edition.lsoaVintage} and w.to_vintage = ${from} and w.to_code = ${code}`,
    );
  }
  return queryRows<{ code: string; name: string; vintage: string }>(
    db,
    sql`select a.code, a.name, a.vintage from ${areaLookups} l join ${areas} a on a.vintage = l.to_vintage and a.code = l.to_code
        where l.from_vintage = ${from} and l.from_code = ${code} and l.to_vintage in (${sql.join(targets.map((t) => sql`${t}`), sql`, `)})`,
  );
}

/** Ward summaries for the wards whose LSOAs lie in a LAD. */
export async function wardsInLad(db: Db, edition: Edition, ladCode: string, domain = 'imd'): Promise<Summary[]> {
  const codes = await queryRows<{ code: string }>(
    db,
    sql`select distinct w.to_code as code from ${areaLookups} w
        join ${areaLookups} d on d.from_vintage = w.from_vintage and d.from_code = w.from_code and d.to_vintage = ${edition.ladVintage} and d.to_code = ${ladCode}
        where w.from_vintage = ${edition.lsoaVintage} and w.to_vintage = ${edition.wardVintage}`,
  );
  return codes.length ? summaries(db, edition, 'ward', domain, codes.map((c) => c.code)) : [];
}

export async function findArea(db: Db, vintage: string, code: string) {
  return (await db.select().from(areas).where(and(eq(areas.vintage, vintage), eq(areas.code, code))))[0] ?? null;
}

export const domainKeys = domains.map((d) => d.key);

export const comparabilityCaveat =
  'Ranks are relative: an area can move because others changed. Editions use different indicators and methods, and IoD2025 uses 2021 LSOAs, so editions are not strictly comparable.';

export type LsoaChange = {
  code: string;
  name: string;
  /** ONS change code between 2011 and 2021 LSOAs (U, S, M, X); null when both editions use the same LSOAs. */
  changeCode: string | null;
  previous: { code: string; rank: number | null; decile: number | null }[];
  rankThen: number | null;
  rankNow: number | null;
  decileThen: number | null;
  decileNow: number | null;
  /** Positive = moved towards less deprived deciles. */
  decileMovement: number | null;
};

/**
 * How each LSOA of an area moved between two editions on one index. Within one LSOA vintage, codes match
 * directly; across 2011 → 2021, through the ONS lookup, with each LSOA's change code so split, merged
 * and irregular areas are visible (a rank "then" is given only when there is exactly one predecessor).
 */
export async function lsoaChanges(db: Db, from: Edition, to: Edition, area: { level: 'ward' | 'lad'; code: string }, domain = 'imd'): Promise<LsoaChange[]> {
  const now = await lsoaFigures(db, to, area);
  const sameVintage = from.lsoaVintage === to.lsoaVintage;
  const links = sameVintage
    ? []
    : await queryRows<{ from_code: string; to_code: string; change_code: string | null }>(
        db,
        sql`select from_code, to_code, change_code from ${areaLookups}
            where from_vintage = ${from.lsoaVintage} and to_vintage = ${to.lsoaVintage}
              and to_code in (${sql.join(now.map((l) => sql`${l.code}`), sql`, `)})`,
      );
  const previousCodes = sameVintage ? now.map((l) => l.code) : [...new Set(links.map((l) => l.from_code))];
  const then = new Map(
    previousCodes.length
      ? (
          await queryRows<{ code: string; rank: number | null; decile: number | null }>(
            db,
            sql`select code, rank, decile from ${indicatorValues} where indicator_id = ${`${from.id}.${domain}`}
                and code in (${sql.join(previousCodes.map((c) => sql`${c}`), sql`, `)})`,
          )
        ).map((r) => [r.code, r])
      : [],
  );
  return now.map((lsoa) => {
    const preds = sameVintage ? [lsoa.code] : links.filter((l) => l.to_code === lsoa.code).map((l) => l.from_code);
    const previous = preds.map((c) => ({ code: c, rank: then.get(c)?.rank ?? null, decile: then.get(c)?.decile ?? null }));
    const single = previous.length === 1 ? previous[0]! : null;
    const nowMeasure = lsoa.domains[domain];
    const decileNow = nowMeasure?.decile ?? null;
    return {
      code: lsoa.code,
      name: lsoa.name,
      changeCode: sameVintage ? null : (links.find((l) => l.to_code === lsoa.code)?.change_code ?? null),
      previous,
      rankThen: single?.rank ?? null,
      rankNow: nowMeasure?.rank ?? null,
      decileThen: single?.decile ?? null,
      decileNow,
      decileMovement: single?.decile != null && decileNow != null ? decileNow - single.decile : null,
    };
  });
}
