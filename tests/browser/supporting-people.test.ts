import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { cliActor } from '../../src/platform/audit/audit.ts';
import { queryRows } from '../../src/platform/db/database.ts';
import { loadWiganPlaces } from '../../src/capabilities/community-voice/testing.ts';
import { createService } from '../../src/capabilities/community-assets/service.ts';
import { sampleRecord } from '../../src/capabilities/community-assets/testing.ts';
import { seedSupportTeams } from '../../src/capabilities/supporting-people/testing.ts';
import { emailOf, seedPeople, testPassword } from '../support/app.ts';
import { browserApp, browserSkipReason, checkPage, fillDate, submit, signInAs, tabTo } from '../support/browser.ts';

/**
 * A Local Area Coordinator's day in a real browser (issue 10): record someone new with their introduction, a
 * conversation with a next step, what matters to them, a connection to a group from the directory, and a wellbeing
 * measure; then the partnership's suppressed picture. Axe on every page.
 */
describe.skipIf(browserSkipReason !== null)(browserSkipReason ?? 'in Chromium: supporting people', () => {
  let partnershipId = '';
  const harness = browserApp(async (database) => {
    const seeded = await seedPeople(database);
    await loadWiganPlaces(database.db);
    const fixture = await seedSupportTeams(database, seeded);
    partnershipId = fixture.partnershipId;
    await createService(database.db, sampleRecord({ kind: 'activity', name: 'Marsh Green Allotment Society (sample data)', description: 'Plots, a shared greenhouse and tea on Saturdays' }), { organisationId: seeded.organisationId, userId: null }, cliActor);
  });
  const db = () => harness.database.db;

  it('records a person, a conversation, a goal, a connection and a wellbeing score', async () => {
    const page = await signInAs(harness.browser, harness.base, emailOf('coordinator'), testPassword);
    // The header offers a support worker their caseload; the keyboard reaches it.
    await page.goto(`${harness.base}/`);
    await tabTo(page, 'a[href="/support"]');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/support$/);
    await checkPage(page, 'support-caseload-empty');

    await page.goto(`${harness.base}/support/people/new`);
    await page.getByLabel('Name', { exact: true }).fill('Dora Sample (sample data)');
    await page.getByLabel('Phone number (optional)').fill('07700 900123');
    await page.getByLabel('Postcode (optional)').fill('WN1 1AA');
    await fillDate(page, 'dateOfBirth', '1950-06-02');
    await page.locator('input[name="consentStatus"][value="given"]').check();
    await fillDate(page, 'consentOn', '2026-10-01');
    await fillDate(page, 'introducedOn', '2026-10-01');
    await page.locator('input[name="route"][value="gp-pcn"]').check();
    await page.getByLabel('Introducer’s organisation or role (optional)').fill('Wigan Central PCN social prescriber');
    await page.getByLabel('Reason for the introduction (optional)').fill('Lonely since her husband died; used to love gardening');
    await checkPage(page, 'support-person-new');
    await submit(page, 'Make the record');
    await page.waitForURL(/\/support\/people\/[0-9a-f-]{36}$/);
    const personUrl = page.url();
    expect(await page.locator('main').textContent()).toContain('Wigan Central PCN social prescriber');
    await checkPage(page, 'support-person-summary');

    await page.goto(`${personUrl}/conversations/new`);
    await fillDate(page, 'heldOn', '2026-10-08');
    await page.getByLabel('What you talked about').fill('Met at the library café. Talked about the garden she misses.\n\nShe would like to grow vegetables again.');
    await page.locator('#step1').fill('Dora to visit the allotment open day with me');
    await checkPage(page, 'support-conversation-new');
    await submit(page, 'Save the conversation');
    await page.goto(`${personUrl}/goals/new`);
    await page.getByLabel('What matters to them').fill('To grow my own tomatoes again and see people');
    await fillDate(page, 'setOn', '2026-10-08');
    await submit(page, 'Add it');
    await page.goto(`${personUrl}/conversations`);
    const conversations = (await page.locator('main').textContent()) ?? '';
    expect(conversations).toContain('She would like to grow vegetables again.');
    expect(conversations).toContain('To grow my own tomatoes again and see people');
    await checkPage(page, 'support-conversations');

    await page.goto(`${personUrl}/connections/new`);
    await page.getByLabel('Search the community directory').fill('allotment');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForLoadState('load');
    await checkPage(page, 'support-connection-search');
    await page.getByRole('link', { name: /Connect to Marsh Green Allotment Society/ }).click();
    await page.waitForLoadState('load');
    await fillDate(page, 'connectedOn', '2026-10-12');
    await page.locator('input[name="outcome"][value="attended"]').check();
    await checkPage(page, 'support-connection-new');
    await submit(page, 'Save the connection');
    await page.goto(`${personUrl}/connections`);
    expect(await page.locator('main').textContent()).toContain('Marsh Green Allotment Society');
    await checkPage(page, 'support-connections');

    await page.goto(`${personUrl}/wellbeing/new`);
    await fillDate(page, 'measuredOn', '2026-10-08');
    await page.locator('input[name="occasion"][value="start"]').check();
    await page.locator('#lifeSatisfaction').fill('3');
    await page.locator('#worthwhile').fill('4');
    await page.locator('#happiness').fill('3');
    await page.locator('#anxiety').fill('8');
    await checkPage(page, 'support-wellbeing-new');
    await submit(page, 'Save the measure');
    await page.goto(`${personUrl}/wellbeing`);
    await checkPage(page, 'support-wellbeing');

    await page.goto(`${personUrl}/privacy`);
    await checkPage(page, 'support-privacy');
    await page.goto(`${personUrl}/access`);
    const log = (await page.locator('main').textContent()) ?? '';
    for (const what of ['Recorded the person', 'Recorded a conversation', 'Added what matters to them', 'Connected them to a group, place or service', 'Added a wellbeing measure', 'Read the record (adding a wellbeing measure)']) expect(log).toContain(what);
    await checkPage(page, 'support-access-log');

    const personId = personUrl.split('/').at(-1)!;
    const [counts] = await queryRows<{ introductions: number; conversations: number; goals: number; connections: number; wellbeing: number; plain: number }>(
      db(),
      sql`select (select count(*)::int from support_introductions where person_id = ${personId}) as introductions,
                 (select count(*)::int from support_conversations where person_id = ${personId}) as conversations,
                 (select count(*)::int from support_goals where person_id = ${personId}) as goals,
                 (select count(*)::int from support_connections where person_id = ${personId} and outcome = 'attended') as connections,
                 (select count(*)::int from support_wellbeing where person_id = ${personId} and anxiety = 8) as wellbeing,
                 (select count(*)::int from support_people where name_enc like '%Dora%') as plain`,
    );
    expect(counts).toEqual({ introductions: 1, conversations: 1, goals: 1, connections: 1, wellbeing: 1, plain: 0 });
    await page.goto(`${harness.base}/support`);
    expect(await page.locator('main').textContent()).toContain('Dora Sample (sample data)');
    await checkPage(page, 'support-caseload');
    await page.context().close();
  });

  it('shows a partnership member the picture with small numbers hidden and no one named', async () => {
    const page = await signInAs(harness.browser, harness.base, 'partner@example.org', testPassword);
    await page.goto(`${harness.base}/partnerships/${partnershipId}/support`);
    const text = (await page.locator('main').textContent()) ?? '';
    expect(text).toContain('fewer than 5');
    expect(text).not.toContain('Dora');
    await checkPage(page, 'support-insight');
    await page.context().close();
  });
});
