import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import { recordAudit, type Actor } from '../../platform/audit/audit.ts';
import { canSee, visibleTo, type Viewer } from '../../platform/auth/permissions.ts';
import { organisations } from '../../platform/auth/schema.ts';
import { queryRows, type Db, type Tx } from '../../platform/db/database.ts';
import { domains } from '../indicators/iod-import.ts';
import type { Edition } from '../indicators/service.ts';
import { neighbourhoods, neighbourhoodVersions, type neighbourhoodMethods, type neighbourhoodPurposes } from './schema.ts';

/** The most LSOAs one neighbourhood may cover: a large district has about 500, the largest city about 640. */
export const maxLsoas = 2000;

/** The geographies a neighbourhood may be built from, and the LSOAs each is made of. */
export const memberGeographies = {
  lsoa11: { label: 'LSOAs (2011)', lsoaVintage: 'lsoa11', level: 'lsoa' },
  lsoa21: { label: 'LSOAs (2021)', lsoaVintage: 'lsoa21', level: 'lsoa' },
  ward19: { label: 'Wards (December 2019)', lsoaVintage: 'lsoa11', level: 'ward' },
  ward24: { label: 'Wards (2024)', lsoaVintage: 'lsoa21', level: 'ward' },
  ward25: { label: 'Wards (2025)', lsoaVintage: 'lsoa21', level: 'ward' },
} as const;
export type MemberGeography = keyof typeof memberGeographies;
const lsoaVintages = ['lsoa11', 'lsoa21'] as const;

export class NeighbourhoodError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
    this.name = 'NeighbourhoodError';
  }
}

export type NeighbourhoodDetails = { name: string; purpose: (typeof neighbourhoodPurposes)[number]; description: string | null; sharing: 'public' | 'partners' | 'organisation' };

/** A shape: whole LSOAs or wards by code, or a boundary (EWKT or GeoJSON in WGS84, already checked and repaired). */
export type Shape =
  | { method: 'lsoas' | 'wards'; geography: MemberGeography; codes: string[] }
  | { method: Exclude<(typeof neighbourhoodMethods)[number], 'lsoas' | 'wards'>; geoJson: string; repairNote: string | null };

type Members = Extract<Shape, { geography: MemberGeography }>;
const byMembers = (shape: Shape): shape is Members => shape.method === 'lsoas' || shape.method === 'wards';

export type Owner = { organisationId: string; userId: string | null };

/** Creates a neighbourhood and its first version, with every LSOA's share, in one transaction. */
export async function createNeighbourhood(db: Db, details: NeighbourhoodDetails, shape: Shape, owner: Owner, actor: Actor): Promise<string> {
  return db.transaction(async (tx) => {
    const made = await insertNeighbourhood(tx, details, shape, owner);
    await recordAudit(tx, { actor, action: 'neighbourhood.created', objectType: 'neighbourhood', objectId: made.id, details: { name: details.name, method: shape.method, lsoas: made.lsoas } });
    return made.id;
  });
}

/**
 * A neighbourhood and its first version inside the caller's transaction, which audits it: one made on its
 * own, or one area of an imported layer (with the layer and the area's code in its file).
 */
export async function insertNeighbourhood(tx: Tx, details: NeighbourhoodDetails & { layerId?: string; code?: string | null }, shape: Shape, owner: Owner): Promise<{ id: string; lsoas: number }> {
  const [row] = await tx
    .insert(neighbourhoods)
    .values({ ...details, ownerOrganisationId: owner.organisationId, createdBy: owner.userId })
    .returning({ id: neighbourhoods.id });
  const version = await insertVersion(tx, row!.id, 1, shape, owner.userId, null);
  return { id: row!.id, lsoas: version.lsoas };
}

