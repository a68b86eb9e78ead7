import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliActor, recordAudit } from '../src/platform/audit/audit.ts';
import { BackupError, backupDatabase, restoreDatabase, tablesInDependencyOrder } from '../src/platform/db/backup.ts';
import { queryRows, type Engine } from '../src/platform/db/database.ts';
import { createTestDatabase, engines, type TestDatabase } from './support/engines.ts';
import { seedPeople } from './support/app.ts';

/** Every row of every table, as JSON text, in a stable order: what "the same data" means here. */
async function snapshot(database: TestDatabase, options: { auditUpTo?: number } = {}) {
  const result: Record<string, string[]> = {};
  for (const table of await tablesInDependencyOrder(database.db)) {
    const where = table === 'audit_events' && options.auditUpTo !== undefined ? sql` where id <= ${options.auditUpTo}` : sql``;
    const rows = await queryRows<{ j: string }>(database.db, sql`select row_to_json(t)::text as j from ${sql.identifier(table)} t${where}`);
    result[table] = rows.map((r) => r.j).sort();
  }
  return result;
}

const pairs: [Engine, Engine][] = engines.flatMap((from) => engines.map((to) => [from, to] as [Engine, Engine]));

describe.each(pairs)('backup from %s, restore into %s', (from, to) => {
  let source: TestDatabase;
  let target: TestDatabase;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'patchwork-backup-'));
    source = await createTestDatabase(from);
    await seedPeople(source);
    // Tables whose link to their parent is kept by triggers rather than a foreign key (indicator values)
    // must still be restored after the parent.
    await source.db.execute(sql`
      insert into indicators (id, label, unit, direction, vintage, period, source, licence)
      values ('local.backup', 'A local measure', 'count', 'higher-is-worse', 'lsoa21', '2026', 'test', 'OGL')`);
    await source.db.execute(sql`insert into indicator_values (indicator_id, code, value) values ('local.backup', 'E01000001', 12.5)`);
    // A postcode (its point, dates and codes) and an area's population-weighted centroid.
    await source.db.execute(sql`
      insert into postcodes (postcode, display, location, oa11, lsoa11, ward, lad, introduced, terminated, user_type)
      values ('WN1 1AB', 'WN1 1AB', 'SRID=4326;POINT(-2.634569 53.546538)', 'E00032310', 'E01006369', 'E05000861', 'E08000010', '1993-01-01', '2008-01-01', 1)`);
    await source.db.execute(sql`insert into area_vintages (id, type, year, label) values ('lsoa11', 'lsoa', 2011, 'LSOA (2011)')`);
    await source.db.execute(sql`insert into areas (vintage, code, name, weighted_centroid) values ('lsoa11', 'E01006369', 'Wigan 017A', 'SRID=4326;POINT(-2.6345 53.5466)')`);
    await recordAudit(source.db, { actor: cliActor, action: 'test.unicode', objectType: 'note', details: { text: 'Café – “quoted”, tab\t, newline\n, emoji 🧵', n: 1.5, nested: { ok: true } } });
    target = await createTestDatabase(to);
  });
  afterAll(async () => {
    await source?.drop();
    await target?.drop();
  });

  it('round-trips every table exactly, geometry included, and identities continue', async () => {
    const file = path.join(dir, 'backup.jsonl.gz');
    const counts = await backupDatabase(source, file);
    expect(counts.users).toBe(6);
    expect(counts.organisations).toBe(1);

    const restored = await restoreDatabase(target, file, cliActor);
    expect(restored).toEqual(counts);

    const [maxId] = await queryRows<{ n: number }>(source.db, sql`select max(id)::int as n from audit_events`);
    expect(await snapshot(target, { auditUpTo: maxId!.n })).toEqual(await snapshot(source));

    const [geometry] = await queryRows<{ wkt: string; srid: number }>(target.db, sql`select st_astext(location) as wkt, st_srid(location) as srid from organisations`);
    expect(geometry).toEqual({ wkt: 'POINT(-2.63 53.54)', srid: 4326 });

    // The restore itself is audited, and new audit events number on from the restored ones.
    const [last] = await queryRows<{ id: number; action: string }>(target.db, sql`select id::int, action from audit_events order by id desc limit 1`);
    expect(last!.action).toBe('database.restored');
    expect(last!.id).toBeGreaterThan(maxId!.n);
  });

  it('refuses to restore over existing data and changes nothing', async () => {
    const file = path.join(dir, 'again.jsonl.gz');
    await backupDatabase(source, file);
    const before = await snapshot(target);
    await expect(restoreDatabase(target, file, cliActor)).rejects.toThrow(/already holds data/);
    expect(await snapshot(target)).toEqual(before);
  });
});

describe.each(engines)('damaged backups on %s', (engine) => {
  let source: TestDatabase;
  let target: TestDatabase;
  let dir: string;
  let good: Buffer;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'patchwork-backup-'));
    source = await createTestDatabase(engine);
    await seedPeople(source);
    target = await createTestDatabase(engine);
    await backupDatabase(source, path.join(dir, 'good.jsonl.gz'));
    good = gunzipSync(await readFile(path.join(dir, 'good.jsonl.gz')));
  });
  afterAll(async () => {
    await source?.drop();
    await target?.drop();
  });

  const attempt = async (name: string, content: Buffer) => {
    const file = path.join(dir, name);
    await writeFile(file, content);
    const error = await restoreDatabase(target, file, cliActor).then(() => null, (e: unknown) => e);
    const [row] = await queryRows<{ n: number }>(target.db, sql`select (select count(*) from users) + (select count(*) from audit_events) as n`);
    return { error: error as Error | null, rowsAfter: Number(row!.n) };
  };

  it.each([
    ['a truncated file', () => gzipSync(good.subarray(0, Math.floor(good.length * 0.8))), /end marker|damaged|not valid JSON/],
    ['a file that is not gzip', () => Buffer.from('users,email\n1,a@example.org\n'), /cannot be read|not a Patchwork backup/],
    ['a gzip that is not a backup', () => gzipSync(Buffer.from('{"hello":"world"}\n')), /not a Patchwork backup/],
    ['different migrations', () => gzipSync(Buffer.from(good.toString().replace(/"migrations":\["[0-9a-f]+/, '"migrations":["0000'))), /migrations/],
    ['a changed row count', () => gzipSync(Buffer.from(good.toString().replace(/"users":6/, '"users":7'))), /rows but/],
    ['a column of the wrong type', () => gzipSync(Buffer.from(good.toString().replace('"name":"email","type":"text"', '"name":"email","type":"integer"'))), /does not match/],
  ])('refuses %s with a clear message and changes nothing', async (_label, make, message) => {
    const { error, rowsAfter } = await attempt(`${_label.replace(/\W+/g, '-')}.gz`, make());
    expect(error).toBeInstanceOf(BackupError);
    expect(error!.message).toMatch(message);
    expect(rowsAfter).toBe(0);
  });
});
