import { sql } from 'drizzle-orm';
import { unzipSync } from 'fflate';
import { queryRows, type Tx } from '../../platform/db/database.ts';

/**
 * Reading a neighbourhood's boundary from what a person gives: a shape drawn on the map or an uploaded file
 * (GeoJSON, or a zipped shapefile) in any of the coordinate systems English data comes in. Two steps:
 *
 * 1. `readBoundaryUpload` checks the file in JavaScript, without the database: its size and type, that it
 *    holds only polygons, how many features and corners, and which coordinate system it is in (refusing
 *    coordinates that plainly are not in the one declared, such as British National Grid metres read as
 *    degrees). Nothing is written.
 * 2. `toValidBoundary` hands the shape to PostGIS (on either engine): reprojects it to WGS84, repairs what is
 *    invalid (ST_MakeValid, keeping only areas) and says what was repaired and where, merges overlapping or
 *    touching parts (ST_Union), and refuses a shape that is empty, not in England or larger than the limit;
 *    the area is measured in British National Grid. Nothing is written either: the caller stores the result.
 *
 * Every refusal is a BoundaryUploadError whose message is written to be shown on the form.
 */

export type Position = number[];
export type PolygonGeometry = { type: 'Polygon'; coordinates: Position[][] };
export type MultiPolygonGeometry = { type: 'MultiPolygon'; coordinates: Position[][][] };
export type BoundaryGeometry = PolygonGeometry | MultiPolygonGeometry;

/** What a boundary upload may be. Each is stated in the message that refuses a file beyond it. */
export const boundaryLimits = {
  /** The uploaded file (GeoJSON text, or the zip). */
  fileBytes: 10 * 1024 * 1024,
  /** The .shp and .prj files inside a zip once uncompressed (a guard against zip bombs). */
  unzippedBytes: 50 * 1024 * 1024,
  /** Corners (positions) over all polygons: far more than any neighbourhood needs. */
  vertices: 250_000,
  /** Features (or shapefile records) combined into one boundary. */
  features: 500,
  /** About the area of a large county (North Yorkshire is some 8,000 km², Kent 3,500 km²). */
  areaSqKm: 5_000,
} as const;

/** A box around England (with the Isles of Scilly and the Scottish border), in WGS84 degrees. */
export const englandBounds = { west: -6.5, south: 49.8, east: 2, north: 55.9 } as const;

/** The coordinate systems Patchwork reads boundaries in, by EPSG code. */
export const knownCrs: ReadonlyMap<number, { label: string; units: 'degrees' | 'metres' }> = new Map([
  [4326, { label: 'WGS 84 longitude and latitude (EPSG:4326)', units: 'degrees' }],
  [4258, { label: 'ETRS89 longitude and latitude (EPSG:4258)', units: 'degrees' }],
  [4277, { label: 'OSGB 1936 longitude and latitude (EPSG:4277)', units: 'degrees' }],
  [27700, { label: 'British National Grid (EPSG:27700)', units: 'metres' }],
  [3857, { label: 'Web Mercator (EPSG:3857)', units: 'metres' }],
  [25830, { label: 'ETRS89 / UTM zone 30N (EPSG:25830)', units: 'metres' }],
  [25831, { label: 'ETRS89 / UTM zone 31N (EPSG:25831)', units: 'metres' }],
  [32630, { label: 'WGS 84 / UTM zone 30N (EPSG:32630)', units: 'metres' }],
  [32631, { label: 'WGS 84 / UTM zone 31N (EPSG:32631)', units: 'metres' }],
]);

export type BoundaryProblem =
  | 'empty-file'
  | 'too-large'
  | 'wrong-type'
  | 'unreadable'
  | 'not-polygon'
  | 'bad-coordinates'
  | 'too-many-features'
  | 'too-many-vertices'
  | 'crs-missing'
  | 'crs-unknown'
  | 'crs-mismatch'
  | 'no-area'
  | 'outside-england'
  | 'area-too-large';

