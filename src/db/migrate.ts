import { Migrator, type Migration, type MigrationProvider } from 'kysely';
import type { Database } from './kysely.js';
import * as m0001 from './migrations/0001_core.js';
import * as m0002 from './migrations/0002_policies.js';
import * as m0003 from './migrations/0003_batches.js';
import * as m0004 from './migrations/0004_events.js';
import * as m0005 from './migrations/0005_mail.js';
import * as m0006 from './migrations/0006_contracts.js';
import * as m0007 from './migrations/0007_fanout.js';
import * as m0008 from './migrations/0008_import_dry_run.js';
import * as m0009 from './migrations/0009_api_key_role_id.js';
import * as m0010 from './migrations/0010_idempotency_principal.js';
import * as m0011 from './migrations/0011_identifier_scope.js';
import * as m0012 from './migrations/0012_failed_deliveries_index.js';
import * as m0013 from './migrations/0013_role_display_name.js';
import * as m0014 from './migrations/0014_external_id_unique.js';
import * as m0015 from './migrations/0015_import_modes.js';
import * as m0016 from './migrations/0016_webhook_ordering.js';
import * as m0017 from './migrations/0017_user_list_sort.js';

// One line per migration, so that changes made side by side do not touch the same line.
const migrations = {
  '0001_core': m0001,
  '0002_policies': m0002,
  '0003_batches': m0003,
  '0004_events': m0004,
  '0005_mail': m0005,
  '0006_contracts': m0006,
  '0007_fanout': m0007,
  '0008_import_dry_run': m0008,
  '0009_api_key_role_id': m0009,
  '0010_idempotency_principal': m0010,
  '0011_identifier_scope': m0011,
  '0012_failed_deliveries_index': m0012,
  '0013_role_display_name': m0013,
  '0014_external_id_unique': m0014,
  '0015_import_modes': m0015,
  '0016_webhook_ordering': m0016,
  '0017_user_list_sort': m0017,
};

/** Migrations are imported statically (not read from a folder) so they survive bundling and `dist/`. */
export class StaticMigrationProvider implements MigrationProvider {
  /** @param names only these migrations (an older release's set, for upgrade tests); all when absent */
  constructor(
    private readonly database: Database,
    private readonly names?: readonly string[],
  ) {}

  getMigrations(): Promise<Record<string, Migration>> {
    const dialect = this.database.dialect;
    const chosen = Object.entries(migrations).filter(([name]) => !this.names || this.names.includes(name));
    return Promise.resolve(Object.fromEntries(chosen.map(([name, m]) => [name, { up: (db) => m.up(db, dialect) }])));
  }
}

/**
 * Brings the schema up to date. Safe to run from several processes at once: Kysely takes a lock.
 * @param only apply only these (an older release's set, for upgrade tests)
 * @returns the names of the migrations this call applied.
 */
export async function migrateToLatest(database: Database, only?: readonly string[]): Promise<string[]> {
  // Migrations write snake_case themselves, so they run without the CamelCasePlugin.
  // With an explicit schema, Kysely must be told: its check for its own tables otherwise looks in every schema.
  const migrator = new Migrator({
    db: database.db.withoutPlugins(),
    provider: new StaticMigrationProvider(database, only),
    // Numbers are reserved when work starts, so a release can bring a lower number than one a store already
    // ran (0011 after 0012). Pending migrations still run in name order, each once.
    allowUnorderedMigrations: true,
    ...(database.schema ? { migrationTableSchema: database.schema } : {}),
  });
  for (let attempt = 1; ; attempt++) {
    const { error, results } = await migrator.migrateToLatest();
    if (!error) return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    if (!(attempt < 10 && droppedMeanwhile(error, database.schema))) throw error;
    await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
  }
}

/**
 * Kysely looks for its own tables by reading every schema's tables (`has_schema_privilege` on each name) before
 * it takes its lock: a schema another client drops during that read fails it with 3F000 naming that schema
 * (seen in CI, where test files drop theirs as they end). Nothing ran yet, so it is tried again a little later.
 */
function droppedMeanwhile(error: unknown, ours: string | undefined): boolean {
  const { code, message } = error as { code?: unknown; message?: unknown };
  return code === '3F000' && typeof message === 'string' && (ours === undefined || !message.includes(`"${ours}"`));
}
