import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { strToU8, zipSync } from 'fflate';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../../platform/audit/audit.ts';
import { Client, emailOf, useSeededApp } from '../../../tests/support/app.ts';
import { engines } from '../../../tests/support/engines.ts';
import { deepJson, hostileCell, mostly, tableCounts } from '../../../tests/support/hostile.ts';
import { fuzzRuns, fuzzSeed, fuzzTimeout } from '../../../tests/support/profile.ts';
import { importBoundaries } from '../geography/boundaries.ts';

/**
 * Hostile neighbourhood geometry (property-based), through the forms people use: a boundary drawn on the map
 * or uploaded for one neighbourhood, and a file of many areas imported as a layer. Mostly good polygons over
 * a grid of test LSOAs, mixed with bow-ties, empty shapes, shapes outside England or far larger than a county,
 * coordinates that are text, Infinity or out of range, points, damaged JSON and hostile names. Each is made
 * (303) or refused with 400 and a specific message, writing nothing; never a 500. Then the extremes: JSON
 * nested 100,000 deep, a polygon of 1,000,000 corners, a zip that would inflate far beyond the limit.
 */
const runs = fuzzRuns(25);
const tables = ['neighbourhoods', 'neighbourhood_versions', 'neighbourhood_lsoas', 'neighbourhood_layers', 'audit_events'];
// A 5 × 5 grid of 0.01° test LSOAs in Leeds.
const grid = { west: -1.6, south: 53.8, cell: 0.01, n: 5 };

const ring = (x: number, y: number, w: number, h: number) => [
  [x, y],
  [x + w, y],
  [x + w, y + h],
  [x, y + h],
  [x, y],
];
const inGrid = fc.tuple(fc.double({ min: 0, max: 0.04, noNaN: true }), fc.double({ min: 0, max: 0.04, noNaN: true }), fc.double({ min: 0.002, max: 0.01, noNaN: true }));
const goodPolygon = inGrid.map(([dx, dy, size]) => ({ type: 'Polygon', coordinates: [ring(grid.west + dx, grid.south + dy, size, size)] }));
const badPolygon: fc.Arbitrary<unknown> = fc.oneof(
  inGrid.map(([dx, dy, s]) => ({ type: 'Polygon', coordinates: [[[grid.west + dx, grid.south + dy], [grid.west + dx + s, grid.south + dy + s], [grid.west + dx + s, grid.south + dy], [grid.west + dx, grid.south + dy + s], [grid.west + dx, grid.south + dy]]] })), // a bow-tie
  fc.constantFrom<unknown>(
    { type: 'Polygon', coordinates: [ring(2.35, 48.85, 0.01, 0.01)] }, // Paris
    { type: 'Polygon', coordinates: [ring(-5, 50, 5, 5)] }, // most of England and more
    { type: 'Polygon', coordinates: [ring(400, 400, 1, 1)] },
    { type: 'Polygon', coordinates: [] },
    { type: 'Polygon', coordinates: [[]] },
    { type: 'Polygon', coordinates: [[[-1.6, 53.8], [-1.6, 53.8], [-1.6, 53.8], [-1.6, 53.8]]] }, // no area
    { type: 'Polygon', coordinates: [[['x', 53.8], [-1.59, 53.8], [-1.59, 53.81], ['x', 53.8]]] },
    { type: 'Polygon', coordinates: [[[null, 53.8], [-1.59, 53.8], [-1.59, 53.81], [null, 53.8]]] },
    { type: 'Polygon', coordinates: 'ring' },
    { type: 'Point', coordinates: [-1.6, 53.8] },
    { type: 'MultiPolygon', coordinates: [[[[]]]] },
    { type: 'GeometryCollection', geometries: [] },
    { type: 'FeatureCollection', features: [] },
  ),
);
const geometryText = fc.oneof(
  { weight: 12, arbitrary: goodPolygon.map((g) => JSON.stringify(g)) },
  { weight: 3, arbitrary: badPolygon.map((g) => JSON.stringify(g)) },
  { weight: 1, arbitrary: fc.constantFrom('{"type":"Polygon","coordinates":[[[1e999,53.8],[-1.59,53.8],[-1.59,53.81],[1e999,53.8]]]}', '{"type":"Polygon","coordinates":[[[NaN,53.8]]]}', '{"type":"Polygon"', 'null', '[]', '"Polygon"', '') },
  { weight: 1, arbitrary: hostileCell },
);
const details = fc.record({
  name: mostly(fc.constantFrom('Armley', 'Marsh Green (sample)'), hostileCell, 12),
  purpose: mostly(fc.constant('locality'), hostileCell, 20),
  sharing: mostly(fc.constant('organisation'), hostileCell, 20),
  description: mostly(fc.constant(''), hostileCell, 12),
});

