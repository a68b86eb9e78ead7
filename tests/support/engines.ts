import { readFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type Database, type Engine } from '../../src/platform/db/database.ts';
import { resolveTemplatePath } from './pglite-template.ts';

/**
 * The engines the database tests run on: PGlite always; PostgreSQL too when
 * PATCHWORK_TEST_DATABASE_URL names a server with PostGIS available. On CI a missing PostgreSQL is a
 * failure, never a quiet skip.
 */
export const postgresUrl = process.env.PATCHWORK_TEST_DATABASE_URL || undefined;

if (process.env.CI && !postgresUrl) {
  throw new Error('CI is set but PATCHWORK_TEST_DATABASE_URL is not: the PostgreSQL half of the database suite would not run');
}

export const engines: Engine[] = postgresUrl ? ['pglite', 'postgres'] : ['pglite'];
export const postgresSkipReason = postgresUrl
  ? null
  : 'PostgreSQL engine skipped: set PATCHWORK_TEST_DATABASE_URL=postgres://… to run the database tests on it too';

export type TestDatabase = Database & { drop(): Promise<void> };

/** A new, fully migrated, empty database on the given engine, for one test file. */
export async function createTestDatabase(engine: Engine): Promise<TestDatabase> {
  if (engine === 'pglite') {
    const template = new Blob([await readFile(await resolveTemplatePath())]);
    const database = await openDatabase({ engine: 'pglite', loadDataDir: template });
    return Object.assign(database, { drop: () => database.close() });
  }
  const name = `patchwork_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: postgresUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(postgresUrl!);
  url.pathname = `/${name}`;
  const database = await openDatabase({ engine: 'postgres', url: url.toString() });
  await database.migrate();
  return Object.assign(database, {
    async drop() {
      await database.close();
      const client = new pg.Client({ connectionString: postgresUrl });
      await client.connect();
      try {
        await client.query(`drop database if exists ${name} with (force)`);
      } finally {
        await client.end();
      }
    },
  });
}
