/// <reference lib="dom" />
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { expect } from 'vitest';
import { launchChromium, requireChromiumInCi } from '../../testing/chromium.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import type { TestDialect } from '../../testing/test-db.js';

/**
 * What every admin-page end-to-end suite needs: a real server on loopback, a tenant with an admin user
 * who signs in with a password, and Debian's Chromium driven by playwright-core. Each suite gets its own
 * server and browser, so suites are independent of each other's order and state.
 */
export { hasChromium } from '../../testing/chromium.js';
requireChromiumInCi('the admin page tests');

// Screenshots replace the README's only when asked (UPDATE_SCREENSHOTS=1): a test run leaves the tree clean.
const SHOTS =
  process.env.UPDATE_SCREENSHOTS === '1'
    ? new URL('../../../docs/screenshots/', import.meta.url).pathname
    : fs.mkdtempSync(path.join(os.tmpdir(), 'roster-shots-'));

export const ADMIN_EMAIL = 'admin@acme.com';
export const ADMIN_PASSWORD = 'violet-Harbor-lantern-42';

export interface AdminBrowser {
  t: TestApp;
  browser: Browser;
  page: Page;
  /** http://127.0.0.1:<port> of the server under test. */
  base: string;
  slug: string;
  /** The tenant's admin API key (for arranging and checking state through the API). */
  key: string;
  /** Requests the page made to another host (must stay empty). */
  outside: string[];
  cspViolations: string[];
  /** Signs in on the page with a password; waits until the users list shows. */
  signIn(login?: string, password?: string): Promise<void>;
  /** Saves a full-page screenshot (only for SQLite, so one set exists). */
  shoot(name: string): Promise<void>;
  close(): Promise<void>;
}

/** `env`: extra configuration for the server under test (e.g. `SMTP_URL` of a test SMTP sink). */
export async function openAdminBrowser(dialect: TestDialect, options: { env?: Record<string, string> } = {}): Promise<AdminBrowser> {
  const t = await createTestApp(dialect, { env: options.env ?? {} });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  const address = t.app.server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const { slug, key } = await t.tenantWithKey();
  const admin = await t.request(key, {
    method: 'POST',
    url: '/v1/users',
    payload: { email: ADMIN_EMAIL, givenName: 'Ada', familyName: 'Admin', password: ADMIN_PASSWORD, roles: ['admin'] },
  });
  expect(admin.statusCode).toBe(201);

  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  // Below the test's own timeout, so a control that never shows fails naming its locator, not as a bare timeout.
  page.setDefaultTimeout(20_000);
  const outside: string[] = [];
  const cspViolations: string[] = [];
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(base) && !url.startsWith('data:') && !url.startsWith('blob:')) outside.push(url);
  });
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
  });

  return {
    t,
    browser,
    page,
    base,
    slug,
    key,
    outside,
    cspViolations,
    async signIn(login = ADMIN_EMAIL, password = ADMIN_PASSWORD) {
      await page.goto(`${base}/admin`);
      await page.getByLabel('Tenant').fill(slug);
      await page.getByLabel('Email or username').fill(login);
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await expect.poll(() => page.locator('main h1').textContent(), { timeout: 20_000 }).toBe('Users');
    },
    async shoot(name: string) {
      if (dialect.name === 'sqlite') await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
    },
    async close() {
      await browser.close();
      await t.close();
    },
  };
}
