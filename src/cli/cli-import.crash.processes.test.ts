import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';

// `roster import` on SQLite writes each batch in a transaction of its own on the writer thread, and posts
// the next batch before the previous one's answer is back (a speculative transaction, committed by the
// thread only once the batch it names committed). A SIGKILL may land anywhere in that pipeline; what is
// on disk afterwards must be whole batches only (every user with its identifier, role and event), and
// running the same file again must create exactly the rows that are missing.

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'roster-cli-crash-'));
const root = path.resolve(import.meta.dirname, '../..');
const env: NodeJS.ProcessEnv = {
  ...process.env,
  ROSTER_DATA_DIR: dataDir,
  DATABASE_URL: '',
  ROSTER_URL: '',
  ROSTER_KEY: '',
  ROSTER_PROFILE: '',
  ROSTER_CONFIG: path.join(dataDir, 'no-profiles.json'),
};
// The writer thread is what `roster import` takes on SQLite unless this says otherwise.
delete env.ROSTER_SQLITE_WRITER;
const cli = ['--import', 'tsx', 'src/cli/main.ts'];

function roster(args: string[]) {
  const result = spawnSync(process.execPath, [...cli, ...args], { cwd: root, env, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Starts `roster import` and SIGKILLs it as soon as its progress reports a created user (a committed batch). */
async function importKilledOnceCreating(csv: string): Promise<NodeJS.Signals | null> {
  const child = spawn(process.execPath, [...cli, 'import', csv, '--tenant', 'crash-co'], {
    cwd: root,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let reported = '';
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => {
    reported += text;
    // A progress line (`N rows  M ok  F failed …`) is printed once a batch's transaction committed.
    const created = [...reported.matchAll(/ rows {2}([\d,]+) ok /g)].some((m) => m[1] !== '0');
    if (created && child.exitCode === null) child.kill('SIGKILL');
  });
  return exited;
}

/** What the store holds for the tenant, read by a separate connection as any other process would. */
function stored() {
  const db = new Database(path.join(dataDir, 'roster.sqlite'), { readonly: true });
  try {
    const tenantId = (db.prepare(`select id from tenants where slug = 'crash-co'`).get() as { id: string }).id;
    const count = (query: string) => (db.prepare(query).get({ t: tenantId }) as { n: number }).n;
    return {
      users: count(`select count(*) as n from users where tenant_id = @t`),
      distinctEmails: count(`select count(distinct email) as n from users where tenant_id = @t`),
      identifiers: count(`select count(*) as n from user_identifiers where tenant_id = @t`),
      roles: count(`select count(*) as n from user_roles where tenant_id = @t`),
      created: count(`select count(*) as n from events where tenant_id = @t and type = 'user.created'`),
      usersWithoutEvent: count(
        `select count(*) as n from users u where u.tenant_id = @t and not exists
           (select 1 from events e where e.tenant_id = @t and e.type = 'user.created' and e.resource_id = u.id)`,
      ),
    };
  } finally {
    db.close();
  }
}

function expectWholeBatches(state: ReturnType<typeof stored>) {
  // Every row of the file is valid, so each committed batch holds exactly 500 users (the default batch size).
  expect(state.users % 500).toBe(0);
  expect(state.distinctEmails).toBe(state.users);
  expect(state.identifiers).toBe(state.users);
  expect(state.roles).toBe(state.users);
  expect(state.created).toBe(state.users);
  expect(state.usersWithoutEvent).toBe(0);
}

describe('roster import (SQLite, writer thread) killed in the middle', { timeout: 900_000 }, () => {
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('should keep whole batches only, and a re-run should create each missing row once', async () => {
    expect(roster(['migrate']).status).toBe(0);
    expect(roster(['tenants', 'create', 'crash-co']).status).toBe(0);
    const rows = 60_000;
    const csv = path.join(dataDir, 'people.csv');
    const lines = ['email,givenName,familyName,roles'];
    // Family names in random order, as real ones arrive: each batch touches pages all over their index.
    for (let i = 0; i < rows; i++) lines.push(`crash${i}@example.com,Ada,${Math.random().toString(36).slice(2, 10)},user`);
    fs.writeFileSync(csv, `${lines.join('\n')}\n`);

    expect(await importKilledOnceCreating(csv)).toBe('SIGKILL');
    const afterFirst = stored();
    expect(afterFirst.users).toBeGreaterThan(0);
    expect(afterFirst.users).toBeLessThan(rows);
    expectWholeBatches(afterFirst);

    // A second run is killed too, once it writes new rows: its first batches are all duplicates (refused row by row).
    expect(await importKilledOnceCreating(csv)).toBe('SIGKILL');
    const afterSecond = stored();
    expect(afterSecond.users).toBeGreaterThan(afterFirst.users);
    expect(afterSecond.users).toBeLessThan(rows);
    expectWholeBatches(afterSecond);

    const last = roster(['import', csv, '--tenant', 'crash-co', '--json']);
    const totals = JSON.parse(last.stdout) as { processed: number; created: number; failed: number };
    expect(totals).toEqual({ processed: rows, created: rows - afterSecond.users, failed: afterSecond.users });
    const final = stored();
    expect(final.users).toBe(rows);
    expectWholeBatches(final);
  });
});
