import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openDatabase, type Database } from './kysely.js';
import { migrateToLatest } from './migrate.js';

/**
 * A store migrated by an earlier release upgrades in place. Migration numbers are reserved when work starts,
 * so a release can bring 0011 to a store that already ran 0012 (the release of 2026-12-02 did): the
 * migrator runs what is pending, in name order, each once.
 */
const EARLIER_RELEASE = [
  '0001_core',
  '0002_policies',
  '0003_batches',
  '0004_events',
  '0005_mail',
  '0006_contracts',
  '0007_fanout',
  '0008_import_dry_run',
  '0009_api_key_role_id',
  '0010_idempotency_principal',
  '0012_failed_deliveries_index',
  '0014_external_id_unique',
];

const pgUrl = process.env.TEST_DATABASE_URL;

async function openStore(dialect: 'sqlite' | 'postgres'): Promise<{ database: Database; drop: () => Promise<void> }> {
  if (dialect === 'sqlite') {
    const database = openDatabase({ sqlitePath: ':memory:' });
    return { database, drop: () => database.close() };
  }
  const schema = `upgrade_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: pgUrl });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const database = openDatabase({ postgresUrl: pgUrl, postgresSchema: schema, poolSize: 2 });
  return {
    database,
    drop: async () => {
      await database.close();
      const cleanup = new pg.Client({ connectionString: pgUrl });
      await cleanup.connect();
      await cleanup.query(`drop schema ${schema} cascade`);
      await cleanup.end();
    },
  };
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe.skipIf(dialect === 'postgres' && !pgUrl)(`${dialect}: upgrading a store migrated by an earlier release`, () => {
    it('should apply the migrations numbered below ones already run, then nothing on the next start', async () => {
      const { database, drop } = await openStore(dialect);
      try {
        const earlier = await migrateToLatest(database, EARLIER_RELEASE);
        expect(earlier).toEqual(EARLIER_RELEASE);

        const upgrade = await migrateToLatest(database);
        expect(upgrade.length).toBeGreaterThan(0);
        expect(upgrade).toEqual([...upgrade].sort());
        expect(upgrade).toContain('0011_identifier_scope');
        expect(upgrade.some((name) => EARLIER_RELEASE.includes(name))).toBe(false);
        expect(await migrateToLatest(database)).toEqual([]);
      } finally {
        await drop();
      }
    });
  });
}
