import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, engines, type TestDatabase } from '../support/engines.ts';
import { formulaCells } from '../support/hostile.ts';
import { crawl, poisonText, seedRich, type Poisoned, type RichFixture } from './fixture.ts';

/**
 * Formula injection: every stored free-text column holds a spreadsheet formula, then every CSV the route matrix serves
 * (found by content type in a crawl of every GET route) must start no cell with = + - @ tab or CR, unless the cell is
 * neutralised with a leading apostrophe (src/platform/data/csv.ts guardCell) or is a plain number.
 */

const dangerous = /^[=+\-@\t\r]/;
const plainNumber = /^[-+]?\d+(\.\d+)?$/;

describe.each(engines)('CSV exports neutralise formulas on %s', (engine) => {
  let database: TestDatabase;
  let fixture: RichFixture;
  let poisoned: Poisoned;

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    fixture = await seedRich(database);
    poisoned = await poisonText(database, (_, i) => formulaCells[i % formulaCells.length]!);
  });

  afterAll(async () => {
    await fixture?.app.close();
    await database?.drop();
  });

  it('guards every cell of every CSV export', async () => {
    expect(poisoned.columns.length, JSON.stringify(poisoned.skipped)).toBeGreaterThanOrEqual(60);
    const unsafe: string[] = [];
    const failures: string[] = [];
    const csvRoutes = new Set<string>();
    let guarded = 0;
    await crawl(fixture, ({ route, url, who, response }) => {
      if (response.statusCode >= 500) failures.push(`${response.statusCode} ${who} ${url}`);
      if (response.statusCode !== 200 || !String(response.headers['content-type'] ?? '').startsWith('text/csv')) return;
      csvRoutes.add(route);
      const rows = parse(response.body, { bom: true, relax_column_count: true }) as string[][];
      for (const [r, row] of rows.entries()) {
        for (const cell of row) {
          if (/^'[=+\-@\t\r]/.test(cell)) guarded++;
          else if (dangerous.test(cell) && !plainNumber.test(cell)) unsafe.push(`${route} row ${r + 1}: ${JSON.stringify(cell.slice(0, 40))}`);
        }
      }
    });
    expect(unsafe).toEqual([]);
    expect(failures).toEqual([]);
    // The crawl reached the exports, and the formulas reached the files (guarded), so the check above is not vacuous.
    expect(csvRoutes.size).toBeGreaterThanOrEqual(8);
    expect(guarded).toBeGreaterThan(10);
  });
});
