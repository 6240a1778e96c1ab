import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AppError } from '../../errors/app-error.js';
import type { Metrics } from '../../lib/metrics.js';

const tags = ['Operations'];
const Status = Type.Object({ status: Type.String() });

export const healthRoutes: FastifyPluginAsyncTypebox<{ isReady: () => Promise<boolean>; metrics: Metrics }> = async (app, { isReady, metrics }) => {
  app.get('/healthz', { schema: { summary: 'Liveness: the process answers', tags, response: { 200: Status } } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { summary: 'Readiness: the database answers', tags, response: { 200: Status } } }, async () => {
    if (!(await isReady().catch(() => false))) throw new AppError('SERVICE_UNAVAILABLE', { detail: 'The database does not answer' });
    return { status: 'ready' };
  });

  app.get('/metrics', { schema: { summary: 'Prometheus metrics', tags } }, async (_request, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
};
