import { parse } from 'csv-parse/sync';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../platform/auth/passwords.ts';
import { memberships, organisations, users } from '../../platform/auth/schema.ts';
import { queryRows } from '../../platform/db/database.ts';
import { createTestDatabase, engines, type TestDatabase } from '../../../tests/support/engines.ts';
import { Client, emailOf, seedPeople, startTestApp, testPassword } from '../../../tests/support/app.ts';
import { loadBundledSteps } from '../../../tests/support/data.ts';
import { sampleIndicatorMeta } from '../../../tests/support/samples.ts';

const meta = sampleIndicatorMeta;

type Indicator = { id: string; label: string; sharing: string; owner: { slug: string; name: string } | null; [k: string]: unknown };

describe.each(engines)('local data API on %s', (engine) => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let leedsLsoas: string[];
  const clients = {} as Record<'anonymous' | 'outsider' | 'partner' | 'member' | 'siteAdmin', Client>;
  const ids = {} as Record<'open' | 'partners' | 'own', string>;

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    await seedPeople(database);
    await loadBundledSteps(database.db, ['lookup.lsoa11-ward19-lad19', 'population.mid2020', 'population.iod2019', 'edition.iod2019']);
    app = await startTestApp(database, { SIGN_IN_RATE_LIMIT: '1000' });
    leedsLsoas = (
      await queryRows<{ code: string }>(database.db, sql`select from_code as code from area_lookups where from_vintage = 'lsoa11' and to_vintage = 'lad19' and to_code = 'E08000035' order by from_code`)
    ).map((r) => r.code);
    // A partner: someone signed in from another organisation taking part.
    const [other] = await database.db.insert(organisations).values({ slug: 'other-org', name: 'Other Organisation', kind: 'nhs' }).returning();
    const [partner] = await database.db.insert(users).values({ email: 'partner@example.org', name: 'Partner', passwordHash: await hashPassword(testPassword) }).returning();
    await database.db.insert(memberships).values({ userId: partner!.id, organisationId: other!.id, role: 'member' });

    clients.anonymous = new Client(app);
    for (const [key, email] of [['outsider', emailOf('outsider')], ['partner', 'partner@example.org'], ['member', emailOf('member')], ['siteAdmin', emailOf('site-admin')]] as const) {
      clients[key] = new Client(app);
      expect((await clients[key].signIn(email)).statusCode).toBe(303);
    }
    const upload = async (form: Record<string, string>, csv: string) => {
      const response = await clients.member.postFile('/organisations/test-org/indicators', { ...meta, ...form }, { field: 'file', filename: 'data.csv', content: csv });
      expect(response.statusCode).toBe(303);
      return /\/indicators\/(local\.[0-9a-f-]+)/.exec(String(response.headers.location))![1]!;
    };
    // Public, at LSOA level, with two LSOAs left out; the others for a district only.
    ids.open = await upload({}, `code,value\n${leedsLsoas.slice(2).map((c, i) => `${c},${(i % 7) + 0.5}`).join('\n')}\n`);
    ids.partners = await upload({ label: 'Shared with partners', sharing: 'partners', vintage: 'lad19', aggregation: 'sum', unit: 'reports' }, 'code,value\nE08000035,12\nE08000032,7\n');
    ids.own = await upload({ label: 'Shared with organisation', sharing: 'organisation', vintage: 'lad19', aggregation: 'sum', unit: 'reports' }, 'code,value\nE08000035,3\n');
  });
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('lists the indicators each caller may see, by the same rule as the pages, with their description', async () => {
    const seen = async (client: Client) => {
      const response = await client.get('/api/v1/indicators');
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      return (response.json() as { indicators: Indicator[] }).indicators.map((i) => i.id).sort();
    };
    expect(await seen(clients.anonymous)).toEqual([ids.open]);
    expect(await seen(clients.outsider)).toEqual([ids.open]);
    expect(await seen(clients.partner)).toEqual([ids.open, ids.partners].sort());
    expect(await seen(clients.member)).toEqual([ids.open, ids.partners, ids.own].sort());
    expect(await seen(clients.siteAdmin)).toEqual([ids.open, ids.partners, ids.own].sort());

    const { indicators } = (await clients.anonymous.get('/api/v1/indicators')).json() as { indicators: Indicator[] };
    expect(indicators[0]).toEqual({
      id: ids.open,
      label: meta.label,
      description: null,
      unit: meta.unit,
      period: meta.period,
      direction: 'higher-is-worse',
      vintage: 'lsoa11',
      level: 'lsoa',
      geography: 'LSOA (2011)',
      aggregation: 'population-weighted-mean',
      source: meta.source,
      licence: meta.licence,
      sharing: 'public',
      owner: { slug: 'test-org', name: 'Test Organisation' },
      uploadedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });

    // CSV: one row per indicator, owner flattened.
    const csv = await clients.member.get('/api/v1/indicators?format=csv');
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const rows = parse(csv.body, { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(3);
    expect(csv.body.split('\n')[0]).toBe('id,label,description,unit,period,direction,vintage,level,geography,aggregation,source,licence,sharing,uploadedAt,ownerSlug,ownerName');
    expect(rows.find((r) => r.id === ids.own)).toMatchObject({ sharing: 'organisation', ownerSlug: 'test-org', vintage: 'lad19', aggregation: 'sum' });
  });

  it('gives one indicator with its values, or the same 404 problem whether it is missing or not shared', async () => {
    const response = await clients.anonymous.get(`/api/v1/indicators/${ids.open}`);
    expect(response.statusCode).toBe(200);
    const body = response.json() as Indicator & { values: { code: string; name: string; value: number }[] };
    expect(body).toMatchObject({ id: ids.open, label: meta.label, owner: { slug: 'test-org' } });
    expect(body.values).toHaveLength(leedsLsoas.length - 2);
    expect(body.values.map((v) => v.code).sort()).toEqual(leedsLsoas.slice(2));
    // Highest first, with each LSOA's name.
    expect(body.values.map((v) => v.value)).toEqual([...body.values.map((v) => v.value)].sort((a, b) => b - a));
    expect(body.values[0]!.value).toBe(6.5);
    expect(body.values[0]!.name).toMatch(/^Leeds \d{3}[A-Z]$/);

    const status = async (client: Client, id: string) => (await client.get(`/api/v1/indicators/${id}`)).statusCode;
    const statuses = async (client: Client) => [await status(client, ids.open), await status(client, ids.partners), await status(client, ids.own)];
    expect(await statuses(clients.anonymous)).toEqual([200, 404, 404]);
    expect(await statuses(clients.outsider)).toEqual([200, 404, 404]);
    expect(await statuses(clients.partner)).toEqual([200, 200, 404]);
    expect(await statuses(clients.member)).toEqual([200, 200, 200]);
    expect(await statuses(clients.siteAdmin)).toEqual([200, 200, 200]);

    const hidden = await clients.outsider.get(`/api/v1/indicators/${ids.own}`);
    const missing = await clients.outsider.get('/api/v1/indicators/local.00000000-0000-4000-8000-000000000000');
    for (const r of [hidden, missing]) {
      expect(r.statusCode).toBe(404);
      expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(r.json()).toMatchObject({ status: 404, title: 'Indicator not found' });
    }
    // Nothing in the answer tells a hidden indicator from one that does not exist, apart from the id asked for.
    expect(hidden.json().detail.replace(ids.own, 'ID')).toBe(missing.json().detail.replace('local.00000000-0000-4000-8000-000000000000', 'ID'));
    const bad = await clients.anonymous.get('/api/v1/indicators/not-an-id');
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('gives the values as CSV, by ?format=csv or Accept, the same as the page’s download', async () => {
    const byQuery = await clients.anonymous.get(`/api/v1/indicators/${ids.open}?format=csv`);
    const byAccept = await clients.anonymous.get(`/api/v1/indicators/${ids.open}`, { accept: 'text/csv' });
    const page = await clients.anonymous.get(`/indicators/${ids.open}?format=csv`);
    expect(byQuery.statusCode).toBe(200);
    expect(byQuery.headers['content-type']).toMatch(/^text\/csv/);
    expect(byQuery.headers['content-disposition']).toBe(`attachment; filename="${ids.open}.csv"`);
    expect(byQuery.body.split('\n')[0]).toBe('code,name,value,indicator,unit,period');
    expect(parse(byQuery.body, { columns: true })).toHaveLength(leedsLsoas.length - 2);
    expect(byAccept.body).toBe(byQuery.body);
    expect(page.body).toBe(byQuery.body);
    // Not shared: no CSV either.
    expect((await clients.anonymous.get(`/api/v1/indicators/${ids.own}?format=csv`)).statusCode).toBe(404);
  });

  it('gives an area’s local data as its profile shows it: rolled up with coverage, only what is shared', async () => {
    const url = '/api/v1/areas/E08000035/local-data?edition=iod2019';
    const anonymous = (await clients.anonymous.get(url)).json() as { code: string; name: string; type: string; vintage: string; edition: string; localData: { indicator: Indicator; value: number; covered: number; of: number; method: string }[] };
    expect(anonymous).toMatchObject({ code: 'E08000035', name: 'Leeds', type: 'lad', vintage: 'lad19', edition: 'iod2019' });
    expect(anonymous.localData.map((d) => d.indicator.id)).toEqual([ids.open]);
    expect(anonymous.localData[0]).toMatchObject({ covered: leedsLsoas.length - 2, of: leedsLsoas.length, method: 'population-weighted-mean' });
    expect(anonymous.localData[0]!.value).toBeGreaterThan(0.5);
    expect(anonymous.localData[0]!.value).toBeLessThan(6.5);

    const member = (await clients.member.get(url)).json() as typeof anonymous;
    expect(member.localData.map((d) => d.indicator.id).sort()).toEqual([ids.open, ids.partners, ids.own].sort());
    expect(member.localData.find((d) => d.indicator.id === ids.own)).toMatchObject({ value: 3, covered: 1, of: 1, method: 'as uploaded' });

    const csv = await clients.partner.get(`${url}&format=csv`);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const rows = parse(csv.body, { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => r.indicatorId).sort()).toEqual([ids.open, ids.partners].sort());
    expect(rows.find((r) => r.indicatorId === ids.partners)).toMatchObject({ code: 'E08000035', value: '12', method: 'as uploaded' });

    // An LSOA left out of the upload has no value, and says so, rather than 0.
    const lsoa = (await clients.anonymous.get(`/api/v1/areas/${leedsLsoas[0]}/local-data?edition=iod2019`)).json() as typeof anonymous;
    expect(lsoa.localData[0]).toMatchObject({ value: null, covered: 0, of: 1, method: 'as uploaded' });

    const unknown = await clients.anonymous.get('/api/v1/areas/E08999999/local-data?edition=iod2019');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect((await clients.anonymous.get('/api/v1/areas/E08000035/local-data?edition=iod1999')).statusCode).toBe(404);
  });

  it('is described in the OpenAPI document', async () => {
    const doc = (await clients.anonymous.get('/api/v1/openapi.json')).json() as { paths: Record<string, { get?: { tags?: string[]; responses: Record<string, unknown> } }> };
    for (const path of ['/api/v1/indicators', '/api/v1/indicators/{id}', '/api/v1/areas/{code}/local-data']) {
      expect(doc.paths[path]?.get?.tags).toEqual(['local data']);
      expect(Object.keys(doc.paths[path]!.get!.responses)).toContain('200');
    }
    expect(Object.keys(doc.paths['/api/v1/indicators/{id}']!.get!.responses)).toContain('404');
  });
});
