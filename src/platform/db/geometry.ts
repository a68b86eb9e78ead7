import { customType } from 'drizzle-orm/pg-core';

type GeometryType = 'Point' | 'MultiPoint' | 'LineString' | 'MultiLineString' | 'Polygon' | 'MultiPolygon' | 'Geometry';

/**
 * A real PostGIS `geometry(Type, SRID)` column. drizzle-kit's built-in geometry column drops the SRID
 * from the generated DDL, and a column without one accepts shapes in any coordinate system.
 *
 * Values travel as text: PostGIS reads EWKT ("SRID=4326;POINT(-2.6 53.5)") or hex EWKB and returns hex
 * EWKB, which is also what backups carry. Queries that need coordinates ask PostGIS (ST_AsGeoJSON).
 */
export function geometry(name: string, type: GeometryType, srid = 4326) {
  return customType<{ data: string; driverData: string }>({
    dataType: () => `geometry(${type},${srid})`,
  })(name);
}

/** EWKT for a WGS84 point, the form the geometry columns accept on insert. */
export function pointEwkt(longitude: number, latitude: number): string {
  if (!Number.isFinite(longitude) || !Number.isFinite(latitude)) throw new RangeError('coordinates must be finite numbers');
  return `SRID=4326;POINT(${longitude} ${latitude})`;
}
