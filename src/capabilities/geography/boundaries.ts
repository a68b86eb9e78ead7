import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { sql } from 'drizzle-orm';
import { recordAudit, type Actor } from '../../platform/audit/audit.ts';
import { ImportError, type RowProblem } from '../../platform/data/csv.ts';
import { analyze } from '../../platform/db/bulk.ts';
import { queryRows, type Db, type Tx } from '../../platform/db/database.ts';
import { ensureVintages, knownVintages, replaceLookups, upsertAreas } from './lookups.ts';
import { areaLookups, areas } from './schema.ts';

/** The boundary layouts Patchwork reads, recognised by their code property. */
const layouts = [
  { codeProperty: 'LSOA11CD', nameProperty: 'LSOA11NM', vintage: 'lsoa11' },
  { codeProperty: 'LSOA21CD', nameProperty: 'LSOA21NM', vintage: 'lsoa21' },
  { codeProperty: 'WD25CD', nameProperty: 'WD25NM', vintage: 'ward25', parent: { codeProperty: 'LAD25CD', nameProperty: 'LAD25NM', vintage: 'lad25' } },
  { codeProperty: 'WD24CD', nameProperty: 'WD24NM', vintage: 'ward24' },
  { codeProperty: 'WD22CD', nameProperty: 'WD22NM', vintage: 'ward22', parent: { codeProperty: 'LAD22CD', nameProperty: 'LAD22NM', vintage: 'lad22' } },
] as const;
type Layout = (typeof layouts)[number];
type Parsed = { name: string; geometry: string; srid: number; parent?: { code: string; name: string } };

type Feature = { type: string; properties?: Record<string, unknown>; geometry?: { type: string } | null };
type Collection = { type: string; crs?: { properties?: { name?: string } }; features?: Feature[] };

/** EPSG code of a GeoJSON collection's declared CRS: WGS84 unless it says otherwise (e.g. British National Grid). */
function sridOf(collection: Collection, file: string): number {
  const crs = collection.crs;
  if (crs !== undefined && crs !== null && (!isObject(crs) || (crs.properties !== undefined && !isObject(crs.properties)))) throw new ImportError(file, [], `${file} declares a coordinate system Patchwork cannot read: use WGS84 or an EPSG code.`);
  const name = textOf(crs?.properties?.name);
  if (!name || /CRS84$|EPSG:?:?4326$/i.test(name)) return 4326;
  const match = /EPSG:{1,2}(\d{1,6})$/i.exec(name);
  if (!match) throw new ImportError(file, [], `${file} declares a coordinate system Patchwork cannot read (${name.slice(0, 100)}): use WGS84 or an EPSG code.`);
  return Number(match[1]);
}

/** The longest text V8 can hold: a larger file could never be parsed, so it is refused before it is read whole. */
const maxGeoJsonBytes = 0x1fffffe8;

/** A property as text; anything else (an object, a list) is no text, never String()'s recursion through it. */
const textOf = (value: unknown): string => (typeof value === 'string' || typeof value === 'number' ? String(value) : '');

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * What is wrong with a polygon's coordinates, or null when PostGIS can be given them: every position two or
 * three finite numbers (longitude and latitude within range when in degrees), every ring closed with four
 * positions or more. Checked here, with bounded depth, so a malformed or absurdly nested shape gets a
 * message naming it rather than a database error, and never reaches JSON.stringify's recursion.
 */
function polygonProblem(geometry: { type: string; coordinates?: unknown }, srid: number): string | null {
  const polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
  if (!Array.isArray(polygons) || !polygons.length) return `its ${geometry.type} has no coordinates`;
  const degrees = srid === 4326 || srid === 4258 || srid === 4277;
  for (const rings of polygons) {
    if (!Array.isArray(rings) || !rings.length) return `its ${geometry.type} has a polygon with no rings`;
    for (const ring of rings) {
      if (!Array.isArray(ring) || ring.length < 4) return 'a ring has fewer than four positions (a closed ring needs at least four)';
      for (const position of ring) {
        if (!Array.isArray(position) || position.length < 2 || position.length > 3 || !position.every((c) => typeof c === 'number' && Number.isFinite(c))) {
          return 'a position is not two numbers (longitude and latitude, or easting and northing)';
        }
        if (degrees ? Math.abs(position[0]) > 180 || Math.abs(position[1]) > 90 : Math.abs(position[0]) > 1e8 || Math.abs(position[1]) > 1e8) {
          return `the position ${position[0]}, ${position[1]} is outside the range of its coordinate system (EPSG:${srid})`;
        }
      }
      const [first, last] = [ring[0] as number[], ring[ring.length - 1] as number[]];
      if (first[0] !== last[0] || first[1] !== last[1]) return 'a ring is not closed: its last position must be its first';
    }
  }
  return null;
}

