import { Writable } from 'node:stream';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { createCore, type Core } from '../app.js';
import { loadConfig } from '../config/config.js';
import { buildHttpServer } from '../http/server.js';
import { cliPrincipal } from '../cli/cli-context.js';
import { newId } from '../lib/ids.js';
import { until } from './until.js';
import type { ImportJob } from '../modules/imports/import.schemas.js';
import type { TestDialect } from './test-db.js';
import type { Lookup } from '../rules/public-address.js';

/** Captures every log line the app writes, to prove no secret reaches the logs. */
class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }
}

export interface TestApp {
  app: FastifyInstance;
  core: Core;
  logs: LogCapture;
  platformKey: string;
  /** `inject` with a bearer key (and tenant header when given). */
  request(key: string | undefined, options: InjectOptions & { tenant?: string }): Promise<LightMyRequestResponse>;
  /** A new tenant (unique slug) and an API key of it with the given role. */
  tenantWithKey(role?: string): Promise<{ tenantId: string; slug: string; key: string }>;
  /** An API key of the tenant whose role holds exactly `permissions` (custom roles have no API yet). */
  keyWithPermissions(tenantId: string, permissions: string[]): Promise<string>;
  /** GET /v1/imports/:id until the job has ended (completed or failed); its last answer. */
  waitForImport(key: string, id: string): Promise<ImportJob>;
  close(): Promise<void>;
}

let counter = 0;

export async function createTestApp(
  dialect: TestDialect,
  options: { poolSize?: number; env?: Record<string, string>; webhookLookup?: Lookup } = {},
): Promise<TestApp> {
  // Cheap argon2 parameters keep the suite fast; one test checks the configured defaults separately.
  const config = loadConfig({
    LOG_LEVEL: 'info',
    ROSTER_ARGON2_MEMORY_KIB: '1024',
    ROSTER_ARGON2_TIME_COST: '1',
    ROSTER_WEBHOOK_RETRY_SCHEDULE: '50ms,100ms,200ms',
    ROSTER_WEBHOOK_TIMEOUT_MS: '2000',
    ROSTER_WEBHOOK_ALLOW_PRIVATE: 'true',
    ...options.env,
  });
  const database = await dialect.open(options);
  const core = await createCore({
    config,
    database,
    migrate: false,
    importPollMs: 100,
    webhookPollMs: 50,
    mailPollMs: 50,
    webhookLookup: options.webhookLookup,
  });
  core.mailWorker.start();
  core.importWorker.start();
  core.webhookWorker.start();
  const logs = new LogCapture();
  const app = await buildHttpServer(core, config, { logStream: logs });
  const platformKey = (await core.apiKeys.createKey(cliPrincipal, null, { name: 'test-platform' })).secret;

  const request: TestApp['request'] = (key, { tenant, headers, ...rest }) =>
    app.inject({
      ...rest,
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(tenant ? { 'x-roster-tenant': tenant } : {}),
        ...headers,
      },
    });

  return {
    app,
    core,
    logs,
    platformKey,
    request,
    async tenantWithKey(role = 'admin') {
      counter += 1;
      const slug = `t${counter}-${Math.random().toString(36).slice(2, 8)}`;
      const tenant = await core.tenants.createTenant(cliPrincipal, { slug });
      const key = await core.apiKeys.createKey(cliPrincipal, tenant.id, { name: 'test', role });
      return { tenantId: tenant.id, slug, key: key.secret };
    },
    async keyWithPermissions(tenantId, permissions) {
      const name = `custom-${++counter}`;
      await core.database.db
        .insertInto('roles')
        .values({
          tenantId,
          id: newId(),
          name,
          description: 'test role',
          permissions: JSON.stringify(permissions),
          builtin: false,
          createdAt: new Date().toISOString(),
        })
        .execute();
      return (await core.apiKeys.createKey(cliPrincipal, tenantId, { name: 'custom', role: name })).secret;
    },
    async waitForImport(key, id) {
      let job = {} as ImportJob;
      await until(async () => {
        job = (await request(key, { method: 'GET', url: `/v1/imports/${id}` })).json<ImportJob>();
        return job.status === 'completed' || job.status === 'failed';
      }, `import ${id} to finish`);
      return job;
    },
    async close() {
      await app.close();
      await core.close();
    },
  };
}
