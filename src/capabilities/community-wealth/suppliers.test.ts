import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../../platform/audit/audit.ts';
import { organisations } from '../../platform/auth/schema.ts';
import { queryRows } from '../../platform/db/database.ts';
import { useSeededApp } from '../../../tests/support/app.ts';
import { engines } from '../../../tests/support/engines.ts';
import { spendSources, suppliers } from './schema.ts';
import { guessMapping } from './spend-columns.ts';
import { importSpend } from './spend-import.ts';
import { loadWiganPlaces } from '../community-voice/testing.ts';
import { likelyDuplicates, mergeHistory, mergeSuppliers, mergeSuppliersInto, updateSupplier } from './suppliers.ts';
import { importSampleSpend, seedCommunityWealth } from './testing.ts';
import { auditEvents } from '../../platform/audit/schema.ts';

/** Three spellings of one firm are suggested as duplicates, merged with a reason, and found again by the next file. Sample data. */
describe.each(engines)('supplier de-duplication on %s', (engine) => {
  const h = useSeededApp(engine);
  let dir = '';
  let sourceId = '';
  const header = 'Payment Date,Supplier Name,Amount,Service Area,Transaction Number';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'patchwork-suppliers-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const importLines = async (name: string, lines: string[]) => {
    const file = path.join(dir, name);
    await writeFile(file, [header, ...lines].join('\n'));
    return importSpend(h.database.db, sourceId, file, name, cliActor);
  };
  const idOf = async (name: string) => (await h.database.db.select({ id: suppliers.id }).from(suppliers).where(eq(suppliers.name, name)))[0]!.id;

  it('suggests spellings of one firm, merges them with a reason, and keeps the history', async () => {
    const [s] = await h.database.db.insert(spendSources).values({ organisationId: h.seed.organisationId, name: 'Sample payments', mapping: guessMapping(header.split(',')), sample: true }).returning({ id: spendSources.id });
    sourceId = s!.id;
    await importLines('april.csv', ['01/04/2025,Acme Ltd,100,Highways,T1', '02/04/2025,ACME LIMITED,200,Highways,T2', '03/04/2025,Acme Ltd.,300,Highways,T3', '03/04/2025,Acme Ltd.,50,Waste,T4', '04/04/2025,Acne Ltd,400,Waste,T5', '05/04/2025,REDACTED,60,Adults,T6', '06/04/2025,Redacted,70,Adults,T7']);
    const groups = await likelyDuplicates(h.database.db, h.seed.organisationId);
    // Individuals are never offered for merging (nor named), and Acne is a different firm.
    expect(groups).toEqual([
      {
        nameKey: 'ACME',
        suppliers: [
          { id: await idOf('Acme Ltd.'), name: 'Acme Ltd.', payments: 2, totalPence: 35000 },
          { id: await idOf('ACME LIMITED'), name: 'ACME LIMITED', payments: 1, totalPence: 20000 },
          { id: await idOf('Acme Ltd'), name: 'Acme Ltd', payments: 1, totalPence: 10000 },
        ],
      },
    ]);
    const kept = await idOf('Acme Ltd');
    expect(await mergeSuppliers(h.database.db, h.seed.organisationId, kept, await idOf('ACME LIMITED'), 'Same company number 01234567', cliActor)).toEqual({ paymentsMoved: 1 });
    expect(await mergeSuppliers(h.database.db, h.seed.organisationId, kept, await idOf('Acme Ltd.'), 'Same address and bank details', cliActor)).toEqual({ paymentsMoved: 2 });
    expect(await likelyDuplicates(h.database.db, h.seed.organisationId)).toEqual([]);
    const [{ n, total }] = (await queryRows<{ n: number; total: string }>(h.database.db, sql`select count(*)::int as n, sum(amount_pence)::text as total from payments where supplier_id = ${kept}`)) as [{ n: number; total: string }];
    expect([n, total]).toEqual([4, '65000']);
    expect((await mergeHistory(h.database.db, h.seed.organisationId)).map((m) => [m.keptName, m.mergedName, m.paymentsMoved, m.reason])).toEqual([
      ['Acme Ltd', 'Acme Ltd.', 2, 'Same address and bank details'],
      ['Acme Ltd', 'ACME LIMITED', 1, 'Same company number 01234567'],
    ]);
    // The next file's "ACME LIMITED" goes to the supplier kept: no new supplier.
    const may = await importLines('may.csv', ['01/05/2025,ACME LIMITED,500,Highways,T8']);
    expect(may.suppliersAdded).toBe(0);
    expect((await queryRows<{ supplier_id: string }>(h.database.db, sql`select supplier_id from payments where reference = 'T8'`))[0]!.supplier_id).toBe(kept);
  });

  it('refuses merges that make no sense, changing nothing', async () => {
    const kept = await idOf('Acme Ltd');
    await expect(mergeSuppliers(h.database.db, h.seed.organisationId, kept, await idOf('ACME LIMITED'), 'again', cliActor)).rejects.toThrow(/merged already/);
    await expect(mergeSuppliers(h.database.db, h.seed.organisationId, kept, kept, 'same', cliActor)).rejects.toThrow(/two different/);
    await expect(mergeSuppliers(h.database.db, h.seed.organisationId, kept, await idOf('Acne Ltd'), '  ', cliActor)).rejects.toThrow(/Say why/);
    const [other] = await h.database.db.insert(organisations).values({ slug: 'other-org', name: 'Other Organisation', kind: 'council' }).returning({ id: organisations.id });
    await expect(mergeSuppliers(h.database.db, other!.id, kept, await idOf('Acne Ltd'), 'not ours', cliActor)).rejects.toThrow(/not there/);
    expect(await mergeHistory(h.database.db, h.seed.organisationId)).toHaveLength(2);
  });

  it('places a supplier by its postcode, or says why it cannot, changing nothing', async () => {
    await loadWiganPlaces(h.database.db);
    const id = await idOf('Acne Ltd');
    expect(await updateSupplier(h.database.db, h.seed.organisationId, id, { kind: 'sme', postcode: 'wn1 1aa', companyNumber: '01234567', charityNumber: null }, cliActor)).toEqual({ ok: true });
    const [placed] = await h.database.db.select().from(suppliers).where(eq(suppliers.id, id));
    expect(placed).toMatchObject({ kind: 'sme', postcode: 'WN1 1AA', lad25: 'E08000010', companyNumber: '01234567' });
    expect(placed!.lsoa21).toMatch(/^E01/);
    expect(placed!.ward25).toMatch(/^E05/);
    expect(await updateSupplier(h.database.db, h.seed.organisationId, id, { kind: 'large', postcode: 'ZZ99 9ZZ', companyNumber: null, charityNumber: null }, cliActor)).toMatchObject({ ok: false, field: 'postcode' });
    expect(await updateSupplier(h.database.db, h.seed.organisationId, id, { kind: 'large', postcode: null, companyNumber: '123', charityNumber: null }, cliActor)).toMatchObject({ ok: false, field: 'companyNumber' });
    const [after] = await h.database.db.select().from(suppliers).where(eq(suppliers.id, id));
    expect(after).toMatchObject({ kind: 'sme', postcode: 'WN1 1AA' });
  });
});