/** A new shape for a neighbourhood; the old versions stay, and profiles show the newest. */
export async function addVersion(db: Db, neighbourhoodId: string, shape: Shape, userId: string | null, note: string | null, actor: Actor): Promise<number> {
  return db.transaction(async (tx) => {
    const [current] = await tx.select({ version: neighbourhoods.currentVersion }).from(neighbourhoods).where(eq(neighbourhoods.id, neighbourhoodId)).for('update');
    if (!current) throw new NeighbourhoodError('No such neighbourhood', 'id');
    const next = current.version + 1;
    const version = await insertVersion(tx, neighbourhoodId, next, shape, userId, note);
    await tx.update(neighbourhoods).set({ currentVersion: next, updatedAt: new Date() }).where(eq(neighbourhoods.id, neighbourhoodId));
    await recordAudit(tx, { actor, action: 'neighbourhood.redrawn', objectType: 'neighbourhood', objectId: neighbourhoodId, details: { version: next, method: shape.method, lsoas: version.lsoas, note } });
    return next;
  });
}

/** The LSOAs whole members stand for, checking every code; unknown ones are named, not dropped. */
async function memberLsoas(tx: Tx, geography: MemberGeography, codes: string[]): Promise<string[]> {
  const wanted = [...new Set(codes.map((c) => c.trim().toUpperCase()).filter(Boolean))];
  if (!wanted.length) throw new NeighbourhoodError('Choose at least one area', 'codes');
  const list = sql.join(wanted.map((c) => sql`${c}`), sql`, `);
  const known = new Set((await queryRows<{ code: string }>(tx, sql`select code from areas where vintage = ${geography} and code in (${list})`)).map((r) => r.code));
  const unknown = wanted.filter((c) => !known.has(c));
  if (unknown.length) {
    const shown = unknown.slice(0, 10).join(', ') + (unknown.length > 10 ? ` and ${unknown.length - 10} more` : '');
    throw new NeighbourhoodError(`${shown} ${unknown.length === 1 ? 'is not a code' : 'are not codes'} of ${memberGeographies[geography].label}`, 'codes');
  }
  const { lsoaVintage, level } = memberGeographies[geography];
  const lsoas =
    level === 'lsoa'
      ? wanted
      : (await queryRows<{ code: string }>(tx, sql`select distinct from_code as code from area_lookups where from_vintage = ${lsoaVintage} and to_vintage = ${geography} and to_code in (${list})`)).map((r) => r.code);
  if (lsoas.length > maxLsoas) throw new NeighbourhoodError(`That covers ${lsoas.length.toLocaleString('en-GB')} LSOAs; a neighbourhood may cover at most ${maxLsoas.toLocaleString('en-GB')}`, 'codes');
  return lsoas;
}

/**
 * Stores one version's shape and apportions it to 2011 and 2021 LSOAs. Throws NeighbourhoodError (leaving
 * the caller to roll back) for codes that are not areas or a boundary covering no LSOA.
 */
