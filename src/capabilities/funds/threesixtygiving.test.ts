import { readFileSync } from 'node:fs';
import path from 'node:path';
import AjvDraft04, { type ErrorObject } from 'ajv-draft-04';
import ajvFormats from 'ajv-formats';
import { parse } from 'csv-parse/sync';
import { eq, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../../platform/audit/audit.ts';
import { queryRows } from '../../platform/db/database.ts';
import { Client, useSeededApp } from '../../../tests/support/app.ts';
import { engines } from '../../../tests/support/engines.ts';
import { loadWiganPlaces } from '../community-voice/testing.ts';
import { awardRound, recordGrant, type GrantInput } from './grants.ts';
import { fundRounds, funds, grants, proposals } from './schema.ts';
import { spreadsheetColumns } from './threesixtygiving.ts';

/**
 * The export checked against the 360Giving Data Standard's own JSON schemas (data/360giving/, see PROVENANCE.md).
 * The package schema points at the grant schema by URL; it is registered under that URL, so nothing is fetched.
 */
const schemaDir = path.join(import.meta.dirname, '../../../data/360giving');
const grantSchemaUrl = 'https://raw.githubusercontent.com/ThreeSixtyGiving/standard/master/schema/360-giving-schema.json';
function packageValidator() {
  // The standard's grant schema repeats "GBP" and "GB" in two enums, which the draft-04 meta-schema forbids, so
  // the schemas themselves are not checked against it; every rule in them is still applied to the data.
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
  addFormats(ajv);
  ajv.addSchema(JSON.parse(readFileSync(path.join(schemaDir, '360-giving-schema.json'), 'utf8')), grantSchemaUrl);
  return ajv.compile(JSON.parse(readFileSync(path.join(schemaDir, '360-giving-package-schema.json'), 'utf8')));
}
// Both are CommonJS packages whose `default` is the class or plugin itself.
const Ajv = AjvDraft04.default;
const addFormats = ajvFormats.default;
const problems = (errors: ErrorObject[] | null | undefined) => (errors ?? []).map((e) => `${e.instancePath} ${e.message}`);

describe('the 360Giving schemas', () => {
  it('are the standard’s own, parsed whole', () => {
    const grant = JSON.parse(readFileSync(path.join(schemaDir, '360-giving-schema.json'), 'utf8'));
    expect(grant.title).toBe('Three Sixty Giving Data Standard Schema');
    expect(grant.required).toEqual(['id', 'title', 'description', 'currency', 'amountAwarded', 'awardDate']);
    const validate = packageValidator();
    // A minimal grant passes; a package with no grants does not (the standard asks for at least one).
    expect(validate({ grants: [{ id: '360G-x-1', title: 't', description: 'd', currency: 'GBP', amountAwarded: 1, awardDate: '2026-01-01T00:00:00+00:00' }] })).toBe(true);
    expect(validate({ grants: [] })).toBe(false);
  });
});

describe.each(engines)('the 360Giving export on %s', (engine) => {
  const h = useSeededApp(engine);
  const db = () => h.database.db;
  const org = () => ({ id: h.seed.organisationId, slug: 'test-org' });
  let ward = { code: '', name: '' };
  let charityId = '';
  let individualId = '';
  let roundId = '';
  const common: GrantInput = {
    fundId: '',
    title: '',
    description: 'What it is for',
    recipientName: '',
    recipientKind: 'group',
    registeredNumber: '',
    amount: '100',
    awardDate: '2026-04-03',
    plannedStart: null,
    plannedEnd: null,
    postcode: '',
    wardCode: '',
    sample: true,
  };

  beforeAll(async () => {
    await loadWiganPlaces(db());
    [ward] = await queryRows<{ code: string; name: string }>(db(), sql`select code, name from areas where vintage = 'ward25' order by code limit 1`) as [typeof ward];
  });

  it('gives an empty package before there are any grants', async () => {
    const response = await new Client(h.app).get('/grants/360giving.json');
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ grants: [] });
  });

  it('exports a register of several kinds of grant that validates against the 360Giving package schema', async () => {
    charityId = await recordGrant(
      db(),
      org(),
      { ...common, title: 'Summer club (sample data)', recipientName: 'St Paul’s Community Trust', recipientKind: 'charity', registeredNumber: '1123456', amount: '1,250.50', plannedStart: '2026-05-01', plannedEnd: '2026-08-31', postcode: 'WN1 1AA' },
      cliActor,
    );
    individualId = await recordGrant(db(), org(), { ...common, title: 'Bursary for a course (sample data)', recipientName: 'Joe Privateperson', recipientKind: 'individual', amount: '300', wardCode: ward.code }, cliActor);
    await recordGrant(db(), org(), { ...common, title: 'Pantry fridge (sample data)', recipientName: 'Pemberton Pantry CIC', recipientKind: 'company', registeredNumber: '1234567', amount: '450' }, cliActor);
    const [fund] = await db().insert(funds).values({ organisationId: org().id, name: 'Ward Alliance Fund (sample data)', budgetPence: 1_000_000, sample: true }).returning();
    const [round] = await db().insert(fundRounds).values({ fundId: fund!.id, name: 'Pemberton 2026 (sample data)', budgetPence: 300_000, phase: 'results' }).returning();
    roundId = round!.id;
    await db().insert(proposals).values([
      { roundId, number: 1, title: 'Planters (sample data)', summary: 'Planters on the high street', amountPence: 120_000, applicantKind: 'community-group', groupName: 'Pemberton in Bloom', ward25: ward.code, status: 'funded' },
      { roundId, number: 2, title: 'Chess club (sample data)', summary: 'A weekly chess club', amountPence: 40_000, applicantKind: 'resident', groupName: 'a resident', contactName: 'Ann Hiddenname', status: 'funded' },
    ]);
    await awardRound(db(), org(), fund!, round!, cliActor);

    const response = await new Client(h.app).get('/grants/360giving.json');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('application/json');
    const data = JSON.parse(response.body) as { grants: Record<string, unknown>[] };
    expect(data.grants).toHaveLength(5);
    const validate = packageValidator();
    expect(problems(validate(data) ? null : validate.errors)).toEqual([]);

    // Hand-checked: the charity's grant, field by field.
    const [charity] = await db().select().from(grants).where(eq(grants.id, charityId));
    const [lsoa] = await queryRows<{ name: string }>(db(), sql`select name from areas where vintage = 'lsoa21' and code = 'E01006369'`);
    const [charityWard] = await queryRows<{ name: string }>(db(), sql`select name from areas where vintage = 'ward25' and code = ${charity!.beneficiaryWard25}`);
    expect(data.grants.find((g) => g.id === charity!.identifier)).toEqual({
      id: `360G-patchwork-test-org-${charityId.slice(0, 8)}`,
      title: 'Summer club (sample data)',
      description: 'What it is for',
      currency: 'GBP',
      amountAwarded: 1250.5,
      awardDate: '2026-04-03T00:00:00+00:00',
      plannedDates: [{ startDate: '2026-05-01T00:00:00+00:00', endDate: '2026-08-31T00:00:00+00:00' }],
      recipientOrganization: [{ id: 'GB-CHC-1123456', name: 'St Paul’s Community Trust', charityNumber: '1123456' }],
      fundingOrganization: [{ id: '360G-patchwork-test-org', name: 'Test Organisation' }],
      beneficiaryLocation: [
        { geoCode: charity!.beneficiaryWard25, geoCodeType: 'WD', name: charityWard!.name },
        { geoCode: 'E01006369', geoCodeType: 'LSOA', name: lsoa!.name },
      ],
      dateModified: charity!.updatedAt.toISOString(),
    });
    const [individual] = await db().select().from(grants).where(eq(grants.id, individualId));
    expect(data.grants.find((g) => g.id === individual!.identifier)).toMatchObject({
      amountAwarded: 300,
      recipientOrganization: [{ id: `360G-patchwork-test-org-individual-${individualId.slice(0, 8)}`, name: 'An individual' }],
      beneficiaryLocation: [{ geoCode: ward.code, geoCodeType: 'WD', name: ward.name }],
    });
    const fromRound = data.grants.filter((g) => String(g.id).startsWith(`360G-patchwork-test-org-${roundId.slice(0, 8)}-`));
    expect(fromRound.map((g) => [g.amountAwarded, (g.recipientOrganization as { name: string }[])[0]!.name, g.grantProgramme])).toEqual([
      [1200, 'Pemberton in Bloom', [{ title: 'Ward Alliance Fund (sample data)' }]],
      [400, 'An individual', [{ title: 'Ward Alliance Fund (sample data)' }]],
    ]);
    // The sum of the export is the sum of the register: £1,250.50 + £300 + £450 + £1,200 + £400 = £3,600.50.
    expect(data.grants.reduce((sum, g) => sum + Math.round((g.amountAwarded as number) * 100), 0)).toBe(360_050);
    // Individuals' names are never exported.
    expect(response.body).not.toContain('Joe Privateperson');
    expect(response.body).not.toContain('Ann Hiddenname');
  });

  it('fails validation when the export is broken', async () => {
    const data = JSON.parse((await new Client(h.app).get('/grants/360giving.json')).body) as { grants: Record<string, unknown>[] };
    const broken = structuredClone(data);
    delete broken.grants[0]!.currency;
    broken.grants[1]!.amountAwarded = '£300';
    broken.grants[2]!.awardDate = '3 April 2026';
    delete (broken.grants[3]!.recipientOrganization as Record<string, unknown>[])[0]!.name;
    const validate = packageValidator();
    expect(validate(broken)).toBe(false);
    expect(problems(validate.errors)).toEqual(
      expect.arrayContaining([
        "/grants/0 must have required property 'currency'",
        '/grants/1/amountAwarded must be number',
        '/grants/2/awardDate must match format "date-time"',
        "/grants/3/recipientOrganization/0 must have required property 'name'",
      ]),
    );
  });

  it('gives the spreadsheet form with 360Giving’s column titles, and only one organisation’s when asked', async () => {
    const response = await new Client(h.app).get('/grants/360giving.csv');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/csv');
    const rows = parse(response.body.replace(/^\uFEFF/, ''), { columns: true }) as Record<string, string>[];
    expect(response.body.replace(/^\uFEFF/, '').split('\r\n')[0]).toBe(spreadsheetColumns.join(','));
    expect(spreadsheetColumns.slice(0, 6)).toEqual(['Identifier', 'Title', 'Description', 'Currency', 'Amount Awarded', 'Award Date']);
    expect(rows).toHaveLength(5);
    const [charity] = await db().select().from(grants).where(eq(grants.id, charityId));
    expect(rows.find((r) => r.Identifier === charity!.identifier)).toMatchObject({
      Title: 'Summer club (sample data)',
      Currency: 'GBP',
      'Amount Awarded': '1250.50',
      'Award Date': '2026-04-03',
      'Planned Dates:Start Date': '2026-05-01',
      'Planned Dates:End Date': '2026-08-31',
      'Recipient Org:Identifier': 'GB-CHC-1123456',
      'Recipient Org:Name': 'St Paul’s Community Trust',
      'Recipient Org:Charity Number': '1123456',
      'Recipient Org:Company Number': '',
      'Funding Org:Identifier': '360G-patchwork-test-org',
      'Funding Org:Name': 'Test Organisation',
      'Beneficiary Location:Geographic Code': charity!.beneficiaryWard25,
      'Beneficiary Location:Geographic Code Type': 'WD',
      'Beneficiary Location:1:Geographic Code': 'E01006369',
      'Beneficiary Location:1:Geographic Code Type': 'LSOA',
    });
    expect(rows.find((r) => r['Recipient Org:Company Number'])).toMatchObject({ 'Recipient Org:Identifier': 'GB-COH-01234567', 'Recipient Org:Company Number': '01234567' });
    expect(rows.filter((r) => r['Recipient Org:Name'] === 'An individual')).toHaveLength(2);
    expect(response.body).not.toContain('Joe Privateperson');
    expect(response.body).not.toContain('Ann Hiddenname');

    expect(parse((await new Client(h.app).get('/grants/360giving.csv?organisation=nobody')).body.replace(/^\uFEFF/, ''), { columns: true })).toHaveLength(0);
    expect(JSON.parse((await new Client(h.app).get('/grants/360giving.json?organisation=test-org')).body).grants).toHaveLength(5);
  });
});
