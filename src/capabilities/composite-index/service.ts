import { stringify } from 'csv-stringify/sync';
import { and, eq, sql } from 'drizzle-orm';
import { recordAudit, type Actor } from '../../platform/audit/audit.ts';
import { canSee, visibleTo, type Viewer } from '../../platform/auth/permissions.ts';
import { organisations } from '../../platform/auth/schema.ts';
import { queryRows, type Db } from '../../platform/db/database.ts';
import { domains } from '../indicators/iod-import.ts';
import { findEdition, type Edition } from '../indicators/service.ts';
import type { sharingLevels } from '../indicators/schema.ts';
import { visibleLocalIndicators } from '../local-data/service.ts';
import { computeIndex, type AreaInput, type AreaResult, type IndexResult } from './compute.ts';
import { compositeIndexes, type StoredIndicator } from './schema.ts';

type SharingLevel = (typeof sharingLevels)[number];

export const defaultDimensions = ['Basic Human Needs', 'Foundations of Wellbeing', 'Opportunity'] as const;

export type CompositeIndex = typeof compositeIndexes.$inferSelect & { ownerName: string; ownerSlug: string };

/** The inputs an index can use: every domain score of the edition, and local indicators shared with the viewer. */
export async function availableSources(db: Db, viewer: Viewer, edition: Edition): Promise<{ value: string; text: string; direction: 'higher-is-better' | 'higher-is-worse'; sharing: SharingLevel }[]> {
  const local = await visibleLocalIndicators(db, viewer);
  return [
    ...domains.map((d) => ({ value: `${edition.id}.${d.key}`, text: `${d.label} score (${edition.label})`, direction: 'higher-is-worse' as const, sharing: 'public' as const })),
    ...local.map((i) => ({ value: i.id, text: `${i.label}, ${i.period} (local data: ${i.ownerName})`, direction: i.direction, sharing: i.sharing })),
  ];
}

export async function createCompositeIndex(
  db: Db,
  input: { name: string; description: string | null; editionId: string; level: 'ward' | 'lsoa'; ladCodes: string[]; indicators: StoredIndicator[]; sharing: 'public' | 'partners' | 'organisation' },
  owner: { organisationId: string; userId: string | null },
  actor: Actor,
): Promise<string> {
  return db.transaction(async (tx) => {
    const [row] = await tx.insert(compositeIndexes).values({ ...input, ownerOrganisationId: owner.organisationId, createdBy: owner.userId }).returning({ id: compositeIndexes.id });
    await recordAudit(tx, { actor, action: 'composite-index.created', objectType: 'composite_index', objectId: row!.id, details: { name: input.name, lads: input.ladCodes, indicators: input.indicators.length } });
    return row!.id;
  });
}

const withOwner = { index: compositeIndexes, ownerName: organisations.name, ownerSlug: organisations.slug };

export async function visibleCompositeIndexes(db: Db, viewer: Viewer): Promise<CompositeIndex[]> {
  const rows = await db
    .select(withOwner)
    .from(compositeIndexes)
    .innerJoin(organisations, eq(organisations.id, compositeIndexes.ownerOrganisationId))
    .where(visibleTo(viewer, compositeIndexes.sharing, compositeIndexes.ownerOrganisationId))
    .orderBy(sql`${compositeIndexes.createdAt} desc`);
  return rows.map((r) => ({ ...r.index, ownerName: r.ownerName, ownerSlug: r.ownerSlug }));
}

/** One index, or null when it does not exist or is not shared with this viewer (the same answer). */
export async function findCompositeIndex(db: Db, viewer: Viewer, id: string): Promise<CompositeIndex | null> {
  const [row] = await db.select(withOwner).from(compositeIndexes).innerJoin(organisations, eq(organisations.id, compositeIndexes.ownerOrganisationId)).where(and(eq(compositeIndexes.id, id)));
  if (!row || !canSee(viewer, row.index.sharing, row.index.ownerOrganisationId)) return null;
  return { ...row.index, ownerName: row.ownerName, ownerSlug: row.ownerSlug };
}

/**
 * The areas an index covers (every ward or LSOA of its districts) with each input's value: an LSOA's own
 * value, or for a ward the population-weighted average score of its LSOAs (IoD) or the local indicator
 * rolled up as it says (sum or population-weighted mean). Set queries, one per input, so a ten-district
 * index of a few hundred wards is read in a handful of statements.
 */
