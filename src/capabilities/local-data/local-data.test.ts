import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../platform/auth/passwords.ts';
import { memberships, organisations, users } from '../../platform/auth/schema.ts';
import { queryRows } from '../../platform/db/database.ts';
import { createTestDatabase, engines, type TestDatabase } from '../../../tests/support/engines.ts';
import { Client, emailOf, seedPeople, startTestApp, testPassword } from '../../../tests/support/app.ts';
import { loadBundledSteps } from '../../../tests/support/data.ts';
import { sampleIndicatorMeta } from '../../../tests/support/samples.ts';
import type { FastifyInstance } from 'fastify';
import { parse } from 'csv-parse/sync';

const meta = sampleIndicatorMeta;

describe.each(engines)('local data on %s', (engine) => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let leedsLsoas: { code: string; population: number }[];
  const member = () => {
    const c = new Client(app);
    return c.signIn(emailOf('member')).then(() => c);
  };

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    await seedPeople(database);
    await loadBundledSteps(database.db, ['lookup.lsoa11-ward19-lad19', 'population.mid2020', 'population.iod2019', 'edition.iod2019']);
    app = await startTestApp(database, { SIGN_IN_RATE_LIMIT: '1000' });
    leedsLsoas = await queryRows<{ code: string; population: number }>(
      database.db,
      sql`select l.from_code as code, p.value as population from area_lookups l
          join indicator_values p on p.indicator_id = 'population.mid2020.lsoa11' and p.code = l.from_code
          where l.from_vintage = 'lsoa11' and l.to_vintage = 'lad19' and l.to_code = 'E08000035' order by l.from_code`,
    );
    // A partner: someone in another organisation.
    const [other] = await database.db.insert(organisations).values({ slug: 'other-org', name: 'Other Organisation', kind: 'nhs' }).returning();
    const [partner] = await database.db.insert(users).values({ email: 'partner@example.org', name: 'Partner', passwordHash: await hashPassword(testPassword) }).returning();
    await database.db.insert(memberships).values({ userId: partner!.id, organisationId: other!.id, role: 'member' });
  });
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('uploads a good file and shows it on its page and, rolled up by population, on the district profile', async () => {
    const client = await member();
    const values = leedsLsoas.map((l, i) => ({ code: l.code, value: (i % 7) + 0.5 }));
    // Two LSOAs left out: the roll-up must say so rather than count them as 0.
    const csv = `code,value\n${values.slice(2).map((v) => `${v.code},${v.value}`).join('\n')}\n`;
    const response = await client.postFile('/organisations/test-org/indicators', meta, { field: 'file', filename: 'asb.csv', content: csv });
    expect(response.statusCode).toBe(303);
    const id = /\/indicators\/(local\.[0-9a-f-]+)/.exec(String(response.headers.location))![1]!;
    const page = await client.get(`/indicators/${id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Anti-social behaviour incidents');
    expect(page.body).toContain(`${(values.length - 2).toLocaleString('en-GB')} areas, highest value first`);

    const kept = values.slice(2);
    const weights = new Map(leedsLsoas.map((l) => [l.code, Number(l.population)]));
    const expected = kept.reduce((a, v) => a + v.value * weights.get(v.code)!, 0) / kept.reduce((a, v) => a + weights.get(v.code)!, 0);
    const profile = await app.inject('/areas/E08000035?edition=iod2019');
    expect(profile.body).toContain(`${expected.toLocaleString('en-GB', { minimumFractionDigits: 2, maximumFractionDigits: 2 })} per 1,000 people`);
    expect(profile.body).toContain(`population-weighted average of ${kept.length} of ${leedsLsoas.length} LSOAs (the others have no value)`);

    const csvOut = await app.inject(`/indicators/${id}?format=csv`);
    expect(csvOut.body.split('\n')[0]).toBe('code,name,value,indicator,unit,period');
    const [audit] = await queryRows<{ n: number }>(database.db, sql`select count(*)::int as n from audit_events where action = 'indicator.uploaded' and object_id = ${id}`);
    expect(audit!.n).toBe(1);
  });

  it('sums counts when rolling up', async () => {
    const client = await member();
    const csv = `LSOA11CD,value\n${leedsLsoas.map((l) => `${l.code},2`).join('\n')}\n`;
    const response = await client.postFile('/organisations/test-org/indicators', { ...meta, label: 'Fly-tipping reports', unit: 'reports', aggregation: 'sum' }, { field: 'file', filename: 'fly.csv', content: csv });
    expect(response.statusCode).toBe(303);
    const profile = await app.inject('/areas/E08000035?edition=iod2019');
    expect(profile.body).toContain(`${(2 * leedsLsoas.length).toLocaleString('en-GB')}.00 reports`);
    expect(profile.body).toContain(`sum of ${leedsLsoas.length} of ${leedsLsoas.length} LSOAs`);

    // Beside the index in the drill-down tables: each ward's sum, sortable, and in the CSV.
    const id = /\/indicators\/(local\.[0-9a-f-]+)/.exec(String(response.headers.location))![1]!;
    const wardCounts = await queryRows<{ code: string; n: number }>(
      database.db,
      sql`select w.to_code as code, count(*)::int as n from area_lookups d join area_lookups w on w.from_vintage = d.from_vintage and w.from_code = d.from_code and w.to_vintage = 'ward19'
          where d.from_vintage = 'lsoa11' and d.to_vintage = 'lad19' and d.to_code = 'E08000035' group by w.to_code`,
    );
    const wards = await app.inject(`/areas/E08000035?edition=iod2019&local=${id}&sort=local&dir=desc`);
    expect(wards.statusCode).toBe(200);
    expect(wards.body).toContain('Fly-tipping reports (reports, 2025/26)');
    const biggest = wardCounts.reduce((a, b) => (b.n > a.n ? b : a));
    expect(wards.body).toMatch(new RegExp(`<td class="govuk-table__cell govuk-table__cell--numeric">${(2 * biggest.n).toFixed(2)}<span class="govuk-body-s govuk-!-display-block">sum of ${biggest.n} of ${biggest.n} LSOAs</span>`));
    const table = parse((await app.inject(`/areas/E08000035?edition=iod2019&local=${id}&format=csv`)).body, { columns: true }) as Record<string, string>[];
    expect(table).toHaveLength(wardCounts.length);
    for (const row of table) expect(Number(row['Fly-tipping reports (reports, 2025/26)'])).toBe(2 * wardCounts.find((w) => w.code === row.code)!.n);
    // England's districts: Leeds has the sum of its LSOAs, the others no value.
    const england = await app.inject(`/areas?edition=iod2019&local=${id}&format=csv`);
    const leeds = (parse(england.body, { columns: true }) as Record<string, string>[]).find((r) => r.code === 'E08000035')!;
    expect(Number(leeds['Fly-tipping reports (reports, 2025/26)'])).toBe(2 * leedsLsoas.length);
    expect((await app.inject(`/areas?local=local.00000000-0000-0000-0000-000000000000`)).statusCode).toBe(404);
  });

  it('refuses a bad file, naming every bad row, and saves nothing', async () => {
    const client = await member();
    const before = await queryRows<{ n: number }>(database.db, sql`select count(*)::int as n from indicators where owner_organisation_id is not null`);
    const csv = `code,value\n${leedsLsoas[0]!.code},1.5\nE0100000X,2\n${leedsLsoas[1]!.code},lots\n${leedsLsoas[0]!.code},3\n`;
    const response = await client.postFile('/organisations/test-org/indicators', meta, { field: 'file', filename: 'bad.csv', content: csv });
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('The file was not imported: 3 rows have problems. Nothing has been saved.');
    expect(response.body).toContain('Row 3, column “code”: &quot;E0100000X&quot; is not an LSOA (2011) code');
    expect(response.body).toContain('Row 4, column “value”: &quot;lots&quot; is not a number');
    expect(response.body).toContain('Row 5, column “code”: ' + leedsLsoas[0]!.code + ' appears more than once (first on row 2)');
    // The form keeps what was typed.
    expect(response.body).toContain('value="Anti-social behaviour incidents"');
    const after = await queryRows<{ n: number }>(database.db, sql`select count(*)::int as n from indicators where owner_organisation_id is not null`);
    expect(after).toEqual(before);
  });

  it('reports codes of another geography as such instead of dropping them', async () => {
    const client = await member();
    // Leeds' ward codes (December 2019) given as if they were districts.
    const [ward] = await queryRows<{ code: string }>(database.db, sql`select to_code as code from area_lookups where from_vintage = 'lsoa11' and to_vintage = 'ward19' limit 1`);
    const response = await client.postFile('/organisations/test-org/indicators', { ...meta, vintage: 'lsoa11' }, { field: 'file', filename: 'wards.csv', content: `code,value\n${ward!.code},4\n` });
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain(`&quot;${ward!.code}&quot; is not an LSOA (2011) code`);
    const lad = await client.postFile('/organisations/test-org/indicators', { ...meta, vintage: 'lad19' }, { field: 'file', filename: 'lad.csv', content: `code,value\nE08000035,4\nE06000001,5\n` });
    expect(lad.statusCode).toBe(303);
    const asLsoa = await client.postFile('/organisations/test-org/indicators', { ...meta, vintage: 'lsoa21' }, { field: 'file', filename: 'old.csv', content: `code,value\n${leedsLsoas[0]!.code},1\n` });
    expect(asLsoa.statusCode).toBe(400);
    expect(asLsoa.body).toMatch(/is an LSOA \(2011\) code, not an LSOA \(2021\) code: choose that geography, or convert the file with the ONS lookup/);
  });

  it('shows each indicator only to those it is shared with', async () => {
    const client = await member();
    const upload = async (sharing: string) => {
      const r = await client.postFile('/organisations/test-org/indicators', { ...meta, label: `Shared with ${sharing}`, sharing, vintage: 'lad19' }, { field: 'file', filename: 'x.csv', content: 'code,value\nE08000035,1\n' });
      return String(r.headers.location);
    };
    const [open, partners, own] = [await upload('public'), await upload('partners'), await upload('organisation')];
    const outsider = new Client(app);
    await outsider.signIn(emailOf('outsider'));
    const partner = new Client(app);
    await partner.signIn('partner@example.org');
    const anonymous = new Client(app);
    const status = async (c: Client, url: string) => (await c.get(url)).statusCode;
    expect([await status(anonymous, open), await status(anonymous, partners), await status(anonymous, own)]).toEqual([200, 404, 404]);
    expect([await status(outsider, open), await status(outsider, partners), await status(outsider, own)]).toEqual([200, 404, 404]);
    expect([await status(partner, open), await status(partner, partners), await status(partner, own)]).toEqual([200, 200, 404]);
    expect([await status(client, open), await status(client, partners), await status(client, own)]).toEqual([200, 200, 200]);
    // Lists and profiles follow the same rule.
    const list = (await partner.get('/indicators')).body;
    expect(list).toContain('Shared with partners');
    expect(list).not.toContain('Shared with organisation');
    expect((await anonymous.get('/areas/E08000035?edition=iod2019')).body).not.toContain('Shared with partners');
    expect((await client.get('/areas/E08000035?edition=iod2019')).body).toContain('Shared with organisation');
  });

  it('refuses an upload without a file or with missing details, saying what is missing', async () => {
    const client = await member();
    const response = await client.postFile('/organisations/test-org/indicators', { ...meta, label: '', aggregation: '' }, { field: 'file', filename: '', content: '' });
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('Enter a name for the indicator');
    expect(response.body).toContain('Say whether the values are counts or rates');
    expect(response.body).toContain('Choose a CSV or Excel file to upload');
  });
});
