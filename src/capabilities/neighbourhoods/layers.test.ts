import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { strToU8, unzipSync, zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../../platform/audit/audit.ts';
import type { Viewer } from '../../platform/auth/permissions.ts';
import { queryRows } from '../../platform/db/database.ts';
import { createTestDatabase, engines, type TestDatabase } from '../../../tests/support/engines.ts';
import { Client, emailOf, seedPeople, startTestApp } from '../../../tests/support/app.ts';
import { loadBundledSteps } from '../../../tests/support/data.ts';
import { importBoundaries } from '../geography/boundaries.ts';
import { readBoundaryFeatures, toValidBoundary, type Position } from './geometry-input.ts';
import { importLayer, LayerImportError, type LayerDetails } from './layers.ts';
import { overlapMatrix } from './overlap.ts';
import { createNeighbourhood } from './service.ts';

const leeds = 'E08000035';
const anyone: Viewer = { user: null, organisationIds: [] };

type WardFeature = { type: 'Feature'; properties: Record<string, string | number>; geometry: { type: 'Polygon' | 'MultiPolygon'; coordinates: Position[][] | Position[][][] } };
const wardFile = JSON.parse(gunzipSync(readFileSync(path.resolve(`tests/fixtures/boundaries/ward25/${leeds}.geojson.gz`))).toString('utf8')) as { crs: unknown; features: WardFeature[] };
/** Three Leeds wards (2025), standing in for three PCNs: each feature named and coded as a PCN file would be. */
const wards = [...wardFile.features].sort((a, b) => String(a.properties.WD25CD).localeCompare(String(b.properties.WD25CD))).slice(0, 3);
const pcn = (ward: WardFeature, i: number, properties: Record<string, unknown> = {}) => ({ type: 'Feature', properties: { PCN_NAME: `${ward.properties.WD25NM} PCN`, PCN_CODE: `U0000${i + 1}`, ...properties }, geometry: ward.geometry });
const collection = (features: unknown[]) => JSON.stringify({ type: 'FeatureCollection', crs: wardFile.crs, features });
const square = (west: number, south: number, size: number) => ({ type: 'Polygon', coordinates: [[[west, south], [west + size, south], [west + size, south + size], [west, south + size], [west, south]]] });

const details: LayerDetails = { name: 'Leeds PCNs (sample data)', purpose: 'pcn-footprint', description: null, sharing: 'public', source: 'Test fixture: three 2025 wards' };
const fields = { nameProperty: 'PCN_NAME', codeProperty: 'PCN_CODE' };

/** The .prj ArcGIS writes for WGS 84 longitude and latitude. */
const wgs84Prj = 'GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]';

/**
 * A zipped polygon shapefile (.shp, .dbf, .prj) by the ESRI Shapefile Technical Description: each record one
 * outer ring (clockwise, as the specification requires), with a dBASE III table of character fields.
 */
function zippedShapefile(records: { ring: Position[]; attributes: Record<string, string> }[]): Buffer {
  const signedArea = (ring: Position[]) => ring.slice(1).reduce((sum, [x, y], i) => sum + (ring[i]![0]! * y! - x! * ring[i]![1]!), 0) / 2;
  const rings = records.map((r) => (signedArea(r.ring) > 0 ? [...r.ring].reverse() : r.ring));
  const all = rings.flat();
  const box = [Math.min(...all.map((p) => p[0]!)), Math.min(...all.map((p) => p[1]!)), Math.max(...all.map((p) => p[0]!)), Math.max(...all.map((p) => p[1]!))];
  const contents = rings.map((ring) => {
    const view = new DataView(new ArrayBuffer(44 + 4 + 16 * ring.length));
    view.setInt32(0, 5, true);
    const own = [Math.min(...ring.map((p) => p[0]!)), Math.min(...ring.map((p) => p[1]!)), Math.max(...ring.map((p) => p[0]!)), Math.max(...ring.map((p) => p[1]!))];
    own.forEach((v, i) => view.setFloat64(4 + 8 * i, v, true));
    view.setInt32(36, 1, true);
    view.setInt32(40, ring.length, true);
    view.setInt32(44, 0, true);
    ring.forEach(([x, y], i) => {
      view.setFloat64(48 + 16 * i, x!, true);
      view.setFloat64(56 + 16 * i, y!, true);
    });
    return new Uint8Array(view.buffer);
  });
  const length = 100 + contents.reduce((s, c) => s + 8 + c.length, 0);
  const shp = new Uint8Array(length);
  const header = new DataView(shp.buffer);
  header.setInt32(0, 9994, false);
  header.setInt32(24, length / 2, false);
  header.setInt32(28, 1000, true);
  header.setInt32(32, 5, true);
  box.forEach((v, i) => header.setFloat64(36 + 8 * i, v, true));
  let at = 100;
  contents.forEach((c, i) => {
    header.setInt32(at, i + 1, false);
    header.setInt32(at + 4, c.length / 2, false);
    shp.set(c, at + 8);
    at += 8 + c.length;
  });
  const names = Object.keys(records[0]!.attributes);
  const width = 40;
  const headerLength = 32 + 32 * names.length + 1;
  const recordLength = 1 + width * names.length;
  const dbf = new Uint8Array(headerLength + records.length * recordLength + 1);
  const dbfView = new DataView(dbf.buffer);
  dbf[0] = 0x03;
  dbf.set([125, 1, 1], 1);
  dbfView.setUint32(4, records.length, true);
  dbfView.setUint16(8, headerLength, true);
  dbfView.setUint16(10, recordLength, true);
  names.forEach((name, i) => {
    dbf.set(strToU8(name), 32 + 32 * i);
    dbf[32 + 32 * i + 11] = 'C'.charCodeAt(0);
    dbf[32 + 32 * i + 16] = width;
  });
  dbf[headerLength - 1] = 0x0d;
  records.forEach((r, i) => dbf.set(strToU8(` ${names.map((n) => r.attributes[n]!.padEnd(width).slice(0, width)).join('')}`), headerLength + i * recordLength));
  dbf[dbf.length - 1] = 0x1a;
  return Buffer.from(zipSync({ 'pcns/pcns.shp': shp, 'pcns/pcns.dbf': dbf, 'pcns/pcns.prj': strToU8(wgs84Prj) }));
}

describe.each(engines)('neighbourhood layers on %s', (engine) => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let member: Client;
  let organisationId: string;
  const count = async (table: 'neighbourhood_layers' | 'neighbourhoods' | 'neighbourhood_versions' | 'neighbourhood_lsoas') =>
    (await queryRows<{ n: number }>(database.db, sql`select count(*)::int as n from ${sql.identifier(table)}`))[0]!.n;
  const stored = async () => Promise.all((['neighbourhood_layers', 'neighbourhoods', 'neighbourhood_versions', 'neighbourhood_lsoas'] as const).map(count));

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    organisationId = (await seedPeople(database)).organisationId;
    await loadBundledSteps(database.db, ['lookup.lsoa11-ward19-lad19', 'lookup.lsoa21-ward24-lad24', 'lookup.lsoa11-lsoa21', 'centroids.lsoa11', 'population.iod2019', 'population.mid2020', 'population.lsoa21', 'edition.iod2019']);
    // 2021 LSOAs before 2025 wards: loading the wards derives the 2021 LSOA → 2025 ward lookup the overlap needs.
    for (const vintage of ['lsoa11', 'lsoa21', 'ward25']) await importBoundaries(database.db, path.resolve(`tests/fixtures/boundaries/${vintage}/${leeds}.geojson.gz`), cliActor);
    app = await startTestApp(database, { SIGN_IN_RATE_LIMIT: '1000' });
    member = new Client(app);
    await member.signIn(emailOf('member'));
  }, 300_000);
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  /** The rows a version's apportionment stored, comparable across versions. */
  const apportionment = (neighbourhoodId: string) =>
    queryRows<{ lsoa_vintage: string; lsoa_code: string; share: number; area_share: number; method: string }>(
      database.db,
      sql`select l.lsoa_vintage, l.lsoa_code, l.share, l.area_share, l.method from neighbourhood_lsoas l
          join neighbourhoods n on n.id = ${neighbourhoodId} join neighbourhood_versions v on v.id = l.version_id and v.neighbourhood_id = n.id and v.version = n.current_version
          order by 1, 2`,
    );

  let layerId: string;

  it('imports a file of three areas from the form: each a neighbourhood of the layer, apportioned as one uploaded boundary would be', async () => {
    const form = await member.get('/organisations/test-org/neighbourhood-layers/new');
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('Import a layer of areas');
    const response = await member.postFile(
      '/organisations/test-org/neighbourhood-layers/new',
      { name: details.name, purpose: details.purpose, sharing: details.sharing, source: details.source!, ...fields },
      { field: 'file', filename: 'pcns.geojson', content: collection(wards.map((w, i) => pcn(w, i))), type: 'application/geo+json' },
    );
    expect(response.statusCode).toBe(303);
    const location = String(response.headers.location);
    expect(location).toMatch(/^\/neighbourhood-layers\/[0-9a-f-]{36}$/);
    layerId = location.split('/').pop()!;

    const areas = await queryRows<{ id: string; name: string; code: string; purpose: string; sharing: string; owner_organisation_id: string; method: string; versions: number }>(
      database.db,
      sql`select n.id, n.name, n.code, n.purpose, n.sharing, n.owner_organisation_id, v.method, (select count(*)::int from neighbourhood_versions x where x.neighbourhood_id = n.id) as versions
          from neighbourhoods n join neighbourhood_versions v on v.neighbourhood_id = n.id and v.version = 1 where n.layer_id = ${layerId} order by n.code`,
    );
    expect(areas.map((a) => [a.name, a.code])).toEqual(wards.map((w, i) => [`${w.properties.WD25NM} PCN`, `U0000${i + 1}`]));
    expect(areas.every((a) => a.purpose === 'pcn-footprint' && a.sharing === 'public' && a.owner_organisation_id === organisationId && a.method === 'uploaded' && a.versions === 1)).toBe(true);

    // Each area's LSOAs and shares are exactly those of the same feature uploaded as a neighbourhood on its own.
    for (const [i, ward] of wards.entries()) {
      const boundary = await toValidBoundary(database.db, ward.geometry as never, 4326);
      const alone = await createNeighbourhood(database.db, { name: `Alone ${i}`, purpose: 'other', sharing: 'organisation', description: null }, { method: 'uploaded', geoJson: JSON.stringify(boundary.geojson), repairNote: null }, { organisationId, userId: null }, cliActor);
      const inLayer = await apportionment(areas[i]!.id);
      expect(inLayer.length).toBeGreaterThan(5);
      expect(inLayer).toEqual(await apportionment(alone));
    }
    // And independently of that code: the 2011 LSOAs counted in full are those whose population-weighted
    // centroid lies in the ward, and no LSOA is counted in full in two areas (wards do not overlap).
    for (const [i, ward] of wards.entries()) {
      const expected = await queryRows<{ code: string }>(
        database.db,
        sql`select code from areas where vintage = 'lsoa11' and weighted_centroid is not null and ST_Intersects(ST_SetSRID(ST_GeomFromGeoJSON(${JSON.stringify(ward.geometry)}), 4326), weighted_centroid) order by code`,
      );
      const counted = (await apportionment(areas[i]!.id)).filter((r) => r.lsoa_vintage === 'lsoa11' && Number(r.share) === 1);
      expect(counted.map((r) => r.lsoa_code)).toEqual(expected.map((r) => r.code));
      expect(counted.every((r) => r.method === 'population-weighted-centroid')).toBe(true);
    }
    const [twice] = await queryRows<{ n: number }>(
      database.db,
      sql`select count(*)::int as n from (select l.lsoa_code from neighbourhood_lsoas l join neighbourhood_versions v on v.id = l.version_id join neighbourhoods n on n.id = v.neighbourhood_id
          where n.layer_id = ${layerId} and l.lsoa_vintage = 'lsoa11' and l.share = 1 group by l.lsoa_code having count(*) > 1) x`,
    );
    expect(twice!.n).toBe(0);

    const [audit] = await queryRows<{ n: number; organisation_id: string }>(database.db, sql`select count(*)::int as n, max(organisation_id::text) as organisation_id from audit_events where action = 'neighbourhood-layer.imported' and object_id = ${layerId}`);
    expect(audit).toEqual({ n: 1, organisation_id: organisationId });

    // The layer's page lists its areas with links to their profiles, and offers the comparison with wards.
    const page = await member.get(location);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('has been imported with 3 areas');
    for (const a of areas) expect(page.body).toContain(`href="/neighbourhoods/${a.id}"`);
    expect(page.body).toContain(`/neighbourhoods/overlap?a=layer%3A${layerId}&amp;b=ward25`);
    const api = await app.inject(`/api/v1/neighbourhood-layers/${layerId}`);
    expect(api.statusCode).toBe(200);
    const body = api.json() as { name: string; source: string; areas: { id: string; code: string; population: number | null; areaSqKm: number }[] };
    expect(body.name).toBe(details.name);
    expect(body.source).toBe(details.source);
    expect(body.areas.map((a) => a.code)).toEqual(['U00001', 'U00002', 'U00003']);
    expect(body.areas.every((a) => a.population! > 1000 && a.areaSqKm > 0)).toBe(true);
    // The catalogue lists the layer.
    expect((await app.inject('/neighbourhoods')).body).toContain(`href="/neighbourhood-layers/${layerId}"`);
  });

  it('compares the layer with 2025 wards in the overlap matrix, its page, CSV and API', async () => {
    const m = await overlapMatrix(database.db, anyone, { kind: 'areas', vintage: 'ward25' }, { kind: 'layer', id: layerId });
    expect(m.lsoaVintage).toBe('lsoa21');
    expect(m.b.label).toBe(details.name);
    expect(m.b.units.map((u) => u.name).sort()).toEqual(wards.map((w) => `${w.properties.WD25NM} PCN`).sort());
    // Every pair's people straight from the tables: each 2021 LSOA's people times the share of it the area's
    // version recorded, in the ward the derived lookup puts the LSOA in.
    const expected = await queryRows<{ ward: string; unit: string; people: number }>(
      database.db,
      sql`select w.to_code as ward, n.id::text as unit, sum(p.value * l.share) as people
          from neighbourhoods n join neighbourhood_versions v on v.neighbourhood_id = n.id and v.version = n.current_version
          join neighbourhood_lsoas l on l.version_id = v.id and l.lsoa_vintage = 'lsoa21'
          join area_lookups w on w.from_vintage = 'lsoa21' and w.from_code = l.lsoa_code and w.to_vintage = 'ward25'
          join indicator_values p on p.indicator_id = ${m.population!.indicatorId} and p.code = l.lsoa_code
          where n.layer_id = ${layerId} group by 1, 2 having sum(p.value * l.share) > 0`,
    );
    const cells = m.cells.filter((c) => (c.population ?? 0) > 0);
    expect(cells.map((c) => `${c.a} ${c.b}`).sort()).toEqual(expected.map((e) => `${e.ward} ${e.unit}`).sort());
    for (const e of expected) expect(cells.find((c) => c.a === e.ward && c.b === e.unit)!.population).toBeCloseTo(Number(e.people), 6);
    // Each area is its ward, give or take 2021 LSOAs that straddle ward boundaries: most of its people are
    // in the pair with that ward, and all of them in its column.
    for (const ward of wards) {
      const unit = m.b.units.find((u) => u.name === `${ward.properties.WD25NM} PCN`)!;
      const column = m.cells.filter((c) => c.b === unit.code);
      const own = column.find((c) => c.a === ward.properties.WD25CD)!;
      expect(own.shareOfB!).toBeGreaterThan(0.75);
      expect(Math.max(...column.map((c) => c.shareOfB ?? 0))).toBe(own.shareOfB);
      expect(column.reduce((s, c) => s + (c.shareOfB ?? 0), 0)).toBeCloseTo(1, 6);
    }
    // Within the district every ward is a row, and the pairs are the same (the layer lies inside it).
    const inLeeds = await overlapMatrix(database.db, anyone, { kind: 'areas', vintage: 'ward25' }, { kind: 'layer', id: layerId }, { lad: leeds });
    expect(inLeeds.a.units.length).toBe(wardFile.features.length);
    expect(inLeeds.cells.map((c) => [c.a, c.b, c.population])).toEqual(m.cells.map((c) => [c.a, c.b, c.population]));

    const visitor = new Client(app);
    const page = await visitor.get(`/neighbourhoods/overlap?a=ward25&b=layer:${layerId}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('touching the layer’s areas');
    expect((await visitor.get('/neighbourhoods/overlap')).body).toContain(`value="layer:${layerId}"`);
    const csv = parse((await visitor.get(`/neighbourhoods/overlap?a=ward25&b=layer:${layerId}&format=csv`)).body, { columns: true }) as Record<string, string>[];
    expect(csv).toHaveLength(m.cells.length);
    expect(new Set(csv.map((r) => r.bGeography))).toEqual(new Set([`layer:${layerId}`]));
    expect(new Set(csv.map((r) => r.bName))).toEqual(new Set(m.b.units.map((u) => u.name)));
    const json = await visitor.get(`/api/v1/overlap?a=layer:${layerId}&b=ward25`);
    expect(json.statusCode).toBe(200);
    expect(json.json().a).toMatchObject({ geography: `layer:${layerId}`, label: details.name, unit: 'area' });
  });

  it('refuses a file with bad features, naming each, and stores nothing', async () => {
    const before = await stored();
    const paris = { type: 'Feature', properties: { PCN_NAME: 'Paris PCN', PCN_CODE: 'P1' }, geometry: square(2.3, 48.8, 0.05) };
    const file = collection([pcn(wards[0]!, 0), pcn(wards[1]!, 1, { PCN_NAME: ' ' }), pcn(wards[2]!, 2, { PCN_NAME: `${wards[0]!.properties.WD25NM} pcn`, PCN_CODE: 'U00009' }), paris]);
    const error = await importLayer(database.db, details, { bytes: Buffer.from(file), filename: 'bad.geojson' }, fields, { organisationId, userId: null }, cliActor).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LayerImportError);
    const problems = (error as LayerImportError).problems;
    expect(problems).toEqual([
      'Feature 2 has no name: its “PCN_NAME” is empty',
      `Feature 3 (“${wards[0]!.properties.WD25NM} pcn”) has the same name as feature 1: each area of a layer needs a name of its own`,
      expect.stringMatching(/^Feature 4 \(“Paris PCN”\): The boundary is not in England/),
    ]);
    expect(await stored()).toEqual(before);

    // A shape in England but over no LSOA with boundaries is only found while storing: all of it is rolled back.
    const nowhere = { type: 'Feature', properties: { PCN_NAME: 'Somewhere in Kent', PCN_CODE: 'K1' }, geometry: square(0.9, 51.2, 0.01) };
    const late = await importLayer(database.db, details, { bytes: Buffer.from(collection([pcn(wards[0]!, 0), nowhere])), filename: 'late.geojson' }, fields, { organisationId, userId: null }, cliActor).catch((e: unknown) => e);
    expect((late as LayerImportError).problems).toEqual([expect.stringMatching(/^Feature 2 \(“Somewhere in Kent”\): The boundary covers no LSOA/)]);
    expect(await stored()).toEqual(before);

    // Through the form: every problem in the error summary, the file field saying nothing was imported.
    const response = await member.postFile('/organisations/test-org/neighbourhood-layers/new', { ...details, description: '', source: details.source!, ...fields }, { field: 'file', filename: 'bad.geojson', content: file });
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('There is a problem');
    expect(response.body).toContain('Feature 2 has no name');
    expect(response.body).toContain('Feature 4 (“Paris PCN”): The boundary is not in England');
    expect(response.body).toContain('3 problems in the file, listed above: nothing was imported');
    const wrongProperty = await member.postFile('/organisations/test-org/neighbourhood-layers/new', { ...details, description: '', source: details.source!, nameProperty: 'NAME' }, { field: 'file', filename: 'pcns.geojson', content: collection([pcn(wards[0]!, 0)]) });
    expect(wrongProperty.statusCode).toBe(400);
    expect(wrongProperty.body).toContain('No feature in the file has a property called “NAME”. Its features&#39; properties are: PCN_NAME, PCN_CODE');
    const empty = await member.postFile('/organisations/test-org/neighbourhood-layers/new', {}, { field: 'file', filename: '', content: '' });
    expect(empty.statusCode).toBe(400);
    for (const message of ['Enter a name for the layer', 'Choose what the layer is for', 'Say where the file came from', 'Enter the property that holds each area’s name', 'Choose a GeoJSON file or a zipped shapefile']) expect(empty.body).toContain(message);
    expect(await stored()).toEqual(before);
  });

  it('reads the names and codes of a zipped shapefile from its .dbf', async () => {
    const outer = (w: WardFeature) => (w.geometry.type === 'Polygon' ? (w.geometry.coordinates as Position[][])[0]! : (w.geometry.coordinates as Position[][][])[0]![0]!);
    const zip = zippedShapefile(wards.map((w, i) => ({ ring: outer(w), attributes: { PCN_NAME: `${w.properties.WD25NM} PCN`, PCN_CODE: `S${i + 1}` } })));
    const read = await readBoundaryFeatures(zip, 'pcns.zip');
    expect(read.format).toBe('shapefile');
    expect(read.srid).toBe(4326);
    expect(read.propertyNames).toEqual(['PCN_NAME', 'PCN_CODE']);
    expect(read.features.map((f) => f.properties.PCN_NAME)).toEqual(wards.map((w) => `${w.properties.WD25NM} PCN`));
    const layer = await importLayer(database.db, { ...details, name: 'From a shapefile', sharing: 'organisation' }, { bytes: zip, filename: 'pcns.zip' }, fields, { organisationId, userId: null }, cliActor);
    expect(layer.areas).toBe(3);
    const codes = await queryRows<{ code: string }>(database.db, sql`select code from neighbourhoods where layer_id = ${layer.id} order by code`);
    expect(codes.map((c) => c.code)).toEqual(['S1', 'S2', 'S3']);
    // Without its .dbf there is nothing to name the areas by.
    const noTable = Buffer.from(zipSync({ 'pcns.shp': unzipSync(zip)['pcns/pcns.shp']!, 'pcns.prj': strToU8(wgs84Prj) }));
    await expect(readBoundaryFeatures(noTable, 'pcns.zip')).rejects.toThrow(/no \.dbf file for pcns\.shp/);
  });

  it('shows a layer only to those it is shared with, everywhere, as if it were not there', async () => {
    const layer = await importLayer(database.db, { ...details, name: 'Private PCNs', sharing: 'organisation' }, { bytes: Buffer.from(collection(wards.map((w, i) => pcn(w, i)))), filename: 'pcns.geojson' }, fields, { organisationId, userId: null }, cliActor);
    const anonymous = new Client(app);
    const outsider = new Client(app);
    await outsider.signIn(emailOf('outsider'));
    const missing = '00000000-0000-4000-8000-000000000000';
    for (const visitor of [anonymous, outsider]) {
      expect((await visitor.get(`/neighbourhood-layers/${layer.id}`)).statusCode).toBe(404);
      const api = await visitor.get(`/api/v1/neighbourhood-layers/${layer.id}`);
      expect(api.statusCode).toBe(404);
      expect(api.body.replaceAll(layer.id, 'X')).toBe((await visitor.get(`/api/v1/neighbourhood-layers/${missing}`)).body.replaceAll(missing, 'X'));
      const overlap = await visitor.get(`/neighbourhoods/overlap?a=layer:${layer.id}&b=ward25`);
      expect(overlap.statusCode).toBe(404);
      expect(overlap.body).not.toContain('Private PCNs');
      expect((await visitor.get(`/api/v1/overlap?a=ward25&b=layer:${layer.id}`)).statusCode).toBe(404);
      expect((await visitor.get('/neighbourhoods')).body).not.toContain('Private PCNs');
      expect((await visitor.get('/neighbourhoods/overlap')).body).not.toContain(`layer:${layer.id}`);
    }
    await expect(overlapMatrix(database.db, anyone, { kind: 'layer', id: layer.id }, { kind: 'areas', vintage: 'ward25' })).rejects.toMatchObject({ status: 404 });
    expect((await member.get(`/neighbourhood-layers/${layer.id}`)).body).toContain('Private PCNs');
    expect((await member.get('/neighbourhoods')).body).toContain(`href="/neighbourhood-layers/${layer.id}"`);
    expect((await member.get('/neighbourhoods/overlap')).body).toContain(`value="layer:${layer.id}"`);
    expect((await member.get(`/api/v1/overlap?a=layer:${layer.id}&b=ward25`)).statusCode).toBe(200);
  });
});
