import { describe, expect, it } from 'vitest';
import { engines } from '../../../tests/support/engines.ts';
import { Client, emailOf, startTestApp, testPassword, useSeededApp } from '../../../tests/support/app.ts';
import { rateLimitHits } from './schema.ts';
import { databaseRateLimitStore } from './rate-limit-store.ts';

type Hits = { current: number; ttl: number };

describe.each(engines)('rate limits shared through the database on %s', (engine) => {
  const h = useSeededApp(engine, { SIGN_IN_RATE_LIMIT: '3' });

  it('counts sign-in attempts to two servers on one database against one limit', async () => {
    const other = await startTestApp(h.database, { SIGN_IN_RATE_LIMIT: '3' });
    try {
      const first = new Client(h.app);
      const second = new Client(other);
      await first.get('/sign-in');
      await second.get('/sign-in');
      expect((await first.post('/sign-in', { email: emailOf('member'), password: 'wrong password entirely' })).statusCode).toBe(400);
      expect((await second.post('/sign-in', { email: emailOf('member'), password: 'wrong password entirely' })).statusCode).toBe(400);
      expect((await first.post('/sign-in', { email: emailOf('member'), password: 'wrong password entirely' })).statusCode).toBe(400);
      // The fourth attempt, on the server that has seen only one of them, is refused.
      const refused = await second.post('/sign-in', { email: emailOf('member'), password: testPassword });
      expect(refused.statusCode).toBe(429);
      expect(refused.headers['retry-after']).toBeDefined();
    } finally {
      await other.close();
    }
  });

  it('keeps a keyed hash of the route and address, never the address', async () => {
    const rows = await h.database.db.select().from(rateLimitHits);
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row.key).toMatch(/^[0-9a-f]{64}$/);
      expect(row.key).not.toContain('127.0.0.1');
    }
  });

  it('opens a new window when the last one has ended, and counts each route apart', async () => {
    const Store = databaseRateLimitStore(h.database, 'a test secret that is long enough');
    const store = new Store({}).child({ routeInfo: { method: 'POST', url: '/a' } });
    const elsewhere = new Store({}).child({ routeInfo: { method: 'POST', url: '/b' } });
    const incr = (s: typeof store, window: number) => new Promise<Hits>((resolve, reject) => s.incr('203.0.113.9', (error, result) => (error ? reject(error) : resolve(result!)), window));
    expect((await incr(store, 200)).current).toBe(1);
    const second = await incr(store, 200);
    expect(second.current).toBe(2);
    expect(second.ttl).toBeGreaterThan(0);
    expect(second.ttl).toBeLessThanOrEqual(200);
    expect((await incr(elsewhere, 200)).current).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect((await incr(store, 200)).current).toBe(1);
    const read = await new Promise<Hits>((resolve, reject) => store.read('203.0.113.9', (error, result) => (error ? reject(error) : resolve(result!))));
    expect(read.current).toBe(1);
  });
});
