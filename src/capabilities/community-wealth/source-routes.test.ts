import { and, eq, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import writeExcelFile from 'write-excel-file/node';
import { auditEvents } from '../../platform/audit/schema.ts';
import { queryRows } from '../../platform/db/database.ts';
import { Client, emailOf, useSeededApp } from '../../../tests/support/app.ts';
import { engines } from '../../../tests/support/engines.ts';
import { spendSources, spendUploads } from './schema.ts';
import { spendFields } from './spend-columns.ts';
import { seedCommunityWealth, spendShapeA as shapeA, spendShapeB as shapeB, type WealthFixture } from './testing.ts';

/**
 * Spend files through the pages: two councils' differently shaped files (all sample data, as in spend-import.test.ts)
 * uploaded, their columns checked and imported; the mapping remembered; bad files refused with nothing imported; and
 * who may see and change what. other-org's source, upload and import are never reached from test-org.
 */
const zero = '00000000-0000-0000-0000-000000000000';

/** The option chosen in each of the check page's selects. */
function chosenMapping(html: string): Record<string, string> {
  const chosen: Record<string, string> = {};
  for (const field of spendFields) {
    const select = new RegExp(`<select[^>]*name="${field}"[^>]*>([\\s\\S]*?)</select>`).exec(html)?.[1] ?? '';
    chosen[field] = /<option value="([^"]*)" selected/.exec(select)?.[1] ?? '';
  }
  return chosen;
}

