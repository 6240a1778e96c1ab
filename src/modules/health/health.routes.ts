import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AppError } from '../../errors/app-error.js';
import type { Metrics } from '../../lib/metrics.js';
import { metricsAuthorized, type MetricsAccess } from '../../http/metrics-server.js';

const tags = ['Operations'];
const Status = Type.Object({ status: Type.String() });
const Readiness = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('degraded')], {
    description: '`degraded`: serving, but an optional dependency (Redis) is down',
  }),
  redis: Type.Optional(
    Type.Union([Type.Literal('up'), Type.Literal('down')], {
      description: 'Only with REDIS_URL: `down` while rate limits are counted per process',
    }),
  ),
  readReplica: Type.Optional(
    Type.Union([Type.Literal('in use'), Type.Literal('lagging'), Type.Literal('unreachable'), Type.Literal('starting')], {
      description:
        'Only with DATABASE_READ_URL: `in use` while lists read from the replica; otherwise they read from the primary (the replica lags more than ROSTER_READ_MAX_LAG_SECONDS, does not answer, or was not checked yet)',
    }),
  ),
});

export interface HealthOptions {
  isReady: () => Promise<boolean>;
  metrics: Metrics;
  /** With REDIS_URL: whether the shared rate-limit counters are reachable. */
  redisStatus?: () => 'up' | 'down' | undefined;
  /** With DATABASE_READ_URL: whether lists read from the replica. */
  replicaState?: () => 'in use' | 'lagging' | 'unreachable' | 'starting';
  /** A token for /metrics, or a port of its own (then the API's port does not serve it). */
  metricsAccess?: MetricsAccess;
}

export const healthRoutes: FastifyPluginAsyncTypebox<HealthOptions> = async (
  app,
  { isReady, metrics, redisStatus, replicaState, metricsAccess = { token: undefined, port: undefined } },
) => {
  app.get('/healthz', { schema: { summary: 'Liveness: the process answers', tags, response: { 200: Status } } }, async () => ({
    status: 'ok',
  }));

  // Redis only holds rate-limit counters, and each process counts on its own without it: a Redis outage
  // must not take every process out of the load balancer at once, so it is reported (200 degraded), not failed.
  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Readiness: the database answers',
        description:
          '200 `ready`; 200 `degraded` with `redis: "down"` when REDIS_URL is set and Redis does not answer (requests are served, rate limits counted per process); 503 when the database does not answer.',
        tags,
        response: { 200: Readiness },
      },
    },
    async (_request, reply) => {
      if (!(await isReady().catch(() => false))) {
        // A load balancer or client polling readiness learns when to look again, as on every other 503.
        reply.header('retry-after', '5');
        const replica = replicaState?.();
        throw new AppError('SERVICE_UNAVAILABLE', {
          detail: `The database does not answer${replica === 'in use' ? '; lists are served by the read replica' : ''}`,
        });
      }
      const redis = redisStatus?.();
      const replica = replicaState?.();
      return {
        status: redis === 'down' ? ('degraded' as const) : ('ready' as const),
        ...(redis === undefined ? {} : { redis }),
        ...(replica === undefined ? {} : { readReplica: replica }),
      };
    },
  );

  if (metricsAccess.port !== undefined) return;
  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics',
        description:
          'With ROSTER_METRICS_TOKEN set, needs `Authorization: Bearer <token>`; with ROSTER_METRICS_PORT set, served on that port instead.',
        tags,
      },
    },
    async (request, reply) => {
      if (!metricsAuthorized(metricsAccess, request.headers.authorization))
        throw new AppError('UNAUTHENTICATED', { detail: 'The metrics token is missing or wrong' });
      return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    },
  );
};
