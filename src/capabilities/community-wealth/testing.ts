import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { and, eq, sql } from 'drizzle-orm';
import { addPerson } from '../../../tests/support/app.ts';
import { cliActor } from '../../platform/audit/audit.ts';
import { organisations } from '../../platform/auth/schema.ts';
import { queryRows, type Database, type Db } from '../../platform/db/database.ts';
import { loadWiganPlaces } from '../community-voice/testing.ts';
import { editions, indicators, indicatorValues } from '../indicators/schema.ts';
import { createNeighbourhood } from '../neighbourhoods/service.ts';
import { resummariseSuppliers } from './spend-summary.ts';
import { spendSources, suppliers, type SupplierKind } from './schema.ts';
import { guessMapping } from './spend-columns.ts';
import { importSpend } from './spend-import.ts';

/**
 * A spend file small enough to work out by hand (all sample data). Home district: Wigan (E08000010).
 *   2024-25: Local Care £1,000 + Marsh Green CA £500 (local) of £4,600 (Big Tarmac £3,000 in Leeds, an individual £100) → 32.6%
 *   2025-26: Local Care £2,000 − £200 credit + Marsh Green CA £700 (local) of £3,500 (Big Tarmac £1,000) → 71.4%
 *   All: £4,000 local of £8,100 → 49.4%; £100 with no known place.
 * Local Care and Marsh Green CA are in E01006410 (Worsley Mesnes, decile 1 of the sample edition); Big Tarmac in
 * E01011229 (Leeds, decile 8).
 */
export const handWorkedSpend = [
  'Payment Date,Supplier Name,Amount,Service Area,Transaction Number',
  '01/05/2024,Local Care Ltd,1000,Adults,T1',
  '01/06/2024,Big Tarmac PLC,3000,Highways,T2',
  '31/03/2025,Marsh Green Community Association,500,Communities,T3',
  '01/07/2024,REDACTED,100,Adults,T4',
  '01/04/2025,Local Care Ltd,2000,Adults,T5',
  '15/04/2025,Local Care Ltd,-200,Adults,T6',
  '01/05/2025,Big Tarmac PLC,1000,Highways,T7',
  '01/06/2025,Marsh Green Community Association,700,Communities,T8',
];

export const handWorkedPlaces: Record<string, { kind: SupplierKind; lad25: string | null; lsoa21: string | null; ward25: string | null; postcode: string | null }> = {
  'Local Care Ltd': { kind: 'sme', lad25: 'E08000010', lsoa21: 'E01006410', ward25: null, postcode: 'WN3 5PH' },
  'Big Tarmac PLC': { kind: 'large', lad25: 'E08000035', lsoa21: 'E01011229', ward25: null, postcode: null },
  'Marsh Green Community Association': { kind: 'vcse', lad25: 'E08000010', lsoa21: 'E01006410', ward25: null, postcode: 'WN3 5PP' },
  REDACTED: { kind: 'individual', lad25: null, lsoa21: null, ward25: null, postcode: null },
};

/** The same five payments as two councils publish them: differently named, ordered and formatted columns (sample data). */
export const spendShapeA = [
  'Body Name,Service Area,Expense Type,Payment Date,Transaction Number,Amount,Supplier Name',
  'Sample Council,Adult Social Care,Care packages,07/04/2025,T1001,"1,250.00",Acme Care Ltd',
  'Sample Council,Highways,Road repairs,08-Apr-2025,T1002,600.50,Tarmac Sample PLC',
  'Sample Council,Highways,Road repairs,08-Apr-2025,T1002,600.50,Tarmac Sample PLC',
  'Sample Council,Adult Social Care,Care packages,2025-04-09,T1003,(200.00),Acme Care Ltd',
  'Sample Council,Communities,Grants,10/04/2025,T1004,5000,Marsh Green Community Association',
].join('\n');
export const spendShapeB = [
  'Directorate,Vendor,Date Paid,Net Amount,Description,Transaction ID',
  'Adult Social Care,Acme Care Ltd,2025-04-07,1250,Care packages,T1001',
  'Highways,Tarmac Sample PLC,2025-04-08,£600.50,Road repairs,T1002',
  'Highways,Tarmac Sample PLC,2025-04-08,£600.50,Road repairs,T1002',
  'Adult Social Care,Acme Care Ltd,2025-04-09,-200,Care packages,T1003',
  'Communities,Marsh Green Community Association,2025-04-10,"5,000.00",Grants,T1004',
].join('\n');

