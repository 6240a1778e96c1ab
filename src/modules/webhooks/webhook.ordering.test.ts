import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver, type ReceivedRequest } from '../../testing/http-receiver.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { testDialects } from '../../testing/test-db.js';
import { until } from '../../testing/until.js';

interface Sent {
  type: string;
  sequence: number;
  resource: { id: string };
}
const parse = (r: ReceivedRequest) => JSON.parse(r.body) as Sent;

/** A receiver that answers `status(event, attempt of this event)`; `accepted` lists the events it answered 2xx, in arrival order. */
async function orderedReceiver(status: (event: Sent, attempt: number, accepted: Sent[]) => number) {
  const accepted: Sent[] = [];
  const attempts = new Map<string, number>();
  const receiver = await startReceiver((index) => {
    const event = parse(receiver.received[index]!);
    const key = `${event.resource.id}/${event.type}/${event.sequence}`;
    const attempt = (attempts.get(key) ?? 0) + 1;
    attempts.set(key, attempt);
    const code = status(event, attempt, accepted);
    if (code < 300) accepted.push(event);
    return code;
  });
  return { receiver, accepted };
}

const userEvents = (accepted: Sent[], userId: string) => accepted.filter((e) => e.resource.id === userId);

for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: webhook order per resource`, () => {
    let t: TestApp;
    beforeAll(async () => {
      // Ten quick retries: a dead letter within about a second.
      t = await createTestApp(dialect, { env: { ROSTER_WEBHOOK_RETRY_SCHEDULE: Array(10).fill('50ms').join(',') } });
    });
    afterAll(async () => t?.close());

    const hook = async (key: string, url: string) =>
      (
        await t.request(key, {
          method: 'POST',
          url: '/v1/webhooks',
          payload: { url, eventTypes: ['user.created', 'user.updated', 'user.deleted'] },
        })
      ).json() as { id: string };

    it('should hold a user’s later events while its user.created is retried, then deliver them in order with increasing sequence', async () => {
      const { receiver, accepted } = await orderedReceiver((event, attempt) =>
        event.type === 'user.created' && attempt === 1 ? 500 : 200,
      );
      try {
        const { key } = await t.tenantWithKey();
        const webhook = await hook(key, receiver.url);
        // Written while no worker runs, so that all three are due together: only the order can hold the later two back.
        await t.core.webhookWorker.stop();
        const user = (await t.request(key, { method: 'POST', url: '/v1/users', payload: { username: 'ordered' } })).json();
        await t.request(key, { method: 'PATCH', url: `/v1/users/${user.id}`, payload: { displayName: 'Ordered One' } });
        await t.request(key, { method: 'DELETE', url: `/v1/users/${user.id}` });
        t.core.webhookWorker.start();
        await until(() => userEvents(accepted, user.id).length === 3, 'three events accepted', 20_000);
        const mine = userEvents(accepted, user.id);
        expect(mine.map((e) => e.type)).toEqual(['user.created', 'user.updated', 'user.deleted']);
        expect(mine.map((e) => e.sequence)).toEqual([1, 2, 3]);
        // The failed first attempt came before anything else about the user.
        expect(receiver.received.map(parse).filter((e) => e.resource.id === user.id)[0]).toMatchObject({ type: 'user.created' });
        const log = (await t.request(key, { method: 'GET', url: `/v1/webhooks/${webhook.id}/deliveries` })).json();
        const created = log.data.find((d: { eventType: string }) => d.eventType === 'user.created');
        expect(created.attempts.map((a: { statusCode: number }) => a.statusCode)).toEqual([500, 200]);
      } finally {
        t.core.webhookWorker.start();
        await receiver.close();
      }
    });

    it('should let other users’ events through while one user’s delivery is retried, and release the order on a dead letter', async () => {
      // User A's creation is refused at every attempt until its retries run out (a dead letter); everything else is accepted.
      const { receiver, accepted } = await orderedReceiver((event) =>
        event.type === 'user.created' && (event as Sent & { data: { username?: string } }).data.username === 'held.a' ? 503 : 200,
      );
      try {
        const { key } = await t.tenantWithKey();
        const webhook = await hook(key, receiver.url);
        await t.core.webhookWorker.stop();
        const a = (await t.request(key, { method: 'POST', url: '/v1/users', payload: { username: 'held.a' } })).json();
        const b = (await t.request(key, { method: 'POST', url: '/v1/users', payload: { username: 'free.b' } })).json();
        await t.request(key, { method: 'PATCH', url: `/v1/users/${a.id}`, payload: { displayName: 'A' } });
        await t.request(key, { method: 'PATCH', url: `/v1/users/${b.id}`, payload: { displayName: 'B' } });
        t.core.webhookWorker.start();
        await until(() => userEvents(accepted, a.id).length === 1, "user A's update delivered after the dead letter", 20_000);
        expect(userEvents(accepted, b.id).map((e) => e.type)).toEqual(['user.created', 'user.updated']);
        expect(userEvents(accepted, a.id)).toMatchObject([{ type: 'user.updated', sequence: 2 }]);
        const arrivals = receiver.received.map(parse).map((e) => `${e.resource.id === a.id ? 'a' : 'b'}:${e.type}`);
        // B went through while A's creation was still being retried; A's update only after A's creation's last attempt.
        expect(arrivals.indexOf('b:user.updated')).toBeLessThan(arrivals.lastIndexOf('a:user.created'));
        expect(arrivals.indexOf('a:user.updated')).toBeGreaterThan(arrivals.lastIndexOf('a:user.created'));
        expect(arrivals.filter((x) => x === 'a:user.created')).toHaveLength(11);
        const deliveries = (await t.request(key, { method: 'GET', url: `/v1/webhooks/${webhook.id}/deliveries` })).json().data;
        expect(
          deliveries.find(
            (d: { eventType: string; sequence: number; status: string }) =>
              d.eventType === 'user.created' && d.sequence === 1 && d.status === 'failed',
          ),
        ).toBeDefined();
      } finally {
        t.core.webhookWorker.start();
        await receiver.close();
      }
    });
  });
}
