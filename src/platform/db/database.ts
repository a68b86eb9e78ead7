import { mkdir, readFile } from 'node:fs/promises';
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
    const pool = new pg.Pool({ connectionString: options.url, max: 10 });
    // A dropped connection must not crash the process; the next query reports the error instead.
    pool.on('error', () => {});
    const db = drizzlePostgres(pool, { schema }) as unknown as Db;
    return wrap(db, 'postgres', redactUrl(options.url), () => migratePostgres(db as never, { migrationsFolder }), () => pool.end());
  }
  if (options.dataDir) await mkdir(options.dataDir, { recursive: true });
  const client = await PGlite.create({
    dataDir: options.dataDir,
    loadDataDir: options.loadDataDir,
    extensions: { postgis },
  });
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  return wrap(db, 'pglite', options.dataDir ?? 'memory', () => migratePglite(db as never, { migrationsFolder }), () => client.close());
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
      } catch {
        return { applied: 0, expected };
      }
    },
    close,
  };
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
