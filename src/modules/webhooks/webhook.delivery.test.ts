import { Webhook as StandardWebhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore } from '../../app.js';
import { loadConfig } from '../../config/config.js';
import { startReceiver } from '../../testing/http-receiver.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { testDialects } from '../../testing/test-db.js';

const eventsOf = (received: Array<{ body: string }>) =>
  received.map((r) => JSON.parse(r.body) as { id: string; type: string; data: Record<string, unknown> });

for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: events and webhooks`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect, { poolSize: 10 });
    });
    afterAll(async () => t?.close());

    const hook = (key: string, body: object) => t.request(key, { method: 'POST', url: '/v1/webhooks', payload: body });

    it('should deliver user.created signed per Standard Webhooks, verifiable by an independent implementation', async () => {
      const receiver = await startReceiver();
      try {
        const { key } = await t.tenantWithKey();
        const created = await hook(key, { url: receiver.url, eventTypes: ['user.created'] });
        expect(created.statusCode).toBe(201);
        const { secret } = created.json();
        expect(secret).toMatch(/^whsec_/);
        expect((await t.request(key, { method: 'GET', url: '/v1/webhooks' })).body).not.toContain(secret);

        const user = (
          await t.request(key, {
            method: 'POST',
            url: '/v1/users',
            payload: { email: 'hooked@example.com', password: 'correct horse battery' },
          })
        ).json();
        await receiver.waitFor((r) => r.length >= 1);
        const [request] = receiver.received;
        const verified = new StandardWebhook(secret).verify(request!.body, {
          'webhook-id': String(request!.headers['webhook-id']),
          'webhook-timestamp': String(request!.headers['webhook-timestamp']),
          'webhook-signature': String(request!.headers['webhook-signature']),
        }) as { type: string; data: Record<string, unknown>; actor: { type: string } };
        expect(verified).toMatchObject({
          type: 'user.created',
          data: { id: user.id, email: 'hooked@example.com', hasPassword: true },
          actor: { type: 'api_key' },
        });
        expect(request!.body).not.toContain('argon2');
        expect(request!.body).not.toContain('correct horse');
        expect(() => new StandardWebhook(secret).verify(`${request!.body} `, request!.headers as Record<string, string>)).toThrow();
      } finally {
        await receiver.close();
      }
    });

    it('should retry a failing receiver with back-off and log every attempt', async () => {
      const receiver = await startReceiver((i) => (i < 2 ? 500 : 200));
      try {
        const { key } = await t.tenantWithKey();
        const webhook = (await hook(key, { url: receiver.url, eventTypes: ['user.created'] })).json();
        await t.request(key, { method: 'POST', url: '/v1/users', payload: { username: 'retried' } });
        await receiver.waitFor((r) => r.length >= 3);
        const ids = new Set(receiver.received.map((r) => r.headers['webhook-id']));
        expect(ids.size).toBe(1); // the same message each time, so receivers can de-duplicate
        let delivery:
          | { status: string; eventType: string; sequence: number; attempts: Array<{ statusCode: number | null; latencyMs: number }> }
          | undefined;
        for (let i = 0; i < 100 && delivery?.status !== 'delivered'; i++) {
          delivery = (await t.request(key, { method: 'GET', url: `/v1/webhooks/${webhook.id}/deliveries` }))
            .json()
            .data.find((d: { eventId: string }) => d.eventId === receiver.received[0]!.headers['webhook-id']);
          await new Promise((r) => setTimeout(r, 20));
        }
        expect(delivery?.status).toBe('delivered');
        expect(delivery).toMatchObject({ eventType: 'user.created', sequence: 1 });
        expect(delivery?.attempts.map((a) => a.statusCode)).toEqual([500, 500, 200]);
      } finally {
        await receiver.close();
      }
    });

    it('should deliver events committed while no worker ran, once one runs again', async () => {
      const receiver = await startReceiver();
      try {
        const { key } = await t.tenantWithKey();
        await hook(key, { url: receiver.url, eventTypes: ['user.created'] });
        await t.core.webhookWorker.stop();
        await t.request(key, { method: 'POST', url: '/v1/users', payload: { username: 'offline.one' } });
        await new Promise((r) => setTimeout(r, 200));
        expect(receiver.received).toHaveLength(0);
        t.core.webhookWorker.start();
        await receiver.waitFor((r) => r.length === 1);
        expect(eventsOf(receiver.received)[0]).toMatchObject({ type: 'user.created', data: { username: 'offline.one' } });
      } finally {
        t.core.webhookWorker.start();
        await receiver.close();
      }
    });

    it('should announce each kind of change and list it in the audit log', async () => {
      const receiver = await startReceiver();
      try {
        const { key, tenantId } = await t.tenantWithKey();
        await hook(key, { url: receiver.url });
        const user = (await t.request(key, { method: 'POST', url: '/v1/users', payload: { username: 'audited' } })).json();
        await t.request(key, {
          method: 'PATCH',
          url: `/v1/users/${user.id}`,
          payload: { active: false, roles: ['admin'], password: 'correct horse battery' },
        });
        await t.request(key, { method: 'DELETE', url: `/v1/users/${user.id}` });
        const expected = [
          'user.created',
          'user.updated',
          'user.deactivated',
          'user.password_changed',
          'user.roles_updated',
          'user.deleted',
        ];
        await receiver.waitFor((r) => expected.every((type) => eventsOf(r).some((e) => e.type === type)));
        const audit = (await t.request(key, { method: 'GET', url: `/v1/events?resourceId=${user.id}` })).json();
        expect(audit.data.map((e: { type: string }) => e.type)).toEqual(expected);
        expect(audit.data[0]).toMatchObject({ tenantId, resource: { type: 'user', id: user.id }, actor: { type: 'api_key' } });
        expect((await t.request(key, { method: 'GET', url: '/v1/events?type=webhook.created' })).json().data).toHaveLength(1);
        const reader = await t.keyWithPermissions(tenantId, ['users:read']);
        expect((await t.request(reader, { method: 'GET', url: '/v1/events' })).json().code).toBe('PERMISSION_DENIED');
      } finally {
        await receiver.close();
      }
    });

    it('should write one user.created event per user of a batch, in the same commit', async () => {
      const { key, tenantId } = await t.tenantWithKey();
      await t.request(key, {
        method: 'POST',
        url: '/v1/users/batch',
        payload: { users: [{ username: 'b.one' }, { username: 'bad name' }, { username: 'b.two' }] },
      });
      const rows = await t.core.database.db
        .selectFrom('events')
        .select('type')
        .where('tenantId', '=', tenantId)
        .where('type', '=', 'user.created')
        .execute();
      expect(rows).toHaveLength(2);
      // An atomic batch that fails rolls back, and with it every event it would have announced.
      await t.request(key, {
        method: 'POST',
        url: '/v1/users/batch',
        payload: { mode: 'atomic', users: [{ username: 'c.one' }, { username: 'b.one' }] },
      });
      const after = await t.core.database.db
        .selectFrom('events')
        .select('type')
        .where('tenantId', '=', tenantId)
        .where('type', '=', 'user.created')
        .execute();
      expect(after).toHaveLength(2);
    });

    it('should send a ping, redeliver on request, and disable a webhook whose deliveries keep failing', async () => {
      const receiver = await startReceiver(() => 503);
      try {
        const { key } = await t.tenantWithKey();
        const webhook = (await hook(key, { url: receiver.url, eventTypes: ['user.created'] })).json();
        const ping = await t.request(key, { method: 'POST', url: `/v1/webhooks/${webhook.id}/ping` });
        expect(ping.statusCode).toBe(202);
        await receiver.waitFor((r) => eventsOf(r).filter((e) => e.type === 'webhook.ping').length >= 4);
        let state = (await t.request(key, { method: 'GET', url: `/v1/webhooks/${webhook.id}` })).json();
        for (let i = 0; i < 100 && state.active; i++) {
          await new Promise((r) => setTimeout(r, 20));
          state = (await t.request(key, { method: 'GET', url: `/v1/webhooks/${webhook.id}` })).json();
        }
        expect(state).toMatchObject({ active: false, disabledReason: expect.any(String) });
        expect((await t.request(key, { method: 'GET', url: '/v1/events?type=webhook.disabled' })).json().data).toHaveLength(1);
        const count = receiver.received.length;
        const redeliver = await t.request(key, {
          method: 'POST',
          url: `/v1/webhooks/${webhook.id}/deliveries/${ping.json().deliveryId}/redeliver`,
        });
        expect(redeliver.statusCode).toBe(202);
        await receiver.waitFor((r) => r.length > count);
        const log = (await t.request(key, { method: 'GET', url: `/v1/webhooks/${webhook.id}/deliveries` })).json();
        expect(log.data.find((d: { id: string }) => d.id === ping.json().deliveryId)).toMatchObject({ eventType: 'webhook.ping' });
      } finally {
        await receiver.close();
      }
    });

    it.skipIf(dialect.name !== 'postgres')('should never deliver an event twice with two workers on one database', async () => {
      const receiver = await startReceiver();
      const config = loadConfig({ LOG_LEVEL: 'silent', ROSTER_WEBHOOK_RETRY_SCHEDULE: '50ms', ROSTER_WEBHOOK_ALLOW_PRIVATE: 'true' });
      const second = await createCore({
        config,
        database: { ...t.core.database, close: async () => undefined },
        migrate: false,
        webhookPollMs: 10,
      });
      second.webhookWorker.start();
      try {
        const { key } = await t.tenantWithKey();
        await hook(key, { url: receiver.url, eventTypes: ['user.created'] });
        const users = Array.from({ length: 60 }, (_, i) => ({ username: `twin.${i}` }));
        await t.request(key, { method: 'POST', url: '/v1/users/batch', payload: { users } });
        await receiver.waitFor((r) => r.length >= 60);
        await new Promise((r) => setTimeout(r, 300));
        const ids = receiver.received.map((r) => String(r.headers['webhook-id']));
        expect(ids).toHaveLength(60);
        expect(new Set(ids).size).toBe(60);
      } finally {
        await second.webhookWorker.stop();
        await receiver.close();
      }
    });
  });
}
