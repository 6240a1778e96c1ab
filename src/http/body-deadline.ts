import type { FastifyInstance } from 'fastify';

/** Streamed uploads of any size; their own limits (ROSTER_IMPORT_MAX_BYTES) apply instead. */
const STREAMING = ['/v1/imports'];

/**
 * A client gets ROSTER_REQUEST_TIMEOUT_MS to send its whole request; then it is answered 408 and
 * disconnected. Node's own `requestTimeout` did not cut off a client dripping one byte a second
 * (measured: still connected after 8 s with a 2 s timeout), and idle timeouts never fire for one.
 */
export function registerBodyDeadline(app: FastifyInstance, timeoutMs: number): void {
  app.addHook('onRequest', async (request, reply) => {
    if (STREAMING.some((prefix) => request.url.startsWith(prefix))) return;
    const raw = request.raw;
    const socket = raw.socket as (typeof raw.socket & { destroySoon?: () => void }) | undefined;
    // Injected requests (tests) have no real socket to cut.
    if (raw.complete || !socket || typeof socket.end !== 'function') return;
    const timer = setTimeout(() => {
      if (raw.complete || socket.destroyed || reply.raw.headersSent) return;
      socket.end('HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      socket.destroySoon?.();
    }, timeoutMs);
    timer.unref();
    const clear = () => clearTimeout(timer);
    raw.once('end', clear);
    raw.once('close', clear);
    reply.raw.once('finish', clear);
  });
}
