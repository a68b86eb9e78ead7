import { sql } from 'drizzle-orm';
import { queryRows, type Database, type Db } from './database.ts';

/**
 * The planner's statistics, kept fresh the way PostgreSQL's autovacuum keeps them, for the engine that has none:
 * PGlite runs no background workers, so a table filled through the forms (support records, responses, ballots)
 * would never be analysed, and the planner would keep guessing its size from its first page. At 50,000 support
 * records that guess turned the partnership insight page's joins into 50,000 index lookups each (seconds a page).
 *
 * The rule is autovacuum's: analyse a table once more than 50 rows plus a tenth of it have changed since it was
 * last analysed. Also analysed: tables with rows that were never analysed, however small, which autovacuum leaves
 * alone below 50 rows; a handful of teams misjudged as hundreds is what misled the planner above. On PostgreSQL
 * the second rule is all this adds; the first is autovacuum's own and finds nothing left to do.
 */
export async function refreshStatistics(db: Db): Promise<string[]> {
  const stale = await queryRows<{ table: string }>(
    db,
    sql`select s.relname as table from pg_stat_user_tables s
        where s.schemaname = 'public'
          and ((s.last_analyze is null and s.last_autoanalyze is null and s.n_live_tup > 0)
            or s.n_mod_since_analyze > 50 + 0.1 * greatest(s.n_live_tup, 0))
        order by s.relname`,
  );
  for (const { table } of stale) await db.execute(sql`analyze ${sql.identifier(table)}`);
  return stale.map((s) => s.table);
}

/**
 * Runs refreshStatistics every `everyMs` while the server runs (first soon after start), never two at once, and
 * never holding the process open. A failure (the database briefly down) is logged and tried again next time.
 */
export function keepStatisticsFresh(database: Database, log: (error: unknown) => void, everyMs = 60_000): () => void {
  let running = false;
  const run = async () => {
    if (running) return;
    running = true;
    try {
      await refreshStatistics(database.db);
    } catch (error) {
      log(error);
    } finally {
      running = false;
    }
  };
  const first = setTimeout(run, Math.min(everyMs, 5_000));
  const timer = setInterval(run, everyMs);
  first.unref();
  timer.unref();
  return () => {
    clearTimeout(first);
    clearInterval(timer);
  };
}
