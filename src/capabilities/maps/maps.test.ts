import path from 'node:path';
import { VectorTile } from '@mapbox/vector-tile';
import { PbfReader } from 'pbf';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../../platform/audit/audit.ts';
import { queryRows } from '../../platform/db/database.ts';
import { createTestDatabase, engines, type TestDatabase } from '../../../tests/support/engines.ts';
import { startTestApp } from '../../../tests/support/app.ts';
import { iod2011Steps, loadBundledSteps } from '../../../tests/support/data.ts';
import { importBoundaries } from '../geography/boundaries.ts';
import { tileServiceFor } from './tiles.ts';
import { bandOfRank, valuesMapView } from './view.ts';

/** The tile x/y at zoom z holding a point (Web Mercator, as every slippy map). */
function tileOf(lon: number, lat: number, z: number) {
  const n = 2 ** z;
  const rad = (lat * Math.PI) / 180;
  return { x: Math.floor(((lon + 180) / 360) * n), y: Math.floor(((1 - Math.log(Math.tan(rad) + 1 / Math.cos(rad)) / Math.PI) / 2) * n) };
}

describe.each(engines)('vector tiles on %s', (engine) => {
  let database: TestDatabase;
  let app: FastifyInstance;
  // Leeds city centre.
  const leeds = { lon: -1.5491, lat: 53.7997 };

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    await loadBundledSteps(database.db, iod2011Steps.filter((s) => s !== 'edition.iod2015'));
    await importBoundaries(database.db, path.resolve('tests/fixtures/boundaries/lsoa11'), cliActor);
    app = await startTestApp(database);
  });
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  const decode = (body: Buffer) => new VectorTile(new PbfReader(body));

  it('serves an edition layer whose LSOAs carry their decile, rank, district and ward from the database', async () => {
    const { x, y } = tileOf(leeds.lon, leeds.lat, 12);
    const response = await app.inject(`/tiles/iod2019.imd/12/${x}/${y}.mvt`);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/vnd.mapbox-vector-tile');
    const layer = decode(response.rawPayload).layers['iod2019.imd']!;
    expect(layer.length).toBeGreaterThan(10);
    const features = Array.from({ length: layer.length }, (_, i) => layer.feature(i));
    const expected = new Map(
      (await queryRows<{ code: string; rank: number; decile: number }>(database.db, sql`select code, rank, decile from indicator_values where indicator_id = 'iod2019.imd'`)).map((r) => [r.code, r]),
    );
    for (const f of features) {
      const p = f.properties as Record<string, string | number>;
      expect(p.code).toMatch(/^E01\d{6}$/);
      expect({ rank: p.rank, decile: p.decile }).toEqual({ rank: expected.get(String(p.code))!.rank, decile: expected.get(String(p.code))!.decile });
      expect(p.lad).toBe('E08000035');
      expect(f.type).toBe(3); // polygons
    }
  });

  it('answers the same tile from its cache, revalidates by ETag, and lets a versioned address be cached for a year', async () => {
    const { x, y } = tileOf(leeds.lon, leeds.lat, 10);
    const url = `/tiles/lsoa11/10/${x}/${y}.mvt`;
    const first = await app.inject(url);
    expect(first.statusCode).toBe(200);
    expect(first.headers['cache-control']).toBe('public, max-age=300');
    const etag = String(first.headers.etag);
    expect((await app.inject({ url, headers: { 'if-none-match': etag } })).statusCode).toBe(304);
    const versioned = await app.inject(`${url}?v=${encodeURIComponent(await boundaryVersion())}`);
    expect(versioned.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(versioned.rawPayload.equals(first.rawPayload)).toBe(true);
    const layer = decode(first.rawPayload).layers.lsoa11!;
    expect(Object.keys(layer.feature(0).properties).sort()).toEqual(['code', 'name']);
  });

  /** A boundary layer's version, read from the edition layer's address on a page (its first part). */
  async function boundaryVersion() {
    const page = await app.inject('/areas/E08000035?edition=iod2019');
    const tiles = /data-tiles="([^"]+)"/.exec(page.body)![1]!.replace(/&amp;/g, '&');
    return decodeURIComponent(/v=([^&]+)/.exec(tiles)![1]!).split('-')[0]!;
  }

  it('answers an empty tile with 204, and refuses tiles and layers that do not exist', async () => {
    expect((await app.inject('/tiles/lsoa11/12/0/0.mvt')).statusCode).toBe(204);
    const outside = await app.inject('/tiles/lsoa11/2/4/0.mvt');
    expect(outside.statusCode).toBe(400);
    expect(outside.json().detail).toBe('At zoom 2, x and y run from 0 to 3.');
    expect((await app.inject('/tiles/lsoa21/2/1/1.mvt')).statusCode).toBe(404); // no 2021 boundaries loaded here
    expect((await app.inject('/tiles/iod2019.nonsense/2/1/1.mvt')).statusCode).toBe(404);
    expect((await app.inject('/tiles/DROP;TABLE/2/1/1.mvt')).statusCode).toBe(400);
  });

  it('maps figures a page computed: by their own boundaries, or by the LSOAs that lie in areas without boundaries', async () => {
    const wards = await queryRows<{ code: string }>(database.db, sql`select distinct to_code as code from area_lookups where from_vintage = 'lsoa11' and to_vintage = 'ward19' and from_code like 'E01%' order by 1 limit 3`);
    const values = new Map(wards.map((w, i) => [w.code, { band: i + 1, text: i === 0 ? 'Ward <b>' : `Ward ${i}` }]));
    const byLsoa = await valuesMapView(database, 'ward19', values, { lsoaVintage: 'lsoa11', link: '/areas/{code}', legendTitle: 'tenth', worst: 'worst', best: 'best' });
    if (!byLsoa.available) throw new Error(byLsoa.reason);
    expect(byLsoa.layer).toBe('lsoa11'); // no 2019 ward boundaries: their LSOAs are drawn
    const drawn = JSON.parse(byLsoa.values!) as { areas: Record<string, [number, string]>; within: Record<string, string> };
    const [lsoa] = await queryRows<{ code: string; ward: string }>(database.db, sql`select from_code as code, to_code as ward from area_lookups where from_vintage = 'lsoa11' and to_vintage = 'ward19' and to_code = ${wards[1]!.code} limit 1`);
    expect(drawn.within[lsoa!.code]).toBe(wards[1]!.code);
    expect(drawn.areas[wards[1]!.code]).toEqual([2, 'Ward 1']);
    expect(byLsoa.values).not.toContain('<'); // safe inside a <script> element
    const own = await valuesMapView(database, 'lsoa11', new Map([[lsoa!.code, { band: 10, text: 'x' }]]), { lsoaVintage: 'lsoa11', link: '/areas/{code}', legendTitle: 'tenth', worst: 'worst', best: 'best' });
    expect(own.available && JSON.parse(own.values!)).toEqual({ areas: { [lsoa!.code]: [10, 'x'] }, within: {} });
    expect(own.available && own.legend.map((l) => l.label)).toEqual(['1 worst', '2', '3', '4', '5', '6', '7', '8', '9', '10 best']);
    expect(bandOfRank(1, 50)).toBe(10);
    expect(bandOfRank(50, 50)).toBe(1);
    expect(bandOfRank(null, 50)).toBeNull();
  });

  it('puts an optional configured basemap under the map, credits it, and lets the page fetch it', async () => {
    const withBasemap = await startTestApp(database, { PATCHWORK_BASEMAP_URL: 'https://tiles.example.org/{z}/{x}/{y}.png', PATCHWORK_BASEMAP_ATTRIBUTION: '© Example contributors' });
    try {
      const page = await withBasemap.inject('/areas/E08000035?edition=iod2019');
      expect(page.body).toContain('data-basemap="https://tiles.example.org/{z}/{x}/{y}.png"');
      expect(page.body).toContain('Basemap: © Example contributors.');
      expect(String(page.headers['content-security-policy'])).toMatch(/connect-src 'self' https:\/\/tiles\.example\.org/);
      const plain = await app.inject('/areas/E08000035?edition=iod2019');
      expect(plain.body).not.toContain('data-basemap');
      expect(String(plain.headers['content-security-policy'])).toContain("connect-src 'self';");
    } finally {
      await withBasemap.close();
    }
  });

  it('draws the map on area pages once boundaries exist, and says why not when they do not', async () => {
    const leedsPage = await app.inject('/areas/E08000035?edition=iod2019');
    expect(leedsPage.body).toMatch(/data-pw-map data-tiles="\/tiles\/iod2019\.imd\/\{z\}\/\{x\}\/\{y\}\.mvt\?v=[^"]+" data-layer="iod2019\.imd"/);
    expect(leedsPage.body).toContain('data-focus-property="lad" data-focus-code="E08000035"');
    expect(leedsPage.body).toContain('assets/map-');
    await database.db.execute(sql`update areas set boundary = null, centroid = null where vintage = 'lsoa11'`);
    // Pages and the tile service re-read which boundaries exist only every so often; stand for that time.
    tileServiceFor(database).forgetShapes();
    app.pageCache.invalidate();
    const without = await app.inject('/areas/E08000035?edition=iod2019');
    expect(without.body).not.toContain('data-pw-map');
    expect(without.body).toContain('The map appears once the 2011 LSOA boundaries are loaded');
  });
});
