import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { sql } from 'drizzle-orm';
import { strToU8, zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../platform/db/database.ts';
import { createTestDatabase, engines, type TestDatabase } from '../../../tests/support/engines.ts';
import { boundaryLimits, BoundaryUploadError, readBoundaryUpload, sridOfPrj, toValidBoundary, type BoundaryProblem, type Position } from './geometry-input.ts';

// ---------------------------------------------------------------------------------------------------------
// Test material

/** A 1 km square of British National Grid centred on the ONS centroid of LSOA E01011264 (Leeds 011A). */
const bngSquare = [
  [420437, 441334],
  [421437, 441334],
  [421437, 442334],
  [420437, 442334],
  [420437, 441334],
];
/** ONS's own WGS84 position of that centroid (LONG, LAT in the 2011 LSOA boundaries), an independent check on reprojection. */
const onsCentroid = { lon: -1.68306, lat: 53.8723 };
/**
 * The same square's corners in WGS84, converted once with PostGIS's ST_Transform from EPSG:27700 (the same
 * to 7 decimal places, about a centimetre, on PGlite's PostGIS 3.6 / PROJ 9.7 and PostgreSQL's 3.3 / PROJ 9.1).
 */
const wgs84Square = [
  [-1.6906971, 53.8678192],
  [-1.6754903, 53.8677791],
  [-1.6754208, 53.8767668],
  [-1.6906309, 53.876807],
  [-1.6906971, 53.8678192],
];

const polygon = (ring: number[][]) => ({ type: 'Polygon', coordinates: [ring] });
const feature = (geometry: unknown, properties: Record<string, unknown> = {}) => ({ type: 'Feature', properties, geometry });
const collection = (features: unknown[], crs?: string) => ({ type: 'FeatureCollection', ...(crs ? { crs: { type: 'name', properties: { name: crs } } } : {}), features });
const json = (document: unknown) => Buffer.from(JSON.stringify(document));
const square = (west: number, south: number, east: number, north: number) => polygon([[west, south], [east, south], [east, north], [west, north], [west, south]]);

type LsoaFeature = { properties: Record<string, string | number>; geometry: { type: 'Polygon' | 'MultiPolygon'; coordinates: unknown } };
const leeds = JSON.parse(gunzipSync(readFileSync(path.resolve('tests/fixtures/boundaries/lsoa11/E08000035.geojson.gz'))).toString('utf8')) as { crs: unknown; features: LsoaFeature[] };
const lsoa = (code: string) => leeds.features.find((f) => f.properties.LSOA11CD === code)!;

/** The .prj ArcGIS and QGIS write for British National Grid (ESRI WKT, no EPSG authority). */
const bngPrj =
  'PROJCS["British_National_Grid",GEOGCS["GCS_OSGB_1936",DATUM["D_OSGB_1936",SPHEROID["Airy_1830",6377563.396,299.3249646]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",400000.0],PARAMETER["False_Northing",-100000.0],PARAMETER["Central_Meridian",-2.0],PARAMETER["Scale_Factor",0.9996012717],PARAMETER["Latitude_Of_Origin",49.0],UNIT["Meter",1.0]]';

/**
 * Writes a shapefile (.shp, .shx, .dbf) by the ESRI Shapefile Technical Description (1998): a 100-byte header
 * (file code 9994 and lengths in 16-bit words big-endian, the rest little-endian), then records. Polygon
 * records list every ring as a part, outer rings clockwise and holes anticlockwise, as the specification
 * requires; the .dbf is dBASE III with one character field, NAME.
 */
function writeShapefile(shapeType: 1 | 5, records: { name: string; polygons?: Position[][][]; point?: Position }[]) {
  const signedArea = (ring: Position[]) => ring.slice(1).reduce((sum, [x, y], i) => sum + (ring[i]![0]! * y! - x! * ring[i]![1]!), 0) / 2;
  const contents = records.map(({ polygons, point }) => {
    if (shapeType === 1) {
      const view = new DataView(new ArrayBuffer(20));
      view.setInt32(0, 1, true);
      view.setFloat64(4, point![0]!, true);
      view.setFloat64(12, point![1]!, true);
      return { view, points: [point!] };
    }
    const parts = polygons!.flatMap((rings) => rings.map((ring, i) => ((signedArea(ring) > 0) === (i === 0) ? [...ring].reverse() : ring)));
    const points = parts.flat();
    const view = new DataView(new ArrayBuffer(44 + 4 * parts.length + 16 * points.length));
    view.setInt32(0, 5, true);
    const b = bounds(points);
    b.forEach((v, i) => view.setFloat64(4 + 8 * i, v, true));
    view.setInt32(36, parts.length, true);
    view.setInt32(40, points.length, true);
    let start = 0;
    parts.forEach((part, i) => {
      view.setInt32(44 + 4 * i, start, true);
      start += part.length;
    });
    points.forEach(([x, y], i) => {
      view.setFloat64(44 + 4 * parts.length + 16 * i, x!, true);
      view.setFloat64(44 + 4 * parts.length + 16 * i + 8, y!, true);
    });
    return { view, points };
  });
  const header = (lengthBytes: number) => {
    const view = new DataView(new ArrayBuffer(100));
    view.setInt32(0, 9994, false);
    view.setInt32(24, lengthBytes / 2, false);
    view.setInt32(28, 1000, true);
    view.setInt32(32, shapeType, true);
    bounds(contents.flatMap((c) => c.points)).forEach((v, i) => view.setFloat64(36 + 8 * i, v, true));
    return new Uint8Array(view.buffer);
  };
  const shpLength = 100 + contents.reduce((n, c) => n + 8 + c.view.byteLength, 0);
  const shp = new Uint8Array(shpLength);
  const shx = new Uint8Array(100 + 8 * contents.length);
  shp.set(header(shpLength));
  shx.set(header(shx.length));
  let offset = 100;
  contents.forEach((c, i) => {
    const recordHeader = new DataView(shp.buffer, offset, 8);
    recordHeader.setInt32(0, i + 1, false);
    recordHeader.setInt32(4, c.view.byteLength / 2, false);
    shp.set(new Uint8Array(c.view.buffer), offset + 8);
    const index = new DataView(shx.buffer, 100 + 8 * i, 8);
    index.setInt32(0, offset / 2, false);
    index.setInt32(4, c.view.byteLength / 2, false);
    offset += 8 + c.view.byteLength;
  });
  const width = 40;
  const dbf = new Uint8Array(32 + 32 + 1 + records.length * (1 + width) + 1);
  const dbfView = new DataView(dbf.buffer);
  dbf[0] = 0x03;
  dbf.set([125, 1, 1], 1); // last updated 2025-01-01
  dbfView.setUint32(4, records.length, true);
  dbfView.setUint16(8, 32 + 32 + 1, true);
  dbfView.setUint16(10, 1 + width, true);
  dbf.set(strToU8('NAME'), 32);
  dbf[32 + 11] = 'C'.charCodeAt(0);
  dbf[32 + 16] = width;
  dbf[64] = 0x0d;
  records.forEach((r, i) => dbf.set(strToU8(` ${r.name.padEnd(width).slice(0, width)}`), 65 + i * (1 + width)));
  dbf[dbf.length - 1] = 0x1a;
  return { shp, shx, dbf };
}

function bounds(points: Position[]): [number, number, number, number] {
  const xs = points.map((p) => p[0]!);
  const ys = points.map((p) => p[1]!);
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
}

const zipped = (files: Record<string, Uint8Array | string>) =>
  Buffer.from(zipSync(Object.fromEntries(Object.entries(files).map(([name, bytes]) => [name, typeof bytes === 'string' ? strToU8(bytes) : bytes]))));

async function refusal(promise: Promise<unknown>): Promise<BoundaryUploadError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BoundaryUploadError);
  return error as BoundaryUploadError;
}

