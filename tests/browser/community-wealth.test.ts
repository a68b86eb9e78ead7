import { sql } from 'drizzle-orm';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { queryRows } from '../../src/platform/db/database.ts';
import { seedCommunityWealth, type WealthFixture } from '../../src/capabilities/community-wealth/testing.ts';
import { emailOf, seedPeople, testPassword } from '../support/app.ts';
import { browserApp, browserSkipReason, checkPage, fillDate, signInAs, submit, tabTo } from '../support/browser.ts';

/**
 * Where an organisation's money lands, in a real browser (issue 13): the local spend dashboard for its district and
 * for a neighbourhood, from the hand-worked spend file of community-wealth/testing.ts (Wigan's real boundaries and
 * postcodes); then a new spend file uploaded and its columns checked, a supplier placed and two spellings merged,
 * and a contract's social value promised and delivered. Axe on every page. All sample data.
 */
describe.skipIf(browserSkipReason !== null)(browserSkipReason ?? 'in Chromium: community wealth', () => {
  let f: WealthFixture;
  const harness = browserApp(async (database) => {
    f = await seedCommunityWealth(database, await seedPeople(database));
  });
  const db = () => harness.database.db;
  const main = async (page: Page) => ((await page.locator('main').textContent()) ?? '').replace(/\s+/g, ' ');
  const base = '/organisations/test-org/community-wealth';

  it('shows local spend for the district and a neighbourhood', async () => {
    const page = await signInAs(harness.browser, harness.base, emailOf('viewer'), testPassword);
    // From the organisation's page the keyboard reaches its community wealth dashboard.
    await page.goto(`${harness.base}/organisations/test-org`);
    await tabTo(page, `a[href="${base}"]`);
    await page.keyboard.press('Enter');
    await page.waitForURL(new RegExp(`${base}$`));
    const district = await main(page);
    expect(district).toContain('Wigan');
    expect(district).toContain('£4,000');
    expect(district).toContain('49.4%');
    expect(district).toContain('Individual');
    expect(district).not.toContain('REDACTED');
    await checkPage(page, 'wealth-dashboard-district');

    // One financial year and one department, by the filter form (no JavaScript needed).
    await page.goto(`${harness.base}${base}?from=2025-26&to=2025-26&department=Adults`);
    expect(await main(page)).toContain('£1,800');
    await checkPage(page, 'wealth-dashboard-filtered');

    // The neighbourhood's own dashboard, from its row in the district's table.
    await page.goto(`${harness.base}${base}`);
    await page.getByRole('link', { name: 'Marsh Green Patch (sample data)' }).first().click();
    await page.waitForURL(new RegExp(`/neighbourhoods/${f.neighbourhoodId}$`));
    const patch = await main(page);
    expect(patch).toContain('Marsh Green Patch (sample data)');
    expect(patch).toContain('£4,000');
    expect(patch).toContain('49.4%');
    await checkPage(page, 'wealth-dashboard-neighbourhood');

    const csv = await page.request.get(`${harness.base}${base}.csv`);
    expect(csv.status()).toBe(200);
    expect(await csv.text()).toContain('Wigan');
  });

  it('imports a spend file, places and merges suppliers, and records social value', async () => {
    const page = await signInAs(harness.browser, harness.base, emailOf('member'), testPassword);
    // A second month's file in another shape: its columns are checked, then it is imported.
    await page.goto(`${harness.base}${base}/sources`);
    await checkPage(page, 'wealth-sources');
    await page.getByRole('link', { name: 'Sample council payments (sample data)' }).first().click();
    await checkPage(page, 'wealth-source');
    await page.locator('input[type="file"]').setInputFiles({
      name: 'payments-2025-07.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(['Payment Date,Supplier Name,Amount,Service Area,Transaction Number', '01/07/2025,Acme Care Ltd,300,Adults,T9', '02/07/2025,ACME CARE LIMITED,450,Adults,T10', '03/07/2025,Local Care Ltd,-50,Adults,T11'].join('\n')),
    });
    await submit(page, 'Upload and check the columns');
    expect(await main(page)).toContain('Acme Care Ltd');
    await checkPage(page, 'wealth-source-check');
    await submit(page, 'Import the file');
    const report = await main(page);
    expect(report).toContain('payments-2025-07.csv');
    expect(report).toContain('£700');
    await checkPage(page, 'wealth-import-report');

    // A new supplier placed by its postcode.
    await page.goto(`${harness.base}${base}/suppliers?q=acme`);
    await checkPage(page, 'wealth-suppliers');
    await page.getByRole('link', { name: 'Acme Care Ltd', exact: true }).click();
    await checkPage(page, 'wealth-supplier');
    await page.getByRole('link', { name: /Change|Edit/ }).first().click();
    await page.locator('input[name="kind"][value="sme"]').check();
    await page.locator('#postcode').fill('WN3 5PR');
    await checkPage(page, 'wealth-supplier-edit');
    await submit(page, 'Save the supplier');
    const [placed] = await queryRows<{ lad25: string | null; kind: string }>(db(), sql`select lad25, kind from suppliers where name = 'Acme Care Ltd'`);
    expect(placed).toEqual({ lad25: 'E08000010', kind: 'sme' });

    // Its other spelling merged into it, with a reason, and the record kept.
    // A supplier list from procurement: a new supplier added with its kind and place.
    await page.goto(`${harness.base}${base}/suppliers/import`);
    await checkPage(page, 'wealth-supplier-import');
    await page.locator('input[type="file"]').setInputFiles({ name: 'suppliers.csv', mimeType: 'text/csv', buffer: Buffer.from('Supplier name,Kind,Postcode\nFresh Supplies Ltd (sample data),SME,WN3 5PH\n') });
    await submit(page, 'Import the supplier list');
    expect(await main(page)).toContain('1 added');

    await page.goto(`${harness.base}${base}/suppliers/duplicates`);
    await checkPage(page, 'wealth-duplicates');
    const group = page.locator('form').filter({ hasText: 'ACME CARE LIMITED' });
    await group.getByLabel('Acme Care Ltd', { exact: false }).first().check();
    await group.locator('input[name="merge"]').first().check();
    await group.getByRole('button', { name: 'Check the merge' }).click();
    await page.waitForLoadState('load');
    await checkPage(page, 'wealth-merge');
    await page.locator('#reason').fill('Same company number, 01234567 (sample data)');
    await submit(page, 'Merge the suppliers');
    expect(await main(page)).toContain('payment');
    await page.goto(`${harness.base}${base}/suppliers/merges`);
    expect(await main(page)).toContain('Same company number');
    await checkPage(page, 'wealth-merges');

    // Social value: a measure, a contract promising it in the neighbourhood, and a delivery.
    await page.goto(`${harness.base}${base}/social-value/measures/new`);
    await page.locator('#name').fill('Local jobs for Wigan residents (sample data)');
    await page.locator('#unit').fill('jobs');
    await page.locator('#proxyValue').fill('£10,000');
    await page.locator('#proxySource').fill('Invented for testing (sample data)');
    await checkPage(page, 'wealth-measure-new');
    await submit(page, 'Add the measure');
    await page.goto(`${harness.base}${base}/social-value/contracts/new`);
    await page.locator('#title').fill('Home care 2025 to 2028 (sample data)');
    await page.locator('#supplierId').selectOption({ label: 'Acme Care Ltd' });
    await fillDate(page, 'startsOn', '2025-04-01');
    await fillDate(page, 'endsOn', '2028-03-31');
    await page.locator('#measure-1').selectOption({ index: 1 });
    await page.locator('#promised-1').fill('10');
    await page.locator('#where-1').selectOption({ label: 'Marsh Green Patch (sample data) (neighbourhood)' });
    await checkPage(page, 'wealth-contract-new');
    await submit(page, 'Add the contract');
    await checkPage(page, 'wealth-contract');
    const prefix = (await page.locator('input[name="commitmentId"]').first().getAttribute('value'))!.slice(0, 8);
    await fillDate(page, `c${prefix}-deliveredOn`, '2025-09-30');
    await page.locator(`#c${prefix}-quantity`).fill('4');
    await page.locator(`#c${prefix}-evidence`).fill('Payroll records, September 2025 (sample data)');
    await submit(page, 'Record the delivery');
    await page.goto(`${harness.base}${base}/social-value?year=2025`);
    const rollup = await main(page);
    expect(rollup).toContain('40.0%');
    expect(rollup).toContain('Marsh Green Patch (sample data)');
    await checkPage(page, 'wealth-social-value');
  });
});
