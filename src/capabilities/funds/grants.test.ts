import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { organisations } from '../../platform/auth/schema.ts';
import { queryRows } from '../../platform/db/database.ts';
import { Client, emailOf, useSeededApp, type Visitor } from '../../../tests/support/app.ts';
import { engines } from '../../../tests/support/engines.ts';
import { loadWiganPlaces } from '../community-voice/testing.ts';
import { charityNumberOf, companyNumberOf, recipientOrgIdOf, slugify, todayInUk } from './grants.ts';
import { fundRounds, funds, grantReports, grants, proposals } from './schema.ts';

describe('recipient identifiers', () => {
  it('uses the charity or company register where there is a number, and the funder’s own otherwise', () => {
    expect(recipientOrgIdOf('360G-x', 'charity', 'Friends of Mesnes Park', '1123456', 'abc')).toBe('GB-CHC-1123456');
    expect(recipientOrgIdOf('360G-x', 'company', 'Pemberton Pantry CIC', '01234567', 'abc')).toBe('GB-COH-01234567');
    expect(recipientOrgIdOf('360G-x', 'group', 'Friends of Mesnes Park!', null, 'abc')).toBe('360G-x-group-friends-of-mesnes-park');
    // A person's identifier carries the grant's number, never their name.
    expect(recipientOrgIdOf('360G-x', 'individual', 'Jane Smith', null, 'ab12cd34-2')).toBe('360G-x-individual-ab12cd34-2');
    expect(slugify('  Café  Société – Wigan ')).toBe('cafe-societe-wigan');
  });
  it('reads charity and company numbers as registered', () => {
    expect(charityNumberOf(' 1123456 ')).toBe('1123456');
    expect(charityNumberOf('12345')).toBeNull();
    expect(companyNumberOf('1234567')).toBe('01234567');
    expect(companyNumberOf('sc123456')).toBe('SC123456');
    expect(companyNumberOf('ABC')).toBeNull();
  });
});

