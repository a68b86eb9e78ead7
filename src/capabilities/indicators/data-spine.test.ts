import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import writeExcelFile from 'write-excel-file/node';
import { cliActor } from '../../platform/audit/audit.ts';
import { ImportError, readCsv } from '../../platform/data/csv.ts';
import { queryRows } from '../../platform/db/database.ts';
import { createTestDatabase, engines, type TestDatabase } from '../../../tests/support/engines.ts';
import { startTestApp } from '../../../tests/support/app.ts';
import { bundledDataDir, bundledDataLoaded, loadBundledData } from './bundled-data.ts';
import { importIodEdition } from './iod-import.ts';

/** Facts the published files imply, computed here from the files themselves. */
async function fileFacts(file: string, codeColumn: string, sumColumn?: string) {
  const codes = new Set<string>();
  let sum = 0;
  for await (const { values } of readCsv(path.join(bundledDataDir, file))) {
    if (!values[codeColumn]!.startsWith('E')) continue;
    codes.add(values[codeColumn]!);
    if (sumColumn) sum += Number(values[sumColumn]!.replace(/,/g, ''));
  }
  return { n: codes.size, sum };
}

describe.each(engines)('the national data spine on %s', (engine) => {
  let database: TestDatabase;
  let app: FastifyInstance;
  const rows = <T>(query: ReturnType<typeof sql>) => queryRows<T>(database.db, query);

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    expect(await bundledDataLoaded(database.db)).toBe(false);
    // The national boundaries are the other part; they take minutes and are covered in the geography tests.
    await loadBundledData(database.db, cliActor, undefined, ['tables']);
    expect(await bundledDataLoaded(database.db)).toBe(true);
    expect(await bundledDataLoaded(database.db, ['boundaries'])).toBe(false);
    app = await startTestApp(database);
  }, 600_000);
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('loads every edition with as many LSOAs as its file has', async () => {
    const editions = await rows<{ id: string; lsoa_count: number }>(sql`select id, lsoa_count from editions order by id`);
    expect(editions).toEqual([
      { id: 'iod2015', lsoa_count: (await fileFacts('iod2015/imd2015_england_lsoa11.csv.gz', 'lsoa11_code')).n },
      { id: 'iod2019', lsoa_count: (await fileFacts('iod2019/File_2_-_IoD2019_Domains_of_Deprivation.csv.gz', 'LSOA code (2011)')).n },
      { id: 'iod2025', lsoa_count: (await fileFacts('iod2025/imd2025_england_lsoa21.csv.gz', 'lsoa21_code')).n },
    ]);
  });

  it('puts 10% of LSOAs (±1) in every decile of every index, with ranks 1..N', async () => {
    const deciles = await rows<{ indicator_id: string; decile: number; n: number; total: number }>(sql`
      select v.indicator_id, v.decile, count(*)::int as n, e.lsoa_count as total
      from indicator_values v join indicators i on i.id = v.indicator_id join editions e on e.id = i.edition_id
      where v.decile is not null group by v.indicator_id, v.decile, e.lsoa_count`);
    expect(deciles.length).toBe(17 * 10); // IoD2015 IMD, and IMD + 7 domains in 2019 and 2025
    for (const d of deciles) expect(Math.abs(d.n - d.total / 10)).toBeLessThanOrEqual(1);
    const ranks = await rows<{ indicator_id: string; min: number; max: number; n: number; total: number }>(sql`
      select v.indicator_id, min(rank) as min, max(rank) as max, count(*)::int as n, e.lsoa_count as total
      from indicator_values v join indicators i on i.id = v.indicator_id join editions e on e.id = i.edition_id
      where v.rank is not null group by v.indicator_id, e.lsoa_count`);
    for (const r of ranks) {
      expect(r.min).toBe(1);
      expect(r.max).toBeLessThanOrEqual(r.total);
      expect(r.n).toBe(r.total);
    }
  });

  it('gives every LSOA of every edition exactly one district and one ward', async () => {
    const bad = await rows<{ id: string; level: string; n: number }>(sql`
      select e.id, lvl.level, count(*)::int as n
      from editions e
      cross join lateral (values ('lad', e.lad_vintage), ('ward', e.ward_vintage)) as lvl(level, vintage)
      join areas a on a.vintage = e.lsoa_vintage
      left join lateral (select count(*) as k from area_lookups l where l.from_vintage = a.vintage and l.from_code = a.code and l.to_vintage = lvl.vintage) m on true
      where m.k <> 1 group by e.id, lvl.level`);
    expect(bad).toEqual([]);
  });

  it('keeps population totals equal to the files', async () => {
    const file6 = await fileFacts('iod2019/File_6_-_IoD2019_Population_Denominators.csv.gz', 'LSOA code (2011)', 'Total population: mid 2015 (excluding prisoners)');
    const sape = await fileFacts('population/sape_mid2020_lsoa11_syoa_persons_EW.csv.gz', 'lsoa11_code', 'total_population');
    const totals = await rows<{ id: string; total: number }>(sql`select indicator_id as id, round(sum(value))::bigint as total from indicator_values where indicator_id like 'population.%' group by indicator_id order by indicator_id`);
    expect(totals.map((t) => [t.id, Number(t.total)])).toEqual([
      ['population.mid2015.lsoa11', file6.sum],
      ['population.mid2020-estimate.lsoa21', sape.sum],
      ['population.mid2020.lsoa11', sape.sum],
    ]);
    expect(file6.sum).toBe(54_728_204);
    expect(sape.sum).toBe(56_550_138);
  });

  it('reproduces the published figures councils quote', async () => {
    const leeds = await rows<{ id: string; lsoa_count: number; d1: number; one: number }>(sql`
      select indicator_id as id, lsoa_count, decile_counts[1] as d1, most_deprived_1pct as one
      from area_summaries where code = 'E08000035' and indicator_id like '%.imd' and vintage like 'lad%' order by 1`);
    // Leeds: IoD2015 16 LSOAs in the most deprived 1%; IoD2019 12 (and 114 in decile 1); IoD2025 7 (84).
    expect(leeds).toEqual([
      { id: 'iod2015.imd', lsoa_count: 482, d1: 105, one: 16 },
      { id: 'iod2019.imd', lsoa_count: 482, d1: 114, one: 12 },
      { id: 'iod2025.imd', lsoa_count: 488, d1: 84, one: 7 },
    ]);
    const withDecile1 = await rows<{ id: string; n: number }>(sql`
      select indicator_id as id, count(*) filter (where decile_counts[1] > 0)::int as n
      from area_summaries where indicator_id like '%.imd' and vintage like 'lad%' group by 1 order by 1`);
    expect(withDecile1).toEqual([
      { id: 'iod2015.imd', n: 199 },
      { id: 'iod2019.imd', n: 194 },
      { id: 'iod2025.imd', n: 192 },
    ]);
    // IoD2019 File 10: Blackpool has the highest average score (45.039), then Knowsley (43.006), Liverpool (42.412).
    const top = await rows<{ code: string; score: string; rank: number }>(sql`
      select code, round(average_score::numeric, 3)::text as score, rank_average_score as rank
      from area_summaries where indicator_id = 'iod2019.imd' and vintage = 'lad19' order by rank_average_score limit 3`);
    expect(top).toEqual([
      { code: 'E06000009', score: '45.039', rank: 1 },
      { code: 'E08000011', score: '43.006', rank: 2 },
      { code: 'E08000012', score: '42.412', rank: 3 },
    ]);
  });

  it('answers the API, as JSON and CSV, with problems for unknown or malformed requests', async () => {
    const editions = (await app.inject('/api/v1/editions')).json();
    expect(editions.editions.map((e: { id: string }) => e.id)).toEqual(['iod2015', 'iod2019', 'iod2025']);

    const lads = (await app.inject('/api/v1/editions/iod2019/lads')).json();
    expect(lads.lads).toHaveLength(317);
    const blackpool = lads.lads.find((l: { code: string }) => l.code === 'E06000009');
    expect(blackpool).toMatchObject({ name: 'Blackpool', lsoaCount: 94, rankAverageScore: 1 });
    expect(blackpool.decileCounts).toHaveLength(10);

    const leeds = (await app.inject('/api/v1/areas/E08000035?edition=iod2025')).json();
    expect(leeds).toMatchObject({ name: 'Leeds', type: 'lad', vintage: 'lad24', summary: { lsoaCount: 488, mostDeprived1pct: 7 } });
    const wards = (await app.inject('/api/v1/areas/E08000035/wards?edition=iod2025')).json();
    expect(wards.wards).toHaveLength(33);

    const lsoa = (await app.inject('/api/v1/areas/E01000001?edition=iod2019')).json();
    expect(lsoa.lsoa.domains.imd).toMatchObject({ rank: 29199, decile: 9 });
    expect(Object.keys(lsoa.lsoa.domains).sort()).toEqual(['crime', 'education', 'employment', 'environment', 'health', 'housing', 'imd', 'income']);
    expect(lsoa.parents.map((p: { vintage: string }) => p.vintage).sort()).toEqual(['lad19', 'ward19']);

    const csv = await app.inject({ url: '/api/v1/areas/E08000035/lsoas?edition=iod2019', headers: { accept: 'text/csv' } });
    expect(csv.headers['content-type']).toContain('text/csv');
    const lines = csv.body.trim().split('\n');
    expect(lines[0]).toMatch(/^code,name,population,imdScore,imdRank,imdDecile/);
    expect(lines).toHaveLength(483);

    const unknown = await app.inject('/api/v1/editions/iod1999/lads');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.headers['content-type']).toContain('application/problem+json');
    const malformed = await app.inject('/api/v1/areas/LEEDS');
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().title).toBe('The request is not valid');
    expect((await app.inject('/api/v1/areas/E08999999?edition=iod2019')).statusCode).toBe(404);
  });

  it('reports change between editions, directly and across the 2011 → 2021 LSOA change', async () => {
    const same = (await app.inject('/api/v1/areas/E08000035/change?from=iod2015&to=iod2019')).json();
    expect(same).toMatchObject({ sameLsoas: true, then: { mostDeprived1pct: 16 }, now: { mostDeprived1pct: 12, lsoaCount: 482 } });
    expect(same.caveat).toContain('not strictly comparable');
    expect(same.lsoas).toHaveLength(482);
    const moved = same.lsoas.filter((l: { decileMovement: number | null }) => l.decileMovement !== 0);
    expect(moved.length).toBeGreaterThan(0);
    for (const l of same.lsoas) expect(l.decileMovement).toBe(l.decileNow - l.decileThen);

    const across = (await app.inject('/api/v1/areas/E08000035/change?from=iod2019&to=iod2025')).json();
    expect(across).toMatchObject({ sameLsoas: false, then: { lsoaCount: 482, decileCounts: expect.any(Array) }, now: { lsoaCount: 488 } });
    const codes = new Set(across.lsoas.map((l: { changeCode: string }) => l.changeCode));
    expect(codes.has('U')).toBe(true);
    expect(codes.has('S')).toBe(true);
    for (const l of across.lsoas) {
      if (l.changeCode === 'U') expect(l.previous.map((p: { code: string }) => p.code)).toEqual([l.code]);
      if (l.previous.length !== 1) expect(l.rankThen).toBeNull();
    }
    expect((await app.inject('/api/v1/areas/E01000001/change?from=iod2015&to=iod2019')).statusCode).toBe(400);
  });

  it('loads the bundled boundaries a district at a time, and does not mark an interrupted load done', async () => {
    const stop = new AbortController();
    const seen: string[] = [];
    const run = loadBundledData(
      database.db,
      cliActor,
      (_done, _total, label) => {
        seen.push(label);
        if (seen.length === 3) stop.abort(new Error('stopped by the test'));
      },
      ['boundaries'],
      stop.signal,
    );
    await expect(run).rejects.toThrow('stopped by the test');
    expect(seen).toEqual(['Ward boundaries (2025)', 'Ward boundaries (2025): E06000001 (1 of 299)', 'Ward boundaries (2025): E06000002 (2 of 299)']);
    const [drawn] = await rows<{ n: number }>(sql`select count(*)::int as n from areas where vintage = 'ward25' and boundary is not null`);
    expect(drawn!.n).toBeGreaterThan(10); // Hartlepool's and Middlesbrough's wards
    expect(await bundledDataLoaded(database.db, ['boundaries'])).toBe(false);
  });

  it('re-imports the same file without changing anything, and refuses a bad file leaving data untouched', async () => {
    const fingerprint = () =>
      rows<{ f: string }>(sql`select md5(string_agg(indicator_id || code || coalesce(value::text, '') || coalesce(rank::text, '') || coalesce(decile::text, ''), ',' order by indicator_id, code)) as f from indicator_values`);
    const before = await fingerprint();
    await importIodEdition(database.db, 'iod2015', [path.join(bundledDataDir, 'iod2015/imd2015_england_lsoa11.csv.gz')], cliActor);
    expect(await fingerprint()).toEqual(before);

    const dir = await mkdtemp(path.join(tmpdir(), 'patchwork-iod-'));
    const bad = path.join(dir, 'bad.csv');
    await writeFile(bad, '"lsoa11_code","IMD_score","IMD_rank","IMD_decile"\n"E01000001",10.5,1,1\n"E01000002",9.1,3,1\n');
    const error = await importIodEdition(database.db, 'iod2015', [bad], cliActor).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImportError);
    expect(await fingerprint()).toEqual(before);
  });
});

