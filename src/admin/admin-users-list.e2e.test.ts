/// <reference lib="dom" />
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDialects } from '../testing/test-db.js';
import { ADMIN_PASSWORD, hasChromium, openAdminBrowser, type AdminBrowser } from './testing/admin-browser.js';

/**
 * Issue 22, users list: total, each filter, sorting by a column header, bulk actions on a selection
 * (deactivate 50 users, add to a group), CSV export of the filtered set, a read-only role's view and a
 * phone-width screen, in Chromium against a real server; results are checked through the API.
 */
/** A shared two-core machine under load can take seconds to redraw: polls wait up to 20 s (vitest's default is 1 s). */
const SLOW = { timeout: 20_000 };

for (const dialect of testDialects) {
  describe.skipIf(!dialect.available || !hasChromium)(`${dialect.name}: admin users list in Chromium`, () => {
    let a: AdminBrowser;
    let opsId: string;

    beforeAll(async () => {
      a = await openAdminBrowser(dialect);
      const { t, key } = a;
      expect(
        (await t.request(key, { method: 'POST', url: '/v1/roles', payload: { name: 'reader', permissions: ['users:read'] } })).statusCode,
      ).toBe(201);
      const ops = await t.request(key, { method: 'POST', url: '/v1/groups', payload: { type: 'team', code: 'ops', name: 'Ops' } });
      opsId = ops.json().id;
      const users = [
        ...Array.from({ length: 55 }, (_, i) => ({
          email: `bulk${String(i).padStart(2, '0')}@acme.com`,
          givenName: 'Bulk',
          familyName: `Person ${i}`,
          createdAt: '2021-03-01T10:00:00Z',
        })),
        { email: 'vera@acme.com', familyName: 'Verity', emailVerified: true, createdAt: '2019-06-15T12:00:00Z' },
        { email: 'otto@acme.com', familyName: 'Off', active: false },
        { email: 'gina@acme.com', familyName: 'Grouped', groups: ['team:ops'] },
        { email: 'rita@acme.com', familyName: 'Reader', roles: ['reader'], password: ADMIN_PASSWORD },
      ];
      const batch = await t.request(key, { method: 'POST', url: '/v1/users/batch', payload: { users, mode: 'atomic' } });
      expect(batch.json().created, batch.body).toBe(users.length);
    }, 60_000);
    afterAll(async () => a?.close());

    const rowTexts = () => a.page.locator('#user-results tbody tr').allTextContents();
    const count = () => a.page.locator('#user-count').textContent();
    const apiTotal = async (query: string) =>
      (await a.t.request(a.key, { method: 'GET', url: `/v1/users?count=true&limit=1&${query}` })).json().total as number;

    it('should show the total, apply each filter, and sort by a column header', async () => {
      const { page } = a;
      await a.signIn();
      await expect.poll(count, SLOW).toBe('1–25 of 60');
      const only = async (label: string, option: string, email: string) => {
        await page.getByLabel(label, { exact: true }).selectOption({ label: option });
        await expect.poll(rowTexts, SLOW).toEqual([expect.stringContaining(email)]);
        expect(await count()).toBe('1–1 of 1');
        await page.getByLabel(label, { exact: true }).selectOption({ label: 'Any' });
        await expect.poll(count, SLOW).toBe('1–25 of 60');
      };
      await only('Status', 'Inactive', 'otto@acme.com');
      await only('Email verified', 'Verified', 'vera@acme.com');
      await only('Role', 'reader', 'rita@acme.com');
      await only('Group', 'Ops (team)', 'gina@acme.com');

      await page.getByLabel('Created from').fill('2019-06-01');
      await page.getByLabel('Created until').fill('2019-06-30');
      await page.getByRole('button', { name: 'Search', exact: true }).click();
      await expect.poll(rowTexts, SLOW).toEqual([expect.stringContaining('vera@acme.com')]);
      await page.getByLabel('Created from').fill('2021-03-01');
      await page.getByLabel('Created until').fill('2021-03-01');
      await page.getByRole('button', { name: 'Search', exact: true }).click();
      await expect.poll(count, SLOW).toBe('1–25 of 55');
      await page.getByLabel('Created from').fill('');
      await page.getByLabel('Created until').fill('');

      await page.getByLabel('Email or username starts with').fill('bulk5');
      await page.getByRole('button', { name: 'Search', exact: true }).click();
      await expect.poll(count, SLOW).toBe('1–5 of 5');
      await page.getByLabel('Email or username starts with').fill('');
      await page.getByLabel('Name starts with', { exact: true }).fill('verit');
      await page.getByRole('button', { name: 'Search', exact: true }).click();
      await expect.poll(rowTexts, SLOW).toEqual([expect.stringContaining('vera@acme.com')]);
      await page.getByLabel('Name starts with', { exact: true }).fill('');
      await page.getByRole('button', { name: 'Search', exact: true }).click();
      await expect.poll(count, SLOW).toBe('1–25 of 60');

      const emailHeader = page.getByRole('columnheader', { name: /^Email/ });
      await page.getByRole('button', { name: 'Email', exact: true }).click();
      await expect.poll(() => emailHeader.getAttribute('aria-sort'), SLOW).toBe('ascending');
      expect((await rowTexts())[0]).toContain('admin@acme.com');
      await page.getByRole('button', { name: /^Email/ }).click();
      await expect.poll(() => emailHeader.getAttribute('aria-sort'), SLOW).toBe('descending');
      expect((await rowTexts())[0]).toContain('vera@acme.com');
      await page.getByRole('button', { name: 'Next page' }).click();
      await expect.poll(count, SLOW).toBe('26–50 of 60');
      await page.getByLabel('Sort by').selectOption({ label: 'Creation order' });
      await expect.poll(() => emailHeader.getAttribute('aria-sort'), SLOW).toBe('none');
    }, 120_000); // many redraws and a password sign-in (argon2) on a shared machine

    it('should deactivate 50 selected users with one bulk action, and add a selection to a group', async () => {
      const { page } = a;
      await page.getByLabel('Per page').selectOption('50');
      await page.getByLabel('Email or username starts with').fill('bulk');
      await page.getByRole('button', { name: 'Search', exact: true }).click();
      await expect.poll(count, SLOW).toBe('1–50 of 55');
      await page.getByLabel('Select all on this page').check();
      await expect.poll(() => page.locator('#selected-count').textContent(), SLOW).toBe('50 selected.');
      expect(await page.getByRole('checkbox', { name: /^Select bulk/, checked: true }).count()).toBe(50);
      page.once('dialog', (dialog) => void dialog.accept());
      await page.getByRole('button', { name: 'Deactivate', exact: true }).click();
      await expect.poll(() => page.locator('#bulk-status').textContent(), { timeout: 30_000 }).toBe('50 deactivated.');
      expect(await apiTotal('q=bulk&active=false')).toBe(50);
      expect(await apiTotal('q=bulk&active=true')).toBe(5);

      await page.getByLabel('Status').selectOption({ label: 'Active' });
      await expect.poll(count, SLOW).toBe('1–5 of 5');
      await page.getByLabel('Select all on this page').check();
      await page.getByLabel('Group for bulk changes').selectOption({ label: 'Ops (team)' });
      await a.shoot('users-list');
      page.once('dialog', (dialog) => void dialog.accept());
      await page.getByRole('button', { name: 'Add to group' }).click();
      await expect.poll(() => page.locator('#bulk-status').textContent(), { timeout: 30_000 }).toBe('5 added to the group.');
      expect(await apiTotal(`group=${opsId}`)).toBe(6);
      expect(await apiTotal(`group=${opsId}&q=bulk`)).toBe(5);
    }, 60_000);

    it('should export the filtered set as CSV, cells safe for spreadsheets', async () => {
      const { page } = a;
      await page.getByLabel('Status').selectOption({ label: 'Any' });
      await page.getByLabel('Email or username starts with').fill('');
      await page.getByLabel('Group', { exact: true }).selectOption({ label: 'Ops (team)' });
      await expect.poll(count, SLOW).toBe('1–6 of 6');
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
      expect(download.suggestedFilename()).toMatch(/^users-\d{4}-\d{2}-\d{2}\.csv$/);
      const lines = fs
        .readFileSync(await download.path(), 'utf8')
        .trimEnd()
        .split('\r\n');
      expect(lines[0]).toMatch(/^"id","seq","email","username",/);
      const emails = lines.slice(1).map((line) => line.split(',')[2]);
      expect(emails.sort()).toEqual(
        ['"bulk50@acme.com"', '"bulk51@acme.com"', '"bulk52@acme.com"', '"bulk53@acme.com"', '"bulk54@acme.com"', '"gina@acme.com"'].sort(),
      );
      expect(lines[1]).toContain('"team:ops"');
      await expect.poll(() => page.locator('#bulk-status').textContent(), SLOW).toBe('Exported 6 users.');
      await page.getByLabel('Group', { exact: true }).selectOption({ label: 'Any' });
    }, 60_000);

    it('should show a read-only role no selection, bulk or edit controls, with the reason', async () => {
      const context = await a.browser.newContext({ viewport: { width: 1280, height: 800 } });
      const other = await context.newPage();
      await other.goto(`${a.base}/admin`);
      await other.getByLabel('Tenant').fill(a.slug);
      await other.getByLabel('Email or username').fill('rita@acme.com');
      await other.getByLabel('Password').fill(ADMIN_PASSWORD);
      await other.getByRole('button', { name: 'Sign in', exact: true }).click();
      await expect.poll(() => other.locator('#user-count').textContent(), { timeout: 20_000 }).toBe('1–25 of 60');
      expect(await other.getByRole('checkbox').count()).toBe(0);
      expect(await other.getByRole('group', { name: 'Bulk actions' }).count()).toBe(0);
      for (const name of ['Deactivate', 'Reactivate', 'Delete', 'Add to group', 'Send password-reset mail'])
        expect(await other.getByRole('button', { name }).count(), name).toBe(0);
      expect(await other.getByRole('link', { name: 'Create user' }).count()).toBe(0);
      expect(await other.locator('#list-limits').textContent()).toBe(
        'Your role may not deactivate or reactivate users, change groups or send password-reset mails, delete users.',
      );
      await context.close();
    }, 60_000);

    it('should report per user what the privilege guard refused in a bulk action, and do the rest', async () => {
      const { t, key } = a;
      const operator = { name: 'operator', permissions: ['users:read', 'users:update', 'users:set-active'] };
      expect((await t.request(key, { method: 'POST', url: '/v1/roles', payload: operator })).statusCode).toBe(201);
      for (const [email, roles] of [
        ['opal@acme.com', ['operator']],
        ['zeta-admin@acme.com', ['admin']],
        ['zeta-plain@acme.com', ['user']],
      ] as const) {
        const res = await t.request(key, { method: 'POST', url: '/v1/users', payload: { email, roles, password: ADMIN_PASSWORD } });
        expect(res.statusCode).toBe(201);
      }
      const context = await a.browser.newContext({ viewport: { width: 1280, height: 800 } });
      const other = await context.newPage();
      await other.goto(`${a.base}/admin`);
      await other.getByLabel('Tenant').fill(a.slug);
      await other.getByLabel('Email or username').fill('opal@acme.com');
      await other.getByLabel('Password').fill(ADMIN_PASSWORD);
      await other.getByRole('button', { name: 'Sign in', exact: true }).click();
      await other.getByLabel('Email or username starts with').fill('zeta');
      await other.getByRole('button', { name: 'Search', exact: true }).click();
      await expect.poll(() => other.locator('#user-count').textContent(), { timeout: 20_000 }).toBe('1–2 of 2');
      expect(await other.getByRole('button', { name: 'Delete' }).count()).toBe(0);
      await other.getByLabel('Select all on this page').check();
      other.once('dialog', (dialog) => void dialog.accept());
      await other.getByRole('button', { name: 'Deactivate', exact: true }).click();
      await expect
        .poll(() => other.locator('#bulk-status').textContent(), { timeout: 30_000 })
        .toBe('1 deactivated, 1 refused: zeta-admin@acme.com: your role may not do this (PERMISSION_DENIED).');
      expect(await apiTotal('q=zeta&active=false')).toBe(1);
      expect((await t.request(key, { method: 'GET', url: '/v1/users?email=zeta-admin@acme.com' })).json().data[0].active).toBe(true);
      // The refused user stays selected, so the person can see and retry it.
      expect(await other.getByRole('checkbox', { name: 'Select zeta-admin@acme.com' }).isChecked()).toBe(true);
      await context.close();
    }, 60_000);

    it('should fit a 390 px wide screen without horizontal scrolling, and load nothing from elsewhere', async () => {
      const { page } = a;
      await page.setViewportSize({ width: 390, height: 844 });
      await page.goto(`${a.base}/admin#/users`);
      await page.reload();
      await expect.poll(count, SLOW).toBe('1–25 of 63');
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
      await expect(page.getByLabel('Select all on this page').isVisible()).resolves.toBe(true);
      expect(a.outside).toEqual([]);
      expect(a.cspViolations).toEqual([]);
    }, 60_000);
  });
}