describe.each(engines)('spend files: sources, uploads and imports on %s', (engine) => {
  const h = useSeededApp(engine);
  let f: WealthFixture;
  const base = '/organisations/test-org/community-wealth/sources';
  const ids = { a: '', b: '', otherUpload: '', otherImport: '' };

  beforeAll(async () => {
    f = await seedCommunityWealth(h.database, h.seed);
    const [u] = await h.database.db.insert(spendUploads).values({ sourceId: f.otherSourceId, fileName: 'other.csv', bytes: Buffer.from('Payment Date,Supplier Name,Amount\n') }).returning({ id: spendUploads.id });
    ids.otherUpload = u!.id;
    const [i] = await queryRows<{ id: string }>(h.database.db, sql`select id from spend_imports where source_id = ${f.otherSourceId}`);
    ids.otherImport = i!.id;
  });

  const signedIn = async (email: string) => {
    const client = new Client(h.app);
    expect((await client.signIn(email)).statusCode).toBe(303);
    return client;
  };
  const paymentsOf = (sourceId: string) =>
    queryRows<{ paid_on: string; supplier: string; amount_pence: string; department: string; purpose: string; reference: string }>(
      h.database.db,
      sql`select p.paid_on::text, s.name as supplier, p.amount_pence::text, p.department, p.purpose, p.reference from payments p join suppliers s on s.id = p.supplier_id
          where p.source_id = ${sourceId} order by p.paid_on, p.reference, p.amount_pence`,
    );
  const count = async (table: string) => (await queryRows<{ n: number }>(h.database.db, sql`select count(*)::int as n from ${sql.raw(table)}`))[0]!.n;
  const sourceRow = async (id: string) => (await h.database.db.select().from(spendSources).where(eq(spendSources.id, id)))[0]!;
  /** Uploads a file to a source and returns the check page's address. */
  const upload = async (client: Client, sourceId: string, content: string | Buffer, filename = 'spend.csv') => {
    await client.get(`${base}/${sourceId}`);
    const response = await client.postFile(`${base}/${sourceId}/uploads`, {}, { field: 'file', filename, content });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toMatch(new RegExp(`^${base}/${sourceId}/uploads/[0-9a-f-]{36}$`));
    return response.headers.location as string;
  };

  it('lets the organisation’s members see its sources, and only members change them', async () => {
    const viewer = await signedIn(emailOf('viewer'));
    const list = await viewer.get(base);
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain('every payment they make over £500');
    expect(list.body).toContain('Nothing you import is published');
    expect(list.body).toContain('Sample council payments (sample data)');
    expect(list.body).toContain('Wigan');
    expect(list.body).not.toContain('Other payments (sample data)');
    expect(list.body).not.toContain('Add a source');
    const source = await viewer.get(`${base}/${f.sourceId}`);
    expect(source.statusCode).toBe(200);
    expect(source.body).toContain('“Payment Date”');
    expect(source.body).not.toContain('name="file"');
    expect((await viewer.get(`${base}/new`)).statusCode).toBe(403);
    expect((await viewer.postFile(`${base}/${f.sourceId}/uploads`, {}, { field: 'file', filename: 'a.csv', content: shapeA })).statusCode).toBe(403);
    expect((await viewer.post(`${base}/${f.sourceId}/edit`, { name: 'Renamed' })).statusCode).toBe(403);

    const outsider = await signedIn(emailOf('outsider'));
    expect((await outsider.get(base)).statusCode).toBe(403);
    expect((await outsider.get(`${base}/${f.sourceId}`)).statusCode).toBe(403);
    expect((await new Client(h.app).get(base)).statusCode).toBe(302);
  });

  it('refuses a bad source with specific messages and writes nothing', async () => {
    const member = await signedIn(emailOf('member'));
    const form = await member.get(`${base}/new`);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('<option value="E08000010">Wigan</option>');
    const before = await count('spend_sources');
    const cases: [Record<string, string>, string][] = [
      [{ name: '' }, 'Enter a name for the source'],
      [{ name: 'x'.repeat(201) }, 'The name must be 200 characters or fewer'],
      [{ name: 'Fine', homeLad25: 'E99999999' }, 'Choose the home district from the list'],
    ];
    for (const [body, message] of cases) {
      const response = await member.post(`${base}/new`, body);
      expect(response.statusCode, message).toBe(400);
      expect(response.body).toContain(message);
      expect(response.body).toContain('govuk-error-summary');
    }
    expect(await count('spend_sources')).toBe(before);
  });

  it('imports two differently shaped files through the pages to the same payments', async () => {
    const member = await signedIn(emailOf('member'));
    for (const [key, name] of [['a', 'Sample council A'], ['b', 'Sample council B']] as const) {
      await member.get(`${base}/new`);
      const made = await member.post(`${base}/new`, { name, homeLad25: 'E08000010', sample: 'yes' });
      expect(made.statusCode).toBe(303);
      ids[key] = /sources\/([0-9a-f-]{36})$/.exec(made.headers.location as string)![1]!;
      expect(await sourceRow(ids[key])).toMatchObject({ name, homeLad25: 'E08000010', sample: true, mapping: {} });
      const page = await member.get(made.headers.location as string);
      expect(page.body).toContain('Not set yet');
      expect(page.body).toContain('Sample data');
    }
    const [created] = await h.database.db.select().from(auditEvents).where(and(eq(auditEvents.action, 'community-wealth.source.created'), eq(auditEvents.objectId, ids.a)));
    expect(created!.organisationId).toBe(h.seed.organisationId);

    const reports: string[] = [];
    for (const [id, content] of [[ids.a, shapeA], [ids.b, shapeB]] as const) {
      const checkUrl = await upload(member, id, content);
      const check = await member.get(checkUrl);
      expect(check.statusCode).toBe(200);
      expect(check.body).toContain('Check the columns');
      expect(check.body).toContain('Acme Care Ltd');
      const mapping = chosenMapping(check.body);
      expect(mapping.paidOn).toMatch(/^(Payment Date|Date Paid)$/);
      const imported = await member.post(checkUrl, mapping);
      expect(imported.statusCode).toBe(303);
      expect(imported.headers.location).toMatch(new RegExp(`^${base}/${id}/imports/[0-9a-f-]{36}$`));
      const report = await member.get(imported.headers.location as string);
      expect(report.statusCode).toBe(200);
      reports.push(report.body);
      expect(await count(`spend_uploads where source_id = '${id}'`)).toBe(0);
    }
    for (const report of reports) {
      expect(report).toContain('Import report');
      expect(report).toMatch(/Rows read\s*<\/dt>\s*<dd class="govuk-summary-list__value">\s*5/);
      expect(report).toMatch(/Credit notes\s*<\/dt>\s*<dd class="govuk-summary-list__value">\s*1/);
      expect(report).toMatch(/Suppliers added\s*<\/dt>\s*<dd class="govuk-summary-list__value">\s*3/);
      expect(report).toContain('£7,251');
      expect(report).toContain('7 April 2025 to 10 April 2025');
      expect(report).toContain('Test member');
      expect(report).toContain('Check the suppliers');
    }
    const rowsA = await paymentsOf(ids.a);
    expect(rowsA).toHaveLength(5);
    expect(rowsA).toEqual(await paymentsOf(ids.b));
    expect((await sourceRow(ids.a)).mapping).toMatchObject({ paidOn: 'Payment Date', supplier: 'Supplier Name', amount: 'Amount', department: 'Service Area', reference: 'Transaction Number' });
    const source = await member.get(`${base}/${ids.a}`);
    expect(source.body).toContain('“Service Area”');
    expect(source.body).toContain('£7,251');
    const [stored] = await h.database.db.select().from(auditEvents).where(eq(auditEvents.action, 'community-wealth.upload.stored'));
    expect(Object.keys(stored!.details as object).sort()).toEqual(['bytes', 'file', 'sourceId']);
  });

  it('remembers the mapping: the next file of the same shape is offered it and goes straight through', async () => {
    const member = await signedIn(emailOf('member'));
    const next = [...shapeA.split('\n'), 'Sample Council,Highways,Road repairs,11/04/2025,T1005,75.25,Tarmac Sample PLC'].join('\n');
    const checkUrl = await upload(member, ids.a, next);
    const check = await member.get(checkUrl);
    expect(check.body).toContain('chosen for this source’s earlier files');
    expect(chosenMapping(check.body)).toMatchObject({ paidOn: 'Payment Date', supplier: 'Supplier Name', amount: 'Amount', department: 'Service Area', purpose: 'Expense Type', reference: 'Transaction Number', supplierPostcode: '' });
    const imported = await member.post(checkUrl, chosenMapping(check.body));
    expect(imported.statusCode).toBe(303);
    const report = await member.get(imported.headers.location as string);
    expect(report.body).toMatch(/Payments added\s*<\/dt>\s*<dd class="govuk-summary-list__value">\s*1\s/);
    expect(report.body).toMatch(/Duplicates skipped\s*<\/dt>\s*<dd class="govuk-summary-list__value">\s*5/);
    expect(await paymentsOf(ids.a)).toHaveLength(6);
  });

  it('refuses a file with a bad row, listing it; nothing is imported and the mapping is unchanged', async () => {
    const member = await signedIn(emailOf('member'));
    const mappingBefore = (await sourceRow(ids.a)).mapping;
    const paymentsBefore = await count('payments');
    const bad = [shapeA.split('\n')[0], 'Sample Council,Highways,Road repairs,31/02/2025,T2001,10,New Supplier Ltd', 'Sample Council,Highways,Road repairs,01/03/2025,T2002,ten pounds,New Supplier Ltd'].join('\n');
    const checkUrl = await upload(member, ids.a, bad);
    const check = await member.get(checkUrl);
    // A different choice for the department, so a mapping saved by mistake would show.
    const response = await member.post(checkUrl, { ...chosenMapping(check.body), department: 'Body Name' });
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('govuk-error-summary');
    expect(response.body).toContain('2 rows have problems');
    expect(response.body).toContain('Nothing has been imported');
    expect(response.body).toContain('Row 2, column “Payment Date”: “31/02/2025” is not a real date');
    expect(response.body).toContain('Row 3, column “Amount”: “ten pounds” is not an amount in pounds and pence');
    expect(await count('payments')).toBe(paymentsBefore);
    expect((await sourceRow(ids.a)).mapping).toEqual(mappingBefore);
    // The upload is kept, so the columns can be chosen again.
    expect((await member.get(checkUrl)).statusCode).toBe(200);
  });

  it('names a required column the file lacks, and refuses the same file twice', async () => {
    const member = await signedIn(emailOf('member'));
    const noAmount = 'Payment Date,Supplier Name,Service Area\n07/04/2025,Acme Care Ltd,Adults';
    const checkUrl = await upload(member, ids.a, noAmount);
    const check = await member.get(checkUrl);
    expect(check.body).not.toContain('chosen for this source’s earlier files');
    expect(chosenMapping(check.body)).toMatchObject({ paidOn: 'Payment Date', supplier: 'Supplier Name', amount: '' });
    const missing = await member.post(checkUrl, chosenMapping(check.body));
    expect(missing.statusCode).toBe(400);
    expect(missing.body).toContain('Choose the column that holds the amount');
    const twice = await member.post(checkUrl, { ...chosenMapping(check.body), amount: 'Supplier Name' });
    expect(twice.statusCode).toBe(400);
    expect(twice.body).toContain('The column “Supplier Name” is chosen for the supplier name too');
    const foreign = await member.post(checkUrl, { ...chosenMapping(check.body), amount: 'Amount' });
    expect(foreign.statusCode).toBe(400);
    expect(foreign.body).toContain('Choose a column of this file for the amount');

    const againUrl = await upload(member, ids.b, shapeB);
    const again = await member.get(againUrl);
    const refused = await member.post(againUrl, chosenMapping(again.body));
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toMatch(/This file was imported already, on \d{1,2} [A-Z][a-z]+ \d{4}\. Nothing has been imported\./);
    expect(await paymentsOf(ids.b)).toHaveLength(5);

    await member.get(`${base}/${ids.a}`);
    const empty = await member.postFile(`${base}/${ids.a}/uploads`, {}, { field: 'file', filename: 'empty.csv', content: '' });
    expect(empty.statusCode).toBe(400);
    expect(empty.body).toContain('Choose a CSV or Excel file of payments to upload');
    const none = await member.post(`${base}/${ids.a}/uploads`, {});
    expect(none.statusCode).toBe(400);
  });

  it('reads an Excel workbook, and a CSV saved by Excel on Windows', async () => {
    const member = await signedIn(emailOf('member'));
    const sourceC = (await h.database.db.insert(spendSources).values({ organisationId: h.seed.organisationId, name: 'Sample council C', sample: true }).returning({ id: spendSources.id }))[0]!.id;
    const workbook = await writeExcelFile([
      ['Payment Date', 'Supplier Name', 'Amount'],
      ['07/04/2025', 'Acme Care Ltd', 1250],
      ['08/04/2025', 'Tarmac Sample PLC', 600.5],
    ]).toBuffer();
    const xlsxUrl = await upload(member, sourceC, workbook, 'spend.xlsx');
    const xlsx = await member.get(xlsxUrl);
    expect(xlsx.body).toContain('Tarmac Sample PLC');
    expect((await member.post(xlsxUrl, chosenMapping(xlsx.body))).statusCode).toBe(303);
    const windows = Buffer.from('Payment Date,Supplier Name,Amount\n09/04/2025,Caf\xe9 Sample Ltd,\xa375.25\n', 'latin1');
    const csvUrl = await upload(member, sourceC, windows);
    const csv = await member.get(csvUrl);
    expect(csv.body).toContain('Café Sample Ltd');
    expect((await member.post(csvUrl, chosenMapping(csv.body))).statusCode).toBe(303);
    expect((await paymentsOf(sourceC)).map((p) => [p.paid_on, p.supplier, p.amount_pence])).toEqual([
      ['2025-04-07', 'Acme Care Ltd', '125000'],
      ['2025-04-08', 'Tarmac Sample PLC', '60050'],
      ['2025-04-09', 'Café Sample Ltd', '7525'],
    ]);
    const headingsOnly = await member.postFile(`${base}/${sourceC}/uploads`, {}, { field: 'file', filename: 'empty.csv', content: 'Payment Date,Supplier Name,Amount\n' });
    expect(headingsOnly.statusCode).toBe(400);
    expect(headingsOnly.body).toContain('The file has no heading row or no payments in it');
  });

  it('never shows an individual’s name in a file’s preview', async () => {
    const member = await signedIn(emailOf('member'));
    const check = await member.get(await upload(member, ids.a, 'Payment Date,Supplier Name,Amount\n01/04/2025,Mr J Smith,20\n02/04/2025,Jane Smith,30\n03/04/2025,Acme Care Ltd,40'));
    expect(check.body).toContain('Individual (name withheld)');
    expect(check.body).not.toContain('Smith');
    expect(check.body).toContain('Acme Care Ltd');
  });

  it('changes a source’s name and home district, audited', async () => {
    const member = await signedIn(emailOf('member'));
    const edit = await member.get(`${base}/${ids.b}/edit`);
    expect(edit.statusCode).toBe(200);
    expect(edit.body).toContain('value="Sample council B"');
    expect((await member.post(`${base}/${ids.b}/edit`, { name: '' })).statusCode).toBe(400);
    const saved = await member.post(`${base}/${ids.b}/edit`, { name: 'Sample council B, renamed', homeLad25: '' });
    expect(saved.statusCode).toBe(303);
    expect(await sourceRow(ids.b)).toMatchObject({ name: 'Sample council B, renamed', homeLad25: null, sample: true });
    expect(await h.database.db.select().from(auditEvents).where(and(eq(auditEvents.action, 'community-wealth.source.updated'), eq(auditEvents.objectId, ids.b)))).toHaveLength(1);
  });

  it('gives 404 for another organisation’s source, upload and import, and for ids that are not there', async () => {
    const member = await signedIn(emailOf('member'));
    const paths = [
      `${base}/${f.otherSourceId}`,
      `${base}/${f.otherSourceId}/edit`,
      `${base}/${f.otherSourceId}/uploads/${ids.otherUpload}`,
      `${base}/${f.sourceId}/uploads/${ids.otherUpload}`,
      `${base}/${f.otherSourceId}/imports/${ids.otherImport}`,
      `${base}/${f.sourceId}/imports/${ids.otherImport}`,
      `${base}/${zero}`,
      `${base}/not-an-id`,
      `${base}/${f.sourceId}/imports/${zero}`,
      `${base}/${f.sourceId}/uploads/${zero}`,
    ];
    for (const path of paths) expect((await member.get(path)).statusCode, path).toBe(404);
    await member.get(base);
    expect((await member.post(`${base}/${f.otherSourceId}/edit`, { name: 'Taken' })).statusCode).toBe(404);
    expect((await member.postFile(`${base}/${f.otherSourceId}/uploads`, {}, { field: 'file', filename: 'a.csv', content: shapeA })).statusCode).toBe(404);
    expect((await member.post(`${base}/${f.sourceId}/uploads/${ids.otherUpload}`, { paidOn: 'Payment Date' })).statusCode).toBe(404);
    expect((await sourceRow(f.otherSourceId)).name).toBe('Other payments (sample data)');
    expect(await count(`spend_uploads where source_id = '${f.otherSourceId}'`)).toBe(1);
  });
});
