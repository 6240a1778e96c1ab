import type { FastifyInstance, FastifyRequest } from 'fastify';
import { READ_ROUTES, RecentWriters, runInReadScope, setReadStage } from '../db/read-replica.js';

function actorOf(request: FastifyRequest): string | undefined {
  const principal = request.principal;
  return principal ? `${principal.kind}:${principal.id}` : undefined;
}

/**
 * With DATABASE_READ_URL: opens a read scope (src/db/read-replica.ts) around the listed read routes, so
 * their handlers read from the replica, and keeps a credential that wrote through this process in the
 * last `stickySeconds` on the primary. Registered on the root before any route.
 */
export function registerReadRouting(app: FastifyInstance, stickySeconds: number): void {
  const writers = new RecentWriters(stickySeconds * 1000);
  // Callback style: the hooks, handler and hooks after it run inside the scope (as @fastify/request-context does).
  app.addHook('onRequest', (request, _reply, done) => {
    if (READ_ROUTES.has(`${request.method} ${request.routeOptions.url ?? ''}`)) runInReadScope('auth', done);
    else done();
  });
  // After authentication (onRequest hooks of the scopes): the handler reads from the replica, unless this
  // credential has just written (it reads its own writes back from the primary).
  app.addHook('preHandler', async (request) => {
    const actor = actorOf(request);
    setReadStage(actor !== undefined && writers.wroteRecently(actor) ? 'primary' : 'read');
  });
  app.addHook('onResponse', async (request, reply) => {
    if (request.method === 'GET' || request.method === 'HEAD' || reply.statusCode >= 500) return;
    const actor = actorOf(request);
    if (actor !== undefined) writers.wrote(actor);
  });
}
