import path from 'node:path';
import { sql } from 'drizzle-orm';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { cliActor } from '../../src/platform/audit/audit.ts';
import { queryRows } from '../../src/platform/db/database.ts';
import { importBoundaries } from '../../src/capabilities/geography/boundaries.ts';
import { bundledDataDir } from '../../src/capabilities/indicators/bundled-data.ts';
import { gapAnalysis } from '../../src/capabilities/community-assets/gaps.ts';
import { emailOf, seedPeople, testPassword } from '../support/app.ts';
import { loadBundledSteps } from '../support/data.ts';
import { browserApp, browserSkipReason, checkPage, newPage, signInAs } from '../support/browser.ts';

/**
 * The community assets directory in a real browser (issue 6), on Wigan's real boundaries, postcodes and
 * IoD2025: a partner adds an asset with a weekly time; a resident suggests one and a coordinator accepts it;
 * a duplicate is caught and merged; a search by postcode and category finds it on the list and the map; and
 * the gaps for a ward list its deprived LSOAs with no community space within 800 m. Axe on every page.
 */
describe.skipIf(browserSkipReason !== null)(browserSkipReason ?? 'in Chromium: community assets', () => {
  /** Wigan postcodes, all live and placed. */
  let postcodes: string[] = [];
  const harness = browserApp(async (database) => {
    await seedPeople(database);
    await loadBundledSteps(database.db, ['lookup.lsoa21-ward24-lad24', 'lookup.lsoa11-lsoa21', 'names.msoa21', 'postcodes.nspl2021', 'population.mid2020', 'population.lsoa21', 'edition.iod2025']);
    for (const vintage of ['lsoa21', 'ward25']) await importBoundaries(database.db, path.join(bundledDataDir, `boundaries/${vintage}/E08000010.geojson.gz`), cliActor);
    postcodes = (
      await queryRows<{ display: string }>(
        database.db,
        sql`select p.display from postcodes p join areas a on a.vintage = 'ward25' and ST_Contains(a.boundary, p.location)
            where p.lad = 'E08000010' and p.terminated is null and p.user_type = 0 order by p.postcode limit 40`,
      )
    ).map((r) => r.display);
  });

  const as = (role: 'member' | 'coordinator') => signInAs(harness.browser, harness.base, emailOf(role), testPassword);

  async function fillRecord(page: Page, record: { name: string; category: string; organisation: string; postcode: string; day?: string; opens?: string; closes?: string }) {
    await page.getByLabel('Name', { exact: true }).first().fill(record.name);
    await page.locator('input[name="kind"][value="place"]').check();
    await page.locator(`input[name="categories"][value="${record.category}"]`).check();
    await page.getByLabel('Organisation or group').fill(record.organisation);
    await page.getByLabel('Postcode').fill(record.postcode);
    if (record.day) {
      await page.locator('#schedule0Often').selectOption('W1');
      await page.locator('#schedule0Day').selectOption(record.day);
      await page.locator('#schedule0Opens').fill(record.opens!);
      await page.locator('#schedule0Closes').fill(record.closes!);
    }
  }

  it('lets a partner add an asset with a weekly time, and shows it on its public page', async () => {
    const page = await as('member');
    await page.goto(`${harness.base}/organisations/test-org/directory`);
    await checkPage(page, 'directory-records');
    await page.goto(`${harness.base}/organisations/test-org/directory/services/new`);
    await fillRecord(page, { name: 'Beech Hill Community Centre', category: 'community-space', organisation: 'Beech Hill Trust (sample data)', postcode: postcodes[0]!, day: 'TU', opens: '10:00', closes: '12:00' });
    await checkPage(page, 'directory-record-new');
    await page.getByRole('button', { name: 'Add to the directory' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toContain('Beech Hill Community Centre');
    const body = await page.locator('main').textContent();
    expect(body).toContain('Every Tuesday, 10:00 to 12:00');
    expect(body).toContain('Wigan');
    expect(body).toMatch(/E01\d{6}/);
    await checkPage(page, 'directory-record');
    await page.context().close();
  });

  it('shows a likely duplicate before saving, and merges what was entered into the record already there', async () => {
    const page = await as('member');
    await page.goto(`${harness.base}/organisations/test-org/directory/services/new`);
    await fillRecord(page, { name: 'The Beech Hill Community Center', category: 'meeting-place', organisation: 'Beech Hill Trust (sample data)', postcode: postcodes[0]!, day: 'TH', opens: '18:00', closes: '20:00' });
    await page.getByRole('button', { name: 'Add to the directory' }).click();
    await expect.poll(() => page.locator('main').textContent()).toContain('Beech Hill Community Centre');
    expect(await page.locator('main').textContent()).toMatch(/same name nearby/i);
    await checkPage(page, 'directory-record-duplicates');
    await page.getByRole('button', { name: /Add what you entered to this record/ }).first().click();
    await page.waitForURL(/\/edit$/);
    const id = /services\/([0-9a-f-]{36})\/edit/.exec(page.url())![1]!;
    await page.goto(`${harness.base}/directory/services/${id}`);
    const body = await page.locator('main').textContent();
    expect(body).toContain('Every Tuesday, 10:00 to 12:00');
    expect(body).toContain('Every Thursday, 18:00 to 20:00');
    const [counts] = await queryRows<{ live: number; merged: number }>(
      harness.database.db,
      sql`select count(*) filter (where merged_into_id is null)::int as live, count(*) filter (where merged_into_id = ${id})::int as merged from directory_services where name_key like '%beech hill%'`,
    );
    expect(counts).toEqual({ live: 1, merged: 1 });
    await page.context().close();
  });

  it('takes a resident’s suggestion without an account, which a coordinator accepts', async () => {
    const resident = await newPage(harness.browser);
    await resident.goto(`${harness.base}/directory/suggest`);
    await resident.getByLabel('What is it called?').fill('Marsh Green Walking Group');
    await resident.locator('#category').selectOption('physical-activity');
    await resident.getByLabel('Tell us about it (optional)').fill('A gentle walk for anyone, every Wednesday morning. <b>Bring boots</b>');
    await resident.getByLabel('Postcode where it is').fill(postcodes[5]!);
    await resident.getByLabel('When is it on or open? (optional)').fill('Wednesdays 10am to 11am');
    await checkPage(resident, 'directory-suggest');
    await resident.getByRole('button', { name: 'Send suggestion' }).click();
    await expect.poll(() => resident.locator('h1').textContent()).toMatch(/thank/i);
    await checkPage(resident, 'directory-suggest-thanks');
    await resident.context().close();

    const page = await as('coordinator');
    await page.goto(`${harness.base}/organisations/test-org/directory/suggestions`);
    await checkPage(page, 'directory-suggestions');
    await page.getByRole('link', { name: /Marsh Green Walking Group/ }).click();
    // The resident's markup is shown as they typed it, never as markup.
    expect(await page.locator('main').textContent()).toContain('<b>Bring boots</b>');
    await checkPage(page, 'directory-suggestion');
    await page.getByRole('button', { name: 'Add it to the directory' }).click();
    await expect.poll(() => page.getByLabel('Name', { exact: true }).first().inputValue()).toBe('Marsh Green Walking Group');
    await page.locator('input[name="kind"][value="activity"]').check();
    await page.getByLabel('Organisation or group').fill('Marsh Green Walkers (sample data)');
    await page.locator('#schedule0Often').selectOption('W1');
    await page.locator('#schedule0Day').selectOption('WE');
    await page.locator('#schedule0Opens').fill('10:00');
    await page.locator('#schedule0Closes').fill('11:00');
    await checkPage(page, 'directory-suggestion-accept');
    await page.getByRole('button', { name: 'Add to the directory' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toContain('Marsh Green Walking Group');
    expect(await page.locator('main').textContent()).toContain('Every Wednesday, 10:00 to 11:00');
    const [suggestion] = await queryRows<{ status: string; submitter_email: string | null; result_service_id: string | null }>(harness.database.db, sql`select status, submitter_email, result_service_id from directory_suggestions`);
    expect(suggestion).toMatchObject({ status: 'accepted', submitter_email: null });
    expect(suggestion!.result_service_id).toBe(page.url().split('/').pop());
    await page.context().close();
  });
  it('finds the asset by postcode and category, on the list and on the map', async () => {
    const page = await newPage(harness.browser);
    await page.goto(`${harness.base}/directory`);
    await checkPage(page, 'directory-search-start');
    await page.locator('#where').fill(postcodes[0]!);
    await page.getByText('Choose categories').click();
    await page.locator('input[name="category"][value="community-space"]').check();
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await expect.poll(() => page.locator('#results-list').textContent()).toContain('Beech Hill Community Centre');
    // Only community spaces: the walking group, in another category, is not listed.
    expect(await page.locator('#results-list').textContent()).not.toContain('Marsh Green Walking Group');
    await page.locator('[data-pw-directory-map][data-pw-map-drawn]').waitFor();
    const onMap = JSON.parse((await page.locator('#directory-results').textContent())!) as { features: unknown[] };
    expect(JSON.stringify(onMap.features)).toContain('Beech Hill Community Centre');
    expect(await page.locator('[data-pw-directory-map]').getAttribute('data-pw-map-error')).toBeNull();
    await checkPage(page, 'directory-search-results');
    await page.getByRole('link', { name: 'Beech Hill Community Centre' }).first().click();
    await expect.poll(() => page.locator('h1').textContent()).toContain('Beech Hill Community Centre');
    await page.context().close();
  });

  it('lists the deprived LSOAs of a ward with no community space within 800 m', async () => {
    // The ward of Wigan with the most LSOAs in the most deprived 20%, by the analysis itself for the district.
    const district = await gapAnalysis(harness.database.db, { area: { type: 'lad', code: 'E08000010' } });
    const deprivedByWard = new Map<string, number>();
    for (const l of district.lsoas) if (l.ward && l.decile !== null && l.decile <= 2) deprivedByWard.set(l.ward.code, (deprivedByWard.get(l.ward.code) ?? 0) + 1);
    const [ward] = [...deprivedByWard.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]!;
    // Every LSOA of the ward, checked here by hand: deprived, and no active community space within 800 m of it.
    const expected = await queryRows<{ code: string }>(
      harness.database.db,
      sql`with lsoas as (select k.from_code as code from area_lookups k where k.from_vintage = 'lsoa21' and k.to_vintage = 'ward25' and k.to_code = ${ward})
          select l.code from lsoas l join areas a on a.vintage = 'lsoa21' and a.code = l.code
          join indicator_values v on v.code = l.code and v.indicator_id = 'iod2025.imd' and v.decile <= 2
          where not exists (
            select 1 from directory_services s join directory_service_locations sl on sl.service_id = s.id join directory_locations dl on dl.id = sl.location_id
            join directory_service_taxonomies t on t.service_id = s.id and t.term_id = 'community-space'
            where s.status = 'active' and s.merged_into_id is null
              and ST_DWithin(dl.location_bng, ST_Transform(coalesce(a.weighted_centroid, ST_PointOnSurface(a.boundary)), 27700), 800))
          order by l.code`,
    );
    expect(expected.length).toBeGreaterThan(0);

    const page = await newPage(harness.browser);
    await page.goto(`${harness.base}/directory/gaps`);
    await checkPage(page, 'directory-gaps-form');
    await page.locator('input[name="area"][value="ward"]').check();
    await page.locator('#ward').fill(ward);
    await page.getByRole('button', { name: 'Find gaps' }).click();
    await expect.poll(() => page.locator('table').count()).toBeGreaterThan(0);
    const gapRows = page.locator('table').first().locator('tbody tr', { has: page.locator('.govuk-tag', { hasText: 'Gap' }) });
    const shown = (await gapRows.allTextContents()).map((t) => /E01\d{6}/.exec(t)![0]).sort();
    expect(shown).toEqual(expected.map((e) => e.code));
    expect(page.url()).toContain('walk=800');
    await checkPage(page, 'directory-gaps-ward');
    await page.context().close();
  });
});