describe.each(engines)('the grants register on %s', (engine) => {
  const h = useSeededApp(engine);
  const db = () => h.database.db;
  let placesLoaded = false;
  const signedIn = async (who: Exclude<Visitor, 'anonymous'>) => {
    if (!placesLoaded) {
      await loadWiganPlaces(db());
      placesLoaded = true;
    }
    const client = new Client(h.app);
    expect((await client.signIn(emailOf(who))).statusCode).toBe(303);
    return client;
  };
  const grantsTitled = (title: string) => db().select().from(grants).where(eq(grants.title, title));
  const grantCount = async () => (await db().select({ n: sql<number>`count(*)::int` }).from(grants))[0]!.n;
  const audits = (action: string, objectId: string) => queryRows<{ details: Record<string, unknown> }>(db(), sql`select details from audit_events where action = ${action} and object_id = ${objectId}`);
  const base = {
    title: 'Summer club at St Paul’s (sample data)',
    description: 'Six weeks of holiday activities and lunches for children',
    recipientKind: 'charity',
    recipientName: 'St Paul’s Community Trust',
    registeredNumber: '1123456',
    amount: '£1,250.50',
    'awardDate-day': '3',
    'awardDate-month': '4',
    'awardDate-year': '2026',
    'plannedStart-day': '1',
    'plannedStart-month': '5',
    'plannedStart-year': '2026',
    'plannedEnd-day': '31',
    'plannedEnd-month': '8',
    'plannedEnd-year': '2026',
    postcode: 'wn1 1aa',
  };

  /** A fund, a round in its results phase and proposals, inserted directly (the panel's and the vote's work). */
  const seedRound = async (roundBudgetPence: number, funded: { amountPence: number; kind: string; groupName?: string; contactName?: string; registeredNumber?: string; status?: string }[], fundPrefix: string | null = '360G-wigan-test') => {
    const [fund] = await db()
      .insert(funds)
      .values({ organisationId: h.seed.organisationId, name: 'Ward Alliance Fund (sample data)', budgetPence: 2_000_000, grantIdPrefix: fundPrefix, sample: true })
      .returning();
    const [round] = await db()
      .insert(fundRounds)
      .values({ fundId: fund!.id, name: 'Pemberton 2026 (sample data)', budgetPence: roundBudgetPence, phase: 'results', votingMethod: 'approval-budget' })
      .returning();
    let number = 0;
    for (const p of funded) {
      number += 1;
      await db()
        .insert(proposals)
        .values({
          roundId: round!.id,
          number,
          title: `Project ${number} (sample data)`,
          summary: `What project ${number} does`,
          amountPence: p.amountPence,
          applicantKind: p.kind as 'resident',
          groupName: p.groupName ?? null,
          contactName: p.contactName ?? null,
          registeredNumber: p.registeredNumber ?? null,
          ward25: 'E05000847',
          lsoa21: 'E01006349',
          status: (p.status ?? 'funded') as 'funded',
        });
    }
    return { fund: fund!, round: round! };
  };

  it('records a grant to a charity by hand, placing the postcode without keeping it', async () => {
    const client = await signedIn('coordinator');
    const form = await client.get('/organisations/test-org/grants/new');
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('Record a grant');
    const response = await client.post('/organisations/test-org/grants/new', base);
    expect(response.statusCode).toBe(303);
    const [grant] = await grantsTitled(base.title);
    expect(grant).toMatchObject({
      amountPence: 125_050,
      awardDate: '2026-04-03',
      plannedStart: '2026-05-01',
      plannedEnd: '2026-08-31',
      recipientName: 'St Paul’s Community Trust',
      recipientOrgId: 'GB-CHC-1123456',
      recipientIsIndividual: false,
      beneficiaryLsoa21: 'E01006369',
      status: 'awarded',
    });
    expect(grant!.beneficiaryWard25).toMatch(/^E05\d{6}$/);
    expect(grant!.identifier).toBe(`360G-patchwork-test-org-${grant!.id.slice(0, 8)}`);
    expect(JSON.stringify(grant)).not.toMatch(/WN1/i);
    expect(response.headers.location).toBe(`/organisations/test-org/grants/${grant!.id}`);
    const [audit] = await audits('funds.grant.recorded', grant!.id);
    expect(audit!.details).toMatchObject({ amountPence: 125_050, recipientKind: 'charity' });
    expect(JSON.stringify(audit!.details)).not.toContain('WN1');

    const page = await client.get(response.headers.location as string);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('£1,250.50');
    expect(page.body).toContain('GB-CHC-1123456');
  });

  it('refuses a grant with something wrong, naming the field, and records nothing', async () => {
    const client = await signedIn('coordinator');
    const before = await grantCount();
    const refused = async (changes: Record<string, string>, message: string, field: string) => {
      const response = await client.post('/organisations/test-org/grants/new', { ...base, title: 'Refused grant (sample data)', ...changes });
      expect(response.statusCode).toBe(400);
      expect(response.body).toContain(message);
      expect(response.body).toContain(`href="#${field}`);
    };
    await refused({ amount: '12.345' }, 'is not an amount in pounds', 'amount');
    await refused({ amount: '0' }, 'The amount must be more than £0', 'amount');
    await refused({ registeredNumber: '' }, 'Enter the charity number', 'registeredNumber');
    await refused({ recipientKind: 'company', registeredNumber: 'not a number' }, 'is not a company number', 'registeredNumber');
    await refused({ recipientKind: 'aliens' }, 'Choose who the grant is to', 'recipientKind');
    await refused({ 'awardDate-day': '31', 'awardDate-month': '2' }, 'The award date must be a real date', 'awardDate-day');
    await refused({ 'awardDate-year': '2999' }, 'The award date must be today or in the past', 'awardDate-day');
    await refused({ 'plannedEnd-day': '30', 'plannedEnd-month': '4' }, 'The planned end must be on or after the planned start', 'plannedEnd-day');
    await refused({ wardCode: 'E05000841' }, 'Give either a postcode or a ward code', 'postcode');
    await refused({ postcode: '', wardCode: 'E05999999' }, 'E05999999 is not a 2025 ward loaded into Patchwork', 'wardCode');
    await refused({ postcode: 'ZZ99 9ZZ' }, 'is not among the postcodes loaded', 'postcode');
    await refused({ title: 'x'.repeat(141) }, 'The title must be 140 characters or fewer', 'title');
    expect(await grantCount()).toBe(before);
  });

  it('keeps a fund’s grants within its budget, saying how much is left', async () => {
    const client = await signedIn('coordinator');
    const { fund } = await seedRound(100_000, []);
    const [ward] = await queryRows<{ code: string; name: string }>(db(), sql`select code, name from areas where vintage = 'ward25' order by code limit 1`);
    // The fund holds £20,000; a grant of £19,000 leaves £1,000.
    expect((await client.post('/organisations/test-org/grants/new', { ...base, title: 'Big grant (sample data)', fundId: fund.id, amount: '19000' })).statusCode).toBe(303);
    const over = await client.post('/organisations/test-org/grants/new', { ...base, title: 'One too many (sample data)', fundId: fund.id, amount: '1000.01' });
    expect(over.statusCode).toBe(400);
    expect(over.body).toContain('£1,000.01 is more than is left in Ward Alliance Fund (sample data): its budget is £20,000 and £19,000 has already been granted, leaving £1,000');
    expect(await grantsTitled('One too many (sample data)')).toHaveLength(0);
    // Exactly what is left is allowed.
    expect((await client.post('/organisations/test-org/grants/new', { ...base, title: 'Exactly the rest (sample data)', fundId: fund.id, amount: '1000', recipientKind: 'group', registeredNumber: '', postcode: '', wardCode: ` ${ward!.code.toLowerCase()} ` })).statusCode).toBe(303);
    const [rest] = await grantsTitled('Exactly the rest (sample data)');
    expect(rest).toMatchObject({ beneficiaryWard25: ward!.code, beneficiaryLsoa21: null, recipientOrgId: '360G-wigan-test-group-st-paul-s-community-trust' });
    expect(rest!.identifier).toBe(`360G-wigan-test-${rest!.id.slice(0, 8)}`);
  });

  it('awards a round’s funded proposals as grants at once, within the budget, and only once', async () => {
    const coordinator = await signedIn('coordinator');
    // £5,000 round: funded £1,500 (group) + £800 (a resident) + £2,000 (charity) = £4,300; £3,000 not funded.
    const { fund, round } = await seedRound(500_000, [
      { amountPence: 150_000, kind: 'community-group', groupName: 'Pemberton Allotment Society' },
      { amountPence: 80_000, kind: 'resident', groupName: 'a resident', contactName: 'Jane Secretname' },
      { amountPence: 200_000, kind: 'registered-charity', groupName: 'Wigan Youth Trust', registeredNumber: '1098765' },
      { amountPence: 300_000, kind: 'community-group', groupName: 'Not chosen', status: 'not-funded' },
    ]);
    const awardPath = `/organisations/test-org/funds/${fund.id}/rounds/${round.id}/award`;
    const member = await signedIn('member');
    expect((await member.post(awardPath)).statusCode).toBe(403);

    const register = await coordinator.get('/organisations/test-org/grants');
    expect(register.body).toContain('Rounds ready to award');
    expect(register.body).toContain(`action="${awardPath}"`);
    const response = await coordinator.post(awardPath);
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/organisations/test-org/grants');
    const awarded = await db().select().from(grants).where(eq(grants.roundId, round.id)).orderBy(grants.identifier);
    const short = round.id.slice(0, 8);
    expect(awarded.map((g) => [g.identifier, g.recipientOrgId, g.amountPence, g.recipientIsIndividual])).toEqual([
      [`360G-wigan-test-${short}-1`, '360G-wigan-test-group-pemberton-allotment-society', 150_000, false],
      [`360G-wigan-test-${short}-2`, `360G-wigan-test-individual-${short}-2`, 80_000, true],
      [`360G-wigan-test-${short}-3`, 'GB-CHC-1098765', 200_000, false],
    ]);
    expect(awarded.every((g) => g.beneficiaryWard25 === 'E05000847' && g.beneficiaryLsoa21 === 'E01006349' && g.fundId === fund.id)).toBe(true);
    expect(awarded.reduce((sum, g) => sum + g.amountPence, 0)).toBe(430_000);
    const [after] = await db().select().from(fundRounds).where(eq(fundRounds.id, round.id));
    expect(after!.phase).toBe('delivery');
    const [audit] = await audits('funds.round.awarded', round.id);
    expect(audit!.details).toMatchObject({ totalPence: 430_000, budgetPence: 500_000 });

    const again = await coordinator.post(awardPath);
    expect(again.statusCode).toBe(409);
    expect(again.body).toContain('have already been awarded');
    expect(await db().select().from(grants).where(eq(grants.roundId, round.id))).toHaveLength(3);

    // The individual's name is on the organisation's own page only.
    expect((await coordinator.get('/organisations/test-org/grants')).body).toContain('Jane Secretname');
    const anonymous = new Client(h.app);
    for (const url of ['/grants', `/budgets/${round.id}/delivery`, '/grants/360giving.json', '/grants/360giving.csv', '/grants?organisation=test-org']) {
      const page = await anonymous.get(url);
      expect(page.statusCode, url).toBe(200);
      expect(page.body, url).not.toContain('Jane Secretname');
    }
    expect((await anonymous.get('/grants')).body).toContain('An individual');
  });

  it('refuses to award funded proposals that total more than the round’s budget', async () => {
    const coordinator = await signedIn('coordinator');
    const { fund, round } = await seedRound(100_000, [
      { amountPence: 90_000, kind: 'community-group', groupName: 'A' },
      { amountPence: 60_000, kind: 'community-group', groupName: 'B' },
    ]);
    const response = await coordinator.post(`/organisations/test-org/funds/${fund.id}/rounds/${round.id}/award`);
    expect(response.statusCode).toBe(409);
    expect(response.body).toContain('The funded proposals total £1,500, more than the round’s budget of £1,000: nothing was awarded');
    expect(await db().select().from(grants).where(eq(grants.roundId, round.id))).toHaveLength(0);
    const [after] = await db().select().from(fundRounds).where(eq(fundRounds.id, round.id));
    expect(after!.phase).toBe('results');
  });

  it('takes progress reports and never lets spend pass the award', async () => {
    const coordinator = await signedIn('coordinator');
    const { fund, round } = await seedRound(500_000, [{ amountPence: 80_000, kind: 'community-group', groupName: 'Reporting Group' }], null);
    expect((await coordinator.post(`/organisations/test-org/funds/${fund.id}/rounds/${round.id}/award`)).statusCode).toBe(303);
    const [grant] = await db().select().from(grants).where(eq(grants.roundId, round.id));
    // No fund prefix: the organisation's own.
    expect(grant!.identifier).toBe(`360G-patchwork-test-org-${round.id.slice(0, 8)}-1`);
    const [year, month, day] = todayInUk().split('-');
    const dateFields = { 'reportedOn-day': String(Number(day)), 'reportedOn-month': String(Number(month)), 'reportedOn-year': year! };
    const reportPath = `/organisations/test-org/grants/${grant!.id}/reports/new`;

    const viewer = await signedIn('viewer');
    expect((await viewer.get(reportPath)).statusCode).toBe(403);
    const member = await signedIn('member');
    expect((await member.get(reportPath)).statusCode).toBe(200);
    expect((await member.post(reportPath, { ...dateFields, progress: 'Beds built and planted', spend: '600' })).statusCode).toBe(303);
    const over = await member.post(reportPath, { ...dateFields, progress: 'Tools bought', spend: '300' });
    expect(over.statusCode).toBe(400);
    expect(over.body).toContain('£300 would take spending to £900, more than the £800 awarded: £600 has already been reported, so at most £200 more can be');
    expect(over.body).toContain('href="#spend"');
    const bad = await member.post(reportPath, { ...dateFields, progress: '', spend: '10' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Enter what the project has done so far');
    expect((await member.post(reportPath, { ...dateFields, progress: 'Tools bought <b>and</b> open day held', spend: '200' })).statusCode).toBe(303);
    const reports = await db().select().from(grantReports).where(eq(grantReports.grantId, grant!.id));
    expect(reports.map((r) => r.spendPence).sort()).toEqual([20_000, 60_000]);
    const [after] = await db().select().from(grants).where(eq(grants.id, grant!.id));
    expect(after!.status).toBe('in-delivery');
    expect(await audits('funds.grant.reported', grant!.id)).toHaveLength(2);

    const page = await member.get(`/organisations/test-org/grants/${grant!.id}`);
    expect(page.body).toContain('£800 (£0 left)');
    expect(page.body).toContain('Beds built and planted');

    const delivery = await new Client(h.app).get(`/budgets/${round.id}/delivery`);
    expect(delivery.statusCode).toBe(200);
    // The latest report is shown, escaped; the spend so far reconciles with the award.
    expect(delivery.body).toContain('Tools bought &lt;b&gt;and&lt;/b&gt; open day held');
    expect(delivery.body).not.toContain('Beds built and planted');
    expect(delivery.body).toContain('£800 has been reported as spent so far, leaving £0');
  });

  it('lets only the right people in', async () => {
    const anonymous = new Client(h.app);
    expect((await anonymous.get('/organisations/test-org/grants')).statusCode).toBe(302);
    const outsider = await signedIn('outsider');
    expect((await outsider.get('/organisations/test-org/grants')).statusCode).toBe(403);
    const viewer = await signedIn('viewer');
    const list = await viewer.get('/organisations/test-org/grants');
    expect(list.statusCode).toBe(200);
    expect(list.body).not.toContain('Record a grant');
    expect(list.body).not.toContain('Rounds ready to award');
    expect((await viewer.get('/organisations/test-org/grants/new')).statusCode).toBe(403);
    expect((await viewer.post('/organisations/test-org/grants/new', base)).statusCode).toBe(403);

    // Another organisation's grant is not there for test-org's people.
    const [other] = await db().insert(organisations).values({ slug: 'other-org', name: 'Other Organisation', kind: 'vcse' }).returning();
    const [theirs] = await db()
      .insert(grants)
      .values({ organisationId: other!.id, identifier: '360G-other-1', title: 'Theirs (sample data)', description: 'x', recipientName: 'Y', recipientOrgId: '360G-other-group-y', amountPence: 100, awardDate: '2026-01-01' })
      .returning();
    const coordinator = await signedIn('coordinator');
    expect((await coordinator.get(`/organisations/test-org/grants/${theirs!.id}`)).statusCode).toBe(404);
    expect((await coordinator.post(`/organisations/test-org/grants/${theirs!.id}/reports/new`, { progress: 'x', spend: '1' })).statusCode).toBe(404);
    expect((await coordinator.get('/organisations/test-org/grants/not-a-uuid')).statusCode).toBe(404);
  });
});
