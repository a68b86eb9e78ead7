import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../../platform/audit/audit.ts';
import { ImportError } from '../../platform/data/csv.ts';
import { queryRows } from '../../platform/db/database.ts';
import { createTestDatabase, engines, type TestDatabase } from '../../../tests/support/engines.ts';
import { bundledDataDir } from '../indicators/bundled-data.ts';
import { importBoundaries } from './boundaries.ts';
import { importCentroids } from './centroids.ts';
import { importLookup } from './lookups.ts';

const bundled = path.join(bundledDataDir, 'centroids/lsoa11_population_weighted_centroids_england.csv.gz');
const leedsBoundaries = path.resolve('tests/fixtures/boundaries/lsoa11/E08000035.geojson.gz');

/** The file's rows by code, read without Patchwork's CSV reader, and what `zcat FILE | wc -l` says. */
function fileFacts() {
  const text = gunzipSync(readFileSync(bundled)).toString('utf8');
  const [head, ...lines] = text.split('\n').filter((l) => l !== '');
  const header = head!.split(',');
  const rows = new Map(lines.map((l) => l.split(',')).map((v) => [v[0]!, Object.fromEntries(v.map((x, i) => [header[i]!, x]))]));
  return { wcLines: text.match(/\n/g)!.length, rows };
}