/** Imports lines as a new source of the organisation's (named "… (sample data)"), returning the source's id. */
export async function importSampleSpend(db: Db, organisationId: string, name: string, lines: readonly string[], homeLad25: string | null = 'E08000010'): Promise<string> {
  const [source] = await db.insert(spendSources).values({ organisationId, name, mapping: guessMapping(lines[0]!.split(',')), homeLad25, sample: true }).returning({ id: spendSources.id });
  const dir = await mkdtemp(path.join(tmpdir(), 'patchwork-spend-'));
  try {
    const file = path.join(dir, 'spend.csv');
    await writeFile(file, lines.join('\n'));
    await importSpend(db, source!.id, file, 'spend.csv', cliActor);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return source!.id;
}

/** Sets the hand-worked suppliers' kinds and places (the ward from the lookups once Wigan's places are loaded). */
export async function placeHandWorkedSuppliers(db: Db, organisationId: string): Promise<Record<string, string>> {
  const ids: Record<string, string> = {};
  for (const [name, place] of Object.entries(handWorkedPlaces)) {
    // The ward from the lookups, when Wigan's places are loaded.
    const [ward] = place.lsoa21
      ? await queryRows<{ code: string }>(db, sql`select to_code as code from area_lookups where from_vintage = 'lsoa21' and from_code = ${place.lsoa21} and to_vintage = 'ward25' order by share desc nulls last limit 1`)
      : [];
    const [row] = await db
      .update(suppliers)
      .set({ ...place, ward25: ward?.code ?? place.ward25 })
      .where(and(eq(suppliers.organisationId, organisationId), eq(suppliers.name, name)))
      .returning({ id: suppliers.id });
    ids[name] = row!.id;
  }
  await resummariseSuppliers(db, Object.values(ids));
  return ids;
}

/** A sample IoD edition on 2021 LSOAs with two deciles, so spend by deprivation has something to read. */
export async function sampleDecileEdition(db: Db): Promise<void> {
  await db.insert(editions).values({ id: 'sample21', label: 'Sample edition (sample data)', lsoaVintage: 'lsoa21', ladVintage: 'lad24', wardVintage: 'ward24', populationIndicatorId: 'sample21.population', publishedOn: '2025-10-30', publisher: 'Sample', licence: 'OGL', lsoaCount: 2 });
  await db.insert(indicators).values({ id: 'sample21.imd', editionId: 'sample21', domain: 'imd', label: 'IMD (sample)', unit: 'score', direction: 'higher-is-worse', vintage: 'lsoa21', period: '2025', source: 'Sample', licence: 'OGL' });
  await db.insert(indicatorValues).values([
    { indicatorId: 'sample21.imd', code: 'E01006410', value: 60, rank: 100, decile: 1 },
    { indicatorId: 'sample21.imd', code: 'E01011229', value: 10, rank: 25000, decile: 8 },
  ]);
}

/**
 * What the community wealth route and browser tests share, on tests/support/app.ts seedPeople ("test-org", one member
 * per role), with Wigan's boundaries and WN postcodes loaded:
 * - test-org's source "Sample council payments (sample data)" holding the hand-worked file, suppliers placed;
 * - a neighbourhood of test-org's, "Marsh Green Patch (sample data)", of E01006410 and E01006411;
 * - "other-org" with its own source, whose suppliers and files test-org's people must not reach;
 *   elsewhere@example.org is a member of other-org.
 */
export type WealthFixture = {
  organisationId: string;
  sourceId: string;
  supplierIds: Record<string, string>;
  neighbourhoodId: string;
  otherOrganisationId: string;
  otherSourceId: string;
  otherSupplierId: string;
};

export async function seedCommunityWealth(database: Database, seeded: { organisationId: string }): Promise<WealthFixture> {
  const db = database.db;
  await loadWiganPlaces(db);
  await sampleDecileEdition(db);
  const sourceId = await importSampleSpend(db, seeded.organisationId, 'Sample council payments (sample data)', handWorkedSpend);
  const supplierIds = await placeHandWorkedSuppliers(db, seeded.organisationId);
  const neighbourhoodId = await createNeighbourhood(
    db,
    { name: 'Marsh Green Patch (sample data)', purpose: 'locality', sharing: 'organisation', description: null },
    { method: 'lsoas', geography: 'lsoa21', codes: ['E01006410', 'E01006411'] },
    { organisationId: seeded.organisationId, userId: null },
    cliActor,
  );
  const [other] = await db.insert(organisations).values({ slug: 'other-org', name: 'Other Organisation', kind: 'council' }).returning({ id: organisations.id });
  await addPerson(database, 'elsewhere@example.org', other!.id, 'member', 'Elsie Elsewhere');
  const otherSourceId = await importSampleSpend(db, other!.id, 'Other payments (sample data)', ['Payment Date,Supplier Name,Amount', '01/05/2025,Elsewhere Supplies Ltd,900']);
  const [otherSupplier] = await db.select({ id: suppliers.id }).from(suppliers).where(eq(suppliers.organisationId, other!.id));
  return { organisationId: seeded.organisationId, sourceId, supplierIds, neighbourhoodId, otherOrganisationId: other!.id, otherSourceId, otherSupplierId: otherSupplier!.id };
}
