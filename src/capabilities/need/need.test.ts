import type { FastifyInstance } from 'fastify';
import { parse } from 'csv-parse/sync';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../platform/db/database.ts';
import { createTestDatabase, engines, type TestDatabase } from '../../../tests/support/engines.ts';
import { startTestApp } from '../../../tests/support/app.ts';
import { iod2011Steps, loadBundledSteps } from '../../../tests/support/data.ts';

/** Table rows of a page: the text of each body row's cells. */
function bodyRows(html: string, tableClass = 'pw-members'): string[][] {
  const table = new RegExp(`<table class="govuk-table ${tableClass}">([\\s\\S]*?)</table>`).exec(html)?.[1] ?? '';
  const body = /<tbody[^>]*>([\s\S]*?)<\/tbody>/.exec(table)?.[1] ?? '';
  return [...body.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((r) => [...r[1]!.matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((c) => c[1]!.replace(/<[^>]+>/g, '').replace(/\s+/g, ' ').trim()));
}

describe.each(engines)('see need: drill-down pages on %s', (engine) => {
  let database: TestDatabase;
  let app: FastifyInstance;
  const get = (url: string) => app.inject(url);

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    await loadBundledSteps(database.db, iod2011Steps);
    app = await startTestApp(database);
  });
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('ranks every district of England, most deprived first, in the latest edition loaded', async () => {
    const page = await get('/areas');
    expect(page.statusCode).toBe(200);
    const rows = bodyRows(page.body);
    expect(rows).toHaveLength(317);
    // IoD2019: Blackpool has the highest average LSOA score of all districts (technical report, table 3.2).
    expect(rows[0]!.slice(0, 2)).toEqual(['Blackpool', 'E06000009']);
    expect(rows[0]![3]).toBe('1');
    expect(page.body).toContain('English Indices of Deprivation 2019');
  });

  it('filters to the most deprived 10% and 1%, and to a range of deciles, counting exactly', async () => {
    // Decile of a district = ⌈10 × rank / 317⌉: ranks 1–31 are decile 1; ⌊317 / 100⌋ = 3 districts are the 1%.
    expect(bodyRows((await get('/areas?filter=decile1')).body)).toHaveLength(31);
    expect(bodyRows((await get('/areas?filter=top1pct')).body)).toHaveLength(3);
    const range = bodyRows((await get('/areas?filter=range&from=9&to=10')).body);
    expect(range.every((r) => ['9', '10'].includes(r[4]!))).toBe(true);
    const expected = Array.from({ length: 317 }, (_, i) => Math.ceil((10 * (i + 1)) / 317)).filter((d) => d >= 9).length;
    expect(range).toHaveLength(expected);
  });

  it('sorts by name and population both ways, and says which column is sorted', async () => {
    const byName = await get('/areas?sort=name');
    expect(bodyRows(byName.body)[0]![0]).toBe('Adur');
    expect(byName.body).toMatch(/aria-sort="ascending"><a class="govuk-link" href="\/areas\?sort=name&amp;dir=desc">Name/);
    const bigFirst = bodyRows((await get('/areas?sort=population&dir=desc')).body);
    expect(bigFirst[0]![0]).toBe('Birmingham');
  });

  it('downloads the table shown as CSV, with the same filter', async () => {
    const csv = await get('/areas?filter=decile1&format=csv');
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.headers['content-disposition']).toBe('attachment; filename="iod2019-imd-districts.csv"');
    const records = parse(csv.body, { columns: true }) as Record<string, string>[];
    expect(records).toHaveLength(31);
    expect(records[0]).toMatchObject({ code: 'E06000009', name: 'Blackpool', edition: 'iod2019', index: 'imd', rankOfAverageScore: '1', outOf: '317', decile: '1' });
  });

  it('profiles a district against the published figures, with its wards and a chart with its data', async () => {
    const page = await get('/areas/E08000035?edition=iod2019');
    expect(page.statusCode).toBe(200);
    const [facts] = await queryRows<{ lsoas: number; d1: number }>(
      database.db,
      sql`select count(*)::int as lsoas, count(*) filter (where v.decile = 1)::int as d1 from area_lookups l
          join indicator_values v on v.indicator_id = 'iod2019.imd' and v.code = l.from_code
          where l.from_vintage = 'lsoa11' and l.to_vintage = 'lad19' and l.to_code = 'E08000035'`,
    );
    expect(page.body).toMatch(new RegExp(`LSOAs\\s*</dt>\\s*<dd class="govuk-summary-list__value">\\s*${facts!.lsoas}\\s*</dd>`));
    expect(page.body).toMatch(new RegExp(`In the most deprived 10% of LSOAs nationally[\\s\\S]*?${facts!.d1} \\(`));
    expect(page.body).toMatch(/<svg class="pw-chart"[^>]*role="img"[^>]*aria-labelledby="deciles-title deciles-desc"/);
    expect(page.body).toContain(`decile 1: ${facts!.d1} (`);
    const wards = bodyRows(page.body);
    expect(wards).toHaveLength(33);
    // Every LSOA counted once across the wards.
    expect(wards.reduce((n, r) => n + Number(r[5]!.split(' of ')[1]!.replace(/,/g, '')), 0)).toBe(facts!.lsoas);
    // The district's LSOAs instead of its wards.
    expect(bodyRows((await get('/areas/E08000035?edition=iod2019&show=lsoas')).body)).toHaveLength(facts!.lsoas);
  });

  it('profiles a ward and an LSOA with their parents, and change across editions', async () => {
    const [lsoa] = await queryRows<{ code: string; ward: string; rank: number; decile: number }>(
      database.db,
      sql`select v.code, l.to_code as ward, v.rank, v.decile from indicator_values v
          join area_lookups l on l.from_vintage = 'lsoa11' and l.from_code = v.code and l.to_vintage = 'ward19'
          join area_lookups d on d.from_vintage = 'lsoa11' and d.from_code = v.code and d.to_vintage = 'lad19' and d.to_code = 'E08000035'
          where v.indicator_id = 'iod2019.imd' order by v.rank limit 1`,
    );
    const ward = await get(`/areas/${lsoa!.ward}?edition=iod2019`);
    expect(ward.statusCode).toBe(200);
    expect(ward.body).toContain('href="/areas/E08000035?edition=iod2019"'); // breadcrumb to Leeds
    expect(bodyRows(ward.body).some((r) => r[1] === lsoa!.code)).toBe(true);
    const page = await get(`/areas/${lsoa!.code}?edition=iod2019`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(`rank ${lsoa!.rank.toLocaleString('en-GB')} of 32,844, decile ${lsoa!.decile}`);
    expect(page.body).toContain('English Indices of Deprivation 2015</a>');
    expect(page.body).toContain('Ranks are relative');
  });

  it('shows change since another edition: each row’s decile then and how far it moved, in the page and the CSV', async () => {
    const then = new Map(bodyRows((await get('/areas?edition=iod2015')).body).map((r) => [r[1]!, r[4]!]));
    const page = await get('/areas?since=iod2015');
    expect(page.body).toContain('Decile in English Indices of Deprivation 2015');
    const rows = bodyRows(page.body);
    expect(rows).toHaveLength(317);
    for (const r of rows) {
      if (!then.has(r[1]!)) {
        expect(r[8]).toMatch(/boundaries changed/);
        continue;
      }
      expect(r[7]).toBe(then.get(r[1]!));
      const moved = Number(r[4]) - Number(then.get(r[1]!));
      expect(r[8]).toBe(moved === 0 ? 'same decile' : `${moved > 0 ? 'up' : 'down'} ${Math.abs(moved)} decile${Math.abs(moved) === 1 ? '' : 's'} (${moved > 0 ? 'less' : 'more'} deprived)`);
    }
    expect(rows.some((r) => r[8]!.startsWith('up')) && rows.some((r) => r[8]!.startsWith('down'))).toBe(true);
    const csv = parse((await get('/areas?since=iod2015&format=csv')).body, { columns: true }) as Record<string, string>[];
    expect(csv[0]).toMatchObject({ comparedWith: 'iod2015', decileThen: then.get(csv[0]!.code!) });

    // LSOAs of a ward: the same 2011 LSOAs in both editions, so each has its own decile then.
    const [ward] = await queryRows<{ code: string }>(database.db, sql`select to_code as code from area_lookups where from_vintage = 'lsoa11' and to_vintage = 'ward19' and from_code like 'E01011%' limit 1`);
    const lsoas = bodyRows((await get(`/areas/${ward!.code}?since=iod2015`)).body);
    const decilesThen = new Map((await queryRows<{ code: string; decile: number }>(database.db, sql`select code, decile from indicator_values where indicator_id = 'iod2015.imd' and code in (${sql.join(lsoas.map((r) => sql`${r[1]!}`), sql`, `)})`)).map((r) => [r.code, String(r.decile)]));
    expect(lsoas.every((r) => r[5] === decilesThen.get(r[1]!))).toBe(true);
    // The form's "no comparison" and "no local data" options send empty values: the same as none.
    expect(bodyRows((await get('/areas?filter=decile1&since=&local=')).body)).toHaveLength(31);
    const unknown = await get('/areas?since=iod1999');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.body).toContain('No edition &quot;iod1999&quot; is loaded');
  });

  it('downloads a profile as an A4 PDF, titled and tagged in English, with the figures', async () => {
    const pdf = await get('/areas/E08000035/profile.pdf?edition=iod2019');
    expect(pdf.statusCode).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect(pdf.headers['content-disposition']).toBe('attachment; filename="E08000035-iod2019-imd.pdf"');
    const raw = pdf.rawPayload.toString('latin1');
    expect(raw.startsWith('%PDF-1.7')).toBe(true);
    expect(raw).toContain('<rdf:li xml:lang="x-default">Leeds: Index of Multiple Deprivation, English Indices of Deprivation 2019</rdf:li>');
    expect(raw).toMatch(/\/Lang \(en-GB\)/);
    expect(raw).toMatch(/\/MarkInfo \d+ 0 R/); // tagged
    expect(raw).toMatch(/\/MediaBox \[0 0 595\.28 841\.89\]/); // A4
    expect((await get('/areas/E08000099/profile.pdf')).statusCode).toBe(404);
  });

  it('refuses nonsense clearly, and says when an area or edition is not there', async () => {
    const bad = await get('/areas?filter=everything');
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Choose which areas to show');
    const badDecile = await get('/areas?filter=range&from=0');
    expect(badDecile.statusCode).toBe(400);
    expect(badDecile.body).toContain('The first decile must be from 1 to 10');
    expect((await get('/areas/E0800003')).statusCode).toBe(400);
    const missing = await get('/areas/E08000099');
    expect(missing.statusCode).toBe(404);
    expect(missing.body).toContain('is not an area of English Indices of Deprivation 2019');
    expect((await get('/areas?edition=iod1999')).statusCode).toBe(404);
  });
});
