import { parse } from 'csv-parse/sync';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../platform/db/database.ts';
import { createTestDatabase, engines, type TestDatabase } from '../../../tests/support/engines.ts';
import { Client, emailOf, seedPeople, startTestApp } from '../../../tests/support/app.ts';
import { loadBundledSteps } from '../../../tests/support/data.ts';
import { sampleIndexForm } from '../../../tests/support/samples.ts';

type Area = { code: string; name: string; rank: number | null; index: number | null; dimensions: Record<string, number | null>; components: Record<string, number | null>; missing: string[] };
type Input = { source: string; label: string; component: string; dimension: string; direction: string; weight: number; transform: string; cap: number | null; best: number | null; worst: number | null; reference: { best: number; worst: number } | null };
type Detail = {
  id: string;
  name: string;
  owner: { slug: string; name: string };
  edition: string;
  level: string;
  ladCodes: string[];
  sharing: string;
  dimensions: string[];
  components: { name: string; dimension: string }[];
  inputs: Input[];
  problems: string[];
  areaCount: number;
  scoredCount: number;
  areas: Area[];
};

describe.each(engines)('composite index API on %s', (engine) => {
  let database: TestDatabase;
  let app: FastifyInstance;
  const clients = {} as Record<'anonymous' | 'outsider' | 'member' | 'siteAdmin', Client>;
  let wardCount: number;
  let localId: string;
  const urls = {} as Record<'open' | 'private' | 'gap', string>;

  const form = { ...sampleIndexForm, description: 'Two domains, one dimension each', weight1: '2' };

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    await seedPeople(database);
    await loadBundledSteps(database.db, ['lookup.lsoa11-ward19-lad19', 'population.iod2019', 'population.mid2020', 'edition.iod2019']);
    app = await startTestApp(database, { SIGN_IN_RATE_LIMIT: '1000' });
    clients.anonymous = new Client(app);
    for (const [key, email] of [['outsider', emailOf('outsider')], ['member', emailOf('member')], ['siteAdmin', emailOf('site-admin')]] as const) {
      clients[key] = new Client(app);
      expect((await clients[key].signIn(email)).statusCode).toBe(303);
    }
    const [wards] = await queryRows<{ n: number }>(
      database.db,
      sql`select count(distinct w.to_code)::int as n from area_lookups d join area_lookups w on w.from_vintage = d.from_vintage and w.from_code = d.from_code and w.to_vintage = 'ward19'
          where d.from_vintage = 'lsoa11' and d.to_vintage = 'lad19' and d.to_code in ('E08000035', 'E08000032')`,
    );
    wardCount = wards!.n;

    // Public local data for every LSOA of Leeds only: Bradford's wards lack it. (A public index may use only
    // public inputs: its scores would reveal them.)
    const leeds = await queryRows<{ code: string }>(database.db, sql`select from_code as code from area_lookups where from_vintage = 'lsoa11' and to_vintage = 'lad19' and to_code = 'E08000035'`);
    const upload = await clients.member.postFile(
      '/organisations/test-org/indicators',
      { label: 'Green space visits', unit: 'visits', period: '2025', direction: 'higher-is-better', aggregation: 'sum', vintage: 'lsoa11', source: 'Parks team', licence: 'internal use', sharing: 'public' },
      { field: 'file', filename: 'green.csv', content: `code,value\n${leeds.map((l, i) => `${l.code},${i % 5}`).join('\n')}\n` },
    );
    expect(upload.statusCode).toBe(303);
    localId = /\/indicators\/(local\.[0-9a-f-]+)/.exec(String(upload.headers.location))![1]!;

    const build = async (changes: Record<string, string>) => {
      const response = await clients.member.post('/organisations/test-org/composite-indexes', { ...form, ...changes });
      expect(response.statusCode).toBe(303);
      return String(response.headers.location).replace('/composite-indexes/', '/api/v1/composite-indexes/');
    };
    urls.open = await build({});
    urls.private = await build({ name: 'Private', sharing: 'organisation' });
    // Public, using the local data and IoD2019 health (ranks, no scores: a gap).
    urls.gap = await build({
      name: 'With gaps',
      source2: localId,
      component2: 'Green space',
      dimension2: 'Foundations of Wellbeing',
      direction2: 'higher-is-better',
      weight2: '1',
      transform2: 'none',
      source3: 'iod2019.health',
      component3: 'Health',
      dimension3: 'Foundations of Wellbeing',
      direction3: 'higher-is-worse',
      weight3: '1',
      transform3: 'none',
    });
  });
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('lists the indexes each caller may see, as the page does', async () => {
    const names = async (client: Client) => {
      const response = await client.get('/api/v1/composite-indexes');
      expect(response.statusCode).toBe(200);
      return (response.json() as { indexes: { name: string }[] }).indexes.map((i) => i.name).sort();
    };
    expect(await names(clients.anonymous)).toEqual(['Leeds and Bradford wellbeing', 'With gaps']);
    expect(await names(clients.outsider)).toEqual(['Leeds and Bradford wellbeing', 'With gaps']);
    expect(await names(clients.member)).toEqual(['Leeds and Bradford wellbeing', 'Private', 'With gaps']);
    expect(await names(clients.siteAdmin)).toEqual(['Leeds and Bradford wellbeing', 'Private', 'With gaps']);
    const { indexes } = (await clients.anonymous.get('/api/v1/composite-indexes')).json() as { indexes: Record<string, unknown>[] };
    expect(indexes.find((i) => i.name === 'Leeds and Bradford wellbeing')).toEqual({
      id: urls.open.split('/').pop(),
      name: 'Leeds and Bradford wellbeing',
      description: 'Two domains, one dimension each',
      owner: { slug: 'test-org', name: 'Test Organisation' },
      edition: 'iod2019',
      level: 'ward',
      ladCodes: ['E08000035', 'E08000032'],
      sharing: 'public',
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    const csv = await clients.member.get('/api/v1/composite-indexes', { accept: 'text/csv' });
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.body.split('\n')[0]).toBe('id,name,description,ownerSlug,ownerName,edition,level,ladCodes,sharing,createdAt');
    const rows = parse(csv.body, { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(3);
    expect(rows.find((r) => r.name === 'Private')).toMatchObject({ sharing: 'organisation', ladCodes: 'E08000035 E08000032', ownerSlug: 'test-org' });
  });

  it('gives an index’s definition and every ward’s scores, ranked', async () => {
    const response = await clients.anonymous.get(urls.open);
    expect(response.statusCode).toBe(200);
    const body = response.json() as Detail;
    expect(body).toMatchObject({ name: form.name, edition: 'iod2019', level: 'ward', ladCodes: ['E08000035', 'E08000032'], sharing: 'public', problems: [] });
    expect(body.dimensions).toEqual(['Basic Human Needs', 'Opportunity']);
    expect(body.components).toEqual([
      { name: 'Material wellbeing', dimension: 'Basic Human Needs' },
      { name: 'Work', dimension: 'Opportunity' },
    ]);
    expect(body.inputs).toHaveLength(2);
    expect(body.inputs[0]).toMatchObject({ source: 'iod2019.income', label: 'Income score (English Indices of Deprivation 2019)', component: 'Material wellbeing', dimension: 'Basic Human Needs', direction: 'higher-is-worse', weight: 1, transform: 'none', cap: null, best: null, worst: null });
    expect(body.inputs[1]).toMatchObject({ source: 'iod2019.employment', weight: 2 });
    // Observed references: higher is worse, so the best is the lowest ward score.
    const incomes = await queryRows<{ v: number }>(
      database.db,
      sql`select average_score as v from area_summaries where indicator_id = 'iod2019.income' and vintage = 'ward19' and code in (${sql.join(body.areas.map((a) => sql`${a.code}`), sql`, `)})`,
    );
    expect(body.inputs[0]!.reference!.best).toBeCloseTo(Math.min(...incomes.map((i) => Number(i.v))), 9);
    expect(body.inputs[0]!.reference!.worst).toBeCloseTo(Math.max(...incomes.map((i) => Number(i.v))), 9);

    expect(body.areaCount).toBe(wardCount);
    expect(body.scoredCount).toBe(wardCount);
    expect(body.areas).toHaveLength(wardCount);
    expect(body.areas[0]!.rank).toBe(1);
    expect(body.areas.map((a) => a.rank)).toEqual([...body.areas.map((a) => a.rank)].sort((a, b) => a! - b!));
    const top = body.areas[0]!;
    expect(Object.keys(top.dimensions)).toEqual(['Basic Human Needs', 'Opportunity']);
    expect(Object.keys(top.components)).toEqual(['Material wellbeing', 'Work']);
    // One component per dimension: the index is the mean of the two.
    expect(top.index).toBeCloseTo((top.dimensions['Basic Human Needs']! + top.dimensions.Opportunity!) / 2, 9);
    expect(top.missing).toEqual([]);
  });

  it('gives the results as CSV, the same as the page’s download', async () => {
    const csv = await clients.anonymous.get(`${urls.open}?format=csv`);
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.body.split('\n')[0]).toBe('code,name,rank,index,Basic Human Needs,Opportunity,component: Material wellbeing,component: Work,missing');
    expect(parse(csv.body, { columns: true })).toHaveLength(wardCount);
    expect((await clients.anonymous.get(urls.open, { accept: 'text/csv' })).body).toBe(csv.body);
    expect((await clients.anonymous.get(`${urls.open.replace('/api/v1', '')}?format=csv`)).body).toBe(csv.body);
  });

  it('reports missing inputs and unscorable ones, naming each', async () => {
    const anonymous = (await clients.anonymous.get(urls.gap)).json() as Detail;
    const health = anonymous.inputs.find((i) => i.source === 'iod2019.health')!;
    expect(health.reference).toBeNull();
    expect(anonymous.problems).toEqual(['iod2019.health: no area has a value, so it cannot be scored']);
    // Every ward misses health, so none is scored, and none is given 0.
    expect(anonymous.scoredCount).toBe(0);
    expect(anonymous.areas.every((a) => a.rank === null && a.index === null && a.missing.includes('iod2019.health'))).toBe(true);
    // Bradford's wards have no green space data; Leeds' do.
    const bradford = anonymous.areas.filter((a) => a.missing.includes(localId));
    expect(bradford.length).toBeGreaterThan(0);
    expect(bradford.length).toBeLessThan(wardCount);
    expect(bradford.every((a) => a.components['Green space'] === null)).toBe(true);
    expect(anonymous.areas.some((a) => a.components['Green space'] !== null)).toBe(true);

    expect(anonymous.inputs.find((i) => i.source === localId)!.label).toBe('Green space visits, 2025 (local data: Test Organisation)');

    const csv = parse((await clients.anonymous.get(`${urls.gap}?format=csv`)).body, { columns: true }) as Record<string, string>[];
    expect(csv).toHaveLength(wardCount);
    // The CSV names missing inputs as the page does.
    expect(csv.every((r) => r.rank === '' && r.missing!.includes(health.label))).toBe(true);
    expect(csv.some((r) => r.missing!.includes('Green space visits, 2025'))).toBe(true);
  });

  it('answers the same 404 problem for an index not shared and one that does not exist', async () => {
    const status = async (client: Client) => (await client.get(urls.private)).statusCode;
    expect([await status(clients.anonymous), await status(clients.outsider), await status(clients.member), await status(clients.siteAdmin)]).toEqual([404, 404, 200, 200]);
    const hidden = await clients.outsider.get(urls.private);
    const missing = await clients.outsider.get('/api/v1/composite-indexes/00000000-0000-4000-8000-000000000000');
    for (const r of [hidden, missing]) {
      expect(r.statusCode).toBe(404);
      expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(r.json()).toMatchObject({ status: 404, title: 'Composite index not found' });
    }
    expect((await clients.outsider.get(`${urls.private}?format=csv`)).statusCode).toBe(404);
    const bad = await clients.anonymous.get('/api/v1/composite-indexes/not-a-uuid');
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('is described in the OpenAPI document', async () => {
    const doc = (await clients.anonymous.get('/api/v1/openapi.json')).json() as { paths: Record<string, { get?: { tags?: string[]; responses: Record<string, unknown> } }> };
    for (const path of ['/api/v1/composite-indexes', '/api/v1/composite-indexes/{indexId}']) {
      expect(doc.paths[path]?.get?.tags).toEqual(['composite indexes']);
      expect(Object.keys(doc.paths[path]!.get!.responses)).toContain('200');
    }
    expect(Object.keys(doc.paths['/api/v1/composite-indexes/{indexId}']!.get!.responses)).toContain('404');
  });
});
