import path from 'node:path';
import { sql } from 'drizzle-orm';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { cliActor } from '../../src/platform/audit/audit.ts';
import { queryRows } from '../../src/platform/db/database.ts';
import { importBoundaries } from '../../src/capabilities/geography/boundaries.ts';
import { emailOf, seedPeople, testPassword } from '../support/app.ts';
import { iod2011Steps, loadBundledSteps } from '../support/data.ts';
import { browserApp, browserSkipReason, checkPage, signInAs } from '../support/browser.ts';

/**
 * An analyst's afternoon in a real browser, with axe on every page (issue 4's "Done when"): upload a bad
 * local indicator and then a good one, see it beside the index and on a map, compare editions, and build a
 * composite index of every ward of two districts.
 */
describe.skipIf(browserSkipReason !== null)(browserSkipReason ?? 'in Chromium: local data and a composite index', () => {
  let leedsLsoas: string[];
  const harness = browserApp(async (database) => {
    await seedPeople(database);
    await loadBundledSteps(database.db, [...iod2011Steps, 'population.mid2020']);
    await importBoundaries(database.db, path.resolve('tests/fixtures/boundaries/lsoa11'), cliActor);
    leedsLsoas = (await queryRows<{ code: string }>(database.db, sql`select from_code as code from area_lookups where from_vintage = 'lsoa11' and to_vintage = 'lad19' and to_code = 'E08000035' order by 1`)).map((r) => r.code);
  });

  const signedIn = () => signInAs(harness.browser, harness.base, emailOf('member'), testPassword);

  async function fillUpload(page: Page, label: string, file: { name: string; content: string }) {
    await page.locator('#file').setInputFiles({ name: file.name, mimeType: 'text/csv', buffer: Buffer.from(file.content) });
    await page.getByLabel('LSOA (2011)').check();
    await page.getByLabel('Name of the indicator').fill(label);
    await page.getByLabel('Unit').fill('per 1,000 people');
    await page.getByLabel('Period').fill('2025/26');
    await page.getByLabel('Rates or averages (population-weighted across areas)').check();
    await page.getByLabel('Higher is worse').check();
    await page.getByLabel('Source').fill('Test police force (sample data)');
    await page.getByLabel('Licence or terms').fill('Open Government Licence v3.0');
    await page.getByLabel('Anyone (public)').check();
    await page.getByRole('button', { name: 'Upload' }).click();
  }

  it('uploads a bad local indicator (every problem named, nothing saved) and then a good one, shown on a map and beside the index', async () => {
    const page = await signedIn();
    await page.getByRole('link', { name: 'Local data', exact: true }).click();
    await page.getByRole('link', { name: /^Upload local data for / }).click();
    await checkPage(page, 'local-data-upload');

    await fillUpload(page, 'Anti-social behaviour incidents', { name: 'bad.csv', content: `code,value\n${leedsLsoas[0]},1.5\nE0100000X,2\n${leedsLsoas[1]},lots\n` });
    const summary = page.locator('.govuk-error-summary');
    await expect.poll(() => summary.textContent()).toContain('2 rows have problems. Nothing has been saved.');
    expect(await summary.textContent()).toContain('Row 4, column “value”: "lots" is not a number');
    // The typed details survive; the file must be chosen again (browsers never refill a file input).
    expect(await page.getByLabel('Name of the indicator').inputValue()).toBe('Anti-social behaviour incidents');
    await checkPage(page, 'local-data-upload-bad');
    expect((await queryRows<{ n: number }>(harness.database.db, sql`select count(*)::int as n from indicators where owner_organisation_id is not null`))[0]!.n).toBe(0);

    const good = `code,value\n${leedsLsoas.map((c, i) => `${c},${(i % 9) + 0.25}`).join('\n')}\n`;
    await fillUpload(page, 'Anti-social behaviour incidents', { name: 'asb.csv', content: good });
    await expect.poll(() => page.locator('h1').textContent()).toBe('Anti-social behaviour incidents');
    await expect.poll(() => page.locator('.govuk-notification-banner').textContent()).toContain(`${leedsLsoas.length} areas`);
    await page.locator('.pw-map[data-pw-map-drawn]').waitFor();
    expect(await page.locator('.pw-map').getAttribute('data-pw-map-error')).toBeNull();
    await checkPage(page, 'local-data-indicator');

    // Beside the index in Leeds' ward table, with the change since IoD2015.
    await page.goto(`${harness.base}/areas/E08000035`);
    await page.locator('#local').selectOption({ label: 'Anti-social behaviour incidents, 2025/26' });
    await page.locator('#since').selectOption('iod2015');
    await page.getByRole('button', { name: 'Show wards' }).click();
    await expect.poll(() => page.url()).toContain('since=iod2015');
    const header = await page.locator('table.pw-members thead').textContent();
    expect(header).toContain('Anti-social behaviour incidents (per 1,000 people, 2025/26)');
    expect(header).toContain('Decile in English Indices of Deprivation 2015');
    expect(await page.locator('table.pw-members tbody tr').first().textContent()).toMatch(/population-weighted of \d+ of \d+ LSOAs/);
    await checkPage(page, 'need-leeds-local-since');
    await page.context().close();
  });

  it('builds a composite index of every ward of Leeds and Bradford, shown ranked, on a map and on a ward’s profile', async () => {
    const page = await signedIn();
    await page.getByRole('link', { name: 'Composite indexes', exact: true }).click();
    await checkPage(page, 'composite-list');
    await page.getByRole('link', { name: /^Build an index for / }).click();
    await checkPage(page, 'composite-new');

    // A mistake first: no districts given.
    await page.getByLabel('Name', { exact: true }).fill('Leeds and Bradford wellbeing');
    await page.locator('#edition').selectOption('iod2019');
    await page.getByRole('button', { name: 'Build the index' }).click();
    await expect.poll(() => page.locator('.govuk-error-summary').textContent()).toContain('Enter the codes of the districts to score');
    await checkPage(page, 'composite-new-errors');

    await page.getByLabel('Districts').fill('E08000035, E08000032');
    await page.locator('#source0').selectOption('iod2019.income');
    await page.locator('#component0').fill('Material wellbeing');
    await page.locator('#dimension0').selectOption('Basic Human Needs');
    await page.locator('#source1').selectOption('iod2019.employment');
    await page.locator('#component1').fill('Work');
    await page.locator('#dimension1').selectOption('Opportunity');
    await page.getByLabel('Anyone (public)').check();
    await page.getByRole('button', { name: 'Build the index' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Leeds and Bradford wellbeing');
    expect(await page.locator('table.pw-index-results tbody tr').count()).toBeGreaterThan(50);
    expect(await page.getByText('Component score = (Σ weight × value').count()).toBe(1);
    await page.locator('.pw-map[data-pw-map-drawn]').waitFor();
    expect(await page.locator('.pw-map').getAttribute('data-pw-map-error')).toBeNull();
    await checkPage(page, 'composite-show');

    const top = page.locator('table.pw-index-results tbody tr').first().getByRole('link');
    await top.click();
    await expect.poll(() => page.locator('h2', { hasText: 'Composite indexes' }).count()).toBe(1);
    expect(await page.locator('body').textContent()).toMatch(/Rank 1 of \d+ wards, score/);
    await checkPage(page, 'composite-on-profile');
    await page.context().close();
  });
});
