import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, emailOf } from '../support/app.ts';
import { createTestDatabase, engines, type TestDatabase } from '../support/engines.ts';
import { fuzzTimeout, hardProfile } from '../support/profile.ts';
import { getRoutes, routeUrl } from '../support/route-matrix.ts';
import { seedRich, type RichFixture } from './fixture.ts';

/**
 * SQL metacharacters in every GET route's path parameters, query parameters and search fields: never a 500, never a
 * database message in the body. Query keys are those the pages' own GET forms use, plus the names the routes read
 * (gathered from the source), all sent at once.
 */

const values = ["'", '";--', "' or '1'='1", '%', '_', '\\', '\u0000', '%00', 'x'.repeat(5000), "1'; select pg_sleep(0); --", '$1', '::text', '[]'];
const commonKeys = ['q', 'page', 'per_page', 'sort', 'dir', 'from', 'to', 'since', 'area', 'code', 'edition', 'postcode', 'category', 'status', 'kind', 'geography', 'a', 'b', 'format', 'year', 'district', 'neighbourhood', 'organisation', 'taxonomy_id', 'domain', 'filter', 'ward', 'place', 'theme', 'question', 'channel', 'layout', 'display', 'group', 'compare', 'proximity', 'deciles', 'source', 'version', 'vocabulary', 'v', 'id', 'name', 'returnTo'];

/** A database error's words: none may reach a person. */
const databaseMessage = /syntax error at or near|invalid input syntax|unterminated quoted|does not exist|violates|duplicate key|Failed query|SQLSTATE|PostgresError|DrizzleError|invalid byte sequence|null character not permitted|value too long for type|operator does not exist|at character \d+|\bstack\b.*\bat\b/i;

describe.each(engines)('SQL metacharacters on every GET route on %s', (engine) => {
  let database: TestDatabase;
  let fixture: RichFixture;
  let admin: Client;
  let coordinator: Client;

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    fixture = await seedRich(database);
    admin = new Client(fixture.app);
    coordinator = new Client(fixture.app);
    await admin.signIn(emailOf('site-admin'));
    await coordinator.signIn(emailOf('coordinator'));
  });

  afterAll(async () => {
    await fixture?.app.close();
    await database?.drop();
  });

  it('never fails or shows a database message', async () => {
    const bad: string[] = [];
    let requests = 0;
    const check = async (client: Client, route: string, url: string) => {
      const response = await client.get(url);
      requests++;
      if (response.statusCode >= 500) bad.push(`${response.statusCode} ${route} ${url.slice(0, 160)}`);
      else if (databaseMessage.test(response.body)) bad.push(`database message ${route} ${url.slice(0, 160)}: ${databaseMessage.exec(response.body)![0]}`);
    };
    for (const [r, route] of getRoutes().entries()) {
      const client = route.startsWith('/support') ? coordinator : admin;
      const good = routeUrl(route, new Proxy(fixture.params, { get: (t, k: string) => t[k] ?? '00000000-0000-4000-8000-000000000000' }));
      // The page's own GET forms name its search fields.
      const page = await client.get(good);
      const formKeys = new Set<string>();
      for (const form of page.body.matchAll(/<form\b[^>]*method="get"[^>]*>([\s\S]*?)<\/form>/gi)) {
        for (const field of form[1]!.matchAll(/\bname="([^"]+)"/g)) formKeys.add(field[1]!);
      }
      // Quick: two values per route, different ones for neighbouring routes; hard: all of them.
      const chosen = hardProfile ? values : [0, 1].map((i) => values[(r * 2 + i) % values.length]!);
      for (const value of chosen) {
        const v = encodeURIComponent(value);
        if (route.includes(':')) await check(client, route, routeUrl(route, new Proxy({}, { get: () => v })));
        const sep = good.includes('?') ? '&' : '?';
        await check(client, route, `${good}${sep}${commonKeys.map((k) => `${k}=${v}`).join('&')}`);
        // Each search field alone too, so a strict schema refusing the others cannot hide it.
        for (const key of formKeys) await check(client, route, `${good}${sep}${encodeURIComponent(key)}=${v}`);
      }
    }
    expect(bad).toEqual([]);
    expect(requests).toBeGreaterThan(400);
  }, fuzzTimeout(120_000));
});
