#!/usr/bin/env node
// Single-create throughput of Roster over HTTP on loopback, without and with a password, on SQLite and
// (when BENCH_DATABASE_URL is set) PostgreSQL, beside the argon2id hashes/s this machine manages with the
// same parameters. Bounded: each load phase runs DURATION seconds (default 10), then everything stops.
//
//   npm run build && node bench/create-users.mjs            # SQLite only
//   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres node bench/create-users.mjs
//
// Knobs: DURATION (s), CONNECTIONS (default 10), ROSTER_ARGON2_* (as the server).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { hash } from '@node-rs/argon2';
import pg from 'pg';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DURATION = Number(process.env.DURATION ?? 10);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 10);
const argon2 = {
  memoryCost: Number(process.env.ROSTER_ARGON2_MEMORY_KIB ?? 19456),
  timeCost: Number(process.env.ROSTER_ARGON2_TIME_COST ?? 2),
  parallelism: Number(process.env.ROSTER_ARGON2_PARALLELISM ?? 1),
};

async function argon2HashesPerSecond(seconds = 5) {
  const end = Date.now() + seconds * 1000;
  let count = 0;
  // As many hashes in flight as the server's libuv pool (4) would run.
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (Date.now() < end) {
        await hash('correct horse battery staple', { algorithm: 2, ...argon2 });
        count += 1;
      }
    }),
  );
  return count / seconds;
}

async function startRoster(env) {
  const adminKey = `rst_${randomBytes(32).toString('hex')}`;
  const port = 18000 + Math.floor(Math.random() * 1000);
  const child = spawn(process.execPath, [path.join(root, 'dist/main.js')], {
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', ROSTER_ADMIN_KEY: adminKey },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${base}/readyz`)).ok) break;
    } catch {
      /* not listening yet */
    }
    await sleep(100);
  }
  const call = async (method, url, body, headers = {}) => {
    const res = await fetch(`${base}${url}`, {
      method,
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json', ...headers },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  await call('POST', '/v1/tenants', { slug: 'bench' });
  const key = (await call('POST', '/v1/api-keys', { name: 'bench' }, { 'x-roster-tenant': 'bench' })).secret;
  return { base, key, stop: () => new Promise((resolve) => { child.once('exit', resolve); child.kill('SIGTERM'); }) };
}

function load(base, key, withPassword) {
  let n = 0;
  const run = randomBytes(3).toString('hex');
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: `${base}/v1/users`,
        method: 'POST',
        connections: CONNECTIONS,
        duration: DURATION,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        requests: [
          {
            setupRequest(req) {
              n += 1;
              const body = { email: `b${run}-${n}@example.com`, givenName: 'Bench', familyName: `User ${n}` };
              if (withPassword) body.password = `pw-${run}-${n}-long-enough`;
              return { ...req, body: JSON.stringify(body) };
            },
          },
        ],
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
  });
}

async function benchDatabase(label, env) {
  const roster = await startRoster(env);
  const rows = [];
  try {
    for (const withPassword of [false, true]) {
      const r = await load(roster.base, roster.key, withPassword);
      rows.push({
        database: label,
        password: withPassword ? 'argon2id' : 'none',
        created: r['2xx'],
        non2xx: r.non2xx + r.errors,
        perSecond: (r['2xx'] / DURATION).toFixed(0),
        p50: r.latency.p50,
        p99: r.latency.p99,
      });
    }
  } finally {
    await roster.stop();
  }
  return rows;
}

const results = [];
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'roster-bench-'));
results.push(...(await benchDatabase('SQLite', { ROSTER_DATA_DIR: dataDir, DATABASE_URL: '' })));
fs.rmSync(dataDir, { recursive: true, force: true });

if (process.env.BENCH_DATABASE_URL) {
  const dbName = `roster_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: process.env.BENCH_DATABASE_URL });
  await admin.connect();
  await admin.query(`create database ${dbName}`);
  const url = new URL(process.env.BENCH_DATABASE_URL);
  url.pathname = `/${dbName}`;
  try {
    results.push(...(await benchDatabase('PostgreSQL', { DATABASE_URL: url.toString() })));
  } finally {
    await admin.query(`drop database ${dbName} with (force)`);
    await admin.end();
  }
}

const hashes = await argon2HashesPerSecond();
console.log(`\nRoster single creates, ${CONNECTIONS} connections, ${DURATION}s per row, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), Node ${process.version}`);
console.log('\n| database | password | users created | non-2xx | creates/s | p50 ms | p99 ms |\n|---|---|---|---|---|---|---|');
for (const r of results) console.log(`| ${r.database} | ${r.password} | ${r.created} | ${r.non2xx} | ${r.perSecond} | ${r.p50} | ${r.p99} |`);
console.log(`\nargon2id alone (m=${argon2.memoryCost} KiB, t=${argon2.timeCost}, p=${argon2.parallelism}), 4 in flight: ${hashes.toFixed(1)} hashes/s`);
