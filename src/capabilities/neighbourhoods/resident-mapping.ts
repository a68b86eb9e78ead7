import { desc, eq, sql } from 'drizzle-orm';
import { recordAudit, type Actor } from '../../platform/audit/audit.ts';
import { canSee, visibleTo, type Viewer } from '../../platform/auth/permissions.ts';
import { organisations } from '../../platform/auth/schema.ts';
import { queryRows, type Db, type Tx } from '../../platform/db/database.ts';
import { findPostcode } from '../geography/postcodes.ts';
import { BoundaryUploadError, readBoundaryUpload, toValidBoundary } from './geometry-input.ts';
import { residentAnchors, residentDrawings, residentMappings, type residentMethods } from './schema.ts';
import { createNeighbourhood, NeighbourhoodError, type NeighbourhoodDetails } from './service.ts';

/**
 * Asking residents "where is your neighbourhood?" and finding where they agree.
 *
 * Each answer is a shape: drawn on a map, made of named places (2021 MSOAs, by their House of Commons Library
 * names) or a walk of some minutes from a postcode. The consensus lays a square grid over all the answers
 * and counts, for each cell, how many answers cover its centre; the outline is the cells covered by at least
 * a chosen share of the answers (50% by default). Nothing about who answered is kept.
 */

/** Fewer answers than this and no summary is shown: a shape drawn by one or two people could point at their homes. */
export const minimumResponses = 5;
/** Walking pace for "minutes' walk": 80 metres a minute (4.8 km/h), as used in transport planning's 400 m = 5 minutes. */
export const metresPerMinute = 80;
export const walkMinutes = [5, 10, 15, 20] as const;
/** A neighbourhood, not a town: larger drawings are refused so one answer cannot swamp the grid. */
export const maxAnswerSqKm = 50;
export const maxPlaces = 12;
/** A walk's centre is rounded to this many metres, so the answer does not keep the resident's postcode. */
export const walkCentreRoundingMetres = 100;

export const anchorText: Record<(typeof residentAnchors)[number], string> = {
  school: 'A school',
  shops: 'Shops or a high street',
  park: 'A park or green space',
  'place-of-worship': 'A place of worship',
  'community-centre': 'A community centre or hall',
  'gp-surgery': 'A GP surgery or health centre',
  'pub-or-cafe': 'A pub or café',
  library: 'A library',
  'bus-or-station': 'A bus route or station',
};

export class ResidentMappingError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
    this.name = 'ResidentMappingError';
  }
}

export type MappingDetails = { place: string; ladCode: string; introduction: string | null; resultsSharing: 'public' | 'partners' | 'organisation' };
export type Mapping = typeof residentMappings.$inferSelect & { ownerName: string; ownerSlug: string; ladName: string };

/** The district's name and its 2021 LSOAs' extent [west, south, east, north], or null when Patchwork does not know it. */
export async function districtOf(db: Tx, ladCode: string): Promise<{ code: string; name: string; bounds: [number, number, number, number] | null } | null> {
  const [row] = await queryRows<{ name: string | null; w: number | null; s: number | null; e: number | null; n: number | null; lsoas: number }>(
    db,
    sql`select (select name from areas where code = ${ladCode} and vintage like 'lad%' order by vintage desc limit 1) as name,
               ST_XMin(b) as w, ST_YMin(b) as s, ST_XMax(b) as e, ST_YMax(b) as n, lsoas
        from (select ST_Extent(a.boundary) as b, count(*)::int as lsoas from area_lookups l
              left join areas a on a.vintage = l.from_vintage and a.code = l.from_code
              where l.from_vintage = 'lsoa21' and l.to_code = ${ladCode}) x`,
  );
  if (!row?.name || !row.lsoas) return null;
  return { code: ladCode, name: row.name, bounds: row.w === null ? null : [Number(row.w), Number(row.s), Number(row.e), Number(row.n)] };
}

export async function createMapping(db: Db, details: MappingDetails, owner: { organisationId: string; userId: string | null }, actor: Actor): Promise<string> {
  if (!(await districtOf(db, details.ladCode))) throw new ResidentMappingError(`${details.ladCode} is not a district Patchwork has 2021 LSOAs for`, 'ladCode');
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(residentMappings)
      .values({ ...details, ownerOrganisationId: owner.organisationId, createdBy: owner.userId })
      .returning({ id: residentMappings.id });
    await recordAudit(tx, { actor, action: 'resident-mapping.created', objectType: 'resident_mapping', objectId: row!.id, details: { place: details.place, lad: details.ladCode } });
    return row!.id;
  });
}

