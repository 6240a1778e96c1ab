import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPublicAddress } from '../../rules/public-address.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { testDialects } from '../../testing/test-db.js';

describe('webhook targets (SSRF)', () => {
  it('should tell public addresses from loopback, private, link-local and reserved ones', () => {
    for (const address of ['127.0.0.1', '10.1.2.3', '172.16.0.9', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', 'fc00::1', 'fe80::1', '::ffff:127.0.0.1', '224.0.0.1', 'not-an-ip']) {
      expect(isPublicAddress(address), address).toBe(false);
    }
    for (const address of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111']) expect(isPublicAddress(address), address).toBe(true);
  });

  describe('with ROSTER_WEBHOOK_ALLOW_PRIVATE=false (the default)', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(testDialects[0]!, { env: { ROSTER_WEBHOOK_ALLOW_PRIVATE: 'false' } });
    });
    afterAll(async () => t?.close());

    it('should refuse webhooks aimed at the inner network, by address or by name', async () => {
      const { key } = await t.tenantWithKey();
      for (const url of ['http://127.0.0.1:8080/hook', 'http://localhost/hook', 'http://[::1]/hook', 'https://169.254.169.254/latest/meta-data', 'http://10.0.0.5/hook', 'http://192.168.0.10/hook']) {
        const res = await t.request(key, { method: 'POST', url: '/v1/webhooks', payload: { url } });
        expect([url, res.statusCode, res.json().errors?.[0]?.code]).toEqual([url, 400, 'URL_NOT_PUBLIC']);
      }
      const created = await t.request(key, { method: 'POST', url: '/v1/webhooks', payload: { url: 'https://93.184.216.34/hook' } });
      expect(created.statusCode).toBe(201);
      const moved = await t.request(key, { method: 'PATCH', url: `/v1/webhooks/${created.json().id}`, payload: { url: 'http://127.0.0.1/hook' } });
      expect([moved.statusCode, moved.json().errors?.[0]?.code]).toEqual([400, 'URL_NOT_PUBLIC']);
    });
  });
});
