import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import type { Database } from '../db/kysely.js';
import { openSqlite } from '../db/sqlite-open.js';

/**
 * Two connections to one fresh SQLite file, as the server's and its import thread's (or another
 * process's), closed and removed after the calling `describe`'s tests. Call it inside the `describe`.
 */
export function sqlitePair(name: string): { file: string; first: Database; second: Database } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `roster-${name}-`));
  const file = path.join(dir, `${name}.sqlite`);
  const first = openSqlite(file, 'inline');
  const second = openSqlite(file, 'inline');
  afterAll(async () => {
    await first.close();
    await second.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return { file, first, second };
}
