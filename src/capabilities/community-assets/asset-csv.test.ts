import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { sql } from 'drizzle-orm';
import { loadWiganBoundaries, sampleRecord } from './testing.ts';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import writeExcelFile from 'write-excel-file/node';
import { cliActor } from '../../platform/audit/audit.ts';
import { queryRows } from '../../platform/db/database.ts';
import { createTestDatabase, engines, type TestDatabase } from '../../../tests/support/engines.ts';
import { Client, emailOf, seedPeople, startTestApp } from '../../../tests/support/app.ts';
import { loadBundledSteps } from '../../../tests/support/data.ts';
import { csvColumns, exportCsv, formatSchedule, readAssetCsvBytes, readSchedule, readTimes, templateCsv } from './asset-csv.ts';
import { createService, getService, type ScheduleInput, type ServiceInput } from './service.ts';
import { problemText, runImport, TransferError, type Importer } from './transfer.ts';

const schedule = (s: Partial<ScheduleInput>): ScheduleInput => ({ freq: 'WEEKLY', interval: 1, byDay: 'TU', opensAt: null, closesAt: null, validFrom: null, validTo: null, description: null, ...s });

describe('times in words', () => {
  it('writes every schedule so that it reads back the same', () => {
    for (const s of [
      schedule({ opensAt: '10:00', closesAt: '12:00', description: 'Lunch club' }),
      schedule({ interval: 2, byDay: 'MO,TH', opensAt: '09:30', validFrom: '2026-01-05', validTo: '2026-07-20' }),
      schedule({ freq: 'MONTHLY', byDay: '2TU', opensAt: '18:30', closesAt: '20:00', description: 'Quiz (bring a pen; and friends)' }),
      schedule({ freq: 'MONTHLY', interval: 3, byDay: '-1FR,1MO', closesAt: '11:00' }),
      schedule({ freq: 'MONTHLY', byDay: '4TH' }),
      schedule({ freq: 'MONTHLY', byDay: 'TU' }),
      schedule({ byDay: 'SU,SA', opensAt: '00:00', closesAt: '23:59' }),
    ]) {
      expect(readSchedule(formatSchedule(s)), formatSchedule(s)).toEqual(s);
    }
    expect(formatSchedule(schedule({ freq: 'MONTHLY', byDay: '2TU', opensAt: '18:30', closesAt: '20:00' }))).toBe('2nd Tuesday monthly 18:30-20:00');
  });

  it('reads times as an officer might type them', () => {
    expect(readSchedule('Mon-Fri 9am-5pm')).toEqual(schedule({ byDay: 'MO,TU,WE,TH,FR', opensAt: '09:00', closesAt: '17:00' }));
    expect(readSchedule('Monday to Friday 09:00 to 17:00')).toEqual(schedule({ byDay: 'MO,TU,WE,TH,FR', opensAt: '09:00', closesAt: '17:00' }));
    expect(readSchedule('every other Tuesday 2pm-4pm')).toEqual(schedule({ interval: 2, opensAt: '14:00', closesAt: '16:00' }));
    expect(readSchedule('Tuesdays 10.00-12.00')).toEqual(schedule({ opensAt: '10:00', closesAt: '12:00' }));
    expect(readSchedule('1st and 3rd Monday 19:00-21:00')).toEqual(schedule({ freq: 'MONTHLY', byDay: '1MO,3MO', opensAt: '19:00', closesAt: '21:00' }));
    expect(readSchedule('last Friday of the month')).toEqual(schedule({ freq: 'MONTHLY', byDay: '-1FR' }));
    expect(readSchedule('fortnightly Wed from 10:00 until 31/12/2026')).toEqual(schedule({ interval: 2, byDay: 'WE', opensAt: '10:00', validTo: '2026-12-31' }));
    expect(readTimes('Tuesday 10:00-12:00 (Lunch club); 2nd Thursday monthly 18:30-20:00\nSunday').schedules.map((s) => s.byDay)).toEqual(['TU', '2TH', 'SU']);
  });

  it('says what it cannot read', () => {
    expect(readSchedule('Tusday 10:00')).toMatch(/“tusday” is not understood; write times like “Tuesday 10:00-12:00”/);
    expect(readSchedule('10:00-12:00')).toMatch(/does not say which day/);
    expect(readSchedule('every 2 tuesdays')).toMatch(/say every 2 weeks or every 2 months/);
    expect(readSchedule('weekly 2nd Tuesday')).toMatch(/happens monthly, not weekly/);
    expect(readSchedule('Tuesday 2026-01-01')).toMatch(/say whether 2026-01-01 is when it starts/);
    expect(readSchedule('Tuesday 10:00 11:00 12:00')).toMatch(/more than two times/);
    expect(readSchedule('Tuesday (note) 10:00')).toMatch(/a note in brackets goes at the end/);
  });
});