export async function setMappingOpen(db: Db, id: string, open: boolean, actor: Actor): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.update(residentMappings).set({ open, updatedAt: new Date() }).where(eq(residentMappings.id, id));
    await recordAudit(tx, { actor, action: open ? 'resident-mapping.opened' : 'resident-mapping.closed', objectType: 'resident_mapping', objectId: id });
  });
}

const mappingColumns = {
  mapping: residentMappings,
  ownerName: organisations.name,
  ownerSlug: organisations.slug,
  ladName: sql<string>`coalesce((select name from areas where code = ${residentMappings.ladCode} and vintage like 'lad%' order by vintage desc limit 1), ${residentMappings.ladCode})`,
};

/** A mapping by id, whoever asks: the question page is public while it is open. */
export async function findMapping(db: Tx, id: string): Promise<Mapping | null> {
  const [row] = await db.select(mappingColumns).from(residentMappings).innerJoin(organisations, eq(organisations.id, residentMappings.ownerOrganisationId)).where(eq(residentMappings.id, id));
  return row ? { ...row.mapping, ownerName: row.ownerName, ownerSlug: row.ownerSlug, ladName: row.ladName } : null;
}

/** Whether this viewer may see the summary of a mapping's answers. */
export const canSeeResults = (viewer: Viewer, mapping: Mapping) => canSee(viewer, mapping.resultsSharing, mapping.ownerOrganisationId);

/** Mappings this viewer may see the results of, and every open one (anyone may answer those), newest first, with their answer counts. */
export async function listMappings(db: Db, viewer: Viewer): Promise<(Mapping & { responses: number; resultsVisible: boolean })[]> {
  const rows = await db
    .select({ ...mappingColumns, responses: sql<number>`(select count(*)::int from resident_drawings d where d.mapping_id = ${residentMappings.id})` })
    .from(residentMappings)
    .innerJoin(organisations, eq(organisations.id, residentMappings.ownerOrganisationId))
    .where(sql`(${residentMappings.open} or ${visibleTo(viewer, residentMappings.resultsSharing, residentMappings.ownerOrganisationId)})`)
    .orderBy(desc(residentMappings.createdAt));
  return rows.map((r) => {
    const mapping = { ...r.mapping, ownerName: r.ownerName, ownerSlug: r.ownerSlug, ladName: r.ladName };
    return { ...mapping, responses: Number(r.responses), resultsVisible: canSeeResults(viewer, mapping) };
  });
}

/** The places of a district a resident can choose from: its 2021 MSOAs, by the names people know them by. */
export async function placesOf(db: Tx, ladCode: string): Promise<{ code: string; name: string }[]> {
  return queryRows<{ code: string; name: string }>(
    db,
    sql`select distinct m.code, m.name from area_lookups d
        join area_lookups l on l.from_vintage = 'lsoa21' and l.from_code = d.from_code and l.to_vintage = 'msoa21'
        join areas m on m.vintage = 'msoa21' and m.code = l.to_code
        where d.from_vintage = 'lsoa21' and d.to_code = ${ladCode}
        order by m.name`,
  );
}

export type Answer =
  | { method: 'map'; drawn: string }
  | { method: 'places'; codes: string[] }
  | { method: 'walk'; postcode: string; minutes: number };

export type AnswerExtras = { anchors: string[]; otherAnchor: string | null };

/**
 * Stores one resident's answer after checking it: a drawing is repaired or refused as an uploaded boundary
 * is; places must be the district's; a postcode must be known. The answer must touch the district and be no
 * bigger than a neighbourhood. Stores nothing when any check fails.
 */
