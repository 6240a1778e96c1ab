import http from 'node:http';
import { timingSafeEqual, createHash } from 'node:crypto';
import type { Metrics } from '../lib/metrics.js';

/** Where `/metrics` is served and who may read it (README: ROSTER_METRICS_PORT, ROSTER_METRICS_TOKEN). */
export interface MetricsAccess {
  /** A bearer token Prometheus must send; unset: anyone who reaches the port may read. */
  token: string | undefined;
  /** A port of its own (on HOST); unset: the API's port. */
  port: number | undefined;
}

/** Whether an Authorization header carries the metrics token; compared in constant time. */
export function metricsAuthorized(access: MetricsAccess, authorization: string | undefined): boolean {
  if (access.token === undefined) return true;
  const match = /^bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!match) return false;
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(match[1] as string), digest(access.token));
}

/**
 * `/metrics` on a port of its own, so that it can stay on an internal interface while the API is
 * public. A plain node:http server: it serves one read-only route and needs none of the API's stack.
 */
export async function startMetricsServer(
  metrics: Metrics,
  access: MetricsAccess & { port: number },
  host: string,
): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0];
    if (request.method !== 'GET' || path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Not found\n');
      return;
    }
    if (!metricsAuthorized(access, request.headers.authorization)) {
      response.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' }).end('Unauthorized\n');
      return;
    }
    metrics.registry.metrics().then(
      (body) => response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(body),
      () => response.writeHead(500, { 'content-type': 'text/plain' }).end('Metrics failed\n'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(access.port, host, () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : access.port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
