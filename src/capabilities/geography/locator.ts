import Flatbush from 'flatbush';
import { sql } from 'drizzle-orm';
import { orient2d } from 'robust-predicates';
import { queryRows, type Tx } from '../../platform/db/database.ts';

/**
 * Finding which area of a vintage holds each of many points (assets imported thousands at a time), in the
 * app rather than as one PostGIS join per import: the boundaries are read once, then each point is a
 * spatial-index lookup and an exact point-in-polygon test, the same on both engines (PGlite's PostGIS runs
 * in WebAssembly, where a national join is slow).
 */

/** [minimum longitude, minimum latitude, maximum longitude, maximum latitude], WGS84. */
export type Box = [number, number, number, number];

export type Locator = {
  /** The vintage the codes belong to, e.g. lsoa21. */
  vintage: string;
  /** How many areas were loaded (0 when the vintage has no boundaries, or none meet the box). */
  size: number;
  /**
   * The code of the area holding the point, or null when none of those loaded does (the sea, Wales, a point
   * outside the box the locator was loaded for, or not a finite longitude and latitude). A point on the
   * boundary between areas, and inside none, goes to the lowest code of those it touches; one inside two
   * (where generalised boundaries overlap) to the lower of those. Either way the answer is the same
   * whatever else was loaded, so it does not depend on the box.
   */
  locate(lon: number, lat: number): string | null;
};

/**
 * Where a point lies in one polygon (rings `firstRing` up to, not including, `lastRing`: outer ring first, holes
 * after): 1 inside, 0 on an edge or corner, -1 outside. A hole is just another ring, so a point in a hole
 * crosses the outer ring and the hole's and comes out even.
 *
 * This is the crossing test of Hao, Sun, Tang et al., "Optimal reliable point-in-polygon test and
 * differential coding Boolean operations on polygons" (2018), as point-in-polygon-hao implements it, but
 * over flat coordinates (the nested arrays that library takes cost four times the memory for England's
 * LSOAs) and with orient2d given the coordinates themselves rather than their differences from the point,
 * so the side of an edge a point is on is decided exactly, never by a rounded subtraction.
 */
function whereInPolygon(x: number, y: number, coords: Float64Array, rings: Uint32Array, firstRing: number, lastRing: number): 1 | 0 | -1 {
  let crossings = 0;
  for (let r = firstRing; r < lastRing; r++) {
    const end = rings[r + 1]!;
    let i = rings[r]!;
    let x1 = coords[i]!;
    let y1 = coords[i + 1]!;
    for (i += 2; i < end; i += 2) {
      const x2 = coords[i]!;
      const y2 = coords[i + 1]!;
      if (y1 === y && y2 === y) {
        if ((x2 <= x && x1 >= x) || (x1 <= x && x2 >= x)) return 0;
      } else if ((y2 >= y && y1 <= y) || (y2 <= y && y1 >= y)) {
        const side = orient2d(x1, y1, x2, y2, x, y);
        if (side === 0) return 0;
        if ((side > 0 && y2 > y && y1 <= y) || (side < 0 && y2 <= y && y1 > y)) crossings++;
      }
      x1 = x2;
      y1 = y2;
    }
  }
  return crossings % 2 === 1 ? 1 : -1;
}

/** A Float64Array that grows as coordinates are appended, so all of a vintage's rings share one buffer. */
class Coordinates {
  values = new Float64Array(1 << 16);
  length = 0;
  push(x: number, y: number) {
    if (this.length + 2 > this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length++] = x;
    this.values[this.length++] = y;
  }
}

function checkBox(within: Box) {
  const [minLon, minLat, maxLon, maxLat] = within;
  if (!within.every(Number.isFinite) || minLon > maxLon || minLat > maxLat) throw new Error(`loadLocator: ${JSON.stringify(within)} is not a box of [minLon, minLat, maxLon, maxLat]`);
}

/**
 * Reads the boundaries of a vintage (only the areas meeting `within`, when given) and indexes them. Loading
 * is the costly step (a second or more for every LSOA in England, far less for one district's box), so a
 * caller locating many points loads once and calls `locate` for each.
 *
 * Boundaries come as GeoJSON text at full precision (ST_AsGeoJSON with 17 digits prints the shortest form that
 * reads back as the same double), parsed natively one area at a time and copied into one flat array, so the
 * locator answers exactly as the stored polygons would and holds about 16 bytes per corner.
 */
