/// <reference lib="dom" />
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, launchChromium, requireChromiumInCi } from '../testing/chromium.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { testDialects } from '../testing/test-db.js';

/**
 * /docs and / as a person opens them: over plain HTTP, on a host name other than localhost (which
 * browsers treat as secure), as behind a plain-HTTP proxy or on a LAN name. A page whose policy carries
 * `upgrade-insecure-requests` loads its scripts over https there and stays blank.
 */
requireChromiumInCi('the /docs test');
const sqlite = testDialects.find((d) => d.name === 'sqlite');
if (!sqlite) throw new Error('no SQLite test dialect');

describe('sqlite: / and /docs policies', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(sqlite);
  });
  afterAll(async () => t?.close());

  it.each(['/docs', '/docs/', '/docs/static/index.html', '/docs/static/swagger-initializer.js', '/openapi.json', '/admin', '/v1/users'])(
    'should send no upgrade-insecure-requests on %s, so it works over plain HTTP',
    async (url) => {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.statusCode).toBeLessThan(500);
      const policy = String(res.headers['content-security-policy'] ?? '');
      expect(policy).not.toBe('');
      expect(policy).not.toMatch(/upgrade-insecure-requests/i);
    },
  );

  it('should keep the rest of the reference page policy (its own scripts, no framing by others)', async () => {
    const policy = String((await t.app.inject({ method: 'GET', url: '/docs/static/index.html' })).headers['content-security-policy']);
    expect(policy).toContain("script-src 'self'");
    expect(policy).toContain("frame-ancestors 'self'");
    expect(policy).not.toMatch(/;\s*;|;\s*$/);
  });

  it('should lead a browser from / to /admin and /docs, and give a JSON client the same links', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/', headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toMatch(/<a href="\/admin">[^]*<a href="\/docs">/);
    expect(page.headers['content-security-policy']).toMatch(/default-src 'none'/);
    for (const accept of ['application/json', '*/*']) {
      const index = await t.app.inject({ method: 'GET', url: '/', headers: { accept } });
      expect(index.statusCode).toBe(200);
      expect(index.json()).toMatchObject({
        name: 'Roster',
        links: { admin: { href: '/admin' }, docs: { href: '/docs' }, openapi: { href: '/openapi.json' } },
      });
    }
  });
});

// Swagger UI is a large script: on a loaded two-core machine the first render takes tens of seconds.
describe.skipIf(!hasChromium)('sqlite: /docs in Chromium over plain HTTP on a host name', { timeout: 180_000 }, () => {
  let t: TestApp;
  let browser: Browser;
  let port: number;

  beforeAll(async () => {
    t = await createTestApp(sqlite);
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const address = t.app.server.address();
    port = typeof address === 'object' && address ? address.port : 0;
    // roster.test and roster.internal resolve to loopback; neither is "localhost", so neither is a secure context.
    browser = await launchChromium(['--host-resolver-rules=MAP roster.test 127.0.0.1, MAP roster.internal 127.0.0.1']);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it.each(['roster.test', 'roster.internal'])('should render Swagger UI at http://%s/docs, loading everything over http', async (host) => {
    const page = await browser.newPage();
    const failed: string[] = [];
    // A blocked or failed script fails the test at once, with its reason (ERR_SSL_PROTOCOL_ERROR when upgraded to https).
    const firstFailure = new Promise<never>((_resolve, reject) =>
      page.on('requestfailed', (request) => {
        failed.push(`${request.url()} ${request.failure()?.errorText}`);
        reject(new Error(`a request of the page failed: ${failed.join(', ')}`));
      }),
    );
    firstFailure.catch(() => undefined);
    const requested: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    try {
      await page.goto(`http://${host}:${port}/docs`);
      // An operation block of the API (the user list) is drawn: the page's scripts ran and read the document.
      await Promise.race([
        page.locator('.opblock-summary-path', { hasText: '/v1/users' }).first().waitFor({ state: 'visible', timeout: 150_000 }),
        firstFailure,
      ]);
      expect(failed).toEqual([]);
      expect(requested.filter((url) => url.startsWith('https:'))).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('should take a person from http://roster.test/ to the reference page by its link', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`http://roster.test:${port}/`);
      await page.getByRole('link', { name: '/docs' }).click();
      await page.locator('.opblock').first().waitFor({ state: 'visible', timeout: 150_000 });
      expect(page.url()).toMatch(new RegExp(`^http://roster\\.test:${port}/docs`));
    } finally {
      await page.close();
    }
  });
});
