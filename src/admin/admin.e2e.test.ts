/// <reference lib="dom" />
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, launchChromium, requireChromiumInCi } from '../testing/chromium.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { testDialects } from '../testing/test-db.js';

/**
 * The admin page in a real headless Chromium (Debian's package, driven by playwright-core), against a
 * real server on loopback. CI installs Chromium, so there the suite must run; elsewhere it runs when
 * Chromium is installed. The main screens are saved to a temporary folder, or to docs/screenshots/ (as the
 * README shows them) with UPDATE_SCREENSHOTS=1.
 */
requireChromiumInCi('the admin page tests');
// Screenshots replace the README's only when asked (UPDATE_SCREENSHOTS=1): a test run leaves the tree clean.
const SHOTS =
  process.env.UPDATE_SCREENSHOTS === '1'
    ? new URL('../../docs/screenshots/', import.meta.url).pathname
    : fs.mkdtempSync(path.join(os.tmpdir(), 'roster-shots-'));
const PASSWORD = 'violet-Harbor-lantern-42';
const sqlite = testDialects.find((d) => d.name === 'sqlite');

for (const dialect of testDialects) {
  describe.skipIf(!dialect.available || !hasChromium)(`${dialect.name}: admin page in Chromium`, () => {
    let t: TestApp;
    let browser: Browser;
    let page: Page;
    let base: string;
    let slug: string;
    let key: string;
    const outside: string[] = [];
    const cspViolations: string[] = [];
    const shoot = async (name: string) => {
      if (dialect === sqlite) await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
    };

    beforeAll(async () => {
      t = await createTestApp(dialect);
      await t.app.listen({ host: '127.0.0.1', port: 0 });
      const address = t.app.server.address();
      base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
      ({ slug, key } = await t.tenantWithKey());
      const admin = await t.request(key, {
        method: 'POST',
        url: '/v1/users',
        payload: { email: 'admin@acme.com', givenName: 'Ada', familyName: 'Admin', password: PASSWORD, roles: ['admin'] },
      });
      expect(admin.statusCode).toBe(201);
      for (const [email, givenName, familyName] of [
        ['zara@acme.com', 'Zara', 'Kim'],
        ['zed@acme.com', 'Zed', 'Ortiz'],
        ['bob@acme.com', 'Bob', 'Stone'],
      ]) {
        await t.request(key, { method: 'POST', url: '/v1/users', payload: { email, givenName, familyName } });
      }
      await t.request(key, {
        method: 'POST',
        url: '/v1/attributes',
        payload: { key: 'department', type: 'enum', enumValues: ['sales', 'engineering'] },
      });
      browser = await launchChromium();
      page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      page.setDefaultTimeout(20_000); // below the test's timeout: a missing control fails naming its locator
      page.on('request', (request) => {
        const url = request.url();
        if (!url.startsWith(base) && !url.startsWith('data:') && !url.startsWith('blob:')) outside.push(url);
      });
      page.on('console', (message) => {
        if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
      });
    });
    afterAll(async () => {
      await browser?.close();
      await t?.close();
    });

    it('should sign in with a password, keep the credential out of script reach and show the users', async () => {
      await page.goto(`${base}/admin`);
      await expect.poll(() => page.locator('h1').textContent()).toBe('Roster admin');
      await shoot('sign-in');
      await page.getByLabel('Tenant').fill(slug);
      await page.getByLabel('Email or username').fill('admin@acme.com');
      await page.getByLabel('Password').fill('wrong-password-000');
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await expect.poll(() => page.locator('#sign-in-error').textContent()).toContain('Unknown user or wrong password');
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await expect.poll(() => page.locator('main h1').textContent()).toBe('Users');
      await expect.poll(() => page.locator('#user-results tbody tr').count()).toBe(4);

      const cookies = await page.context().cookies();
      expect(cookies).toEqual([expect.objectContaining({ name: 'roster_session', httpOnly: true, sameSite: 'Strict' })]);
      expect(await page.evaluate(() => [document.cookie, localStorage.length, JSON.stringify(sessionStorage)])).toEqual([
        '',
        0,
        JSON.stringify({ 'roster.admin.tenant': slug }),
      ]);
      await shoot('users');
    });

    it('should search users by the start of an email, and by the start of a name', async () => {
      await page.getByLabel('Name starts with', { exact: true }).fill('ort');
      await page.getByRole('button', { name: 'Search' }).click();
      await expect.poll(() => page.locator('#user-results caption').textContent()).toBe('Users matching “ort”');
      expect(await page.locator('#user-results tbody tr').allTextContents()).toEqual([expect.stringContaining('zed@acme.com')]);
      await page.getByLabel('Name starts with', { exact: true }).fill('');
      await page.getByLabel('Email or username starts with').fill('za');
      await page.getByRole('button', { name: 'Search' }).click();
      await expect.poll(() => page.locator('#user-results caption').textContent()).toBe('Users matching “za”');
      expect(await page.locator('#user-results tbody tr').allTextContents()).toEqual([expect.stringContaining('zara@acme.com')]);
      await page.getByRole('link', { name: 'zara@acme.com' }).click();
      await expect.poll(() => page.locator('main h1').textContent()).toBe('zara@acme.com');
      await expect.poll(() => page.getByRole('table', { name: 'History' }).textContent()).toContain('User created');
      await shoot('user-detail');

      // Deactivation and deletion ask first (a native confirm, accepted here), then act through the API.
      page.once('dialog', (dialog) => void dialog.accept());
      await page.getByRole('button', { name: 'Deactivate' }).click();
      await expect.poll(() => page.locator('main .badge').textContent()).toBe('Inactive');
      expect((await t.request(key, { method: 'GET', url: '/v1/users?email=zara@acme.com' })).json().data[0].active).toBe(false);
      page.once('dialog', (dialog) => void dialog.dismiss());
      await page.getByRole('button', { name: 'Delete' }).click();
      expect((await t.request(key, { method: 'GET', url: '/v1/users?email=zara@acme.com' })).json().data).toHaveLength(1);
      page.once('dialog', (dialog) => void dialog.accept());
      await page.getByRole('button', { name: 'Delete' }).click();
      await expect.poll(() => page.locator('main h1').textContent()).toBe('Users');
      expect((await t.request(key, { method: 'GET', url: '/v1/users?email=zara@acme.com' })).json().data).toHaveLength(0);
    });

    it('should edit a user in place, saved with If-Match, and see the change through the API', async () => {
      const bob = (await t.request(key, { method: 'GET', url: '/v1/users?email=bob@acme.com' })).json().data[0];
      await page.goto(`${base}/admin#/users/${bob.id}`);
      await expect.poll(() => page.locator('main h1').textContent()).toBe('bob@acme.com');
      await expect.poll(() => page.getByLabel('Given name').inputValue()).toBe('Bob');
      await page.getByLabel('Given name').fill('Robert');
      await page.getByLabel('Phone', { exact: true }).fill('+44 20 7946 0958');
      await page.getByLabel('Timezone').fill('Europe/Paris');
      await page.getByRole('checkbox', { name: 'admin', exact: true }).check();
      await page.getByRole('button', { name: 'Save changes' }).click();
      await expect.poll(() => page.locator('#user-status').textContent()).toBe('Saved.');
      const stored = (await t.request(key, { method: 'GET', url: `/v1/users/${bob.id}` })).json();
      expect(stored).toMatchObject({
        givenName: 'Robert',
        familyName: 'Stone',
        timezone: 'Europe/Paris',
        roles: expect.arrayContaining(['admin', 'user']),
        version: bob.version + 1,
      });
      expect(stored.phone).toMatch(/^\+442079460958$/);
      expect(await page.getByLabel('Given name').inputValue()).toBe('Robert');
    });

    it('should refuse a stale edit with a message, keep the other change, and reload to the current version', async () => {
      const bob = (await t.request(key, { method: 'GET', url: '/v1/users?email=bob@acme.com' })).json().data[0];
      // Someone else changes the user after the page was opened.
      expect((await t.request(key, { method: 'PATCH', url: `/v1/users/${bob.id}`, payload: { familyName: 'Elsewhere' } })).statusCode).toBe(
        200,
      );
      await page.getByLabel('Family name').fill('Mine');
      await page.getByRole('button', { name: 'Save changes' }).click();
      await expect
        .poll(() => page.locator('#user-status [role=alert]').textContent())
        .toContain('Someone else changed this user after you opened this page');
      expect((await t.request(key, { method: 'GET', url: `/v1/users/${bob.id}` })).json().familyName).toBe('Elsewhere');
      await shoot('user-edit-conflict');
      await page.getByRole('button', { name: 'Reload' }).click();
      await expect.poll(() => page.getByLabel('Family name').inputValue()).toBe('Elsewhere');
      await page.getByLabel('Family name').fill('Mine');
      await page.getByRole('button', { name: 'Save changes' }).click();
      await expect.poll(() => page.locator('#user-status').textContent()).toBe('Saved.');
      expect((await t.request(key, { method: 'GET', url: `/v1/users/${bob.id}` })).json().familyName).toBe('Mine');
    });

    it("should place an edit's field error next to its field and store nothing", async () => {
      const bob = (await t.request(key, { method: 'GET', url: '/v1/users?email=bob@acme.com' })).json().data[0];
      const email = page.getByLabel('Email', { exact: true });
      await email.fill('not-an-email');
      await page.getByRole('button', { name: 'Save changes' }).click();
      await expect.poll(() => email.getAttribute('aria-invalid')).toBe('true');
      const errorId = ((await email.getAttribute('aria-describedby')) ?? '').split(' ').find((id) => id.endsWith('-error')) as string;
      expect(await page.locator(`#${errorId}`).textContent()).toMatch(/email/i);
      expect(await page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.name)).toBe('email');
      expect((await t.request(key, { method: 'GET', url: `/v1/users/${bob.id}` })).json()).toMatchObject({
        email: 'bob@acme.com',
        version: bob.version,
      });
      await shoot('user-edit-error');
    });

    it('should deactivate a user, find it with the Inactive filter, and reactivate it', async () => {
      const bob = (await t.request(key, { method: 'GET', url: '/v1/users?email=bob@acme.com' })).json().data[0];
      await page.goto(`${base}/admin#/users/${bob.id}`);
      await expect.poll(() => page.locator('main .badge').textContent()).toBe('Active');
      page.once('dialog', (dialog) => void dialog.accept());
      await page.getByRole('button', { name: 'Deactivate' }).click();
      await expect.poll(() => page.locator('main .badge').textContent()).toBe('Inactive');
      expect((await t.request(key, { method: 'GET', url: `/v1/users/${bob.id}` })).json().active).toBe(false);

      await page.goto(`${base}/admin#/users`);
      await expect.poll(() => page.locator('#user-count').textContent()).toMatch(/ of \d/);
      await page.getByLabel('Status').selectOption('false');
      await expect.poll(() => page.locator('#user-results tbody tr').allTextContents()).toEqual([expect.stringContaining('bob@acme.com')]);
      expect(await page.locator('#user-count').textContent()).toBe('1–1 of 1');
      await page.getByLabel('Status').selectOption('true');
      await expect.poll(() => page.locator('#user-results tbody').textContent()).not.toContain('bob@acme.com');
      await page.getByLabel('Per page').selectOption('10');
      await expect.poll(() => page.locator('#user-results tbody tr').count()).toBeGreaterThan(0);
      await shoot('users-filtered');

      await page.goto(`${base}/admin#/users/${bob.id}`);
      page.once('dialog', (dialog) => void dialog.accept());
      await page.getByRole('button', { name: 'Reactivate' }).click();
      await expect.poll(() => page.locator('main .badge').textContent()).toBe('Active');
      expect((await t.request(key, { method: 'GET', url: `/v1/users/${bob.id}` })).json().active).toBe(true);
    });

    it('should show a read-only role no edit controls, with the reason, and an editor the privilege guard as a message', async () => {
      const bob = (await t.request(key, { method: 'GET', url: '/v1/users?email=bob@acme.com' })).json().data[0];
      expect(
        (
          await t.request(key, {
            method: 'POST',
            url: '/v1/roles',
            payload: { name: 'editor', permissions: ['users:read', 'users:update'] },
          })
        ).statusCode,
      ).toBe(201);
      for (const [email, role] of [
        ['reader@acme.com', 'user'],
        ['editor@acme.com', 'editor'],
      ]) {
        expect(
          (await t.request(key, { method: 'POST', url: '/v1/users', payload: { email, password: PASSWORD, roles: [role] } })).statusCode,
        ).toBe(201);
      }
      const signInAs = async (email: string) => {
        const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
        const other = await context.newPage();
        await other.goto(`${base}/admin`);
        await other.getByLabel('Tenant').fill(slug);
        await other.getByLabel('Email or username').fill(email);
        await other.getByLabel('Password').fill(PASSWORD);
        await other.getByRole('button', { name: 'Sign in', exact: true }).click();
        await expect.poll(() => other.locator('body').textContent(), { timeout: 20_000 }).toContain('Sign out');
        await other.goto(`${base}/admin#/users/${bob.id}`);
        await expect.poll(() => other.locator('main h1').textContent()).toBe('bob@acme.com');
        return { context, other };
      };

      const reader = await signInAs('reader@acme.com');
      expect(await reader.other.locator('#user-limits').textContent()).toBe(
        'Your role may not deactivate or reactivate users, delete users, edit users, send them mails or end their sessions.',
      );
      expect(await reader.other.getByRole('button').allTextContents()).toEqual(['Sign out']);
      expect(await reader.other.getByRole('textbox').count()).toBe(0);
      await reader.context.close();

      const editor = await signInAs('editor@acme.com');
      await editor.other.getByRole('checkbox', { name: 'editor', exact: true }).check();
      await editor.other.getByRole('checkbox', { name: 'admin', exact: true }).uncheck();
      await editor.other.getByRole('button', { name: 'Save changes' }).click();
      await expect.poll(() => editor.other.locator('#user-status [role=alert]').textContent()).toMatch(/^Your role may not do this\. ./);
      expect((await t.request(key, { method: 'GET', url: `/v1/users/${bob.id}` })).json().roles).toContain('admin');
      await editor.context.close();
    }, 60_000); // two more password sign-ins (argon2) on a shared machine

    it('should show the API field error next to its field, focused, then create the user', async () => {
      await page.goto(`${base}/admin#/users/new`);
      await expect.poll(() => page.locator('main h1').textContent()).toBe('Create user');
      expect(await page.getByLabel('Department').count()).toBe(1); // the tenant's attribute has its field
      // Hints are written for people: no code markup, and the username hint states the tenant's own rule.
      expect(await page.locator('main').textContent()).not.toContain('`');
      const usernameHint = ((await page.getByLabel('Username').getAttribute('aria-describedby')) ?? '')
        .split(' ')
        .find((id) => id.endsWith('-hint')) as string;
      expect(await page.locator(`#${usernameHint}`).textContent()).toContain('3 to 64 letters, digits, dots, underscores or hyphens');
      await page.getByLabel('Email', { exact: true }).fill('not-an-email');
      await page.getByLabel('Given name').fill('Grace');
      await page.getByRole('button', { name: 'Create user' }).click();
      const email = page.getByLabel('Email', { exact: true });
      await expect.poll(() => email.getAttribute('aria-invalid')).toBe('true');
      const describedBy = (await email.getAttribute('aria-describedby')) ?? '';
      const errorId = describedBy.split(' ').find((id) => id.endsWith('-error')) as string;
      expect(await page.locator(`#${errorId}`).textContent()).toMatch(/email/i);
      expect(await page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.name)).toBe('email');
      await shoot('create-user-error');

      await email.fill('grace@acme.com');
      await page.getByLabel('Department').selectOption('engineering');
      await page.getByLabel('Generate password').selectOption('true');
      await page.getByRole('button', { name: 'Create user' }).click();
      await expect.poll(() => page.locator('[role=status]').first().textContent()).toContain('grace@acme.com');
      const generated = await page.locator('#generated-password').textContent();
      expect(generated?.length).toBeGreaterThanOrEqual(12);
      expect(await email.getAttribute('aria-invalid')).toBeNull();
      const stored = (await t.request(key, { method: 'GET', url: '/v1/users?email=grace@acme.com' })).json().data[0];
      expect(stored).toMatchObject({ givenName: 'Grace', hasPassword: true, attributes: { department: 'engineering' } });
      await shoot('create-user-done');
    });

    it('should validate a CSV with a dry run, then import it with progress to completion and offer the error report', async () => {
      const rows = ['E-mail,First name,Team', ...Array.from({ length: 1500 }, (_, i) => `csv${i}@acme.com,Csv ${i},x`)];
      rows[7] = 'broken-address,Bad,x';
      await page.goto(`${base}/admin#/import`);
      await expect.poll(() => page.locator('main h1').textContent()).toBe('Import users');
      await page.getByLabel('CSV file').setInputFiles({ name: 'people.csv', mimeType: 'text/csv', buffer: Buffer.from(rows.join('\n')) });
      await expect.poll(() => page.getByLabel('Field for column E-mail').inputValue()).toBe('email');
      expect(await page.getByLabel('Field for column First name').inputValue()).toBe('givenName');
      expect(await page.getByLabel('Field for column Team').inputValue()).toBe('-');

      await page.getByRole('button', { name: 'Validate (dry run)' }).click();
      await expect
        .poll(() => page.locator('#import-outcome').textContent(), { timeout: 30_000 })
        .toContain('Validation finished: 1499 rows valid, 1 with errors.');
      expect(await page.locator('#import-outcome tbody').textContent()).toContain('EMAIL_INVALID');
      expect((await t.request(key, { method: 'GET', url: '/v1/users?email=csv1@acme.com' })).json().data).toHaveLength(0);

      await page.getByRole('button', { name: 'Import', exact: true }).click();
      const seen = new Set<string>();
      await expect
        .poll(
          async () => {
            seen.add(String(await page.locator('#import-progress').getAttribute('value')));
            return page.locator('#import-outcome').textContent();
          },
          { timeout: 60_000, interval: 50 },
        )
        .toContain('Import finished: 1499 users created, 1 rows failed.');
      expect(await page.locator('#import-progress').getAttribute('value')).toBe('1500');
      expect(await page.locator('#import-progress').getAttribute('max')).toBe('1500');
      const report = page.locator('#import-error-report');
      expect(await report.getAttribute('download')).toMatch(/errors\.csv$/);
      const [download] = await Promise.all([page.waitForEvent('download'), report.click()]);
      const csv = fs.readFileSync(await download.path(), 'utf8');
      expect(csv.split('\n')).toEqual(['row,code,field,message', expect.stringMatching(/^"7","EMAIL_INVALID","email",/)]);
      expect((await t.request(key, { method: 'GET', url: '/v1/users?email=csv1499@acme.com' })).json().data).toHaveLength(1);
      await shoot('import');
    });

    it('should create an API key and show its secret once, and show policies and the webhook log', async () => {
      await page.goto(`${base}/admin#/settings/api-keys`);
      await expect.poll(() => page.locator('#settings-body h1').textContent()).toBe('API keys');
      await page.getByLabel('Name (required)').fill('hr-sync');
      await page.getByRole('button', { name: 'Create', exact: true }).click();
      await expect.poll(() => page.locator('code.secret').count()).toBe(1);
      const secret = (await page.locator('code.secret').textContent()) as string;
      expect(secret).toMatch(/^rst_/);
      expect((await t.request(secret, { method: 'GET', url: '/v1/users?limit=1' })).statusCode).toBe(200);
      expect(await page.locator('table').textContent()).toContain('hr-sync');
      await shoot('api-keys');

      await page.goto(`${base}/admin#/settings/policies`);
      await expect.poll(() => page.locator('#settings-body h1').textContent()).toBe('Policies');
      await page.locator('#policies input[name=minLength]').fill('0');
      await page.getByRole('button', { name: 'Save policies' }).click();
      await expect.poll(() => page.locator('#policies input[name=minLength]').getAttribute('aria-invalid')).toBe('true');
      await page.locator('#policies input[name=minLength]').fill('12');
      await page.getByRole('button', { name: 'Save policies' }).click();
      await expect.poll(() => page.locator('#settings-body [role=status]').textContent()).toBe('Saved.');
      expect((await t.request(key, { method: 'GET', url: '/v1/settings' })).json().password.minLength).toBe(12);
      await shoot('policies');

      await page.goto(`${base}/admin#/settings/webhooks`);
      await expect.poll(() => page.locator('#settings-body h1').textContent()).toBe('Webhooks');
      await page.getByLabel('Url (required)').fill(`${base}/healthz`);
      await page.getByRole('button', { name: 'Create', exact: true }).click();
      await expect.poll(() => page.locator('code.secret').textContent()).toMatch(/^whsec_/);
      await page.getByRole('button', { name: 'Delivery log' }).click();
      await expect.poll(() => page.locator('#delivery-log').textContent()).toContain('Delivery log of');
    });

    it('should fit a phone-width screen, sign out, and have loaded nothing from elsewhere nor broken its CSP', async () => {
      await page.setViewportSize({ width: 390, height: 844 });
      await page.goto(`${base}/admin#/users`);
      await expect.poll(() => page.locator('main h1').textContent()).toBe('Users');
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
      await shoot('users-phone');
      await page.getByRole('button', { name: 'Sign out' }).click();
      await expect.poll(() => page.locator('h1').textContent()).toBe('Roster admin');
      expect(await page.context().cookies()).toEqual([]);
      const headers = (await page.request.get(`${base}/admin`)).headers();
      expect(headers['content-security-policy']).toContain("script-src 'self'");
      expect(outside).toEqual([]);
      expect(cspViolations).toEqual([]);
    });

    it('should sign in with a platform API key and act on the tenant picked', async () => {
      await page.setViewportSize({ width: 1280, height: 800 });
      await page.getByLabel('API key').fill(t.platformKey);
      await page.getByRole('button', { name: 'Sign in with key' }).click();
      await expect.poll(() => page.locator('#tenant-picker').count()).toBe(1);
      await page.locator('#tenant-picker').selectOption(slug);
      await expect.poll(() => page.locator('#user-results tbody tr').count()).toBeGreaterThan(4);
      expect(await page.locator('#user-results').textContent()).toContain('admin@acme.com');
    });
  });
}