export async function insertVersion(tx: Tx, neighbourhoodId: string, version: number, shape: Shape, userId: string | null, note: string | null): Promise<{ id: string; lsoas: number }> {
  let boundary: string;
  let members: { vintage: string; codes: string[] } | null = null;
  if (byMembers(shape)) {
    const lsoaVintage = memberGeographies[shape.geography].lsoaVintage;
    const lsoas = await memberLsoas(tx, shape.geography, shape.codes);
    members = { vintage: lsoaVintage, codes: lsoas };
    const [union] = await queryRows<{ boundary: string | null; missing: number }>(
      tx,
      sql`select ST_AsEWKT(ST_Multi(ST_Union(boundary))) as boundary, count(*) filter (where boundary is null)::int as missing
          from areas where vintage = ${lsoaVintage} and code in (${sql.join(lsoas.map((c) => sql`${c}`), sql`, `)})`,
    );
    if (!union?.boundary || union.missing > 0) {
      throw new NeighbourhoodError(`The ${lsoaVintage === 'lsoa11' ? '2011' : '2021'} LSOA boundaries are not all loaded yet (on a new installation they load for a few minutes after the first start), so the shape cannot be made. Try again shortly.`, 'codes');
    }
    boundary = union.boundary;
  } else {
    const drawn = shape as Exclude<Shape, Members>;
    const [shapeRow] = await queryRows<{ boundary: string }>(tx, sql`select ST_AsEWKT(ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(${drawn.geoJson}), 4326))) as boundary`);
    boundary = shapeRow!.boundary;
  }

  const [row] = await tx
    .insert(neighbourhoodVersions)
    .values({
      neighbourhoodId,
      version,
      method: shape.method,
      memberVintage: byMembers(shape) ? shape.geography : null,
      memberCodes: byMembers(shape) ? [...new Set(shape.codes.map((c) => c.trim().toUpperCase()).filter(Boolean))] : null,
      boundary,
      areaSqKm: sql`ST_Area(ST_Transform(${boundary}::geometry, 27700)) / 1e6` as unknown as number,
      repairNote: byMembers(shape) ? null : shape.repairNote,
      note,
      createdBy: userId,
    })
    .returning({ id: neighbourhoodVersions.id });
  const versionId = row!.id;

  // Whole members count in full in their own LSOA geography. In the other (and for any boundary) an LSOA
  // counts by where its people live: wholly if its population-weighted centroid is inside, where such
  // centroids exist; otherwise by the share of its area inside.
  for (const vintage of lsoaVintages) {
    if (members && members.vintage === vintage) {
      await tx.execute(sql`
        insert into neighbourhood_lsoas (version_id, lsoa_vintage, lsoa_code, share, area_share, method)
        select ${versionId}, ${vintage}, code, 1, 1, 'whole-lsoa' from unnest(${sql.param(members.codes)}::text[]) as t(code)`);
      continue;
    }
    await tx.execute(sql`
      insert into neighbourhood_lsoas (version_id, lsoa_vintage, lsoa_code, share, area_share, method)
      select ${versionId}, ${vintage}, code,
             case when weighted is null then area_share when ST_Intersects(nb, weighted) then 1 else 0 end,
             area_share,
             case when weighted is null then 'area-weighted' else 'population-weighted-centroid' end
      from (
        select a.code, a.weighted_centroid as weighted, v.boundary as nb,
               least(1, ST_Area(ST_Transform(ST_Intersection(a.boundary, v.boundary), 27700)) / nullif(ST_Area(ST_Transform(a.boundary, 27700)), 0)) as area_share
        from neighbourhood_versions v
        join areas a on a.vintage = ${vintage} and a.boundary && v.boundary and ST_Intersects(a.boundary, v.boundary)
        where v.id = ${versionId}
      ) x
      where area_share > 0.0001 or (weighted is not null and ST_Intersects(nb, weighted))`);
  }
  const [total] = await queryRows<{ n: number }>(tx, sql`select count(distinct lsoa_code)::int as n from neighbourhood_lsoas where version_id = ${versionId} and share > 0`);
  if (!members && (total?.n ?? 0) === 0) throw new NeighbourhoodError('The boundary covers no LSOA with boundaries loaded: check that it is in England, or try again once the boundaries have loaded', 'file');
  return { id: versionId, lsoas: members ? members.codes.length : (total?.n ?? 0) };
}

export type Neighbourhood = typeof neighbourhoods.$inferSelect & { ownerName: string; ownerSlug: string };
const withOwner = { neighbourhood: neighbourhoods, ownerName: organisations.name, ownerSlug: organisations.slug };

/**
 * The neighbourhoods this viewer may see, newest first, optionally those whose name contains some words. The
 * areas of imported layers are left out: a layer of 500 PCNs is listed once, as a layer, with its areas on its page.
 */
