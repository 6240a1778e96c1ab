import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lookup as systemLookup } from 'node:dns/promises';
import { loadConfig } from '../../config/config.js';
import { isPublicAddress, type Lookup } from '../../rules/public-address.js';
import { startReceiver } from '../../testing/http-receiver.js';
import { until } from '../../testing/until.js';
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

  it('should refuse an allow-list entry that is neither a CIDR nor a host name, at start', () => {
    for (const bad of ['10.0.0.0/33', 'fd00::/129', 'not a host', '*.', 'a..b'])
      expect(() => loadConfig({ ROSTER_WEBHOOK_ALLOWED_NETWORKS: bad }), bad).toThrow(/ROSTER_WEBHOOK_ALLOWED_NETWORKS/);
    expect(
      loadConfig({ ROSTER_WEBHOOK_ALLOWED_NETWORKS: ' 10.0.0.0/8, fd00::/8,192.168.1.7, hooks.corp.example, *.Corp.Example ' })
        .webhookAllowedNetworks.hosts,
    ).toEqual(['hooks.corp.example', '*.corp.example']);
  });
});

/** Names only this test's resolver knows; `flip.test` is public until `flipped`, then a private address off the list (DNS rebinding). */
let flipped = false;
const testLookup: Lookup = async (host) => {
  if (host === 'corp.test' || host.endsWith('.corp.test')) return [{ address: '127.0.0.1', family: 4 }];
  if (host === 'intranet.test') return [{ address: '10.1.2.3', family: 4 }];
  if (host === 'flip.test') return [{ address: flipped ? '10.9.9.9' : '93.184.216.34', family: 4 }];
  return systemLookup(host, { all: true });
};

for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: ROSTER_WEBHOOK_ALLOWED_NETWORKS`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect, {
        env: {
          ROSTER_WEBHOOK_ALLOW_PRIVATE: 'false',
          ROSTER_WEBHOOK_ALLOWED_NETWORKS: '127.0.0.0/8, ::1/128, *.corp.test',
          ROSTER_WEBHOOK_RETRY_SCHEDULE: '50ms',
        },
        webhookLookup: testLookup,
      });
    });
    afterAll(async () => t?.close());

    const create = (key: string, url: string) => t.request(key, { method: 'POST', url: '/v1/webhooks', payload: { url } });
    const deliveries = async (key: string, id: string) =>
      (await t.request(key, { method: 'GET', url: `/v1/webhooks/${id}/deliveries` })).json().data as Array<{
        status: string;
        eventType: string;
        attempts: Array<{ error: string | null }>;
      }>;

    it('should accept and deliver to allowed networks and names, and refuse the other inner addresses', async () => {
      const receiver = await startReceiver();
      try {
        const { key } = await t.tenantWithKey();
        const port = new URL(receiver.url).port;
        // An allowed CIDR by address; a name resolving only into allowed CIDRs (localhost: 127.0.0.1 and maybe ::1);
        // a name on the host list (the test resolver points it at loopback, which proves the checked address is the one connected to).
        for (const url of [receiver.url, `http://localhost:${port}/hook`, `http://hooks.corp.test:${port}/hook`]) {
          const created = await create(key, url);
          expect([url, created.statusCode]).toEqual([url, 201]);
          const id = created.json().id as string;
          expect((await t.request(key, { method: 'POST', url: `/v1/webhooks/${id}/ping` })).statusCode).toBe(202);
          const pinged = (r: Array<{ body: string }>) =>
            r.some((x) => JSON.parse(x.body).type === 'webhook.ping' && JSON.parse(x.body).resource.id === id);
          await receiver.waitFor(pinged);
        }
        // Still refused: private ranges not on the list, a name resolving into one, the wildcard's own apex.
        for (const url of ['http://10.0.0.5/hook', 'http://169.254.169.254/latest', 'http://[fd00::1]/', 'http://intranet.test/hook']) {
          const res = await create(key, url);
          expect([url, res.statusCode, res.json().errors?.[0]?.code]).toEqual([url, 400, 'URL_NOT_PUBLIC']);
        }
      } finally {
        await receiver.close();
      }
    });

    it('should refuse at delivery a name that resolved to a public address when saved and to a refused one since (DNS rebinding)', async () => {
      const receiver = await startReceiver();
      try {
        const { key } = await t.tenantWithKey();
        flipped = false;
        const created = await create(key, `http://flip.test:${new URL(receiver.url).port}/hook`);
        expect(created.statusCode).toBe(201);
        flipped = true;
        await t.request(key, { method: 'POST', url: `/v1/webhooks/${created.json().id}/ping` });
        await until(async () => (await deliveries(key, created.json().id))[0]?.status === 'failed', 'the ping delivery given up', 20_000);
        const [delivery] = await deliveries(key, created.json().id);
        expect(delivery?.attempts[0]?.error).toMatch(/refused: flip.test resolves to 10.9.9.9/);
        expect(receiver.received).toHaveLength(0);
      } finally {
        flipped = false;
        await receiver.close();
      }
    });
  });
}
