import { createCore } from '../../app.js';
import { loadConfig } from '../../config/config.js';
import { openDatabase } from '../../db/kysely.js';
import { buildHttpServer } from '../server.js';

/**
 * The document /openapi.json serves, built without a network server or a real store: the routes are
 * registered over a throw-away in-memory SQLite database and never called. For the linter and the
 * typed-client check, which must see exactly what a running server serves.
 */
export async function buildOpenApiDocument(version?: string): Promise<Record<string, unknown>> {
  const config = loadConfig({ LOG_LEVEL: 'silent' });
  const core = await createCore({ config, database: openDatabase({ sqlitePath: ':memory:' }) });
  try {
    const app = await buildHttpServer(core, config, version ? { version } : {});
    try {
      await app.ready();
      return app.swagger() as unknown as Record<string, unknown>;
    } finally {
      await app.close();
    }
  } finally {
    await core.close();
  }
}