describe('IoD import checks every row (synthetic files, PGlite)', () => {
  let database: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    database = await createTestDatabase('pglite');
    dir = await mkdtemp(path.join(tmpdir(), 'patchwork-iod-'));
  });
  afterAll(async () => {
    await database?.drop();
  });

  const attempt = async (content: string) => {
    const file = path.join(dir, `f${Math.random().toString(36).slice(2)}.csv`);
    await writeFile(file, content);
    return importIodEdition(database.db, 'iod2015', [file], cliActor).then(
      (r) => ({ ok: true as const, r }),
      (e: Error) => ({ ok: false as const, message: e.message }),
    );
  };
  const head = 'LSOA code (2011),Index of Multiple Deprivation (IMD) Rank,Index of Multiple Deprivation (IMD) Decile\n';
  const lsoas = (n: number) => Array.from({ length: n }, (_, i) => `E0100${String(1001 + i).padStart(4, '0')}`);

  it('accepts a byte-order mark, quoted thousands separators and tied ranks', async () => {
    // 20 LSOAs: ranks 1..20 with a tie at 5 (so no 6), deciles ⌈10 × rank / 20⌉.
    const ranks = [1, 2, 3, 4, 5, 5, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20];
    const body = lsoas(20).map((code, i) => `${code},"${ranks[i]}",${Math.ceil((10 * ranks[i]!) / 20)}`).join('\n');
    const result = await attempt(`\uFEFF${head}${body}\n`);
    expect(result).toMatchObject({ ok: true, r: { lsoas: 20 } });
  });

  it.each([
    ['a malformed code', `${head}E0100100,1,1\n`, /row 2, column "LSOA code \(2011\)": "E0100100" is not an English LSOA code/],
    ['a repeated code', `${head}E01001001,1,5\nE01001001,2,10\n`, /row 3, column "LSOA code \(2011\)": E01001001 appears more than once/],
    ['a decile out of range', `${head}E01001001,1,11\n`, /decile 11 is not a whole number from 1 to 10/],
    ['a rank that is not a number', `${head}E01001001,first,1\n`, /"first" is not a number/],
    ['a gap in the ranks', `${head}E01001001,1,4\nE01001002,3,10\nE01001003,3,10\n`, /ranks are not 1 to 3 in order: the 2nd lowest rank is 3/],
    ['a decile that contradicts the rank', `${head}E01001001,1,10\nE01001002,2,10\n`, /has rank 1 but decile 10; with 2 LSOAs that rank is decile 5/],
    ['columns it does not recognise', 'code,value\nE01001001,1\n', /has no LSOA code column Patchwork recognises/],
  ])('refuses %s, saying where', async (_label, content, message) => {
    const result = await attempt(content);
    expect(result.ok).toBe(false);
    expect((result as { message: string }).message).toMatch(message);
    expect((result as { message: string }).message).toMatch(/nothing has changed/i);
  });

  it('reads the published Excel form: a Notes sheet, then the data sheet with numbers as numbers', async () => {
    const ranks = Array.from({ length: 20 }, (_, i) => i + 1);
    const file = path.join(dir, 'iod.xlsx');
    await writeExcelFile([
      { sheet: 'Notes', data: [['The English Indices of Deprivation: notes'], ['Rank 1 is the most deprived.']] },
      {
        sheet: 'IoD Domains',
        data: [
          ['LSOA code (2011)', 'Index of Multiple Deprivation (IMD) Rank', 'Index of Multiple Deprivation (IMD) Decile', 'Index of Multiple Deprivation (IMD) Score'],
          ...lsoas(20).map((code, i) => [code, ranks[i]!, Math.ceil((10 * ranks[i]!) / 20), 40.5 - i]),
        ],
      },
    ]).toFile(file);
    const result = await importIodEdition(database.db, 'iod2015', [file], cliActor);
    expect(result).toMatchObject({ lsoas: 20 });
    const [row] = await queryRows<{ value: number; rank: number; decile: number }>(database.db, sql`select value, rank, decile from indicator_values where indicator_id = 'iod2015.imd' and code = 'E01001003'`);
    expect(row).toEqual({ value: 38.5, rank: 3, decile: 2 });
  });

  it('refuses a file that is not a workbook, saying so', async () => {
    const file = path.join(dir, 'not-a-workbook.xlsx');
    await writeFile(file, 'LSOA code (2011),IMD rank\n');
    await expect(importIodEdition(database.db, 'iod2015', [file], cliActor)).rejects.toThrow(/is not a readable Excel workbook .*save it as \.xlsx or CSV\. Nothing has changed/);
  });

  it('refuses an edition it does not know', async () => {
    await expect(importIodEdition(database.db, 'iod1999', ['x.csv'], cliActor)).rejects.toThrow(/"iod1999" is not an edition Patchwork knows. Known editions: iod2015, iod2019, iod2025/);
  });
});