describe('the template', () => {
  it('has every column, one example row marked as sample data, and each column is documented', async () => {
    const rows = parse(templateCsv(), { bom: true, columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(1);
    expect(Object.keys(rows[0]!)).toEqual(csvColumns(1, 2).map((c) => c.name));
    expect(rows[0]).toMatchObject({ name: 'Pemberton Community Centre (sample data)', sample: 'yes', times: 'Tuesday 10:00-12:00 (Lunch club); 2nd Thursday monthly 18:30-20:00' });
    const docs = await readFile(path.resolve('docs/ASSETS-CSV.md'), 'utf8');
    for (const c of csvColumns(2, 2)) expect(docs, c.name).toContain(`\`${c.name}\``);
    expect(/```csv\n([\s\S]*?)```/.exec(docs)![1]).toBe(templateCsv().replace(/^\uFEFF/, '').replace(/\r\n/g, '\n'));
  });
});

async function wiganDatabase(engine: (typeof engines)[number]) {
  const database = await createTestDatabase(engine);
  const { organisationId } = await seedPeople(database);
  await loadBundledSteps(database.db, ['postcodes.nspl2021']);
  await loadWiganBoundaries(database.db);
  return { database, importer: { id: organisationId, slug: 'test-org' } as Importer };
}

function record(overrides: Partial<ServiceInput>): ServiceInput {
  return sampleRecord({
    organisation: { name: 'Pemberton Community Trust (sample data)', description: 'Runs the centre. Sample data.', url: 'https://example.org/trust', email: null, phone: null },
    description: 'A hall and café for hire. Sample data.',
    free: true,
    wheelchairAccessible: true,
    lastChecked: '2026-02-01',
    locations: [{ name: 'Pemberton Community Centre', address1: '1 Sample Street', city: 'Wigan', postcode: 'WN5 9AB', longitude: null, latitude: null, accessibility: null }],
    schedules: [schedule({ opensAt: '10:00', closesAt: '12:00', description: 'Lunch club' })],
    contacts: [
      { kind: 'organisation', name: 'Bookings', title: null, phone: '01942 000000', email: 'bookings@example.org', public: true },
      { kind: 'private-individual', name: 'A volunteer', title: null, phone: '07700 900123', email: null, public: false },
      { kind: 'staff', name: 'Sam (sample data)', title: 'Manager', phone: null, email: 'sam@example.org', public: false },
    ],
    sample: true,
    ...overrides,
  });
}

const count = async (db: TestDatabase['db']) => (await queryRows<{ n: number }>(db, sql`select count(*)::int as n from directory_services`))[0]!.n;
const rowsOf = (csv: string) => parse(csv, { bom: true, columns: true }) as Record<string, string>[];
const csvOf = (rows: Record<string, string>[]) => stringify(rows, { header: true, columns: Object.keys(rows[0]!) });

describe.each(engines)('the CSV template on %s', (engine) => {
  let source: TestDatabase;
  let target: TestDatabase;
  let importer: Importer;
  let fresh: Importer;
  let app: FastifyInstance;
  const ids: Record<string, string> = {};
  const importCsv = async (db: TestDatabase['db'], who: Importer, text: string | Buffer) => runImport(db, await readAssetCsvBytes(Buffer.isBuffer(text) ? text : Buffer.from(text), 'upload.csv'), who, null, cliActor);
  const refusal = async (db: TestDatabase['db'], who: Importer, text: string) => {
    const error = await importCsv(db, who, text).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransferError);
    return (error as TransferError).transferProblems.map(problemText);
  };

  beforeAll(async () => {
    ({ database: source, importer } = await wiganDatabase(engine));
    ({ database: target, importer: fresh } = await wiganDatabase(engine));
    const owner = { organisationId: importer.id, userId: null };
    ids.centre = await createService(source.db, record({}), owner, cliActor);
    ids.walks = await createService(
      source.db,
      record({
        kind: 'activity',
        name: 'Wigan Walking Group (sample data)',
        description: '=HYPERLINK("https://example.org") walks for everyone. Sample data.',
        categories: ['physical-activity', 'social-group'],
        organisation: { name: 'Wigan Walkers (sample data)', description: null, url: null, email: 'walk@example.org', phone: '+44 1942 444444' },
        free: false,
        fees: '£1 a walk',
        eligibility: 'Adults',
        minimumAge: 16,
        wheelchairAccessible: false,
        locations: [
          { name: 'Wigan Pier', address1: null, city: 'Wigan', postcode: 'WN1 1AA', longitude: -2.634, latitude: 53.5475, accessibility: 'Flat path' },
          { name: 'Pemberton Park gates', address1: null, city: null, postcode: 'WN5 9AB', longitude: null, latitude: null, accessibility: null },
        ],
        schedules: [schedule({ interval: 2, byDay: 'SA', opensAt: '10:00', closesAt: '12:00', validFrom: '2026-01-03' }), schedule({ freq: 'MONTHLY', byDay: '-1FR', opensAt: '18:00' })],
        contacts: [{ kind: 'organisation', name: null, title: null, phone: '+44 1942 444444', email: null, public: true }],
        sample: false,
      }),
      owner,
      cliActor,
    );
    ids.phone = await createService(
      source.db,
      record({
        kind: 'activity',
        name: 'Phone befriending (sample data)',
        status: 'inactive',
        categories: ['older-people'],
        free: null,
        wheelchairAccessible: null,
        locations: [],
        schedules: [],
        contacts: [{ kind: 'private-individual', name: 'Pat', title: null, phone: '07700 900999', email: null, public: false }],
      }),
      owner,
      cliActor,
    );
    app = await startTestApp(source);
  }, 600_000);
  afterAll(async () => {
    await app?.close();
    await source?.drop();
    await target?.drop();
  });

  it('exports in the template’s layout, and the export re-imports to the same file', async () => {
    const first = await exportCsv(source.db, importer.id);
    const rows = rowsOf(first);
    expect(rows.map((r) => r.name)).toEqual(['Pemberton Community Centre (sample data)', 'Phone befriending (sample data)', 'Wigan Walking Group (sample data)']);
    const walks = rows.find((r) => r.id === ids.walks)!;
    expect(walks).toMatchObject({
      times: 'every 2 weeks Saturday 10:00-12:00 from 2026-01-03; last Friday monthly from 18:00',
      // Categories and locations in the order records show them: by name.
      categories: 'social-group; physical-activity',
      free: 'no',
      minimum_age: '16',
      // Guarded against being run as a formula, and placed exactly (so the coordinates are kept) or by postcode (so they are not).
      description: `'=HYPERLINK("https://example.org") walks for everyone. Sample data.`,
      organisation_phone: `'+44 1942 444444`,
      location_name: 'Pemberton Park gates',
      postcode: 'WN5 9AB',
      longitude: '',
      location_2_name: 'Wigan Pier',
      location_2_longitude: '-2.634',
      location_2_latitude: '53.5475',
    });
    expect(rows.find((r) => r.id === ids.centre)).toMatchObject({ contact_kind: 'organisation', contact_public: 'yes', contact_2_kind: 'private individual', contact_2_public: 'no', contact_3_kind: 'staff', contact_3_public: 'no', longitude: '' });

    const result = await importCsv(target.db, fresh, first);
    expect(result).toMatchObject({ total: 3, created: 3, updated: 0 });
    expect(await exportCsv(target.db, fresh.id)).toBe(first);
    const copied = (await getService(target.db, ids.walks!))!;
    expect(copied.description).toBe('=HYPERLINK("https://example.org") walks for everyone. Sample data.');
    expect(copied.locations.find((l) => l.name === 'Wigan Pier')).toMatchObject({ longitude: -2.634, latitude: 53.5475, lad25: { code: 'E08000010', name: 'Wigan' } });
    expect((await getService(target.db, ids.phone!))!.contacts).toEqual([expect.objectContaining({ kind: 'private-individual', public: false, phone: '07700 900999' })]);

    expect(await importCsv(target.db, fresh, first)).toMatchObject({ total: 3, created: 0, updated: 3 });
    expect(await exportCsv(target.db, fresh.id)).toBe(first);
  });

  it('takes an edited export back: changed rows update their records and a row without an id is added', async () => {
    const rows = rowsOf(await exportCsv(target.db, fresh.id));
    const centre = rows.find((r) => r.id === ids.centre)!;
    centre.times = 'Wednesdays 1pm-3pm';
    centre.postcode = 'WN1 1AE';
    rows.push({ ...Object.fromEntries(Object.keys(centre).map((k) => [k, ''])), name: 'Worsley Mesnes Allotments (sample data)', kind: 'place', categories: 'Allotments and community gardens', organisation: 'Wigan Allotment Society (sample data)', postcode: 'wn5 9ad', sample: 'yes' });
    const result = await importCsv(target.db, fresh, csvOf(rows));
    expect(result).toMatchObject({ total: 4, created: 1, updated: 3 });
    const updated = (await getService(target.db, ids.centre!))!;
    expect(updated.schedules.map((s) => s.text)).toEqual(['Every Wednesday, 13:00 to 15:00']);
    expect(updated.locations[0]!.postcode).toBe('WN1 1AE');
    const [added] = await queryRows<{ id: string }>(target.db, sql`select id from directory_services where name = 'Worsley Mesnes Allotments (sample data)'`);
    const allotments = (await getService(target.db, added!.id))!;
    expect(allotments.categories.map((c) => c.id)).toEqual(['allotment']);
    expect(allotments.locations[0]!.postcode).toBe('WN5 9AD');
    expect(allotments.sample).toBe(true);
  });

  it('names every problem by row and column, and writes nothing when any row has one', async () => {
    const header = 'name,kind,categories,organisation,times,postcode,longitude,latitude';
    const before = await count(target.db);
    const problems = await refusal(
      target.db,
      fresh,
      [
        header,
        'A good hall (sample data),place,community-space,Trust,Tuesday 10:00-12:00,WN5 9AB,,',
        'Nowhere Hall (sample data),place,community-space,Trust,,WN9 9ZZ,,',
        'Misspelt Club (sample data),activity,group-club,Trust,Tusday 10:00-12:00,,,',
        ',place,library,Trust,,WN5 9AB,,',
        'Odd Hall (sample data),place,no-such-thing,Trust,,WN5 9AB,,',
        'Far Hall (sample data),place,community-space,Trust,,WN1 1AA,-2.5160,53.4972',
      ].join('\n'),
    );
    expect(problems.sort()).toEqual(
      [
        'Row 3, postcode: WN9 9ZZ is not among the postcodes loaded into Patchwork: check it, or give the location’s longitude and latitude',
        'Row 4, times: “Tusday 10:00-12:00”: “tusday” is not understood; write times like “Tuesday 10:00-12:00” or “2nd Thursday monthly 18:30-20:00”',
        'Row 5, name: Enter the name of the asset or activity',
        'Row 6, categories: Unknown category “no-such-thing”: use a category id or name from the list on the import page',
        expect.stringMatching(/^Row 7, postcode: The longitude and latitude are \d+\.\d km from WN1 1AA: if the postcode was changed, clear the longitude and latitude/),
      ].sort(),
    );
    expect(await count(target.db)).toBe(before);

    expect(await refusal(target.db, fresh, 'name,kind,categories,postcde,organisation\nHall,place,library,WN5 9AB,Trust\n')).toEqual([
      'The heading row, postcde: “postcde” is not a column of the template: check its spelling against docs/ASSETS-CSV.md',
    ]);
    expect(await refusal(target.db, fresh, 'name,categories,organisation\nHall,library,Trust\n')).toEqual(['The heading row, kind: The file needs a column headed kind']);
    expect(await refusal(target.db, fresh, `id,name,kind,categories,organisation,postcode\n${ids.centre},Hall,place,library,Trust,WN5 9AB\nnot-an-id,Hall 2,place,library,Trust,WN5 9AB\n`)).toEqual([
      'Row 3, id: “not-an-id” is not a record’s id: leave it blank for a new record, or keep the id an export gave',
    ]);
    expect(await refusal(source.db, importer, `id,name,kind,categories,organisation,free,minimum_age\n,Hall,place,library,Trust,maybe,ten\n`)).toEqual([
      'Row 2, free: “maybe” is not yes or no',
      'Row 2, minimum_age: “ten” is not a whole number',
      'Row 2, postcode: A place needs an address: enter its postcode',
    ]);
    for (const unreadable of [Buffer.from('name,kind\nHall,place,extra\n'), Buffer.from('PK\u0003\u0004 not really a workbook')]) {
      const error = await importCsv(target.db, fresh, unreadable).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TransferError);
      expect((error as TransferError).message).toMatch(/^upload\.csv is not a readable (CSV file|Excel workbook)/);
      expect((error as TransferError).message).not.toContain('patchwork-assets-');
    }
    expect(await count(target.db)).toBe(before);
  });

  it('refuses rows updating another partner’s records', async () => {
    const [other] = await queryRows<{ id: string }>(target.db, sql`insert into organisations (slug, name, kind) values ('other-org', 'Other Organisation', 'vcse') returning id`);
    const problems = await refusal(target.db, { id: other!.id, slug: 'other-org' }, await exportCsv(target.db, fresh.id));
    expect(problems[0]).toMatch(/^Row 2, id: The record .* is kept by Test Organisation: only they can update it$/);
  });

  it('imports the template as it is downloaded, a workbook, and a CSV saved by Excel in Windows-1252', async () => {
    const template = await importCsv(target.db, fresh, templateCsv());
    expect(template).toMatchObject({ created: 1 });
    const [made] = await queryRows<{ id: string }>(target.db, sql`select id from directory_services where name = 'Pemberton Community Centre (sample data)' and id <> ${ids.centre!}`);
    const sample = (await getService(target.db, made!.id))!;
    expect(sample.sample).toBe(true);
    expect(sample.schedules.map((s) => s.text)).toEqual(['Every Tuesday, 10:00 to 12:00', 'The second Thursday of every month, 18:30 to 20:00']);

    const workbook = await writeExcelFile([
      ['name', 'kind', 'categories', 'organisation', 'postcode', 'times'],
      ['Workbook Hall (sample data)', 'place', 'community-space', 'Trust (sample data)', 'WN5 9AB', 'Friday 19:00-21:00'],
    ].map((row) => row.map((value) => ({ value })))).toBuffer();
    expect(await importCsv(target.db, fresh, workbook)).toMatchObject({ created: 1 });

    const latin1 = Buffer.from('name,kind,categories,organisation,postcode,fees,free\nCafé Hall (sample data),place,community-space,Trust (sample data),WN5 9AB,£2 a session,no\n', 'latin1');
    expect(await importCsv(target.db, fresh, latin1)).toMatchObject({ created: 1 });
    const [cafe] = await queryRows<{ fees: string }>(target.db, sql`select fees from directory_services where name = 'Café Hall (sample data)'`);
    expect(cafe!.fees).toBe('£2 a session');
  });

  describe('pages', () => {
    it('serves the template to anyone', async () => {
      const response = await app.inject({ method: 'GET', url: '/directory/template.csv' });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toMatch(/^text\/csv/);
      expect(response.body).toBe(templateCsv());
    });

    it('lets a coordinator upload a CSV, lists a bad file’s problems by row, and lets a member export', async () => {
      const coordinator = new Client(app);
      await coordinator.signIn(emailOf('coordinator'));
      const page = await coordinator.get('/organisations/test-org/directory/import');
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('<code>times</code>');
      expect(page.body).toContain('<code>community-space</code>');
      const csv = 'name,kind,categories,organisation,postcode,times\nUploaded Hall (sample data),place,community-space,Trust (sample data),WN5 9AB,Monday 09:00-10:00\n';
      const done = await coordinator.postFile('/organisations/test-org/directory/import', {}, { field: 'file', filename: 'halls.csv', content: csv });
      expect(done.statusCode).toBe(303);
      expect(decodeURIComponent(coordinator.cookie('pw_flash') ?? '')).toBe('Imported 1 record (1 new, 0 updated).');

      const before = await count(source.db);
      const bad = await coordinator.postFile('/organisations/test-org/directory/import', {}, { field: 'file', filename: 'bad.csv', content: `${csv}Second Hall (sample data),place,community-space,Trust (sample data),WN9 9ZZ,Monday\n` });
      expect(bad.statusCode).toBe(400);
      expect(bad.body).toContain('There is a problem');
      expect(bad.body).toMatch(/<th scope="row" class="govuk-table__header">Row 3<\/th>\s*<td class="govuk-table__cell"><code>postcode<\/code><\/td>\s*<td class="govuk-table__cell">WN9 9ZZ is not among the postcodes/);
      expect(await count(source.db)).toBe(before);

      const empty = await coordinator.postFile('/organisations/test-org/directory/import', {}, { field: 'file', filename: 'empty.csv', content: '' });
      expect(empty.statusCode).toBe(400);
      expect(empty.body).toContain('Choose a CSV, Excel or Open Referral UK JSON file');

      const member = new Client(app);
      await member.signIn(emailOf('member'));
      const exported = await member.get('/organisations/test-org/directory/export?format=csv');
      expect(exported.statusCode).toBe(200);
      expect(exported.headers['content-disposition']).toMatch(/attachment; filename="test-org-directory-\d{4}-\d{2}-\d{2}\.csv"/);
      expect(exported.body).toBe(await exportCsv(source.db, importer.id));
      expect((await member.post('/organisations/test-org/directory/import')).statusCode).toBe(403);
      expect((await app.inject({ method: 'GET', url: '/organisations/test-org/directory/export' })).statusCode).toBe(302);
    });
  });
});