/** A boundary that was refused. Its message is written for the person who gave it, to show on the form. */
export class BoundaryUploadError extends Error {
  override name = 'BoundaryUploadError';
  constructor(
    public readonly problem: BoundaryProblem,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export type BoundaryUpload = {
  /** The polygons as given (2D), in the coordinate system `srid`; several polygons make a MultiPolygon. */
  geometry: BoundaryGeometry;
  /** EPSG code of the coordinates. */
  srid: number;
  /** How many features (GeoJSON) or records (shapefile) were combined. */
  features: number;
  /** How many corners there are over all polygons. */
  vertices: number;
  format: 'geojson' | 'shapefile';
};

const megabytes = (bytes: number) => `${Math.round(bytes / (1024 * 1024))} MB`;
const thousands = (n: number) => n.toLocaleString('en-GB');
const supportedList = 'British National Grid (EPSG:27700), WGS 84 (EPSG:4326), ETRS89 (EPSG:4258) or Web Mercator (EPSG:3857)';

/**
 * Reads an uploaded boundary file: GeoJSON (a FeatureCollection, a Feature, or a bare Polygon or
 * MultiPolygon) or a zipped shapefile (.zip holding a .shp and its .prj). A boundary drawn on the map is read
 * the same way, as GeoJSON. Throws BoundaryUploadError for anything Patchwork cannot take.
 */
export async function readBoundaryUpload(bytes: Buffer | Uint8Array, filename: string): Promise<BoundaryUpload> {
  return kindOfUpload(bytes, filename) === 'zip' ? readShapefileZip(bytes) : readGeoJson(bytes);
}

/** Whether an upload is a zip (a shapefile) or GeoJSON, refusing what is neither, empty or too large. */
function kindOfUpload(bytes: Buffer | Uint8Array, filename: string): 'zip' | 'geojson' {
  if (bytes.byteLength === 0) throw new BoundaryUploadError('empty-file', 'The selected file is empty');
  if (bytes.byteLength > boundaryLimits.fileBytes) {
    throw new BoundaryUploadError('too-large', `The selected file must be smaller than ${megabytes(boundaryLimits.fileBytes)}: this one is ${(bytes.byteLength / (1024 * 1024)).toFixed(1)} MB. Simplify the boundary or upload fewer features`);
  }
  const extension = /\.([a-z0-9]+)$/i.exec(filename)?.[1]?.toLowerCase() ?? '';
  const isZip = bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
  if (isZip) return 'zip';
  if (extension === 'zip') throw new BoundaryUploadError('unreadable', 'The selected file is not a readable zip file');
  if (extension === 'shp' || extension === 'dbf' || extension === 'shx' || extension === 'prj') {
    throw new BoundaryUploadError('wrong-type', 'Upload a shapefile as one zip file holding its .shp, .shx, .dbf and .prj files');
  }
  if (['geojson', 'json', ''].includes(extension) || firstNonSpace(bytes) === '{') return 'geojson';
  throw new BoundaryUploadError('wrong-type', 'The selected file must be GeoJSON (.geojson or .json) or a zipped shapefile (.zip)');
}

/** One area of a file of many, kept apart from the others with what the file says about it. */
export type BoundaryFeature = {
  /** Its place in the file, from 1 (features of a GeoJSON file, records of a shapefile). */
  number: number;
  /** The feature's GeoJSON properties, or the record's row of the shapefile's .dbf table. */
  properties: Record<string, unknown>;
  /** Its polygons as given (2D), in the coordinate system `srid`. */
  geometry: BoundaryGeometry;
};

export type BoundaryFeatures = {
  features: BoundaryFeature[];
  /** EPSG code of the coordinates. */
  srid: number;
  /** Corners over all the features. */
  vertices: number;
  /** Every property name any feature has, in the order first met. */
  propertyNames: string[];
  format: 'geojson' | 'shapefile';
};

/**
 * Reads a file of many areas (every PCN of a district, say) keeping each feature or shapefile record apart
 * with its properties, where readBoundaryUpload merges them into one boundary. The same checks and limits
 * apply (size, polygons only, features, corners over the whole file, coordinate system); a bare geometry is
 * refused, since it has no properties to name its area by. `label` names a feature in messages, so a
 * problem can be traced to the area it is in. Nothing is written; each geometry still needs toValidBoundary.
 */
export async function readBoundaryFeatures(bytes: Buffer | Uint8Array, filename: string, label: (feature: { number: number; properties: Record<string, unknown> }) => string = ({ number }) => `Feature ${number}`): Promise<BoundaryFeatures> {
  const kind = kindOfUpload(bytes, filename);
  let rows: { geometry: unknown; properties: Record<string, unknown> }[];
  let srid: number;
  if (kind === 'zip') {
    const { shp, srid: declared, dbf, cpg } = await unzipShapefile(bytes, true);
    srid = declared;
    const records = await shapefileRecords(shp);
    let table: Record<string, unknown>[];
    try {
      // shpjs's own reader of the .dbf (parsedbf), with the .cpg's code page where there is one. Its types
      // (src/types/shpjs.d.ts) declare only parseShp, so the module is cast here.
      const { parseDbf } = await import('shpjs');
      table = parseDbf(dbf!, cpg);
    } catch (error) {
      throw new BoundaryUploadError('unreadable', `The .dbf file in the zip is not a readable table of the shapes' attributes (${(error as Error).message})`, { cause: error });
    }
    if (table.length !== records.length) {
      throw new BoundaryUploadError('unreadable', `The shapefile's .dbf table has ${thousands(table.length)} rows but its .shp file has ${thousands(records.length)} shapes: they must match, one row for each shape`);
    }
    checkFeatureCount(records.length, 'layer');
    rows = records.map((geometry, i) => ({ geometry, properties: table[i] ?? {} }));
  } else {
    const document = parseGeoJson(bytes);
    if (document.type === 'FeatureCollection') {
      if (!Array.isArray(document.features)) throw new BoundaryUploadError('unreadable', 'The selected file is not valid GeoJSON: its FeatureCollection has no list of features');
      checkFeatureCount(document.features.length, 'layer');
      rows = document.features.map((feature, i) => featureWithProperties(feature, `Feature ${i + 1}`));
    } else if (document.type === 'Feature') {
      rows = [featureWithProperties(document, 'The feature')];
    } else {
      throw new BoundaryUploadError('wrong-type', 'The selected file must hold a FeatureCollection: each feature an area, with properties giving its name (a bare geometry has nowhere to put a name)');
    }
    srid = sridOfGeoJson(document);
  }
  const shapes = rows.map((row, i) => ({ label: label({ number: i + 1, properties: row.properties }), geometry: row.geometry }));
  const { parts, vertices } = collectPolygons(shapes, srid, kind === 'zip' ? 'shapefile' : 'geojson', 'The file');
  const propertyNames = [...new Set(rows.flatMap((r) => Object.keys(r.properties)))];
  return { features: rows.map((row, i) => ({ number: i + 1, properties: row.properties, geometry: parts[i]! })), srid, vertices, propertyNames, format: kind === 'zip' ? 'shapefile' : 'geojson' };
}

function featureWithProperties(feature: unknown, label: string): { geometry: unknown; properties: Record<string, unknown> } {
  const { geometry } = featureShape(feature, label);
  const properties = (feature as Json).properties;
  return { geometry, properties: isObject(properties) ? properties : {} };
}

function firstNonSpace(bytes: Uint8Array): string {
  for (let i = 0; i < Math.min(bytes.length, 1024); i++) {
    const c = bytes[i]!;
    if (c === 0xef || c === 0xbb || c === 0xbf || c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) continue;
    return String.fromCharCode(c);
  }
  return '';
}

// ---------------------------------------------------------------------------------------------------------
// GeoJSON

type Json = Record<string, unknown>;
type Shape = { label: string; geometry: unknown };

function readGeoJson(bytes: Uint8Array): BoundaryUpload {
  const document = parseGeoJson(bytes);
  let shapes: Shape[];
  switch (document.type) {
    case 'FeatureCollection': {
      if (!Array.isArray(document.features)) throw new BoundaryUploadError('unreadable', 'The selected file is not valid GeoJSON: its FeatureCollection has no list of features');
      checkFeatureCount(document.features.length);
      shapes = document.features.map((feature, i) => featureShape(feature, `Feature ${i + 1}`));
      break;
    }
    case 'Feature':
      shapes = [featureShape(document, 'The feature')];
      break;
    case 'GeometryCollection': {
      if (!Array.isArray(document.geometries)) throw new BoundaryUploadError('unreadable', 'The selected file is not valid GeoJSON: its GeometryCollection has no list of geometries');
      checkFeatureCount(document.geometries.length);
      shapes = document.geometries.map((geometry, i) => ({ label: `Geometry ${i + 1}`, geometry }));
      break;
    }
    case 'Polygon':
    case 'MultiPolygon':
      shapes = [{ label: 'The shape', geometry: document }];
      break;
    case 'Point':
    case 'MultiPoint':
    case 'LineString':
    case 'MultiLineString':
      throw new BoundaryUploadError('not-polygon', `The file holds a ${document.type}, not a polygon: a boundary must be an area (a Polygon or MultiPolygon)`);
    default:
      throw new BoundaryUploadError('wrong-type', `The selected file is not GeoJSON: it must hold a FeatureCollection, a Feature, a Polygon or a MultiPolygon${typeof document.type === 'string' ? `, not a ${document.type.slice(0, 40)}` : ''}`);
  }
  const srid = sridOfGeoJson(document);
  const { geometry, vertices } = collectPolygons(shapes, srid, 'geojson');
  return { geometry, vertices, srid, features: shapes.length, format: 'geojson' };
}

/** The file as a JSON object, refusing what is not UTF-8 JSON text holding an object. */
function parseGeoJson(bytes: Uint8Array): Json {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes); // drops a byte-order mark
  } catch {
    throw new BoundaryUploadError('unreadable', 'The selected file is not GeoJSON: it is not UTF-8 text');
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new BoundaryUploadError('unreadable', `The selected file is not valid GeoJSON: ${(error as Error).message}`);
  }
  if (!isObject(document)) throw new BoundaryUploadError('wrong-type', 'The selected file is not GeoJSON: it must hold a FeatureCollection, a Feature, a Polygon or a MultiPolygon');
  return document;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function featureShape(feature: unknown, label: string): Shape {
  if (!isObject(feature) || feature.type !== 'Feature') throw new BoundaryUploadError('unreadable', `The selected file is not valid GeoJSON: ${label.toLowerCase()} is not a Feature`);
  return { label, geometry: feature.geometry };
}

function checkFeatureCount(n: number, of: 'boundary' | 'layer' = 'boundary'): void {
  if (n === 0) throw new BoundaryUploadError('no-area', 'The selected file has no features: it must hold at least one polygon');
  if (n > boundaryLimits.features) {
    throw new BoundaryUploadError(
      'too-many-features',
      of === 'boundary'
        ? `The selected file has ${thousands(n)} features: a boundary can be made of at most ${thousands(boundaryLimits.features)}. Merge them first or upload fewer`
        : `The selected file has ${thousands(n)} features: a layer can have at most ${thousands(boundaryLimits.features)} areas. Upload fewer, such as one district's at a time`,
    );
  }
}

/**
 * The EPSG code a GeoJSON document declares with the legacy `crs` member (2008 GeoJSON, still written by
 * QGIS, ogr2ogr and ONS downloads): `urn:ogc:def:crs:EPSG::27700`, `EPSG:27700`, an OGC CRS84 name, or the
 * older `{ type: "EPSG", properties: { code } }`. Without one, RFC 7946 says WGS84 longitude and latitude.
 */
function sridOfGeoJson(document: Json): number {
  const crs = document.crs;
  if (crs === undefined || crs === null) return 4326;
  const properties = isObject(crs) && isObject(crs.properties) ? crs.properties : {};
  let srid: number | undefined;
  let named = '';
  if (isObject(crs) && crs.type === 'EPSG' && (typeof properties.code === 'number' || typeof properties.code === 'string')) {
    srid = Number(properties.code);
    named = `EPSG:${String(properties.code)}`;
  } else if (typeof properties.name === 'string') {
    named = properties.name.trim();
    if (/(^|:)CRS:?84$|OGC:(1\.3:)?CRS84$/i.test(named)) srid = 4326;
    else srid = Number(/^(?:urn:ogc:def:crs:)?EPSG:{1,2}(?:[\d.]*:)?(\d+)$/i.exec(named)?.[1] ?? /opengis\.net\/def\/crs\/EPSG\/[\d.]+\/(\d+)$/i.exec(named)?.[1] ?? NaN);
  }
  if (srid === undefined || !Number.isInteger(srid)) {
    throw new BoundaryUploadError('crs-unknown', `The file's coordinate system${named ? ` (${named.slice(0, 80)})` : ''} is not one Patchwork can read. Save the file in ${supportedList}`);
  }
  if (srid === 900913 || srid === 3785 || srid === 102100) srid = 3857;
  if (!knownCrs.has(srid)) {
    throw new BoundaryUploadError('crs-unknown', `The file is in EPSG:${srid}, a coordinate system Patchwork does not read. Save it in ${supportedList}`);
  }
  return srid;
}

// ---------------------------------------------------------------------------------------------------------
// Shapefiles

const shapeTypeNames: Record<number, string> = { 1: 'points', 3: 'lines', 8: 'points', 11: 'points', 13: 'lines', 18: 'points', 21: 'points', 23: 'lines', 28: 'points', 31: 'a multipatch' };

async function readShapefileZip(bytes: Uint8Array): Promise<BoundaryUpload> {
  const { shp, srid } = await unzipShapefile(bytes, false);
  const rows = await shapefileRecords(shp);
  const shapes = rows.flatMap((geometry, i) => (geometry === null ? [] : [{ label: `Shape ${i + 1}`, geometry }]));
  checkFeatureCount(shapes.length);
  const { geometry, vertices } = collectPolygons(shapes, srid, 'shapefile');
  return { geometry, vertices, srid, features: shapes.length, format: 'shapefile' };
}

/**
 * The one shapefile in a zip: its .shp and the EPSG code its .prj names, and with `withTable` its .dbf (the
 * attributes, needed to name each area of a layer) and .cpg (the .dbf's code page). Nothing else is unzipped.
 */
async function unzipShapefile(bytes: Uint8Array, withTable: boolean): Promise<{ shp: Uint8Array; srid: number; dbf?: Uint8Array; cpg?: string }> {
  const wanted = withTable ? /\.(shp|prj|dbf|cpg)$/i : /\.(shp|prj)$/i;
  const shpNames: string[] = [];
  let unzipped = 0;
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, {
      filter: (file) => {
        const base = file.name.split('/').pop() ?? '';
        if (file.name.startsWith('__MACOSX/') || base.startsWith('.') || !wanted.test(base)) return false;
        if (/\.shp$/i.test(base)) shpNames.push(file.name);
        unzipped += file.originalSize;
        if (unzipped > boundaryLimits.unzippedBytes) {
          throw new BoundaryUploadError('too-large', `The shapefile in the zip is larger than ${megabytes(boundaryLimits.unzippedBytes)} once unzipped: simplify the boundary or upload fewer features`);
        }
        return true;
      },
    });
  } catch (error) {
    if (error instanceof BoundaryUploadError) throw error;
    throw new BoundaryUploadError('unreadable', `The selected file is not a readable zip file (${(error as Error).message})`, { cause: error });
  }
  if (shpNames.length === 0) {
    throw new BoundaryUploadError('wrong-type', 'The zip file has no shapefile in it: it must hold a .shp file with its .shx, .dbf and .prj files');
  }
  if (shpNames.length > 1) {
    throw new BoundaryUploadError('wrong-type', `The zip file holds ${shpNames.length} shapefiles (${shpNames.slice(0, 3).join(', ')}${shpNames.length > 3 ? '…' : ''}): upload one shapefile at a time`);
  }
  const shpName = shpNames[0]!;
  const stem = shpName.slice(0, -4).toLowerCase();
  const sibling = (ext: string) => Object.entries(files).find(([name]) => name.toLowerCase() === `${stem}.${ext}`)?.[1];
  const shp = files[shpName]!;
  const prj = sibling('prj');
  if (!prj) {
    throw new BoundaryUploadError('crs-missing', `The zip file has no .prj file for ${shpName.split('/').pop()}, so Patchwork cannot tell which coordinate system it uses. Include the .prj file saved with the shapefile`);
  }
  const wkt = new TextDecoder().decode(prj).trim();
  const srid = sridOfPrj(wkt);
  if (srid === undefined) {
    const name = wktName(wkt);
    throw new BoundaryUploadError('crs-unknown', `The shapefile's coordinate system${name ? ` (${name.slice(0, 80)})` : ''} is not one Patchwork recognises. Save it in ${supportedList}`);
  }
  if (!withTable) return { shp, srid };
  const dbf = sibling('dbf');
  if (!dbf) {
    throw new BoundaryUploadError('wrong-type', `The zip file has no .dbf file for ${shpName.split('/').pop()}: it holds each area's name and code, so include the .dbf file saved with the shapefile`);
  }
  const cpg = sibling('cpg');
  return { shp, srid, dbf, cpg: cpg ? new TextDecoder().decode(cpg).trim() : undefined };
}

