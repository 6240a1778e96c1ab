// Measurements shared by the bench scripts: batches beside a bare insert, CLI imports with peak RSS.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { root } from './lib.mjs';

const COLUMNS = [
  'tenant_id',
  'id',
  'seq',
  'email',
  'email_normalized',
  'given_name',
  'family_name',
  'locale',
  'timezone',
  'active',
  'email_verified',
  'require_password_change',
  'attributes',
  'created_at',
  'updated_at',
  'created_by',
  'version',
];

function bareRows(run, count, bool) {
  const now = new Date().toISOString();
  return Array.from({ length: count }, (_, i) => [
    'bench',
    randomUUID(),
    i + 1,
    `bare${run}-${i}@example.com`,
    `bare${run}-${i}@example.com`,
    'Bench',
    `User ${i}`,
    'en',
    'UTC',
    bool(true),
    bool(false),
    bool(false),
    '{}',
    now,
    now,
    'bench',
    1,
  ]);
}

/** The same 1000 rows as one transaction of two 500-row INSERTs, straight into a copy of the users table. */
export async function bareInsertMs(kind, target, run) {
  if (kind === 'sqlite') {
    const db = new Database(target);
    db.exec('create table if not exists bench_bare as select * from users where 0');
    const rows = bareRows(run, 1000, (b) => (b ? 1 : 0));
    const placeholders = `(${COLUMNS.map(() => '?').join(',')})`;
    const insert = db.prepare(`insert into bench_bare (${COLUMNS.join(',')}) values ${Array(500).fill(placeholders).join(',')}`);
    const started = process.hrtime.bigint();
    db.transaction(() => {
      insert.run(rows.slice(0, 500).flat());
      insert.run(rows.slice(500).flat());
    })();
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    db.close();
    return ms;
  }
  const client = new pg.Client({ connectionString: target });
  await client.connect();
  await client.query('create table if not exists bench_bare (like users including defaults)');
  const rows = bareRows(run, 1000, (b) => b);
  const sqlFor = (n) =>
    `insert into bench_bare (${COLUMNS.join(',')}) values ${Array.from({ length: n }, (_, r) => `(${COLUMNS.map((_, c) => `$${r * COLUMNS.length + c + 1}`).join(',')})`).join(',')}`;
  const started = process.hrtime.bigint();
  await client.query('begin');
  await client.query(sqlFor(500), rows.slice(0, 500).flat());
  await client.query(sqlFor(500), rows.slice(500).flat());
  await client.query('commit');
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  await client.end();
  return ms;
}

/** One POST /v1/users/batch of 1000 users, timed from the client. */
export async function batchMs(roster, run, withPassword) {
  const users = Array.from({ length: 1000 }, (_, i) => ({
    email: `b${run}-${i}@example.com`,
    givenName: 'Bench',
    familyName: `User ${i}`,
    ...(withPassword ? { password: `pw-${run}-${i}-long-enough` } : {}),
  }));
  const started = process.hrtime.bigint();
  const result = await roster.call('POST', '/v1/users/batch', { users, mode: 'partial' });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.created !== 1000) throw new Error(`batch created ${result.created} of 1000`);
  return ms;
}

/** A CSV of `rows` users (no passwords), written in 1 MiB pieces. */
export function writeCsv(dir, rows) {
  const file = path.join(dir, `users-${rows}.csv`);
  const fd = fs.openSync(file, 'w');
  fs.writeSync(fd, 'email,givenName,familyName,externalId,phone,locale\n');
  let chunk = '';
  for (let i = 0; i < rows; i++) {
    chunk += `user${i}@example.com,Given ${i},Family ${i % 997},ext-${i},+1 415 555 ${String(i % 10000).padStart(4, '0')},en-US\n`;
    if (chunk.length > 1 << 20) {
      fs.writeSync(fd, chunk);
      chunk = '';
    }
  }
  fs.writeSync(fd, chunk);
  fs.closeSync(fd);
  return file;
}

/** `roster import` of a generated CSV into tenant `bench`, timed from outside, peak RSS from GNU time. */
export function cliImport(label, env, rows, dir) {
  const cli = path.join(root, 'dist/cli/main.js');
  const file = writeCsv(dir, rows);
  const fullEnv = { ...process.env, ...env, LOG_LEVEL: 'warn' };
  execFileSync(process.execPath, [cli, 'tenants', 'create', 'bench'], { env: fullEnv, stdio: 'ignore' });
  const started = Date.now();
  const result = spawnSync('/usr/bin/time', ['-f', 'maxrss_kib=%M', process.execPath, cli, 'import', file, '--tenant', 'bench', '--json'], {
    env: fullEnv,
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  const seconds = (Date.now() - started) / 1000;
  fs.rmSync(file, { force: true });
  const totals = JSON.parse(result.stdout);
  const rss = Number(/maxrss_kib=(\d+)/.exec(result.stderr)?.[1] ?? 0) / 1024;
  return { label, rows, created: totals.created, failed: totals.failed, seconds, rate: rows / seconds, rss };
}
