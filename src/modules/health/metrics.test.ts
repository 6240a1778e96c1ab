import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMetricsServer } from '../../http/metrics-server.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { testDialects } from '../../testing/test-db.js';

const TOKEN = 'prometheus-scrape-token-0123456789';
const gauge = (body: string, line: string) => Number(new RegExp(`^${line.replace(/[{}"]/g, '\\$&')} (\\d+)$`, 'm').exec(body)?.[1] ?? NaN);

for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: /metrics backlog, access and request identity`, () => {
    let t: TestApp;
    beforeAll(async () => {
      // The webhook worker is stopped so deliveries stay pending for the gauge; mail has no SMTP, so it is stored, not pending.
      t = await createTestApp(dialect, { env: { ROSTER_METRICS_TOKEN: TOKEN } });
      await t.core.webhookWorker.stop();
    });
    afterAll(async () => t?.close());

    const scrape = async () => {
      const res = await t.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } });
      expect(res.statusCode).toBe(200);
      return res.body;
    };

    it('should refuse /metrics without the configured token, or with another one', async () => {
      expect((await t.app.inject({ url: '/metrics' })).statusCode).toBe(401);
      expect((await t.app.inject({ url: '/metrics', headers: { authorization: 'Bearer not-the-token-at-all-000' } })).statusCode).toBe(401);
      expect((await t.app.inject({ url: '/metrics', headers: { authorization: TOKEN } })).statusCode).toBe(401);
      expect((await t.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } })).statusCode).toBe(200);
    });

    it('should count queued imports and pending webhook deliveries from the database', async () => {
      const before = await scrape();
      expect(before).toMatch(/^roster_import_jobs\{status="queued"\} \d+$/m);
      expect(before).toMatch(/^roster_mail_messages\{status="pending"\} \d+$/m);
      expect(before).toMatch(/^roster_webhook_deliveries_failed \d+$/m);
      if (dialect.name === 'postgres') expect(before).toMatch(/^roster_db_pool_connections\{state="total"\} \d+$/m);

      const { key } = await t.tenantWithKey();
      expect((await t.request(key, { method: 'POST', url: '/v1/webhooks', payload: { url: 'http://127.0.0.1:9/hook' } })).statusCode).toBe(
        201,
      );
      for (const n of [1, 2, 3])
        expect((await t.request(key, { method: 'POST', url: '/v1/users', payload: { email: `backlog${n}@acme.com` } })).statusCode).toBe(
          201,
        );
      // Events wait for fan-out or have become pending deliveries: either way three more units of webhook backlog.
      const after = await scrape();
      const backlog = (body: string) => gauge(body, 'roster_events_pending_fanout') + gauge(body, 'roster_webhook_deliveries_pending');
      expect(backlog(after) - backlog(before)).toBeGreaterThanOrEqual(3);
    });

    it('should name the tenant and the actor in the request log line, and no secret', async () => {
      const { key, tenantId } = await t.tenantWithKey();
      const res = await t.request(key, { method: 'GET', url: '/v1/users', headers: { 'x-request-id': 'log-identity-1' } });
      expect(res.statusCode).toBe(200);
      const line = t.logs.lines
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => l.reqId === 'log-identity-1' && l.msg === 'request completed');
      expect(line).toMatchObject({ tenant: tenantId, actor: expect.stringMatching(/^api_key:/) });
      expect(JSON.stringify(line)).not.toContain(key);

      const platform = await t.request(t.platformKey, {
        method: 'GET',
        url: '/v1/users',
        tenant: 'bad tenant\nname',
        headers: { 'x-request-id': 'log-identity-2' },
      });
      expect(platform.statusCode).toBeGreaterThanOrEqual(400);
      const other = t.logs.lines
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => l.reqId === 'log-identity-2' && l.msg === 'request completed');
      expect(other?.tenant).toBeUndefined();
    });
  });
}

describe('/metrics on a port of its own', () => {
  let t: TestApp;
  const sqlite = testDialects.find((d) => d.name === 'sqlite');
  beforeAll(async () => {
    t = await createTestApp(sqlite as NonNullable<typeof sqlite>, { env: { ROSTER_METRICS_PORT: '9' } });
  });
  afterAll(async () => t?.close());

  it('should leave the API port without /metrics and serve it, token-checked, on the metrics port', async () => {
    expect((await t.app.inject({ url: '/metrics' })).statusCode).toBe(404);
    const server = await startMetricsServer(t.core.metrics, { token: TOKEN, port: 0 }, '127.0.0.1');
    try {
      const url = `http://127.0.0.1:${server.port}`;
      expect((await fetch(`${url}/metrics`)).status).toBe(401);
      const ok = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain('roster_webhook_deliveries_pending');
      expect((await fetch(`${url}/v1/users`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});
