import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPublicAddress } from '../../rules/public-address.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { testDialects } from '../../testing/test-db.js';

describe('webhook targets (SSRF)', () => {
  it('should tell public addresses from loopback, private, link-local and reserved ones', () => {
    for (const address of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.9',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      'fc00::1',
      'fe80::1',
      '::ffff:127.0.0.1',
      '224.0.0.1',
      'not-an-ip',
    ]) {
      expect(isPublicAddress(address), address).toBe(false);
    }
    for (const address of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111']) expect(isPublicAddress(address), address).toBe(true);
  });

  it('should judge IPv6 forms that carry an IPv4 address as that address, and refuse deprecated IPv6 ranges (L8)', () => {
    const inner = [
      '::7f00:1',
      '::127.0.0.1',
      '::a00:1',
      '::10.0.0.1',
      '::a9fe:a9fe',
      '::c0a8:1',
      '::2', // IPv4-compatible ::/96
      '::ffff:7f00:1',
      '::ffff:10.0.0.1', // IPv4-mapped
      '::ffff:0:7f00:1',
      '::ffff:0:127.0.0.1',
      '::ffff:0:a9fe:a9fe', // IPv4-translated (RFC 6145)
      '64:ff9b::7f00:1',
      '64:ff9b::10.0.0.1',
      '64:ff9b:1::a00:1', // NAT64 well-known and local-use
      'fec0::1',
      'feff::1',
      '2002:7f00:1::1',
      '2002:808:808::1',
      '2001::1',
      '2001:db8::1',
      '100::1',
      '2001:10::1', // site-local, 6to4, Teredo, documentation, discard, ORCHID
    ];
    for (const address of inner) expect(isPublicAddress(address), address).toBe(false);
    for (const address of ['::808:808', '::ffff:8.8.8.8', '::ffff:0:8.8.8.8', '64:ff9b::8.8.8.8'])
      expect(isPublicAddress(address), address).toBe(true);
  });

  describe('with ROSTER_WEBHOOK_ALLOW_PRIVATE=false (the default)', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(testDialects[0]!, { env: { ROSTER_WEBHOOK_ALLOW_PRIVATE: 'false' } });
    });
    afterAll(async () => t?.close());

    it('should refuse webhooks aimed at the inner network, by address or by name', async () => {
      const { key } = await t.tenantWithKey();
      for (const url of [
        'http://127.0.0.1:8080/hook',
        'http://localhost/hook',
        'http://[::1]/hook',
        'https://169.254.169.254/latest/meta-data',
        'http://10.0.0.5/hook',
        'http://192.168.0.10/hook',
      ]) {
        const res = await t.request(key, { method: 'POST', url: '/v1/webhooks', payload: { url } });
        expect([url, res.statusCode, res.json().errors?.[0]?.code]).toEqual([url, 400, 'URL_NOT_PUBLIC']);
      }
      for (const url of [
        'http://[::127.0.0.1]/',
        'http://[::7f00:1]/',
        'http://[::ffff:0:7f00:1]/',
        'http://[::10.0.0.1]/',
        'http://[::ffff:0:169.254.169.254]/latest',
        'http://[fec0::1]/',
        'http://[64:ff9b::a00:1]/',
      ]) {
        const res = await t.request(key, { method: 'POST', url: '/v1/webhooks', payload: { url } });
        expect([url, res.statusCode, res.json().errors?.[0]?.code]).toEqual([url, 400, 'URL_NOT_PUBLIC']);
      }
      const created = await t.request(key, { method: 'POST', url: '/v1/webhooks', payload: { url: 'https://93.184.216.34/hook' } });
      expect(created.statusCode).toBe(201);
      const moved = await t.request(key, {
        method: 'PATCH',
        url: `/v1/webhooks/${created.json().id}`,
        payload: { url: 'http://127.0.0.1/hook' },
      });
      expect([moved.statusCode, moved.json().errors?.[0]?.code]).toEqual([400, 'URL_NOT_PUBLIC']);
    });
  });
});
