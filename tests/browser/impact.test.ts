import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { sql } from 'drizzle-orm';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { queryRows } from '../../src/platform/db/database.ts';
import { seedImpact } from '../../src/capabilities/impact/testing.ts';
import { emailOf, seedPeople, testPassword } from '../support/app.ts';
import { browserApp, browserSkipReason, checkPage, fillDate, submit, newPage, signInAs, tabTo } from '../support/browser.ts';
import { iod2011Steps, loadBundledSteps } from '../support/data.ts';

/**
 * A partnership shows its impact in a real browser (issue 11): agree an outcome, measure it by an Indices of
 * Deprivation domain for its ward and by a figure typed in, add measurements and a story told with consent, build
 * an SROI model from the organisation's proxy library, and download the impact report. Axe on every page.
 */
describe.skipIf(browserSkipReason !== null)(browserSkipReason ?? 'in Chromium: impact', () => {
  let partnershipId = '';
  const harness = browserApp(async (database) => {
    const seeded = await seedPeople(database);
    await loadBundledSteps(database.db, iod2011Steps);
    partnershipId = (await seedImpact(database, seeded)).partnershipId;
  });
  const db = () => harness.database.db;
  const main = async (page: Page) => (await page.locator('main').textContent()) ?? '';

  it('defines outcomes and measures, adds measurements and a story, builds an SROI model and downloads the report', async () => {
    const page = await signInAs(harness.browser, harness.base, emailOf('member'), testPassword);
    // From the partnership's page the keyboard reaches its impact.
    await page.goto(`${harness.base}/partnerships/${partnershipId}`);
    await tabTo(page, `a[href="/partnerships/${partnershipId}/impact"]`);
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/impact$/);
    await checkPage(page, 'impact-outcomes-empty');

    await page.getByRole('button', { name: 'Add an outcome' }).click();
    await page.locator('#title').fill('Fewer residents feel lonely or left out (sample data)');
    await page.locator('#description').fill('People in Worsley Mesnes know their neighbours and have somewhere to go.');
    await page.locator('#agreedWith').fill('Residents at the Worsley Mesnes listening event and the partnership board');
    await fillDate(page, 'agreedOn', '2025-03-12');
    await checkPage(page, 'impact-outcome-new');
    await submit(page, 'Add outcome');
    await page.waitForURL(/\/impact\/outcomes\/[0-9a-f-]{36}$/);
    const outcomeUrl = page.url();

    // A measure linked to the Indices of Deprivation for the partnership's ward: its values come from Patchwork.
    await page.goto(`${outcomeUrl}/measures/new`);
    await checkPage(page, 'impact-measure-source');
    await page.locator('input[name="source"][value="indicator"]').check();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForLoadState('load');
    const choice = page.locator('input[name="choice"]').first();
    const choiceLabel = (await page.locator(`label[for="${await choice.getAttribute('id')}"]`).textContent())!.trim();
    expect(choiceLabel).toContain('Worsley Mesnes');
    await choice.check();
    await page.locator('#baselineValue').fill('40');
    await fillDate(page, 'baselineOn', '2019-09-26');
    await page.locator('#targetValue').fill('30');
    await fillDate(page, 'targetOn', '2030-03-31');
    await page.locator('input[name="cadence"][value="annually"]').check();
    await checkPage(page, 'impact-measure-linked');
    await submit(page, 'Add measure');
    const linked = await queryRows<{ name: string; source: string; n: number }>(db(), sql`select m.name, m.source, count(v.id)::int as n from impact_measures m left join impact_measurements v on v.measure_id = m.id group by m.id`);
    expect(linked).toHaveLength(1);
    expect(linked[0]!.source).toBe('indicator');
    // IoD2015 and IoD2019 are loaded, each giving a value for the ward.
    expect(linked[0]!.n).toBe(2);

    // A measure typed in by hand, with two measurements.
    await page.goto(`${outcomeUrl}/measures/new`);
    await page.locator('input[name="source"][value="manual"]').check();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForLoadState('load');
    await page.locator('#name').fill('Residents who often feel lonely');
    await page.locator('#unit').fill('%');
    await page.locator('#baselineValue').fill('31');
    await fillDate(page, 'baselineOn', '2025-03-01');
    await page.locator('#targetValue').fill('20');
    await fillDate(page, 'targetOn', '2027-03-01');
    await page.locator('input[name="direction"][value="decrease"]').check();
    await page.locator('input[name="cadence"][value="six-monthly"]').check();
    await page.locator('#sourceNote').fill('Worsley Mesnes residents’ survey (sample data)');
    await checkPage(page, 'impact-measure-manual');
    await submit(page, 'Add measure');
    for (const [on, value, source] of [
      ['2025-09-30', '27', 'Residents’ survey, September 2025 (188 replies)'],
      ['2026-03-31', '24', 'Residents’ survey, March 2026 (212 replies)'],
    ] as const) {
      const form = page.locator('form', { has: page.getByRole('button', { name: 'Add measurement' }) });
      const prefix = ((await form.locator('input[name$="value"]').getAttribute('name')) ?? '').replace(/value$/, '');
      await fillDate(page, `${prefix}measuredOn`, on);
      await page.locator(`#${prefix}value`).fill(value);
      await page.locator(`#${prefix}source`).fill(source);
      await submit(page, 'Add measurement');
    }
    const outcomePage = await main(page);
    expect(outcomePage).toContain('Residents’ survey, March 2026 (212 replies)');
    expect(outcomePage).toContain('Down from 31%');
    expect(await page.locator('svg[role="img"]').count()).toBe(2);
    await checkPage(page, 'impact-outcome');

    // A story told with consent, tagged to the outcome and the ward, then published.
    await page.goto(`${harness.base}/partnerships/${partnershipId}/impact/stories/new`);
    await fillDate(page, 'toldOn', '2026-05-14');
    await page.locator('#title').fill('From the lunch club to running it (sample data)');
    await page.locator('#body').fill('After her husband died she stopped going out. A neighbour brought her to the Thursday lunch club; she now runs it.');
    await page.locator('#quote').fill('I know everyone on the estate now');
    await page.locator('input[name="consent"][value="given"]').check();
    await fillDate(page, 'consentOn', '2026-05-14');
    await page.locator('input[name="outcomes"]').first().check();
    await page.locator('input[name="areas"][value*="E05000864"]').check();
    await checkPage(page, 'impact-story-new');
    await submit(page, 'Add the story');
    await submit(page, 'Publish');
    await checkPage(page, 'impact-story');
    await page.goto(outcomeUrl);
    expect(await main(page)).toContain('From the lunch club to running it (sample data)');

    // The organisation's proxy library, with its source.
    await page.goto(`${harness.base}/organisations/test-org/sroi-proxies/new`);
    await page.locator('#name').fill('Relief from loneliness (sample data)');
    await page.locator('#value').fill('1,200');
    await page.locator('#unit').fill('per person per year');
    await page.locator('#source').fill('Sample figure typed for this test, standing in for a published valuation');
    await page.locator('#priceYear').fill('2024');
    await checkPage(page, 'impact-proxy-new');
    await submit(page, 'Add the proxy');
    await checkPage(page, 'impact-proxies');

    // An SROI model: an input, an outcome valued with the library's proxy, and a cost avoided.
    await page.goto(`${harness.base}/partnerships/${partnershipId}/impact/sroi/new`);
    await page.locator('#title').fill('Lunch clubs 2025 to 2026 (sample data)');
    await page.locator('#period').fill('April 2025 to March 2026');
    await checkPage(page, 'impact-sroi-new');
    await submit(page, 'Start the model');
    await page.waitForURL(/\/impact\/sroi\/[0-9a-f-]{36}$/);
    await page.getByText('Add an input').click();
    await page.locator('#inputDescription').fill('Coordinator time and room hire');
    await page.locator('#inputAmount').fill('£10,000');
    await page.locator('input[name="inputKind"][value="cash"]').check();
    await page.locator('#inputSource').fill('Partnership budget 2025 to 2026');
    await submit(page, 'Add input');
    await page.getByText('Add an outcome').click();
    await page.locator('#outcomeDescription').fill('Fewer people lonely');
    await page.locator('#stakeholder').fill('Older residents');
    await page.locator('#quantity').fill('10');
    await page.locator('#quantitySource').fill('Lunch club register');
    await page.locator('#proxyId').selectOption({ index: 1 });
    await page.locator('#durationYears').fill('2');
    for (const [key, value, source] of [
      ['deadweight', '20', 'Comparison with the borough survey'],
      ['displacement', '0', 'No other activity displaced'],
      ['attribution', '10', 'Other groups people also attend'],
      ['dropOff', '50', 'Follow-up survey after a year'],
    ] as const) {
      await page.locator(`#${key}`).fill(value);
      await page.locator(`#${key}Source`).fill(source);
    }
    await submit(page, 'Add outcome');
    await page.getByText('Add a cost avoided').click();
    await page.locator('#service').fill('GP appointments');
    await page.locator('#people').fill('10');
    await page.locator('#change').fill('2');
    await page.locator('#changeSource').fill('Practice records before and after');
    await page.locator('#unitCost').fill('42');
    await page.locator('#unitCostSource').fill('PSSRU Unit Costs of Health and Social Care 2024');
    await page.locator('#years').fill('1');
    await submit(page, 'Add cost avoided');
    // 10 × £1,200 × 80% × 90% = £8,640, then £4,320; discounted at 3.5%: £12,381, for £10,000 of inputs.
    const model = await main(page);
    expect(model).toContain('£1.24 of social value for every £1 invested');
    expect(model).toContain('£12,381');
    expect(model).toContain('£840');
    await checkPage(page, 'impact-sroi-model');

    // The report, on the page and as a PDF.
    await page.goto(`${harness.base}/partnerships/${partnershipId}/impact/report`);
    const report = await main(page);
    for (const text of ['Fewer residents feel lonely or left out (sample data)', 'From the lunch club to running it (sample data)', '£1.24 of social value for every £1 invested', 'Sample figure typed for this test']) expect(report).toContain(text);
    await checkPage(page, 'impact-report');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download the report as a PDF' }).click()]);
    const pdf = await readFile((await download.path())!);
    expect(pdf.subarray(0, 4).toString()).toBe('%PDF');
    if (!spawnSync('pdftotext', ['-v']).error || process.env.CI) {
      const text = spawnSync('pdftotext', ['-layout', '-', '-'], { input: pdf }).stdout.toString();
      expect(text).toContain('From the lunch club to running it');
      expect(text).toContain('£12,381');
    }

    // The published story is on the ward's public profile.
    const anonymous = await newPage(harness.browser);
    await anonymous.goto(`${harness.base}/areas/E05000864?edition=iod2019`);
    expect((await anonymous.locator('main').textContent()) ?? '').toContain('From the lunch club to running it (sample data)');
    await checkPage(anonymous, 'impact-ward-stories');
    await anonymous.close();
  });
});
