import path from 'node:path';
import { and, eq, sql } from 'drizzle-orm';
import { recordAudit, type Actor } from '../../platform/audit/audit.ts';
import { ImportError, Problems, findColumn, parseNumber, readRows, type RowProblem } from '../../platform/data/csv.ts';
import { analyze, copyRows } from '../../platform/db/bulk.ts';
import { queryRows, type Db } from '../../platform/db/database.ts';
import { knownVintages } from './lookups.ts';
import { areas } from './schema.ts';

/** The code columns of the population-weighted centroid files Patchwork reads, and the vintage each names. */
const codeColumns: { vintage: 'lsoa11' | 'lsoa21'; names: string[] }[] = [
  { vintage: 'lsoa11', names: ['lsoa11_code', 'lsoa11cd'] },
  { vintage: 'lsoa21', names: ['lsoa21_code', 'lsoa21cd'] },
];

/**
 * Coordinate columns, in order of preference: the British National Grid easting and northing ONS publishes,
 * else longitude and latitude. Plain X and Y (as ONS's portal exports name them) are read as grid metres or
 * degrees by their size.
 */
const coordinateColumns = [
  { x: ['bng_easting', 'easting'], y: ['bng_northing', 'northing'], srid: 27700 as number | 'by-size' },
  { x: ['longitude_wgs84', 'longitude', 'long', 'lon'], y: ['latitude_wgs84', 'latitude', 'lat'], srid: 4326 as number | 'by-size' },
  { x: ['x'], y: ['y'], srid: 'by-size' as const },
];

/** England, with the Isles of Scilly and a margin, in each coordinate system. */
const bounds: Record<number, { x: [number, number]; y: [number, number]; what: [string, string] }> = {
  27700: { x: [75_000, 660_000], y: [0, 660_000], what: ['easting', 'northing'] },
  4326: { x: [-6.5, 1.8], y: [49.8, 55.9], what: ['longitude', 'latitude'] },
};

export type CentroidImportResult = { vintage: string; centroids: number; changed: number; srid: number; withoutCentroid: number };

/**
 * Loads population-weighted centroids for LSOAs (2011 or 2021, by the file's code column) into
 * `areas.weighted_centroid`, reprojecting grid coordinates to WGS84 in PostGIS. Every row is checked first: a
 * well-formed code given once, coordinates that are numbers inside England, and an LSOA Patchwork already knows
 * (so its lookup must be loaded first); any problem refuses the whole file, naming its rows. The file's
 * centroids then replace those held in one transaction; an LSOA the file leaves out keeps what it had, and
 * re-importing the same file writes nothing.
 */
