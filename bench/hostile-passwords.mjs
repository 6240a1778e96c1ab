#!/usr/bin/env node
// One tenant's batch of long, structured passwords (the strength estimate's worst inputs: l33t, repeats,
// sequences, dates, dictionary words, keyboard walks, 256 bytes each) against another tenant's reads:
// GET /v1/users latency of tenant "victim", one request in flight, while tenant "bench" runs
// POST /v1/users/batch. Reports the reads' p50/p99/max beside the same reads on an idle server, and the
// batch's time. SQLite always; PostgreSQL too with BENCH_DATABASE_URL.
//
//   npm run build && node bench/hostile-passwords.mjs
//   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres node bench/hostile-passwords.mjs
//
// Knobs: BATCH (items, default 1000), ROSTER_ARGON2_* (as the server).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { scratchPostgres, startRoster } from './lib.mjs';

const BATCH = Number(process.env.BATCH ?? 1000);
const LENGTH = 256;

/** Shapes that make zxcvbn find many overlapping matches; each item differs in its last characters. */
const SHAPES = [
  'p4$$w0rd@!1',
  'P@55w0rd!',
  '0123456789',
  '19/04/1987',
  '1987041920011231',
  'abcdefghijklmnopqrstuvwxyz',
  'qwertyuiop[]asdfghjkl;zxcvbnm,./',
  '1qaz2wsx3edc4rfv5tgb',
  'passwordmonkeydragonletmein',
  'p@ssw0rdm0nk3yl3tm31n',
  'Tr0ub4dor&3qwerty1987',
  'ab',
];
const hostile = (i) => {
  const shape = SHAPES[i % SHAPES.length];
  return `${shape.repeat(Math.ceil(LENGTH / shape.length)).slice(0, LENGTH - 4)}${String(i).padStart(4, '0')}`;
};

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** GET /v1/users as `key`, one at a time, until `done()`: each latency in ms, and how many did not answer 200 (a frozen server answers 408). */
async function reads(base, key, done, least = 0) {
  const latencies = [];
  let failed = 0;
  while (!done() || latencies.length < least) {
    const started = process.hrtime.bigint();
    const res = await fetch(`${base}/v1/users?limit=20`, { headers: { authorization: `Bearer ${key}` } });
    await res.arrayBuffer();
    if (!res.ok) failed += 1;
    latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return Object.assign(latencies, { failed });
}

async function benchDatabase(label, env) {
  const roster = await startRoster(env);
  try {
    await roster.platformCall('POST', '/v1/tenants', { slug: 'victim' });
    const victim = (await roster.platformCall('POST', '/v1/api-keys', { name: 'victim' }, { 'x-roster-tenant': 'victim' })).secret;
    await roster.platformCall(
      'POST',
      '/v1/users/batch',
      { users: Array.from({ length: 50 }, (_, i) => ({ email: `v${i}@example.com`, givenName: 'Victim', familyName: `User ${i}` })) },
      { 'x-roster-tenant': 'victim' },
    );
    // Warm the estimator (its dictionaries load on first use) and the read path.
    await roster.call('POST', '/v1/users', { email: 'warm@example.com', givenName: 'Warm', password: hostile(0) });
    await reads(roster.base, victim, () => true, 50);

    const idleUntil = Date.now() + 3000;
    const idle = await reads(roster.base, victim, () => Date.now() > idleUntil, 100);

    const run = randomBytes(3).toString('hex');
    const users = Array.from({ length: BATCH }, (_, i) => ({
      email: `h${run}-${i}@example.com`,
      givenName: 'Hostile',
      familyName: `User ${i}`,
      password: hostile(i + 1),
    }));
    let batchDone = false;
    const started = process.hrtime.bigint();
    const batch = roster.call('POST', '/v1/users/batch', { users, mode: 'partial' }).finally(() => (batchDone = true));
    const busy = await reads(roster.base, victim, () => batchDone, 1);
    const result = await batch;
    const batchS = Number(process.hrtime.bigint() - started) / 1e9;
    return { label, idle, busy, batchS, created: result.created };
  } finally {
    await roster.stop();
  }
}

const results = [];
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'roster-bench-'));
results.push(await benchDatabase('SQLite', { ROSTER_DATA_DIR: dataDir, DATABASE_URL: '' }));
fs.rmSync(dataDir, { recursive: true, force: true });
if (process.env.BENCH_DATABASE_URL) {
  const scratch = await scratchPostgres(process.env.BENCH_DATABASE_URL);
  try {
    results.push(await benchDatabase('PostgreSQL', { DATABASE_URL: scratch.url }));
  } finally {
    await scratch.drop();
  }
}

const ms = (v) => `${v.toFixed(0)} ms`;
console.log(
  `\nTenant "victim" GET /v1/users while tenant "bench" batches ${BATCH} ${LENGTH}-byte structured passwords, ${os.cpus().length} cores, Node ${process.version}`,
);
console.log(
  '\n| database | idle p50 / p99 | during batch p50 / p99 / max | reads during batch (not 200) | batch | created |\n|---|---|---|---|---|---|',
);
for (const r of results) {
  console.log(
    `| ${r.label} | ${ms(percentile(r.idle, 50))} / ${ms(percentile(r.idle, 99))} | ${ms(percentile(r.busy, 50))} / ${ms(percentile(r.busy, 99))} / ${ms(Math.max(...r.busy))} | ${r.busy.length} (${r.busy.failed}) | ${r.batchS.toFixed(1)} s | ${r.created} |`,
  );
}
