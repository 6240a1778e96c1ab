/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_EMAIL, hasChromium, openAdminBrowser, type AdminBrowser } from './testing/admin-browser.js';
import { startSmtpSink, type SmtpSink } from '../testing/smtp-sink.js';
import { testDialects } from '../testing/test-db.js';

/**
 * The user page's actions (mails, ending sessions), its history in words, and the audit-log screen,
 * in Chromium against a real server whose mail goes to a real SMTP sink.
 */
const PASSWORD = 'quiet-Meadow-lantern-91';
/** The page waits on a loaded machine too: each check polls up to 15 s (it returns as soon as it holds). */
const poll = <T>(check: () => Promise<T> | T) => expect.poll(check, { timeout: 15_000 });

for (const dialect of testDialects) {
  describe.skipIf(!dialect.available || !hasChromium)(`${dialect.name}: admin page, user page and audit log`, () => {
    let b: AdminBrowser;
    let smtp: SmtpSink;
    let tess: string;
    const noSideScroll = () => b.page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
    const login = (name: string) =>
      b.t.app.inject({
        method: 'POST',
        url: '/v1/sessions',
        headers: { 'x-roster-tenant': b.slug },
        payload: { login: name, password: PASSWORD },
      });
    const openUser = async (id: string, heading: string) => {
      await b.page.goto(`${b.base}/admin#/users/${id}`);
      await poll(() => b.page.locator('main h1').textContent()).toBe(heading);
    };
    const historyRows = () => b.page.getByRole('table', { name: 'History' }).locator('tbody tr').allInnerTexts();
    const openFirstDetails = () =>
      b.page.getByRole('table', { name: 'Events, newest first' }).locator('tbody').getByText('Details', { exact: true }).first().click();
    const auditRows = () => b.page.getByRole('table', { name: 'Events, newest first' }).locator('tbody tr').allInnerTexts();

    beforeAll(async () => {
      smtp = await startSmtpSink();
      b = await openAdminBrowser(dialect, { env: { SMTP_URL: smtp.url } });
      const created = await b.t.request(b.key, {
        method: 'POST',
        url: '/v1/users',
        payload: { email: 'tess@acme.com', username: 'tess', givenName: 'Tess', familyName: 'Ng', password: PASSWORD },
      });
      expect(created.statusCode).toBe(201);
      tess = created.json().id as string;
      expect(
        (
          await b.t.request(b.key, {
            method: 'POST',
            url: '/v1/roles',
            payload: { name: 'auditor', permissions: ['users:read', 'events:read'] },
          })
        ).statusCode,
      ).toBe(201);
      expect(
        (
          await b.t.request(b.key, {
            method: 'POST',
            url: '/v1/users',
            payload: { email: 'auditor@acme.com', password: PASSWORD, roles: ['auditor'] },
          })
        ).statusCode,
      ).toBe(201);
      b.page.on('dialog', (dialog) => void dialog.accept());
    }, 90_000);
    afterAll(async () => {
      await b?.close();
      await smtp?.close();
    }, 90_000);

    it('should send a password-reset and a verification mail from the user page, each arriving at the SMTP server', async () => {
      await b.signIn();
      await openUser(tess, 'tess@acme.com');
      await b.page.getByRole('button', { name: 'Send password-reset mail' }).click();
      await poll(() => b.page.locator('#user-status').textContent()).toBe('A password-reset mail is on its way to tess@acme.com.');
      const reset = await smtp.mailTo('tess@acme.com', (m) => m.text.includes('/set-password'));
      expect(reset.text).toMatch(/token=[A-Za-z0-9]+/);

      await b.page.getByRole('button', { name: 'Send verification mail' }).click();
      await poll(() => b.page.locator('#user-status').textContent()).toBe('A verification mail is on its way to tess@acme.com.');
      await smtp.mailTo('tess@acme.com', (m) => m.text.includes('/verify-email'));
    }, 90_000);

    it("should end the user's sessions: the user's session is refused afterwards", async () => {
      const session = (await login('tess')).json().token as string;
      expect((await b.t.request(session, { method: 'GET', url: `/v1/users/${tess}` })).statusCode).toBe(200);
      await openUser(tess, 'tess@acme.com');
      await b.page.getByRole('button', { name: 'End all sessions' }).click();
      await poll(() => b.page.locator('#user-status').textContent()).toBe('1 session ended.');
      expect((await b.t.request(session, { method: 'GET', url: `/v1/users/${tess}` })).statusCode).toBe(401);
    }, 90_000);

    it('should show an edit in the history with who made it and what changed, in words', async () => {
      await openUser(tess, 'tess@acme.com');
      await b.page.getByLabel('Given name').fill('Theresa');
      await b.page.getByRole('button', { name: 'Save changes' }).click();
      await poll(() => b.page.locator('#user-status').textContent()).toBe('Saved.');
      expect((await b.t.request(b.key, { method: 'GET', url: `/v1/users/${tess}` })).json().givenName).toBe('Theresa');

      await poll(historyRows).toContainEqual(expect.stringContaining('Given name: “Tess” → “Theresa”'));
      const edit = (await historyRows()).find((row) => row.includes('Given name: “Tess” → “Theresa”')) ?? '';
      expect(edit).toContain('User changed');
      expect(edit).toContain(`${ADMIN_EMAIL} (you)`);
      const rows = await historyRows();
      expect(rows.some((row) => row.includes('Signed out everywhere') && row.includes('1 session ended'))).toBe(true);
      expect(rows.at(-1)).toMatch(/User created[\s\S]*API key “[^”]+”[\s\S]*Created/);
      await b.shoot('user-page');
    }, 90_000);

    it('should filter the audit log by who did it and by event, and open an event to its details', async () => {
      await b.page.goto(`${b.base}/admin#/users`);
      await b.page.getByRole('link', { name: 'Audit log' }).click();
      await poll(() => b.page.locator('main h1').textContent()).toBe('Audit log');
      await poll(auditRows).toContainEqual(expect.stringContaining('User created'));

      await b.page.getByLabel('Done by').fill(ADMIN_EMAIL);
      await b.page.getByRole('button', { name: 'Show events' }).click();
      await poll(() => b.page.url()).toContain('actor=');
      await poll(auditRows).toContainEqual(expect.stringContaining('Signed out everywhere'));
      const byAdmin = await auditRows();
      expect(byAdmin.length).toBeGreaterThanOrEqual(2);
      for (const row of byAdmin) expect(row).toContain(`${ADMIN_EMAIL} (you)`);
      // The users created with the API key are someone else's doing.
      expect(byAdmin.some((row) => row.includes('User created'))).toBe(false);

      await b.page.getByLabel('Event', { exact: true }).selectOption({ label: 'User changed' });
      await b.page.getByRole('button', { name: 'Show events' }).click();
      await poll(auditRows).toHaveLength(1);
      expect((await auditRows())[0]).toContain('tess@acme.com');
      await openFirstDetails();
      // The change is told from the user's event before it, though that one is not on this filtered page.
      await poll(() => b.page.getByRole('list', { name: 'Changes' }).innerText()).toBe('Given name: “Tess” → “Theresa”');
      expect(await b.page.getByRole('table', { name: 'Events, newest first' }).innerText()).toContain('user.updated');
      await b.shoot('audit-log');

      await b.page.getByLabel('Done by').fill('nobody-here');
      await b.page.getByRole('button', { name: 'Show events' }).click();
      await poll(() => b.page.getByRole('alert').textContent()).toContain('No user or API key is called “nobody-here”');
    }, 90_000);

    it('should have no horizontal scroll at 390 px on the user page and the audit log', async () => {
      await b.page.setViewportSize({ width: 390, height: 844 });
      try {
        await openUser(tess, 'tess@acme.com');
        await poll(historyRows).not.toHaveLength(0);
        expect(await noSideScroll()).toBe(true);
        await b.page.goto(`${b.base}/admin#/audit`);
        await poll(auditRows).not.toHaveLength(0);
        await openFirstDetails();
        expect(await noSideScroll()).toBe(true);
      } finally {
        await b.page.setViewportSize({ width: 1280, height: 800 });
      }
    }, 90_000);

    it('should show a read-only credential no edit controls on the user page, and no outside requests or CSP violations', async () => {
      await b.page.getByRole('button', { name: 'Sign out' }).click();
      await b.signIn('auditor@acme.com', PASSWORD);
      await openUser(tess, 'tess@acme.com');
      await poll(historyRows).not.toHaveLength(0);
      expect(await b.page.locator('main').getByRole('button').count()).toBe(0);
      expect(await b.page.locator('main').getByRole('textbox').count()).toBe(0);
      expect(await b.page.locator('#user-limits').textContent()).toBe(
        'Your role may not deactivate or reactivate users, delete users, edit users, send them mails or end their sessions.',
      );
      // The auditor reads the audit log, but cannot look up API key names: a short id stands in.
      expect((await historyRows()).at(-1)).toMatch(/API key …[0-9a-f]{6}/);
      expect(b.outside).toEqual([]);
      expect(b.cspViolations).toEqual([]);
    }, 90_000);
  });
}