/** Refuses a coordinate system PostGIS does not know before the transaction, where ST_Transform would fail with a database error. */
async function checkSrids(db: Db, target: string, byVintage: Map<Layout, Map<string, Parsed>>): Promise<void> {
  const srids = [...new Set([...byVintage.values()].flatMap((features) => [...features.values()].map((f) => f.srid)))];
  const known = new Set((await queryRows<{ srid: number }>(db, sql`select srid from spatial_ref_sys where srid = any(${sql.param(srids)}::int[])`)).map((r) => Number(r.srid)));
  const unknown = srids.filter((s) => !known.has(s));
  if (unknown.length) throw new ImportError(target, [], `${target} declares a coordinate system Patchwork cannot read (EPSG:${unknown[0]}): use WGS84 or British National Grid (EPSG:27700).`);
}

async function filesOf(target: string): Promise<string[]> {
  const info = await stat(target).catch(() => null);
  if (!info) throw new ImportError(target, [], `${target} does not exist.`);
  if (info.isFile()) return [target];
  return (await readdir(target))
    .filter((f) => /\.geojson(\.gz)?$|\.json(\.gz)?$/.test(f))
    .sort()
    .map((f) => path.join(target, f));
}

export type BoundaryImportResult = {
  /** The main vintage (the one with most areas); `areas` counts every vintage. */
  vintage: string;
  vintages: Record<string, number>;
  files: number;
  areas: number;
  repaired: number;
  duplicates: number;
  derived: Record<string, number>;
};

/**
 * Loads area boundaries from GeoJSON (one file, e.g. one LAD's, or a folder of them), reprojecting to
 * WGS84 and repairing invalid shapes with ST_MakeValid (the number repaired is reported). An area in two
 * files (districts that changed) is kept once. A folder may hold more than one vintage (the published ward
 * folders keep a few districts' older wards): each is loaded as its own. All in one transaction; then lookups that no official
 * file gives are derived in PostGIS (see deriveLookups).
 */
export type BoundaryImportOptions = {
  /** Derive the lookups afterwards (default). A loader of many files one at a time derives once, at the end. */
  derive?: boolean;
  /** Record the import in the audit log (default); the bundled loader records one event for all its files. */
  audit?: boolean;
};

