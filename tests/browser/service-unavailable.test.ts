import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/platform/db/database.ts';
import { startTestApp } from '../support/app.ts';
import { browserSkipReason, checkPage, launchBrowser, newPage } from '../support/browser.ts';

/**
 * What a person sees while PostgreSQL cannot be reached: Patchwork pointed at a port where nothing listens
 * (the fault tests stop a real cluster; here only the page is looked at).
 */
describe.skipIf(browserSkipReason !== null)(browserSkipReason ?? 'in Chromium: the database cannot be reached', () => {
  let database: Database;
  let app: FastifyInstance;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    database = await openDatabase({ engine: 'postgres', url: 'postgres://postgres@127.0.0.1:1/patchwork' });
    app = await startTestApp(database);
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await database?.close();
  });

  it('shows a page saying the service is unavailable, when to try again, and that a form may not have been saved', async () => {
    const page = await newPage(browser);
    const response = await page.goto(`${base}/areas`);
    expect(response!.status()).toBe(503);
    expect(response!.headers()['retry-after']).toBe('30');
    await expect(page.locator('h1').textContent()).resolves.toContain('Sorry, the service is unavailable');
    await expect(page.locator('main').textContent()).resolves.toContain('may not have been saved');
    await checkPage(page, 'service-unavailable');
  });
});
