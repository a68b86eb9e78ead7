import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../../platform/audit/audit.ts';
import { queryRows } from '../../platform/db/database.ts';
import { createTestDatabase, engines, type TestDatabase } from '../../../tests/support/engines.ts';
import { importBoundaries } from './boundaries.ts';
import { boxAround, loadLocator, locatePoints, type Box, type Locator } from './locator.ts';

const fixtures = path.resolve('tests/fixtures/boundaries');

/** Places whose LSOA and ward anyone can check on a map. */
const places = [
  { name: 'Leeds Town Hall', lon: -1.5487, lat: 53.7999, lsoa21: 'E01033010', ward25: 'E05011403' }, // Leeds 111B, Little London & Woodhouse
  { name: 'Elland Road', lon: -1.5722, lat: 53.7777, lsoa21: 'E01011369', ward25: 'E05012647' }, // Leeds 090E, Beeston & Holbeck
  { name: 'Roundhay Park', lon: -1.4985, lat: 53.8392, lsoa21: 'E01011650', ward25: 'E05011411' }, // Leeds 020A, Roundhay
  { name: 'Blackpool Tower', lon: -3.0553, lat: 53.8159, lsoa21: 'E01012736', ward25: 'E05015202' }, // Blackpool 010D, Talbot
];
/** The Irish Sea off Blackpool, and Cardiff. */
const nowhere = [
  { lon: -3.2, lat: 53.82 },
  { lon: -3.18, lat: 51.48 },
];

