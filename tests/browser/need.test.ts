import path from 'node:path';
import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { cliActor } from '../../src/platform/audit/audit.ts';
import { importBoundaries } from '../../src/capabilities/geography/boundaries.ts';
import { iod2011Steps, loadBundledSteps } from '../support/data.ts';
import { browserApp, browserSkipReason, checkPage, newPage } from '../support/browser.ts';

/** England → a district → a ward → an LSOA in a real browser, with axe on every page (issue 4's walk). */
describe.skipIf(browserSkipReason !== null)(browserSkipReason ?? 'in Chromium: seeing need', () => {
  const harness = browserApp(async (database) => {
    await loadBundledSteps(database.db, iod2011Steps);
    await importBoundaries(database.db, path.resolve('tests/fixtures/boundaries/lsoa11'), cliActor);
  });

  const rows = (page: Page) => page.locator('table.pw-members tbody tr');

  it('walks England → Leeds → a ward → an LSOA, each page accessible', async () => {
    const page = await newPage(harness.browser);
    await page.goto(`${harness.base}/areas`);
    await expect.poll(() => page.locator('h1').textContent()).toBe('Where need is greatest in England');
    expect(await rows(page).count()).toBe(317);
    await checkPage(page, 'need-england');

    await page.getByRole('link', { name: 'Leeds', exact: true }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Leeds');
    // The map draws from Patchwork's own tiles (software WebGL here), and the fallback text goes.
    await page.locator('.pw-map[data-pw-map-drawn]').waitFor();
    expect(await page.locator('.pw-map__fallback').count()).toBe(0);
    // Coloured by its wards' deciles, or, on request, by every LSOA's national decile.
    await page.getByLabel('every LSOA (its national decile)').check();
    await page.waitForTimeout(300);
    expect(await page.locator('.pw-map').getAttribute('data-pw-map-error')).toBeNull();
    await checkPage(page, 'need-leeds');

    const ward = rows(page).first().getByRole('link');
    const wardName = (await ward.textContent())!.trim();
    await ward.click();
    await expect.poll(() => page.locator('h1').textContent()).toBe(wardName);
    await expect.poll(() => page.locator('.govuk-breadcrumbs').textContent()).toContain('Leeds');
    await checkPage(page, 'need-ward');

    const lsoa = rows(page).first().getByRole('link');
    const lsoaName = (await lsoa.textContent())!.trim();
    await lsoa.click();
    await expect.poll(() => page.locator('h1').textContent()).toBe(lsoaName);
    expect(await page.getByText('Index of Multiple Deprivation', { exact: true }).count()).toBeGreaterThan(0);
    await checkPage(page, 'need-lsoa');
    await page.context().close();
  });

  it('switches edition, filters to the most deprived 10%, and downloads the table as CSV', async () => {
    const page = await newPage(harness.browser, { acceptDownloads: true });
    await page.goto(`${harness.base}/areas/E08000035`);
    await page.locator('#profile-edition').selectOption('iod2015');
    await page.getByRole('button', { name: 'Show', exact: true }).click();
    await expect.poll(() => page.url()).toContain('edition=iod2015');
    await expect.poll(() => page.locator('.govuk-caption-l').textContent()).toContain('English Indices of Deprivation 2015');

    await page.goto(`${harness.base}/areas`);
    await page.getByLabel('In the most deprived 10%').check();
    await page.getByRole('button', { name: 'Show districts' }).click();
    await expect.poll(() => page.url()).toContain('filter=decile1');
    expect(await rows(page).count()).toBe(31);
    await checkPage(page, 'need-england-decile1');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download this table as CSV' }).click()]);
    expect(download.suggestedFilename()).toBe('iod2019-imd-districts.csv');
    const csv = await readFile((await download.path())!, 'utf8');
    expect(csv.trim().split('\n')).toHaveLength(32);
    expect(csv.split('\n')[1]).toMatch(/^E06000009,Blackpool,iod2019,imd,/);

    await page.goto(`${harness.base}/areas/E06000009`);
    const [pdf] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download this profile as a PDF (A4)' }).click()]);
    expect(pdf.suggestedFilename()).toBe('E06000009-iod2019-imd.pdf');
    expect((await readFile((await pdf.path())!)).subarray(0, 8).toString()).toBe('%PDF-1.7');
    await page.context().close();
  });

  it('works by keyboard and without JavaScript: the filter form and tables are plain HTML', async () => {
    const page = await newPage(harness.browser, { javaScriptEnabled: false });
    await page.goto(`${harness.base}/areas`);
    await page.getByLabel('In a range of deciles').check();
    await page.locator('#from').selectOption('10');
    await page.locator('#to').selectOption('10');
    await page.getByRole('button', { name: 'Show districts' }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.url()).toContain('filter=range');
    const deciles = await page.locator('table.pw-members tbody tr td:nth-child(5)').allTextContents();
    expect(deciles.length).toBeGreaterThan(20);
    expect(deciles.every((d) => d.trim() === '10')).toBe(true);
    // Without JavaScript the map says the tables hold its figures.
    await page.goto(`${harness.base}/areas/E08000035`);
    expect(await page.locator('.pw-map__fallback').textContent()).toContain('The tables on this page give the same figures');
    await page.context().close();
  });
});
