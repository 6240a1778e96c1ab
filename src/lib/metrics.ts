import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one Roster instance (own registry, so several apps can live in one test process). */
export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({
    name: 'roster_http_requests_total',
    help: 'HTTP requests by method, route and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'roster_http_request_duration_seconds',
    help: 'HTTP request latency by method, route and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly usersCreated = new Counter({ name: 'roster_users_created_total', help: 'Users created', registers: [this.registry] });

  constructor(hashQueueDepth: () => number) {
    new Gauge({
      name: 'roster_password_hash_queue_depth',
      help: 'Password hashes queued or running on the thread pool',
      registers: [this.registry],
      collect() {
        this.set(hashQueueDepth());
      },
    });
    collectDefaultMetrics({ register: this.registry, prefix: 'roster_' });
  }
}
