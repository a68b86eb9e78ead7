import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { cliActor } from '../../src/platform/audit/audit.ts';
import { organisations } from '../../src/platform/auth/schema.ts';
import { queryRows } from '../../src/platform/db/database.ts';
import { setStatus } from '../../src/capabilities/community-voice/campaigns.ts';
import { sampleCampaign } from '../../src/capabilities/community-voice/testing.ts';
import { emailOf, seedPeople, testPassword } from '../support/app.ts';
import { browserApp, browserSkipReason, checkPage, signInAs } from '../support/browser.ts';

/**
 * A volunteer loses the signal at an event (issue 8): the response they capture is kept on the phone, said to be
 * waiting, and sent by itself once the phone is back online. Axe on the page in each state.
 */
describe.skipIf(browserSkipReason !== null)(browserSkipReason ?? 'in Chromium: community voice offline capture', () => {
  let campaignId = '';
  const harness = browserApp(async (database) => {
    await seedPeople(database);
    const [org] = await database.db.select({ id: organisations.id }).from(organisations);
    const { campaign } = await sampleCampaign(database.db, org!.id);
    await setStatus(database.db, campaign, 'open', cliActor);
    campaignId = campaign.id;
  });

  const volunteerResponses = async () =>
    queryRows<{ text: string | null; captured_by: string | null; client_id: string | null }>(
      harness.database.db,
      sql`select a.text, r.captured_by, r.client_id from voice_responses r join voice_answers a on a.response_id = r.id
          where r.campaign_id = ${campaignId} and r.channel = 'volunteer' and a.text is not null`,
    );

  it('keeps a response captured offline on the device and sends it when back online', async () => {
    const page = await signInAs(harness.browser, harness.base, emailOf('member'), testPassword);
    // A phone-sized screen, as at a doorstep.
    await page.setViewportSize({ width: 375, height: 740 });
    await page.goto(`${harness.base}/organisations/test-org/voice/${campaignId}/capture`);
    const status = page.locator('[data-voice-offline-status]');
    // The module has given the form an id for this response.
    await expect.poll(() => page.locator('input[name="clientId"]').inputValue()).toMatch(/^[0-9a-f-]{36}$/);
    await checkPage(page, 'voice-capture');

    await page.context().setOffline(true);
    await page.getByLabel(/What are you proud of about where you live/).fill('The canal towpath in spring (sample data)');
    await page.getByRole('button', { name: 'Save response' }).click();
    await expect.poll(() => status.textContent()).toContain('Saved on this device: 1 response waiting to send.');
    // The form is cleared for the next person, and nothing reached the server.
    await expect(page.getByLabel(/What are you proud of about where you live/).inputValue()).resolves.toBe('');
    expect(await volunteerResponses()).toHaveLength(0);
    await checkPage(page, 'voice-capture-offline');

    await page.context().setOffline(false);
    await expect.poll(async () => (await volunteerResponses()).length, { timeout: 15_000 }).toBe(1);
    const [sent] = await volunteerResponses();
    expect(sent!.text).toBe('The canal towpath in spring (sample data)');
    expect(sent!.client_id).toMatch(/^[0-9a-f-]{36}$/);
    await expect.poll(() => status.textContent()).toContain('Sent 1 response saved on this device.');
    expect(await status.textContent()).not.toContain('waiting to send');
    expect(await page.evaluate((id) => localStorage.getItem(`patchwork-voice-offline:${id}`), campaignId)).toBeNull();
    await checkPage(page, 'voice-capture-sent');

    // Online, the form is sent as it would be without JavaScript: the server's page says it was saved.
    await page.getByLabel(/What are you proud of about where you live/).fill('The market (sample data)');
    await page.getByRole('button', { name: 'Save response' }).click();
    await expect.poll(async () => (await volunteerResponses()).length).toBe(2);
    await expect.poll(() => page.locator('main').textContent()).toContain('Response saved');
    await page.context().close();
  });

  it('lists a response the server refuses, with its problem, and lets the volunteer discard it', async () => {
    const page = await signInAs(harness.browser, harness.base, emailOf('member'), testPassword);
    const capture = `${harness.base}/organisations/test-org/voice/${campaignId}/capture`;
    await page.goto(capture);
    // A response kept on this phone earlier, rating question 3 out of its range (as a stale copy of the form might).
    const scale = await page.locator('input[type="radio"][value="3"]').first().getAttribute('name');
    await page.evaluate(
      ([id, field]) =>
        localStorage.setItem(`patchwork-voice-offline:${id}`, JSON.stringify([{ clientId: crypto.randomUUID(), answeredAt: new Date().toISOString(), fields: [[field, '9']] }])),
      [campaignId, scale!],
    );
    await page.reload();
    const status = page.locator('[data-voice-offline-status]');
    await expect.poll(() => status.textContent()).toContain('1 response could not be sent:');
    expect(await status.textContent()).toContain('Question 3: choose a number from 1 to 5');
    expect(await volunteerResponses()).toHaveLength(2);
    await checkPage(page, 'voice-capture-refused');
    await status.getByRole('button', { name: /^Discard/ }).click();
    await expect.poll(() => status.textContent()).toContain('The response was discarded.');
    expect(await page.evaluate((id) => localStorage.getItem(`patchwork-voice-offline:${id}`), campaignId)).toBeNull();
    await page.context().close();
  });

  it('shows a coordinator the import page, and every problem of a refused file', async () => {
    const page = await signInAs(harness.browser, harness.base, emailOf('coordinator'), testPassword);
    await page.goto(`${harness.base}/organisations/test-org/voice/${campaignId}/import`);
    await checkPage(page, 'voice-import');
    const file = 'answered_at,postcode,neighbourhood_id,q1 Proud of,q2 How long,q3 Belong\r\n2026-03-01,,,The park,Forever,9\r\n';
    await page.getByLabel('File to import').setInputFiles({ name: 'responses.csv', mimeType: 'text/csv', buffer: Buffer.from(file) });
    await page.getByRole('button', { name: 'Check and import' }).click();
    await expect.poll(() => page.locator('#problems caption').textContent()).toContain('2 problems to fix: nothing was imported');
    await checkPage(page, 'voice-import-problems');
    const [n] = await queryRows<{ n: number }>(harness.database.db, sql`select count(*)::int as n from voice_responses where channel = 'import'`);
    expect(n!.n).toBe(0);
    await page.context().close();
  });
});
