import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect } from 'vitest';
import { startTestApp } from './app.ts';
import { createTestDatabase, type TestDatabase } from './engines.ts';

export const chromiumPath = process.env.PATCHWORK_CHROMIUM ?? '/usr/bin/chromium';
const required = process.env.PATCHWORK_REQUIRE_BROWSER === '1';
const available = existsSync(chromiumPath);

if (required && !available) {
  throw new Error(`PATCHWORK_REQUIRE_BROWSER=1 but there is no Chromium at ${chromiumPath}: install Debian's chromium package`);
}

/** Null when the browser tests can run; otherwise the reason they are skipped, for the test name. */
export const browserSkipReason = available
  ? null
  : `browser tests skipped: no Chromium at ${chromiumPath} (apt-get install chromium, or set PATCHWORK_CHROMIUM)`;

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    // This machine has no network but loopback; background networking would only make noise. With no GPU,
    // WebGL for maps comes from Chromium's software renderer, which must be allowed explicitly.
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--enable-unsafe-swiftshader'],
  });
}

/** axe needs a page in its own context, as a fresh browser profile would be. */
export async function newPage(browser: Browser, options: BrowserContextOptions = {}): Promise<Page> {
  const context = await browser.newContext(options);
  return context.newPage();
}

/**
 * A browser test file's world: a PGlite database made ready by `prepare`, Patchwork listening on a free port
 * and Chromium, set up before the file's tests and torn down after. Read its fields inside tests.
 */
export function browserApp(prepare: (database: TestDatabase) => Promise<void>) {
  const harness = {} as { database: TestDatabase; app: FastifyInstance; browser: Browser; base: string };
  beforeAll(async () => {
    harness.database = await createTestDatabase('pglite');
    await prepare(harness.database);
    harness.app = await startTestApp(harness.database);
    await harness.app.listen({ port: 0, host: '127.0.0.1' });
    harness.base = `http://127.0.0.1:${(harness.app.server.address() as AddressInfo).port}`;
    harness.browser = await launchBrowser();
    // Preparing real data (editions, populations, boundaries) on PGlite takes minutes when the machine is busy.
  }, 600_000);
  afterAll(async () => {
    await harness.browser?.close();
    await harness.app?.close();
    await harness.database?.drop();
  });
  return harness;
}

/** Signs in through the page, as a person would; returns once the browser has left the sign-in page. */
export async function signInAs(browser: Browser, base: string, email: string, password: string): Promise<Page> {
  const page = await newPage(browser);
  await page.goto(`${base}/sign-in`);
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/sign-in'));
  return page;
}

export const screenshotDir = path.resolve('var/screenshots');

/** Zero WCAG 2.2 AA violations, and a full-page screenshot to look at. */
export async function checkPage(page: Page, name: string): Promise<void> {
  await mkdir(screenshotDir, { recursive: true });
  await page.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage: true });
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']).analyze();
  const violations = results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  expect(violations, `axe violations on ${name}`).toEqual([]);
}

/** Presses Tab until the element is focused, as someone using only a keyboard would. */
export async function tabTo(page: Page, selector: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await page.locator(selector).evaluate((e) => e === document.activeElement)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached ${selector}`);
}

/** Fills a GOV.UK date input's three boxes (`<name>-day`, `-month`, `-year`) from an ISO date. */
export async function fillDate(page: Page, name: string, iso: string): Promise<void> {
  const [year, month, day] = iso.split('-');
  await page.locator(`#${name}-day`).fill(String(Number(day)));
  await page.locator(`#${name}-month`).fill(String(Number(month)));
  await page.locator(`#${name}-year`).fill(year!);
}

/** Presses the named button and waits for the next page, which must show no error summary. */
export async function submit(page: Page, name: string): Promise<void> {
  await page.getByRole('button', { name, exact: true }).click();
  await page.waitForLoadState('load');
  expect(await page.locator('.govuk-error-summary').count(), `no errors after “${name}”`).toBe(0);
}
