import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { parse } from 'csv-parse/sync';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../platform/db/database.ts';
import { createTestDatabase, engines, type TestDatabase } from '../../../tests/support/engines.ts';
import { Client, emailOf, seedPeople, startTestApp } from '../../../tests/support/app.ts';
import { loadBundledSteps } from '../../../tests/support/data.ts';
import { sampleIndexForm } from '../../../tests/support/samples.ts';

describe.each(engines)('composite index on %s', (engine) => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let client: Client;

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    await seedPeople(database);
    await loadBundledSteps(database.db, ['lookup.lsoa11-ward19-lad19', 'population.iod2019', 'population.mid2020', 'edition.iod2019']);
    app = await startTestApp(database, { SIGN_IN_RATE_LIMIT: '1000' });
    client = new Client(app);
    await client.signIn(emailOf('member'));
  });
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  const form = sampleIndexForm;

  it('builds an index for every ward of two districts, ranks them, and shows its method and inputs', async () => {
    const response = await client.post('/organisations/test-org/composite-indexes', form);
    expect(response.statusCode).toBe(303);
    const url = String(response.headers.location);
    const page = await app.inject(url);
    expect(page.statusCode).toBe(200);
    const [wards] = await queryRows<{ n: number }>(
      database.db,
      sql`select count(distinct w.to_code)::int as n from area_lookups d join area_lookups w on w.from_vintage = d.from_vintage and w.from_code = d.from_code and w.to_vintage = 'ward19'
          where d.from_vintage = 'lsoa11' and d.to_vintage = 'lad19' and d.to_code in ('E08000035', 'E08000032')`,
    );
    expect(page.body).toContain(`${wards!.n} wards, ${wards!.n} scored`);
    expect(page.body).toContain('Component score = (Σ weight × value');
    expect(page.body).toContain('Income score (English Indices of Deprivation 2019)');

    // The CSV holds every ward; with observed references the best ward scores 100 on each dimension it leads.
    const csv = parse((await app.inject(`${url}?format=csv`)).body, { columns: true }) as Record<string, string>[];
    expect(csv).toHaveLength(wards!.n);
    expect(csv[0]!.rank).toBe('1');
    const scores = csv.map((r) => Number(r.index));
    expect(Math.max(...scores)).toBeLessThanOrEqual(100);
    expect(Math.min(...scores)).toBeGreaterThanOrEqual(0);
    // Worked check for the top ward: income score → 0–100 between the worst and best ward.
    const incomes = await queryRows<{ code: string; v: number }>(
      database.db,
      sql`select code, average_score as v from area_summaries where indicator_id = 'iod2019.income' and vintage = 'ward19' and code in (${sql.join(csv.map((r) => sql`${r.code}`), sql`, `)})`,
    );
    const values = incomes.map((i) => Number(i.v));
    const top = incomes.find((i) => i.code === csv[0]!.code)!;
    const expected = ((Number(top.v) - Math.max(...values)) / (Math.min(...values) - Math.max(...values))) * 100;
    expect(Number(csv[0]!['Basic Human Needs'])).toBeCloseTo(expected, 6);

    // Profiles show the position: a ward its rank, a district how many of its wards are in the lowest fifth.
    const scored = csv.filter((r) => r.rank !== '').length;
    const wardProfile = await client.get(`/areas/${csv[0]!.code}?edition=iod2019`);
    expect(wardProfile.body).toContain(`Rank 1 of ${scored} wards, score ${Number(csv[0]!.index).toFixed(1)}`);
    const lowestFifth = csv.filter((r) => r.rank !== '' && Number(r.rank) > scored - Math.floor(scored / 5));
    const leeds = await client.get('/areas/E08000035?edition=iod2019');
    const leedsWards = lowestFifth.filter((r) => leeds.body.includes(`/areas/${r.code}?`)).length;
    expect(leeds.body).toMatch(new RegExp(`\\d+ of its wards scored; ${leedsWards} in the lowest-scoring fifth of all ${scored}`));
    // The index is the member's organisation's; anonymous visitors see it only because it is public.
    expect((await app.inject(`/areas/${csv[0]!.code}?edition=iod2019`)).body).toContain('Composite indexes');
  });

  // pdftotext (Debian's poppler-utils, installed by .ci/run) reads the PDF as a person would.
  const hasPdftotext = !spawnSync('pdftotext', ['-v']).error;
  it.skipIf(!hasPdftotext && !process.env.CI)('puts the position in the profile PDF too', async () => {
    // The index the first test built is the only one so far.
    const url = /href="(\/composite-indexes\/[0-9a-f-]{36})"/.exec((await client.get('/composite-indexes')).body)![1]!;
    const rows = parse((await client.get(`${url}?format=csv`)).body, { columns: true }) as Record<string, string>[];
    const pdf = await client.get(`/areas/${rows[0]!.code}/profile.pdf?edition=iod2019`);
    const text = spawnSync('pdftotext', ['-layout', '-', '-'], { input: pdf.rawPayload }).stdout.toString();
    expect(text).toContain('Composite indexes');
    expect(text).toMatch(new RegExp(`Leeds and Bradford wellbeing\\s+Rank 1 of ${rows.filter((r) => r.rank !== '').length} wards, score`));
  });

  it('reports an input that has no values instead of scoring it as 0', async () => {
    // IoD2019's health domain has ranks but no scores in the bundled files.
    const response = await client.post('/organisations/test-org/composite-indexes', { ...form, name: 'With a gap', source1: 'iod2019.health' });
    const page = await app.inject(String(response.headers.location));
    expect(page.body).toContain('no area has a value, so it cannot be scored');
    expect(page.body).toMatch(/\d+ wards have no score because an input is missing for them/);
  });

  it('refuses a form with problems, naming each against its field', async () => {
    const response = await client.post('/organisations/test-org/composite-indexes', { ...form, name: '', lads: 'E08000035 E08099999', weight0: '-1', best1: '10', worst1: '20', direction1: 'higher-is-better' });
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('Enter a name for the index');
    expect(response.body).toContain('E08099999 is not a district of English Indices of Deprivation 2019');
    expect(response.body).toContain('The weight of input 1 must be more than 0');
    expect(response.body).toContain('Input 2: the best value must be higher than the worst, as higher is better');
    // What was typed comes back to be corrected, not cleared.
    expect(response.body).toContain('E08000035 E08099999');
  });

  it('may be no more open than its inputs, since its scores would reveal them', async () => {
    const meta = { label: 'Private referrals', unit: 'per 1,000', period: '2025', direction: 'higher-is-worse', aggregation: 'population-weighted-mean', vintage: 'lad19', source: 'Test', licence: 'Internal', sharing: 'organisation' };
    const upload = await client.postFile('/organisations/test-org/indicators', meta, { field: 'file', filename: 'r.csv', content: 'code,value\nE08000035,1\n' });
    const id = /\/indicators\/(local\.[0-9a-f-]+)/.exec(String(upload.headers.location))![1]!;
    const open = await client.post('/organisations/test-org/composite-indexes', { ...form, name: 'Open', source1: id });
    expect(open.statusCode).toBe(400);
    expect(open.body).toContain('Input 2 is shared only with its organisation, so an index shared with anyone cannot use it');
    const closed = await client.post('/organisations/test-org/composite-indexes', { ...form, name: 'Closed', sharing: 'organisation', source1: id });
    expect(closed.statusCode).toBe(303);
  });

  it('recomputes from current data and honours sharing', async () => {
    const response = await client.post('/organisations/test-org/composite-indexes', { ...form, name: 'Private', sharing: 'organisation' });
    const url = String(response.headers.location);
    expect((await app.inject(url)).statusCode).toBe(404);
    expect((await client.get(url)).statusCode).toBe(200);
    const outsider = new Client(app);
    await outsider.signIn(emailOf('outsider'));
    expect((await outsider.get(url)).statusCode).toBe(404);
    expect((await outsider.get('/composite-indexes')).body).not.toContain('Private');
  });
});