/** A seeded generator (mulberry32), so a failure names points that can be tried again. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe.each(engines)('locating points in areas on %s', (engine) => {
  let database: TestDatabase;
  const rows = <T>(q: ReturnType<typeof sql>) => queryRows<T>(database.db, q);
  const locators: Record<string, Locator> = {};

  /**
   * What PostGIS says for each point: the area containing it, or where it lies on boundaries only, the
   * lowest code of those it touches (the locator's rule for shared edges, which ST_Contains leaves out).
   */
  async function postgis(vintage: string, points: { lon: number; lat: number }[]) {
    const answers = await rows<{ i: number; inside: string | null; touching: string | null }>(sql`
      select p.i::int as i, min(a.code) filter (where ST_Contains(a.boundary, p.pt)) as inside, min(a.code) filter (where ST_Intersects(a.boundary, p.pt)) as touching
      from (select i, ST_SetSRID(ST_MakePoint(x, y), 4326) as pt from unnest(${sql.param(points.map((p) => p.lon))}::float8[], ${sql.param(points.map((p) => p.lat))}::float8[]) with ordinality as t(x, y, i)) p
      left join areas a on a.vintage = ${vintage} and a.boundary && p.pt
      group by p.i order by p.i`);
    return answers.map((a) => ({ inside: a.inside, expected: a.inside ?? a.touching }));
  }

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    await importBoundaries(database.db, path.join(fixtures, 'lsoa21'), cliActor);
    await importBoundaries(database.db, path.join(fixtures, 'ward25'), cliActor);
    locators.lsoa21 = await loadLocator(database.db, 'lsoa21');
    locators.ward25 = await loadLocator(database.db, 'ward25');
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('loads every area of a vintage with a boundary, and nothing of a vintage without', async () => {
    const counts = await rows<{ vintage: string; n: number }>(sql`select vintage, count(*)::int as n from areas where boundary is not null group by vintage`);
    expect(locators.lsoa21!.size).toBe(counts.find((c) => c.vintage === 'lsoa21')!.n);
    expect(locators.ward25!.size).toBe(counts.find((c) => c.vintage === 'ward25')!.n);
    expect(locators.lsoa21!.size).toBeGreaterThan(500); // Leeds (488) and Blackpool
    // lad25 areas exist (the wards' districts) but have no boundaries.
    const districts = await loadLocator(database.db, 'lad25');
    expect(districts.size).toBe(0);
    expect(districts.locate(-1.5487, 53.7999)).toBeNull();
  });

  it('puts known places in their LSOA and ward, and the sea, Wales and nonsense in none', () => {
    for (const place of places) {
      expect(locators.lsoa21!.locate(place.lon, place.lat), place.name).toBe(place.lsoa21);
      expect(locators.ward25!.locate(place.lon, place.lat), place.name).toBe(place.ward25);
    }
    for (const p of nowhere) {
      expect(locators.lsoa21!.locate(p.lon, p.lat)).toBeNull();
      expect(locators.ward25!.locate(p.lon, p.lat)).toBeNull();
    }
    for (const [lon, lat] of [[Number.NaN, 53.8], [-1.5, Number.POSITIVE_INFINITY], [200, 100]]) expect(locators.lsoa21!.locate(lon!, lat!)).toBeNull();
  });

  it('agrees with PostGIS for random points across the loaded areas, corners of boundaries included', async () => {
    const next = random(2021);
    const centres = await rows<{ lon: number; lat: number; spread: number }>(sql`
      select ST_X(centroid) as lon, ST_Y(centroid) as lat, sqrt(ST_Area(boundary)) as spread from areas where vintage = 'lsoa21' and boundary is not null order by code`);
    const points: { lon: number; lat: number }[] = [];
    // Round LSOAs' points inside, often landing in a neighbour or outside the loaded districts.
    for (let i = 0; i < 300; i++) {
      const c = centres[Math.floor(next() * centres.length)]!;
      points.push({ lon: c.lon + (next() - 0.5) * 2 * c.spread, lat: c.lat + (next() - 0.5) * 2 * c.spread });
    }
    // Across each district's box, sea and all.
    for (const [minLon, minLat, maxLon, maxLat] of [[-1.81, 53.69, -1.28, 53.95], [-3.07, 53.77, -2.99, 53.88]] as Box[]) {
      for (let i = 0; i < 100; i++) points.push({ lon: minLon + next() * (maxLon - minLon), lat: minLat + next() * (maxLat - minLat) });
    }
    // Corners of LSOA boundaries: each on the edge of one LSOA or more, and inside a ward or on its edge too.
    const corners = await rows<{ lon: number; lat: number }>(sql`
      select ST_X(d.geom) as lon, ST_Y(d.geom) as lat
      from (select boundary from areas where vintage = 'lsoa21' and boundary is not null order by code limit 40) a, ST_DumpPoints(a.boundary) d
      where d.path[3] % 7 = 1`);
    expect(corners.length).toBeGreaterThan(100);
    points.push(...corners);

    for (const vintage of ['lsoa21', 'ward25']) {
      const expected = await postgis(vintage, points);
      const got = points.map((p) => locators[vintage]!.locate(p.lon, p.lat));
      const differences = points.map((p, i) => ({ ...p, got: got[i], postgis: expected[i]!.expected })).filter((d) => d.got !== d.postgis);
      expect(differences, vintage).toEqual([]);
      // The random points test insides and outsides alike; the corners test edges (no area contains them).
      const located = got.filter((g) => g !== null).length;
      expect(located, vintage).toBeGreaterThan(points.length / 3);
      expect(located, vintage).toBeLessThan(points.length);
      if (vintage === 'lsoa21') expect(expected.slice(500).filter((e) => e.inside === null && e.expected !== null).length).toBe(corners.length);
    }
  });

  it('finds points in holes and in every part of a multipolygon, and gives a shared edge to the lower code', async () => {
    await database.db.execute(sql`insert into area_vintages (id, type, year, label) values ('test-shapes', 'neighbourhood', 2025, 'Test shapes')`);
    // A square with a square hole; an island in the hole; a square of two parts; two squares sharing an edge.
    await database.db.execute(sql`
      insert into areas (vintage, code, name, boundary)
      select 'test-shapes', code, code, ST_Multi(ST_GeomFromText(wkt, 4326)) from (values
        ('DONUT', 'POLYGON((10 10, 14 10, 14 14, 10 14, 10 10), (11 11, 11 13, 13 13, 13 11, 11 11))'),
        ('ISLAND', 'POLYGON((11.5 11.5, 12.5 11.5, 12.5 12.5, 11.5 12.5, 11.5 11.5))'),
        ('PARTS', 'MULTIPOLYGON(((20 10, 21 10, 21 11, 20 11, 20 10)), ((25 10, 26 10, 26 11, 25 11, 25 10)))'),
        ('WEST', 'POLYGON((30 10, 31 10, 31 11, 30 11, 30 10))'),
        ('EAST', 'POLYGON((31 10, 32 10, 32 11, 31 11, 31 10))')
      ) as t(code, wkt)`);
    const shapes = await loadLocator(database.db, 'test-shapes');
    expect(shapes.size).toBe(5);
    expect(shapes.locate(10.5, 10.5)).toBe('DONUT');
    expect(shapes.locate(11.2, 12)).toBeNull(); // in the hole, off the island
    expect(shapes.locate(12, 12)).toBe('ISLAND');
    expect(shapes.locate(11, 12)).toBe('DONUT'); // on the hole's edge: only the doughnut has it
    expect(shapes.locate(20.5, 10.5)).toBe('PARTS');
    expect(shapes.locate(25.5, 10.5)).toBe('PARTS');
    expect(shapes.locate(23, 10.5)).toBeNull(); // between the parts
    expect(shapes.locate(31, 10.5)).toBe('EAST'); // 'EAST' < 'WEST'
    expect(shapes.locate(31, 11)).toBe('EAST'); // the shared corner
    expect(shapes.locate(31.000001, 10.5)).toBe('EAST');
    expect(shapes.locate(30.999999, 10.5)).toBe('WEST');
    // And PostGIS agrees about every one of them.
    const points = [[10.5, 10.5], [11.2, 12], [12, 12], [20.5, 10.5], [25.5, 10.5], [23, 10.5], [31.000001, 10.5], [30.999999, 10.5]].map(([lon, lat]) => ({ lon: lon!, lat: lat! }));
    expect(points.map((p) => shapes.locate(p.lon, p.lat))).toEqual((await postgis('test-shapes', points)).map((e) => e.inside));
    // The same whichever of the pair was loaded first: a box in the east square, meeting the west one only at their shared edge, loads both.
    const edge = await loadLocator(database.db, 'test-shapes', [31, 10.4, 31.1, 10.6]);
    expect(edge.size).toBe(2);
    expect(edge.locate(31, 10.5)).toBe('EAST');
  });

  it('loads only the areas meeting the box it is given', async () => {
    const box: Box = [-1.56, 53.79, -1.54, 53.81]; // round Leeds Town Hall
    const local = await loadLocator(database.db, 'lsoa21', box);
    const [meeting] = await rows<{ n: number }>(sql`select count(*)::int as n from areas where vintage = 'lsoa21' and ST_Intersects(boundary, ST_MakeEnvelope(${box[0]}, ${box[1]}, ${box[2]}, ${box[3]}, 4326))`);
    expect(local.size).toBe(meeting!.n);
    expect(local.size).toBeGreaterThan(5);
    expect(local.size).toBeLessThan(locators.lsoa21!.size / 10);
    expect(local.locate(-1.5487, 53.7999)).toBe('E01033010');
    // Inside the box it answers as the whole vintage does; Blackpool was never loaded.
    const next = random(6);
    for (let i = 0; i < 200; i++) {
      const lon = box[0] + next() * (box[2] - box[0]);
      const lat = box[1] + next() * (box[3] - box[1]);
      expect(local.locate(lon, lat)).toBe(locators.lsoa21!.locate(lon, lat));
    }
    expect(local.locate(-3.0553, 53.8159)).toBeNull();
    await expect(loadLocator(database.db, 'lsoa21', [-1, 53, -2, 54])).rejects.toThrow(/not a box/);
    await expect(loadLocator(database.db, 'lsoa21', [Number.NaN, 53, -1, 54])).rejects.toThrow(/not a box/);
  });

  it('locates a batch of points in several vintages at once, loading only round them', async () => {
    const points = [...places.map(({ lon, lat }) => ({ lon, lat })), ...nowhere, { lon: Number.NaN, lat: 53.8 }];
    const codes = await locatePoints(database.db, points, ['lsoa21', 'ward25']);
    expect(codes).toEqual([
      ...places.map((p) => ({ lsoa21: p.lsoa21, ward25: p.ward25 })),
      { lsoa21: null, ward25: null },
      { lsoa21: null, ward25: null },
      { lsoa21: null, ward25: null },
    ]);
    expect(await locatePoints(database.db, [], ['lsoa21'])).toEqual([]);
    expect(await locatePoints(database.db, [{ lon: Number.NaN, lat: Number.NaN }], ['lsoa21'])).toEqual([{ lsoa21: null }]);
    // The box is the finite points' extent and a margin of about 100 m.
    expect(boxAround(points)).toEqual([-3.2 - 0.001, 51.48 - 0.001, -1.4985 + 0.001, 53.8392 + 0.001]);
  });
});