async function refused(promise: Promise<unknown>, problem: BoundaryProblem, message: RegExp): Promise<void> {
  const error = await refusal(promise);
  expect(error.problem).toBe(problem);
  expect(error.message).toMatch(message);
}

// ---------------------------------------------------------------------------------------------------------
// Reading files (no database)

describe('reading a boundary upload', () => {
  it('reads a GeoJSON FeatureCollection in WGS84, a bare Polygon and a Feature', async () => {
    const read = await readBoundaryUpload(json(collection([feature(polygon(wgs84Square))])), 'square.geojson');
    expect(read).toMatchObject({ srid: 4326, features: 1, vertices: 5, format: 'geojson', geometry: { type: 'Polygon', coordinates: [wgs84Square] } });
    expect((await readBoundaryUpload(json(polygon(wgs84Square)), 'drawn.json')).geometry.type).toBe('Polygon');
    expect((await readBoundaryUpload(json(feature(polygon(wgs84Square))), 'one.geojson')).features).toBe(1);
  });

  it('reads the legacy crs member in its common spellings', async () => {
    for (const name of ['urn:ogc:def:crs:EPSG::27700', 'EPSG:27700', 'http://www.opengis.net/def/crs/EPSG/0/27700']) {
      expect((await readBoundaryUpload(json(collection([feature(polygon(bngSquare))], name)), 'bng.geojson')).srid).toBe(27700);
    }
    expect((await readBoundaryUpload(json(collection([feature(polygon(wgs84Square))], 'urn:ogc:def:crs:OGC:1.3:CRS84')), 'x.geojson')).srid).toBe(4326);
    expect((await readBoundaryUpload(json({ ...collection([feature(polygon(bngSquare))]), crs: { type: 'EPSG', properties: { code: 27700 } } }), 'old.geojson')).srid).toBe(27700);
    await refused(readBoundaryUpload(json(collection([feature(polygon(bngSquare))], 'EPSG:2157')), 'irish.geojson'), 'crs-unknown', /EPSG:2157, a coordinate system Patchwork does not read.*British National Grid/);
  });

  it('refuses a point feature, naming it', async () => {
    const file = json(collection([feature(polygon(wgs84Square)), feature({ type: 'Point', coordinates: [-1.55, 53.8] })]));
    await refused(readBoundaryUpload(file, 'mixed.geojson'), 'not-polygon', /^Feature 2 is a Point, not a polygon/);
    await refused(readBoundaryUpload(json(collection([feature(null), feature({ type: 'LineString', coordinates: [[0, 51], [1, 52]] })])), 'x.geojson'), 'not-polygon', /^Feature 1 has no geometry, not a polygon \(and 1 more is not a polygon\)/);
  });

  it('refuses British National Grid coordinates given without a crs, rather than reading metres as degrees', async () => {
    await refused(readBoundaryUpload(json(collection([feature(polygon(bngSquare))])), 'bng.geojson'), 'crs-missing', /look like British National Grid.*Add "crs".*EPSG::27700.*or reproject it/);
  });

  it('refuses degrees in a file that says it is in metres, and latitude given before longitude', async () => {
    await refused(readBoundaryUpload(json(collection([feature(polygon(wgs84Square))], 'EPSG:27700')), 'x.geojson'), 'crs-mismatch', /look like longitude and latitude.*British National Grid/);
    const swapped = wgs84Square.map(([x, y]) => [y!, x!]);
    await refused(readBoundaryUpload(json(polygon(swapped)), 'x.geojson'), 'crs-mismatch', /latitude then longitude/);
  });

  it('refuses malformed polygons before they reach the database', async () => {
    await refused(readBoundaryUpload(json(polygon(wgs84Square.slice(0, 4))), 'open.geojson'), 'bad-coordinates', /does not end where it starts/);
    await refused(readBoundaryUpload(json(polygon([wgs84Square[0]!, wgs84Square[1]!, wgs84Square[0]!])), 'x.geojson'), 'bad-coordinates', /ring with 3 points/);
    await refused(readBoundaryUpload(json(polygon([[-1.5, 'x'], [-1.4, 53], [-1.5, 53.1], [-1.5, 'x']] as unknown as number[][])), 'x.geojson'), 'bad-coordinates', /not a pair of numbers/);
    await refused(readBoundaryUpload(Buffer.from('{"type": "FeatureCollection", "features": [}'), 'broken.geojson'), 'unreadable', /not valid GeoJSON/);
    await refused(readBoundaryUpload(json(collection([])), 'empty.geojson'), 'no-area', /no features/);
  });

  it('refuses files of other kinds with a message saying what to upload', async () => {
    await refused(readBoundaryUpload(Buffer.from('<kml/>'), 'area.kml'), 'wrong-type', /must be GeoJSON \(\.geojson or \.json\) or a zipped shapefile \(\.zip\)/);
    await refused(readBoundaryUpload(Buffer.from([0, 0, 0x27, 0x0a]), 'area.shp'), 'wrong-type', /one zip file holding its \.shp, \.shx, \.dbf and \.prj/);
    await refused(readBoundaryUpload(Buffer.from('not a zip'), 'area.zip'), 'unreadable', /not a readable zip file/);
    await refused(readBoundaryUpload(Buffer.alloc(0), 'nothing.geojson'), 'empty-file', /The selected file is empty/);
  });

  it('refuses an oversized file, too many features and too many corners, stating each limit', async () => {
    await refused(readBoundaryUpload(Buffer.alloc(boundaryLimits.fileBytes + 1, 0x20), 'huge.geojson'), 'too-large', /must be smaller than 10 MB: this one is 10\.0 MB/);
    const many = Array.from({ length: boundaryLimits.features + 1 }, (_, i) => feature(square(-1.6 + i * 1e-4, 53.8, -1.6 + i * 1e-4 + 5e-5, 53.80005)));
    await refused(readBoundaryUpload(json(collection(many)), 'many.geojson'), 'too-many-features', /has 501 features: a boundary can be made of at most 500/);
    // A circle of 250,001 corners: under the file size limit, over the corner limit.
    const n = boundaryLimits.vertices + 1;
    const circle = Array.from({ length: n }, (_, i) => (i === n - 1 ? [-1.5, 53.8] : [Number((-1.55 + 0.05 * Math.cos((2 * Math.PI * i) / (n - 1))).toFixed(6)), Number((53.8 + 0.03 * Math.sin((2 * Math.PI * i) / (n - 1))).toFixed(6))]));
    const file = json(polygon(circle));
    expect(file.byteLength).toBeLessThan(boundaryLimits.fileBytes);
    await refused(readBoundaryUpload(file, 'circle.geojson'), 'too-many-vertices', /more than 250,000 corners/);
  });

  it('recognises the common coordinate systems in a .prj, as ESRI, OGC WKT 1 and WKT 2 write them', () => {
    expect(sridOfPrj(bngPrj)).toBe(27700);
    expect(
      sridOfPrj(
        'PROJCS["OSGB 1936 / British National Grid",GEOGCS["OSGB 1936",DATUM["OSGB_1936",SPHEROID["Airy 1830",6377563.396,299.3249646,AUTHORITY["EPSG","7001"]],TOWGS84[446.448,-125.157,542.06,0.15,0.247,0.842,-20.489],AUTHORITY["EPSG","6277"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4277"]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",49],PARAMETER["central_meridian",-2],PARAMETER["scale_factor",0.9996012717],PARAMETER["false_easting",400000],PARAMETER["false_northing",-100000],UNIT["metre",1,AUTHORITY["EPSG","9001"]],AXIS["Easting",EAST],AXIS["Northing",NORTH],AUTHORITY["EPSG","27700"]]',
      ),
    ).toBe(27700);
    expect(
      sridOfPrj(
        'PROJCRS["OSGB36 / British National Grid",BASEGEOGCRS["OSGB36",DATUM["Ordnance Survey of Great Britain 1936",ELLIPSOID["Airy 1830",6377563.396,299.3249646,LENGTHUNIT["metre",1]]],PRIMEM["Greenwich",0,ANGLEUNIT["degree",0.0174532925199433]],ID["EPSG",4277]],CONVERSION["British National Grid",METHOD["Transverse Mercator",ID["EPSG",9807]]],CS[Cartesian,2],AXIS["(E)",east,ORDER[1]],AXIS["(N)",north,ORDER[2]],LENGTHUNIT["metre",1],ID["EPSG",27700]]',
      ),
    ).toBe(27700);
    expect(sridOfPrj('GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]')).toBe(4326);
    expect(sridOfPrj('GEOGCS["GCS_ETRS_1989",DATUM["D_ETRS_1989",SPHEROID["GRS_1980",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]')).toBe(4258);
    expect(
      sridOfPrj(
        'PROJCS["WGS_1984_Web_Mercator_Auxiliary_Sphere",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Mercator_Auxiliary_Sphere"],PARAMETER["False_Easting",0.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",0.0],PARAMETER["Standard_Parallel_1",0.0],PARAMETER["Auxiliary_Sphere_Type",0.0],UNIT["Meter",1.0]]',
      ),
    ).toBe(3857);
    expect(sridOfPrj('PROJCS["ETRS_1989_UTM_Zone_30N",GEOGCS["GCS_ETRS_1989",DATUM["D_ETRS_1989",SPHEROID["GRS_1980",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["Central_Meridian",-3.0],UNIT["Meter",1.0]]')).toBe(25830);
    expect(sridOfPrj('PROJCS["TM65_Irish_Grid",GEOGCS["GCS_TM65",DATUM["D_TM65",SPHEROID["Airy_Modified",6377340.189,299.3249646]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],UNIT["Meter",1.0]]')).toBeUndefined();
    expect(sridOfPrj('not WKT at all')).toBeUndefined();
  });

  it('reads a zipped shapefile in British National Grid', async () => {
    const { shp, shx, dbf } = writeShapefile(5, [{ name: 'Square', polygons: [[bngSquare]] }]);
    const read = await readBoundaryUpload(zipped({ 'square/square.shp': shp, 'square/square.shx': shx, 'square/square.dbf': dbf, 'square/square.prj': bngPrj }), 'square.zip');
    expect(read).toMatchObject({ srid: 27700, features: 1, format: 'shapefile', geometry: { type: 'Polygon' } });
    // Shapefile outer rings run clockwise; the same corners come back, whichever way round.
    expect(bounds((read.geometry.coordinates as Position[][])[0]!)).toEqual(bounds(bngSquare));
  });

  it('refuses a zip without a .prj, with an unknown .prj, with two shapefiles or with points', async () => {
    const { shp, shx, dbf } = writeShapefile(5, [{ name: 'Square', polygons: [[bngSquare]] }]);
    await refused(readBoundaryUpload(zipped({ 'square.shp': shp, 'square.shx': shx, 'square.dbf': dbf }), 'square.zip'), 'crs-missing', /no \.prj file for square\.shp.*Include the \.prj file/);
    const irish = 'PROJCS["TM65_Irish_Grid",GEOGCS["GCS_TM65",DATUM["D_TM65",SPHEROID["Airy_Modified",6377340.189,299.3249646]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],UNIT["Meter",1.0]]';
    await refused(readBoundaryUpload(zipped({ 'square.shp': shp, 'square.shx': shx, 'square.dbf': dbf, 'square.prj': irish }), 'square.zip'), 'crs-unknown', /\(TM65_Irish_Grid\) is not one Patchwork recognises/);
    await refused(readBoundaryUpload(zipped({ 'a.shp': shp, 'a.prj': bngPrj, 'b.shp': shp, 'b.prj': bngPrj }), 'two.zip'), 'wrong-type', /holds 2 shapefiles/);
    await refused(readBoundaryUpload(zipped({ 'notes.txt': 'hello' }), 'notes.zip'), 'wrong-type', /no shapefile in it/);
    const points = writeShapefile(1, [{ name: 'Town hall', point: [430000, 433000] }]);
    await refused(readBoundaryUpload(zipped({ 'p.shp': points.shp, 'p.shx': points.shx, 'p.dbf': points.dbf, 'p.prj': bngPrj }), 'p.zip'), 'not-polygon', /holds points, not polygons/);
  });

  it('refuses a zip that would unzip to more than the limit, without unzipping it', async () => {
    const bomb = zipped({ 'big.shp': new Uint8Array(boundaryLimits.unzippedBytes + 1), 'big.prj': bngPrj });
    expect(bomb.byteLength).toBeLessThan(boundaryLimits.fileBytes);
    await refused(readBoundaryUpload(bomb, 'big.zip'), 'too-large', /larger than 50 MB once unzipped/);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Reprojecting, repairing and measuring in PostGIS

describe.each(engines)('making a valid boundary on %s', (engine) => {
  let database: TestDatabase;
  const valid = async (file: Buffer, name = 'boundary.geojson') => {
    const read = await readBoundaryUpload(file, name);
    return toValidBoundary(database.db, read.geometry, read.srid);
  };

  beforeAll(async () => {
    database = await createTestDatabase(engine);
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('makes a WGS84 MultiPolygon of a WGS84 square and measures its area in British National Grid', async () => {
    const result = await valid(json(collection([feature(polygon(wgs84Square))])));
    expect(result.repaired).toBe(false);
    expect(result.repairs).toEqual([]);
    expect(result.geojson.type).toBe('MultiPolygon');
    expect(result.ewkt).toMatch(/^SRID=4326;MULTIPOLYGON\(\(\(/);
    expect(result.polygons).toBe(1);
    expect(result.areaSqKm).toBeGreaterThan(0.995);
    expect(result.areaSqKm).toBeLessThan(1.005);
    // Against PostGIS's geodesic area on the ellipsoid, a different calculation altogether.
    const [geodesic] = await queryRows<{ km2: number }>(database.db, sql`select ST_Area(ST_GeomFromEWKT(${result.ewkt})::geography) / 1e6 as km2`);
    expect(Math.abs(result.areaSqKm / geodesic!.km2 - 1)).toBeLessThan(0.005);
  });

  it('reprojects the same square given in British National Grid: the same area and place', async () => {
    const fromWgs84 = await valid(json(collection([feature(polygon(wgs84Square))])));
    const result = await valid(json(collection([feature(polygon(bngSquare))], 'urn:ogc:def:crs:EPSG::27700')));
    expect(result.repaired).toBe(false);
    expect(Math.abs(result.areaSqKm - 1)).toBeLessThan(0.001); // a 1 km square, measured where it was drawn
    expect(Math.abs(result.areaSqKm / fromWgs84.areaSqKm - 1)).toBeLessThan(0.005);
    const [west, south, east, north] = result.bbox;
    // Its centre is where ONS puts the centroid whose grid reference it was drawn around (to a metre or two).
    expect(Math.abs((west + east) / 2 - onsCentroid.lon)).toBeLessThan(2e-5);
    expect(Math.abs((south + north) / 2 - onsCentroid.lat)).toBeLessThan(2e-5);
    // And its corners are the WGS84 square's.
    expect(Math.max(...result.bbox.map((v, i) => Math.abs(v - fromWgs84.bbox[i]!)))).toBeLessThan(1e-6);
  });

  it('repairs a bow tie (a self-intersecting polygon) and says where it crossed', async () => {
    const [w, s, e, n] = [-1.56, 53.79, -1.54, 53.8];
    const bowtie = polygon([[w, s], [e, n], [e, s], [w, n], [w, s]]);
    const result = await valid(json(feature(bowtie)));
    expect(result.repaired).toBe(true);
    expect(result.repairs).toHaveLength(1);
    const [repair] = result.repairs;
    expect(repair!.reason).toMatch(/Self-intersection/);
    expect(repair!.location![0]).toBeCloseTo(-1.55, 6);
    expect(repair!.location![1]).toBeCloseTo(53.795, 6);
    expect(repair!.message).toBe('The boundary crosses itself near latitude 53.79500, longitude -1.55000 (Self-intersection). Patchwork repaired it: check the boundary on the map');
    // Two triangles, half the square.
    expect(result.polygons).toBe(2);
    const whole = await valid(json(square(w, s, e, n)));
    expect(result.areaSqKm / whole.areaSqKm).toBeCloseTo(0.5, 3);
    const [check] = await queryRows<{ ok: boolean }>(database.db, sql`select ST_IsValid(ST_GeomFromEWKT(${result.ewkt})) as ok`);
    expect(check!.ok).toBe(true);
  });

  it('combines neighbouring features into one area without calling it a repair', async () => {
    const msoa = leeds.features.filter((f) => /^Leeds 011[A-Z]$/.test(String(f.properties.LSOA11NM)));
    expect(msoa.length).toBeGreaterThan(3);
    const separately = await Promise.all(msoa.map((f) => valid(json(f))));
    const result = await valid(json({ ...leeds, features: msoa }), 'leeds-011.geojson');
    expect(result.repaired).toBe(false);
    expect(result.polygons).toBe(1);
    const sum = separately.reduce((total, r) => total + r.areaSqKm, 0);
    expect(Math.abs(result.areaSqKm / sum - 1)).toBeLessThan(0.005);
  });

  it('reads and reprojects a zipped shapefile of real LSOAs in British National Grid, holes and all', async () => {
    // E01011316 has a hole, which the smaller of E01011312's two parts fills. Converted to British National Grid by PostGIS.
    const originals = [lsoa('E01011316'), lsoa('E01011312')];
    const inBng = await Promise.all(
      originals.map(async (f) => {
        const [row] = await queryRows<{ g: string }>(database.db, sql`select ST_AsGeoJSON(ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON(${JSON.stringify(f.geometry)}), 4326), 27700), 3) as g`);
        const g = JSON.parse(row!.g) as { type: string; coordinates: Position[][] | Position[][][] };
        return { name: String(f.properties.LSOA11NM), polygons: g.type === 'Polygon' ? [g.coordinates as Position[][]] : (g.coordinates as Position[][][]) };
      }),
    );
    expect(inBng[0]!.polygons[0]!.length).toBe(2); // outer ring and hole
    expect(inBng[1]!.polygons.length).toBe(2);
    const { shp, shx, dbf } = writeShapefile(5, inBng);
    const file = zipped({ 'LSOAS.SHP': shp, 'LSOAS.SHX': shx, 'LSOAS.DBF': dbf, 'LSOAS.PRJ': bngPrj });
    const read = await readBoundaryUpload(file, 'lsoas.zip');
    expect(read).toMatchObject({ srid: 27700, features: 2, format: 'shapefile', geometry: { type: 'MultiPolygon' } });
    expect((read.geometry.coordinates as Position[][][]).map((p) => p.length)).toEqual([2, 1, 1]);
    const result = await toValidBoundary(database.db, read.geometry, read.srid);
    expect(result.repaired).toBe(false);
    // The same ground as the published WGS84 boundaries, to within the millimetres of the rounding.
    const [difference] = await queryRows<{ share: number; hausdorff_m: number; polygons: number }>(
      database.db,
      sql`with original as (
            select ST_Union(ST_SetSRID(ST_GeomFromGeoJSON(g), 4326)) as g from unnest(${sql.param(originals.map((f) => JSON.stringify(f.geometry)))}::text[]) as t(g)
          ), uploaded as (select ST_GeomFromEWKT(${result.ewkt}) as g)
          select ST_Area(ST_SymDifference(o.g, u.g)) / ST_Area(o.g) as share,
            ST_HausdorffDistance(ST_Transform(o.g, 27700), ST_Transform(u.g, 27700)) as hausdorff_m, ST_NumGeometries(o.g) as polygons
          from original o, uploaded u`,
    );
    expect(difference!.share).toBeLessThan(1e-5);
    expect(difference!.hausdorff_m).toBeLessThan(0.01);
    expect(result.polygons).toBe(difference!.polygons);

    // On its own, the LSOA with a hole keeps it.
    const one = writeShapefile(5, [inBng[0]!]);
    const alone = await readBoundaryUpload(zipped({ 'one.shp': one.shp, 'one.shx': one.shx, 'one.dbf': one.dbf, 'one.prj': bngPrj }), 'one.zip');
    const withHole = await toValidBoundary(database.db, alone.geometry, alone.srid);
    expect(withHole.geojson.coordinates.map((p) => p.length)).toEqual([2]);
  });

  it('refuses a boundary outside England, saying where it is', async () => {
    await refused(valid(json(square(2.3, 48.85, 2.35, 48.87))), 'outside-england', /^The boundary is not in England: it spans latitude 48\.850 to 48\.870/);
    // Edinburgh, in British National Grid.
    await refused(valid(json(collection([feature(square(325000, 673000, 326000, 674000))], 'EPSG:27700'))), 'outside-england', /is not in England/);
    // Straddling the Scottish border.
    await refused(valid(json(square(-2.1, 55.7, -2.0, 56.0))), 'outside-england', /reaches outside England/);
  });

  it('refuses a boundary larger than the limit, stating the limit', async () => {
    await refused(valid(json(square(-2, 52, -0.5, 53))), 'area-too-large', /must cover less than 5,000 square kilometres \(about the size of a large county\): this one covers 11,\d{3} square kilometres/);
  });

  it('refuses a polygon with no area', async () => {
    await refused(valid(json(polygon([[-1.5, 53.8], [-1.4, 53.8], [-1.3, 53.8], [-1.5, 53.8]]))), 'no-area', /has no area/);
  });

  it('reprojects from the other coordinate systems it recognises', async () => {
    const [row] = await queryRows<{ g: string; etrs: string }>(
      database.db,
      sql`select ST_AsGeoJSON(ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON(${JSON.stringify(polygon(wgs84Square))}), 4326), 3857)) as g,
            ST_AsGeoJSON(ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON(${JSON.stringify(polygon(wgs84Square))}), 4326), 25830)) as etrs`,
    );
    for (const [g, srid] of [[row!.g, 3857], [row!.etrs, 25830]] as const) {
      const result = await toValidBoundary(database.db, JSON.parse(g) as { type: 'Polygon'; coordinates: Position[][] }, srid);
      expect(Math.abs(result.areaSqKm - 1)).toBeLessThan(0.005);
    }
  });
});