export async function visibleNeighbourhoods(db: Db, viewer: Viewer, search: string | undefined, edition: Edition | null): Promise<(Neighbourhood & { areaSqKm: number; population: number | null })[]> {
  const words = (search ?? '').trim();
  // People counted in the current version, by the latest edition's denominators.
  const population = edition
    ? sql<number | null>`(select sum(l.share * p.value) from neighbourhood_lsoas l join indicator_values p on p.indicator_id = ${edition.populationIndicatorId} and p.code = l.lsoa_code
                          where l.version_id = ${neighbourhoodVersions.id} and l.lsoa_vintage = ${edition.lsoaVintage})`
    : sql<number | null>`null`;
  const rows = await db
    .select({ ...withOwner, areaSqKm: neighbourhoodVersions.areaSqKm, population })
    .from(neighbourhoods)
    .innerJoin(organisations, eq(organisations.id, neighbourhoods.ownerOrganisationId))
    .innerJoin(neighbourhoodVersions, and(eq(neighbourhoodVersions.neighbourhoodId, neighbourhoods.id), eq(neighbourhoodVersions.version, neighbourhoods.currentVersion)))
    .where(and(visibleTo(viewer, neighbourhoods.sharing, neighbourhoods.ownerOrganisationId), isNull(neighbourhoods.layerId), words ? sql`(${neighbourhoods.name} ilike ${`%${words}%`} or ${organisations.name} ilike ${`%${words}%`} or ${neighbourhoods.purpose} ilike ${`%${words}%`})` : undefined))
    .orderBy(desc(neighbourhoods.createdAt));
  return rows.map((r) => ({ ...r.neighbourhood, ownerName: r.ownerName, ownerSlug: r.ownerSlug, areaSqKm: Number(r.areaSqKm), population: r.population === null ? null : Number(r.population) }));
}

/** One neighbourhood, or null when it does not exist or is not shared with this viewer (the same answer). */
export async function findNeighbourhood(db: Db, viewer: Viewer, id: string): Promise<Neighbourhood | null> {
  const [row] = await db.select(withOwner).from(neighbourhoods).innerJoin(organisations, eq(organisations.id, neighbourhoods.ownerOrganisationId)).where(eq(neighbourhoods.id, id));
  if (!row || !canSee(viewer, row.neighbourhood.sharing, row.neighbourhood.ownerOrganisationId)) return null;
  return { ...row.neighbourhood, ownerName: row.ownerName, ownerSlug: row.ownerSlug };
}

/** Every version of a neighbourhood, newest first (without the shapes themselves). */
export async function versionsOf(db: Db, neighbourhoodId: string) {
  return db
    .select({
      id: neighbourhoodVersions.id,
      version: neighbourhoodVersions.version,
      method: neighbourhoodVersions.method,
      memberVintage: neighbourhoodVersions.memberVintage,
      memberCodes: neighbourhoodVersions.memberCodes,
      areaSqKm: neighbourhoodVersions.areaSqKm,
      repairNote: neighbourhoodVersions.repairNote,
      note: neighbourhoodVersions.note,
      createdAt: neighbourhoodVersions.createdAt,
    })
    .from(neighbourhoodVersions)
    .where(eq(neighbourhoodVersions.neighbourhoodId, neighbourhoodId))
    .orderBy(desc(neighbourhoodVersions.version));
}
export type Version = Awaited<ReturnType<typeof versionsOf>>[number];

export type ApportionedLsoa = { code: string; name: string; share: number; areaShare: number; method: string; population: number | null; counted: number | null; domains: Record<string, { score: number | null; rank: number | null; decile: number | null }> };

export type NeighbourhoodProfile = {
  edition: Edition;
  lsoas: ApportionedLsoa[];
  /** People counted: each LSOA's population times its share. */
  /** People counted: each LSOA's population times its share; null when the edition's population figures are not loaded. */
  population: number | null;
  /** For each index or domain: the population-weighted average score and the people in each national decile. */
  domains: { key: string; label: string; averageScore: number | null; peopleByDecile: number[]; covered: number }[];
  /** The district holding most of its people, for comparison. */
  mainDistrict: { code: string; name: string; peopleByDecile: number[] } | null;
};

/**
 * A version's profile in one edition: every LSOA it covers with its share, and the figures apportioned from
 * them. Each LSOA's people are counted once, times its share, so overlapping members cannot double-count.
 */