/** Every record of a .shp file, in order: its geometry as GeoJSON with the coordinates as stored, or null for a null shape. */
async function shapefileRecords(shp: Uint8Array): Promise<unknown[]> {
  if (shp.byteLength < 100) throw new BoundaryUploadError('unreadable', 'The .shp file in the zip is not a readable shapefile: it is too short');
  const header = new DataView(shp.buffer, shp.byteOffset, shp.byteLength);
  if (header.getInt32(0, false) !== 9994) throw new BoundaryUploadError('unreadable', 'The .shp file in the zip is not a readable shapefile');
  const shapeType = header.getInt32(32, true);
  if (shapeType !== 5 && shapeType !== 15 && shapeType !== 25) {
    throw new BoundaryUploadError('not-polygon', `The shapefile holds ${shapeTypeNames[shapeType] ?? `shapes of type ${shapeType}`}, not polygons: a boundary must be an area`);
  }
  try {
    // shpjs reads the records; given no projection it returns the coordinates as they are, for PostGIS to
    // reproject (with the datum shift proj4 would need the .prj to spell out, which ESRI .prj files do not).
    const { parseShp } = await import('shpjs');
    return parseShp(header);
  } catch (error) {
    throw new BoundaryUploadError('unreadable', `The .shp file in the zip is not a readable shapefile (${(error as Error).message})`, { cause: error });
  }
}

