import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, engines, type TestDatabase } from '../../../tests/support/engines.ts';
import { queryRows } from './database.ts';
import { refreshStatistics } from './statistics.ts';

/** Pending table statistics reach pg_stat_user_tables once the session has been idle for a second. */
const settle = async (database: TestDatabase) => {
  await new Promise((resolve) => setTimeout(resolve, 1_200));
  await queryRows(database.db, sql`select 1`);
  await new Promise((resolve) => setTimeout(resolve, 1_200));
};

describe.each(engines)('keeping the planner statistics fresh on %s', (engine) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(engine);
    await refreshStatistics(database.db);
  });
  afterAll(async () => database?.drop());

  const reltuples = async (table: string) => Number((await queryRows<{ n: number }>(database.db, sql`select reltuples::float8 as n from pg_class where relname = ${table}`))[0]!.n);

  it('analyses a small table that was never analysed, and one with many changes since', async () => {
    await database.db.execute(sql`insert into organisations (slug, name, kind) values ('stats-a', 'Stats A (sample data)', 'vcse'), ('stats-b', 'Stats B (sample data)', 'vcse')`);
    await database.db.execute(sql`insert into rate_limit_hits (key, hits, window_ends_at) select 'k' || g, 1, now() from generate_series(1, 400) g`);
    await settle(database);
    const analysed = await refreshStatistics(database.db);
    expect(analysed).toContain('rate_limit_hits');
    expect(await reltuples('rate_limit_hits')).toBe(400);
    expect(await reltuples('organisations')).toBeGreaterThanOrEqual(2);
  });

  it('leaves alone tables with few changes since they were analysed', async () => {
    await database.db.execute(sql`insert into rate_limit_hits (key, hits, window_ends_at) values ('one more', 1, now())`);
    await settle(database);
    expect(await refreshStatistics(database.db)).not.toContain('rate_limit_hits');
  });
});