export async function importCentroids(db: Db, file: string, actor: Actor): Promise<CentroidImportResult> {
  const problems = new Problems();
  const rowOf = new Map<string, number>();
  const points: [string, number, number][] = [];
  let layout: { vintage: string; code: string; x: string; y: string; srid: number | 'by-size' } | undefined;
  let srid: number | undefined;

  for await (const { row, values } of readRows(file)) {
    if (!layout) {
      const headers = Object.keys(values);
      const code = codeColumns.map((c) => ({ vintage: c.vintage, column: findColumn(headers, c.names) })).find((c) => c.column);
      const coordinates = coordinateColumns.map((c) => ({ x: findColumn(headers, c.x), y: findColumn(headers, c.y), srid: c.srid })).find((c) => c.x && c.y);
      if (!code || !coordinates) {
        throw new ImportError(
          file,
          [],
          `${file} is not a centroid file Patchwork recognises: it needs an LSOA code column (lsoa11_code, LSOA11CD, lsoa21_code or LSOA21CD) and coordinates (bng_easting and bng_northing, longitude and latitude, or X and Y). Its columns are: ${headers.join(', ')}.`,
        );
      }
      layout = { vintage: code.vintage, code: code.column!, x: coordinates.x!, y: coordinates.y!, srid: coordinates.srid };
    }
    const code = (values[layout.code] ?? '').trim();
    if (!code.startsWith('E') && /^[A-Z]\d{8}$/.test(code)) continue; // Wales is outside Patchwork's geography
    if (!knownVintages[layout.vintage]!.pattern.test(code)) {
      problems.add(row, layout.code, `"${code}" is not an English LSOA code`);
      continue;
    }
    if (rowOf.has(code)) {
      problems.add(row, layout.code, `${code} is also on row ${rowOf.get(code)}`);
      continue;
    }
    rowOf.set(code, row);
    const x = parseNumber(values[layout.x]);
    const y = parseNumber(values[layout.y]);
    if (x === null || x === 'invalid') problems.add(row, layout.x, `"${values[layout.x] ?? ''}" is not a number`);
    else if (y === null || y === 'invalid') problems.add(row, layout.y, `"${values[layout.y] ?? ''}" is not a number`);
    else {
      // X and Y: grid metres are in the tens of thousands, degrees within ±180; a file is one or the other.
      srid ??= layout.srid === 'by-size' ? (Math.abs(x) > 180 ? 27700 : 4326) : layout.srid;
      const box = bounds[srid]!;
      if (x < box.x[0] || x > box.x[1]) problems.add(row, layout.x, `${box.what[0]} ${x} is not in England (${box.x[0]} to ${box.x[1]})`);
      else if (y < box.y[0] || y > box.y[1]) problems.add(row, layout.y, `${box.what[1]} ${y} is not in England (${box.y[0]} to ${box.y[1]})`);
      else points.push([code, x, y]);
    }
    if (problems.full) break;
  }
  if (!layout) throw new ImportError(file, [], `${file} has no rows.`);
  problems.throwIfAny(file);
  if (!points.length) throw new ImportError(file, [], `${file} has no English LSOAs.`);
  const vintage = layout.vintage;
  const label = knownVintages[vintage]!.label;

  // Every code must be an LSOA Patchwork already holds (from the ONS lookups), so a mistyped or foreign code
  // is refused rather than inventing an area.
  const known = new Set((await db.select({ code: areas.code }).from(areas).where(eq(areas.vintage, vintage))).map((a) => a.code));
  if (!known.size) {
    throw new ImportError(file, [], `${file} was not imported: no ${label} areas are loaded yet, so its codes cannot be checked. Load the ${label} lookup first (npx patchwork import bundled, or import lookup). Nothing has changed.`);
  }
  const unknown = points.filter(([code]) => !known.has(code));
  if (unknown.length) {
    const named: RowProblem[] = unknown.slice(0, 100).map(([code]) => ({ row: rowOf.get(code)!, column: layout!.code, message: `${code} is not a known ${label} code` }));
    throw new ImportError(file, named, `${file} was not imported: ${unknown.length} of its codes are not known ${label}s. Nothing has changed.`);
  }

  const result = await db.transaction(async (tx) => {
    await tx.execute(sql`create temp table if not exists incoming_centroids (code text, x float8, y float8) on commit drop`);
    await tx.execute(sql`truncate incoming_centroids`);
    await copyRows(tx, 'incoming_centroids', ['code', 'x', 'y'], points);
    const [updated] = await queryRows<{ n: number }>(
      tx,
      sql`with incoming as (
            select code, ST_Transform(ST_SetSRID(ST_MakePoint(x, y), ${srid!}::int), 4326) as point from incoming_centroids
          ), updated as (
            update ${areas} a set weighted_centroid = i.point from incoming i
            where a.vintage = ${vintage} and a.code = i.code and ST_AsEWKB(a.weighted_centroid) is distinct from ST_AsEWKB(i.point)
            returning 1
          )
          select count(*)::int as n from updated`,
    );
    const [missing] = await tx.select({ n: sql<number>`count(*)::int` }).from(areas).where(and(eq(areas.vintage, vintage), sql`${areas.weightedCentroid} is null`));
    await analyze(tx, 'areas');
    await recordAudit(tx, {
      actor,
      action: 'centroids.imported',
      objectType: 'area_vintage',
      objectId: vintage,
      details: { file: path.basename(file), centroids: points.length, changed: updated?.n ?? 0, srid },
    });
    return { changed: updated?.n ?? 0, withoutCentroid: missing?.n ?? 0 };
  });
  return { vintage, centroids: points.length, srid: srid!, ...result };
}