/** The hand-worked fixture of testing.ts, plus a few spellings of one firm. Sample data. */
describe.each(engines)('supplier changes made together on %s', (engine) => {
  const h = useSeededApp(engine);
  const idOf = async (name: string) => (await h.database.db.select({ id: suppliers.id }).from(suppliers).where(eq(suppliers.name, name)))[0]!.id;

  it('keeps a place known without a postcode when none is given, and clears one a postcode gave', async () => {
    const f = await seedCommunityWealth(h.database, h.seed);
    const tarmac = f.supplierIds['Big Tarmac PLC']!;
    expect(await updateSupplier(h.database.db, h.seed.organisationId, tarmac, { kind: 'large', postcode: null, companyNumber: '01234567', charityNumber: null }, cliActor)).toEqual({ ok: true });
    expect((await h.database.db.select().from(suppliers).where(eq(suppliers.id, tarmac)))[0]).toMatchObject({ lad25: 'E08000035', lsoa21: 'E01011229', companyNumber: '01234567' });
    const care = f.supplierIds['Local Care Ltd']!;
    expect(await updateSupplier(h.database.db, h.seed.organisationId, care, { kind: 'sme', postcode: null, companyNumber: null, charityNumber: null }, cliActor)).toEqual({ ok: true });
    expect((await h.database.db.select().from(suppliers).where(eq(suppliers.id, care)))[0]).toMatchObject({ postcode: null, lad25: null, lsoa21: null });
  });

  it('merges several into one all or none, and never audits a person’s name', async () => {
    await importSampleSpend(h.database.db, h.seed.organisationId, 'Spellings (sample data)', ['Payment Date,Supplier Name,Amount', '01/05/2025,Acme Ltd,100', '02/05/2025,ACME LIMITED,200', '03/05/2025,Acme Ltd.,300', '04/05/2025,Jane Smith,10', '05/05/2025,JANE SMITH,20']);
    const [kept, limited, dotted] = [await idOf('Acme Ltd'), await idOf('ACME LIMITED'), await idOf('Acme Ltd.')];
    await mergeSuppliers(h.database.db, h.seed.organisationId, kept, dotted, 'Same address', cliActor);
    await expect(mergeSuppliersInto(h.database.db, h.seed.organisationId, kept, [limited, dotted], 'Same company number', cliActor)).rejects.toThrow(/merged already/);
    expect((await h.database.db.select().from(suppliers).where(eq(suppliers.id, limited)))[0]!.mergedIntoId).toBeNull();
    expect(await mergeHistory(h.database.db, h.seed.organisationId)).toHaveLength(1);
    expect(await mergeSuppliersInto(h.database.db, h.seed.organisationId, kept, [limited], 'Same company number', cliActor)).toEqual({ paymentsMoved: 1 });
    await mergeSuppliers(h.database.db, h.seed.organisationId, await idOf('Jane Smith'), await idOf('JANE SMITH'), 'Same person', cliActor);
    const audits = await h.database.db.select().from(auditEvents).where(eq(auditEvents.action, 'community-wealth.supplier.merged'));
    expect(audits).toHaveLength(3);
    expect(JSON.stringify(audits.map((a) => a.details))).not.toMatch(/jane/i);
    expect(JSON.stringify(audits.map((a) => a.details))).toContain('Individual (name withheld)');
  });
});
