import { and, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../../platform/audit/audit.ts';
import { organisations } from '../../platform/auth/schema.ts';
import { addPerson, Client, emailOf, useSeededApp } from '../../../tests/support/app.ts';
import { engines } from '../../../tests/support/engines.ts';
import { createNeighbourhood } from '../neighbourhoods/service.ts';
import { suppliers } from './schema.ts';
import { resummariseSuppliers } from './spend-summary.ts';
import { importSampleSpend, seedCommunityWealth, type WealthFixture } from './testing.ts';

/*
 * The local spend dashboards on the hand-worked fixture of testing.ts (all sample data): £4,000 of £8,100 (49.4%)
 * with suppliers in Wigan, 2024-25 32.6% → 2025-26 71.4%; Marsh Green Patch holds both local suppliers.
 */
describe.each(engines)('the local spend dashboards on %s', (engine) => {
  const h = useSeededApp(engine);
  let f: WealthFixture;
  let foreignNeighbourhood = '';
  const base = '/organisations/test-org/community-wealth';
  const zero = '00000000-0000-0000-0000-000000000000';

  beforeAll(async () => {
    f = await seedCommunityWealth(h.database, h.seed);
    foreignNeighbourhood = await createNeighbourhood(
      h.database.db,
      { name: 'Other Organisation’s patch (sample data)', purpose: 'locality', sharing: 'organisation', description: null },
      { method: 'lsoas', geography: 'lsoa21', codes: ['E01006410'] },
      { organisationId: f.otherOrganisationId, userId: null },
      cliActor,
    );
  });

  const signedIn = async (email: string) => {
    const client = new Client(h.app);
    expect((await client.signIn(email)).statusCode).toBe(303);
    return client;
  };

  it('shows the district’s hand-worked figures to a viewer', async () => {
    const viewer = await signedIn(emailOf('viewer'));
    const page = await viewer.get(base);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Local spend in Wigan');
    expect(page.body).toContain('49.4% of Test Organisation’s spend (£4,000 of £8,100) went to suppliers in Wigan.');
    expect(page.body).toMatch(/2024-25<\/th><td[^>]*>£4,600<\/td><td[^>]*>£1,500<\/td><td[^>]*>32.6%/);
    expect(page.body).toMatch(/2025-26<\/th><td[^>]*>£3,500<\/td><td[^>]*>£2,500<\/td><td[^>]*>71.4%/);
    expect(page.body).toContain('Spend with suppliers in Wigan went from £1,500 in 2024-25 (33% of the total) to £2,500 in 2025-26 (71% of the total).');
    expect(page.body).toMatch(/Small and medium-sized firms<\/th><td[^>]*>£2,800<\/td><td[^>]*>34.6%<\/td><td[^>]*>£2,800<\/td><td[^>]*>100.0%/);
    expect(page.body).toMatch(/the most deprived 10% of LSOAs in England<\/th><td[^>]*>£4,000<\/td><td[^>]*>49.4%/);
    expect(page.body).toMatch(/whose place is not known<\/th><td[^>]*>£100<\/td><td[^>]*>1.2%/);
    expect(page.body).toContain('Sample edition (sample data)');
    expect(page.body).toContain('Suppliers without a known place are never counted as local');
    expect(page.body).toContain('net of credit notes');
    expect(page.body).toContain('href="/organisations/test-org/community-wealth/suppliers"');
    expect(page.body).toContain('role="img"');
    expect(page.body).toContain('April 2024 to March 2026');
    // Test-org's neighbourhood, linked to its dashboard; other-org's private one not listed.
    expect(page.body).toContain(`href="${base}/neighbourhoods/${f.neighbourhoodId}"`);
    expect(page.body).toMatch(/Marsh Green Patch \(sample data\)<\/a><\/th><td[^>]*>£4,000<\/td><td[^>]*>49.4%/);
    expect(page.body).not.toContain('Other Organisation’s patch');
    expect(page.body).not.toContain('style=');
    expect(page.body.match(/<h1/g)).toHaveLength(1);
    expect(page.body).not.toContain('REDACTED');
  });

  it('narrows to financial years and a department', async () => {
    const viewer = await signedIn(emailOf('viewer'));
    const year = await viewer.get(`${base}?from=2025-26&to=2025-26`);
    expect(year.statusCode).toBe(200);
    expect(year.body).toContain('71.4% of Test Organisation’s spend (£2,500 of £3,500)');
    expect(year.body).toContain('April 2025 to March 2026');
    expect(year.body).toContain('<option value="2025-26" selected>2025-26</option>');
    const adults = await viewer.get(`${base}?department=Adults`);
    expect(adults.body).toContain('(£2,800 of £2,900)');
    // Years the wrong way round are read the right way round; what is not a financial year is ignored.
    expect((await viewer.get(`${base}?from=2025-26&to=2024-25`)).body).toContain('(£4,000 of £8,100)');
    expect((await viewer.get(`${base}?from=2025&to=last`)).body).toContain('(£4,000 of £8,100)');
    const nowhere = await viewer.get(`${base}?department=Nowhere`);
    expect(nowhere.statusCode).toBe(200);
    expect(nowhere.body).toContain('(£0 of £0)');
    expect(nowhere.body).toContain('<option value="Highways">Highways</option>');
  });

  it('gives the same figures as CSV, filtered alike', async () => {
    const viewer = await signedIn(emailOf('viewer'));
    const csv = await viewer.get(`${base}.csv`);
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.body).toContain('Section,Label,Total (£),With suppliers in Wigan (£),Share');
    expect(csv.body).toContain('All spend,All suppliers,8100.00,4000.00,49.4%');
    expect(csv.body).toContain('Financial year,2024-25,4600.00,1500.00,32.6%');
    expect(csv.body).toContain('Financial year,2025-26,3500.00,2500.00,71.4%');
    expect(csv.body).toContain('Neighbourhood,Marsh Green Patch (sample data),4000.00,4000.00,49.4%');
    expect(csv.body).toContain('Department,Adults,2900.00,2800.00,96.6%');
    expect(csv.body).toMatch(/Ward \(local spend\),[^,]+,4000\.00,4000\.00,100\.0%/);
    expect(csv.body).not.toContain('REDACTED');
    const year = await viewer.get(`${base}.csv?from=2025-26`);
    expect(year.body).toContain('All spend,All suppliers,3500.00,2500.00,71.4%');
    expect(year.body).not.toContain('2024-25');
  });

  it('shows a neighbourhood’s dashboard and its suppliers', async () => {
    const viewer = await signedIn(emailOf('viewer'));
    const page = await viewer.get(`${base}/neighbourhoods/${f.neighbourhoodId}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Spend in Marsh Green Patch (sample data)');
    expect(page.body).toContain('49.4% of Test Organisation’s spend (£4,000 of £8,100) went to suppliers in Marsh Green Patch (sample data).');
    expect(page.body).toMatch(/2025-26<\/th><td[^>]*>£3,500<\/td><td[^>]*>£2,500<\/td><td[^>]*>71.4%/);
    expect(page.body).toMatch(/Local Care Ltd<\/a><\/th><td[^>]*>£2,800<\/td><td[^>]*>70.0%/);
    expect(page.body).toContain(`href="/organisations/test-org/community-wealth/suppliers/${f.supplierIds['Local Care Ltd']}"`);
    const csv = await viewer.get(`${base}/neighbourhoods/${f.neighbourhoodId}.csv?from=2024-25&to=2024-25`);
    expect(csv.statusCode).toBe(200);
    expect(csv.body).toContain('All spend,All suppliers,4600.00,1500.00,32.6%');
    expect(csv.body).toContain('Supplier in the neighbourhood,Local Care Ltd,1000.00,1000.00,66.7%');
  });

  it('lets only the organisation’s people in, and hides neighbourhoods it cannot see', async () => {
    const anonymous = new Client(h.app);
    expect((await anonymous.get(base)).statusCode).toBe(302);
    const outsider = await signedIn(emailOf('outsider'));
    expect((await outsider.get(base)).statusCode).toBe(403);
    expect((await outsider.get(`${base}.csv`)).statusCode).toBe(403);
    expect((await outsider.get(`${base}/neighbourhoods/${f.neighbourhoodId}`)).statusCode).toBe(403);
    const viewer = await signedIn(emailOf('viewer'));
    for (const id of [foreignNeighbourhood, zero, 'not-an-id']) {
      expect((await viewer.get(`${base}/neighbourhoods/${id}`)).statusCode).toBe(404);
      expect((await viewer.get(`${base}/neighbourhoods/${id}.csv`)).statusCode).toBe(404);
    }
    // other-org's people see their own figures, never test-org's.
    const elsewhere = await signedIn('elsewhere@example.org');
    expect((await elsewhere.get(base)).statusCode).toBe(403);
    const theirs = await elsewhere.get('/organisations/other-org/community-wealth');
    expect(theirs.statusCode).toBe(200);
    expect(theirs.body).toContain('(£0 of £900)');
    expect((await elsewhere.get(`/organisations/other-org/community-wealth/neighbourhoods/${f.neighbourhoodId}`)).statusCode).toBe(404);
  });

  it('explains what to do when there is no spend file yet', async () => {
    const [empty] = await h.database.db.insert(organisations).values({ slug: 'empty-org', name: 'Empty Organisation', kind: 'council' }).returning({ id: organisations.id });
    await addPerson(h.database, 'empty@example.org', empty!.id, 'viewer');
    const client = await signedIn('empty@example.org');
    const page = await client.get('/organisations/empty-org/community-wealth');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Add a spend file');
    expect(page.body).toContain('href="/organisations/empty-org/community-wealth/sources"');
    const csv = await client.get('/organisations/empty-org/community-wealth.csv');
    expect(csv.statusCode).toBe(200);
  });

  it('never names an individual, neutralises formulas, and chooses between districts', async () => {
    // A second file (sample data): a named individual in the neighbourhood, paid by a department named as a formula.
    const sourceId = await importSampleSpend(h.database.db, h.seed.organisationId, 'Formula payments (sample data)', [
      'Payment Date,Supplier Name,Amount,Service Area',
      '01/06/2025,Jane Smith,50,"=HYPERLINK(""http://example.com"",""click"")"',
    ]);
    expect(sourceId).toBeTruthy();
    const [jane] = await h.database.db
      .update(suppliers)
      .set({ kind: 'individual', lad25: 'E08000010', lsoa21: 'E01006410', postcode: 'WN3 5PH' })
      .where(and(eq(suppliers.organisationId, h.seed.organisationId), eq(suppliers.name, 'Jane Smith')))
      .returning({ id: suppliers.id });
    await resummariseSuppliers(h.database.db, [jane!.id]);

    const viewer = await signedIn(emailOf('viewer'));
    const page = await viewer.get(`${base}/neighbourhoods/${f.neighbourhoodId}`);
    expect(page.body).toContain('Individual (name withheld)');
    expect(page.body).not.toContain('Jane Smith');
    const csv = await viewer.get(`${base}/neighbourhoods/${f.neighbourhoodId}.csv`);
    expect(csv.body).toContain('Individual (name withheld),50.00');
    expect(csv.body).not.toContain('Jane Smith');
    const district = await viewer.get(`${base}.csv`);
    expect(district.body).not.toContain('Jane Smith');
    expect(district.body).toContain(`"'=HYPERLINK(""http://example.com"",""click"")"`);
    expect(district.body).not.toMatch(/(^|,)"?=HYPERLINK/m);
    expect((await viewer.get(base)).body).not.toContain('Jane Smith');

    // A source with another home district: the page offers both and ?lad= chooses.
    await importSampleSpend(h.database.db, h.seed.organisationId, 'Leeds payments (sample data)', ['Payment Date,Supplier Name,Amount', '01/05/2025,Big Tarmac PLC,1'], 'E08000035');
    const leeds = await viewer.get(`${base}?lad=E08000035`);
    expect(leeds.statusCode).toBe(200);
    expect(leeds.body).toContain('<select class="govuk-select govuk-!-width-full" id="lad" name="lad"');
    expect(leeds.body).toMatch(/Local spend in (Leeds|E08000035)/);
    // Big Tarmac's placed supplier is in Leeds; the new file's line is a supplier not yet placed.
    expect(leeds.body).toContain('(£4,000 of £8,151)');
  });
});
