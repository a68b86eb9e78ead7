import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import type { Database, Engine } from '../../src/platform/db/database.ts';
import { queryRows } from '../../src/platform/db/database.ts';
import { organisations } from '../../src/platform/auth/schema.ts';
import { spendSources } from '../../src/capabilities/community-wealth/schema.ts';
import { guessMapping } from '../../src/capabilities/community-wealth/spend-columns.ts';
import { importSpend } from '../../src/capabilities/community-wealth/spend-import.ts';
import { writeSampleSpendFile } from '../../src/capabilities/community-wealth/sample.ts';
import { engines } from '../support/engines.ts';
import { fuzzSeed, hardProfile } from '../support/profile.ts';
import { actor, count, engineEnv, openAt, preparePglite, preparePostgres, runPatchwork, sleep, spawnPatchwork } from './harness.ts';

/**
 * SIGKILL in the middle of a large import (`patchwork import spend`, one transaction): killed once it is visibly
 * writing, the database opens cleanly with everything committed before intact and the import either wholly there
 * or wholly absent (payments, suppliers, the import's record, its summary and its audit event), and importing the
 * file again succeeds. `npm test`: one kill of a 20,000-row file; `npm run test:hard`: four kills at random
 * moments of a 100,000-row file.
 */
const rows = hardProfile ? 100_000 : 20_000;
const kills = hardProfile ? 4 : 1;
const sourceName = 'Fault payments (sample data)';
const headings = ['Body Name', 'Service Area', 'Expense Type', 'Payment Date', 'Transaction Number', 'Amount', 'Supplier Name', 'Supplier Postcode'];

const tables = ['payments', 'suppliers', 'supplier_aliases', 'spend_imports', 'spend_summary', 'audit_events'] as const;
async function counts(database: Database): Promise<Record<string, number>> {
  const result: Record<string, number> = {};
  for (const table of tables) result[table] = await count(database, sql`select count(*)::int as n from ${sql.identifier(table)}`);
  return result;
}

/** Bytes the process has written so far (all files and pipes), from the kernel's accounting. */
async function bytesWritten(pid: number): Promise<number> {
  const io = await readFile(`/proc/${pid}/io`, 'utf8').catch(() => '');
  return Number(/wchar: (\d+)/.exec(io)?.[1] ?? 0);
}

describe.each(engines)('SIGKILL during a large import on %s', (engine: Engine) => {
  const cleanup: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step().catch(() => {});
  });

  it('leaves the import all there or not there at all, and a retry succeeds', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'patchwork-fault-import-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const small = path.join(dir, 'earlier.csv');
    const large = path.join(dir, 'large.csv');
    await writeSampleSpendFile(small, { rows: 300, suppliers: 20, years: [2023], localPostcodes: [], otherPostcodes: [], seed: 1 });
    await writeSampleSpendFile(large, { rows, suppliers: Math.round(rows / 50), years: [2024, 2025], localPostcodes: [], otherPostcodes: [], seed: 2 });
    // An earlier, committed import: it must come through every kill untouched.
    const setUp = async (database: Database) => {
      const [org] = await database.db.select({ id: organisations.id }).from(organisations);
      const [source] = await database.db.insert(spendSources).values({ organisationId: org!.id, name: sourceName, mapping: guessMapping(headings), sample: true }).returning({ id: spendSources.id });
      await importSpend(database.db, source!.id, small, 'earlier.csv', actor);
    };
    let where = path.join(dir, 'data');
    if (engine === 'pglite') await preparePglite(where, setUp);
    else {
      const target = await preparePostgres(setUp);
      cleanup.push(target.drop);
      where = target.url;
    }
    const env = engineEnv(engine, where, dir);
    const args = ['import', 'spend', large, '--organisation', 'test-org', '--source', sourceName];

    let database = await openAt(engine, where);
    const before = await counts(database);
    const earlier = await queryRows<{ j: string }>(database.db, sql`select row_to_json(p)::text as j from payments p order by id`);
    await database.close();
    expect(before.payments).toBe(300);

    let random = fuzzSeed(11);
    const next = () => ((random = (random * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    let committedByKill = false;
    let interrupted = 0;
    for (let k = 0; k < kills && !committedByKill; k++) {
      const child = spawnPatchwork(args, env);
      const pid = child.process.pid!;
      let exited = false;
      void child.exited.then(() => (exited = true));
      // Wait until the import is writing: PGlite writes from this very process; PostgreSQL's backend holds a
      // transaction id once the transaction has written.
      const watcher = engine === 'postgres' ? new pg.Client({ connectionString: where }) : null;
      await watcher?.connect();
      const started = await bytesWritten(pid);
      for (;;) {
        if (exited) break;
        if (watcher) {
          const { rows: busy } = await watcher.query(`select count(*)::int as n from pg_stat_activity where datname = current_database() and backend_xid is not null and pid <> pg_backend_pid()`);
          if (busy[0].n > 0) break;
        } else if ((await bytesWritten(pid)) - started > 4 * 1024 * 1024) break;
        await sleep(20);
      }
      // Part-way: at once in the quick profile, at a random later moment in the hard one.
      if (hardProfile) await sleep(Math.floor(next() * 1500));
      child.process.kill('SIGKILL');
      const code = await child.exited;
      if (code === null) interrupted++;
      await watcher?.end();
      if (code === 0) committedByKill = true;

      // PostgreSQL rolls the killed session's transaction back once it notices; wait for that, as a restart would.
      if (engine === 'postgres') {
        const admin = new pg.Client({ connectionString: where });
        await admin.connect();
        for (let i = 0; i < 600; i++) {
          const { rows: busy } = await admin.query(`select count(*)::int as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`);
          if (busy[0].n === 0) break;
          await sleep(100);
        }
        await admin.end();
      }

      database = await openAt(engine, where);
      try {
        const after = await counts(database);
        const added = Object.fromEntries(tables.map((t) => [t, after[t]! - before[t]!]));
        if (added.spend_imports === 0) {
          expect(after, `kill ${k + 1}: nothing of the killed import may be visible`).toEqual(before);
        } else {
          // The kill came after the commit: then all of it is there.
          committedByKill = true;
          expect(added.spend_imports).toBe(1);
          expect(added.payments).toBe(rows);
        }
        const still = await queryRows<{ j: string }>(database.db, sql`select row_to_json(p)::text as j from payments p where import_id = (select id from spend_imports where file_name = 'earlier.csv') order by id`);
        expect(still, 'the earlier import is intact').toEqual(earlier);
      } finally {
        await database.close();
      }
    }

    expect(interrupted, 'at least one kill landed while the import was running').toBeGreaterThan(0);
    if (!committedByKill) {
      const retry = await runPatchwork(args, env);
      expect(retry.output).toContain(`Imported ${rows.toLocaleString('en-GB')} payments`);
      expect(retry.code).toBe(0);
    }
    database = await openAt(engine, where);
    try {
      const after = await counts(database);
      expect(after.payments).toBe(before.payments! + rows);
      expect(after.spend_imports).toBe(before.spend_imports! + 1);
      expect(await count(database, sql`select count(*)::int as n from payments p left join suppliers s on s.id = p.supplier_id where s.id is null`)).toBe(0);
    } finally {
      await database.close();
    }
  }, hardProfile ? 1_800_000 : 240_000);
});
