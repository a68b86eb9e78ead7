import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../platform/db/database.ts';
import { createTestDatabase, engines, type TestDatabase } from '../../../tests/support/engines.ts';

// indicator_values and area_summaries keep their link to indicators by statement-level triggers rather
// than declared foreign keys (migration 0005); these are the rules those triggers must still enforce.
describe.each(engines)('indicator row integrity on %s', (engine) => {
  let database: TestDatabase;
  // drizzle wraps the database's error; the message that matters is the engine's own.
  const refusal = (query: Promise<unknown>) =>
    query.then(
      () => 'accepted',
      (e: Error & { cause?: Error }) => e.cause?.message ?? e.message,
    );
  const count = async (table: string) => (await queryRows<{ n: number }>(database.db, sql.raw(`select count(*)::int as n from ${table} where indicator_id = 'local.test'`)))[0]!.n;

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    await database.db.execute(sql`
      insert into indicators (id, label, unit, direction, vintage, period, source, licence)
      values ('local.test', 'A local measure', 'count', 'higher-is-worse', 'lsoa21', '2026', 'test', 'OGL')`);
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('refuses values and summaries for an indicator that does not exist, in a set or alone', async () => {
    expect(await refusal(database.db.execute(sql`insert into indicator_values (indicator_id, code, value) values ('local.test', 'E01000001', 1), ('no.such', 'E01000002', 2)`))).toMatch(/indicator_values refers to an indicator that does not exist/);
    expect(await refusal(database.db.execute(sql`insert into area_summaries (indicator_id, vintage, code, lsoa_count, decile_counts, most_deprived_1pct, proportion_bottom_decile) values ('no.such', 'ward25', 'E05000001', 1, '{1,0,0,0,0,0,0,0,0,0}', 0, 1)`))).toMatch(/area_summaries refers to an indicator that does not exist/);
    expect(await count('indicator_values')).toBe(0);
    await database.db.execute(sql`insert into indicator_values (indicator_id, code, value) values ('local.test', 'E01000001', 1)`);
    expect(await refusal(database.db.execute(sql`update indicator_values set indicator_id = 'no.such' where indicator_id = 'local.test'`))).toMatch(/does not exist/);
    expect(await refusal(database.db.execute(sql`update indicators set id = 'renamed' where id = 'local.test'`))).toMatch(/cannot change/);
  });

  it("deletes an indicator's values and summaries with it", async () => {
    await database.db.execute(sql`insert into area_summaries (indicator_id, vintage, code, lsoa_count, decile_counts, most_deprived_1pct, proportion_bottom_decile) values ('local.test', 'ward25', 'E05000001', 1, '{1,0,0,0,0,0,0,0,0,0}', 0, 1)`);
    expect(await count('indicator_values')).toBe(1);
    expect(await count('area_summaries')).toBe(1);
    await database.db.execute(sql`delete from indicators where id = 'local.test'`);
    expect(await count('indicator_values')).toBe(0);
    expect(await count('area_summaries')).toBe(0);
  });
});
