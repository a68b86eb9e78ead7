import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../../platform/audit/audit.ts';
import { queryRows } from '../../platform/db/database.ts';
import { useSeededApp } from '../../../tests/support/app.ts';
import { engines } from '../../../tests/support/engines.ts';
import { loadWiganPlaces } from '../community-voice/testing.ts';
import { addSampleSpend, importSpendFromCommandLine, SpendCliError } from './spend-cli.ts';

/** Spend files from the command line, and the sample file generator (all sample data). */
describe.each(engines)('spend from the command line on %s', (engine) => {
  const h = useSeededApp(engine);
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'patchwork-spend-cli-'));
    await loadWiganPlaces(h.database.db);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('makes a source with the guessed mapping the first time, and reuses it', async () => {
    const db = h.database.db;
    const file = path.join(dir, 'april.csv');
    await writeFile(file, 'Payment Date,Supplier Name,Amount,Service Area\n07/04/2025,Acme Care Ltd,"1,250.00",Adults\n');
    await expect(importSpendFromCommandLine(db, h.seed.organisationId, { source: 'Council payments', district: null, file }, cliActor)).rejects.toThrow(SpendCliError);
    await expect(importSpendFromCommandLine(db, h.seed.organisationId, { source: 'Council payments', district: 'Nowhere', file }, cliActor)).rejects.toThrow('There is no 2025 district "Nowhere"');
    const first = await importSpendFromCommandLine(db, h.seed.organisationId, { source: 'Council payments', district: 'wigan', file }, cliActor);
    expect(first).toMatchObject({ paymentsAdded: 1, totalPence: 125000 });
    const may = path.join(dir, 'may.csv');
    await writeFile(may, 'Payment Date,Supplier Name,Amount,Service Area\n07/05/2025,Acme Care Ltd,10,Adults\n');
    await importSpendFromCommandLine(db, h.seed.organisationId, { source: 'Council payments', district: null, file: may }, cliActor);
    const [source] = await queryRows<{ n: number; lad: string; mapping: Record<string, string> }>(db, sql`select count(*)::int as n, min(home_lad25) as lad, (array_agg(mapping))[1] as mapping from spend_sources`);
    expect(source).toMatchObject({ n: 1, lad: 'E08000010', mapping: { paidOn: 'Payment Date', supplier: 'Supplier Name', amount: 'Amount', department: 'Service Area' } });
    const odd = path.join(dir, 'odd.csv');
    await writeFile(odd, 'When,Who,How much\n07/05/2025,Acme,10\n');
    await expect(importSpendFromCommandLine(db, h.seed.organisationId, { source: 'Odd', district: 'E08000010', file: odd }, cliActor)).rejects.toThrow('could not all be recognised');
  });

  it('imports a sample file of invented suppliers, some placed in the district', async () => {
    const db = h.database.db;
    const report = await addSampleSpend(db, h.seed.organisationId, { district: 'E08000010', rows: 2000, seed: 3 }, cliActor);
    expect(report.rowsRead).toBe(2000);
    expect(report.paymentsAdded).toBe(2000);
    expect(report.creditNotes).toBeGreaterThan(0);
    const [s] = await queryRows<{ named: number; unlabelled: number; local: number; individuals: number }>(
      db,
      sql`select count(*)::int as named, (count(*) filter (where name not like '%(sample data)' and kind <> 'individual'))::int as unlabelled,
            (count(*) filter (where lad25 = 'E08000010'))::int as local, (count(*) filter (where kind = 'individual'))::int as individuals
          from suppliers where name <> 'Acme Care Ltd'`,
    );
    expect(s!.unlabelled).toBe(0);
    expect(s!.local).toBeGreaterThan(0);
    expect(s!.individuals).toBe(1);
  });
});
