#!/usr/bin/env node
// Batch creates over HTTP: POST /v1/users/batch with 1000 users without passwords (beside the time of a
// bare multi-row insert of equivalent rows into the same database, for the ratio) and with passwords
// (beside the machine's argon2id rate). SQLite always; PostgreSQL too with BENCH_DATABASE_URL.
//
//   npm run build && node bench/batch.mjs
//   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres node bench/batch.mjs
//
// Knobs: REPEAT (default 3), ROSTER_ARGON2_* (as the server).
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { argon2, argon2HashesPerSecond, median, scratchPostgres, startRoster } from './lib.mjs';

const REPEAT = Number(process.env.REPEAT ?? 3);
const COLUMNS = ['tenant_id', 'id', 'seq', 'email', 'email_normalized', 'given_name', 'family_name', 'locale', 'timezone', 'active', 'email_verified', 'require_password_change', 'attributes', 'created_at', 'updated_at', 'created_by', 'version'];

function bareRows(run, count, bool) {
  const now = new Date().toISOString();
  return Array.from({ length: count }, (_, i) => [
    'bench', randomUUID(), i + 1, `bare${run}-${i}@example.com`, `bare${run}-${i}@example.com`, 'Bench', `User ${i}`, 'en', 'UTC', bool(true), bool(false), bool(false), '{}', now, now, 'bench', 1,
  ]);
}

/** The same 1000 rows as one transaction of two 500-row INSERTs, straight into a copy of the users table. */
async function bareInsertMs(kind, target, run) {
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
  const sqlFor = (n) => `insert into bench_bare (${COLUMNS.join(',')}) values ${Array.from({ length: n }, (_, r) => `(${COLUMNS.map((_, c) => `$${r * COLUMNS.length + c + 1}`).join(',')})`).join(',')}`;
  const started = process.hrtime.bigint();
  await client.query('begin');
  await client.query(sqlFor(500), rows.slice(0, 500).flat());
  await client.query(sqlFor(500), rows.slice(500).flat());
  await client.query('commit');
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  await client.end();
  return ms;
}

async function batchMs(roster, run, withPassword) {
  const users = Array.from({ length: 1000 }, (_, i) => ({
    email: `b${run}-${i}@example.com`, givenName: 'Bench', familyName: `User ${i}`, ...(withPassword ? { password: `pw-${run}-${i}-long-enough` } : {}),
  }));
  const started = process.hrtime.bigint();
  const result = await roster.call('POST', '/v1/users/batch', { users, mode: 'partial' });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.created !== 1000) throw new Error(`batch created ${result.created} of 1000`);
  return ms;
}

async function benchDatabase(label, env, kind, target) {
  const roster = await startRoster(env);
  try {
    await batchMs(roster, 'warm', false);
    const plain = [];
    const bare = [];
    for (let i = 0; i < REPEAT; i++) {
      const run = randomBytes(3).toString('hex');
      plain.push(await batchMs(roster, run, false));
      bare.push(await bareInsertMs(kind, target, run));
    }
    const hashed = await batchMs(roster, randomBytes(3).toString('hex'), true);
    return { label, plain: median(plain), bare: median(bare), hashed };
  } finally {
    await roster.stop();
  }
}

const results = [];
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'roster-bench-'));
results.push(await benchDatabase('SQLite', { ROSTER_DATA_DIR: dataDir, DATABASE_URL: '' }, 'sqlite', path.join(dataDir, 'roster.sqlite')));
fs.rmSync(dataDir, { recursive: true, force: true });
if (process.env.BENCH_DATABASE_URL) {
  const scratch = await scratchPostgres(process.env.BENCH_DATABASE_URL);
  try {
    results.push(await benchDatabase('PostgreSQL', { DATABASE_URL: scratch.url }, 'postgres', scratch.url));
  } finally {
    await scratch.drop();
  }
}
const hashes = await argon2HashesPerSecond();

console.log(`\nBatches of 1000 users (median of ${REPEAT}), ${os.cpus().length} cores, Node ${process.version}`);
console.log('\n| database | batch, no passwords | bare multi-row insert | ratio | batch, 1000 passwords | 1000 / argon2 rate |\n|---|---|---|---|---|---|');
for (const r of results) {
  console.log(`| ${r.label} | ${r.plain.toFixed(0)} ms | ${r.bare.toFixed(1)} ms | ${(r.plain / r.bare).toFixed(1)}× | ${(r.hashed / 1000).toFixed(2)} s | ${(1000 / hashes).toFixed(2)} s |`);
}
console.log(`\nargon2id alone (m=${argon2.memoryCost} KiB, t=${argon2.timeCost}, p=${argon2.parallelism}), 4 in flight: ${hashes.toFixed(1)} hashes/s`);
