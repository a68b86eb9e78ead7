import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/engines.ts';
import { emailOf, seedPeople, startTestApp, testPassword } from '../support/app.ts';
import { browserSkipReason, checkPage, launchBrowser, newPage } from '../support/browser.ts';

/** A real browser against a real server: sign in, fail to sign in, sign out, with axe on every page. */
describe.skipIf(browserSkipReason !== null)(browserSkipReason ?? 'in Chromium: accounts and organisations', () => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    database = await createTestDatabase('pglite');
    await seedPeople(database);
    app = await startTestApp(database, { SIGN_IN_RATE_LIMIT: '1000' });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await database?.drop();
  });

  async function signIn(page: Page, email: string, password: string) {
    await page.goto(`${base}/sign-in`);
    await page.getByLabel('Email address').fill(email);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  it('shows accessible public pages: home, sign-in, about the data', async () => {
    const page = await newPage(browser);
    await page.goto(base);
    await expect.poll(() => page.title()).toBe('Neighbourhood working, together – Patchwork');
    await checkPage(page, 'home');
    await page.goto(`${base}/sign-in`);
    await checkPage(page, 'sign-in');
    await page.goto(`${base}/about/data`);
    await checkPage(page, 'about-data');
    await page.context().close();
  });

  it('explains a failed sign-in with an error summary that links to the field', async () => {
    const page = await newPage(browser);
    await signIn(page, emailOf('member'), 'this is not the password');
    await expect.poll(() => page.title()).toBe('Error: Sign in – Patchwork');
    const summary = page.locator('.govuk-error-summary');
    await expect.poll(() => summary.textContent()).toContain('Enter a correct email address and password');
    // The password is never sent back into the page.
    expect(await page.getByLabel('Password', { exact: true }).inputValue()).toBe('');
    await checkPage(page, 'sign-in-failed');
    await summary.getByRole('link').click();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('email');
    await page.context().close();
  });

  it('signs in, shows the account and organisation pages, and signs out', async () => {
    const page = await newPage(browser);
    await signIn(page, emailOf('admin'), testPassword);
    await page.waitForURL(`${base}/account`);
    expect(await page.locator('h1').textContent()).toBe('Your account');
    expect(await page.locator('main').textContent()).toContain('Test Organisation');
    await checkPage(page, 'account');

    await page.goto(`${base}/organisations`);
    await checkPage(page, 'organisations');
    await page.goto(`${base}/organisations/test-org`);
    await checkPage(page, 'organisation');
    await page.goto(`${base}/organisations/test-org/members`);
    await checkPage(page, 'organisation-members');

    await page.getByLabel('Email address').fill('new.person@example.org');
    await page.getByLabel('Name').fill('New Person');
    await page.getByLabel('Role', { exact: true }).selectOption('member');
    await page.getByRole('button', { name: 'Add member' }).click();
    await expect.poll(() => page.locator('#invitation-link').textContent()).toContain('/invitations/');
    await checkPage(page, 'organisation-member-invited');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${base}/`);
    expect(await page.locator('.govuk-notification-banner').textContent()).toContain('You have signed out');
    await checkPage(page, 'signed-out');
    await page.goto(`${base}/account`);
    expect(page.url()).toContain('/sign-in?returnTo=%2Faccount');
    await page.context().close();
  });

  it('works by keyboard alone', async () => {
    const page = await newPage(browser);
    await page.goto(`${base}/sign-in`);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to main content');
    await page.keyboard.press('Enter');
    for (let i = 0; i < 10 && (await page.evaluate(() => document.activeElement?.id)) !== 'email'; i++) await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('email');
    await page.keyboard.type(emailOf('site-admin'));
    await page.keyboard.press('Tab');
    await page.keyboard.type(testPassword);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${base}/account`);
    await page.goto(`${base}/admin/audit`);
    expect(await page.locator('main').textContent()).toContain('user.signed-in');
    await checkPage(page, 'audit-log');
    await page.context().close();
  });

  it('signs in and out without JavaScript', async () => {
    const page = await newPage(browser, { javaScriptEnabled: false });
    await signIn(page, emailOf('viewer'), testPassword);
    await page.waitForURL(`${base}/account`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${base}/`);
    expect(await page.locator('.govuk-notification-banner').textContent()).toContain('You have signed out');
    await page.context().close();
  });

  it('shows an accessible not-found page', async () => {
    const page = await newPage(browser);
    const response = await page.goto(`${base}/no-such-page`);
    expect(response?.status()).toBe(404);
    await checkPage(page, 'not-found');
    await page.context().close();
  });
});
