import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { Client, emailOf, useSeededApp } from '../../../tests/support/app.ts';
import { engines } from '../../../tests/support/engines.ts';
import { auditEvents } from '../../platform/audit/schema.ts';
import { modelReport } from './models.ts';
import { parseNumber } from './web.ts';
import { costAvoidedLines, impactOutcomes, sroiInputs, sroiModels, sroiOutcomes, sroiProxies } from './schema.ts';
import { seedImpact, type ImpactFixture } from './testing.ts';

/**
 * The model built through the pages is worked example 2 of sroi.test.ts (the working is there):
 * inputs £40,000 cash + £10,000 in kind; A: 20 × £2,500 (from the library), 3 years, deadweight 25%, displacement
 * 10%, attribution 20%, drop-off 50%; B: 5 × £4,000 typed, 2 years, attribution 50%, drop-off 10%; rate 3.5%.
 * PV £62,840.90, NPV £12,840.90, ratio 1.2568, payback 16.2 months; break-even A £1,783.07, B £1,156.49.
 * Drop-off for A at 60%: ratio 1.162574. Cost avoided: 25 people × 2 fewer GP appointments × £42 × 1 year = £2,100.
 */
describe.each(engines)('SROI models on %s', (engine) => {
  const h = useSeededApp(engine);
  let fx: ImpactFixture;
  const ids = { proxy: '', foreignProxy: '', agreed: '', model: '', otherModel: '' };

  const setUp = async () => {
    if (fx) return;
    fx = await seedImpact(h.database, h.seed);
    const db = h.database.db;
    // Sample data: a library proxy of test-org, one of other-org (not in the partnership), and an agreed outcome.
    const [p] = await db.insert(sroiProxies).values({ organisationId: fx.organisationId, name: 'Less lonely', value: 2_500, unit: 'per person per year', source: 'Sample proxy source', priceYear: 2024 }).returning({ id: sroiProxies.id });
    ids.proxy = p!.id;
    const [f] = await db.insert(sroiProxies).values({ organisationId: fx.otherOrganisationId, name: 'Not ours', value: 9_999, unit: 'per person per year', source: 'Elsewhere' }).returning({ id: sroiProxies.id });
    ids.foreignProxy = f!.id;
    const [o] = await db.insert(impactOutcomes).values({ partnershipId: fx.partnershipId, title: 'Sample: people feel less alone', agreedWith: 'Residents at the listening event', agreedOn: '2025-01-15' }).returning({ id: impactOutcomes.id });
    ids.agreed = o!.id;
    const [m] = await db.insert(sroiModels).values({ partnershipId: fx.otherPartnershipId, title: 'Elsewhere model', period: '2025' }).returning({ id: sroiModels.id });
    ids.otherModel = m!.id;
  };
  const signedIn = async (email: string) => {
    await setUp();
    const client = new Client(h.app);
    await client.signIn(email);
    return client;
  };
  const base = () => `/partnerships/${fx.partnershipId}/impact/sroi`;
  const model = () => `${base()}/${ids.model}`;
  const assumptionsOf = (v: Record<string, string>) => ({
    deadweight: v.deadweight ?? '0',
    deadweightSource: 'Sample: comparison with the waiting list',
    displacement: v.displacement ?? '0',
    displacementSource: 'Sample: no other service displaced',
    attribution: v.attribution ?? '0',
    attributionSource: 'Sample: partners’ share of the support',
    dropOff: v.dropOff ?? '0',
    dropOffSource: 'Sample: follow-up survey after a year',
  });
  const outcomeA = () => ({ outcomeDescription: 'Fewer people lonely', stakeholder: 'Older residents', outcomeId: ids.agreed, quantity: '20', quantitySource: 'Sample: lunch club register', proxyId: ids.proxy, durationYears: '3', ...assumptionsOf({ deadweight: '25', displacement: '10%', attribution: '20', dropOff: '50' }) });
  const outcomeB = { outcomeDescription: 'Carers back in work', stakeholder: 'Carers', quantity: '5', quantitySource: 'Sample: employment support records', proxyValue: '£4,000', proxySource: 'Sample: typed proxy source', durationYears: '2', ...assumptionsOf({ attribution: '50', dropOff: '10' }) };

  it('reads numbers as people type them', () => {
    expect(parseNumber('£1,200')).toBe(1_200);
    expect(parseNumber(' 1,234.50 ')).toBe(1_234.5);
    expect(parseNumber('-2')).toBe(-2);
    expect(parseNumber('12.5%', { percent: true })).toBe(12.5);
    expect(parseNumber('1,20')).toBe('invalid');
    expect(parseNumber('12k')).toBe('invalid');
    expect(parseNumber('')).toBeNull();
  });

  it('builds a model through the pages and shows the hand-worked figures', async () => {
    const client = await signedIn(emailOf('member'));
    const list = await client.get(base());
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain('Start a model');
    expect(list.body).toContain('Green Book');

    const form = await client.get(`${base()}/new`);
    expect(form.body).toContain('HM Treasury Green Book (2022), 3.5% a year');
    const bad = await client.post(`${base()}/new`, { title: '', period: '2025 to 2026', discountRate: 'three', discountRateSource: 'Green Book' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Enter a title for the model');
    expect(bad.body).toContain('Enter the discount rate as a number, like 3.5');
    expect(await h.database.db.select().from(sroiModels).where(eq(sroiModels.partnershipId, fx.partnershipId))).toHaveLength(0);

    const created = await client.post(`${base()}/new`, { title: 'Sample lunch club model', period: 'April 2025 to March 2026', discountRate: '3.5', discountRateSource: 'HM Treasury Green Book (2022), 3.5% a year' });
    expect(created.statusCode).toBe(303);
    ids.model = created.headers.location!.split('/').pop()!;

    const empty = await client.get(model());
    expect(empty.statusCode).toBe(200);
    expect(empty.body).toContain('Add at least one input: what the work cost, in money or in kind');

    expect((await client.post(`${model()}/inputs`, { inputDescription: 'Sample: staff and running costs', inputAmount: '£40,000', inputKind: 'cash', inputSource: 'Sample: project budget' })).statusCode).toBe(303);
    expect((await client.post(`${model()}/inputs`, { inputDescription: 'Sample: volunteer time', inputAmount: '10000', inputKind: 'in-kind', inputSource: 'Sample: volunteer hours at the Real Living Wage' })).statusCode).toBe(303);
    // A £0 input whose name a spreadsheet would run as a formula: it changes no figure but tests the CSV.
    expect((await client.post(`${model()}/inputs`, { inputDescription: '=HYPERLINK("http://example.org")', inputAmount: '0', inputKind: 'cash', inputSource: 'Sample' })).statusCode).toBe(303);
    expect((await client.post(`${model()}/outcomes`, outcomeA())).statusCode).toBe(303);
    expect((await client.post(`${model()}/outcomes`, outcomeB)).statusCode).toBe(303);
    expect((await client.post(`${model()}/costs`, { service: 'GP appointments', people: '25', change: '2', changeSource: 'Sample: practice records', unitCost: '£42', unitCostSource: 'Sample: PSSRU Unit Costs 2024', years: '1' })).statusCode).toBe(303);

    const [stored] = await h.database.db.select().from(sroiOutcomes).where(eq(sroiOutcomes.proxyId, ids.proxy));
    expect(stored).toMatchObject({ proxyValue: 2_500, outcomeId: ids.agreed, displacement: 10 });
    expect(stored!.proxySource).toContain('Sample proxy source');

    const page = await client.get(model());
    expect(page.statusCode).toBe(200);
    const body = page.body;
    expect(body).toContain('£1.26 of social value for every £1 invested');
    expect(body).toMatch(/Total present value\s*<\/dt>\s*<dd[^>]*>\s*£62,841/);
    expect(body).toMatch(/Total inputs\s*<\/dt>\s*<dd[^>]*>\s*£50,000/);
    expect(body).toMatch(/Net present value\s*<\/dt>\s*<dd[^>]*>\s*£12,841/);
    expect(body).toMatch(/Payback period\s*<\/dt>\s*<dd[^>]*>\s*16.2 months/);
    expect(body).toContain('Drop-off for ‘Fewer people lonely’: 50% → 40% / 60%');
    expect(body).toMatch(/50% → 40% \/ 60%<\/th><td[^>]*>£1\.\d\d for every £1<\/td><td[^>]*>£1\.16 for every £1<\/td>/);
    expect(body).toContain('Discount rate: 3.5% → 0% / 7%');
    expect(body).toContain('the proxy is at least £1,783; now £2,500');
    expect(body).toContain('the proxy is at least £1,156; now £4,000');
    expect(body).toContain('Sample: people feel less alone');
    expect(body).toContain('£27,000'); // A's first year
    expect(body).toContain('£6,750'); // A's third year after drop-off
    expect(body).toContain('£2,100'); // cost avoided
    expect(body).toContain('not added to the social value');

    // The report reads the same figures.
    const report = (await modelReport(h.database.db, fx.partnershipId, ids.model))!;
    expect(report.result!.presentValue).toBeCloseTo(62_840.8963, 3);
    expect(report.result!.ratio).toBeCloseTo(1.256818, 6);
    expect(report.breakEven[0]!.breakEven).toBeCloseTo(1_783.07, 2);
    expect(report.costs.total).toBe(2_100);
    expect(report.costs.lines[0]!.usesAvoided).toBe(50);

    const listed = await client.get(base());
    expect(listed.body).toContain('£1.26 for every £1');
    expect(listed.body).toContain('£12,841');

    const audits = await h.database.db.select().from(auditEvents);
    expect(audits.map((a) => a.action)).toEqual(expect.arrayContaining(['sroi-model.created', 'sroi-input.added', 'sroi-outcome.added', 'sroi-cost.added']));
  });

  it('refuses bad input with a specific message and writes nothing', async () => {
    const client = await signedIn(emailOf('member'));
    const count = async () => ({
      inputs: (await h.database.db.select().from(sroiInputs)).length,
      outcomes: (await h.database.db.select().from(sroiOutcomes)).length,
      costs: (await h.database.db.select().from(costAvoidedLines)).length,
    });
    const before = await count();
    const badAmount = await client.post(`${model()}/inputs`, { inputDescription: 'Grant', inputAmount: '12k', inputKind: 'cash', inputSource: 'Budget' });
    expect(badAmount.statusCode).toBe(400);
    expect(badAmount.body).toContain('Enter the amount in pounds as a number, like 12,000 or £12,000.50');
    const foreign = await client.post(`${model()}/outcomes`, { ...outcomeA(), proxyId: ids.foreignProxy });
    expect(foreign.statusCode).toBe(400);
    expect(foreign.body).toContain('Choose a proxy from the libraries of the partnership’s organisations');
    const both = await client.post(`${model()}/outcomes`, { ...outcomeA(), proxyValue: '10' });
    expect(both.statusCode).toBe(400);
    expect(both.body).toContain('not both');
    const percent = await client.post(`${model()}/outcomes`, { ...outcomeB, deadweight: '120', attributionSource: '' });
    expect(percent.statusCode).toBe(400);
    expect(percent.body).toContain('The deadweight must be from 0% to 100%');
    expect(percent.body).toContain('Enter where the attribution figure comes from');
    const badCost = await client.post(`${model()}/costs`, { service: 'GP', people: '2.5', change: '2', changeSource: 'x', unitCost: '42', unitCostSource: '', years: '0' });
    expect(badCost.statusCode).toBe(400);
    expect(badCost.body).toContain('The number of people must be a whole number');
    expect(badCost.body).toContain('Enter where the unit cost comes from');
    expect(await count()).toEqual(before);
  });

  it('changes and removes rows and the model’s details, refusing a stale edit', async () => {
    const client = await signedIn(emailOf('member'));
    const [cost] = await h.database.db.select().from(costAvoidedLines);
    const edit = await client.get(`${model()}/costs/${cost!.id}`);
    expect(edit.statusCode).toBe(200);
    expect(edit.body).toContain('value="GP appointments"');
    expect((await client.post(`${model()}/costs/${cost!.id}`, { service: 'GP appointments', people: '30', change: '2', changeSource: 'Sample', unitCost: '42', unitCostSource: 'Sample', years: '1' })).statusCode).toBe(303);
    expect((await client.get(model())).body).toContain('£2,520');
    expect((await client.post(`${model()}/costs/${cost!.id}/remove`)).statusCode).toBe(303);
    expect(await h.database.db.select().from(costAvoidedLines)).toHaveLength(0);

    // The library's value changes later: the model keeps the value it was built with while the same proxy stays chosen.
    await h.database.db.update(sroiProxies).set({ value: 3_000 }).where(eq(sroiProxies.id, ids.proxy));
    const [built] = await h.database.db.select().from(sroiOutcomes).where(eq(sroiOutcomes.proxyId, ids.proxy));
    expect((await client.post(`${model()}/outcomes/${built!.id}`, { ...outcomeA(), quantity: '21' })).statusCode).toBe(303);
    const [kept] = await h.database.db.select().from(sroiOutcomes).where(eq(sroiOutcomes.id, built!.id));
    expect(kept).toMatchObject({ quantity: 21, proxyValue: 2_500, proxySource: built!.proxySource });
    await h.database.db.update(sroiProxies).set({ value: 2_500 }).where(eq(sroiProxies.id, ids.proxy));
    expect((await client.post(`${model()}/outcomes/${built!.id}`, outcomeA())).statusCode).toBe(303);

    const details = await client.get(`${model()}/edit`);
    expect(details.body).toContain('name="version" value="1"');
    expect((await client.post(`${model()}/edit`, { title: 'Sample lunch club model, undiscounted', period: '2025', discountRate: '0', discountRateSource: 'Sample: no discounting', version: '1' })).statusCode).toBe(303);
    const stale = await client.post(`${model()}/edit`, { title: 'Stale', period: '2025', discountRate: '3.5', discountRateSource: 'Green Book', version: '1' });
    expect(stale.statusCode).toBe(409);
    const [m] = await h.database.db.select().from(sroiModels).where(eq(sroiModels.id, ids.model));
    expect(m).toMatchObject({ title: 'Sample lunch club model, undiscounted', discountRate: 0, version: 2 });
  });

  it('downloads the model as CSV with every figure and source, guarding formulas', async () => {
    const client = await signedIn(emailOf('viewer'));
    const csv = await client.get(`${model()}.csv`);
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.body).toContain('Financial proxy (£ a year),2500,"Sample proxy source (Test Organisation library: Less lonely, per person per year, 2024 prices)"');
    expect(csv.body).toContain('Deadweight (%),25,Sample: comparison with the waiting list');
    expect(csv.body).toContain('Total inputs (£),50000');
    expect(csv.body).toContain(`"'=HYPERLINK(""http://example.org"")"`);
    expect(csv.body).not.toMatch(/(^|,)"?=HYPERLINK/m);
  });

  it('keeps models to their partnership, and viewers to reading', async () => {
    const viewer = await signedIn(emailOf('viewer'));
    expect((await viewer.get(model())).statusCode).toBe(200);
    expect((await viewer.get(model())).body).not.toContain('Add an input');
    expect((await viewer.post(`${model()}/inputs`, { inputDescription: 'x', inputAmount: '1', inputKind: 'cash', inputSource: 'x' })).statusCode).toBe(403);
    expect((await viewer.get(`${base()}/new`)).statusCode).toBe(403);

    const member = await signedIn(emailOf('member'));
    // Another partnership's model through this partnership's address: not found.
    expect((await member.get(`${base()}/${ids.otherModel}`)).statusCode).toBe(404);
    expect((await member.get(`${base()}/${ids.otherModel}.csv`)).statusCode).toBe(404);
    expect((await member.post(`${base()}/${ids.otherModel}/inputs`, { inputDescription: 'x', inputAmount: '1', inputKind: 'cash', inputSource: 'x' })).statusCode).toBe(404);
    expect((await member.get(`${base()}/not-a-model`)).statusCode).toBe(404);
    // The other partnership itself: not theirs.
    expect((await member.get(`/partnerships/${fx.otherPartnershipId}/impact/sroi/${ids.otherModel}`)).statusCode).toBe(403);

    const elsewhere = await signedIn('elsewhere@example.org');
    expect((await elsewhere.get(model())).statusCode).toBe(403);
    expect((await elsewhere.get(`${model()}.csv`)).statusCode).toBe(403);

    // A partner organisation's member may change the model.
    const partner = await signedIn('partner@example.org');
    expect((await partner.get(model())).body).toContain('Add an input');
  });
});
