import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, processStores, RosterProcesses } from '../testing/roster-process.js';
import { SQLITE_FILE } from './sqlite-backup.js';

/**
 * `roster restore` beside real Roster processes on one SQLite folder: refused while a server or a worker
 * has the store open (the server would go on acknowledging writes into a file no longer in place), and
 * once they are stopped, the store it keeps aside holds every acknowledged write, those still in the WAL too.
 */
const root = path.resolve(import.meta.dirname, '../..');
const sqlite = processStores.find((s) => s.name === 'sqlite');
if (!sqlite) throw new Error('no SQLite process store');

describe('sqlite: roster restore beside running processes', { timeout: 300_000 }, () => {
  let opened: Awaited<ReturnType<NonNullable<typeof sqlite>['open']>>;
  let dataDir: string;
  let procs: RosterProcesses;
  let port: number;
  let backupFile: string;
  const call = () => procs.api(port, 'restore-co');
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      cwd: root,
      env: { ...process.env, ...opened.env, LOG_LEVEL: 'warn' },
      encoding: 'utf8',
    });
  const emailsIn = (file: string): string[] => {
    const db = new SQLite(file, { readonly: true, fileMustExist: true });
    try {
      return (db.prepare('select email from users order by email').all() as Array<{ email: string }>).map((r) => r.email);
    } finally {
      db.close();
    }
  };
  const keptAside = () =>
    fs.readdirSync(dataDir).filter((name) => name.startsWith(`${SQLITE_FILE}.before-restore-`) && !/-(wal|shm)$/.test(name));
  const create = async (email: string) => expect((await call()('POST', '/v1/users', { email })).status).toBe(201);

  beforeAll(async () => {
    opened = await sqlite.open('roster-restore-');
    dataDir = (opened.env as Record<string, string>).ROSTER_DATA_DIR as string;
    backupFile = path.join(dataDir, '..', `${path.basename(dataDir)}-backup.sqlite`);
    procs = new RosterProcesses(opened.env);
    port = await freePort();
    procs.start(port);
    await procs.ready(port);
    expect((await call()('POST', '/v1/tenants', { slug: 'restore-co' })).status).toBe(201);
    for (const name of ['ada', 'bob']) await create(`${name}@acme.com`);
    expect(cli('backup', backupFile).status).toBe(0);
    // A server start and a CLI run: slow on a busy machine, so more than vitest's default hook time.
  }, 180_000);
  afterAll(async () => {
    await procs?.stopAll();
    fs.rmSync(backupFile, { force: true });
    await opened?.drop();
  });

  it('should refuse while a server uses the store, change nothing, and leave the server answering', async () => {
    await create('after-backup@acme.com');
    const restore = cli('restore', backupFile);
    expect(restore.status).toBe(1);
    expect(restore.stderr).toMatch(
      /roster\.sqlite is in use by another process \(a running Roster server or worker.*stop it, then run roster restore again/,
    );
    expect(keptAside()).toEqual([]);
    // The server goes on with the same store: what it acknowledged before is there, and it takes new writes.
    await create('after-refusal@acme.com');
    const listed = (await call()('GET', '/v1/users?limit=50')).body.data as Array<{ email: string }>;
    expect(listed.map((u) => u.email).sort()).toEqual(['ada@acme.com', 'after-backup@acme.com', 'after-refusal@acme.com', 'bob@acme.com']);
  });

  it('should refuse while a `roster worker` alone has the store open', async () => {
    await procs.stopAll();
    const worker: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'worker'], {
      cwd: root,
      env: { ...process.env, ...opened.env, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      await new Promise<void>((resolve, reject) => {
        let out = '';
        worker.stdout?.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes('Roster workers are running')) resolve();
        });
        worker.once('exit', (code) => reject(new Error(`worker exited with ${code}: ${out}`)));
      });
      const restore = cli('restore', backupFile);
      expect([restore.status, restore.stderr]).toEqual([1, expect.stringContaining('is in use by another process')]);
      expect(keptAside()).toEqual([]);
    } finally {
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      worker.kill('SIGTERM');
      await exited;
    }
  });

  it('should restore once the server is gone, keeping aside a store with every acknowledged write, those still in its WAL too', async () => {
    procs.start(port);
    await procs.ready(port);
    await create('last-before-crash@acme.com');
    // A crash (or kill -9) leaves the last writes in the write-ahead log, not yet in the main file.
    const server = procs.children.at(-1) as ChildProcess;
    await procs.stop(server, 'SIGKILL');
    const wal = path.join(dataDir, `${SQLITE_FILE}-wal`);
    expect(fs.existsSync(wal) && fs.statSync(wal).size > 0).toBe(true);

    const restore = cli('restore', backupFile);
    expect(restore.status).toBe(0);
    expect(restore.stdout).toMatch(/^Restored 2 users into .*; the previous store is kept as .*before-restore-/);
    const [previous] = keptAside();
    expect(previous).toBeDefined();
    // The kept-aside store stands alone (its log checkpointed into it) and holds everything the server acknowledged.
    expect(emailsIn(path.join(dataDir, previous as string))).toEqual([
      'ada@acme.com',
      'after-backup@acme.com',
      'after-refusal@acme.com',
      'bob@acme.com',
      'last-before-crash@acme.com',
    ]);
    // The restored store is the backup, with nothing of the old log replayed into it; a server starts on it.
    procs.start(port);
    await procs.ready(port);
    const listed = (await call()('GET', '/v1/users?limit=50')).body.data as Array<{ email: string }>;
    expect(listed.map((u) => u.email).sort()).toEqual(['ada@acme.com', 'bob@acme.com']);
  });
});
