import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';

export const SQLITE_FILE = 'roster.sqlite';

/** `ok` from SQLite's own check of every page and index, or the first problems it found. */
function integrityOf(file: string): string {
  const db = new SQLite(file, { readonly: true, fileMustExist: true });
  try {
    return (db.pragma('integrity_check') as Array<{ integrity_check: string }>).map((r) => r.integrity_check).join('; ');
  } finally {
    db.close();
  }
}

/**
 * Copies the SQLite store of `dataDir` to `destination` with SQLite's online backup API: the server
 * may keep running and writing; the copy is one consistent moment. The copy is checked before it counts.
 * @returns the number of users in the copy (live or deleted), for the operator to compare.
 */
export async function backupSqlite(dataDir: string, destination: string): Promise<{ users: number }> {
  const source = path.join(dataDir, SQLITE_FILE);
  if (!fs.existsSync(source)) throw new Error(`No SQLite database at ${source}`);
  if (fs.existsSync(destination)) throw new Error(`${destination} exists; choose a new file`);
  const db = new SQLite(source, { fileMustExist: true });
  try {
    await db.backup(destination);
  } finally {
    db.close();
  }
  const integrity = integrityOf(destination);
  if (integrity !== 'ok') throw new Error(`The backup failed its integrity check: ${integrity}`);
  return { users: countUsers(destination) };
}

function countUsers(file: string): number {
  const db = new SQLite(file, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('select count(*) as n from users').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/**
 * Puts a backup in place as the store of `dataDir`. Run it with the server stopped. The backup is
 * checked first; an existing store is kept aside as `roster.sqlite.before-restore-<time>` rather than
 * overwritten, unless there is none.
 */
export function restoreSqlite(backup: string, dataDir: string): { users: number; previous: string | undefined } {
  if (!fs.existsSync(backup)) throw new Error(`No file ${backup}`);
  const integrity = integrityOf(backup);
  if (integrity !== 'ok') throw new Error(`${backup} failed its integrity check: ${integrity}`);
  fs.mkdirSync(dataDir, { recursive: true });
  const target = path.join(dataDir, SQLITE_FILE);
  let previous: string | undefined;
  if (fs.existsSync(target)) {
    previous = `${target}.before-restore-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    fs.renameSync(target, previous);
  }
  // The old store's write-ahead log belongs to the old file; left beside the new one it would corrupt it.
  for (const suffix of ['-wal', '-shm']) fs.rmSync(`${target}${suffix}`, { force: true });
  const staging = `${target}.restoring`;
  fs.copyFileSync(backup, staging);
  fs.renameSync(staging, target);
  return { users: countUsers(target), previous };
}