type WktNode = { keyword: string; args: (string | number | WktNode)[] };

/** Parses WKT (1 or 2, OGC or ESRI flavour) into a tree; undefined if it is not WKT. */
function parseWkt(text: string): WktNode | undefined {
  let i = 0;
  const space = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const node = (): WktNode => {
    space();
    const keyword = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i))?.[0];
    if (!keyword) throw new Error('keyword expected');
    i += keyword.length;
    space();
    const open = text[i];
    if (open !== '[' && open !== '(') return { keyword: keyword.toUpperCase(), args: [] }; // a bare word such as EAST
    i++;
    const args: WktNode['args'] = [];
    for (;;) {
      space();
      const c = text[i];
      if (c === undefined) throw new Error('unterminated');
      if (c === ']' || c === ')') {
        i++;
        break;
      }
      if (c === ',') {
        i++;
        continue;
      }
      if (c === '"') {
        let value = '';
        i++;
        for (;;) {
          const d = text[i];
          if (d === undefined) throw new Error('unterminated string');
          if (d === '"' && text[i + 1] === '"') {
            value += '"';
            i += 2;
          } else if (d === '"') {
            i++;
            break;
          } else {
            value += d;
            i++;
          }
        }
        args.push(value);
      } else if (/[-+\d.]/.test(c)) {
        const number = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?/.exec(text.slice(i))?.[0];
        if (!number) throw new Error('number expected');
        i += number.length;
        args.push(Number(number));
      } else {
        args.push(node());
      }
    }
    return { keyword: keyword.toUpperCase(), args };
  };
  try {
    const root = node();
    space();
    return i === text.length ? root : undefined;
  } catch {
    return undefined;
  }
}

