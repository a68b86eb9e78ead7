import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, engines, type TestDatabase } from '../support/engines.ts';
import { markupPayloads } from '../support/hostile.ts';
import { crawl, poisonText, seedRich, type Poisoned, type RichFixture } from './fixture.ts';

/**
 * Stored XSS: every free-text column of a richly seeded database holds markup, then every GET page of the route
 * matrix is rendered (as a site administrator and as the supported person's coordinator) and must show it escaped.
 * Columns skipped (check constraints, append-only tables, no rows) are listed by the test's output when it fails.
 */

// The payloads that are markup when unescaped; each is looked for verbatim in what a browser would parse.
const markup = markupPayloads.filter((p) => /[<>"]/.test(p));
// URL columns get a script URL, which is only dangerous inside an href/src.
const urlColumn = /(^|_)(url|website|link|href)s?$/;

describe.each(engines)('stored text is escaped on every page on %s', (engine) => {
  let database: TestDatabase;
  let fixture: RichFixture;
  let poisoned: Poisoned;

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    fixture = await seedRich(database);
    poisoned = await poisonText(database, (column, i) => (urlColumn.test(column.split('.')[1]!) ? 'javascript:alert(1)' : markup[i % markup.length]!));
  });

  afterAll(async () => {
    await fixture?.app.close();
    await database?.drop();
  });

  it('poisons enough columns to mean something', () => {
    // The report of what was and was not reached, for whoever reads the run.
    console.info(`Poisoned ${poisoned.columns.length} columns; skipped ${poisoned.skipped.length}: ${poisoned.skipped.map((s) => `${s.column} (${s.reason})`).join('; ')}`);
    // Fewer than this means the fixture or the column filter broke, and the crawl below would prove nothing.
    expect(poisoned.columns.length, JSON.stringify(poisoned.skipped)).toBeGreaterThanOrEqual(60);
  });

  it('shows no payload unescaped in any HTML, SVG or JSON-as-HTML page', async () => {
    const found: string[] = [];
    const failures: string[] = [];
    let seen = 0;
    let withPayloadEscaped = 0;
    const pages = await crawl(fixture, ({ route, url, who, response }) => {
      const type = String(response.headers['content-type'] ?? '');
      if (response.statusCode >= 500) failures.push(`${response.statusCode} ${who} ${url}`);
      if (!/text\/html|svg|xml/.test(type)) return;
      seen++;
      const body = response.body;
      for (const payload of markup) if (body.includes(payload)) found.push(`${who} ${route}: ${payload}`);
      if (/\b(href|src|action|formaction)\s*=\s*["']?\s*javascript:/i.test(body)) found.push(`${who} ${route}: javascript: URL`);
      if (body.includes('&lt;script&gt;alert(1)') || body.includes('&quot;&gt;&lt;img')) withPayloadEscaped++;
    });
    expect(found).toEqual([]);
    expect(failures).toEqual([]);
    expect(pages).toBeGreaterThan(150);
    // The payloads really reached the pages (escaped), so the absence above is not because nothing was shown.
    expect(seen).toBeGreaterThan(100);
    expect(withPayloadEscaped).toBeGreaterThan(40);
  });
});
