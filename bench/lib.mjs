// Shared by the bench scripts: start a fresh Roster process on loopback, measure argon2 on its own.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';

const execFileAsync = promisify(execFile);

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const argon2 = {
  memoryCost: Number(process.env.ROSTER_ARGON2_MEMORY_KIB ?? 19456),
  timeCost: Number(process.env.ROSTER_ARGON2_TIME_COST ?? 2),
  parallelism: Number(process.env.ROSTER_ARGON2_PARALLELISM ?? 1),
};

/**
 * Bare argon2id hashes per second with the server's parameters at its best concurrency on this machine:
 * as many in flight as cores, one more, and twice as many, the best kept (`runs` says what each gave), with
 * the CPU each hash took. It runs in a process of its own whose libuv pool has a thread per hash in flight.
 * @returns {Promise<{ perSecond: number, concurrency: number, cpuMsPerHash: number, runs: object[] }>}
 */
export async function argon2Reference(seconds = 3, concurrencies) {
  const cores = os.availableParallelism();
  const list = concurrencies ?? [...new Set([cores, cores + 1, 2 * cores])];
  const { stdout } = await execFileAsync(
    process.execPath,
    [path.join(root, 'bench/argon2-reference.mjs'), String(seconds), list.join(',')],
    {
      env: { ...process.env, UV_THREADPOOL_SIZE: String(Math.max(4, ...list)) },
    },
  );
  const runs = JSON.parse(stdout);
  const best = runs.reduce((x, y) => (y.perSecond > x.perSecond ? y : x));
  return { ...best, runs };
}

/** argon2id hashes per second with the server's parameters (the best concurrency, see argon2Reference). */
export async function argon2HashesPerSecond(seconds = 3) {
  return (await argon2Reference(seconds)).perSecond;
}

/** CPU ms one bare argon2id hash takes at the server's parameters (as many in flight as cores). */
export async function argon2CpuMsPerHash(seconds = 3) {
  return (await argon2Reference(seconds, [os.availableParallelism()])).cpuMsPerHash;
}

/** A fresh Roster (dist/) with a tenant `bench` and an admin key of it. */
/** `tenantExists`: the data already holds tenant `bench` (a database filled by an import). */
export async function startRoster(env, { tenantExists = false } = {}) {
  const adminKey = `rst_${randomBytes(32).toString('hex')}`;
  const port = 18000 + Math.floor(Math.random() * 1000);
  // ROSTER_NODE_ARGS: flags for the server's node, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile it.
  const nodeArgs = process.env.ROSTER_NODE_ARGS ? process.env.ROSTER_NODE_ARGS.split(' ') : [];
  // ROSTER_ENTRY: another build's main.js (e.g. one compiled to a scratch directory), dist/main.js by default.
  const child = spawn(process.execPath, [...nodeArgs, process.env.ROSTER_ENTRY ?? path.join(root, 'dist/main.js')], {
    // The per-key and per-address limits (6000/min by default) would cap a load test, not measure it.
    env: {
      ...process.env,
      ROSTER_WEBHOOK_ALLOW_PRIVATE: 'true',
      ROSTER_RATE_LIMIT_PER_KEY: '10000000',
      ROSTER_RATE_LIMIT_PER_ADDRESS: '10000000',
      // As `npm start` runs the server (package.json): glibc keeps one malloc arena per thread that ever
      // allocated (V8's compiler threads, libuv's pool), each holding freed memory; two arenas: idle RSS -8 MiB.
      MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2',
      ...env,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      ROSTER_ADMIN_KEY: adminKey,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  // Ready = /readyz answers 200 (database reachable, migrations done), polled every 10 ms from the spawn.
  const spawned = process.hrtime.bigint();
  let readyMs = NaN;
  for (let i = 0; i < 1000; i++) {
    try {
      if ((await fetch(`${base}/readyz`)).ok) {
        readyMs = Number(process.hrtime.bigint() - spawned) / 1e6;
        break;
      }
    } catch {
      /* not listening yet */
    }
    await sleep(10);
  }
  const call = async (method, url, body, headers = {}, key = adminKey) => {
    const res = await fetch(`${base}${url}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  if (!tenantExists) await call('POST', '/v1/tenants', { slug: 'bench' });
  const key = (await call('POST', '/v1/api-keys', { name: 'bench' }, { 'x-roster-tenant': 'bench' })).secret;
  return {
    base,
    key,
    pid: child.pid,
    readyMs,
    adminKey,
    call: (method, url, body) => call(method, url, body, {}, key),
    platformCall: (method, url, body, headers) => call(method, url, body, headers, adminKey),
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', resolve);
        child.kill('SIGTERM');
      }),
  };
}

/** A throw-away PostgreSQL database for one run, dropped by `drop()`. */
export async function scratchPostgres(adminUrl) {
  const name = `roster_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      await admin.query(`drop database ${name} with (force)`);
      await admin.end();
    },
  };
}

/** Resident set size of a process, in MiB, from /proc. */
export function rssMiB(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
