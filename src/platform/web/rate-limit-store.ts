import { createHmac } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { queryRows, type Database } from '../db/database.ts';

type Hits = { current: number; ttl: number };
type Callback = (error: Error | null, result?: Hits) => void;
// The plugin passes the route's merged options, with the route under routeInfo (its types say the route itself).
type RouteOptions = { url?: string; method?: unknown; routeInfo?: { method?: unknown; url?: string } };

/** How often, in increments, the rows of windows long past are swept away. */
const sweepEvery = 500;

/**
 * A store for @fastify/rate-limit that keeps its counts in the database (table rate_limit_hits), so that every
 * server behind a load balancer counts against the same limit. Fixed windows, as the plugin's own memory store
 * has: the first hit opens a window of `timeWindow` and later hits in it add to the count. One upsert per
 * limited request, which only sign-in and the public forms make.
 *
 * The plugin makes the store with `new Store(options)`, so the database and the key's secret are closed over.
 */
export function databaseRateLimitStore(database: Database, secret: string) {
  let increments = 0;
  return class DatabaseRateLimitStore {
    constructor(
      _options: unknown,
      private readonly prefix = 'global',
    ) {}

    /** The client's address is personal data: only a keyed hash of it (with the route) is stored. */
    private keyOf(client: string): string {
      return createHmac('sha256', secret).update(`${this.prefix}\u0000${client}`).digest('hex');
    }

    incr(client: string, callback: Callback, timeWindow: number): void {
      const key = this.keyOf(client);
      const window = Math.max(1, Math.round(timeWindow));
      queryRows<{ hits: number; ttl: string }>(
        database.db,
        sql`insert into rate_limit_hits as r (key, hits, window_ends_at)
            values (${key}, 1, clock_timestamp() + ${window} * interval '1 millisecond')
            on conflict (key) do update set
              hits = case when r.window_ends_at <= clock_timestamp() then 1 else r.hits + 1 end,
              window_ends_at = case when r.window_ends_at <= clock_timestamp() then excluded.window_ends_at else r.window_ends_at end
            returning hits, greatest(0, ceil(extract(epoch from (window_ends_at - clock_timestamp())) * 1000))::bigint::text as ttl`,
      )
        .then(([row]) => {
          callback(null, { current: row!.hits, ttl: Number(row!.ttl) });
          if (++increments % sweepEvery === 0) void this.sweep();
        })
        .catch((error: Error) => callback(error));
    }

    read(client: string, callback: Callback): void {
      queryRows<{ hits: number; ttl: string }>(
        database.db,
        sql`select hits, greatest(0, ceil(extract(epoch from (window_ends_at - clock_timestamp())) * 1000))::bigint::text as ttl
            from rate_limit_hits where key = ${this.keyOf(client)} and window_ends_at > clock_timestamp()`,
      )
        .then(([row]) => callback(null, row ? { current: row.hits, ttl: Number(row.ttl) } : { current: 0, ttl: 0 }))
        .catch((error: Error) => callback(error));
    }

    /** Each limited route counts apart, as the plugin's own stores do. */
    child(routeOptions: RouteOptions): DatabaseRateLimitStore {
      const route = routeOptions.routeInfo ?? routeOptions;
      return new DatabaseRateLimitStore(routeOptions, `${String(route.method)} ${route.url}`);
    }

    private async sweep(): Promise<void> {
      await queryRows(database.db, sql`delete from rate_limit_hits where window_ends_at < clock_timestamp() - interval '1 hour'`).catch(() => {});
    }
  };
}
