import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../../platform/audit/audit.ts';
import { ImportError } from '../../platform/data/csv.ts';
import { queryRows } from '../../platform/db/database.ts';
import { createTestDatabase, engines, type TestDatabase } from '../../../tests/support/engines.ts';
import { bundledDataDir } from '../indicators/bundled-data.ts';
import { findPostcode, importPostcodes, normalisePostcode } from './postcodes.ts';

const areas = ['HX', 'SR', 'TF', 'WN'];
const bundled = areas.map((a) => path.join(bundledDataDir, `postcodes/NSPL_NOV_2021_${a}.csv.gz`));

/** What `zcat FILE | wc -l` says, and the file's own rows, read without Patchwork's CSV reader. */
function fileFacts(file: string) {
  const text = gunzipSync(readFileSync(file)).toString('utf8');
  const lines = text.split('\n').filter((l) => l !== '');
  const header = lines[0]!.split(',');
  const rows = lines.slice(1).map((l) => Object.fromEntries(l.split(',').map((v, i) => [header[i]!, v])));
  return { wcLines: text.match(/\n/g)!.length, rows };
}

describe('postcode normalisation', () => {
  it.each([
    ['wn11aa', 'WN1 1AA'],
    [' WN1 1AA ', 'WN1 1AA'],
    ['wn1  1aa', 'WN1 1AA'],
    ['SR431AA', 'SR43 1AA'], // the NSPL's 7-character pcd form
    ['B1  1AA', 'B1 1AA'],
    ['ec1a1bb', 'EC1A 1BB'],
  ])('reads %j as %s', (input, expected) => {
    expect(normalisePostcode(input)).toBe(expected);
  });
  it.each(['', '   ', 'WN1', 'WN1 1A', 'hello', 'WN1-1AA', '11AA WN'])('refuses %j', (input) => {
    expect(normalisePostcode(input)).toBeNull();
  });
});

