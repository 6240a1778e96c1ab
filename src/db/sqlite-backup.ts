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

/** Raised when another process (a server, a worker, a backup) has the store open: nothing was changed. */
export class StoreInUseError extends Error {
  constructor(file: string) {
    super(
      `${file} is in use by another process (a running Roster server or worker, or a backup): stop it, then run roster restore again. ` +
        'Nothing was changed.',
    );
    this.name = 'StoreInUseError';
  }
}

/**
 * Opens the store alone: with SQLite's exclusive locking mode the first read takes a lock that no other
 * connection can share, and it fails at once (busy) while any other process has the store open, as every
 * Roster server and worker does for as long as it runs. SQLite's own locks see every process on this
 * machine, live or just started, with no pid file to go stale.
 */
function openAlone(file: string): SQLite.Database {
  const db = new SQLite(file, { fileMustExist: true, timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.prepare('select count(*) from sqlite_master').get();
    return db;
  } catch (error) {
    db.close();
    if ((error as { code?: string }).code === 'SQLITE_BUSY' || (error as { code?: string }).code === 'SQLITE_LOCKED')
      throw new StoreInUseError(file);
    throw error;
  }
}

/**
 * Puts a backup in place as the store of `dataDir`. The backup is checked first. A store in use by a
 * running server is refused (its later writes would go to a file no longer in place, and be lost). An
 * existing store is kept aside, complete, as `roster.sqlite.before-restore-<time>`: its write-ahead log
 * is checkpointed into it first, while the store is held alone, so writes not yet checkpointed are kept.
 * @throws StoreInUseError while another process has the store open.
 */
export function restoreSqlite(backup: string, dataDir: string): { users: number; previous: string | undefined } {
  if (!fs.existsSync(backup)) throw new Error(`No file ${backup}`);
  const integrity = integrityOf(backup);
  if (integrity !== 'ok') throw new Error(`${backup} failed its integrity check: ${integrity}`);
  fs.mkdirSync(dataDir, { recursive: true });
  const target = path.join(dataDir, SQLITE_FILE);
  const staging = `${target}.restoring`;
  fs.copyFileSync(backup, staging);
  let previous: string | undefined;
  const current = fs.existsSync(target) ? openAlone(target) : undefined;
  try {
    if (current) {
      // Every committed write moves from the log into the file, and the file leaves WAL mode: it stands alone.
      current.pragma('wal_checkpoint(TRUNCATE)');
      current.pragma('journal_mode = DELETE');
      previous = `${target}.before-restore-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      // A second name for the old file, then one atomic rename over the first: there is never a moment
      // without a store at `target` in which a starting server would create an empty one.
      try {
        fs.linkSync(target, previous);
      } catch {
        fs.copyFileSync(target, previous); // a file system without hard links; the file is held and complete
      }
    }
    // What is left of the old store's log and index belongs to the old file (beside the new one, SQLite
    // would replay it into it): it goes aside with that file, never deleted.
    for (const suffix of ['-wal', '-shm']) {
      if (!fs.existsSync(`${target}${suffix}`)) continue;
      if (previous) fs.renameSync(`${target}${suffix}`, `${previous}${suffix}`);
      else fs.renameSync(`${target}${suffix}`, `${target}${suffix}.orphan-${Date.now()}`);
    }
    fs.renameSync(staging, target);
  } catch (error) {
    fs.rmSync(staging, { force: true });
    throw error;
  } finally {
    // Held until the new store is in place: a server starting meanwhile waits on the old file's lock.
    current?.close();
  }
  return { users: countUsers(target), previous };
}