export async function neighbourhoodProfile(db: Db, versionId: string, edition: Edition): Promise<NeighbourhoodProfile> {
  const rows = await queryRows<{ code: string; name: string; share: number; area_share: number; method: string; population: number | null; domain: string | null; value: number | null; rank: number | null; decile: number | null }>(
    db,
    sql`select n.lsoa_code as code, a.name, n.share, n.area_share, n.method, p.value as population, i.domain, v.value, v.rank, v.decile
        from neighbourhood_lsoas n
        join areas a on a.vintage = n.lsoa_vintage and a.code = n.lsoa_code
        left join indicator_values p on p.indicator_id = ${edition.populationIndicatorId} and p.code = n.lsoa_code
        left join indicators i on i.edition_id = ${edition.id}
        left join indicator_values v on v.indicator_id = i.id and v.code = n.lsoa_code
        where n.version_id = ${versionId} and n.lsoa_vintage = ${edition.lsoaVintage}
        order by a.name`,
  );
  const byCode = new Map<string, ApportionedLsoa>();
  for (const r of rows) {
    const share = Number(r.share);
    const population = r.population === null ? null : Number(r.population);
    const lsoa = byCode.get(r.code) ?? { code: r.code, name: r.name, share, areaShare: Number(r.area_share), method: r.method, population, counted: population === null ? null : population * share, domains: {} };
    if (r.domain) lsoa.domains[r.domain] = { score: r.value === null ? null : Number(r.value), rank: r.rank, decile: r.decile };
    byCode.set(r.code, lsoa);
  }
  const lsoas = [...byCode.values()];
  const counted = lsoas.filter((l) => l.share > 0);
  const population = counted.some((l) => l.counted !== null) ? counted.reduce((sum, l) => sum + (l.counted ?? 0), 0) : null;
  const figures = domains.map((d) => {
    const peopleByDecile = Array.from({ length: 10 }, () => 0);
    let weighted = 0;
    let weight = 0;
    let covered = 0;
    for (const l of counted) {
      const m = l.domains[d.key];
      if (!m || l.counted === null) continue;
      covered++;
      if (m.decile) peopleByDecile[m.decile - 1]! += l.counted;
      if (m.score !== null) {
        weighted += m.score * l.counted;
        weight += l.counted;
      }
    }
    return { key: d.key, label: d.label, averageScore: weight ? weighted / weight : null, peopleByDecile, covered };
  });

  // The district with most of its people, and that district's people by national decile of the IMD.
  const [district] = await queryRows<{ code: string; name: string }>(
    db,
    sql`select l.to_code as code, a.name from neighbourhood_lsoas n
        join area_lookups l on l.from_vintage = n.lsoa_vintage and l.from_code = n.lsoa_code and l.to_vintage = ${edition.ladVintage}
        join areas a on a.vintage = l.to_vintage and a.code = l.to_code
        left join indicator_values p on p.indicator_id = ${edition.populationIndicatorId} and p.code = n.lsoa_code
        where n.version_id = ${versionId} and n.lsoa_vintage = ${edition.lsoaVintage}
        group by l.to_code, a.name order by sum(n.share * coalesce(p.value, 0)) desc limit 1`,
  );
  let mainDistrict: NeighbourhoodProfile['mainDistrict'] = null;
  if (district) {
    const deciles = await queryRows<{ decile: number; people: number }>(
      db,
      sql`select v.decile, sum(p.value) as people from area_lookups l
          join indicator_values v on v.indicator_id = ${`${edition.id}.imd`} and v.code = l.from_code
          join indicator_values p on p.indicator_id = ${edition.populationIndicatorId} and p.code = l.from_code
          where l.from_vintage = ${edition.lsoaVintage} and l.to_vintage = ${edition.ladVintage} and l.to_code = ${district.code}
          group by v.decile`,
    );
    const peopleByDecile = Array.from({ length: 10 }, () => 0);
    for (const d of deciles) if (d.decile) peopleByDecile[d.decile - 1] = Number(d.people);
    mainDistrict = { ...district, peopleByDecile };
  }
  return { edition, lsoas, population, domains: figures, mainDistrict };
}