export async function importBoundaries(db: Db, target: string, actor: Actor, options: BoundaryImportOptions = {}): Promise<BoundaryImportResult> {
  const files = await filesOf(target);
  if (!files.length) throw new ImportError(target, [], `${target} has no .geojson files.`);
  const problems: RowProblem[] = [];
  const byVintage = new Map<Layout, Map<string, Parsed>>();
  let duplicates = 0;

  for (const file of files) {
    let collection: Collection;
    let text: string;
    try {
      const raw = await readFile(file);
      // A gzip is inflated only up to what could be read as text at all, so a small file that would inflate to
      // gigabytes (a gzip bomb) is refused without being inflated.
      const bytes = file.endsWith('.gz') ? gunzipSync(raw, { maxOutputLength: maxGeoJsonBytes }) : raw;
      if (bytes.length > maxGeoJsonBytes) throw new RangeError('too large');
      text = bytes.toString('utf8');
    } catch (error) {
      if (error instanceof RangeError || (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || (error as NodeJS.ErrnoException).code === 'ERR_FS_FILE_TOO_LARGE') {
        throw new ImportError(file, [], `${file} is too large: a GeoJSON file must be smaller than ${Math.floor(maxGeoJsonBytes / 1024 / 1024)} MB once unzipped. Split it into one file per district.`);
      }
      throw new ImportError(file, [], `${file} is not readable GeoJSON (${(error as Error).message}).`);
    }
    try {
      collection = JSON.parse(text) as Collection;
    } catch (error) {
      throw new ImportError(file, [], `${file} is not readable GeoJSON (${(error as Error).message}).`);
    }
    if (!isObject(collection) || collection.type !== 'FeatureCollection' || !Array.isArray(collection.features)) throw new ImportError(file, [], `${file} is not a GeoJSON FeatureCollection.`);
    const srid = sridOf(collection, file);
    collection.features.forEach((feature, i) => {
      if (!isObject(feature) || (feature.properties !== undefined && feature.properties !== null && !isObject(feature.properties))) {
        problems.push({ row: i + 1, column: 'properties', message: `feature ${i + 1} of ${path.basename(file)} is not a GeoJSON Feature with an object of properties` });
        return;
      }
      const properties = feature.properties ?? {};
      const here = layouts.find((l) => l.codeProperty in properties);
      if (!here) {
        problems.push({ row: i + 1, column: 'properties', message: `feature ${i + 1} of ${path.basename(file)} has none of ${layouts.map((l) => l.codeProperty).join(', ')}` });
        return;
      }
      const features = byVintage.get(here) ?? new Map<string, Parsed>();
      byVintage.set(here, features);
      const code = textOf(properties[here.codeProperty]).trim();
      if (!knownVintages[here.vintage]!.pattern.test(code)) {
        problems.push({ row: i + 1, column: here.codeProperty, message: `"${code}" in ${path.basename(file)} is not a ${knownVintages[here.vintage]!.label} code` });
        return;
      }
      const type = feature.geometry?.type;
      if (type !== 'Polygon' && type !== 'MultiPolygon') {
        problems.push({ row: i + 1, column: 'geometry', message: `${code} in ${path.basename(file)} has ${type ? `a ${type}` : 'no geometry'}, not a polygon` });
        return;
      }
      const shapeProblem = polygonProblem(feature.geometry as { type: string; coordinates?: unknown }, srid);
      if (shapeProblem) {
        problems.push({ row: i + 1, column: 'geometry', message: `${code} in ${path.basename(file)}: ${shapeProblem}` });
        return;
      }
      if (features.has(code)) {
        duplicates++;
        return;
      }
      const parent =
        'parent' in here && here.parent
          ? { code: textOf(properties[here.parent.codeProperty]).trim(), name: textOf(properties[here.parent.nameProperty]).trim() }
          : undefined;
      const name = textOf(properties[here.nameProperty]).trim() || code;
      // PostgreSQL text cannot hold a NUL character: a name with one is a damaged file, not a name.
      if (name.includes('\0') || parent?.name.includes('\0') || parent?.code.includes('\0')) {
        problems.push({ row: i + 1, column: here.nameProperty, message: `${code} in ${path.basename(file)} has a name containing a NUL character` });
        return;
      }
      const shape = feature.geometry as { type: string; coordinates: unknown };
      features.set(code, { name, geometry: JSON.stringify({ type: shape.type, coordinates: shape.coordinates }), srid, parent });
    });
    if (problems.length >= 50) break;
  }
  if (problems.length) throw new ImportError(target, problems);
  if (!byVintage.size) throw new ImportError(target, [], `${target} has no features.`);
  await checkSrids(db, target, byVintage);

  return db.transaction(async (tx) => {
    let repaired = 0;
    const vintages: Record<string, number> = {};
    for (const [layout, features] of byVintage) {
      repaired += await writeBoundaries(tx, layout, features, target);
      vintages[layout.vintage] = features.size;
    }
    const derived = options.derive === false ? {} : await deriveLookups(tx);
    const areasLoaded = Object.values(vintages).reduce((a, b) => a + b, 0);
    const vintage = Object.entries(vintages).sort((a, b) => b[1] - a[1])[0]![0];
    if (options.derive !== false) await analyze(tx, 'areas', 'area_lookups');
    if (options.audit !== false) await recordAudit(tx, { actor, action: 'boundaries.imported', objectType: 'area_vintage', objectId: vintage, details: { files: files.length, vintages, repaired, duplicates, derived } });
    return { vintage, vintages, files: files.length, areas: areasLoaded, repaired, duplicates, derived };
  });
}

/** Writes one vintage's areas and shapes; returns how many shapes had to be repaired. */
async function writeBoundaries(tx: Tx, layout: Layout, features: Map<string, Parsed>, target: string): Promise<number> {
  const vintage = layout.vintage;
  const parentVintage = 'parent' in layout && layout.parent ? layout.parent.vintage : undefined;
  await ensureVintages(tx, parentVintage ? [vintage, parentVintage] : [vintage]);
  const entries = [...features];
  await upsertAreas(tx, vintage, entries.map(([code, f]) => ({ code, name: f.name })));
  let repaired = 0;
  for (let i = 0; i < entries.length; i += 500) {
    const batch = entries.slice(i, i + 500);
    const [row] = await queryRows<{ repaired: number }>(
      tx,
      sql`with input as (
            select code, ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON(g), s), 4326) as geom
            from unnest(${sql.param(batch.map(([c]) => c))}::text[], ${sql.param(batch.map(([, f]) => f.geometry))}::text[], ${sql.param(batch.map(([, f]) => f.srid))}::int[]) as t(code, g, s)
          ), fixed as (
            select code, not ST_IsValid(geom) as was_invalid,
              ST_Multi(ST_CollectionExtract(case when ST_IsValid(geom) then geom else ST_MakeValid(geom) end, 3)) as geom
            from input
          ), updated as (
            update ${areas} a set boundary = f.geom, centroid = ST_PointOnSurface(f.geom)
            from fixed f where a.vintage = ${vintage} and a.code = f.code
            returning f.was_invalid
          )
          select count(*) filter (where was_invalid)::int as repaired from updated`,
    );
    repaired += row?.repaired ?? 0;
  }
  if (parentVintage) {
    const parents = new Map(entries.filter(([, f]) => f.parent?.code).map(([, f]) => [f.parent!.code, f.parent!.name || f.parent!.code]));
    await upsertAreas(tx, parentVintage, [...parents].map(([code, name]) => ({ code, name })));
    const source = `boundaries ${path.basename(target)}`;
    await replaceLookups(
      tx,
      [[vintage, parentVintage]],
      entries.filter(([, f]) => f.parent?.code).map(([code, f]) => ({ fromVintage: vintage, fromCode: code, toVintage: parentVintage, toCode: f.parent!.code, method: 'published', changeCode: null, source })),
      source,
    );
  }
  return repaired;
}

/**
 * Lookups no official file gives, derived from boundaries: each 2021 LSOA to the 2025 ward containing a
 * point inside it (ST_PointOnSurface, so the point is always within the LSOA) — the ONS best-fit idea,
 * by location rather than population. Recorded as method derived-point-in-polygon.
 */
export async function deriveLookups(tx: Tx): Promise<Record<string, number>> {
  const result: Record<string, number> = {};
  for (const [from, to] of [['lsoa21', 'ward25']] as const) {
    await tx.execute(sql`delete from ${areaLookups} where from_vintage = ${from} and to_vintage = ${to} and method = 'derived-point-in-polygon'`);
    await tx.execute(sql`
      insert into ${areaLookups} (from_vintage, from_code, to_vintage, to_code, method, source)
      select distinct on (l.code) ${from}, l.code, ${to}, w.code, 'derived-point-in-polygon', 'derived from boundaries: a point inside each LSOA, in the ward containing it'
      from ${areas} l join ${areas} w on w.vintage = ${to} and ST_Contains(w.boundary, l.centroid)
      where l.vintage = ${from} and l.centroid is not null
      order by l.code, w.code
      on conflict do nothing`);
    const [row] = await queryRows<{ n: number }>(tx, sql`select count(*)::int as n from ${areaLookups} where from_vintage = ${from} and to_vintage = ${to}`);
    result[`${from}→${to}`] = row?.n ?? 0;
  }
  // The ONS 2011 → 2021 LSOA lookup says which areas correspond, not how much of each: where both
  // boundaries are loaded, record the share of the 2011 LSOA's area inside each 2021 LSOA, so values can be
  // apportioned to split and irregular areas by area rather than equally.
  const [shared] = await queryRows<{ n: number }>(
    tx,
    sql`with shares as (
          select l.from_code, l.to_code,
            case when ST_Area(a.boundary::geography) > 0
              then ST_Area(ST_Intersection(a.boundary, b.boundary)::geography) / ST_Area(a.boundary::geography) end as share
          from ${areaLookups} l
          join ${areas} a on a.vintage = 'lsoa11' and a.code = l.from_code and a.boundary is not null
          join ${areas} b on b.vintage = 'lsoa21' and b.code = l.to_code and b.boundary is not null
          where l.from_vintage = 'lsoa11' and l.to_vintage = 'lsoa21' and l.change_code <> 'U'
        ), updated as (
          update ${areaLookups} l set share = s.share from shares s
          where l.from_vintage = 'lsoa11' and l.to_vintage = 'lsoa21' and l.from_code = s.from_code and l.to_code = s.to_code
          returning 1
        )
        select count(*)::int as n from updated`,
  );
  await tx.execute(sql`update ${areaLookups} set share = 1 where from_vintage = 'lsoa11' and to_vintage = 'lsoa21' and change_code = 'U' and share is distinct from 1`);
  result['lsoa11→lsoa21 area shares'] = shared?.n ?? 0;
  return result;
}
