import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { cliActor } from '../../src/platform/audit/audit.ts';
import { backupDatabase, restoreDatabase } from '../../src/platform/db/backup.ts';
import { queryRows, type Database, type Engine } from '../../src/platform/db/database.ts';
import { Client, seedPeople, startTestApp } from '../support/app.ts';
import { createTestDatabase, engines } from '../support/engines.ts';
import { hardProfile } from '../support/profile.ts';
import { coordinator, HttpClient, preparePostgres, runPatchwork, startServer } from './harness.ts';

/**
 * A backup taken while writes keep arriving restores to one consistent moment: every foreign key holds, each voice
 * theme has its audit event and each such event its theme, everything acknowledged before the backup began is in
 * it, and nothing in it was never written. On PostgreSQL the backup is `patchwork db backup` in its own process
 * beside a running server; PGlite is one process's database, so there the backup runs inside the process taking the
 * writes (as it must: a second process cannot open the same data directory). Quick: 60 writes; hard: 600.
 */
const writes = hardProfile ? 600 : 60;
const inFlight = 6;

/** Rows whose foreign key points at nothing, for every foreign key in the schema. */
async function orphans(database: Database): Promise<string[]> {
  const keys = await queryRows<{ name: string; child: string; parent: string; cols: string[]; pcols: string[] }>(
    database.db,
    sql`select conname as name, conrelid::regclass::text as child, confrelid::regclass::text as parent,
          array(select attname::text from unnest(conkey) with ordinality k(n, i) join pg_attribute on attrelid = conrelid and attnum = k.n order by i) as cols,
          array(select attname::text from unnest(confkey) with ordinality k(n, i) join pg_attribute on attrelid = confrelid and attnum = k.n order by i) as pcols
        from pg_constraint where contype = 'f' and connamespace = 'public'::regnamespace`,
  );
  const found: string[] = [];
  for (const key of keys) {
    const present = sql.join(key.cols.map((c) => sql`c.${sql.identifier(c)} is not null`), sql` and `);
    const match = sql.join(key.cols.map((c, i) => sql`p.${sql.identifier(key.pcols[i]!)} = c.${sql.identifier(c)}`), sql` and `);
    const [row] = await queryRows<{ n: number }>(database.db, sql`select count(*)::int as n from ${sql.raw(key.child)} c where ${present} and not exists (select 1 from ${sql.raw(key.parent)} p where ${match})`);
    if (row!.n) found.push(`${key.name}: ${row!.n}`);
  }
  return found;
}

async function checkRestored(file: string, engine: Engine, acknowledgedBefore: Set<string>, everWritten: Set<string>) {
  const target = await createTestDatabase(engine);
  try {
    await restoreDatabase(target, file, cliActor);
    expect(await orphans(target), 'foreign keys hold').toEqual([]);
    const themes = await queryRows<{ id: string; name: string }>(target.db, sql`select id::text, name from voice_themes`);
    const events = await queryRows<{ object_id: string }>(target.db, sql`select object_id::text from audit_events where action = 'voice.theme.added'`);
    expect(events.map((e) => e.object_id).sort(), 'each theme with its audit event, and no event without its theme').toEqual(themes.map((t) => t.id).sort());
    const names = new Set(themes.map((t) => t.name));
    expect([...acknowledgedBefore].filter((n) => !names.has(n)), 'acknowledged before the backup began, so in it').toEqual([]);
    expect([...names].filter((n) => !everWritten.has(n)), 'nothing that was never written').toEqual([]);
    return names.size;
  } finally {
    await target.drop();
  }
}

/** Posts `writes` new themes, `inFlight` at a time, calling `midway` once a third are acknowledged. */
async function burst(post: (name: string) => Promise<number>, midway: () => Promise<void>) {
  const acknowledged = new Set<string>();
  const attempted = new Set<string>();
  let next = 0;
  let backup: Promise<void> | undefined;
  let before = new Set<string>();
  const worker = async () => {
    while (next < writes) {
      const name = `Backup theme ${++next}`;
      attempted.add(name);
      const status = await post(name);
      if (status !== 303) throw new Error(`${name}: ${status}`);
      acknowledged.add(name);
      if (!backup && acknowledged.size >= writes / 3) {
        before = new Set(acknowledged);
        backup = midway();
      }
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  await backup;
  return { before, attempted, acknowledged };
}

describe.each(engines)('backup under write load on %s', (engine: Engine) => {
  const cleanup: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step().catch(() => {});
  });

  it('restores to a consistent moment', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'patchwork-fault-backup-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'backup.jsonl.gz');

    if (engine === 'pglite') {
      const database = await createTestDatabase('pglite');
      cleanup.push(() => database.drop());
      await seedPeople(database);
      const app = await startTestApp(database, { SIGN_IN_RATE_LIMIT: '1000' });
      cleanup.push(() => app.close());
      const client = new Client(app);
      await client.signIn(coordinator);
      await client.get('/organisations/test-org/voice/themes');
      const { before, attempted, acknowledged } = await burst(
        async (name) => (await client.post('/organisations/test-org/voice/themes', { name })).statusCode,
        async () => {
          await backupDatabase(database, file);
        },
      );
      expect(acknowledged.size).toBe(writes);
      const inBackup = await checkRestored(file, engine, before, attempted);
      expect(inBackup).toBeGreaterThanOrEqual(before.size);
      return;
    }

    const target = await preparePostgres();
    cleanup.push(target.drop);
    const server = await startServer({ DATABASE_URL: target.url, PATCHWORK_DATA_DIR: dir });
    cleanup.push(() => server.kill());
    const client = new HttpClient(server.url);
    await client.signIn(coordinator);
    await client.get('/organisations/test-org/voice/themes');
    let output = '';
    const { before, attempted, acknowledged } = await burst(
      async (name) => (await client.post('/organisations/test-org/voice/themes', { name })).status,
      async () => {
        const result = await runPatchwork(['db', 'backup', '--out', file], { DATABASE_URL: target.url, PATCHWORK_DATA_DIR: dir });
        output = result.output;
        expect(result.code, result.output).toBe(0);
      },
    );
    expect(output).toMatch(/Backed up \d+ tables/);
    expect(acknowledged.size).toBe(writes);
    await checkRestored(file, engine, before, attempted);
  }, hardProfile ? 900_000 : 240_000);
});
