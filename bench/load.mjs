// One load generator for every target (Roster, the minimal-route ceiling, the peers): autocannon,
// loopback only, bounded by DURATION seconds; every request creates a distinct user.
import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';

/** How each target takes a create: path and body. Emails are distinct per request. */
export const profiles = {
  roster: {
    path: '/v1/users',
    body: (email, n, password) => ({ email, givenName: 'Bench', familyName: `User ${n}`, ...(password ? { password } : {}) }),
  },
  ceiling: { path: '/v1/users', body: (email, n) => ({ email, givenName: 'Bench', familyName: `User ${n}` }) },
  directus: {
    path: '/users',
    body: (email, n, password, role) => ({ email, first_name: 'Bench', last_name: `User ${n}`, role, ...(password ? { password } : {}) }),
  },
  'better-auth': {
    path: '/api/auth/admin/create-user',
    body: (email, n, password) => ({ email, name: `Bench User ${n}`, role: 'user', ...(password ? { password } : {}) }),
  },
};

/**
 * Creates for `duration` seconds with `connections` in flight.
 * @returns {{ perSecond: number, ok: number, non2xx: number, p50: number, p99: number }}
 */
export function createLoad({ base, token, profile, connections, duration, withPassword = false, role, headers = {} }) {
  const { path, body } = profiles[profile];
  const run = randomBytes(4).toString('hex');
  let n = 0;
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: `${base}${path}`,
        method: 'POST',
        connections,
        duration,
        timeout: 60,
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
        requests: [
          {
            setupRequest(req) {
              n += 1;
              return {
                ...req,
                body: JSON.stringify(body(`c${run}-${n}@example.com`, n, withPassword ? `pw-${run}-${n}-long-enough` : undefined, role)),
              };
            },
          },
        ],
      },
      (error, r) =>
        error
          ? reject(error)
          : resolve({
              perSecond: r['2xx'] / duration,
              ok: r['2xx'],
              non2xx: r.non2xx + r.errors + r.timeouts,
              p50: r.latency.p50,
              p99: r.latency.p99,
            }),
    );
  });
}

/** GET `path` for `duration` seconds with `connections` in flight: latency percentiles. */
export function readLoad({ base, token, path, connections = 1, duration, headers = {} }) {
  return new Promise((resolve, reject) => {
    autocannon({ url: `${base}${path}`, connections, duration, headers: { authorization: `Bearer ${token}`, ...headers } }, (error, r) =>
      error
        ? reject(error)
        : resolve({ perSecond: r['2xx'] / duration, ok: r['2xx'], non2xx: r.non2xx + r.errors, p50: r.latency.p50, p99: r.latency.p99 }),
    );
  });
}