export async function indexInputs(db: Db, edition: Edition, level: 'ward' | 'lsoa', ladCodes: string[], sources: string[]): Promise<AreaInput[]> {
  const areaVintage = level === 'ward' ? edition.wardVintage : edition.lsoaVintage;
  const areas = await areasOfDistricts(db, edition, level, ladCodes);
  const byCode = new Map(areas.map((a) => [a.code, { code: a.code, name: a.name, values: {} as Record<string, number | null> }]));
  const codes = sql.join(areas.map((a) => sql`${a.code}`), sql`, `);
  for (const source of sources) {
    for (const area of byCode.values()) area.values[source] = null;
    if (!areas.length) continue;
    let rows: { code: string; value: number | null }[] = [];
    if (!source.startsWith('local.')) {
      rows =
        level === 'lsoa'
          ? await queryRows(db, sql`select code, value from indicator_values where indicator_id = ${source} and code in (${codes})`)
          : await queryRows(db, sql`select code, average_score as value from area_summaries where indicator_id = ${source} and vintage = ${areaVintage} and code in (${codes})`);
    } else {
      const [local] = await queryRows<{ vintage: string; aggregation: string | null }>(db, sql`select vintage, aggregation from indicators where id = ${source}`);
      if (local?.vintage === areaVintage) {
        rows = await queryRows(db, sql`select code, value from indicator_values where indicator_id = ${source} and code in (${codes})`);
      } else if (local?.vintage === edition.lsoaVintage && level === 'ward') {
        const weight = edition.lsoaVintage === 'lsoa11' ? 'population.mid2020.lsoa11' : 'population.mid2020-estimate.lsoa21';
        // A ward has a value only when every one of its LSOAs has one: a partial sum would understate it.
        rows = await queryRows(
          db,
          sql`select l.to_code as code,
                case when count(v.value) < count(*) then null
                     when ${local.aggregation} = 'sum' then sum(v.value)
                     else sum(v.value * p.value) / nullif(sum(p.value), 0) end as value
              from area_lookups l
              left join indicator_values v on v.indicator_id = ${source} and v.code = l.from_code
              left join indicator_values p on p.indicator_id = ${weight} and p.code = l.from_code
              where l.from_vintage = ${edition.lsoaVintage} and l.to_vintage = ${areaVintage} and l.to_code in (${codes})
              group by l.to_code`,
        );
      }
    }
    for (const r of rows) {
      const area = byCode.get(r.code);
      if (area) area.values[source] = r.value === null ? null : Number(r.value);
    }
  }
  return [...byCode.values()];
}

export async function computeCompositeIndex(db: Db, index: CompositeIndex, edition: Edition): Promise<IndexResult> {
  const inputs = await indexInputs(db, edition, index.level, index.ladCodes, [...new Set(index.indicators.map((i) => i.source))]);
  // Specs are keyed by their source, so two rows using one source share its values.
  return computeIndex(
    index.indicators.map((i) => ({ ...i, key: i.source })),
    inputs,
  );
}

export type CompositeIndexReport = {
  edition: Edition;
  result: IndexResult;
  /** Every area, rank 1 first, unscored areas last by name. */
  ranked: AreaResult[];
  /** An input's name as this viewer may see it: a local indicator no longer shared with them is named by its id only. */
  labelOf: (source: string) => string;
};

/** An index's results as its page, its CSV and the API give them to this viewer. */
export async function compositeIndexReport(db: Db, viewer: Viewer, index: CompositeIndex): Promise<CompositeIndexReport> {
  // An index goes with its edition (on delete cascade), so the edition is there.
  const edition = (await findEdition(db, index.editionId))!;
  const result = await computeCompositeIndex(db, index, edition);
  const sources = new Map((await availableSources(db, viewer, edition)).map((s) => [s.value, s.text]));
  const labelOf = (source: string) => sources.get(source) ?? `${source} (no longer shared with you)`;
  const ranked = [...result.areas].sort((a, b) => (a.rank ?? Infinity) - (b.rank ?? Infinity) || a.name.localeCompare(b.name));
  return { edition, result, ranked, labelOf };
}