/** The error summary's first entry: the specific message a refused form must give. */
const firstError = (body: string) => /<div class="govuk-error-summary"[\s\S]*?<li>\s*<a[^>]*>([^<]*)<\/a>/.exec(body)?.[1]?.trim() ?? '';

for (const engine of engines) {
  describe(`hostile neighbourhood geometry on ${engine}`, () => {
    const h = useSeededApp(engine);
    let client: Client;
    beforeAll(async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'patchwork-fuzz-grid-'));
      const features = [];
      for (let i = 0; i < grid.n; i++) {
        for (let j = 0; j < grid.n; j++) {
          const code = `E01${String(900000 + i * grid.n + j).padStart(6, '0')}`;
          features.push({ type: 'Feature', properties: { LSOA21CD: code, LSOA21NM: `Grid ${i}${j}` }, geometry: { type: 'Polygon', coordinates: [ring(grid.west + i * grid.cell, grid.south + j * grid.cell, grid.cell, grid.cell)] } });
        }
      }
      await writeFile(path.join(dir, 'grid.geojson'), JSON.stringify({ type: 'FeatureCollection', features }));
      await importBoundaries(h.database.db, path.join(dir, 'grid.geojson'), cliActor);
      await rm(dir, { recursive: true, force: true });
      client = new Client(h.app);
      expect((await client.signIn(emailOf('member'))).statusCode).toBe(303);
    });
    const counts = () => tableCounts(h.database.db, tables);

    /** Posts a form; a refusal must be 400 with a specific message and no writes. Returns whether it was made. */
    async function outcome(post: () => Promise<{ statusCode: number; body: string }>): Promise<boolean> {
      const before = await counts();
      const response = await post();
      if (response.statusCode === 303) return true;
      expect(response.statusCode, response.body.slice(0, 2000)).toBe(400);
      expect(firstError(response.body)).toMatch(/\w{3}/);
      expect(response.body).not.toMatch(/<script>alert\(1\)|<img src=x|<svg onload/);
      expect(await counts()).toBe(before);
      return false;
    }

    it('makes a neighbourhood from each drawn or uploaded boundary, or refuses it with 400, writing nothing', async () => {
      const seen = { made: 0, refused: 0 };
      await fc.assert(
        fc.asyncProperty(geometryText, details, fc.boolean(), async (geometry, d, upload) => {
          const made = upload
            ? await outcome(() => client.postFile('/organisations/test-org/neighbourhoods', { ...d, how: 'upload' }, { field: 'file', filename: 'area.geojson', content: geometry, type: 'application/geo+json' }))
            : await outcome(() => client.post('/organisations/test-org/neighbourhoods', { ...d, how: 'draw', drawn: geometry }));
          seen[made ? 'made' : 'refused']++;
        }),
        { numRuns: runs * 2, seed: fuzzSeed(71) },
      );
      expect(seen.made).toBeGreaterThan(0);
      expect(seen.refused).toBeGreaterThan(0);
    }, fuzzTimeout(240_000));

    it('imports each generated layer whole, or refuses it with 400, writing nothing', async () => {
      const feature = fc.record({ name: mostly(fc.string({ minLength: 1, maxLength: 20 }), hostileCell, 10), geometry: geometryText });
      const seen = { made: 0, refused: 0 };
      await fc.assert(
        fc.asyncProperty(fc.array(feature, { minLength: 1, maxLength: 4 }), details, async (features, d) => {
          const text = `{"type":"FeatureCollection","features":[${features.map((f) => `{"type":"Feature","properties":${JSON.stringify({ NAME: f.name })},"geometry":${f.geometry || 'null'}}`).join(',')}]}`;
          const made = await outcome(() =>
            client.postFile('/organisations/test-org/neighbourhood-layers/new', { ...d, source: 'Fuzzed (sample data)', nameProperty: 'NAME', codeProperty: '' }, { field: 'file', filename: 'layer.geojson', content: text, type: 'application/geo+json' }),
          );
          seen[made ? 'made' : 'refused']++;
        }),
        { numRuns: runs, seed: fuzzSeed(73) },
      );
      expect(seen.made).toBeGreaterThan(0);
      expect(seen.refused).toBeGreaterThan(0);
    }, fuzzTimeout(240_000));

    it('refuses JSON nested 100,000 deep, drawn or uploaded, with 400', async () => {
      const deep = `{"type":"Polygon","coordinates":${deepJson(100_000)}}`;
      expect(await outcome(() => client.postFile('/organisations/test-org/neighbourhoods', { name: 'Deep', purpose: 'locality', sharing: 'organisation', how: 'upload' }, { field: 'file', filename: 'deep.geojson', content: deep }))).toBe(false);
      expect(await outcome(() => client.postFile('/organisations/test-org/neighbourhoods', { name: 'Deep', purpose: 'locality', sharing: 'organisation', how: 'upload' }, { field: 'file', filename: 'deep.geojson', content: deepJson(100_000) }))).toBe(false);
      expect(await outcome(() => client.post('/organisations/test-org/neighbourhoods', { name: 'Deep', purpose: 'locality', sharing: 'organisation', how: 'draw', drawn: deep }))).toBe(false);
    }, fuzzTimeout(60_000));

    it('refuses a polygon of 1,000,000 corners with 400', async () => {
      const corners: number[][] = [];
      for (let i = 0; i < 1_000_000; i++) corners.push([+(-1.58 + 0.01 * Math.cos(i / 1e5)).toFixed(5), +(53.82 + 0.01 * Math.sin(i / 1e5)).toFixed(5)]);
      corners.push(corners[0]!);
      const content = JSON.stringify({ type: 'Polygon', coordinates: [corners] });
      const before = await counts();
      const response = await client.postFile('/organisations/test-org/neighbourhoods', { name: 'Huge', purpose: 'locality', sharing: 'organisation', how: 'upload' }, { field: 'file', filename: 'huge.geojson', content });
      expect(response.statusCode).toBe(400);
      expect(firstError(response.body)).toMatch(/smaller than|corners|vertices/i);
      expect(await counts()).toBe(before);
    }, fuzzTimeout(60_000));

    it('refuses a zipped shapefile that would inflate far beyond the limit with 400, without inflating it', async () => {
      // 64 MB of zeros deflates to about 64 KB, beyond the 50 MB unzipped limit.
      const zip = Buffer.from(zipSync({ 'area.shp': new Uint8Array(64 * 1024 * 1024), 'area.prj': strToU8('PROJCS["British_National_Grid"]'), 'area.dbf': new Uint8Array(100) }, { level: 1 }));
      expect(zip.length).toBeLessThan(1024 * 1024);
      const post = (content: Buffer) => client.postFile('/organisations/test-org/neighbourhoods', { name: 'Bomb', purpose: 'locality', sharing: 'organisation', how: 'upload' }, { field: 'file', filename: 'bomb.zip', content, type: 'application/zip' });
      const before = await counts();
      const response = await post(zip);
      expect(response.statusCode).toBe(400);
      expect(firstError(response.body)).toMatch(/larger than .* once unzipped/);
      // The same zip lying about its size (1,000 bytes, in its local header and its central directory) is still refused.
      zip.writeUInt32LE(1000, 22);
      zip.writeUInt32LE(1000, zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])) + 24);
      const lying = await post(zip);
      expect(lying.statusCode).toBe(400);
      expect(firstError(lying.body)).toMatch(/\.shp file in the zip|larger than .* once unzipped|not a readable zip/);
      expect(await counts()).toBe(before);
    }, fuzzTimeout(60_000));
  });
}
