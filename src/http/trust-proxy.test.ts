import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp } from '../testing/test-app.js';
import { testDialects } from '../testing/test-db.js';

const sqlite = testDialects.find((d) => d.name === 'sqlite') as (typeof testDialects)[number];
const PASSWORD = 'Correct-Horse-Battery-91';
/** Clients are told apart by their loopback source address (Linux routes all of 127.0.0.0/8 to lo). */
const CLIENT_A = '127.0.0.2';
const CLIENT_B = '127.0.0.3';
const STRANGER = '127.0.0.5';

/**
 * A reverse proxy as nginx or a load balancer runs one: it appends the address of the client it
 * accepted to X-Forwarded-For and calls Roster from 127.0.0.1.
 */
async function startProxy(upstreamPort: number) {
  const server = http.createServer((req, res) => {
    const forwarded = [req.headers['x-forwarded-for'], req.socket.remoteAddress].filter(Boolean).join(', ');
    const upstream = http.request(
      {
        host: '127.0.0.1',
        port: upstreamPort,
        localAddress: '127.0.0.1',
        method: req.method,
        path: req.url,
        agent: false,
        headers: { ...req.headers, 'x-forwarded-for': forwarded },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, close: () => new Promise((r) => server.close(r)) };
}

/** One request from a given source address to a port on loopback. */
function send(
  port: number,
  from: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: unknown,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        localAddress: from,
        method,
        path,
        agent: false,
        headers: { ...headers, ...(payload ? { 'content-type': 'application/json' } : {}) },
      },
      (res) => {
        let text = '';
        res
          .setEncoding('utf8')
          .on('data', (c: string) => (text += c))
          .on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** A Roster listening on loopback with a proxy in front; `trustProxy` is ROSTER_TRUST_PROXY (undefined: unset). */
async function rosterBehindProxy(trustProxy: string | undefined) {
  const t = await createTestApp(sqlite, {
    env: {
      ROSTER_LOGIN_MAX_FAILURES_PER_ADDRESS: '3',
      ROSTER_RATE_LIMIT_PER_ADDRESS: '6',
      ...(trustProxy === undefined ? {} : { ROSTER_TRUST_PROXY: trustProxy }),
    },
  });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  const rosterPort = (t.app.server.address() as AddressInfo).port;
  const proxy = await startProxy(rosterPort);
  const { slug, key } = await t.tenantWithKey();
  const created = await t.request(key, { method: 'POST', url: '/v1/users', payload: { username: 'ada', password: PASSWORD } });
  expect(created.statusCode).toBe(201);
  const login = (port: number, from: string, password: string, headers: Record<string, string> = {}, user = 'ada') =>
    send(port, from, 'POST', '/v1/sessions', { 'x-roster-tenant': slug, ...headers }, { login: user, password });
  /** A failed login of an unknown user: only the per-address counter moves. */
  let n = 0;
  const fail = (port: number, from: string, headers: Record<string, string> = {}) =>
    login(port, from, 'wrong-password', headers, `nobody${++n}`);
  return {
    t,
    rosterPort,
    proxy,
    login,
    fail,
    close: async () => {
      await proxy.close();
      await t.close();
    },
  };
}

describe('client addresses behind a proxy (M3)', () => {
  describe('without ROSTER_TRUST_PROXY', () => {
    let r: Awaited<ReturnType<typeof rosterBehindProxy>>;
    beforeAll(async () => {
      r = await rosterBehindProxy(undefined);
    });
    afterAll(async () => r?.close());

    it("should ignore X-Forwarded-For: every client behind the proxy shares the proxy's counters", async () => {
      for (let i = 0; i < 3; i += 1) expect((await r.fail(r.proxy.port, CLIENT_A)).status).toBe(401);
      expect((await r.fail(r.proxy.port, CLIENT_A)).status).toBe(429);
      // Another client behind the same proxy is locked out with A: the limits see one address.
      expect((await r.login(r.proxy.port, CLIENT_B, PASSWORD)).status).toBe(429);
      // And a client that names an address of its own is not believed either.
      expect((await r.login(r.proxy.port, CLIENT_B, PASSWORD, { 'x-forwarded-for': '203.0.113.9' })).status).toBe(429);
    });
  });

  for (const setting of ['127.0.0.1', '1', '127.0.0.1/32,::1']) {
    describe(`with ROSTER_TRUST_PROXY=${setting}`, () => {
      let r: Awaited<ReturnType<typeof rosterBehindProxy>>;
      beforeAll(async () => {
        r = await rosterBehindProxy(setting);
      });
      afterAll(async () => r?.close());

      it('should keep separate login-failure counters for two clients behind the proxy', async () => {
        for (let i = 0; i < 3; i += 1) expect((await r.fail(r.proxy.port, CLIENT_A)).status).toBe(401);
        expect((await r.fail(r.proxy.port, CLIENT_A)).status).toBe(429);
        expect((await r.login(r.proxy.port, CLIENT_A, PASSWORD)).status).toBe(429);
        expect((await r.fail(r.proxy.port, CLIENT_B)).status).toBe(401);
        expect((await r.login(r.proxy.port, CLIENT_B, PASSWORD)).status).toBe(201);
      });

      it('should ignore an X-Forwarded-For a client adds itself, through the proxy or sent straight to Roster', async () => {
        // A, locked out above, cannot escape by naming another address: the proxy appends the real one.
        for (const spoof of ['203.0.113.7', CLIENT_B, `${CLIENT_B}, 198.51.100.1`]) {
          expect((await r.login(r.proxy.port, CLIENT_A, PASSWORD, { 'x-forwarded-for': spoof })).status).toBe(429);
        }
        // A hop count trusts whoever connects as the nearest proxy (so Roster must be reachable only through it);
        // with the proxy's addresses named, a client that is not the proxy is its own address whatever it claims.
        if (setting === '1') return;
        for (const spoof of ['203.0.113.1', '203.0.113.2', '203.0.113.3'])
          expect((await r.fail(r.rosterPort, STRANGER, { 'x-forwarded-for': spoof })).status).toBe(401);
        expect((await r.fail(r.rosterPort, STRANGER, { 'x-forwarded-for': '203.0.113.4' })).status).toBe(429);
        // …and it cannot spend B's counter by naming B.
        expect((await r.login(r.proxy.port, CLIENT_B, PASSWORD)).status).toBe(201);
      });

      it('should count the per-address request limit per client behind the proxy', async () => {
        const C = '127.0.0.6';
        const D = '127.0.0.7';
        const statuses: number[] = [];
        for (let i = 0; i < 7; i += 1) statuses.push((await send(r.proxy.port, C, 'GET', '/v1/users')).status);
        expect(statuses.slice(0, 6)).toEqual([401, 401, 401, 401, 401, 401]);
        expect(statuses[6]).toBe(429);
        expect((await send(r.proxy.port, D, 'GET', '/v1/users')).status).toBe(401);
      });
    });
  }
});