describe.each(engines)('postcodes on %s', (engine) => {
  let database: TestDatabase;
  let dir: string;
  const rows = <T>(q: ReturnType<typeof sql>) => queryRows<T>(database.db, q);
  const fingerprint = async () => (await rows<{ f: string }>(sql`select count(*)::int || ':' || coalesce(md5(string_agg(p::text, ',' order by postcode)), '') as f from postcodes p`))[0]!.f;

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    dir = await mkdtemp(path.join(tmpdir(), 'patchwork-postcodes-'));
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('says plainly when no postcodes are loaded', async () => {
    expect(await findPostcode(database.db, 'WN1 1AA')).toMatchObject({ status: 'not-found', message: expect.stringContaining('no postcodes have been loaded yet') });
  });

  it('loads the bundled NSPL files, one row per postcode in the files', async () => {
    const facts = bundled.map(fileFacts);
    const expected = facts.reduce((n, f) => n + f.wcLines - 1, 0); // zcat | wc -l counts the header too
    expect(expected).toBe(34_784);
    const all = facts.flatMap((f) => f.rows);
    const result = await importPostcodes(database.db, bundled, cliActor);
    expect(result).toEqual({
      files: 4,
      postcodes: expected,
      added: expected,
      changed: 0,
      unchanged: 0,
      outsideEngland: 0,
      withoutLocation: all.filter((r) => r.lat === '99.999999').length,
      terminated: all.filter((r) => r.doterm !== '').length,
    });
    expect(result.withoutLocation).toBe(115);
    const [counts] = await rows<{ n: number; located: number; srid: number; areas: string }>(sql`
      select count(*)::int as n, count(location)::int as located, max(ST_SRID(location)) as srid,
        string_agg(distinct substring(postcode from '^[A-Z]+'), ',' order by substring(postcode from '^[A-Z]+')) as areas
      from postcodes`);
    expect(counts).toEqual({ n: expected, located: expected - 115, srid: 4326, areas: areas.join(',') });
    const [audit] = await rows<{ action: string; details: { postcodes: number } }>(sql`select action, details from audit_events where action = 'postcodes.imported'`);
    expect(audit!.details.postcodes).toBe(expected);
  });

  it('gives a postcode the codes and coordinates the file has, however it is typed', async () => {
    // WN1 1AA,199002,,1,53.546967,-2.635089,E00032310,E01006369,E02001294,E05000861,E08000010,E38000205,1991
    for (const typed of ['wn11aa', ' WN1 1AA ', 'Wn1  1aA']) {
      expect(await findPostcode(database.db, typed)).toEqual({
        status: 'found',
        message: null,
        postcode: {
          postcode: 'WN1 1AA',
          display: 'WN1 1AA',
          latitude: 53.546967,
          longitude: -2.635089,
          oa11: 'E00032310',
          lsoa11: 'E01006369',
          oa21: null,
          lsoa21: null,
          ward: 'E05000861',
          lad: 'E08000010',
          introduced: '1990-02',
          terminated: null,
          userType: 'large',
        },
      });
    }
    // Every located postcode's point is exactly the file's latitude and longitude.
    const file = fileFacts(bundled[1]!).rows.filter((r) => r.lat !== '99.999999');
    const stored = new Map(
      (await rows<{ postcode: string; lat: number; long: number; lsoa11: string }>(sql`select postcode, ST_Y(location) as lat, ST_X(location) as long, lsoa11 from postcodes where postcode like 'SR%' and location is not null`)).map((r) => [r.postcode, r]),
    );
    expect(stored.size).toBe(file.length);
    for (const r of file) {
      const s = stored.get(r.pcds!)!;
      expect([s.lat, s.long, s.lsoa11]).toEqual([Number(r.lat), Number(r.long), r.lsoa11]);
    }
  });

  it('returns a terminated postcode with where it was, and says when it ended', async () => {
    // WN1 1AB,199301,200801,1,53.546538,-2.634569,…
    const ended = await findPostcode(database.db, 'wn1 1ab');
    expect(ended).toMatchObject({ status: 'terminated', postcode: { postcode: 'WN1 1AB', introduced: '1993-01', terminated: '2008-01', latitude: 53.546538, longitude: -2.634569 } });
    expect(ended.message).toBe('WN1 1AB was terminated in 2008-01: it is no longer in use, and is shown where it was.');
    // HX7 9AB,200804,200905,1,99.999999,0.000000,,,,,,,0: terminated, and never given a grid reference.
    const unplaced = await findPostcode(database.db, 'HX79AB');
    expect(unplaced).toMatchObject({ status: 'terminated', postcode: { latitude: null, longitude: null, lsoa11: null, ward: null, lad: null } });
    expect(unplaced.message).toContain('has no grid reference');
    const [live] = await rows<{ n: number }>(sql`select count(*)::int as n from postcodes where terminated is null`);
    expect(live!.n).toBeGreaterThan(25_000);
  });

  it('says why a postcode cannot be looked up', async () => {
    expect(await findPostcode(database.db, 'WN1')).toEqual({ status: 'invalid', postcode: null, message: '"WN1" is not a postcode: enter a postcode like WN1 1AA' });
    expect(await findPostcode(database.db, '   ')).toEqual({ status: 'invalid', postcode: null, message: 'Enter a postcode, like WN1 1AA' });
    expect(await findPostcode(database.db, 'ls1 1ur')).toEqual({ status: 'not-found', postcode: null, message: 'LS1 1UR is not among the postcodes loaded into Patchwork' });
  });

  it('re-imports the same files without writing anything', async () => {
    const before = await fingerprint();
    const result = await importPostcodes(database.db, bundled, cliActor);
    expect(result).toMatchObject({ postcodes: 34_784, added: 0, changed: 0, unchanged: 34_784 });
    expect(await fingerprint()).toBe(before);
    const [audits] = await rows<{ n: number }>(sql`select count(*)::int as n from audit_events where action = 'postcodes.imported'`);
    expect(audits!.n).toBe(2);
  });

  it('refuses a file with bad rows, naming each by row and column, and writes nothing', async () => {
    const before = await fingerprint();
    const file = path.join(dir, 'bad.csv');
    await writeFile(
      file,
      [
        'pcds,dointr,doterm,usertype,lat,long,oa11,lsoa11,msoa11,ward,laua,ccg,imd',
        'WN9 9ZZ,202001,,0,53.5,-2.6,E00032310,E01006369,E02001294,E05000861,E08000010,E38000205,1991', // good, new
        'WN9 ZZZ,202001,,0,53.5,-2.6,E00032310,E01006369,E02001294,E05000861,E08000010,E38000205,1991', // row 3
        'WN9 9ZY,202001,,0,north,-2.6,E00032310,E01006369,E02001294,E05000861,E08000010,E38000205,1991', // row 4
        'WN9 9ZX,202001,,0,53.5,-2.6,E00032310,E1006369,E02001294,E05000861,E08000010,E38000205,1991', // row 5
        'WN9 9ZW,2020-01,,0,53.5,-2.6,E00032310,E01006369,E02001294,E05000861,E08000010,E38000205,1991', // row 6
        'WN9 9ZZ,202001,,0,53.5,-2.6,E00032310,E01006369,E02001294,E05000861,E08000010,E38000205,1991', // row 7
        'WN9 9ZV,202001,,2,53.5,-2.6,E00032310,E01006369,E02001294,E05000861,E08000010,E38000205,1991', // row 8
        'WN9 9ZU,202001,,0,35.5,-2.6,E00032310,E01006369,E02001294,E05000861,E08000010,E38000205,1991', // row 9
        'WN9 9ZT,202001,202113,0,53.5,-2.6,E00032310,E01006369,E02001294,E05000861,E08000010,E38000205,1991', // row 10
      ].join('\n'),
    );
    const error = (await importPostcodes(database.db, file, cliActor).catch((e: unknown) => e)) as ImportError;
    expect(error).toBeInstanceOf(ImportError);
    expect(error.problems).toEqual([
      { row: 3, column: 'pcds', message: '"WN9 ZZZ" is not a postcode' },
      { row: 4, column: 'lat', message: '"north" is not a latitude' },
      { row: 5, column: 'lsoa11', message: '"E1006369" is not an English LSOA code' },
      { row: 6, column: 'dointr', message: '"2020-01" is not a month as yyyymm' },
      { row: 7, column: 'pcds', message: 'WN9 9ZZ is also on row 2' },
      { row: 8, column: 'usertype', message: '"2" is not a user type (0 small user, 1 large user)' },
      { row: 9, column: 'lat', message: 'latitude 35.5 is not in England (49.8 to 55.9; 99.999999 for no grid reference)' },
      { row: 10, column: 'doterm', message: '"202113" is not a month as yyyymm (or empty for a live postcode)' },
    ]);
    expect(error.message).toMatch(/Nothing has changed/i);
    expect(error.message).toContain('row 5, column "lsoa11": "E1006369" is not an English LSOA code');
    expect(await fingerprint()).toBe(before);
    expect((await findPostcode(database.db, 'WN9 9ZZ')).status).toBe('not-found');

    // A postcode in two files is named with the other file's row.
    const again = path.join(dir, 'again.csv');
    await writeFile(again, 'pcds,dointr,doterm,usertype,lat,long,oa11,lsoa11,ward,laua\nWN1 1AA,199002,,1,53.546967,-2.635089,E00032310,E01006369,E05000861,E08000010\n');
    await expect(importPostcodes(database.db, [bundled[3]!, again], cliActor)).rejects.toThrow(/row 2, column "pcds": WN1 1AA is also on NSPL_NOV_2021_WN.csv.gz row 2/);
    // A file of another layout is refused, saying what it lacks.
    const other = path.join(dir, 'other.csv');
    await writeFile(other, 'postcode,latitude,longitude\nWN1 1AA,53.5,-2.6\n');
    await expect(importPostcodes(database.db, other, cliActor)).rejects.toThrow(/is not a postcode lookup Patchwork recognises .*no column for .*lad \(laua, oslaua or lad25cd\)/);
    expect(await fingerprint()).toBe(before);
  });

  it('reads the ONS Postcode Directory layout, skips rows outside England and updates what changed', async () => {
    const file = path.join(dir, 'ONSPD_extract.csv');
    await writeFile(
      file,
      [
        'pcd,pcd2,pcds,dointr,doterm,oscty,ced,oslaua,osward,parish,usertype,oseast1m,osnrth1m,osgrdind,oa11,ctry,rgn,lsoa11,msoa11,lat,long',
        // TF1 1AA terminated since the bundled edition: a changed row.
        '"TF1 1AA","TF1  1AA","TF1 1AA","199002","202305","E99999999","E99999999","E06000020","E05009978","E04012345","1","365000","311000","1","E00071435","E92000001","E12000005","E01014145","E02002939",52.699797,-2.519838',
        // A new postcode (pcd is the fixed-width form; pcds is read).
        '"SR431AZ","SR43 1AZ","SR43 1AZ","202301","","E99999999","E99999999","E08000024","E05001158","E43000001","0","439000","556000","1","E00170202","E92000001","E12000001","E01008703","E02001803",54.9,-1.38',
        // Wales, by its country and district codes: skipped, however its other fields look.
        '"CF101AA","CF10 1AA","CF10 1AA","198001","","W99999999","W99999999","W06000015","W05000865","W04000001","1","318000","176000","1","W00009999","W92000004","W99999999","W01001234","W02000123",51.48,-3.18',
        // The Isle of Man has pseudo codes and no grid reference in some editions.
        '"IM1 1AA","IM1 1AA","IM1 1AA","198001","","M99999999","M99999999","M99999999","M99999999","M99999999","0","","","9","M99999999","M83000003","M99999999","M99999999","M99999999",99.999999,0.000000',
      ].join('\n'),
    );
    const result = await importPostcodes(database.db, file, cliActor);
    expect(result).toMatchObject({ postcodes: 2, added: 1, changed: 1, unchanged: 0, outsideEngland: 2, terminated: 1 });
    expect(await findPostcode(database.db, 'TF11AA')).toMatchObject({ status: 'terminated', postcode: { terminated: '2023-05', lsoa11: 'E01014145' }, message: expect.stringContaining('terminated in 2023-05') });
    expect(await findPostcode(database.db, 'sr43 1az')).toMatchObject({ status: 'found', postcode: { display: 'SR43 1AZ', lad: 'E08000024', introduced: '2023-01', userType: 'small' } });
    expect((await findPostcode(database.db, 'CF10 1AA')).status).toBe('not-found');
    const [count] = await rows<{ n: number }>(sql`select count(*)::int as n from postcodes`);
    expect(count!.n).toBe(34_785);
  });
});
