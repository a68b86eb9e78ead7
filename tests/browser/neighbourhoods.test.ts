import path from 'node:path';
import { sql } from 'drizzle-orm';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { cliActor } from '../../src/platform/audit/audit.ts';
import { queryRows } from '../../src/platform/db/database.ts';
import { importBoundaries } from '../../src/capabilities/geography/boundaries.ts';
import { emailOf, seedPeople, testPassword } from '../support/app.ts';
import { loadBundledSteps } from '../support/data.ts';
import { browserApp, browserSkipReason, checkPage, newPage, signInAs, tabTo } from '../support/browser.ts';

/** Making neighbourhoods in a real browser (issue 5): from wards, by drawing, by uploading; axe on every page. */
describe.skipIf(browserSkipReason !== null)(browserSkipReason ?? 'in Chromium: neighbourhoods', () => {
  const harness = browserApp(async (database) => {
    await seedPeople(database);
    await loadBundledSteps(database.db, ['lookup.lsoa11-ward19-lad19', 'lookup.lsoa21-ward24-lad24', 'names.msoa21', 'lookup.lsoa11-lsoa21', 'population.iod2019', 'population.mid2020', 'population.lsoa21', 'edition.iod2019', 'edition.iod2025', 'centroids.lsoa11']);
    for (const vintage of ['lsoa11', 'lsoa21']) await importBoundaries(database.db, path.resolve(`tests/fixtures/boundaries/${vintage}/E08000035.geojson.gz`), cliActor);
  });

  const signedIn = () => signInAs(harness.browser, harness.base, emailOf('member'), testPassword);

  async function describeIt(page: Page, name: string) {
    await page.getByLabel('Name', { exact: true }).fill(name);
    await page.locator('#purpose').selectOption('service-delivery');
    await page.getByLabel('Anyone (public)').check();
    await page.getByRole('button', { name: 'Make the neighbourhood' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe(name);
  }

  it('makes one from ticked wards, and opens its profile', async () => {
    const page = await signedIn();
    await page.getByRole('link', { name: 'Neighbourhoods', exact: true }).click();
    await checkPage(page, 'neighbourhoods-list');
    await page.getByRole('link', { name: /^Make a neighbourhood for / }).click();
    await page.locator('#geography-find').selectOption('ward19');
    await page.getByLabel('District code').fill('E08000035');
    await page.getByRole('button', { name: 'Show the areas' }).click();
    await checkPage(page, 'neighbourhoods-new');
    const boxes = page.locator('input[name="codes"]');
    await boxes.nth(0).check();
    await boxes.nth(1).check();
    await describeIt(page, 'Two Leeds wards');
    await page.locator('.pw-map[data-pw-map-drawn]').waitFor();
    expect(await page.locator('body').textContent()).toMatch(/made from chosen wards/);
    await checkPage(page, 'neighbourhood-profile');

    // How it overlaps the wards: its two wards wholly, nothing else.
    const id = page.url().split('/').pop()!.split('?')[0]!;
    await page.goto(`${harness.base}/neighbourhoods/overlap`);
    await page.locator('#a').selectOption('ward19');
    await page.locator('#b').selectOption(`neighbourhood:${id}`);
    await page.getByLabel('District code').fill('E08000035');
    await page.locator('form[method="get"] button').click();
    await expect.poll(() => page.locator('table').count()).toBeGreaterThan(0);
    expect(await page.locator('body').textContent()).toContain('Two Leeds wards');
    await checkPage(page, 'neighbourhood-overlap');
    await page.context().close();
  });

  it('makes one by drawing on the map, by keyboard', async () => {
    const page = await signedIn();
    await page.goto(`${harness.base}/organisations/test-org/neighbourhoods/new?lad=E08000035&geography=ward25`);
    await page.locator('[data-pw-draw] canvas').waitFor();
    const canvas = page.locator('[data-pw-draw] canvas');
    await canvas.focus();
    // Three corners around the middle of Leeds: add one at the cross, move, add, move, add.
    await page.keyboard.press('Enter');
    for (let i = 0; i < 4; i++) await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Enter');
    for (let i = 0; i < 4; i++) await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('[data-pw-draw-status]').textContent()).toContain('3 corners');
    expect(await page.locator('#how-3').isChecked()).toBe(true);
    await checkPage(page, 'neighbourhoods-draw');
    await describeIt(page, 'Drawn in Leeds');
    expect(await page.locator('body').textContent()).toMatch(/made from a boundary drawn on the map/);
    await page.context().close();
  });

  it('makes one from an uploaded GeoJSON file, and refuses a bad file saying why', async () => {
    const page = await signedIn();
    await page.goto(`${harness.base}/organisations/test-org/neighbourhoods/new`);
    await page.getByLabel('From a boundary file').check();
    await page.locator('#file').setInputFiles({ name: 'paris.geojson', mimeType: 'application/geo+json', buffer: Buffer.from(JSON.stringify({ type: 'Polygon', coordinates: [[[2.3, 48.8], [2.4, 48.8], [2.4, 48.9], [2.3, 48.8]]] })) });
    await page.getByLabel('Name', { exact: true }).fill('Not in England');
    await page.locator('#purpose').selectOption('other');
    await page.getByRole('button', { name: 'Make the neighbourhood' }).click();
    await expect.poll(() => page.locator('.govuk-error-summary').textContent()).toMatch(/England/);
    await checkPage(page, 'neighbourhoods-upload-refused');

    const [shape] = await queryRows<{ geojson: string }>(harness.database.db, sql`select ST_AsGeoJSON(ST_Union(boundary)) as geojson from areas where vintage = 'lsoa11' and code in (select code from areas where vintage = 'lsoa11' and boundary is not null order by code limit 4)`);
    await page.getByLabel('From a boundary file').check();
    await page.locator('#file').setInputFiles({ name: 'patch.geojson', mimeType: 'application/geo+json', buffer: Buffer.from(shape!.geojson) });
    await describeIt(page, 'Uploaded patch');
    expect(await page.locator('body').textContent()).toMatch(/made from an uploaded boundary/);
    await page.context().close();
  });

  it('asks residents where their neighbourhood is: answers without an account (by keyboard, without the map), then where they agree becomes a neighbourhood', async () => {
    const member = await signedIn();
    await member.goto(`${harness.base}/resident-mapping`);
    await checkPage(member, 'resident-mapping-list');
    await member.getByRole('link', { name: /^Ask residents, for / }).click();
    await member.getByLabel('The place you are asking about').fill('Headingley');
    await member.getByLabel('District code').fill('E08000035');
    await member.getByLabel('Anyone (public)').check();
    await checkPage(member, 'resident-mapping-new');
    await member.getByRole('button', { name: 'Open the question' }).click();
    await expect.poll(() => member.locator('h1').textContent()).toBe('Where residents say Headingley is');
    const askPath = (await member.locator('a[href^="/have-your-say/"]').getAttribute('href'))!;
    expect(await member.locator('body').textContent()).toContain('The summary appears once at least 5 people have answered');

    // A resident with only a keyboard: choose places from the list, two places and an anchor, and send.
    const resident = await newPage(harness.browser);
    await resident.goto(`${harness.base}${askPath}`);
    await checkPage(resident, 'resident-ask');
    const places = resident.locator('input[name="places"]');
    const [first, second] = [await places.nth(0).getAttribute('id'), await places.nth(1).getAttribute('id')];
    // Tab enters the radio group at its first option; the arrow keys move to (and choose) another.
    await tabTo(resident, 'input[name="how"][value="map"]');
    await resident.keyboard.press('ArrowDown');
    await resident.keyboard.press('ArrowDown');
    expect(await resident.locator('input[name="how"][value="places"]').isChecked()).toBe(true);
    await tabTo(resident, `#${first}`);
    await resident.keyboard.press('Space');
    await tabTo(resident, `#${second}`);
    await resident.keyboard.press('Space');
    await tabTo(resident, 'input[name="anchors"][value="school"]');
    await resident.keyboard.press('Space');
    await tabTo(resident, 'form[method="post"] button.govuk-button:not([type="button"])');
    await resident.keyboard.press('Enter');
    await expect.poll(() => resident.locator('h1').textContent()).toContain('Thank you');
    await checkPage(resident, 'resident-thanks');

    // A mistake is named and nothing is kept: a postcode Patchwork does not know.
    await resident.goto(`${harness.base}${askPath}`);
    await resident.getByLabel('Give a postcode and how far you would walk').check();
    await resident.getByLabel('Postcode', { exact: true }).fill('ZZ1 1ZZ');
    await resident.locator('input[name="minutes"][value="10"]').check();
    await resident.getByRole('button', { name: 'Send my answer' }).click();
    await expect.poll(() => resident.locator('.govuk-error-summary').textContent()).toMatch(/ZZ1 1ZZ (is not among|cannot be looked up)/);
    await checkPage(resident, 'resident-ask-error');

    // One draws on the map, by keyboard: three corners around the middle of the district.
    await resident.goto(`${harness.base}${askPath}`);
    const canvas = resident.locator('[data-pw-draw] canvas');
    await canvas.waitFor();
    await canvas.focus();
    // Zoom in to neighbourhood scale first (the map opens on the whole district), so the shape is a neighbourhood's size.
    await resident.waitForFunction(() => document.querySelector('[data-pw-draw-status]')?.textContent?.includes('No corners'));
    for (let i = 0; i < 3; i++) await resident.keyboard.press('Equal');
    await resident.waitForTimeout(1500);
    // Each arrow key pans with an animation: let it finish before adding a corner, or on a busy machine the
    // corners all land where the map started and the shape has no area.
    await resident.keyboard.press('Enter');
    for (let i = 0; i < 3; i++) await resident.keyboard.press('ArrowRight');
    await resident.waitForTimeout(1500);
    await resident.keyboard.press('Enter');
    for (let i = 0; i < 3; i++) await resident.keyboard.press('ArrowDown');
    await resident.waitForTimeout(1500);
    await resident.keyboard.press('Enter');
    await expect.poll(() => resident.locator('[data-pw-draw-status]').textContent()).toContain('3 corners');
    expect(await resident.locator('input[name="how"][value="map"]').isChecked()).toBe(true);
    await resident.getByRole('button', { name: 'Send my answer' }).click();
    await expect.poll(async () => (await resident.locator('.govuk-error-summary').count()) ? await resident.locator('.govuk-error-summary').textContent() : await resident.locator('h1').textContent()).toContain('Thank you');

    // Three more choose the first place, so it is in at least 4 of 5 answers.
    for (let i = 0; i < 3; i++) {
      await resident.goto(`${harness.base}${askPath}`);
      await resident.getByLabel('Choose places from a list').check();
      await places.nth(0).check();
      await resident.getByRole('button', { name: 'Send my answer' }).click();
      await expect.poll(() => resident.locator('h1').textContent()).toContain('Thank you');
    }
    await resident.context().close();

    await member.reload();
    await member.locator('svg.pw-consensus').waitFor();
    expect(await member.locator('figcaption').first().textContent()).toMatch(/covered by at least 3 of the 5 answers/);
    await checkPage(member, 'resident-mapping-results');
    await member.getByRole('button', { name: 'Make the neighbourhood' }).click();
    await expect.poll(() => member.locator('h1').textContent()).toBe('Headingley (as residents see it)');
    expect(await member.locator('body').textContent()).toMatch(/made from where residents agree/);
    await checkPage(member, 'resident-neighbourhood-profile');
    await member.context().close();
  }, 300_000);

  it('imports a layer of areas from one file, opens it and an area, and redraws the area as a new version', async () => {
    const page = await signedIn();
    // Two areas, each a handful of neighbouring 2021 LSOAs merged, with a name and a code as a PCN file has.
    const groups = await queryRows<{ geojson: string }>(
      harness.database.db,
      sql`select ST_AsGeoJSON(ST_Union(boundary)) as geojson from (select boundary, row_number() over (order by code) as n from areas where vintage = 'lsoa21' and boundary is not null order by code limit 8) x group by (n - 1) / 4 order by min(n)`,
    );
    const file = { type: 'FeatureCollection', features: groups.map((g, i) => ({ type: 'Feature', properties: { PCN_NAME: `Sample PCN ${i + 1} (sample data)`, PCN_CODE: `U0000${i + 1}` }, geometry: JSON.parse(g.geojson) })) };
    await page.goto(`${harness.base}/organisations/test-org/neighbourhood-layers/new`);
    await page.locator('#file').setInputFiles({ name: 'pcns.geojson', mimeType: 'application/geo+json', buffer: Buffer.from(JSON.stringify(file)) });
    await page.getByLabel('Property holding each area’s name').fill('PCN_NAME');
    await page.getByLabel('Property holding each area’s code (optional)').fill('PCN_CODE');
    await page.getByLabel('Name', { exact: true }).fill('Sample primary care networks');
    await page.locator('#purpose').selectOption('pcn-footprint');
    await page.getByLabel('Where the file came from').fill('Invented for this test (sample data)');
    await page.getByLabel('Anyone (public)').check();
    await checkPage(page, 'neighbourhood-layer-new');
    await page.getByRole('button', { name: 'Import the layer' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Sample primary care networks');
    await checkPage(page, 'neighbourhood-layer');

    await page.getByRole('link', { name: 'Sample PCN 1 (sample data)' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Sample PCN 1 (sample data)');
    await checkPage(page, 'neighbourhood-layer-area');
    await page.getByRole('link', { name: 'Redraw it (new version)' }).click();
    await checkPage(page, 'neighbourhood-redraw');
    await page.locator('#geography-find').selectOption('lsoa21');
    await page.getByRole('button', { name: 'Show the areas' }).click();
    await page.getByLabel('From the wards or LSOAs chosen above').check();
    await page.locator('#codes').fill(await queryRows<{ code: string }>(harness.database.db, sql`select code from areas where vintage = 'lsoa21' and boundary is not null order by code limit 3`).then((r) => r.map((c) => c.code).join(' ')));
    await page.getByLabel('What changed, and why?').fill('Three LSOAs, as the practices agreed (sample data)');
    await page.locator('form[method="post"] button.govuk-button:not([type="button"])').last().click();
    await expect.poll(() => page.locator('body').textContent()).toMatch(/Version 2/);
    expect(await page.locator('body').textContent()).toContain('Three LSOAs, as the practices agreed');
    await page.context().close();
  }, 300_000);
});
