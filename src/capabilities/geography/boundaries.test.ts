import { copyFile, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../../platform/audit/audit.ts';
import { queryRows } from '../../platform/db/database.ts';
import { createTestDatabase, engines, type TestDatabase } from '../../../tests/support/engines.ts';
import { bundledDataDir } from '../indicators/bundled-data.ts';
import { importBoundaries } from './boundaries.ts';
import { importLookup } from './lookups.ts';
import { deriveLsoa21Population, importPopulation } from '../indicators/population.ts';

const fixtures = path.resolve('tests/fixtures/boundaries');

describe.each(engines)('boundaries on %s', (engine) => {
  let database: TestDatabase;
  let dir: string;
  const rows = <T>(q: ReturnType<typeof sql>) => queryRows<T>(database.db, q);

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    dir = await mkdtemp(path.join(tmpdir(), 'patchwork-geo-'));
    await importLookup(database.db, path.join(bundledDataDir, 'ons_lookups/LSOA21_WD24_LAD24_EW_best_fit.csv.gz'), cliActor);
    await importLookup(database.db, path.join(bundledDataDir, 'ons_lookups/LSOA11_LSOA21_LAD22_EW.csv.gz'), cliActor);
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('loads LSOA and ward polygons from a folder as valid WGS84 multipolygons', async () => {
    const lsoas = await importBoundaries(database.db, path.join(fixtures, 'lsoa21'), cliActor);
    expect(lsoas).toMatchObject({ vintage: 'lsoa21', files: 2 });
    const wards = await importBoundaries(database.db, path.join(fixtures, 'ward25'), cliActor);
    expect(wards).toMatchObject({ vintage: 'ward25', vintages: { ward25: expect.any(Number) }, files: 2 });
    const [leeds] = await rows<{ n: number }>(sql`
      select count(*)::int as n from areas a join area_lookups l on l.from_vintage = 'lsoa21' and l.from_code = a.code and l.to_vintage = 'lad24' and l.to_code = 'E08000035'
      where a.vintage = 'lsoa21' and a.boundary is not null`);
    expect(leeds!.n).toBe(488);
    const [shape] = await rows<{ invalid: number; srid: number; types: string }>(sql`
      select count(*) filter (where not ST_IsValid(boundary))::int as invalid, max(ST_SRID(boundary)) as srid, string_agg(distinct GeometryType(boundary), ',') as types
      from areas where boundary is not null`);
    expect(shape).toEqual({ invalid: 0, srid: 4326, types: 'MULTIPOLYGON' });
    // Every centroid lies inside its own area.
    const [outside] = await rows<{ n: number }>(sql`select count(*)::int as n from areas where boundary is not null and not ST_Contains(boundary, centroid)`);
    expect(outside!.n).toBe(0);
  });

  it('derives 2021 LSOA → 2025 ward, agreeing with the ONS 2024 best fit for nearly every LSOA', async () => {
    const [counts] = await rows<{ lsoas: number; linked: number; agree: number; comparable: number }>(sql`
      select
        (select count(*)::int from areas where vintage = 'lsoa21' and boundary is not null) as lsoas,
        (select count(distinct from_code)::int from area_lookups where from_vintage = 'lsoa21' and to_vintage = 'ward25') as linked,
        (select count(*)::int from area_lookups d join area_lookups o on o.from_vintage = 'lsoa21' and o.from_code = d.from_code and o.to_vintage = 'ward24'
          where d.from_vintage = 'lsoa21' and d.to_vintage = 'ward25' and d.to_code = o.to_code) as agree,
        (select count(*)::int from area_lookups d join area_lookups o on o.from_vintage = 'lsoa21' and o.from_code = d.from_code and o.to_vintage = 'ward24'
          join areas w on w.vintage = 'ward25' and w.code = o.to_code
          where d.from_vintage = 'lsoa21' and d.to_vintage = 'ward25') as comparable`);
    expect(counts!.linked).toBe(counts!.lsoas);
    // Where the 2024 ward still exists in 2025, the derived fit should be the same ward almost always.
    expect(counts!.agree / counts!.comparable).toBeGreaterThan(0.95);
    const [method] = await rows<{ method: string }>(sql`select distinct method from area_lookups where to_vintage = 'ward25' and from_vintage = 'lsoa21'`);
    expect(method!.method).toBe('derived-point-in-polygon');
  });

  it('measures how much of each split 2011 LSOA lies in each 2021 LSOA, once both are loaded', async () => {
    const result = await importBoundaries(database.db, path.join(fixtures, 'lsoa11'), cliActor);
    expect(result.derived['lsoa11→lsoa21 area shares']).toBeGreaterThan(0);
    const splits = await rows<{ from_code: string; total: number; n: number; min: number; max: number }>(sql`
      select l.from_code, sum(share) as total, count(*)::int as n, min(share) as min, max(share) as max
      from area_lookups l join areas a on a.vintage = 'lsoa11' and a.code = l.from_code and a.boundary is not null
      where l.from_vintage = 'lsoa11' and l.to_vintage = 'lsoa21' and l.change_code = 'S'
      group by l.from_code`);
    expect(splits.length).toBeGreaterThan(5);
    for (const s of splits) {
      expect(s.n).toBeGreaterThan(1);
      // A split LSOA's pieces make up (almost exactly, given generalised boundaries) the whole of it.
      expect(s.total).toBeGreaterThan(0.97);
      expect(s.total).toBeLessThan(1.03);
      expect(s.min).toBeGreaterThan(0);
    }
    const [unchanged] = await rows<{ n: number }>(sql`select count(*)::int as n from area_lookups where from_vintage = 'lsoa11' and to_vintage = 'lsoa21' and change_code = 'U' and share is distinct from 1`);
    expect(unchanged!.n).toBe(0);

    // 2021-LSOA population estimates then share a split 2011 LSOA by area, keeping its total.
    await importPopulation(database.db, path.join(bundledDataDir, 'population/sape_mid2020_lsoa11_syoa_persons_EW.csv.gz'), cliActor);
    await database.db.transaction((tx) => deriveLsoa21Population(tx));
    const [split] = splits.filter((s) => s.n === 2);
    const parts = await rows<{ share: number; estimate: number; whole: number }>(sql`
      select l.share, e.value as estimate, p.value as whole from area_lookups l
      join indicator_values e on e.indicator_id = 'population.mid2020-estimate.lsoa21' and e.code = l.to_code
      join indicator_values p on p.indicator_id = 'population.mid2020.lsoa11' and p.code = l.from_code
      where l.from_vintage = 'lsoa11' and l.to_vintage = 'lsoa21' and l.from_code = ${split!.from_code}`);
    expect(parts).toHaveLength(2);
    expect(parts[0]!.estimate + parts[1]!.estimate).toBeCloseTo(parts[0]!.whole, 6);
    expect(parts[0]!.estimate / parts[1]!.estimate).toBeCloseTo(parts[0]!.share / parts[1]!.share, 6);
  });

  it('reprojects British National Grid, and refuses what is not a polygon', async () => {
    const bng = path.join(dir, 'bng.geojson');
    await writeFile(
      bng,
      JSON.stringify({
        type: 'FeatureCollection',
        crs: { type: 'name', properties: { name: 'urn:ogc:def:crs:EPSG::27700' } },
        features: [{ type: 'Feature', properties: { WD24CD: 'E05099999', WD24NM: 'Test ward' }, geometry: { type: 'Polygon', coordinates: [[[430000, 433000], [431000, 433000], [431000, 434000], [430000, 434000], [430000, 433000]]] } }],
      }),
    );
    await importBoundaries(database.db, bng, cliActor);
    const [point] = await rows<{ x: number; y: number }>(sql`select ST_X(centroid) as x, ST_Y(centroid) as y from areas where vintage = 'ward24' and code = 'E05099999'`);
    expect(point!.x).toBeCloseTo(-1.54, 1); // central Leeds
    expect(point!.y).toBeCloseTo(53.79, 1);

    const bad = path.join(dir, 'bad.geojson');
    await writeFile(bad, JSON.stringify({ type: 'FeatureCollection', features: [{ type: 'Feature', properties: { WD24CD: 'E05099998', WD24NM: 'x' }, geometry: { type: 'Point', coordinates: [0, 51] } }] }));
    await expect(importBoundaries(database.db, bad, cliActor)).rejects.toThrow(/E05099998 in bad.geojson has a Point, not a polygon/);
    const [absent] = await rows<{ n: number }>(sql`select count(*)::int as n from areas where code = 'E05099998'`);
    expect(absent!.n).toBe(0);
  });

  it('loads a folder holding two ward vintages (as the published ward folders do) as two vintages', async () => {
    const mixed = path.join(dir, 'mixed');
    await mkdir(mixed);
    await copyFile(path.join(fixtures, 'ward25/E06000009.geojson.gz'), path.join(mixed, 'E06000009.geojson.gz'));
    await writeFile(
      path.join(mixed, 'E07000246.geojson'),
      JSON.stringify({ type: 'FeatureCollection', features: [{ type: 'Feature', properties: { WD22CD: 'E05014339', WD22NM: "Bishop's Hull & Taunton West", LAD22CD: 'E07000246', LAD22NM: 'Somerset West and Taunton' }, geometry: { type: 'Polygon', coordinates: [[[-3.15, 51.0], [-3.1, 51.0], [-3.1, 51.02], [-3.15, 51.02], [-3.15, 51.0]]] } }] }),
    );
    const result = await importBoundaries(database.db, mixed, cliActor);
    expect(result.vintages).toEqual({ ward25: expect.any(Number), ward22: 1 });
    expect(result.vintages.ward25).toBeGreaterThan(10);
    const [parent] = await rows<{ to_code: string }>(sql`select to_code from area_lookups where from_vintage = 'ward22' and from_code = 'E05014339' and to_vintage = 'lad22'`);
    expect(parent!.to_code).toBe('E07000246');
  });

  it('repairs a self-intersecting polygon and says so', async () => {
    const bowtie = path.join(dir, 'bowtie.geojson');
    await writeFile(
      bowtie,
      JSON.stringify({ type: 'FeatureCollection', features: [{ type: 'Feature', properties: { WD24CD: 'E05099997', WD24NM: 'Bow tie' }, geometry: { type: 'Polygon', coordinates: [[[-1.5, 53.8], [-1.4, 53.9], [-1.4, 53.8], [-1.5, 53.9], [-1.5, 53.8]]] } }] }),
    );
    const result = await importBoundaries(database.db, bowtie, cliActor);
    expect(result.repaired).toBe(1);
    const [valid] = await rows<{ ok: boolean }>(sql`select ST_IsValid(boundary) as ok from areas where code = 'E05099997'`);
    expect(valid!.ok).toBe(true);
  });
});