/** The results as a CSV download: one row per area with its rank, index, dimension and component scores and missing inputs. */
export function compositeIndexCsv({ result, ranked, labelOf }: CompositeIndexReport): string {
  return stringify(
    ranked.map((a) => ({
      code: a.code,
      name: a.name,
      rank: a.rank,
      index: a.index,
      ...Object.fromEntries(result.dimensions.map((d) => [d, a.dimensions[d]])),
      ...Object.fromEntries(result.components.map((c) => [`component: ${c.name}`, a.components[c.name]])),
      missing: a.missing.map(labelOf).join('; '),
    })),
    // Named columns, so an index of no areas still has its header row.
    { header: true, columns: ['code', 'name', 'rank', 'index', ...result.dimensions, ...result.components.map((c) => `component: ${c.name}`), 'missing'] },
  );
}

export type IndexPosition = {
  index: CompositeIndex;
  /** How many areas the index scores. */
  scored: number;
  levelName: string;
} & (
  | { kind: 'member'; rank: number | null; score: number | null; missing: string[] }
  | { kind: 'district'; members: number; inLowestFifth: number; lowest: { code: string; name: string; index: number } | null }
);

/**
 * Where an area stands in every composite index shared with the viewer that covers it: a ward's or LSOA's
 * own rank and score, or for a district how many of its wards or LSOAs the index scores and how many fall
 * in the index's lowest-scoring fifth.
 */
export async function positionsIn(db: Db, viewer: Viewer, edition: Edition, area: { level: 'lad' | 'ward' | 'lsoa'; code: string; ladCode: string | null }): Promise<IndexPosition[]> {
  const ladCode = area.level === 'lad' ? area.code : area.ladCode;
  if (!ladCode) return [];
  const relevant = (await visibleCompositeIndexes(db, viewer)).filter((i) => i.editionId === edition.id && i.ladCodes.includes(ladCode) && (area.level === 'lad' || i.level === area.level));
  const positions: IndexPosition[] = [];
  for (const index of relevant) {
    const result = await computeCompositeIndex(db, index, edition);
    const scored = result.areas.filter((a) => a.rank !== null);
    const levelName = index.level === 'ward' ? 'wards' : 'LSOAs';
    if (area.level !== 'lad') {
      const me = result.areas.find((a) => a.code === area.code);
      if (me) positions.push({ index, scored: scored.length, levelName, kind: 'member', rank: me.rank, score: me.index, missing: me.missing });
      continue;
    }
    const inDistrict = new Set((await areasOfDistricts(db, edition, index.level, [ladCode])).map((a) => a.code));
    const mine = scored.filter((a) => inDistrict.has(a.code));
    // The lowest fifth by rank among all the index scores (rank 1 is the best placed).
    const cutoff = scored.length - Math.floor(scored.length / 5);
    const lowest = mine.reduce<(typeof mine)[number] | null>((worst, a) => (!worst || a.rank! > worst.rank! ? a : worst), null);
    positions.push({
      index,
      scored: scored.length,
      levelName,
      kind: 'district',
      members: mine.length,
      inLowestFifth: mine.filter((a) => a.rank! > cutoff).length,
      lowest: lowest ? { code: lowest.code, name: lowest.name, index: lowest.index! } : null,
    });
  }
  return positions;
}

/** Every ward or LSOA of some districts, by name. */
async function areasOfDistricts(db: Db, edition: Edition, level: 'ward' | 'lsoa', ladCodes: string[]): Promise<{ code: string; name: string }[]> {
  const lads = sql.join(ladCodes.map((c) => sql`${c}`), sql`, `);
  return queryRows<{ code: string; name: string }>(
    db,
    level === 'lsoa'
      ? sql`select a.code, a.name from area_lookups d join areas a on a.vintage = d.from_vintage and a.code = d.from_code
            where d.from_vintage = ${edition.lsoaVintage} and d.to_vintage = ${edition.ladVintage} and d.to_code in (${lads}) order by a.name`
      : sql`select distinct a.code, a.name from area_lookups d
            join area_lookups w on w.from_vintage = d.from_vintage and w.from_code = d.from_code and w.to_vintage = ${edition.wardVintage}
            join areas a on a.vintage = w.to_vintage and a.code = w.to_code
            where d.from_vintage = ${edition.lsoaVintage} and d.to_vintage = ${edition.ladVintage} and d.to_code in (${lads}) order by a.name`,
  );
}