export async function submitAnswer(db: Db, mapping: Mapping, answer: Answer, extras: AnswerExtras): Promise<void> {
  if (!mapping.open) throw new ResidentMappingError('This question has closed: answers are no longer being collected', 'how');
  const anchors = [...new Set(extras.anchors)];
  const unknown = anchors.filter((a) => !(residentAnchors as readonly string[]).includes(a));
  if (unknown.length) throw new ResidentMappingError('Choose anchors from the list', 'anchors');
  const otherAnchor = extras.otherAnchor?.trim() || null;
  if (otherAnchor && otherAnchor.length > 80) throw new ResidentMappingError('Name the other place in 80 characters or fewer', 'otherAnchor');

  let shape: { sql: ReturnType<typeof sql>; placeCodes: string[] | null; walkMinutes: number | null };
  if (answer.method === 'map') {
    let geojson: string;
    try {
      const upload = await readBoundaryUpload(Buffer.from(answer.drawn), 'drawn.geojson');
      geojson = JSON.stringify((await toValidBoundary(db, upload.geometry, upload.srid)).geojson);
    } catch (error) {
      if (error instanceof BoundaryUploadError) throw new ResidentMappingError(error.message, 'drawn');
      throw error;
    }
    shape = { sql: sql`ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(${geojson}), 4326))`, placeCodes: null, walkMinutes: null };
  } else if (answer.method === 'places') {
    const codes = [...new Set(answer.codes)];
    if (!codes.length) throw new ResidentMappingError('Choose at least one place', 'places');
    if (codes.length > maxPlaces) throw new ResidentMappingError(`Choose at most ${maxPlaces} places: a neighbourhood is smaller than that`, 'places');
    const known = new Set((await placesOf(db, mapping.ladCode)).map((p) => p.code));
    if (codes.some((c) => !known.has(c))) throw new ResidentMappingError(`Choose places from the list for ${mapping.ladName}`, 'places');
    const [missing] = await queryRows<{ n: number }>(
      db,
      sql`select count(*)::int as n from area_lookups l join areas a on a.vintage = 'lsoa21' and a.code = l.from_code
          where l.from_vintage = 'lsoa21' and l.to_vintage = 'msoa21' and l.to_code in (${sql.join(codes.map((c) => sql`${c}`), sql`, `)}) and a.boundary is null`,
    );
    if (missing!.n > 0) throw new ResidentMappingError('The map of these places is still loading: try again in a few minutes', 'places');
    const list = sql.join(codes.map((c) => sql`${c}`), sql`, `);
    shape = {
      sql: sql`(select ST_Multi(ST_Union(a.boundary)) from area_lookups l join areas a on a.vintage = 'lsoa21' and a.code = l.from_code
                where l.from_vintage = 'lsoa21' and l.to_vintage = 'msoa21' and l.to_code in (${list}))`,
      placeCodes: codes,
      walkMinutes: null,
    };
  } else {
    if (!(walkMinutes as readonly number[]).includes(answer.minutes)) throw new ResidentMappingError('Choose how many minutes’ walk', 'minutes');
    const found = await findPostcode(db, answer.postcode);
    if (!found.postcode) throw new ResidentMappingError(found.message, 'postcode');
    if (found.postcode.latitude === null || found.postcode.longitude === null) throw new ResidentMappingError(found.message ?? 'That postcode cannot be placed on a map', 'postcode');
    const r = walkCentreRoundingMetres;
    // A circle is walking "as the crow flies": real streets make the walkable area smaller, as the page says.
    shape = {
      sql: sql`(select ST_Multi(ST_Transform(ST_Buffer(ST_SetSRID(ST_MakePoint(round(ST_X(p) / ${r}) * ${r}, round(ST_Y(p) / ${r}) * ${r}), 27700), ${answer.minutes * metresPerMinute}, 16), 4326))
                from (select ST_Transform(ST_SetSRID(ST_MakePoint(${found.postcode.longitude}::float8, ${found.postcode.latitude}::float8), 4326), 27700) as p) x)`,
      placeCodes: null,
      walkMinutes: answer.minutes,
    };
  }

  await db.transaction(async (tx) => {
    const [made] = await queryRows<{ boundary: string | null; area: number | null; touches: boolean }>(
      tx,
      sql`select ST_AsEWKT(g) as boundary, ST_Area(ST_Transform(g, 27700)) / 1e6 as area,
                 exists (select 1 from area_lookups l join areas a on a.vintage = 'lsoa21' and a.code = l.from_code
                         where l.from_vintage = 'lsoa21' and l.to_code = ${mapping.ladCode} and a.boundary && g and ST_Intersects(a.boundary, g)) as touches
          from (select ${shape.sql} as g) s`,
    );
    if (!made?.boundary) throw new ResidentMappingError('That shape could not be made: try again', answer.method === 'map' ? 'drawn' : 'how');
    const field = answer.method === 'map' ? 'drawn' : answer.method === 'places' ? 'places' : 'postcode';
    if (!made.touches) throw new ResidentMappingError(`That is not in ${mapping.ladName}: this question is about a neighbourhood there`, field);
    // Places are whole MSOAs, which in the countryside can be larger than the limit, so only a drawing is held to it.
    if (answer.method === 'map' && Number(made.area) > maxAnswerSqKm) throw new ResidentMappingError(`That covers ${Math.round(Number(made.area))} km²: show the area you think of as your neighbourhood, at most ${maxAnswerSqKm} km²`, field);
    await tx.insert(residentDrawings).values({
      mappingId: mapping.id,
      method: answer.method as (typeof residentMethods)[number],
      boundary: made.boundary,
      areaSqKm: Number(made.area),
      placeCodes: shape.placeCodes,
      walkMinutes: shape.walkMinutes,
      anchors,
      otherAnchor,
    });
    // The answer is anonymous, so the audit records only that one came, not what or from whom.
    await tx.update(residentMappings).set({ updatedAt: new Date() }).where(eq(residentMappings.id, mapping.id));
  });
}