describe.each(engines)('population-weighted centroids on %s', (engine) => {
  let database: TestDatabase;
  let dir: string;
  const facts = fileFacts();
  const rows = <T>(q: ReturnType<typeof sql>) => queryRows<T>(database.db, q);
  const fingerprint = async () =>
    (await rows<{ f: string }>(sql`select md5(string_agg(code || coalesce(ST_AsEWKT(weighted_centroid), '-'), ',' order by code)) as f from areas where vintage = 'lsoa11'`))[0]!.f;

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    dir = await mkdtemp(path.join(tmpdir(), 'patchwork-centroids-'));
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('refuses centroids before their LSOAs are known', async () => {
    await expect(importCentroids(database.db, bundled, cliActor)).rejects.toThrow(/no LSOA \(2011\) areas are loaded yet, so its codes cannot be checked\. Load the LSOA \(2011\) lookup first/);
    await importLookup(database.db, path.join(bundledDataDir, 'ons_lookups/LSOA11_WD19_LAD19_EW_best_fit.csv.gz'), cliActor);
  });

  it('gives every 2011 LSOA its centroid, as many as the file has', async () => {
    expect(facts.wcLines - 1).toBe(32_844);
    const result = await importCentroids(database.db, bundled, cliActor);
    expect(result).toEqual({ vintage: 'lsoa11', centroids: 32_844, changed: 32_844, srid: 27700, withoutCentroid: 0 });
    const [counts] = await rows<{ n: number; srid: number; types: string }>(sql`
      select count(weighted_centroid)::int as n, max(ST_SRID(weighted_centroid)) as srid, string_agg(distinct GeometryType(weighted_centroid), ',') as types
      from areas where vintage = 'lsoa11'`);
    expect(counts).toEqual({ n: 32_844, srid: 4326, types: 'POINT' });
    const [audit] = await rows<{ object_id: string; details: { centroids: number } }>(sql`select object_id, details from audit_events where action = 'centroids.imported'`);
    expect(audit).toEqual({ object_id: 'lsoa11', details: expect.objectContaining({ centroids: 32_844, file: path.basename(bundled) }) });
  });

  it('puts an LSOA where the published grid reference says, within a metre of the file’s own WGS84 figures', async () => {
    // E01000001,532179.138,181797.7,-0.096302,51.519641,inside,…: the City of London's first LSOA.
    const [point] = await rows<{ x: number; y: number; metres: number }>(sql`
      select ST_X(weighted_centroid) as x, ST_Y(weighted_centroid) as y,
        ST_Distance(weighted_centroid::geography, ST_SetSRID(ST_MakePoint(-0.096302, 51.519641), 4326)::geography) as metres
      from areas where vintage = 'lsoa11' and code = 'E01000001'`);
    expect(point!.x).toBeCloseTo(-0.0963, 4);
    expect(point!.y).toBeCloseTo(51.5196, 4);
    expect(point!.metres).toBeLessThan(1);
    // And across the country, PostGIS's reprojection agrees with the file's longitude and latitude.
    await database.db.execute(sql`create temp table file_points (code text, lon float8, lat float8)`);
    const sample = [...facts.rows.values()].filter((_, i) => i % 100 === 0);
    await database.db.execute(sql`insert into file_points select * from unnest(${sql.param(sample.map((r) => r.lsoa11_code))}::text[], ${sql.param(sample.map((r) => Number(r.longitude_wgs84)))}::float8[], ${sql.param(sample.map((r) => Number(r.latitude_wgs84)))}::float8[])`);
    const [worst] = await rows<{ n: number; metres: number }>(sql`
      select count(*)::int as n, max(ST_Distance(a.weighted_centroid::geography, ST_SetSRID(ST_MakePoint(f.lon, f.lat), 4326)::geography)) as metres
      from file_points f join areas a on a.vintage = 'lsoa11' and a.code = f.code`);
    expect(worst!.n).toBe(sample.length);
    expect(worst!.metres).toBeLessThan(2);
  });

  it('puts every Leeds centroid inside its LSOA, or within metres of it where the file says it was matched by distance', async () => {
    await importBoundaries(database.db, leedsBoundaries, cliActor);
    const leeds = await rows<{ code: string; inside: boolean; metres: number }>(sql`
      select code, ST_Contains(boundary, weighted_centroid) as inside, ST_Distance(boundary::geography, weighted_centroid::geography) as metres
      from areas where vintage = 'lsoa11' and boundary is not null`);
    expect(leeds).toHaveLength(482);
    const byAssignment = (a: string) => leeds.filter((l) => facts.rows.get(l.code)!.code_assignment === a);
    expect(byAssignment('inside').length).toBe(470);
    for (const l of byAssignment('inside')) expect(l, l.code).toMatchObject({ inside: true });
    for (const l of [...byAssignment('inside_shared'), ...byAssignment('nearest_unmatched')]) expect(l.metres, l.code).toBeLessThan(120);
    expect(leeds.filter((l) => l.inside).length / leeds.length).toBeGreaterThan(0.97);
  });

  it('re-imports the same file without writing anything', async () => {
    const before = await fingerprint();
    expect(await importCentroids(database.db, bundled, cliActor)).toMatchObject({ centroids: 32_844, changed: 0 });
    expect(await fingerprint()).toBe(before);
  });

  it('refuses malformed rows and unknown LSOAs, naming their rows, and changes nothing', async () => {
    const before = await fingerprint();
    const malformed = path.join(dir, 'malformed.csv');
    await writeFile(
      malformed,
      [
        'lsoa11_code,bng_easting,bng_northing',
        'E01000001,532000,181000', // good, and different: must not be written
        'E0100001,532000,181000', // row 3
        'E01000002,east,181000', // row 4
        'E01000001,532000,181000', // row 5
        'E01000003,532000,981000', // row 6
        'W01000001,300000,200000', // Wales: skipped
      ].join('\n'),
    );
    const error = (await importCentroids(database.db, malformed, cliActor).catch((e: unknown) => e)) as ImportError;
    expect(error).toBeInstanceOf(ImportError);
    expect(error.problems).toEqual([
      { row: 3, column: 'lsoa11_code', message: '"E0100001" is not an English LSOA code' },
      { row: 4, column: 'bng_easting', message: '"east" is not a number' },
      { row: 5, column: 'lsoa11_code', message: 'E01000001 is also on row 2' },
      { row: 6, column: 'bng_northing', message: 'northing 981000 is not in England (0 to 660000)' },
    ]);
    expect(error.message).toMatch(/nothing has changed/i);

    const unknown = path.join(dir, 'unknown.csv');
    await writeFile(unknown, 'lsoa11_code,bng_easting,bng_northing\nE01000001,532000,181000\nE01099999,532000,181000\nE01033999,532000,181000\n');
    const refused = (await importCentroids(database.db, unknown, cliActor).catch((e: unknown) => e)) as ImportError;
    expect(refused).toBeInstanceOf(ImportError);
    expect(refused.problems).toEqual([
      { row: 3, column: 'lsoa11_code', message: 'E01099999 is not a known LSOA (2011) code' },
      { row: 4, column: 'lsoa11_code', message: 'E01033999 is not a known LSOA (2011) code' },
    ]);
    expect(refused.message).toContain('2 of its codes are not known LSOA (2011)s. Nothing has changed.');
    expect(await fingerprint()).toBe(before);
  });

  it('reads X and Y in grid metres or degrees, and longitude and latitude, changing only what differs', async () => {
    const grid = path.join(dir, 'ons-portal.csv');
    // The same published grid reference, under the names ONS's portal export uses: nothing changes.
    await writeFile(grid, 'OBJECTID,LSOA11CD,LSOA11NM,X,Y\n1,E01000001,City of London 001A,532179.138,181797.7\n');
    expect(await importCentroids(database.db, grid, cliActor)).toMatchObject({ centroids: 1, changed: 0, srid: 27700 });
    const degrees = path.join(dir, 'degrees.csv');
    await writeFile(degrees, 'LSOA11CD,x,y\nE01000001,-0.1,51.52\n');
    expect(await importCentroids(database.db, degrees, cliActor)).toMatchObject({ centroids: 1, changed: 1, srid: 4326 });
    const [moved] = await rows<{ wkt: string }>(sql`select ST_AsText(weighted_centroid) as wkt from areas where vintage = 'lsoa11' and code = 'E01000001'`);
    expect(moved!.wkt).toBe('POINT(-0.1 51.52)');
    const lonlat = path.join(dir, 'lonlat.csv');
    await writeFile(lonlat, 'lsoa11_code,longitude,latitude\nE01000001,-0.096302,51.519641\n');
    expect(await importCentroids(database.db, lonlat, cliActor)).toMatchObject({ centroids: 1, changed: 1, srid: 4326 });
    // Other LSOAs kept theirs.
    const [kept] = await rows<{ n: number }>(sql`select count(weighted_centroid)::int as n from areas where vintage = 'lsoa11'`);
    expect(kept!.n).toBe(32_844);
  });
});
