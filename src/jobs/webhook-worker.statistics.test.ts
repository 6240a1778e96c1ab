import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzedSince, databaseNow } from '../testing/pg-statistics.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { testDialects } from '../testing/test-db.js';
import { until } from '../testing/until.js';

const postgres = testDialects.find((d) => d.name === 'postgres');

/**
 * A burst of deliveries on PostgreSQL: with the statistics of an empty delivery table, one claim over
 * 60,000 pending deliveries took 176 s (the order check read every pending delivery of the webhook for
 * each one). The worker has the table analyzed as its fan-out fills it (StatisticsKeeper).
 */
describe.skipIf(!postgres?.available)('postgres: statistics of the webhook delivery table', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(postgres!);
  });
  afterAll(async () => t?.close());

  it('should have the delivery table analyzed once a fan-out queued hundreds of deliveries', async () => {
    const db = t.core.database.db;
    await sql`analyze webhook_deliveries`.execute(db);
    const since = await databaseNow(db);
    const { key } = await t.tenantWithKey();
    const hook = await t.request(key, {
      method: 'POST',
      url: '/v1/webhooks',
      payload: { url: 'http://127.0.0.1:9/never-called', eventTypes: ['user.created'] },
    });
    expect(hook.statusCode, hook.body).toBe(201);
    const users = Array.from({ length: 600 }, (_, i) => ({ email: `burst${i}@example.com` }));
    const res = await t.request(key, { method: 'POST', url: '/v1/users/batch', payload: { users } });
    expect(res.statusCode, res.body).toBe(200);

    await until(
      async () =>
        Number(
          (
            await db
              .selectFrom('webhookDeliveries')
              .select((eb) => eb.fn.countAll().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        ) >= 600,
      'the fan-out to queue 600 deliveries',
      60_000,
    );
    await until(() => analyzedSince(db, 'webhook_deliveries', since), 'the delivery table to be analyzed', 60_000);
  });
});
