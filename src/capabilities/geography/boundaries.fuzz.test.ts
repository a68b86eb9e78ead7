import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../../platform/audit/audit.ts';
import { ImportError } from '../../platform/data/csv.ts';
import { queryRows } from '../../platform/db/database.ts';
import { createTestDatabase, engines, type TestDatabase } from '../../../tests/support/engines.ts';
import { deepJson, encode, encodings, expectCleanRefusal, hostileCell, mostly, tableCounts } from '../../../tests/support/hostile.ts';
import { fuzzRuns, fuzzSeed, fuzzTimeout, hardProfile } from '../../../tests/support/profile.ts';
import { importBoundaries } from './boundaries.ts';

/**
 * Hostile boundary files (property-based): GeoJSON collections mixing good LSOA polygons with broken
 * features — null features, properties that are not objects, bad codes, points, coordinates that are text,
 * NaN, Infinity or out of any range, rings too short or not closed, bow-ties, unknown coordinate systems —
 * and whole-file damage (not JSON, wrong encodings, gzip). Each file imports whole (every good code stored
 * with a boundary) or is refused with an ImportError that writes nothing. Then the named extremes: JSON nested
 * 100,000 deep, a gzip that inflates to gigabytes, a polygon of 1,000,000 corners.
 */
const runs = fuzzRuns(25);
const tables = ['areas', 'area_vintages', 'area_lookups', 'audit_events'];

type Ring = unknown[];
const square = (x: number, y: number, size = 0.001): number[][] => [
  [x, y],
  [x + size, y],
  [x + size, y + size],
  [x, y + size],
  [x, y],
];
const englishPoint = fc.tuple(fc.double({ min: -2.5, max: -1, noNaN: true }), fc.double({ min: 51, max: 53.5, noNaN: true }));
const goodPolygon = englishPoint.map(([x, y]) => ({ type: 'Polygon', coordinates: [square(x, y)] }));
const badNumber = fc.constantFrom<unknown>(Number.NaN, Number.POSITIVE_INFINITY, -1e308, 1e308, 'NaN', '1', null, [], {}, true);
const badPolygon: fc.Arbitrary<unknown> = fc.oneof(
  englishPoint.map(([x, y]) => ({ type: 'Polygon', coordinates: [[[x, y], [x + 0.001, y + 0.001], [x + 0.001, y], [x, y + 0.001], [x, y]]] })), // a bow-tie
  englishPoint.map(([x, y]) => ({ type: 'Polygon', coordinates: [[[x, y], [x + 0.001, y], [x, y]]] })), // too few corners
  englishPoint.map(([x, y]) => ({ type: 'Polygon', coordinates: [square(x, y).slice(0, 4)] })), // not closed
  fc.tuple(englishPoint, badNumber, fc.nat(4)).map(([[x, y], bad, i]) => {
    const ring: Ring = square(x, y);
    ring[i] = [bad, y];
    if (i === 0) ring[4] = [bad, y];
    return { type: 'Polygon', coordinates: [ring] };
  }),
  fc.constantFrom<unknown>(
    { type: 'Polygon', coordinates: [[[500, 500], [501, 500], [501, 501], [500, 501], [500, 500]]] }, // far outside any range
    { type: 'Polygon', coordinates: [] },
    { type: 'Polygon', coordinates: 'x' },
    { type: 'Polygon', coordinates: [[1, 2]] },
    { type: 'Polygon' },
    { type: 'MultiPolygon', coordinates: [[[]]] },
    { type: 'Point', coordinates: [-1.5, 52] },
    { type: 'GeometryCollection', geometries: [] },
    null,
    'Polygon',
  ),
);
const code = fc.integer({ min: 0, max: 999_999 }).map((n) => `E01${String(n).padStart(6, '0')}`);
const goodFeature = fc.record({ code, name: mostly(fc.constantFrom('Leeds 001A', 'Wigan 010B', ''), hostileCell, 5), geometry: goodPolygon }).map((f) => ({
  type: 'Feature',
  properties: { LSOA21CD: f.code, LSOA21NM: f.name },
  geometry: f.geometry,
}));
const badFeature: fc.Arbitrary<unknown> = fc.oneof(
  fc.record({ code, geometry: badPolygon }).map((f) => ({ type: 'Feature', properties: { LSOA21CD: f.code }, geometry: f.geometry })),
  fc.record({ code: hostileCell, geometry: goodPolygon }).map((f) => ({ type: 'Feature', properties: { LSOA21CD: f.code }, geometry: f.geometry })),
  goodPolygon.map((geometry) => ({ type: 'Feature', properties: { code: 'E01000001' }, geometry })),
  fc.constantFrom<unknown>(null, 7, 'Feature', [], { type: 'Feature', properties: 'LSOA21CD' }, { type: 'Feature', properties: [1, 2] }, { type: 'Feature', properties: null, geometry: null }),
);
const crs = mostly(
  fc.constantFrom<string | undefined>(undefined, 'urn:ogc:def:crs:OGC:1.3:CRS84', 'EPSG:4326'),
  fc.oneof(fc.constantFrom<string | undefined>('EPSG:27700', 'EPSG:99999', 'EPSG:0', 'urn:ogc:def:crs:EPSG::3857', 'nonsense', 'EPSG:' + '9'.repeat(30)), hostileCell),
  8,
);
const wrapping = mostly(
  fc.constant<'plain' | 'gzip' | (typeof encodings)[number] | 'truncated' | 'not-json'>('plain'),
  fc.constantFrom('gzip', ...encodings, 'truncated', 'not-json'),
  5,
);
const file = fc.record({ features: fc.array(mostly(goodFeature, badFeature, 12), { minLength: 0, maxLength: 6 }), crs, wrapping, top: mostly(fc.constant('FeatureCollection'), fc.constantFrom('Feature', 'featurecollection', ''), 20) });

