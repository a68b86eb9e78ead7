import { and, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { auditEvents } from '../../platform/audit/schema.ts';
import { Client, emailOf, useSeededApp } from '../../../tests/support/app.ts';
import { engines } from '../../../tests/support/engines.ts';
import { proxiesForPartnership } from './proxies.ts';
import { sroiModels, sroiOutcomes, sroiProxies } from './schema.ts';
import { seedImpact, type ImpactFixture } from './testing.ts';

/*
 * Sample data: test-org's library of financial proxies, built through the pages; other-org keeps one proxy of its
 * own ("Other organisation’s proxy"), which test-org's people must neither see nor change. Values are invented.
 */
describe.each(engines)('an organisation’s library of financial proxies on %s', (engine) => {
  const h = useSeededApp(engine);
  let f: ImpactFixture;
  const ids = { proxy: '', foreign: '' };
  const base = '/organisations/test-org/sroi-proxies';
  const thisYear = new Date().getFullYear();

  beforeAll(async () => {
    f = await seedImpact(h.database, h.seed);
    const [p] = await h.database.db
      .insert(sroiProxies)
      .values({ organisationId: f.otherOrganisationId, name: 'Other organisation’s proxy', value: 99, unit: 'per person per year', source: 'Their own study (sample data)' })
      .returning({ id: sroiProxies.id });
    ids.foreign = p!.id;
  });

  const signedIn = async (email: string) => {
    const client = new Client(h.app);
    expect((await client.signIn(email)).statusCode).toBe(303);
    return client;
  };
  const ours = async () => h.database.db.select().from(sroiProxies).where(eq(sroiProxies.organisationId, h.seed.organisationId));
  const good = { name: 'Improved wellbeing from volunteering (sample data)', value: '£3,249.50', unit: 'per person per year', source: 'Invented for testing, 2024', sourceUrl: 'https://example.org/values', priceYear: '2023' };

  it('explains the library and says Patchwork supplies no values', async () => {
    const viewer = await signedIn(emailOf('viewer'));
    const page = await viewer.get(base);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('A financial proxy is an estimate of what an outcome is worth');
    expect(page.body).toContain('Patchwork supplies no values');
    expect(page.body).toContain('No financial proxies have been added yet.');
    expect(page.body).not.toContain('Add a financial proxy');
    expect(page.body).toContain('href="/organisations/test-org"');
  });

  it('refuses bad input with specific messages and writes nothing', async () => {
    const member = await signedIn(emailOf('member'));
    const form = await member.get(`${base}/new`);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('value="per person per year"');
    const cases: [Record<string, string>, string][] = [
      [{ ...good, name: '' }, 'Enter what the proxy values'],
      [{ ...good, value: '' }, 'Enter the value in pounds'],
      [{ ...good, value: 'lots' }, 'Enter the value as a number of pounds, like 42.5'],
      [{ ...good, value: '-5' }, 'The value must be £0 or more'],
      [{ ...good, unit: '' }, 'Enter what one unit is'],
      [{ ...good, source: ' ' }, 'Enter where the value comes from'],
      [{ ...good, sourceUrl: 'javascript:alert(1)' }, 'Enter the source’s web address starting with https:// or http://'],
      [{ ...good, sourceUrl: 'example.org' }, 'Enter the source’s web address starting with https:// or http://'],
      [{ ...good, priceYear: '1989' }, `The price year must be a year from 1990 to ${thisYear}`],
      [{ ...good, priceYear: String(thisYear + 1) }, `The price year must be a year from 1990 to ${thisYear}`],
      [{ ...good, priceYear: '2020.5' }, `The price year must be a year from 1990 to ${thisYear}`],
    ];
    for (const [body, message] of cases) {
      const response = await member.post(`${base}/new`, body);
      expect(response.statusCode, message).toBe(400);
      expect(response.body).toContain(message);
      expect(response.body).toContain('govuk-error-summary');
    }
    expect(await ours()).toHaveLength(0);
  });

  it('adds, lists, edits and downloads proxies, audited', async () => {
    const member = await signedIn(emailOf('member'));
    await member.get(`${base}/new`);
    const added = await member.post(`${base}/new`, good);
    expect(added.statusCode).toBe(303);
    expect(added.headers.location).toBe(base);
    const [row] = await ours();
    expect(row).toMatchObject({ name: good.name, value: 3249.5, unit: 'per person per year', source: 'Invented for testing, 2024', sourceUrl: 'https://example.org/values', priceYear: 2023, createdBy: h.seed.userIds.member });
    ids.proxy = row!.id;
    const [audit] = await h.database.db.select().from(auditEvents).where(and(eq(auditEvents.action, 'impact.proxy.created'), eq(auditEvents.objectId, ids.proxy)));
    expect(audit!.organisationId).toBe(h.seed.organisationId);
    // A formula typed as a name must not run in a spreadsheet, and the value has no price year.
    expect((await member.post(`${base}/new`, { ...good, name: '=HYPERLINK("http://evil.example")', value: '12', sourceUrl: '', priceYear: '' })).statusCode).toBe(303);

    const list = await member.get(base);
    expect(list.body).toContain('Financial proxy “=HYPERLINK');
    expect(list.body).toContain('2 financial proxies');
    expect(list.body).toContain('£3,250');
    expect(list.body).toContain('£12.00');
    expect(list.body).toContain('<a class="govuk-link" rel="noopener noreferrer" href="https://example.org/values">Invented for testing, 2024</a>');
    expect(list.body).toContain('Not given');
    expect(list.body).not.toContain('Other organisation’s proxy');

    const csv = await member.get(`${base}.csv`);
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    const lines = csv.body.replace(/^\uFEFF/, '').trim().split('\r\n');
    expect(lines[0]).toBe('name,value_pounds,unit,source,source_url,price_year');
    expect(lines).toContain(`"'=HYPERLINK(""http://evil.example"")",12,per person per year,"Invented for testing, 2024",,`);
    expect(lines).toContain('Improved wellbeing from volunteering (sample data),3249.5,per person per year,"Invented for testing, 2024",https://example.org/values,2023');

    const edit = await member.get(`${base}/${ids.proxy}/edit`);
    expect(edit.statusCode).toBe(200);
    expect(edit.body).toContain('value="3249.5"');
    const bad = await member.post(`${base}/${ids.proxy}/edit`, { ...good, value: '1,2,3' });
    expect(bad.statusCode).toBe(400);
    expect((await ours()).find((p) => p.id === ids.proxy)!.value).toBe(3249.5);
    const saved = await member.post(`${base}/${ids.proxy}/edit`, { ...good, value: '3300', priceYear: '2024' });
    expect(saved.statusCode).toBe(303);
    expect((await ours()).find((p) => p.id === ids.proxy)).toMatchObject({ value: 3300, priceYear: 2024 });
    expect(await h.database.db.select().from(auditEvents).where(and(eq(auditEvents.action, 'impact.proxy.updated'), eq(auditEvents.objectId, ids.proxy)))).toHaveLength(1);
    // The partnership's models see the library of every organisation taking part.
    expect((await proxiesForPartnership(h.database.db, f.partnershipId)).map((p) => p.value).sort()).toEqual([12, 3300]);
  });

  it('deletes a proxy after asking; a model that copied it keeps the value', async () => {
    const db = h.database.db;
    const [model] = await db.insert(sroiModels).values({ partnershipId: f.partnershipId, title: 'Sample model', period: '2025 to 2026' }).returning({ id: sroiModels.id });
    await db.insert(sroiOutcomes).values({
      modelId: model!.id,
      description: 'Volunteers feel better (sample data)',
      stakeholder: 'Volunteers',
      quantity: 10,
      quantitySource: 'Register',
      proxyId: ids.proxy,
      proxyValue: 3300,
      proxySource: 'Invented for testing, 2024',
      durationYears: 1,
      deadweight: 10,
      deadweightSource: 'Guess',
      displacement: 0,
      displacementSource: 'Guess',
      attribution: 20,
      attributionSource: 'Guess',
      dropOff: 0,
      dropOffSource: 'Guess',
    });
    const member = await signedIn(emailOf('member'));
    const confirm = await member.get(`${base}/${ids.proxy}/delete`);
    expect(confirm.statusCode).toBe(200);
    expect(confirm.body).toContain('SROI models have used it 1 time: they keep the value and source they copied.');
    const response = await member.post(`${base}/${ids.proxy}/delete`);
    expect(response.statusCode).toBe(303);
    expect((await ours()).map((p) => p.id)).not.toContain(ids.proxy);
    const [kept] = await db.select().from(sroiOutcomes).where(eq(sroiOutcomes.modelId, model!.id));
    expect(kept).toMatchObject({ proxyId: null, proxyValue: 3300, proxySource: 'Invented for testing, 2024' });
    expect(await db.select().from(auditEvents).where(and(eq(auditEvents.action, 'impact.proxy.deleted'), eq(auditEvents.objectId, ids.proxy)))).toHaveLength(1);
    expect((await member.get(`${base}/${ids.proxy}/edit`)).statusCode).toBe(404);
  });

  it('keeps each organisation’s library to its own people', async () => {
    const member = await signedIn(emailOf('member'));
    // Another organisation's proxy through this organisation's address: not found.
    expect((await member.get(`${base}/${ids.foreign}/edit`)).statusCode).toBe(404);
    expect((await member.post(`${base}/${ids.foreign}/edit`, good)).statusCode).toBe(404);
    expect((await member.post(`${base}/${ids.foreign}/delete`)).statusCode).toBe(404);
    expect((await member.get(`${base}/not-an-id/edit`)).statusCode).toBe(404);
    // The other organisation's library: forbidden.
    expect((await member.get('/organisations/other-org/sroi-proxies')).statusCode).toBe(403);
    expect((await member.get('/organisations/other-org/sroi-proxies.csv')).statusCode).toBe(403);
    expect((await member.post(`/organisations/other-org/sroi-proxies/${ids.foreign}/delete`)).statusCode).toBe(403);
    const elsewhere = await signedIn('elsewhere@example.org');
    expect((await elsewhere.get(base)).statusCode).toBe(403);
    expect((await elsewhere.get(`${base}.csv`)).statusCode).toBe(403);
    expect((await elsewhere.post(`${base}/new`, good)).statusCode).toBe(403);
    // Viewers read but do not change.
    const viewer = await signedIn(emailOf('viewer'));
    expect((await viewer.get(`${base}/new`)).statusCode).toBe(403);
    expect((await viewer.post(`${base}/new`, good)).statusCode).toBe(403);
    expect((await h.database.db.select().from(sroiProxies).where(eq(sroiProxies.id, ids.foreign)))[0]!.value).toBe(99);
    const anonymous = await new Client(h.app).get(base);
    expect(anonymous.statusCode).toBe(302);
    expect(anonymous.headers.location).toContain("/sign-in");
  });
});