export async function loadLocator(db: Tx, vintage: string, within?: Box): Promise<Locator> {
  if (within) checkBox(within);
  const rows = await queryRows<{ code: string; geojson: string }>(
    db,
    sql`select code, ST_AsGeoJSON(boundary, 17) as geojson from areas
        where vintage = ${vintage} and boundary is not null
        ${within ? sql`and ST_Intersects(boundary, ST_MakeEnvelope(${within[0]}, ${within[1]}, ${within[2]}, ${within[3]}, 4326))` : sql``}
        order by code`,
  );

  const codes: string[] = [];
  const coordinates = new Coordinates();
  /** Where each ring starts in the coordinates, and (last) where the last one ends. */
  const ringStarts: number[] = [];
  /** Per polygon (one part of an area's multipolygon): its first ring, its area, its outer ring's extent. */
  const polygonRings: number[] = [];
  const polygonArea: number[] = [];
  const extents: number[] = [];
  for (const row of rows) {
    const area = codes.push(row.code) - 1;
    const geometry = JSON.parse(row.geojson) as { type: string; coordinates: number[][][][] };
    if (geometry.type !== 'MultiPolygon') throw new Error(`loadLocator: ${vintage} ${row.code} is a ${geometry.type}, not a MultiPolygon`);
    for (const polygon of geometry.coordinates) {
      polygonRings.push(ringStarts.length);
      polygonArea.push(area);
      let minX = Infinity;
      let minY = Infinity;
      let maxX = -Infinity;
      let maxY = -Infinity;
      polygon.forEach((ring, r) => {
        ringStarts.push(coordinates.length);
        for (const [x, y] of ring as [number, number][]) {
          coordinates.push(x, y);
          // Holes lie within the outer ring, so its extent is the polygon's.
          if (r === 0) {
            if (x < minX) minX = x;
            if (y < minY) minY = y;
            if (x > maxX) maxX = x;
            if (y > maxY) maxY = y;
          }
        }
      });
      extents.push(minX, minY, maxX, maxY);
    }
  }
  ringStarts.push(coordinates.length);
  polygonRings.push(ringStarts.length - 1);

  const polygons = polygonArea.length;
  const coords = coordinates.values.slice(0, coordinates.length);
  const rings = Uint32Array.from(ringStarts);
  const firstRing = Uint32Array.from(polygonRings);
  const areaOf = Uint32Array.from(polygonArea);
  // Flatbush refuses an empty index; a locator of nothing answers null without one.
  const index = polygons ? new Flatbush(polygons) : null;
  if (index) {
    for (let p = 0; p < polygons; p++) index.add(extents[4 * p]!, extents[4 * p + 1]!, extents[4 * p + 2]!, extents[4 * p + 3]!);
    index.finish();
  }

  return {
    vintage,
    size: codes.length,
    locate(lon: number, lat: number): string | null {
      if (!index || !Number.isFinite(lon) || !Number.isFinite(lat)) return null;
      // Every candidate is tested, not just up to the first hit: where generalised boundaries overlap
      // slightly, the lower code must win whichever polygon the index happens to offer first.
      let inside = -1;
      let onEdge = -1;
      for (const p of index.search(lon, lat, lon, lat)) {
        const area = areaOf[p]!;
        if (inside >= 0 && area >= inside) continue;
        const where = whereInPolygon(lon, lat, coords, rings, firstRing[p]!, firstRing[p + 1]!);
        if (where === 1) inside = area;
        else if (where === 0 && (onEdge < 0 || area < onEdge)) onEdge = area;
      }
      const area = inside >= 0 ? inside : onEdge;
      return area >= 0 ? codes[area]! : null;
    },
  };
}

export type Point = { lon: number; lat: number };

/** About 100 m: the box a set of points is loaded for is widened by this, in degrees. */
const boxMargin = 0.001;

/** The box round the points that have a finite longitude and latitude, widened by a margin; null when none have. */
export function boxAround(points: readonly Point[], margin = boxMargin): Box | null {
  let minLon = Infinity;
  let minLat = Infinity;
  let maxLon = -Infinity;
  let maxLat = -Infinity;
  for (const { lon, lat } of points) {
    if (!Number.isFinite(lon) || !Number.isFinite(lat)) continue;
    if (lon < minLon) minLon = lon;
    if (lat < minLat) minLat = lat;
    if (lon > maxLon) maxLon = lon;
    if (lat > maxLat) maxLat = lat;
  }
  return minLon === Infinity ? null : [minLon - margin, minLat - margin, maxLon + margin, maxLat + margin];
}

/**
 * The area of each vintage holding each point: `result[i][vintage]` is the code for `points[i]`, or null.
 * Each vintage's boundaries are loaded once, for the points' box only, so a council's import reads its own
 * district's areas, not England's.
 */
export async function locatePoints<V extends string>(db: Tx, points: readonly Point[], vintages: readonly V[]): Promise<Record<V, string | null>[]> {
  const result = points.map(() => ({}) as Record<V, string | null>);
  const box = boxAround(points);
  for (const vintage of vintages) {
    const locator = box ? await loadLocator(db, vintage, box) : null;
    points.forEach(({ lon, lat }, i) => {
      result[i]![vintage] = locator ? locator.locate(lon, lat) : null;
    });
  }
  return result;
}
