/// <reference lib="dom" />
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver } from '../testing/http-receiver.js';
import { testDialects } from '../testing/test-db.js';
import { until } from '../testing/until.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, hasChromium, openAdminBrowser, type AdminBrowser } from './testing/admin-browser.js';

/**
 * Settings in the admin page (issue 22): each settings object edited in place and checked through the
 * API, the webhook delivery log with event types, Redeliver and Ping, a read-only credential without
 * edit controls, and a phone-width screen without horizontal scroll.
 */
for (const dialect of testDialects) {
  describe.skipIf(!dialect.available || !hasChromium)(`${dialect.name}: admin settings in Chromium`, () => {
    let s: AdminBrowser;
    let page: Page;
    const api = async (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) => {
      const res = await s.t.request(s.key, { method, url, ...(payload ? { payload } : {}) });
      if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
      return res.json();
    };
    const open = async (section: string, title: string) => {
      const target = `${s.base}/admin#/settings/${section}`;
      // Going to the hash the page shows already would not draw it again (no hashchange): pass by another.
      if (page.url() === target) {
        await page.goto(`${s.base}/admin#/users`);
        await expect.poll(() => page.locator('main h1').textContent()).toBe('Users');
      }
      await page.goto(target);
      await expect.poll(() => page.locator('#settings-body h1').textContent()).toBe(title);
    };
    const saved = (text: string) => expect.poll(() => page.getByRole('status').allTextContents()).toContain(text);
    /** Hints are written for people: no code markup anywhere on the screen. */
    const humanHints = async () => {
      for (const hint of await page.locator('.hint').allTextContents()) expect(hint).not.toContain('`');
    };

    beforeAll(async () => {
      s = await openAdminBrowser(dialect);
      page = s.page;
      page.on('dialog', (dialog) => void dialog.accept());
    }, 60_000);

    it('should sign in', async () => {
      await s.signIn();
    }, 30_000);
    afterAll(async () => s?.close());

    it('should keep the page the admin moved to when the page left behind answers later', async () => {
      // The users list answers only after Roles is shown (held in the browser, then fetched from the server
      // and handed to the page): before each navigation had its own container, the late list replaced the
      // Roles page. The route's own handler says when the list was asked for and when its answer was handed
      // over, so the test waits for those events rather than for a response event it could miss.
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let asked = false;
      let answered: number | undefined;
      const usersList = (url: URL) => url.pathname === '/v1/users';
      await page.route(usersList, async (route) => {
        asked = true;
        await held;
        try {
          const response = await route.fetch();
          await route.fulfill({ response });
          answered = response.status();
        } catch {
          answered = -1; // unrouted or the page closed meanwhile: the test has ended
        }
      });
      try {
        await page.goto(`${s.base}/admin#/users/new`);
        await page.goto(`${s.base}/admin#/users`);
        await expect.poll(() => asked, { message: 'the users list asked the server' }).toBe(true);
        await open('roles', 'Roles');
        release();
        await expect.poll(() => answered, { message: 'the held users list was answered' }).toBe(200);
        // The page has read the late answer and drawn whatever it draws by the next frame's tasks.
        await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0))));
        expect(await page.locator('main h1').allTextContents()).toEqual(['Roles']);
        expect(await page.title()).toBe('Roles · Roster');
      } finally {
        release();
        await page.unroute(usersList);
      }
    });

    it('should draw the users list once after sign-in, asking the server once', async () => {
      // Signing in used to route twice (a hashchange and the shell), so two lists raced for the page.
      const context = await s.browser.newContext({ viewport: { width: 1280, height: 800 } });
      try {
        const other = await context.newPage();
        const listRequests: string[] = [];
        other.on('request', (request) => {
          if (new URL(request.url()).pathname === '/v1/users') listRequests.push(request.url());
        });
        await other.goto(`${s.base}/admin`);
        await other.getByLabel('Tenant').fill(s.slug);
        await other.getByLabel('Email or username').fill(ADMIN_EMAIL);
        await other.getByLabel('Password').fill(ADMIN_PASSWORD);
        await other.getByRole('button', { name: 'Sign in', exact: true }).click();
        await expect.poll(() => other.locator('#user-count').count()).toBe(1);
        await other.waitForLoadState('networkidle');
        expect(listRequests).toHaveLength(1);
        expect(await other.locator('main h1').allTextContents()).toEqual(['Users']);
        expect(other.url()).toBe(`${s.base}/admin#/users`);
      } finally {
        await context.close();
      }
    });

    it("should edit a role's permissions, place a field error next to its field, and leave built-in roles locked", async () => {
      const role = await api('POST', '/v1/roles', { name: 'hr-manager', permissions: ['users:read'] });
      await open('roles', 'Roles');
      expect(await page.getByRole('row').filter({ hasText: 'Built-in roles cannot be changed.' }).count()).toBeGreaterThanOrEqual(2);
      expect(await page.getByRole('button', { name: 'Edit admin' }).count()).toBe(0);
      await page.getByRole('button', { name: 'Edit hr-manager' }).click();
      const form = page.getByRole('form', { name: 'Edit role hr-manager' });
      await form.getByLabel('Description').fill('Hires and updates employees');
      await form.getByRole('checkbox', { name: 'users:update', exact: true }).check();
      await form.getByRole('checkbox', { name: 'users:create', exact: true }).check();
      await humanHints();
      await s.shoot('settings-roles');
      await form.getByLabel('Name', { exact: true }).fill('HR Manager');
      await form.getByRole('button', { name: 'Save changes' }).click();
      await expect.poll(() => form.getByLabel('Name', { exact: true }).getAttribute('aria-invalid')).toBe('true');
      // Only the name is refused: no other field carries an error.
      expect(await form.locator('[aria-invalid=true]').count()).toBe(1);
      expect(await api('GET', `/v1/roles/${role.id}`)).toMatchObject({ name: 'hr-manager', permissions: ['users:read'] });
      await form.getByLabel('Name', { exact: true }).fill('hr-manager');
      await form.getByRole('button', { name: 'Save changes' }).click();
      await saved('Saved role hr-manager.');
      expect(await api('GET', `/v1/roles/${role.id}`)).toMatchObject({
        name: 'hr-manager',
        description: 'Hires and updates employees',
        permissions: expect.arrayContaining(['users:read', 'users:update', 'users:create']),
      });
      expect(await page.getByRole('row').filter({ hasText: 'hr-manager' }).textContent()).toContain('users:update');
    });

    it('should edit a group and an attribute definition', async () => {
      const group = await api('POST', '/v1/groups', { type: 'team', code: 'ENG', name: 'Engineering' });
      await open('groups', 'Groups');
      await page.getByRole('button', { name: 'Edit team ENG' }).click();
      const groupForm = page.getByRole('form', { name: 'Edit group team ENG' });
      await groupForm.getByLabel('Name', { exact: true }).fill('Engineering team');
      await groupForm.getByRole('checkbox', { name: 'Is default' }).check();
      await humanHints();
      await groupForm.getByRole('button', { name: 'Save changes' }).click();
      await saved('Saved group team ENG.');
      expect(await api('GET', `/v1/groups/${group.id}`)).toMatchObject({ code: 'ENG', name: 'Engineering team', isDefault: true });

      await api('POST', '/v1/attributes', { key: 'department', type: 'enum', enumValues: ['sales', 'engineering'] });
      await open('attributes', 'Attributes');
      await page.getByRole('button', { name: 'Edit department' }).click();
      const attributeForm = page.getByRole('form', { name: 'Edit attribute department' });
      await attributeForm.getByLabel('Description').fill('Where the person works');
      await attributeForm.getByLabel('Enum values').fill('sales\nengineering\nsupport');
      await humanHints();
      await attributeForm.getByRole('button', { name: 'Save changes' }).click();
      await saved('Saved attribute department.');
      const definitions = (await api('GET', '/v1/attributes')).data as Array<{ key: string }>;
      expect(definitions.find((d) => d.key === 'department')).toMatchObject({
        type: 'enum',
        description: 'Where the person works',
        enumValues: ['sales', 'engineering', 'support'],
      });
    });

    it('should rename an API key, change its role and revoke it, each seen through the API and by the key itself', async () => {
      const created = await api('POST', '/v1/api-keys', { name: 'hr-sync', role: 'user' });
      expect((await s.t.request(created.secret, { method: 'GET', url: '/v1/api-keys' })).statusCode).toBe(403);
      await open('api-keys', 'API keys');
      await page.getByRole('button', { name: 'Edit hr-sync' }).click();
      const form = page.getByRole('form', { name: 'Edit API key hr-sync' });
      await form.getByLabel('Name').fill('hr-sync (admin)');
      await form.getByLabel('Role').selectOption('admin');
      await humanHints();
      await s.shoot('settings-keys');
      await form.getByRole('button', { name: 'Save changes' }).click();
      await saved('Saved API key hr-sync.');
      const listed = async () =>
        ((await api('GET', '/v1/api-keys')).data as Array<{ id: string; revokedAt?: string | null }>).find((k) => k.id === created.id);
      expect(await listed()).toMatchObject({ name: 'hr-sync (admin)', role: 'admin', revokedAt: null });
      // The same secret now acts as admin.
      expect((await s.t.request(created.secret, { method: 'GET', url: '/v1/api-keys' })).statusCode).toBe(200);

      await page.getByRole('button', { name: 'Revoke hr-sync (admin)' }).click();
      await saved('Revoked.');
      expect((await listed())?.revokedAt).not.toBeNull();
      expect((await s.t.request(created.secret, { method: 'GET', url: '/v1/users' })).statusCode).toBe(401);
      expect(await page.getByRole('button', { name: 'Edit hr-sync (admin)' }).count()).toBe(0);
    });

    it("should edit a webhook's URL, events and active state, then ping and redeliver from its log with the event type", async () => {
      const receiver = await startReceiver();
      try {
        const hook = await api('POST', '/v1/webhooks', { url: `${receiver.url}?old`, eventTypes: ['user.created'] });
        await open('webhooks', 'Webhooks');
        await page.getByRole('button', { name: `Edit ${receiver.url}?old` }).click();
        let form = page.getByRole('form', { name: `Edit webhook ${receiver.url}?old` });
        await form.getByLabel('Url').fill(receiver.url);
        await form.getByRole('checkbox', { name: 'user.deleted', exact: true }).check();
        await form.getByRole('checkbox', { name: 'Active', exact: true }).uncheck();
        await humanHints();
        await form.getByRole('button', { name: 'Save changes' }).click();
        await saved(`Saved webhook ${receiver.url}?old.`);
        expect(await api('GET', `/v1/webhooks/${hook.id}`)).toMatchObject({
          url: receiver.url,
          eventTypes: expect.arrayContaining(['user.created', 'user.deleted']),
          active: false,
        });
        expect(await page.getByRole('row').filter({ hasText: receiver.url }).locator('td').nth(2).textContent()).toBe('No');

        await page.getByRole('button', { name: `Edit ${receiver.url}` }).click();
        form = page.getByRole('form', { name: `Edit webhook ${receiver.url}` });
        await form.getByRole('checkbox', { name: 'Active', exact: true }).check();
        await s.shoot('webhooks');
        await form.getByRole('button', { name: 'Save changes' }).click();
        await saved(`Saved webhook ${receiver.url}.`);
        expect((await api('GET', `/v1/webhooks/${hook.id}`)).active).toBe(true);

        await page.getByRole('button', { name: `Delivery log of ${receiver.url}` }).click();
        await expect.poll(() => page.locator('#delivery-log').textContent()).toBe(`Delivery log of ${receiver.url}`);
        const log = page.getByRole('table', { name: 'Deliveries' });
        await page.getByRole('button', { name: 'Ping' }).click();
        await saved('Test event sent; its delivery shows below.');
        await receiver.waitFor((r) => r.length >= 1);
        // The log re-reads itself while a delivery waits: the ping shows as delivered without a reload.
        await expect
          .poll(() => log.getByRole('row').filter({ hasText: 'webhook.ping' }).textContent(), { timeout: 20_000 })
          .toMatch(/Delivered1200 in/);
        expect(JSON.parse(receiver.received[0]!.body).type).toBe('webhook.ping');

        await log.getByRole('button', { name: /^Redeliver webhook\.ping/ }).click();
        await saved('Sending webhook.ping again.');
        await receiver.waitFor((r) => r.length >= 2);
        expect(receiver.received[1]!.headers['webhook-id']).toBe(receiver.received[0]!.headers['webhook-id']);
        await expect
          .poll(() => log.getByRole('row').filter({ hasText: 'webhook.ping' }).textContent(), { timeout: 20_000 })
          .toMatch(/Delivered2200 in/);
        const deliveries = (await api('GET', `/v1/webhooks/${hook.id}/deliveries`)).data;
        expect(deliveries).toEqual([expect.objectContaining({ eventType: 'webhook.ping', status: 'delivered' })]);
        expect(deliveries[0].attempts.map((a: { statusCode: number }) => a.statusCode)).toEqual([200, 200]);
        await s.shoot('webhook-log');
      } finally {
        await receiver.close();
      }
    }, 60_000);

    it('should save a policy and show its field error in place', async () => {
      await open('policies', 'Policies');
      await humanHints();
      const form = page.getByRole('form', { name: 'Policies' });
      const digit = form.getByRole('checkbox', { name: 'Require digit' });
      await digit.check();
      await form.getByLabel('Min strength').fill('9');
      await form.getByRole('button', { name: 'Save policies' }).click();
      await expect.poll(() => form.getByLabel('Min strength').getAttribute('aria-invalid')).toBe('true');
      expect((await api('GET', '/v1/settings')).password.requireDigit).toBe(false);
      await form.getByLabel('Min strength').fill('3');
      await form.getByRole('button', { name: 'Save policies' }).click();
      await saved('Saved.');
      expect((await api('GET', '/v1/settings')).password).toMatchObject({ requireDigit: true, minStrength: 3 });
    });

    it('should fit every settings screen on a 390 px wide phone without horizontal scroll', async () => {
      await page.setViewportSize({ width: 390, height: 844 });
      try {
        for (const [section, title] of [
          ['policies', 'Policies'],
          ['attributes', 'Attributes'],
          ['roles', 'Roles'],
          ['groups', 'Groups'],
          ['api-keys', 'API keys'],
          ['webhooks', 'Webhooks'],
        ] as const) {
          await open(section, title);
          expect([section, await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)]).toEqual([section, true]);
        }
        await page
          .getByRole('button', { name: /^Delivery log of / })
          .first()
          .click();
        await expect.poll(() => page.locator('#delivery-log').count()).toBe(1);
        expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
      } finally {
        await page.setViewportSize({ width: 1280, height: 800 });
      }
      expect(s.outside).toEqual([]);
      expect(s.cspViolations).toEqual([]);
    });

    it('should show a read-only credential no edit controls in settings, with the reason', async () => {
      await api('POST', '/v1/users', { email: 'reader@acme.com', password: ADMIN_PASSWORD, roles: ['user'] });
      const context = await s.browser.newContext({ viewport: { width: 1280, height: 800 } });
      try {
        const other = await context.newPage();
        await other.goto(`${s.base}/admin`);
        await other.getByLabel('Tenant').fill(s.slug);
        await other.getByLabel('Email or username').fill('reader@acme.com');
        await other.getByLabel('Password').fill(ADMIN_PASSWORD);
        await other.getByRole('button', { name: 'Sign in', exact: true }).click();
        // The users list is the first screen; it must have finished drawing before the test moves on, or it draws over the next one.
        await until(async () => (await other.locator('main table').count()) > 0, 'the users list after sign-in', 30_000);
        for (const [section, title, reason] of [
          ['policies', 'Policies', 'Your role may not see or change the policies.'],
          ['attributes', 'Attributes', 'Your role may not change attributes.'],
          ['roles', 'Roles', 'Your role may not change roles.'],
          ['groups', 'Groups', 'Your role may not change groups.'],
          ['api-keys', 'API keys', 'Your role may not see API keys.'],
          ['webhooks', 'Webhooks', 'Your role may not see webhooks.'],
        ] as const) {
          await other.goto(`${s.base}/admin#/settings/${section}`);
          await expect.poll(() => other.locator('#settings-body h1').textContent()).toBe(title);
          expect([section, await other.locator('#settings-limits').textContent()]).toEqual([section, reason]);
          expect([section, await other.getByRole('button').allTextContents()]).toEqual([section, ['Sign out']]);
          expect([section, await other.getByRole('textbox').count(), await other.getByRole('checkbox').count()]).toEqual([section, 0, 0]);
        }
        // The lists a reader may see are still there.
        await other.goto(`${s.base}/admin#/settings/roles`);
        await expect.poll(() => other.getByRole('table', { name: 'Roles' }).textContent()).toContain('hr-manager');
      } finally {
        await context.close();
      }
    }, 120_000); // a password sign-in (argon2) on a shared machine
  });
}
