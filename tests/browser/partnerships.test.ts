import path from 'node:path';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { cliActor } from '../../src/platform/audit/audit.ts';
import { organisations } from '../../src/platform/auth/schema.ts';
import { queryRows } from '../../src/platform/db/database.ts';
import { importBoundaries } from '../../src/capabilities/geography/boundaries.ts';
import { bundledDataDir } from '../../src/capabilities/indicators/bundled-data.ts';
import { addPerson, emailOf, seedPeople, testPassword } from '../support/app.ts';
import { loadBundledSteps } from '../support/data.ts';
import { browserApp, browserSkipReason, checkPage, signInAs } from '../support/browser.ts';

/**
 * Partnerships in a real browser (issue 7), on Wigan's real 2025 wards: a coordinator sets one up for two wards
 * with four organisations and moves it on a stage; someone from an organisation outside it is refused. Axe on
 * every page.
 */
describe.skipIf(browserSkipReason !== null)(browserSkipReason ?? 'in Chromium: partnerships', () => {
  let wards: { code: string; name: string }[] = [];
  const harness = browserApp(async (database) => {
    await seedPeople(database);
    await loadBundledSteps(database.db, ['lookup.lsoa21-ward24-lad24', 'lookup.lsoa11-lsoa21', 'population.mid2020', 'population.lsoa21', 'edition.iod2019', 'edition.iod2025']);
    for (const vintage of ['lsoa21', 'ward25']) await importBoundaries(database.db, path.join(bundledDataDir, `boundaries/${vintage}/E08000010.geojson.gz`), cliActor);
    wards = await queryRows<{ code: string; name: string }>(database.db, sql`select code, name from areas where vintage = 'ward25' order by code limit 2`);
    const orgs = await database.db
      .insert(organisations)
      .values([
        { slug: 'wigan-council', name: 'Wigan Council (sample data)', kind: 'council' },
        { slug: 'wigan-police', name: 'Wigan Neighbourhood Policing (sample data)', kind: 'police' },
        { slug: 'wigan-housing', name: 'Wigan Housing (sample data)', kind: 'housing' },
        { slug: 'elsewhere', name: 'An organisation elsewhere (sample data)', kind: 'vcse' },
      ])
      .returning({ id: organisations.id, slug: organisations.slug });
    const id = (slug: string) => orgs.find((o) => o.slug === slug)!.id;
    await addPerson(database, 'police-member@example.org', id('wigan-police'), 'member');
    await addPerson(database, 'elsewhere@example.org', id('elsewhere'), 'admin');
  });

  let partnershipId = '';

  it('sets up a partnership for two wards with four organisations, and moves it on a stage', async () => {
    const page = await signInAs(harness.browser, harness.base, emailOf('coordinator'), testPassword);
    await page.goto(`${harness.base}/organisations/test-org/partnerships/new`);
    await page.getByLabel('Name', { exact: true }).fill('Wigan wards partnership (sample data)');
    await page.getByLabel('Wards it covers').fill(wards.map((w) => w.code).join('\n'));
    for (const slug of ['wigan-council', 'wigan-police', 'wigan-housing']) await page.locator(`input[name="organisations"][value="${slug}"]`).check();
    await checkPage(page, 'partnership-new');
    await page.getByRole('button', { name: 'Set up the partnership' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toContain('Wigan wards partnership (sample data)');
    partnershipId = /partnerships\/([0-9a-f-]{36})/.exec(page.url())![1]!;
    const body = await page.locator('main').textContent();
    for (const w of wards) expect(body).toContain(w.name);
    for (const name of ['Wigan Council (sample data)', 'Wigan Neighbourhood Policing (sample data)', 'Wigan Housing (sample data)']) expect(body).toContain(name);

    // Tick every catalyse item, then move on to nurture.
    for (;;) {
      const tick = page.getByRole('button', { name: /^Tick: / }).first();
      if (!(await tick.count())) break;
      await tick.click();
      await page.waitForLoadState('load');
    }
    await checkPage(page, 'partnership-show');
    await page.locator('input[name="stage"][value="nurture"]').check();
    await page.getByRole('button', { name: 'Change the stage' }).click();
    await expect.poll(async () => (await queryRows<{ stage: string }>(harness.database.db, sql`select stage from partnerships where id = ${partnershipId}`))[0]?.stage).toBe('nurture');
    const [history] = await queryRows<{ n: number }>(harness.database.db, sql`select count(*)::int as n from partnership_stage_changes where partnership_id = ${partnershipId} and to_stage = 'nurture'`);
    expect(history!.n).toBe(1);
    await checkPage(page, 'partnership-nurture');
    await page.context().close();
  });

  it('takes an aim, priorities linked to indicators, and actions owned by different organisations', async () => {
    const page = await signInAs(harness.browser, harness.base, emailOf('coordinator'), testPassword);
    await page.goto(`${harness.base}/organisations/test-org/aims/new`);
    await page.getByLabel('Aim', { exact: true }).fill('Everyone has somewhere warm to go (sample data)');
    await checkPage(page, 'aim-new');
    await page.getByRole('button', { name: 'Set aim' }).click();
    await page.waitForLoadState('load');

    // Two priorities serving the aim, each resting on the IMD of an LSOA in the first ward.
    const [lsoa] = await queryRows<{ code: string }>(harness.database.db, sql`select from_code as code from area_lookups where from_vintage = 'lsoa21' and to_vintage = 'ward25' and to_code = ${wards[0]!.code} order by 1 limit 1`);
    for (const title of ['Warm spaces through the winter', 'Cleaner streets round the shops']) {
      await page.goto(`${harness.base}/partnerships/${partnershipId}/priorities/new`);
      await page.getByLabel('Priority', { exact: true }).fill(title);
      await page.locator('#aimId').selectOption({ label: 'Everyone has somewhere warm to go (sample data) (Test Organisation)' });
      await page.getByRole('button', { name: 'Add priority' }).click();
      await page.waitForLoadState('load');
      const [priority] = await queryRows<{ id: string }>(harness.database.db, sql`select id from priorities where title = ${title}`);
      await page.goto(`${harness.base}/partnerships/${partnershipId}/priorities/${priority!.id}/evidence`);
      await page.locator('input[name="kind"][value="indicator"]').check();
      await page.locator('#indicatorId').selectOption('iod2025.imd');
      await page.getByLabel('Area code (for a figure or an area’s profile)').fill(lsoa!.code);
      if (title.startsWith('Warm')) await checkPage(page, 'priority-evidence');
      await page.getByRole('button', { name: 'Add evidence' }).click();
      await page.waitForLoadState('load');
    }
    const [evidence] = await queryRows<{ n: number }>(harness.database.db, sql`select count(*)::int as n from priority_evidence where kind = 'indicator' and indicator_id = 'iod2025.imd'`);
    expect(evidence!.n).toBe(2);

    // Actions owned by two organisations.
    for (const [title, owner] of [['Open the library as a warm space on Tuesdays', 'Test Organisation'], ['Walkabout with residents round the shops', 'Wigan Neighbourhood Policing (sample data)']] as const) {
      await page.goto(`${harness.base}/partnerships/${partnershipId}/actions/new`);
      await page.locator('#priorityId').selectOption({ index: title.startsWith('Open') ? 1 : 2 });
      await page.getByLabel('What will be done').fill(title);
      const ownerOption = await page.locator('#ownerOrganisationId option', { hasText: owner }).first().getAttribute('value');
      await page.locator('#ownerOrganisationId').selectOption(ownerOption!);
      await page.getByLabel('Name of the lead').fill('Sam Sample');
      await page.locator('input[name="dueOn-day"]').fill('31');
      await page.locator('input[name="dueOn-month"]').fill('3');
      await page.locator('input[name="dueOn-year"]').fill('2027');
      await page.locator('input[name="status"][value="on-track"]').check();
      if (title.startsWith('Open')) await checkPage(page, 'action-new');
      await page.getByRole('button', { name: 'Save action' }).click();
      await page.waitForLoadState('load');
    }
    const owners = await queryRows<{ owner: string }>(harness.database.db, sql`select distinct owner_organisation_id::text as owner from actions where partnership_id = ${partnershipId}`);
    expect(owners).toHaveLength(2);
    await page.goto(`${harness.base}/partnerships/${partnershipId}/plan`);
    const plan = await page.locator('main').textContent();
    expect(plan).toContain('Everyone has somewhere warm to go (sample data)');
    expect(plan).toContain('Walkabout with residents round the shops');
    await checkPage(page, 'partnership-plan');
    await page.context().close();
  });

  it('records a meeting that agrees a new action, and produces the board report as a page and a PDF', async () => {
    const page = await signInAs(harness.browser, harness.base, emailOf('coordinator'), testPassword);
    await page.goto(`${harness.base}/partnerships/${partnershipId}/meetings/new`);
    await page.getByLabel('Date of the meeting').fill(new Date().toISOString().slice(0, 10));
    await page.getByLabel('Title', { exact: true }).fill('Core team (sample data)');
    await page.getByLabel('Agenda (optional)').fill('Warm spaces\nThe shops');
    const boxes = page.locator('input[name="attendees"]');
    const people = await boxes.count();
    for (let i = 0; i < Math.min(people, 2); i++) await boxes.nth(i).check();
    await page.getByLabel('Others present (optional)').fill('Alex Resident');
    await checkPage(page, 'meeting-new');
    await page.getByRole('button', { name: 'Save meeting' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toContain('Core team (sample data)');
    await page.locator('#priorityId').selectOption({ index: 1 });
    await page.locator('#actionTitle').fill('Ask the church hall about Thursday afternoons');
    await page.locator('#ownerOrganisationId').selectOption({ index: 1 });
    await page.locator('#leadName').fill('Jo Sample');
    await page.locator('#dueOn').fill('2027-01-31');
    await page.getByRole('button', { name: 'Add action' }).click();
    await page.waitForLoadState('load');
    expect(await page.locator('main').textContent()).toContain('Ask the church hall about Thursday afternoons');
    await checkPage(page, 'meeting-show');
    const [agreed] = await queryRows<{ meeting_id: string | null }>(harness.database.db, sql`select meeting_id from actions where title = 'Ask the church hall about Thursday afternoons'`);
    expect(agreed!.meeting_id).not.toBeNull();

    await page.goto(`${harness.base}/partnerships/${partnershipId}/report`);
    const report = await page.locator('main').textContent();
    expect(report).toContain('Ask the church hall about Thursday afternoons');
    expect(report).toContain('Core team (sample data)');
    await checkPage(page, 'partnership-report');
    const pdf = await page.request.get(`${harness.base}/partnerships/${partnershipId}/report.pdf`);
    expect(pdf.status()).toBe(200);
    expect(pdf.headers()['content-type']).toContain('application/pdf');
    expect((await pdf.body()).subarray(0, 4).toString()).toBe('%PDF');
    await page.context().close();
  });

  it('refuses someone from an organisation outside the partnership', async () => {
    const page = await signInAs(harness.browser, harness.base, 'elsewhere@example.org', testPassword);
    const response = await page.goto(`${harness.base}/partnerships/${partnershipId}`);
    expect(response!.status()).toBe(403);
    expect(await page.locator('main').textContent()).not.toContain('Wigan wards partnership');
    await checkPage(page, 'partnership-forbidden');
    await page.context().close();
  });
});
