import { and, eq, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { auditEvents } from '../../platform/audit/schema.ts';
import { queryRows } from '../../platform/db/database.ts';
import { Client, emailOf, useSeededApp } from '../../../tests/support/app.ts';
import { engines } from '../../../tests/support/engines.ts';
import { localSpend } from './local-spend.ts';
import { supplierMerges, suppliers } from './schema.ts';
import { importSampleSpend, seedCommunityWealth, type WealthFixture } from './testing.ts';

/*
 * Sample data: the hand-worked file of testing.ts (Local Care Ltd, Big Tarmac PLC, Marsh Green Community Association
 * and a redacted individual), plus a small file of our own with spellings of one firm ("Acme Ltd", "ACME LIMITED"),
 * a person's name ("Jane Smith", who must never be shown) and enough suppliers to need a second page.
 */
describe.each(engines)('supplier pages on %s', (engine) => {
  const h = useSeededApp(engine);
  let f: WealthFixture;
  const base = '/organisations/test-org/community-wealth/suppliers';
  const zero = '00000000-0000-0000-0000-000000000000';
  const idOf = async (name: string) => (await h.database.db.select({ id: suppliers.id }).from(suppliers).where(and(eq(suppliers.organisationId, h.seed.organisationId), eq(suppliers.name, name))))[0]!.id;
  const signedIn = async (email: string) => {
    const client = new Client(h.app);
    expect((await client.signIn(email)).statusCode).toBe(303);
    return client;
  };
  const dashboardTotal = async () => (await localSpend(h.database.db, { organisationId: h.seed.organisationId, place: { lad25: 'E08000010' } } as Parameters<typeof localSpend>[1])).totalPence;

  beforeAll(async () => {
    f = await seedCommunityWealth(h.database, h.seed);
    const many = Array.from({ length: 55 }, (_, i) => `01/05/2025,Filler Supplies ${String(i + 1).padStart(2, '0')} Ltd,${i + 1},Parks,F${i}`);
    await importSampleSpend(h.database.db, h.seed.organisationId, 'Extra payments (sample data)', [
      'Payment Date,Supplier Name,Amount,Service Area,Transaction Number',
      '01/05/2025,Acme Ltd,100,Highways,A1',
      '02/05/2025,ACME LIMITED,200,Highways,A2',
      '03/05/2025,ACME LIMITED,50,Highways,A3',
      '04/05/2025,Jane Smith,7000,Adults,P1',
      ...many,
    ]);
  });

  it('lists suppliers most spent with first, with the work to do, searchable, filterable and paged', async () => {
    const viewer = await signedIn(emailOf('viewer'));
    const page = await viewer.get(base);
    expect(page.statusCode).toBe(200);
    // 4 hand-worked + Acme ×2 + Jane Smith + 55 fillers; the hand-worked ones and Jane (an individual) have a kind,
    // and only three hand-worked ones a place.
    expect(page.body).toMatch(/With no kind<\/dt>\s*<dd class="govuk-summary-list__value">57</);
    expect(page.body).toMatch(/With no place<\/dt>\s*<dd class="govuk-summary-list__value">59</);
    expect(page.body).toMatch(/Suppliers<\/dt>\s*<dd class="govuk-summary-list__value">62</);
    // Jane Smith (£7,000) is the most paid, and never named.
    expect(page.body).not.toContain('Jane Smith');
    expect(page.body.indexOf('Individual (name withheld)')).toBeLessThan(page.body.indexOf('Big Tarmac PLC'));
    expect(page.body).toContain('£4,000'); // Big Tarmac's two payments
    expect(page.body).toContain('Place not known');
    expect(page.body).toContain('showing 1 to 50');
    expect(page.body).toContain('govuk-pagination');
    expect(page.body).toContain(`${base}/duplicates`);
    expect(page.body).toContain(`${base}/merges`);
    const second = await viewer.get(`${base}?page=2`);
    expect(second.body).toContain('showing 51 to 62');
    expect(second.body).toContain('Filler Supplies 01 Ltd'); // the least paid comes last

    const search = await viewer.get(`${base}?q=acme`);
    expect(search.body).toContain('2 suppliers found');
    expect(search.body).toContain('ACME LIMITED');
    expect(search.body).not.toContain('Filler Supplies');
    // Searching a person's name must not show they were paid, under their name or withheld.
    for (const q of ['Jane', 'smith', 'REDACTED']) {
      const found = await viewer.get(`${base}?q=${q}`);
      expect(found.body).toContain('No suppliers match');
      expect(found.body).not.toContain('Individual (name withheld)</a>');
    }
    const vcse = await viewer.get(`${base}?kind=vcse`);
    expect(vcse.body).toContain('1 supplier found');
    expect(vcse.body).toContain('Marsh Green Community Association');
    expect(vcse.body).toContain('Worsley'); // placed by its ward's name
    const unknownPlace = await viewer.get(`${base}?place=unknown&q=tarmac`);
    expect(unknownPlace.body).toContain('No suppliers match'); // Big Tarmac's district is known
    const noKind = await viewer.get(`${base}?kind=unknown`);
    expect(noKind.body).toContain('57 suppliers found');
  });

  it('shows a supplier’s page, and never an individual’s name', async () => {
    const viewer = await signedIn(emailOf('viewer'));
    const care = await viewer.get(`${base}/${f.supplierIds['Local Care Ltd']}`);
    expect(care.statusCode).toBe(200);
    expect(care.body).toContain('<h1 class="govuk-heading-xl">Local Care Ltd</h1>');
    expect(care.body).toContain('WN3 5PH');
    expect(care.body).toContain('E01006410');
    expect(care.body).toContain('2024-25');
    expect(care.body).toContain('2025-26');
    expect(care.body).toContain('£1,800'); // £2,000 less the £200 credit
    expect(care.body).toContain('Sample council payments (sample data)');
    expect(care.body).not.toContain('Edit the supplier’s details');
    for (const id of [f.supplierIds.REDACTED!, await idOf('Jane Smith')]) {
      const person = await viewer.get(`${base}/${id}`);
      expect(person.statusCode).toBe(200);
      expect(person.body).toContain('Individual (name withheld)');
      expect(person.body).not.toContain('Jane Smith');
      expect(person.body).not.toContain('REDACTED');
    }
    const member = await signedIn(emailOf('member'));
    expect((await member.get(`${base}/${f.supplierIds['Local Care Ltd']}`)).body).toContain(`${base}/${f.supplierIds['Local Care Ltd']}/edit`);
  });

  it('edits a supplier, placing its postcode, refusing bad input with specific messages', async () => {
    const member = await signedIn(emailOf('member'));
    const id = await idOf('Filler Supplies 55 Ltd');
    const url = `${base}/${id}/edit`;
    expect((await member.get(url)).statusCode).toBe(200);
    const good = { kind: 'sme', postcode: 'wn3 5ph', companyNumber: 'sc 123456', charityNumber: '' };
    const cases: [Record<string, string>, string][] = [
      [{ ...good, kind: '' }, 'Choose what kind of supplier this is'],
      [{ ...good, kind: 'giant' }, 'Choose what kind of supplier this is'],
      [{ ...good, companyNumber: '123' }, 'Enter a Companies House number as 8 characters'],
      [{ ...good, charityNumber: '12' }, 'Enter a charity number as 6 to 8 digits'],
      [{ ...good, postcode: 'not a postcode' }, 'is not a postcode'],
      [{ ...good, postcode: 'ZZ99 9ZZ' }, 'ZZ99 9ZZ is not among the postcodes loaded'],
    ];
    for (const [body, message] of cases) {
      const response = await member.post(url, body);
      expect(response.statusCode, message).toBe(400);
      expect(response.body).toContain(message);
      expect(response.body).toContain('govuk-error-summary');
    }
    const [before] = await h.database.db.select().from(suppliers).where(eq(suppliers.id, id));
    expect(before).toMatchObject({ kind: 'unknown', postcode: null, lad25: null, companyNumber: null });

    const saved = await member.post(url, good);
    expect(saved.statusCode).toBe(303);
    expect(saved.headers.location).toBe(`${base}/${id}`);
    const [after] = await h.database.db.select().from(suppliers).where(eq(suppliers.id, id));
    expect(after).toMatchObject({ kind: 'sme', postcode: 'WN3 5PH', lad25: 'E08000010', lsoa21: 'E01006410', companyNumber: 'SC123456' });
    const page = await member.get(`${base}/${id}`);
    expect(page.body).toContain('Filler Supplies 55 Ltd saved');
    expect(page.body).toContain('Small and medium-sized firms');

    // Made an individual: withheld from then on, in the page, the list and the audit.
    expect((await member.post(url, { ...good, kind: 'individual' })).statusCode).toBe(303);
    const withheld = await member.get(`${base}/${id}`);
    expect(withheld.body).toContain('Individual (name withheld) saved');
    expect(withheld.body).not.toContain('Filler Supplies 55');
    expect((await member.get(`${base}?q=Filler`)).body).not.toContain('Filler Supplies 55');
    const audits = await h.database.db.select().from(auditEvents).where(and(eq(auditEvents.action, 'community-wealth.supplier.updated'), eq(auditEvents.objectId, id)));
    expect(audits).toHaveLength(2);
    expect(JSON.stringify(audits.map((a) => a.details))).not.toContain('Filler');
  });

  it('finds likely duplicates and merges them with a reason through the pages, keeping the totals', async () => {
    const member = await signedIn(emailOf('member'));
    const keep = await idOf('Acme Ltd');
    const merge = await idOf('ACME LIMITED');
    const totalBefore = await dashboardTotal();

    const duplicates = await member.get(`${base}/duplicates`);
    expect(duplicates.statusCode).toBe(200);
    expect(duplicates.body).toContain('ACME LIMITED');
    expect(duplicates.body).toContain('Acme Ltd');
    expect(duplicates.body).toContain('Check the merge');
    expect(duplicates.body).not.toContain('Jane Smith');

    // Choosing badly: back to the duplicates, with specific messages.
    const noKeep = await member.get(`${base}/merge?group=0&merge=${merge}`);
    expect(noKeep.statusCode).toBe(400);
    expect(noKeep.body).toContain('Choose the supplier to keep');
    expect(noKeep.body).toContain('href="#keep-0"');
    const same = await member.get(`${base}/merge?group=0&keep=${keep}&merge=${keep}`);
    expect(same.statusCode).toBe(400);
    expect(same.body).toContain('Choose two different suppliers');
    expect((await member.get(`${base}/merge?keep=${keep}&merge=${f.otherSupplierId}`)).statusCode).toBe(404);
    expect((await member.get(`${base}/merge?keep=${keep}&merge=${zero}`)).statusCode).toBe(404);
    expect((await member.get(`${base}/merge?keep=${keep}&merge=nonsense`)).statusCode).toBe(404);

    const confirm = await member.get(`${base}/merge?group=0&keep=${keep}&merge=${merge}`);
    expect(confirm.statusCode).toBe(200);
    expect(confirm.body).toContain('Merge ACME LIMITED into Acme Ltd?');
    expect(confirm.body).toContain('2 payments (£250)');
    const noReason = await member.post(`${base}/merge`, { keep, merge, reason: '  ' });
    expect(noReason.statusCode).toBe(400);
    expect(noReason.body).toContain('Say why these are the same supplier');
    expect((await member.post(`${base}/merge`, { keep, merge: f.otherSupplierId, reason: 'not ours' })).statusCode).toBe(404);
    expect(await h.database.db.select().from(supplierMerges)).toHaveLength(0);

    const merged = await member.post(`${base}/merge`, { keep, merge, reason: 'Same company number 01234567' });
    expect(merged.statusCode).toBe(303);
    expect(merged.headers.location).toBe(`${base}/${keep}`);
    const kept = await member.get(`${base}/${keep}`);
    expect(kept.body).toContain('2 payments moved to Acme Ltd');
    expect(kept.body).toContain('£350');
    expect(kept.body).toContain('Same company number 01234567');
    // The merged supplier's address leads to the one kept.
    const old = await member.get(`${base}/${merge}`);
    expect(old.statusCode).toBe(303);
    expect(old.headers.location).toBe(`${base}/${keep}`);
    expect(await dashboardTotal()).toBe(totalBefore);
    const [{ n }] = (await queryRows<{ n: number }>(h.database.db, sql`select count(*)::int as n from payments where supplier_id = ${keep}`)) as [{ n: number }];
    expect(n).toBe(3);

    // Again: already merged, nothing changes.
    const again = await member.post(`${base}/merge`, { keep, merge, reason: 'again' });
    expect(again.statusCode).toBe(400);
    expect(again.body).toContain('ACME LIMITED has been merged already');
    expect(await h.database.db.select().from(supplierMerges)).toHaveLength(1);

    const history = await member.get(`${base}/merges`);
    expect(history.statusCode).toBe(200);
    expect(history.body).toContain('Same company number 01234567');
    expect(history.body).toContain('ACME LIMITED');
    expect(history.body).toContain('Test member');
    expect((await member.get(`${base}/duplicates`)).body).toContain('No likely duplicates');
  });

  it('never names an individual in the duplicates or the merge history', async () => {
    // Two spellings of a person, merged behind the pages' back: the history must still withhold them.
    await importSampleSpend(h.database.db, h.seed.organisationId, 'People (sample data)', ['Payment Date,Supplier Name,Amount', '01/06/2025,JANE SMITH,10', '02/06/2025,Jane Smith.,20']);
    const member = await signedIn(emailOf('member'));
    expect((await member.get(`${base}/duplicates`)).body).not.toMatch(/jane/i);
    const keep = await idOf('JANE SMITH');
    const merge = await idOf('Jane Smith.');
    const confirm = await member.get(`${base}/merge?keep=${keep}&merge=${merge}`);
    expect(confirm.body).not.toMatch(/jane/i);
    expect((await member.post(`${base}/merge`, { keep, merge, reason: 'Same person' })).statusCode).toBe(303);
    const history = await member.get(`${base}/merges`);
    expect(history.body).toContain('Individual (name withheld)');
    expect(history.body).not.toMatch(/jane/i);
    const audit = await h.database.db.select().from(auditEvents).where(eq(auditEvents.action, 'community-wealth.supplier.merged'));
    expect(JSON.stringify(audit.map((a) => a.details))).not.toMatch(/jane/i);
  });

  it('imports a supplier list through the page, or lists its problems and changes nothing', async () => {
    const viewer = await signedIn(emailOf('viewer'));
    expect((await viewer.get(`${base}/import`)).statusCode).toBe(403);
    expect((await viewer.get(base)).body).not.toContain('Import a supplier list');
    const member = await signedIn(emailOf('member'));
    expect((await member.get(base)).body).toContain(`href="${base}/import"`);
    const form = await member.get(`${base}/import`);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('Supplier name');
    expect((await member.post(`${base}/import`, {})).statusCode).toBe(400);
    const bad = await member.postFile(`${base}/import`, {}, { field: 'file', filename: 'list.csv', content: 'Supplier name,Kind\nLocal Care Ltd,Bakery\n' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Row 2, column “Kind”: “Bakery” is not a kind of supplier');
    const good = await member.postFile(`${base}/import`, {}, { field: 'file', filename: 'list.csv', content: 'Supplier name,Kind,Postcode\nLocal Care Ltd,VCSE,WN3 5PR\nFresh Supplies Ltd (sample data),SME,\n' });
    expect(good.statusCode).toBe(303);
    const after = await member.get(base);
    expect(after.body).toContain('Supplier list imported: 1 supplier updated, 1 added');
    expect((await member.get(`${base}?q=fresh`)).body).toContain('Fresh Supplies Ltd (sample data)');
  });

  it('lets viewers read, only members change, and keeps other organisations’ suppliers out', async () => {
    const viewer = await signedIn(emailOf('viewer'));
    const id = f.supplierIds['Local Care Ltd']!;
    for (const url of [base, `${base}/duplicates`, `${base}/merges`, `${base}/${id}`]) expect((await viewer.get(url)).statusCode, url).toBe(200);
    expect((await viewer.get(`${base}/${id}/edit`)).statusCode).toBe(403);
    expect((await viewer.post(`${base}/${id}/edit`, { kind: 'large' })).statusCode).toBe(403);
    expect((await viewer.get(`${base}/merge`)).statusCode).toBe(403);
    expect((await viewer.post(`${base}/merge`, {})).statusCode).toBe(403);
    expect((await viewer.get(`${base}/duplicates`)).body).not.toContain('Check the merge');

    const outsider = await signedIn(emailOf('outsider'));
    expect((await outsider.get(base)).statusCode).toBe(403);
    expect((await outsider.get(`${base}/${id}`)).statusCode).toBe(403);
    expect((await new Client(h.app).get(base)).statusCode).toBe(302);

    const member = await signedIn(emailOf('member'));
    for (const other of [f.otherSupplierId, zero, 'not-an-id']) {
      expect((await member.get(`${base}/${other}`)).statusCode).toBe(404);
      expect((await member.get(`${base}/${other}/edit`)).statusCode).toBe(404);
      expect((await member.post(`${base}/${other}/edit`, { kind: 'large' })).statusCode).toBe(404);
    }
    expect((await member.post(`${base}/merge`, {})).statusCode).toBe(400);
    expect((await member.post(`${base}/${id}/edit`, {})).statusCode).toBe(400);
    const elsewhere = await signedIn('elsewhere@example.org');
    expect((await elsewhere.get(`${base}/${id}`)).statusCode).toBe(403);
    const [theirs] = await h.database.db.select().from(suppliers).where(eq(suppliers.id, f.otherSupplierId));
    expect(theirs).toMatchObject({ kind: 'unknown', mergedIntoId: null });
  });
});
