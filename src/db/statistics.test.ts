import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzedSince, databaseNow } from '../testing/pg-statistics.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { testDialects } from '../testing/test-db.js';
import { until } from '../testing/until.js';
import { StatisticsKeeper } from './statistics.js';

const postgres = testDialects.find((d) => d.name === 'postgres');

describe.skipIf(!postgres?.available)('postgres: StatisticsKeeper', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(postgres!);
  });
  afterAll(async () => t?.close());

  it('should analyze after 500, 1,000, 2,000 … rows written, and start none once lastAt rows were written', async () => {
    const db = t.core.database.db;
    const errors: unknown[] = [];
    const keeper = new StatisticsKeeper(db, (e) => errors.push(e), ['users'], 4_000);
    await sql`analyze users`.execute(db);
    const since = await databaseNow(db);

    keeper.rowsWritten(499);
    expect(keeper.analysesStarted).toBe(0);
    keeper.rowsWritten(1);
    expect(keeper.analysesStarted).toBe(1);
    await keeper.settle();
    await until(() => analyzedSince(db, 'users', since), 'users to be analyzed', 60_000);

    const written = [500, 1_000, 2_000];
    for (const rows of written) {
      keeper.rowsWritten(rows);
      await keeper.settle();
    }
    // 1,000, 2,000 and 4,000 rows written: one each, the last at lastAt.
    expect(keeper.analysesStarted).toBe(4);
    for (let i = 0; i < 5; i++) {
      keeper.rowsWritten(100_000);
      await keeper.settle();
    }
    expect(keeper.analysesStarted).toBe(4);
    expect(errors).toEqual([]);
  });

  it('should start no second ANALYZE while one runs, and take the next doubling once it is done', async () => {
    const keeper = new StatisticsKeeper(t.core.database.db, () => undefined, ['users'], 1_000_000);
    keeper.rowsWritten(500);
    keeper.rowsWritten(1_000);
    expect(keeper.analysesStarted).toBe(1);
    await keeper.settle();
    keeper.rowsWritten(1);
    expect(keeper.analysesStarted).toBe(2);
    await keeper.settle();
  });
});