function wktName(wkt: string): string | undefined {
  const name = parseWkt(wkt)?.args[0];
  return typeof name === 'string' ? name : undefined;
}

const children = (node: WktNode, ...keywords: string[]) => node.args.filter((a): a is WktNode => typeof a === 'object' && keywords.includes(a.keyword));
const squash = (name: unknown) => (typeof name === 'string' ? name.toLowerCase().replace(/[^a-z0-9]/g, '') : '');

/**
 * The EPSG code of the coordinate system a shapefile's .prj describes, or undefined if Patchwork does not
 * recognise it. An EPSG authority on the system itself (OGC WKT, WKT2) is taken as it is; otherwise the
 * system is recognised by its name and datum, as ESRI software writes them ("British_National_Grid",
 * "GCS_WGS_1984", "WGS_1984_Web_Mercator_Auxiliary_Sphere"…).
 */
export function sridOfPrj(wkt: string): number | undefined {
  const root = parseWkt(wkt.trim());
  if (!root) return undefined;
  for (const authority of children(root, 'AUTHORITY', 'ID')) {
    const [body, code] = authority.args;
    if (typeof body === 'string' && body.toUpperCase() === 'EPSG' && knownCrs.has(Number(code))) return Number(code);
  }
  const name = squash(root.args[0]);
  const projected = ['PROJCS', 'PROJCRS', 'PROJECTEDCRS'].includes(root.keyword);
  const geographic = ['GEOGCS', 'GEOGCRS', 'GEODCRS', 'GEOGRAPHICCRS', 'GEODETICCRS'].includes(root.keyword);
  const datumOf = (node: WktNode): string => {
    for (const child of node.args) {
      if (typeof child !== 'object') continue;
      if (['DATUM', 'GEODETICDATUM', 'TRF', 'ENSEMBLE', 'DATUMENSEMBLE'].includes(child.keyword)) return squash(child.args[0]);
      const inner = datumOf(child);
      if (inner) return inner;
    }
    return '';
  };
  const datum = datumOf(root);
  const etrs = /etrs(89|1989)|europeanterrestrialreferencesystem1989/;
  const wgs84 = /wgs(84|1984)|worldgeodeticsystem1984/;
  const osgb = /osgb(36|1936)/;
  if (projected) {
    if (name.includes('britishnationalgrid') && (osgb.test(datum) || osgb.test(name) || !datum)) return 27700;
    if (/pseudomercator|webmercator|popularvisualisation|googlemapsglobalmercator|mercatorauxiliarysphere|^googlemercator$/.test(name)) return 3857;
    const utm = /utmzone(30|31)n$/.exec(name);
    if (utm) {
      if (etrs.test(name) || etrs.test(datum)) return utm[1] === '30' ? 25830 : 25831;
      if (wgs84.test(name) || wgs84.test(datum)) return utm[1] === '30' ? 32630 : 32631;
    }
    return undefined;
  }
  if (geographic) {
    const both = `${name} ${datum}`;
    if (osgb.test(both)) return 4277;
    if (etrs.test(both)) return 4258;
    if (wgs84.test(both)) return 4326;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Polygons, corners and plausible coordinates

/**
 * Checks every shape is a polygon of well-formed rings and gathers them, 2D, into one geometry (and each
 * shape's own, in `parts`); counts the corners against the limit; and refuses coordinates that cannot be in
 * the declared coordinate system.
 */
function collectPolygons(shapes: Shape[], srid: number, format: 'geojson' | 'shapefile', subject = 'The boundary'): { geometry: BoundaryGeometry; vertices: number; parts: BoundaryGeometry[] } {
  const notPolygons = shapes.filter((s) => !isObject(s.geometry) || (s.geometry.type !== 'Polygon' && s.geometry.type !== 'MultiPolygon'));
  if (notPolygons.length) {
    const first = notPolygons[0]!;
    const type = isObject(first.geometry) && typeof first.geometry.type === 'string' ? first.geometry.type.slice(0, 40) : undefined;
    const others = notPolygons.length - 1;
    throw new BoundaryUploadError(
      'not-polygon',
      `${first.label} ${type ? `is a ${type}` : 'has no geometry'}, not a polygon${others ? ` (and ${others} more ${others === 1 ? 'is not a polygon' : 'are not polygons'})` : ''}: a boundary must be made only of areas (Polygon or MultiPolygon)`,
    );
  }
  const polygons: Position[][][] = [];
  let vertices = 0;
  const box = { minX: Infinity, minY: Infinity, maxX: -Infinity, maxY: -Infinity };
  const bad = (label: string, what: string) => new BoundaryUploadError('bad-coordinates', `${label} ${what}`);
  const readPolygon = (rings: unknown, label: string): Position[][] => {
    if (!Array.isArray(rings) || rings.length === 0) throw bad(label, 'has a polygon with no rings of coordinates');
    return rings.map((ring: unknown, r) => {
      const ringLabel = r === 0 ? 'its outer ring' : `ring ${r + 1}`;
      if (!Array.isArray(ring)) throw bad(label, `has a polygon whose ${ringLabel} is not a list of coordinates`);
      vertices += ring.length;
      if (vertices > boundaryLimits.vertices) {
        throw new BoundaryUploadError(
          'too-many-vertices',
          `${subject} has more than ${thousands(boundaryLimits.vertices)} corners (points): simplify it first (in QGIS, Vector › Geometry Tools › Simplify, with a tolerance of a few metres)`,
        );
      }
      const out = ring.map((position: unknown): Position => {
        if (!Array.isArray(position) || position.length < 2 || typeof position[0] !== 'number' || typeof position[1] !== 'number' || !Number.isFinite(position[0]) || !Number.isFinite(position[1])) {
          throw bad(label, `has a coordinate that is not a pair of numbers (${shallowText(position).slice(0, 40)})`);
        }
        const [x, y] = position as [number, number];
        if (x < box.minX) box.minX = x;
        if (x > box.maxX) box.maxX = x;
        if (y < box.minY) box.minY = y;
        if (y > box.maxY) box.maxY = y;
        return [x, y];
      });
      if (out.length < 4) throw bad(label, `has a ring with ${out.length} ${out.length === 1 ? 'point' : 'points'}: a polygon's ring needs at least 3 corners and must end where it starts`);
      const [first, last] = [out[0]!, out[out.length - 1]!];
      if (first[0] !== last[0] || first[1] !== last[1]) throw bad(label, `has a ring that does not end where it starts (${ringLabel}): the last point of each ring must repeat the first`);
      return out;
    });
  };
  const asGeometry = (list: Position[][][]): BoundaryGeometry => (list.length === 1 ? { type: 'Polygon', coordinates: list[0]! } : { type: 'MultiPolygon', coordinates: list });
  const parts: BoundaryGeometry[] = [];
  for (const { label, geometry } of shapes) {
    const g = geometry as Json;
    const own: Position[][][] = [];
    if (g.type === 'Polygon') own.push(readPolygon(g.coordinates, label));
    else {
      if (!Array.isArray(g.coordinates) || g.coordinates.length === 0) throw bad(label, 'is a MultiPolygon with no polygons');
      for (const polygon of g.coordinates) own.push(readPolygon(polygon, label));
    }
    for (const polygon of own) polygons.push(polygon);
    parts.push(asGeometry(own));
  }
  checkPlausible(box, srid, format);
  return { geometry: asGeometry(polygons), vertices, parts };
}

/**
 * A value as JSON one level deep, for a message: JSON.stringify would recurse through whatever nesting a hostile
 * file has (100,000 levels overflow the stack), so anything nested is shown as […] or {…}.
 */
function shallowText(value: unknown): string {
  const one = (v: unknown) => (Array.isArray(v) ? '[…]' : typeof v === 'object' && v !== null ? '{…}' : String(JSON.stringify(v)));
  return Array.isArray(value) ? `[${value.slice(0, 4).map(one).join(',')}${value.length > 4 ? ',…' : ''}]` : one(value);
}

type Box = { minX: number; minY: number; maxX: number; maxY: number };
const within = (b: Box, x0: number, x1: number, y0: number, y1: number) => b.minX >= x0 && b.maxX <= x1 && b.minY >= y0 && b.maxY <= y1;

/**
 * Refuses coordinates plainly not in the coordinate system the file declares (or, without a declaration,
 * WGS84 as RFC 7946 says): British National Grid metres in a GeoJSON with no `crs`, degrees in a file that
 * says it is in metres, latitude and longitude the wrong way round. What merely lies outside England is left
 * to toValidBoundary, which measures it after reprojection.
 */
function checkPlausible(box: Box, srid: number, format: 'geojson' | 'shapefile'): void {
  const crs = knownCrs.get(srid)!;
  const looksLikeDegrees = within(box, -180, 180, -90, 90);
  const looksLikeBng = within(box, 0, 700_000, 0, 1_300_000) && !looksLikeDegrees;
  if (crs.units === 'degrees') {
    if (looksLikeBng) {
      throw new BoundaryUploadError(
        'crs-missing',
        format === 'geojson'
          ? `The coordinates look like British National Grid eastings and northings (metres), but the file does not say so, and GeoJSON without a "crs" is read as ${crs.label}. Add "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}} to the file, or reproject it to WGS 84 longitude and latitude`
          : `The coordinates look like British National Grid eastings and northings (metres), but the .prj file says ${crs.label}. Give the shapefile its correct .prj file, or reproject it`,
      );
    }
    if (!looksLikeDegrees) {
      throw new BoundaryUploadError('crs-mismatch', `The coordinates are not longitude and latitude in degrees, as ${crs.label} needs. Check the file's coordinate system`);
    }
    if (within(box, englandBounds.south, englandBounds.north, englandBounds.west, englandBounds.east)) {
      throw new BoundaryUploadError('crs-mismatch', 'The coordinates seem to be latitude then longitude: GeoJSON and shapefiles give longitude (east–west) first. Swap them and upload the file again');
    }
    return;
  }
  if (looksLikeDegrees && box.maxX - box.minX < 10 && box.maxY - box.minY < 10) {
    throw new BoundaryUploadError('crs-mismatch', `The coordinates look like longitude and latitude in degrees, but the file says they are in ${crs.label}, in metres. Check the file's coordinate system`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// PostGIS: reproject, repair, merge, measure

export type BoundaryRepair = {
  /** Which polygon of the input (1-based). */
  polygon: number;
  /** GEOS's reason, as ST_IsValidDetail gives it (e.g. "Self-intersection"). */
  reason: string;
  /** Where, in WGS84 [longitude, latitude], when PostGIS says. */
  location: [number, number] | null;
  /** For people. */
  message: string;
};

export type ValidBoundary = {
  /** The boundary as a WGS84 MultiPolygon. */
  geojson: MultiPolygonGeometry;
  /** The same as EWKT ("SRID=4326;MULTIPOLYGON(…)"), the form the geometry columns accept. */
  ewkt: string;
  /** Whether any polygon was invalid and had to be repaired. */
  repaired: boolean;
  repairs: BoundaryRepair[];
  /** Area in square kilometres, measured in British National Grid. */
  areaSqKm: number;
  /** How many separate polygons the boundary has once overlapping and touching parts are merged. */
  polygons: number;
  /** [west, south, east, north] in WGS84 degrees. */
  bbox: [number, number, number, number];
};

const plainReasons: [RegExp, string][] = [
  [/self-intersection/i, 'the boundary crosses itself'],
  [/hole lies outside shell/i, 'a hole lies outside the shape it is cut from'],
  [/nested holes/i, 'a hole lies inside another hole'],
  [/interior is disconnected/i, 'holes cut the shape into separate pieces'],
  [/nested shells/i, 'one part lies inside another'],
  [/duplicate rings/i, 'a ring is repeated'],
  [/too few (distinct )?points/i, 'a ring has too few distinct corners'],
  [/ring is not closed/i, 'a ring does not end where it starts'],
  [/invalid coordinate/i, 'a coordinate is not a number'],
];

function repairMessage(reason: string, location: [number, number] | null, polygon: number, of: number): string {
  const plain = plainReasons.find(([pattern]) => pattern.test(reason))?.[1] ?? 'the shape is not a valid polygon';
  const where = location ? ` near latitude ${location[1].toFixed(5)}, longitude ${location[0].toFixed(5)}` : '';
  return `${of > 1 ? `In polygon ${polygon}, ` : ''}${of > 1 ? plain : plain[0]!.toUpperCase() + plain.slice(1)}${where} (${reason}). Patchwork repaired it: check the boundary on the map`;
}

/**
 * Makes a valid WGS84 MultiPolygon of an uploaded or drawn boundary, in PostGIS on either engine. Each
 * polygon is checked (ST_IsValid / ST_IsValidDetail) in its own coordinate system and repaired if it needs
 * to be (ST_MakeValid, keeping only the areas with ST_CollectionExtract); overlapping or touching polygons
 * (neighbouring features of one file) are merged (ST_Union); then the shape is reprojected (ST_Transform).
 * Refuses a boundary with no area, one not wholly in England, or one larger than the limit, measured in
 * British National Grid. Writes nothing. Run it outside a transaction, or in a savepoint: a database error
 * (a coordinate system PostGIS cannot reproject) would end the caller's transaction.
 */
export async function toValidBoundary(db: Tx, geometry: BoundaryGeometry, srid: number): Promise<ValidBoundary> {
  if (!knownCrs.has(srid)) throw new BoundaryUploadError('crs-unknown', `EPSG:${srid} is not a coordinate system Patchwork reads. Use ${supportedList}`);
  const json = JSON.stringify({ type: geometry.type, coordinates: geometry.coordinates });
  const { west, south, east, north } = englandBounds;
  let rows: {
    part: number | null;
    reason: string | null;
    x: number | null;
    y: number | null;
    parts: number;
    empty: boolean | null;
    xmin: number | null;
    ymin: number | null;
    xmax: number | null;
    ymax: number | null;
    area_sq_km: number | null;
    polygons: number | null;
    geojson: string | null;
    ewkt: string | null;
  }[];
  try {
    rows = await queryRows(
      db,
      // Materialised steps: PostgreSQL would otherwise inline each into the next and repair and reproject the
      // shape once for every measure taken of it (seconds for a large boundary instead of milliseconds).
      sql`with input as (
            select ST_Force2D(ST_SetSRID(ST_GeomFromGeoJSON(${json}::text), ${srid}::int)) as g
          ), parts as (
            select coalesce(d.path[1], 1) as part, d.geom as g, ST_IsValid(d.geom) as valid from input, ST_Dump(input.g) d
          ), problems as (
            select p.part, v.reason, ST_Transform(ST_SetSRID(v.location, ${srid}::int), 4326) as location
            from parts p, ST_IsValidDetail(p.g) v where not p.valid
          ), merged as (
            select ST_Transform(ST_Union(case when valid then g else ST_CollectionExtract(ST_MakeValid(g), 3) end), 4326) as g, count(*)::int as parts from parts
          ), result as materialized (
            select ST_Multi(ST_CollectionExtract(case when ST_IsValid(g) then g else ST_MakeValid(g) end, 3)) as g, parts from merged
          ), measured as (
            select g, parts, ST_IsEmpty(g) as empty, ST_XMin(g) as xmin, ST_YMin(g) as ymin, ST_XMax(g) as xmax, ST_YMax(g) as ymax from result
          ), inside as materialized (
            select *,
              case when not empty and xmin >= ${west}::float8 and xmax <= ${east}::float8 and ymin >= ${south}::float8 and ymax <= ${north}::float8
                then ST_Area(ST_Transform(g, 27700)) / 1e6 end as area_sq_km
            from measured
          ), out as (
            select parts, empty, xmin, ymin, xmax, ymax, area_sq_km,
              case when area_sq_km <= ${boundaryLimits.areaSqKm}::float8 then ST_NumGeometries(g) end as polygons,
              case when area_sq_km <= ${boundaryLimits.areaSqKm}::float8 then ST_AsGeoJSON(g, 9) end as geojson,
              case when area_sq_km <= ${boundaryLimits.areaSqKm}::float8 then ST_AsEWKT(g) end as ewkt
            from inside
          )
          select p.part, p.reason, ST_X(p.location) as x, ST_Y(p.location) as y, o.*
          from out o left join problems p on true
          order by p.part`,
    );
  } catch (error) {
    throw new BoundaryUploadError('unreadable', `Patchwork could not read the boundary as ${knownCrs.get(srid)!.label}: check the file's coordinate system and that its shapes are polygons`, { cause: error });
  }
  const first = rows[0];
  if (!first || first.empty === null || first.empty) {
    throw new BoundaryUploadError('no-area', 'The boundary has no area: once its crossing or overlapping edges were repaired nothing was left. Draw or upload the boundary again');
  }
  const [xmin, ymin, xmax, ymax] = [first.xmin!, first.ymin!, first.xmax!, first.ymax!];
  if (first.area_sq_km === null) {
    const wholly = xmax < west || xmin > east || ymax < south || ymin > north;
    throw new BoundaryUploadError(
      'outside-england',
      `The boundary ${wholly ? 'is not in England' : 'reaches outside England'}: it spans latitude ${ymin.toFixed(3)} to ${ymax.toFixed(3)} and longitude ${xmin.toFixed(3)} to ${xmax.toFixed(3)}, and a neighbourhood must lie within latitude ${south} to ${north} and longitude ${west} to ${east}. Check the file's coordinate system`,
    );
  }
  if (first.area_sq_km > boundaryLimits.areaSqKm) {
    throw new BoundaryUploadError(
      'area-too-large',
      `The boundary must cover less than ${thousands(boundaryLimits.areaSqKm)} square kilometres (about the size of a large county): this one covers ${thousands(Math.round(first.area_sq_km))} square kilometres`,
    );
  }
  if (first.area_sq_km <= 0) throw new BoundaryUploadError('no-area', 'The boundary has no area. Draw or upload the boundary again');
  const repairs = rows
    .filter((r) => r.part !== null)
    .map((r): BoundaryRepair => {
      const location: [number, number] | null = r.x === null || r.y === null ? null : [r.x, r.y];
      const reason = (r.reason ?? 'invalid').trim();
      return { polygon: r.part!, reason, location, message: repairMessage(reason, location, r.part!, first.parts) };
    });
  return {
    geojson: JSON.parse(first.geojson!) as MultiPolygonGeometry,
    ewkt: first.ewkt!,
    repaired: repairs.length > 0,
    repairs,
    areaSqKm: first.area_sq_km,
    polygons: first.polygons!,
    bbox: [xmin, ymin, xmax, ymax],
  };
}
