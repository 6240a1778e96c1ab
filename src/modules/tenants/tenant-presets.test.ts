import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPrincipal } from '../../cli/cli-context.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { testDialects } from '../../testing/test-db.js';
import { MailSenderPolicy } from '../mail/mail-sender.js';
import { normalizeSettings } from '../settings/settings.rules.js';
import { effectiveSettings } from './tenant.service.js';
import { TENANT_PRESETS } from './tenant-presets.js';

describe('contract presets', () => {
  it('should hold only settings the settings rules accept', () => {
    for (const [name, preset] of Object.entries(TENANT_PRESETS)) {
      const { errors } = normalizeSettings(
        effectiveSettings({ defaultLocale: 'en', defaultTimezone: 'UTC', settings: JSON.stringify(preset.settings) }),
        new MailSenderPolicy(),
      );
      expect(errors, name).toEqual([]);
    }
  });
});

for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: POST /v1/tenants with a preset`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect);
    });
    afterAll(async () => t?.close());

    it('should start a fleet tenant with the password policy its seed states (none) and leave others at the defaults', async () => {
      const fleet = await t.request(t.platformKey, {
        method: 'POST',
        url: '/v1/tenants',
        payload: { slug: 'preset-fleet', preset: 'fleet' },
      });
      expect(fleet.statusCode, fleet.body).toBe(201);
      expect(fleet.json().settings.password).toMatchObject({ minLength: 1, minStrength: 0, forbidCommon: false, forbidUserInfo: false });
      const plain = await t.request(t.platformKey, { method: 'POST', url: '/v1/tenants', payload: { slug: 'preset-none' } });
      expect(plain.json().settings.password).toMatchObject({ minLength: 8, minStrength: 2, forbidCommon: true });
    });

    it('should create Rocket.Chat default roles and a one-character username pattern on a rocketchat tenant', async () => {
      const res = await t.request(t.platformKey, {
        method: 'POST',
        url: '/v1/tenants',
        payload: { slug: 'preset-rc', preset: 'rocketchat' },
      });
      expect(res.statusCode, res.body).toBe(201);
      const key = (await t.core.apiKeys.createKey(cliPrincipal, res.json().id, { name: 'k', role: 'admin' })).secret;
      const roles = (await t.request(key, { method: 'GET', url: '/v1/roles' })).json();
      const names = (Array.isArray(roles) ? roles : roles.data).map((r: { name: string }) => r.name);
      expect(names).toEqual(expect.arrayContaining(['admin', 'user', 'bot', 'guest', 'livechat-agent']));
      expect(res.json().settings.username.pattern).toBe(String.raw`^[\p{L}\p{N}._-]{1,64}$`);
    });

    it('should refuse an unknown preset and create nothing', async () => {
      for (const preset of ['slack', 'FLEET']) {
        const res = await t.request(t.platformKey, {
          method: 'POST',
          url: '/v1/tenants',
          payload: { slug: `preset-bad-${preset.toLowerCase()}`, preset },
        });
        expect(res.statusCode).toBe(400);
      }
      const list = (await t.request(t.platformKey, { method: 'GET', url: '/v1/tenants?limit=200' }))
        .json()
        .data.map((x: { slug: string }) => x.slug);
      expect(list.filter((s: string) => s.startsWith('preset-bad'))).toEqual([]);
    });
  });
}
