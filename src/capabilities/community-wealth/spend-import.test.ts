import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../../platform/audit/audit.ts';
import { queryRows } from '../../platform/db/database.ts';
import { ImportError } from '../../platform/data/csv.ts';
import { useSeededApp } from '../../../tests/support/app.ts';
import { engines } from '../../../tests/support/engines.ts';
import { spendSources } from './schema.ts';
import { guessMapping } from './spend-columns.ts';
import { importSpend } from './spend-import.ts';
import { loadWiganPlaces } from '../community-voice/testing.ts';
import { spendShapeA as shapeA, spendShapeB as shapeB } from './testing.ts';

/**
 * Two councils publish the same payments in different shapes; both import to the same payments, suppliers are
 * found again by name, a repeated file or overlapping month adds nothing twice, and a bad row changes nothing.
 * All sample data.
 */
describe.each(engines)('importing spend files on %s', (engine) => {
  const h = useSeededApp(engine);
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'patchwork-spend-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const fileOf = async (name: string, text: string) => {
    const file = path.join(dir, name);
    await writeFile(file, text);
    return file;
  };
  const sourceFor = async (name: string, header: string) => {
    const [s] = await h.database.db.insert(spendSources).values({ organisationId: h.seed.organisationId, name, mapping: guessMapping(header.split(',')), sample: true }).returning({ id: spendSources.id });
    return s!.id;
  };
  const paymentsOf = (sourceId: string) =>
    queryRows<{ paid_on: string; supplier: string; amount_pence: string; department: string; purpose: string; reference: string }>(
      h.database.db,
      sql`select p.paid_on::text, s.name as supplier, p.amount_pence::text, p.department, p.purpose, p.reference from payments p join suppliers s on s.id = p.supplier_id
          where p.source_id = ${sourceId} order by p.paid_on, p.reference, p.amount_pence`,
    );

  it('gets the same payments from two differently shaped files', async () => {
    const a = await sourceFor('Sample council A', shapeA.split('\n')[0]!);
    const b = await sourceFor('Sample council B', shapeB.split('\n')[0]!);
    const reportA = await importSpend(h.database.db, a, await fileOf('a.csv', shapeA), 'a.csv', cliActor);
    const reportB = await importSpend(h.database.db, b, await fileOf('b.csv', shapeB), 'b.csv', cliActor);
    for (const report of [reportA, reportB]) {
      expect(report).toMatchObject({ rowsRead: 5, paymentsAdded: 5, duplicatesSkipped: 0, creditNotes: 1, totalPence: 125000 + 60050 * 2 - 20000 + 500000, suppliersAdded: 3, firstPaidOn: '2025-04-07', lastPaidOn: '2025-04-10' });
    }
    const rowsA = await paymentsOf(a);
    expect(rowsA).toEqual(await paymentsOf(b));
    expect(rowsA[0]).toEqual({ paid_on: '2025-04-07', supplier: 'Acme Care Ltd', amount_pence: '125000', department: 'Adult Social Care', purpose: 'Care packages', reference: 'T1001' });
  });

  it('adds nothing twice: the same file is refused, and an overlapping file adds only its new lines', async () => {
    const [a] = await h.database.db.select().from(spendSources).where(sql`name = 'Sample council A'`);
    await expect(importSpend(h.database.db, a!.id, await fileOf('again.csv', shapeA), 'again.csv', cliActor)).rejects.toThrow(/imported already/);
    const overlap = [...shapeA.split('\n'), 'Sample Council,Highways,Road repairs,11/04/2025,T1005,75.25,Tarmac Sample Plc'].join('\n');
    const report = await importSpend(h.database.db, a!.id, await fileOf('overlap.csv', overlap), 'overlap.csv', cliActor);
    expect(report).toMatchObject({ rowsRead: 6, paymentsAdded: 1, duplicatesSkipped: 5, suppliersAdded: 1 });
    const [{ n }] = (await queryRows<{ n: number }>(h.database.db, sql`select count(*)::int as n from payments where source_id = ${a!.id}`)) as [{ n: number }];
    expect(n).toBe(6);
  });

  it('refuses a file with a bad row, naming it, and changes nothing', async () => {
    const [a] = await h.database.db.select().from(spendSources).where(sql`name = 'Sample council A'`);
    const before = await queryRows<{ n: number }>(h.database.db, sql`select (select count(*) from payments)::int + (select count(*) from suppliers)::int as n`);
    const bad = [shapeA.split('\n')[0], 'Sample Council,Highways,Road repairs,31/02/2025,T2001,10,New Supplier Ltd', 'Sample Council,Highways,Road repairs,01/03/2025,T2002,ten pounds,New Supplier Ltd', 'Sample Council,Highways,Road repairs,01/03/2025,T2003,10,'].join('\n');
    const error = await importSpend(h.database.db, a!.id, await fileOf('bad.csv', bad), 'bad.csv', cliActor).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImportError);
    expect((error as ImportError).problems).toEqual([
      { row: 2, column: 'Payment Date', message: '“31/02/2025” is not a real date' },
      { row: 3, column: 'Amount', message: '“ten pounds” is not an amount in pounds and pence' },
      { row: 4, column: 'Supplier Name', message: 'The supplier’s name is empty' },
    ]);
    expect(await queryRows<{ n: number }>(h.database.db, sql`select (select count(*) from payments)::int + (select count(*) from suppliers)::int as n`)).toEqual(before);
    const wrongShape = await importSpend(h.database.db, a!.id, await fileOf('b-shaped.csv', shapeB), 'b-shaped.csv', cliActor).catch((e: unknown) => e);
    expect((wrongShape as Error).message).toMatch(/does not match this source’s columns: .*no column “Payment Date” for the payment date/);
  });

  it('places new suppliers by the postcode in the file, leaving unknown postcodes unplaced', async () => {
    await loadWiganPlaces(h.database.db);
    const header = 'Payment Date,Supplier Name,Amount,Supplier Postcode';
    const id = await sourceFor('Sample council C', header);
    const file = await fileOf('c.csv', [header, '01/04/2025,Wigan Bakery Ltd,100,WN1 1AA', '02/04/2025,Wigan Bakery Ltd,50,', '03/04/2025,Nowhere Ltd,70,ZZ99 9ZZ', '04/04/2025,Mr J Smith,20,WN1 1AA'].join('\n'));
    await importSpend(h.database.db, id, file, 'c.csv', cliActor);
    const placed = await queryRows<{ name: string; postcode: string | null; lad25: string | null; lsoa21: string | null; ward25: string | null }>(h.database.db, sql`select s.name, s.postcode, s.lad25, s.lsoa21, s.ward25 from suppliers s join supplier_aliases a on a.supplier_id = s.id where a.source_id = ${id} order by s.name`);
    expect(placed.map((p) => [p.name, p.postcode, p.lad25])).toEqual([
      ['Mr J Smith', null, null],
      ['Nowhere Ltd', null, null],
      ['Wigan Bakery Ltd', 'WN1 1AA', 'E08000010'],
    ]);
    expect(placed[2]!.lsoa21).toMatch(/^E01/);
    expect(placed[2]!.ward25).toMatch(/^E05/);
  });
});
