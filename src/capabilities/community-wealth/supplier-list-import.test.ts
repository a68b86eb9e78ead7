import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../../platform/audit/audit.ts';
import { ImportError } from '../../platform/data/csv.ts';
import { useSeededApp } from '../../../tests/support/app.ts';
import { engines } from '../../../tests/support/engines.ts';
import { suppliers } from './schema.ts';
import { importSupplierList } from './supplier-list-import.ts';
import { seedCommunityWealth, type WealthFixture } from './testing.ts';

/** A supplier list brought in: known suppliers updated, new ones added, and a bad row changes nothing (sample data). */
describe.each(engines)('importing a supplier list on %s', (engine) => {
  const h = useSeededApp(engine);
  let f: WealthFixture;
  beforeAll(async () => {
    f = await seedCommunityWealth(h.database, h.seed);
  });
  const list = (...lines: string[]) => Buffer.from(lines.join('\n'));
  const ours = async () => h.database.db.select().from(suppliers).where(eq(suppliers.organisationId, f.organisationId));
  const problemsOf = async (bytes: Buffer) => {
    const error = await importSupplierList(h.database.db, f.organisationId, bytes, 'suppliers.csv', cliActor).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImportError);
    return (error as ImportError).problems.map((p) => `${p.row} ${p.column}: ${p.message}`).concat((error as ImportError).message);
  };

  it('refuses a bad list, naming each row, and changes nothing', async () => {
    const before = await ours();
    expect(await problemsOf(list('Vendor,Type,Post Code,Company No', 'Local Care Ltd,Charity shop,WN3 5PH,', 'Big Tarmac PLC,large,not a postcode,123', ',sme,,', 'local care ltd,sme,,'))).toEqual(
      expect.arrayContaining([
        '2 Type: “Charity shop” is not a kind of supplier: use SME, large, VCSE, public or individual',
        '3 Post Code: “not a postcode” is not a postcode',
        '3 Company No: Enter a Companies House number as 8 characters, like 01234567 or SC123456',
        '4 Vendor: The supplier’s name is empty',
        '5 Vendor: local care ltd is also on row 2: give each supplier once',
      ]),
    );
    expect(await problemsOf(list('Name,Kind', 'Nul\u0000 Ltd,sme'))).toContain('2 Name: This row holds a NUL character, which is not text: the file may be damaged');
    expect(await problemsOf(list('Name,Postcode', 'Local Care Ltd,ZZ99 9ZZ'))).toContain('2 postcode: ZZ99 9ZZ is not a postcode Patchwork can place (it is not in the postcodes loaded, or has no place)');
    await expect(importSupplierList(h.database.db, f.organisationId, list('Kind,Postcode', 'sme,WN3 5PH'), 'suppliers.csv', cliActor)).rejects.toThrow('no column of supplier names');
    expect(await ours()).toEqual(before);
  });

  it('updates known suppliers with what the row gives and adds new ones', async () => {
    const report = await importSupplierList(
      h.database.db,
      f.organisationId,
      list('Supplier name,Supplier type,Postcode,Company number,Charity number', 'Big Tarmac PLC,Large,,sc 123456,', 'Marsh Green Community Association,VCSE,WN3 5PR,,1123456', 'New Start Cleaning Ltd (sample data),small or medium,WN3 5PH,01234567,', 'Jane Smith,,,,'),
      'suppliers.csv',
      cliActor,
    );
    expect(report).toEqual({ rows: 4, updated: 2, added: 2, placed: 2 });
    const byName = new Map((await ours()).map((s) => [s.name, s]));
    // Blank cells change nothing: Big Tarmac keeps its place in Leeds.
    expect(byName.get('Big Tarmac PLC')).toMatchObject({ kind: 'large', companyNumber: 'SC123456', lad25: 'E08000035' });
    expect(byName.get('Marsh Green Community Association')).toMatchObject({ kind: 'vcse', postcode: 'WN3 5PR', lad25: 'E08000010', charityNumber: '1123456' });
    expect(byName.get('New Start Cleaning Ltd (sample data)')).toMatchObject({ kind: 'sme', lad25: 'E08000010', companyNumber: '01234567' });
    expect(byName.get('Jane Smith')).toMatchObject({ kind: 'individual' });
  });
});
