import { and, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../../platform/audit/audit.ts';
import { auditEvents } from '../../platform/audit/schema.ts';
import { Client, emailOf, useSeededApp } from '../../../tests/support/app.ts';
import { engines } from '../../../tests/support/engines.ts';
import { contracts, socialValueCommitments, socialValueDeliveries, socialValueMeasures } from './schema.ts';
import { todayInEngland } from '../../platform/web/dates.ts';
import { addContract, addMeasure, placeChoices } from './social-value.ts';
import { seedCommunityWealth, type WealthFixture } from './testing.ts';
import { financialYearOfDate } from './financial-years.ts';

/*
 * Sample data: test-org's social value measures, a contract and its deliveries, all made through the pages on top of
 * seedCommunityWealth; other-org has a measure and a contract of its own, which test-org's people must not reach.
 */
describe.each(engines)('social value pages on %s', (engine) => {
  const h = useSeededApp(engine);
  let f: WealthFixture;
  const base = '/organisations/test-org/community-wealth/social-value';
  const ids = { otherMeasure: '', otherContract: '', otherCommitment: '', jobs: '', contract: '' };

  beforeAll(async () => {
    f = await seedCommunityWealth(h.database, h.seed);
    ids.otherMeasure = await addMeasure(h.database.db, f.otherOrganisationId, { name: 'Their measure (sample data)', unit: 'things', proxyValue: null, proxySource: null }, cliActor);
    ids.otherContract = await addContract(
      h.database.db,
      f.otherOrganisationId,
      { title: 'Their contract (sample data)', reference: null, supplierId: f.otherSupplierId, startsOn: '2025-04-01', endsOn: '2026-03-31', valuePence: null },
      [{ measureId: ids.otherMeasure, promised: 3, areaVintage: null, areaCode: null }],
      cliActor,
    );
    const [c] = await h.database.db.select().from(socialValueCommitments).where(eq(socialValueCommitments.contractId, ids.otherContract));
    ids.otherCommitment = c!.id;
  });

  const signedIn = async (email: string) => {
    const client = new Client(h.app);
    expect((await client.signIn(email)).statusCode).toBe(303);
    return client;
  };
  const countOf = async () => ({
    measures: (await h.database.db.select().from(socialValueMeasures).where(eq(socialValueMeasures.organisationId, f.organisationId))).length,
    contracts: (await h.database.db.select().from(contracts).where(eq(contracts.organisationId, f.organisationId))).length,
    deliveries: (await h.database.db.select().from(socialValueDeliveries)).length,
  });

  it('lets viewers read, explains social value, and keeps changes to members', async () => {
    const anonymous = new Client(h.app);
    expect((await anonymous.get(base)).statusCode).toBe(302);
    const outsider = await signedIn(emailOf('outsider'));
    expect((await outsider.get(base)).statusCode).toBe(403);
    expect((await outsider.get(`${base}.csv`)).statusCode).toBe(403);

    const viewer = await signedIn(emailOf('viewer'));
    const page = await viewer.get(base);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Public Services (Social Value) Act 2012');
    expect(page.body).toContain('No contracts have been added yet.');
    expect(page.body).not.toContain('Add a measure');
    expect(page.body).not.toContain('Add a contract');
    expect((await viewer.get(`${base}/measures/new`)).statusCode).toBe(403);
    expect((await viewer.get(`${base}/contracts/new`)).statusCode).toBe(403);
    expect((await viewer.post(`${base}/measures/new`, { name: 'x', unit: 'y' })).statusCode).toBe(403);
    expect((await viewer.post(`${base}/contracts/new`, { title: 'x' })).statusCode).toBe(403);

    const member = await signedIn(emailOf('member'));
    const theirs = await member.get(base);
    expect(theirs.body).toContain('Add a measure');
    expect(theirs.body).toContain('Add a contract');
  });

  it('adds a measure through the page, refusing bad input with specific messages', async () => {
    const member = await signedIn(emailOf('member'));
    expect((await member.get(`${base}/measures/new`)).statusCode).toBe(200);
    const good = { name: 'Local jobs (sample data)', unit: 'jobs', proxyValue: '£10,000', proxySource: 'Sample proxy: a year’s wages (sample data)' };
    const before = await countOf();
    const cases: [Record<string, string>, string][] = [
      [{}, 'Enter the name of the measure'],
      [{ ...good, unit: ' ' }, 'Enter what the measure is counted in'],
      [{ ...good, proxyValue: 'lots' }, 'Enter the value as a number of pounds'],
      [{ ...good, proxyValue: '-5' }, 'The value must be £0 or more'],
      [{ ...good, proxySource: '' }, 'Enter where the value comes from'],
    ];
    for (const [form, message] of cases) {
      const response = await member.post(`${base}/measures/new`, form);
      expect(response.statusCode, message).toBe(400);
      expect(response.body).toContain('There is a problem');
      expect(response.body).toContain(message);
    }
    expect(await countOf()).toEqual(before);

    const added = await member.post(`${base}/measures/new`, good);
    expect(added.statusCode).toBe(303);
    expect(added.headers.location).toBe(base);
    expect((await member.post(`${base}/measures/new`, { name: 'Volunteering hours (sample data)', unit: 'hours', proxyValue: '', proxySource: '' })).statusCode).toBe(303);
    const measures = await h.database.db.select().from(socialValueMeasures).where(eq(socialValueMeasures.organisationId, f.organisationId));
    const jobs = measures.find((m) => m.name === 'Local jobs (sample data)')!;
    expect(jobs).toMatchObject({ unit: 'jobs', proxyValue: 10_000, proxySource: 'Sample proxy: a year’s wages (sample data)' });
    expect(measures.find((m) => m.unit === 'hours')).toMatchObject({ proxyValue: null, proxySource: null });
    ids.jobs = jobs.id;
    const page = await member.get(base);
    expect(page.body).toContain('£10,000');
  });

  it('offers the organisation’s own suppliers (no individuals) and places in the contract form', async () => {
    const member = await signedIn(emailOf('member'));
    const form = await member.get(`${base}/contracts/new`);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain(`value="${f.supplierIds['Local Care Ltd']}"`);
    expect(form.body).toContain('Marsh Green Community Association');
    expect(form.body).not.toContain('REDACTED');
    expect(form.body).not.toContain(f.supplierIds.REDACTED);
    expect(form.body).not.toContain('Elsewhere Supplies');
    expect(form.body).toContain('Marsh Green Patch (sample data) (neighbourhood)');
    expect(form.body).toContain('Wigan (district)');
    expect(form.body).toContain(`value="neighbourhood:${f.neighbourhoodId}"`);
    const places = await placeChoices(h.database.db, f.organisationId);
    expect(places.some((p) => p.value.startsWith('ward25:') && p.text.endsWith(' ward'))).toBe(true);
  });

  const goodContract = () => ({
    title: 'Highways maintenance 2025 to 2028 (sample data)',
    reference: 'HW-01',
    supplierId: f.supplierIds['Local Care Ltd']!,
    'startsOn-day': '1',
    'startsOn-month': '4',
    'startsOn-year': '2025',
    'endsOn-day': '31',
    'endsOn-month': '3',
    'endsOn-year': '2028',
    value: '3,000,000',
    'measure-1': ids.jobs,
    'promised-1': '10',
    'where-1': `neighbourhood:${f.neighbourhoodId}`,
  });

  it('refuses a contract that makes no sense, or names what is not the organisation’s, and writes nothing', async () => {
    const member = await signedIn(emailOf('member'));
    await member.get(`${base}/contracts/new`);
    const before = await countOf();
    const cases: [Record<string, string>, string][] = [
      [{}, 'Enter the contract’s title'],
      [{ ...goodContract(), 'endsOn-year': '2024' }, 'The date the contract ends must be the same as or after the date it starts'],
      [{ ...goodContract(), 'startsOn-day': '31', 'startsOn-month': '2' }, 'The date the contract starts must be a real date'],
      [{ ...goodContract(), 'measure-1': ids.otherMeasure }, 'Choose one of the organisation’s measures for promise 1'],
      [{ ...goodContract(), 'measure-1': '00000000-0000-0000-0000-000000000000' }, 'Choose one of the organisation’s measures for promise 1'],
      [{ ...goodContract(), 'promised-1': '-2' }, 'What promise 1 is for must be 0 or more'],
      [{ ...goodContract(), 'promised-1': '' }, 'Enter how much promise 1 is for'],
      [{ ...goodContract(), 'where-1': 'ward25:E05999999' }, 'Choose where promise 1 is to be delivered'],
      [{ ...goodContract(), supplierId: f.otherSupplierId }, 'Choose one of the organisation’s suppliers, or none'],
      [{ ...goodContract(), supplierId: f.supplierIds.REDACTED! }, 'Choose one of the organisation’s suppliers, or none'],
      [{ ...goodContract(), value: '-1' }, 'The contract’s value must be £0 or more'],
    ];
    for (const [form, message] of cases) {
      const response = await member.post(`${base}/contracts/new`, form);
      expect(response.statusCode, message).toBe(400);
      expect(response.body).toContain(message);
    }
    expect(await countOf()).toEqual(before);
  });

  it('adds a contract and records deliveries through the pages', async () => {
    const member = await signedIn(emailOf('member'));
    await member.get(`${base}/contracts/new`);
    const added = await member.post(`${base}/contracts/new`, goodContract());
    expect(added.statusCode).toBe(303);
    const [contract] = await h.database.db.select().from(contracts).where(and(eq(contracts.organisationId, f.organisationId), eq(contracts.reference, 'HW-01')));
    ids.contract = contract!.id;
    expect(added.headers.location).toBe(`${base}/contracts/${contract!.id}`);
    expect(contract).toMatchObject({ startsOn: '2025-04-01', endsOn: '2028-03-31', valuePence: 300_000_000, supplierId: f.supplierIds['Local Care Ltd'] });
    const [commitment] = await h.database.db.select().from(socialValueCommitments).where(eq(socialValueCommitments.contractId, contract!.id));
    expect(commitment).toMatchObject({ measureId: ids.jobs, promised: 10, areaVintage: 'neighbourhood', areaCode: f.neighbourhoodId });

    const page = await member.get(added.headers.location as string);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('£3,000,000');
    expect(page.body).toContain('Nothing has been recorded as delivered yet.');
    const p = `c${commitment!.id.slice(0, 8)}-`;
    const delivery = { commitmentId: commitment!.id, [`${p}deliveredOn-day`]: '30', [`${p}deliveredOn-month`]: '9', [`${p}deliveredOn-year`]: '2025', [`${p}quantity`]: '4', [`${p}evidence`]: 'Payroll records (sample data)' };
    const url = `${base}/contracts/${contract!.id}/deliveries`;
    const before = await countOf();
    const cases: [Record<string, string>, string][] = [
      [{ ...delivery, [`${p}evidence`]: ' ' }, 'Enter what shows it was delivered'],
      [{ ...delivery, [`${p}quantity`]: '-1' }, 'What was delivered must be 0 or more'],
      [{ ...delivery, [`${p}deliveredOn-year`]: '2099' }, 'The date it was delivered must be today or in the past'],
      [{}, 'Record a delivery with the form below the promise it was for'],
    ];
    for (const [form, message] of cases) {
      const response = await member.post(url, form);
      expect(response.statusCode, message).toBe(400);
      expect(response.body).toContain(message);
    }
    expect(await countOf()).toEqual(before);
    // Another organisation's commitment, or one that is not there, through this contract: not found.
    expect((await member.post(url, { ...delivery, commitmentId: ids.otherCommitment })).statusCode).toBe(404);
    expect((await member.post(url, { ...delivery, commitmentId: 'nonsense' })).statusCode).toBe(404);

    expect((await member.post(url, delivery)).statusCode).toBe(303);
    expect((await member.post(url, { ...delivery, [`${p}deliveredOn-year`]: '2026', [`${p}deliveredOn-month`]: '6', [`${p}quantity`]: '3' })).statusCode).toBe(303);
    const shown = await member.get(`${base}/contracts/${contract!.id}`);
    expect(shown.body).toContain('Payroll records (sample data)');
    expect(shown.body).toContain('30 September 2025');
    expect(shown.body).toContain('7 jobs');
    expect(shown.body).toContain('70.0%');
    const [audit] = await h.database.db.select().from(auditEvents).where(and(eq(auditEvents.action, 'community-wealth.social-value.delivered'), eq(auditEvents.objectId, commitment!.id)));
    expect(audit).toBeDefined();

    const viewer = await signedIn(emailOf('viewer'));
    const read = await viewer.get(`${base}/contracts/${contract!.id}`);
    expect(read.statusCode).toBe(200);
    expect(read.body).not.toContain('Record the delivery');
    expect((await viewer.post(url, delivery)).statusCode).toBe(403);
  });

  it('rolls up promised against delivered by measure and place for a financial year, on the page and as CSV', async () => {
    const viewer = await signedIn(emailOf('viewer'));
    const page = await viewer.get(`${base}?year=2025`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Promised and delivered, April 2025 to March 2026');
    expect(page.body).toMatch(/Local jobs \(sample data\)<\/th>\s*<td[^>]*>10 jobs<\/td>\s*<td[^>]*>4 jobs<\/td>\s*<td[^>]*>40.0%<\/td>\s*<td[^>]*>£40,000 of £100,000<\/td>/);
    expect(page.body).toMatch(/Marsh Green Patch \(sample data\) \(neighbourhood\)<\/th>\s*<td[^>]*>Local jobs \(sample data\)<\/td>\s*<td[^>]*>10 jobs<\/td>\s*<td[^>]*>4 jobs<\/td>/);
    expect(page.body).toContain('Local Care Ltd');
    expect(page.body).toContain('10 jobs (Local jobs (sample data))');

    const csv = await viewer.get(`${base}.csv?year=2025`);
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    const lines = csv.body.replace(/^\uFEFF/, '').trim().split('\r\n');
    expect(lines[0]).toBe('financial_year,measure,unit,place,place_code,promised,delivered,promised_value_gbp,delivered_value_gbp,proxy_source');
    expect(lines[1]).toBe(`April 2025 to March 2026,Local jobs (sample data),jobs,Marsh Green Patch (sample data) (neighbourhood),neighbourhood:${f.neighbourhoodId},10,4,100000,40000,Sample proxy: a year’s wages (sample data)`);
    expect(lines).toHaveLength(2);
    // The next year holds the second delivery; a year not offered (before any contract) gives this year.
    expect((await viewer.get(`${base}?year=2026`)).body).toMatch(/10 jobs<\/td>\s*<td[^>]*>3 jobs<\/td>/);
    const thisYear = financialYearOfDate(todayInEngland());
    expect((await viewer.get(`${base}?year=2024`)).body).toContain(`Promised and delivered, April ${thisYear} to March ${thisYear + 1}`);
  });

  it('never names an individual supplier in the contract list', async () => {
    await addContract(h.database.db, f.organisationId, { title: 'Odd jobs (sample data)', reference: null, supplierId: f.supplierIds.REDACTED!, startsOn: '2025-04-01', endsOn: '2025-06-30', valuePence: 10_000 }, [], cliActor);
    const viewer = await signedIn(emailOf('viewer'));
    const page = await viewer.get(base);
    expect(page.body).toContain('Individual (name withheld)');
    expect(page.body).not.toContain('REDACTED');
    const [contract] = await h.database.db.select().from(contracts).where(eq(contracts.title, 'Odd jobs (sample data)'));
    const shown = await viewer.get(`${base}/contracts/${contract!.id}`);
    expect(shown.body).toContain('Individual (name withheld)');
    expect(shown.body).not.toContain('REDACTED');
  });

  it('gives 404 for another organisation’s contract, and keeps other-org’s people out', async () => {
    const member = await signedIn(emailOf('member'));
    expect((await member.get(`${base}/contracts/${ids.otherContract}`)).statusCode).toBe(404);
    expect((await member.get(`${base}/contracts/00000000-0000-0000-0000-000000000000`)).statusCode).toBe(404);
    expect((await member.get(`${base}/contracts/not-a-uuid`)).statusCode).toBe(404);
    expect((await member.post(`${base}/contracts/${ids.otherContract}/deliveries`, { commitmentId: ids.otherCommitment })).statusCode).toBe(404);
    expect((await h.database.db.select().from(socialValueDeliveries).where(eq(socialValueDeliveries.commitmentId, ids.otherCommitment))).length).toBe(0);
    const elsewhere = await signedIn('elsewhere@example.org');
    expect((await elsewhere.get(base)).statusCode).toBe(403);
    expect((await elsewhere.get(`${base}/contracts/${ids.contract}`)).statusCode).toBe(403);
  });
});