export type Consensus =
  | { responses: number; suppressed: true }
  | {
      responses: number;
      suppressed: false;
      threshold: number;
      /** Answers a cell must be covered by to be inside the outline. */
      needed: number;
      cellMetres: number;
      /** Grid cells covered by at least one answer; x and y are the cell's south-west corner in British National Grid metres. */
      cells: { x: number; y: number; count: number }[];
      extent: { x0: number; y0: number; x1: number; y1: number };
      /** Where at least `needed` answers agree, as WGS84 GeoJSON, and as an SVG path in grid metres (y downwards). */
      outline: { geojson: string; svgPath: string; areaSqKm: number } | null;
      /** Each 2021 LSOA whose central point some answer covers: how many answers cover it. */
      lsoas: { code: string; name: string; place: string | null; count: number; share: number }[];
      anchors: { anchor: string; count: number }[];
      otherAnchors: { text: string; count: number }[];
      methods: Record<string, number>;
      /** LSOA outlines near the answers, for context on the picture, as SVG paths in grid metres. */
      context: string[];
    };

/**
 * Where residents agree their neighbourhood is. The grid's cell size grows with the spread of the answers so
 * the picture stays about 120 cells across (never finer than 25 m).
 */
export async function consensus(db: Db, mappingId: string, threshold = 0.5): Promise<Consensus> {
  const [count] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from resident_drawings where mapping_id = ${mappingId}`);
  const responses = count?.n ?? 0;
  if (responses < minimumResponses) return { responses, suppressed: true };
  const needed = Math.max(1, Math.ceil(threshold * responses - 1e-9));

  const [box] = await queryRows<{ x0: number; y0: number; x1: number; y1: number }>(
    db,
    sql`select ST_XMin(b) as x0, ST_YMin(b) as y0, ST_XMax(b) as x1, ST_YMax(b) as y1
        from (select ST_Extent(ST_Transform(boundary, 27700)) as b from resident_drawings where mapping_id = ${mappingId}) e`,
  );
  const span = Math.max(Number(box!.x1) - Number(box!.x0), Number(box!.y1) - Number(box!.y0));
  const cell = Math.max(25, Math.ceil(span / 120 / 25) * 25);
  const x0 = Math.floor(Number(box!.x0) / cell) * cell;
  const y0 = Math.floor(Number(box!.y0) / cell) * cell;
  const extent = { x0, y0, x1: Math.ceil(Number(box!.x1) / cell) * cell, y1: Math.ceil(Number(box!.y1) / cell) * cell };

  // Each answer visits only the cells of its own bounding box, so the work grows with the answers' sizes,
  // not with the whole extent times the number of answers.
  const cells = (
    await queryRows<{ i: number; j: number; count: number }>(
      db,
      sql`with d as (select id, ST_Transform(boundary, 27700) as g from resident_drawings where mapping_id = ${mappingId})
          select i, j, count(*)::int as count
          from d,
               generate_series(floor((ST_XMin(d.g) - ${x0}) / ${cell})::int, floor((ST_XMax(d.g) - ${x0}) / ${cell})::int) as i,
               generate_series(floor((ST_YMin(d.g) - ${y0}) / ${cell})::int, floor((ST_YMax(d.g) - ${y0}) / ${cell})::int) as j
          where ST_Intersects(d.g, ST_SetSRID(ST_MakePoint(${x0} + (i + 0.5) * ${cell}, ${y0} + (j + 0.5) * ${cell}), 27700))
          group by i, j`,
    )
  ).map((c) => ({ x: x0 + c.i * cell, y: y0 + c.j * cell, count: c.count }));

  const agreed = cells.filter((c) => c.count >= needed);
  let outline: { geojson: string; svgPath: string; areaSqKm: number } | null = null;
  if (agreed.length) {
    const [row] = await queryRows<{ geojson: string; svg: string; area: number }>(
      db,
      sql`select ST_AsGeoJSON(ST_Transform(u, 4326), 6) as geojson, ST_AsSVG(u, 0, 0) as svg, ST_Area(u) / 1e6 as area
          from (select ST_Multi(ST_Union(ST_MakeEnvelope(x, y, x + ${cell}, y + ${cell}, 27700))) as u
                from unnest(${sql.param(agreed.map((c) => c.x))}::float8[], ${sql.param(agreed.map((c) => c.y))}::float8[]) as t(x, y)) o`,
    );
    outline = { geojson: row!.geojson, svgPath: row!.svg, areaSqKm: Number(row!.area) };
  }

  const lsoas = await queryRows<{ code: string; name: string; place: string | null; count: number }>(
    db,
    sql`with d as (select boundary from resident_drawings where mapping_id = ${mappingId})
        select a.code, a.name, m.name as place, count(*)::int as count
        from areas a
        join d on d.boundary && a.boundary and ST_Intersects(d.boundary, ST_PointOnSurface(a.boundary))
        left join area_lookups l on l.from_vintage = 'lsoa21' and l.from_code = a.code and l.to_vintage = 'msoa21'
        left join areas m on m.vintage = 'msoa21' and m.code = l.to_code
        where a.vintage = 'lsoa21' and a.boundary && ST_Transform(ST_MakeEnvelope(${extent.x0}, ${extent.y0}, ${extent.x1}, ${extent.y1}, 27700), 4326)
        group by a.code, a.name, m.name
        order by count(*) desc, a.name`,
  );
  const context = (
    await queryRows<{ svg: string }>(
      db,
      sql`select ST_AsSVG(ST_SimplifyPreserveTopology(ST_Transform(boundary, 27700), ${cell / 4}), 0, 0) as svg from areas
          where vintage = 'lsoa21' and boundary && ST_Transform(ST_MakeEnvelope(${extent.x0}, ${extent.y0}, ${extent.x1}, ${extent.y1}, 27700), 4326)`,
    )
  ).map((r) => r.svg);
  const anchors = await queryRows<{ anchor: string; count: number }>(
    db,
    sql`select anchor, count(*)::int as count from resident_drawings, unnest(anchors) as anchor where mapping_id = ${mappingId} group by anchor order by count(*) desc, anchor`,
  );
  // Other anchors in residents' own words are shown only when several people named the same place, so a
  // single free-text answer is never published.
  const otherAnchors = await queryRows<{ text: string; count: number }>(
    db,
    sql`select min(other_anchor) as text, count(*)::int as count from resident_drawings where mapping_id = ${mappingId} and other_anchor is not null
        group by lower(trim(other_anchor)) having count(*) >= ${minimumResponses} order by count(*) desc`,
  );
  const methods = Object.fromEntries(
    (await queryRows<{ method: string; n: number }>(db, sql`select method, count(*)::int as n from resident_drawings where mapping_id = ${mappingId} group by method`)).map((m) => [m.method, m.n]),
  );
  return {
    responses,
    suppressed: false,
    threshold,
    needed,
    cellMetres: cell,
    cells,
    extent,
    outline,
    lsoas: lsoas.map((l) => ({ ...l, share: l.count / responses })),
    anchors,
    otherAnchors,
    methods,
    context,
  };
}

/** Makes the agreed outline a neighbourhood of the mapping's organisation, whose profile then counts its people. */
export async function saveConsensus(db: Db, mapping: Mapping, threshold: number, details: Omit<NeighbourhoodDetails, 'purpose'>, userId: string | null, actor: Actor): Promise<string> {
  const result = await consensus(db, mapping.id, threshold);
  if (result.suppressed) throw new ResidentMappingError(`At least ${minimumResponses} answers are needed before the agreed area can be saved`, 'threshold');
  if (!result.outline) throw new NeighbourhoodError(`No area is shared by ${Math.round(threshold * 100)}% of the answers: choose a lower share`, 'threshold');
  const description =
    details.description ??
    `Where at least ${Math.round(threshold * 100)}% of the ${result.responses} residents who answered “Where is your neighbourhood?” about ${mapping.place} agree (grid of ${result.cellMetres} m squares).`;
  return createNeighbourhood(
    db,
    { ...details, description, purpose: 'resident-defined' },
    { method: 'resident-consensus', geoJson: result.outline.geojson, repairNote: null },
    { organisationId: mapping.ownerOrganisationId, userId },
    actor,
  );
}
