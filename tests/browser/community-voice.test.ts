import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { cliActor } from '../../src/platform/audit/audit.ts';
import { queryRows } from '../../src/platform/db/database.ts';
import { getCampaign, questionsOf } from '../../src/capabilities/community-voice/campaigns.ts';
import { recordResponse } from '../../src/capabilities/community-voice/responses.ts';
import { loadWiganPlaces } from '../../src/capabilities/community-voice/testing.ts';
import { emailOf, seedPeople, testPassword } from '../support/app.ts';
import { loadBundledSteps } from '../support/data.ts';
import { browserApp, browserSkipReason, checkPage, newPage, signInAs } from '../support/browser.ts';

/**
 * Community voice in a real browser (issue 8), on Wigan's real wards, LSOAs, postcodes and population by age: a
 * coordinator starts a campaign; a resident answers on the public link and a volunteer captures an answer
 * (capture while offline is tests/browser/community-voice-offline.test.ts); a coordinator tags themes; the whose-voice
 * check for a ward; a Place Standard assessment and its compass. Axe on every page.
 */
describe.skipIf(browserSkipReason !== null)(browserSkipReason ?? 'in Chromium: community voice', () => {
  // Postcodes grouped by the 2025 ward they fall in: the busiest ward first.
  let wards: { ward: string; name: string; postcodes: string[] }[] = [];
  const harness = browserApp(async (database) => {
    await seedPeople(database);
    await loadWiganPlaces(database.db);
    await loadBundledSteps(database.db, ['lookup.lsoa11-lsoa21', 'population.ages']);
    const rows = await queryRows<{ postcode: string; ward: string; name: string }>(
      database.db,
      sql`select p.display as postcode, a.code as ward, a.name from postcodes p
          join areas a on a.vintage = 'ward25' and ST_Contains(a.boundary, p.location)
          where p.terminated is null order by a.code, p.postcode`,
    );
    const byWard = new Map<string, { ward: string; name: string; postcodes: string[] }>();
    for (const r of rows) {
      const w = byWard.get(r.ward) ?? { ward: r.ward, name: r.name, postcodes: [] };
      w.postcodes.push(r.postcode);
      byWard.set(r.ward, w);
    }
    wards = [...byWard.values()].sort((a, b) => b.postcodes.length - a.postcodes.length);
  });
  const db = () => harness.database.db;
  let campaignId = '';
  let placeStandardId = '';

  const campaignOf = async (title: string) => (await queryRows<{ id: string }>(db(), sql`select id from voice_campaigns where title = ${title}`))[0]!.id;

  it('lets a coordinator start a listening campaign for Wigan, add questions and open it', async () => {
    const page = await signInAs(harness.browser, harness.base, emailOf('coordinator'), testPassword);
    await page.goto(`${harness.base}/organisations/test-org/voice/new`);
    await page.getByLabel('Title').fill('Proud of Wigan (sample data)');
    await page.getByLabel('What it is about and why (optional)').fill('What are you proud of here, and what should change?');
    await page.getByLabel('Listening conversations').check();
    await page.getByLabel('District it listens in (optional)').selectOption('E08000010');
    await checkPage(page, 'voice-campaign-new');
    await page.getByRole('button', { name: 'Start the campaign' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toContain('Proud of Wigan (sample data)');
    campaignId = await campaignOf('Proud of Wigan (sample data)');

    await page.getByRole('button', { name: 'Add a question' }).click();
    await page.getByLabel('The question').fill('What should change round here?');
    await page.getByLabel('Free text').check();
    await checkPage(page, 'voice-question-new');
    await page.getByRole('button', { name: 'Add the question' }).click();
    await page.waitForLoadState('load');
    await page.getByRole('button', { name: 'Add a question' }).click();
    await page.getByLabel('The question').fill('How long have you lived here?');
    await page.getByLabel('Choose one').check();
    await page.getByLabel('The answers to choose from').fill('Less than a year\n1 to 5 years\nMore than 5 years');
    await page.getByRole('button', { name: 'Add the question' }).click();
    await page.waitForLoadState('load');
    await page.getByRole('button', { name: 'Open the campaign' }).click();
    await expect.poll(async () => (await getCampaign(db(), campaignId))?.status).toBe('open');
    const questions = await questionsOf(db(), campaignId);
    expect(questions.map((q) => [q.position, q.kind, q.prompt])).toEqual([
      [1, 'text', 'What should change round here?'],
      [2, 'choice', 'How long have you lived here?'],
    ]);
    await checkPage(page, 'voice-campaign-show');
    await page.context().close();
  });

  it('takes a resident’s answers on the public link, placed by postcode, with markup kept as text', async () => {
    const page = await newPage(harness.browser);
    await page.goto(`${harness.base}/have-your-say`);
    await page.getByRole('link', { name: 'Proud of Wigan (sample data)' }).click();
    await page.getByLabel(/What should change round here/).fill('<script>alert("x")</script> More benches by the canal (sample data)');
    await page.getByLabel('More than 5 years').check();
    await page.getByLabel('Postcode').fill(wards[0]!.postcodes[0]!);
    await checkPage(page, 'voice-public-form');
    await page.getByRole('button', { name: 'Send my answers' }).click();
    await page.waitForURL(/\/thanks$/);
    await checkPage(page, 'voice-public-thanks');
    const [row] = await queryRows<{ channel: string; ward25: string; text: string }>(
      db(),
      sql`select r.channel, r.ward25, a.text from voice_responses r join voice_answers a on a.response_id = r.id where r.campaign_id = ${campaignId} and a.text is not null`,
    );
    expect(row).toEqual({ channel: 'public', ward25: wards[0]!.ward, text: '<script>alert("x")</script> More benches by the canal (sample data)' });
    await page.context().close();
  });

  it('lets a volunteer capture a response on a phone-sized screen', async () => {
    const page = await signInAs(harness.browser, harness.base, emailOf('member'), testPassword);
    await page.setViewportSize({ width: 375, height: 740 });
    await page.goto(`${harness.base}/organisations/test-org/voice/${campaignId}/capture`);
    await page.getByLabel(/What should change round here/).fill('Somewhere for teenagers to go in the evening (sample data)');
    await page.getByLabel('1 to 5 years').check();
    await page.getByLabel('Postcode').fill(wards[0]!.postcodes[1]!);
    await checkPage(page, 'voice-capture-form');
    await page.getByRole('button', { name: 'Save response' }).click();
    await expect.poll(() => page.locator('main').textContent()).toContain('Response saved');
    const [row] = await queryRows<{ n: number }>(db(), sql`select count(*)::int as n from voice_responses where campaign_id = ${campaignId} and channel = 'volunteer' and captured_by is not null`);
    expect(row!.n).toBe(1);
    await page.context().close();
  });

  it('lets a coordinator tag a response with a new theme and mark its words publishable', async () => {
    const [response] = await queryRows<{ id: string }>(db(), sql`select id from voice_responses where campaign_id = ${campaignId} and channel = 'public'`);
    const page = await signInAs(harness.browser, harness.base, emailOf('coordinator'), testPassword);
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(`${harness.base}/organisations/test-org/voice/${campaignId}/responses/${response!.id}/tag`);
    // The resident's markup is shown as the words they typed, never run.
    expect(await page.locator('main').textContent()).toContain('<script>alert("x")</script> More benches');
    await page.getByLabel('Add a new theme and tag this response with it (optional)').fill('Benches and places to sit');
    await page.getByLabel('Publishable: it may be quoted in results and the public summary').first().check();
    await page.getByLabel('Words to publish (optional)').first().fill('More benches by the canal');
    await checkPage(page, 'voice-tag');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.waitForLoadState('load');
    const tagged = await queryRows<{ name: string }>(db(), sql`select t.name from voice_response_themes rt join voice_themes t on t.id = rt.theme_id where rt.response_id = ${response!.id}`);
    expect(tagged).toEqual([{ name: 'Benches and places to sit' }]);
    const [answer] = await queryRows<{ publishable: boolean; quote: string }>(db(), sql`select publishable, quote from voice_answers where response_id = ${response!.id} and text is not null`);
    expect(answer).toEqual({ publishable: true, quote: 'More benches by the canal' });
    expect(dialogs).toEqual([]);
    await page.context().close();
  });

  it('shows whose voice was heard in a ward, and "fewer than 5" for a small count', async () => {
    // Sample responses: 12 more in the busiest ward, spread over its LSOAs, with the ages people gave.
    const campaign = (await getCampaign(db(), campaignId))!;
    const questions = await questionsOf(db(), campaignId);
    const ages = ['25-34', '35-44', '45-54', '55-64', '65-74', '75-plus'] as const;
    const postcodes = wards[0]!.postcodes;
    for (let i = 0; i < 12; i++) {
      const result = await recordResponse(
        db(),
        campaign,
        questions,
        { answers: { [questions[1]!.id]: { choices: [i < 3 ? 'Less than a year' : 'More than 5 years'] } }, postcode: postcodes[(i * 7) % postcodes.length]!, demographicsConsent: true, demographics: { ageBand: ages[i % ages.length]! } },
        { channel: 'volunteer' },
        cliActor,
      );
      expect(result.status).toBe('recorded');
    }
    const page = await signInAs(harness.browser, harness.base, emailOf('viewer'), testPassword);
    await page.goto(`${harness.base}/organisations/test-org/voice/${campaignId}/representation?area=ward25:${wards[0]!.ward}`);
    const main = (await page.locator('main').textContent()) ?? '';
    expect(main).toContain(wards[0]!.name);
    expect(main).toContain('Areas with few or no responses are flagged');
    expect(main).toContain('fewer than 5');
    // Nobody aged 16 to 24 answered: the age table says so, against the ward's residents of that age.
    const youngest = page.locator('tr', { hasText: '16 to 24' }).first();
    expect(await youngest.textContent()).toMatch(/fewer than 5/);
    await checkPage(page, 'voice-representation-ward');
    await page.goto(`${harness.base}/organisations/test-org/voice/${campaignId}/representation`);
    expect(await page.locator('main').textContent()).toContain('No responses');
    await checkPage(page, 'voice-representation-district');

    // The results: 3 chose "Less than a year", so that cell reads "fewer than 5".
    await page.goto(`${harness.base}/organisations/test-org/voice/${campaignId}/results`);
    const lessThanAYear = page.locator('tr', { hasText: 'Less than a year' }).first();
    expect(await lessThanAYear.textContent()).toContain('fewer than 5');
    await checkPage(page, 'voice-results');
    await page.context().close();
  });

  it('runs a Place Standard assessment: a resident rates the 14 themes, and the compass shows them', async () => {
    const coordinator = await signInAs(harness.browser, harness.base, emailOf('coordinator'), testPassword);
    await coordinator.goto(`${harness.base}/organisations/test-org/voice/new`);
    await coordinator.getByLabel('Title').fill('Place Standard: Wigan town centre (sample data)');
    await coordinator.getByLabel('Place Standard assessment').check();
    await coordinator.getByLabel('District it listens in (optional)').selectOption('E08000010');
    await coordinator.getByRole('button', { name: 'Start the campaign' }).click();
    await coordinator.waitForLoadState('load');
    placeStandardId = await campaignOf('Place Standard: Wigan town centre (sample data)');
    await coordinator.getByRole('button', { name: 'Open the campaign' }).click();
    await expect.poll(async () => (await getCampaign(db(), placeStandardId))?.status).toBe('open');
    const questions = await questionsOf(db(), placeStandardId);
    expect(questions).toHaveLength(14);

    // A resident completes the assessment on the public link: 1 for feeling safe, 6 for natural space, 4 elsewhere.
    const resident = await newPage(harness.browser);
    await resident.goto(`${harness.base}/have-your-say/${placeStandardId}`);
    for (const q of questions) {
      const rating = q.placeStandardTheme === 'feeling-safe' ? '1' : q.placeStandardTheme === 'natural-space' ? '6' : '4';
      await resident.locator(`input[name="answer-${q.id}"][value="${rating}"]`).check();
    }
    await resident.getByLabel('Postcode').fill(wards[0]!.postcodes[2]!);
    await checkPage(resident, 'voice-place-standard-form');
    await resident.getByRole('button', { name: 'Send my answers' }).click();
    await resident.waitForURL(/\/thanks$/);
    await resident.context().close();

    // Four more (sample data), so each theme has 5 ratings and its mean may be shown.
    const campaign = (await getCampaign(db(), placeStandardId))!;
    for (let i = 0; i < 4; i++) {
      const answers = Object.fromEntries(questions.map((q) => [q.id, { scale: q.placeStandardTheme === 'feeling-safe' ? 2 : q.placeStandardTheme === 'natural-space' ? 6 : 4 }]));
      expect((await recordResponse(db(), campaign, questions, { answers, postcode: wards[0]!.postcodes[3 + i]!, demographicsConsent: false }, { channel: 'volunteer' }, cliActor)).status).toBe('recorded');
    }
    await coordinator.goto(`${harness.base}/organisations/test-org/voice/${placeStandardId}/place-standard`);
    const chart = coordinator.locator('svg[role="img"]');
    await expect.poll(() => chart.count()).toBe(1);
    const main = (await coordinator.locator('main').textContent()) ?? '';
    // Feeling safe: (1 + 2 × 4) / 5 = 1.8; natural space 6.0.
    expect(main).toMatch(/lowest: Feeling safe \(1\.8\)/i);
    expect(main).toMatch(/highest: Natural space \(6\.0\)/i);
    const safeRow = coordinator.locator('tr', { hasText: 'Feeling safe' }).first();
    expect(await safeRow.textContent()).toContain('1.8');
    await checkPage(coordinator, 'voice-place-standard');
    // Split by ward: the other wards have fewer than 5 ratings (or none), so their figures are not shown.
    await coordinator.goto(`${harness.base}/organisations/test-org/voice/${placeStandardId}/place-standard?group=ward`);
    await checkPage(coordinator, 'voice-place-standard-by-ward');
    await coordinator.context().close();
  });
});
