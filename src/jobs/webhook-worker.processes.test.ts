import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver } from '../testing/http-receiver.js';
import { freePorts, RosterProcesses, scratchPostgres } from '../testing/roster-process.js';

const pgUrl = process.env.TEST_DATABASE_URL;

// Real processes on one PostgreSQL database: at-least-once across a SIGKILL, and never twice in parallel.
describe.skipIf(!pgUrl)('postgres: webhook delivery across processes', { timeout: 240_000 }, () => {
  let ports: [number, number];
  const servers: ChildProcess[] = [];
  let scratch: Awaited<ReturnType<typeof scratchPostgres>>;
  let procs: RosterProcesses;
  const startServer = (port: number) => procs.start(port);
  const ready = (port: number) => procs.ready(port);
  const stop = (child: ChildProcess, signal?: NodeJS.Signals) => procs.stop(child, signal);
  const api = (port: number) => async (method: string, url: string, body?: unknown) =>
    (await procs.api(port, 'procs')(method, url, body)).body;

  beforeAll(async () => {
    ports = (await freePorts(2)) as [number, number];
    scratch = await scratchPostgres(pgUrl as string);
    procs = new RosterProcesses({
      DATABASE_URL: scratch.url,
      ROSTER_WEBHOOK_RETRY_SCHEDULE: '100ms,200ms,400ms,800ms,1s,2s,2s,2s',
      ROSTER_WEBHOOK_TIMEOUT_MS: '2000',
      ROSTER_WEBHOOK_ALLOW_PRIVATE: 'true',
    });
  });

  afterAll(async () => {
    await Promise.all(servers.map((s) => stop(s)));
    await scratch?.drop();
  });

  it('should deliver after a SIGKILL, and deliver each event once with two processes running', { timeout: 240_000 }, async () => {
    // A receiver that is down at first: events committed now can only be delivered later.
    let receiverUp = false;
    const receiver = await startReceiver(() => (receiverUp ? 200 : 503));
    try {
      servers.push(startServer(ports[0]));
      await ready(ports[0]);
      const call = api(ports[0]);
      await call('POST', '/v1/tenants', { slug: 'procs' });
      await call('POST', '/v1/webhooks', { url: receiver.url, eventTypes: ['user.created'] });
      await call('POST', '/v1/users', { username: 'before.kill' });
      await receiver.waitFor((r) => r.length >= 1, 60_000); // attempted and refused (503)
      await stop(servers[0] as ChildProcess, 'SIGKILL');

      receiverUp = true;
      servers.push(startServer(ports[0]), startServer(ports[1]));
      await Promise.all([ready(ports[0]), ready(ports[1])]);
      const created = await api(ports[1])('POST', '/v1/users/batch', {
        users: Array.from({ length: 80 }, (_, i) => ({ username: `two.procs.${i}` })),
      });
      expect(created.created).toBe(80);

      await receiver.waitFor((r) => new Set(r.map((x) => String(x.headers['webhook-id']))).size >= 81, 120_000);
      await new Promise((r) => setTimeout(r, 1500));
      // Every event arrived; apart from the deliberate failures before the kill, none twice.
      const events = receiver.received.map((r) => JSON.parse(r.body) as { id: string; data: { username: string } });
      const usernames = new Set(events.map((e) => e.data.username));
      expect(usernames.has('before.kill')).toBe(true);
      expect(usernames.size).toBe(81);
      const batchIds = events.filter((e) => e.data.username !== 'before.kill').map((e) => e.id);
      expect(batchIds).toHaveLength(80);
      expect(new Set(batchIds).size).toBe(80);
    } finally {
      await receiver.close();
    }
  });
});
