// Measurements shared by the bench scripts: batches beside a bare insert, CLI imports with peak RSS, API
// imports with reads sampled while they run.
import { performance } from 'node:perf_hooks';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
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
  // BENCH_CLI: another build's cli/main.js (kept inside the checkout, e.g. bench/results/base-dist, so it finds node_modules).
  const cli = process.env.BENCH_CLI ? path.resolve(process.env.BENCH_CLI) : path.join(root, 'dist/cli/main.js');
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

/** Latency percentiles of a list of ms values. */
export function latencySummary(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]);
  return { count: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? NaN };
}

/** The reads sampled beside an import: the first page of the list and a filtered first page, in turn. */
export const SAMPLED_READS = ['/v1/users', '/v1/users?q=user4242&limit=50'];

/**
 * GETs `SAMPLED_READS` in turn, one at a time, at `rate` a second (a request starts every 1/rate s, or when
 * the previous one ends if it took longer), until `stop()` is called; resolves to each read's ms.
 * A read that does not answer 200 counts in `failed`.
 */
export function sampleReads(roster, rate) {
  const interval = 1000 / rate;
  const latencies = [];
  let failed = 0;
  let stopped = false;
  const done = (async () => {
    for (let i = 0; !stopped; i++) {
      const started = performance.now();
      try {
        const res = await fetch(`${roster.base}${SAMPLED_READS[i % SAMPLED_READS.length]}`, {
          headers: { authorization: `Bearer ${roster.key}` },
        });
        await res.arrayBuffer();
        const ms = performance.now() - started;
        // BENCH_SLOW_READ_MS: print each read slower than this (when, which), to find what a maximum coincides with.
        if (ms > Number(process.env.BENCH_SLOW_READ_MS ?? Infinity))
          process.stderr.write(`[slow read] ${new Date().toISOString()} ${Math.round(ms)} ms ${SAMPLED_READS[i % SAMPLED_READS.length]}\n`);
        if (res.ok) latencies.push(ms);
        else failed += 1;
      } catch {
        failed += 1;
      }
      const wait = started + interval - performance.now();
      if (wait > 0 && !stopped) await sleep(wait);
    }
    return { latencies, failed };
  })();
  return {
    stop: async () => {
      stopped = true;
      return done;
    },
  };
}

/**
 * An import through the API (POST /v1/imports: the upload is stored, then the server's own worker applies
 * the rows) of `rows` generated users into `roster`'s tenant, while GET /v1/users is sampled at `readRate`
 * a second on the same server: first `idleSeconds` before the upload (the reference: the same reads with
 * nothing else running), then from the moment the job reports `running` until it ends. The job is polled
 * every 250 ms. Returns the import's rate (rows over the time from the upload's start to the job's end),
 * the server's peak RSS (VmHWM) and the reads' percentiles.
 */
export async function apiImportWithReads(roster, rows, dir, { readRate = 20, idleSeconds = 5 } = {}) {
  const file = writeCsv(dir, rows);
  const call = async (method, url, init = {}) => {
    const res = await fetch(`${roster.base}${url}`, {
      method,
      ...init,
      headers: { authorization: `Bearer ${roster.key}`, ...init.headers },
    });
    if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  const idleSampler = sampleReads(roster, readRate);
  await sleep(idleSeconds * 1000);
  const idle = await idleSampler.stop();

  const started = performance.now();
  let job = await call('POST', '/v1/imports', { body: await fs.openAsBlob(file), headers: { 'content-type': 'text/csv' } });
  const uploadedSeconds = (performance.now() - started) / 1000;
  fs.rmSync(file, { force: true });
  let sampler;
  let runningAt;
  while (job.status === 'queued' || job.status === 'running') {
    if (job.status === 'running' && !sampler) {
      runningAt = performance.now();
      sampler = sampleReads(roster, readRate);
    }
    await sleep(250);
    job = await call('GET', `/v1/imports/${job.id}`);
  }
  const ended = performance.now();
  const during = sampler ? await sampler.stop() : { latencies: [], failed: 0 };
  const hwm = Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${roster.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  return {
    rows,
    status: job.status,
    created: job.created,
    failed: job.failed,
    uploadedSeconds,
    seconds: (ended - started) / 1000,
    runningSeconds: runningAt === undefined ? 0 : (ended - runningAt) / 1000,
    rate: rows / ((ended - started) / 1000),
    peakRssMiB: hwm,
    readRate,
    reads: { ...latencySummary(during.latencies), failed: during.failed },
    idleReads: { ...latencySummary(idle.latencies), failed: idle.failed },
  };
}
