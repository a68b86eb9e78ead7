import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { postgis } from '@electric-sql/pglite-postgis';
import { sql, type SQL } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/node-postgres';
import { migrate as migratePostgres } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import * as schema from './schema.ts';

export type Schema = typeof schema;
/** The drizzle handle capabilities use; identical in type whichever engine is underneath. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
/** A transaction, or the database itself when no transaction is needed. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0] | Db;
export type Engine = 'pglite' | 'postgres';

export const migrationsFolder = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../drizzle');

export type Database = {
  db: Db;
  engine: Engine;
  /** Where the data lives, for messages: a directory for PGlite, a redacted URL for PostgreSQL. */
  location: string;
  migrate(): Promise<void>;
  /** Applied and expected migration counts; the app is healthy when they match. */
  migrationStatus(): Promise<{ applied: number; expected: number }>;
  close(): Promise<void>;
};

export type DatabaseOptions =
  | { engine: 'postgres'; url: string }
  | { engine: 'pglite'; dataDir?: string; loadDataDir?: Blob };

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.engine === 'postgres') {
    const pool = new pg.Pool({
      connectionString: options.url,
      max: 10,
      // While PostgreSQL is down or restarting a request must fail within seconds (as a 503), not wait for
      // the operating system's TCP timeout; keepalives find connections to a server that vanished.
      connectionTimeoutMillis: 5_000,
      keepAlive: true,
      idleTimeoutMillis: 10_000,
    });
    // A dropped connection must not crash the process; the next query reports the error instead.
    pool.on('error', () => {});
    const db = drizzlePostgres(pool, { schema }) as unknown as Db;
    return wrap(db, 'postgres', redactUrl(options.url), () => migratePostgres(db as never, { migrationsFolder }), () => pool.end());
  }
  let unlock = async () => {};
  if (options.dataDir) {
    await checkDataDirectory(options.dataDir);
    unlock = await lockDataDirectory(options.dataDir);
  }
  let client: PGlite;
  try {
    client = await PGlite.create({
      dataDir: options.dataDir,
      loadDataDir: options.loadDataDir,
      extensions: { postgis },
    });
  } catch (error) {
    await unlock();
    throw error;
  }
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  return wrap(db, 'pglite', options.dataDir ?? 'memory', () => migratePglite(db as never, { migrationsFolder }), async () => {
    await client.close();
    await unlock();
  });
}

/** The embedded database cannot be used where it is: said for a person, with what to do, and no stack trace. */
export class DatabaseOpenError extends Error {}

/**
 * Proves the embedded database's directory can be written before PGlite opens it. PGlite runs with the data in a
 * WebAssembly file system layer, and a full disk or read-only mount would otherwise surface later as an obscure
 * failure (or one half-way through a write); here it stops Patchwork at start, having changed nothing.
 */
async function checkDataDirectory(dir: string): Promise<void> {
  const probe = path.join(dir, `.patchwork-write-check-${process.pid}`);
  try {
    await mkdir(dir, { recursive: true });
    const handle = await open(probe, 'w');
    try {
      await handle.write(Buffer.alloc(64 * 1024));
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (error) {
    await rm(probe, { force: true }).catch(() => {});
    const code = (error as NodeJS.ErrnoException).code;
    const where = `The embedded database directory ${path.resolve(dir)}`;
    const reasons: Record<string, string> = {
      ENOSPC: `${where} is on a disk that is full (no space left on the device). Free some space there, or set PATCHWORK_DATA_DIR to a disk with room, then start Patchwork again. Nothing has been changed.`,
      EDQUOT: `${where} is on a disk where this user's quota is used up. Free some space, then start Patchwork again. Nothing has been changed.`,
      EROFS: `${where} is on a read-only file system, and Patchwork needs to write there. Make it writable (or set PATCHWORK_DATA_DIR to a writable place), then start Patchwork again. Nothing has been changed.`,
      EACCES: `${where} cannot be written by this user. Give it write permission (or set PATCHWORK_DATA_DIR to a writable place), then start Patchwork again.`,
      EPERM: `${where} cannot be written by this user. Give it write permission (or set PATCHWORK_DATA_DIR to a writable place), then start Patchwork again.`,
      ENOTDIR: `${where} is not a directory: set PATCHWORK_DATA_DIR to a directory.`,
    };
    throw new DatabaseOpenError(reasons[code ?? ''] ?? `${where} cannot be used (${code ?? (error as Error).message}).`);
  }
  await rm(probe, { force: true });
}

/**
 * PGlite is PostgreSQL in one process, without the postmaster's lock on its data directory: a second process opening
 * the same directory (`patchwork db backup` or an import while `serve` runs) replays and checkpoints the WAL under
 * the first one's feet, and the two then write over each other. So each process that opens it holds this lock; one
 * left by a process that died (killed, or the machine stopped) is taken over.
 */
async function lockDataDirectory(dir: string): Promise<() => Promise<void>> {
  const lock = path.join(dir, 'patchwork.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(lock, `${process.pid}\n`, { flag: 'wx' });
      return () => rm(lock, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number((await readFile(lock, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && processIsAlive(holder)) {
        throw new DatabaseOpenError(
          `The embedded database in ${path.resolve(dir)} is in use by another Patchwork process (process ${holder}). Only one process at a time can use it: stop that one first (for a backup, stop \`patchwork serve\`, run the backup, then start it again). If no Patchwork is running, delete ${lock}.`,
        );
      }
      await rm(lock, { force: true });
    }
  }
  throw new DatabaseOpenError(`The embedded database in ${path.resolve(dir)} could not be locked for use: another process keeps taking ${lock}.`);
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function wrap(db: Db, engine: Engine, location: string, runMigrations: () => Promise<void>, close: () => Promise<void>): Database {
  return {
    db,
    engine,
    location,
    migrate: runMigrations,
    async migrationStatus() {
      const expected = await expectedMigrationCount();
      try {
        const [row] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from drizzle.__drizzle_migrations`);
        return { applied: Number(row?.n ?? 0), expected };
      } catch (error) {
        // No migrations table yet means none applied; anything else (the server being down) is not "0 applied".
        if (sqlStateOf(error) === '42P01' || sqlStateOf(error) === '3F000') return { applied: 0, expected };
        throw error;
      }
    },
    close,
  };
}

/** The SQLSTATE of a database error, looking through drizzle's wrapper. */
function sqlStateOf(error: unknown): string | undefined {
  for (let e = error, i = 0; e && typeof e === 'object' && i < 5; e = (e as { cause?: unknown }).cause, i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

async function expectedMigrationCount(): Promise<number> {
  const journal = JSON.parse(await readFile(path.join(migrationsFolder, 'meta/_journal.json'), 'utf8')) as { entries: unknown[] };
  return journal.entries.length;
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparseable URL)';
  }
}

export function databaseOptionsFromConfig(config: { databaseUrl: string | undefined; dataDir: string }): DatabaseOptions {
  return config.databaseUrl
    ? { engine: 'postgres', url: config.databaseUrl }
    : { engine: 'pglite', dataDir: path.join(config.dataDir, 'pglite') };
}

/** Raw SQL for the few places drizzle's query builder cannot reach (catalogue queries, cursors). */
export async function queryRows<T>(tx: Tx, query: SQL): Promise<T[]> {
  const result = (await tx.execute(query)) as unknown as { rows: T[] };
  return result.rows;
}