function bytesOf(f: { features: unknown[]; crs: string | undefined; wrapping: string; top: string }): { bytes: Buffer; name: string } {
  const text = JSON.stringify({ type: f.top, ...(f.crs === undefined ? {} : { crs: { type: 'name', properties: { name: f.crs } } }), features: f.features });
  switch (f.wrapping) {
    case 'gzip':
      return { bytes: gzipSync(text), name: 'b.geojson.gz' };
    case 'truncated':
      return { bytes: Buffer.from(text.slice(0, Math.floor(text.length / 2))), name: 'b.geojson' };
    case 'not-json':
      return { bytes: Buffer.from(`LSOA21CD,geometry\n${text}`), name: 'b.geojson' };
    case 'plain':
      return { bytes: Buffer.from(text), name: 'b.geojson' };
    default:
      return { bytes: encode(text, f.wrapping as (typeof encodings)[number]), name: 'b.geojson' };
  }
}

for (const engine of engines) {
  describe(`hostile boundary files on ${engine}`, () => {
    let database: TestDatabase;
    let dir = '';
    beforeAll(async () => {
      database = await createTestDatabase(engine);
      dir = await mkdtemp(path.join(tmpdir(), 'patchwork-fuzz-boundaries-'));
    });
    afterAll(async () => {
      await database?.drop();
      await rm(dir, { recursive: true, force: true });
    });
    const counts = () => tableCounts(database.db, tables);
    let n = 0;
    /** Imports bytes as a file; returns the result, or the ImportError after checking nothing was written. */
    async function attempt(bytes: Buffer, name: string) {
      const target = path.join(dir, `${n++}-${name}`);
      await writeFile(target, bytes);
      const before = await counts();
      try {
        return await importBoundaries(database.db, target, cliActor);
      } catch (error) {
        return await expectCleanRefusal(error, counts, before);
      } finally {
        await rm(target, { force: true });
      }
    }

    it('imports each generated file whole or refuses it with an ImportError, writing nothing', async () => {
      const seen = { imported: 0, refused: 0 };
      await fc.assert(
        fc.asyncProperty(file, async (f) => {
          const { bytes, name } = bytesOf(f);
          const outcome = await attempt(bytes, name);
          if (outcome instanceof ImportError) {
            seen.refused++;
            return;
          }
          seen.imported++;
          // Imported: every feature was a good one, and each is stored with a boundary.
          const codes = new Set(f.features.map((x) => (x as { properties: { LSOA21CD: string } }).properties.LSOA21CD));
          expect(outcome.areas).toBe(codes.size);
          expect(outcome.areas + outcome.duplicates).toBe(f.features.length);
          const stored = await queryRows<{ code: string }>(database.db, sql`select code from areas where vintage = 'lsoa21' and boundary is not null and code = any(${sql.param([...codes])}::text[])`);
          expect(stored.length).toBe(codes.size);
        }),
        { numRuns: runs, seed: fuzzSeed(21) },
      );
      // Both ways round were tried: a generator that only ever made bad files would prove nothing.
      expect(seen.imported).toBeGreaterThan(0);
      expect(seen.refused).toBeGreaterThan(0);
    }, fuzzTimeout(240_000));

    it('refuses JSON nested 100,000 deep with an ImportError', async () => {
      const outcome = await attempt(Buffer.from(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"LSOA21CD":"E01000001"},"geometry":{"type":"Polygon","coordinates":${deepJson(100_000)}}}]}`), 'deep.geojson');
      expect(outcome).toBeInstanceOf(ImportError);
      const bare = await attempt(Buffer.from(deepJson(100_000)), 'deep2.geojson');
      expect(bare).toBeInstanceOf(ImportError);
    }, fuzzTimeout(60_000));

    it('refuses a small gzip that would inflate to gigabytes without inflating it all', async () => {
      // 4 GB of spaces inside a JSON string compresses to about 4 MB; built in slices so the test itself stays small.
      const slice = Buffer.alloc(64 * 1024 * 1024, 0x20);
      const chunks = [gzipSync(Buffer.from('{"type":"FeatureCollection","features":[], "padding":"'))];
      const middle = gzipSync(slice, { level: 9 });
      for (let i = 0; i < 64; i++) chunks.push(middle);
      chunks.push(gzipSync(Buffer.from('"}')));
      // Concatenated gzip members are one stream to gunzip.
      const bomb = Buffer.concat(chunks);
      expect(bomb.length).toBeLessThan(20 * 1024 * 1024);
      const outcome = await attempt(bomb, 'bomb.geojson.gz');
      expect(outcome).toBeInstanceOf(ImportError);
      expect((outcome as ImportError).message).toMatch(/too large|larger than/i);
    }, fuzzTimeout(120_000));

    // A million corners takes PostGIS most of a minute, so the quick profile tries a hundred thousand.
    it(`imports a polygon of ${hardProfile ? '1,000,000' : '100,000'} corners or refuses it with an ImportError`, async () => {
      const corners = hardProfile ? 1_000_000 : 100_000;
      const ring: number[][] = [];
      for (let i = 0; i < corners; i++) {
        const a = (2 * Math.PI * i) / corners;
        ring.push([-1.5 + 0.01 * Math.cos(a), 53.8 + 0.01 * Math.sin(a)]);
      }
      ring.push(ring[0]!);
      const text = JSON.stringify({ type: 'FeatureCollection', features: [{ type: 'Feature', properties: { LSOA21CD: 'E01999999', LSOA21NM: 'Huge' }, geometry: { type: 'Polygon', coordinates: [ring] } }] });
      const outcome = await attempt(Buffer.from(text), 'huge.geojson');
      if (outcome instanceof ImportError) expect(outcome.message).toMatch(/corners|vertices|too large/i);
      else expect(outcome.areas).toBe(1);
    }, fuzzTimeout(180_000));
  });
}
