#!/usr/bin/env node
// Single-create throughput of Roster over HTTP on loopback, without and with a password, on SQLite and
// (when BENCH_DATABASE_URL is set) PostgreSQL, beside the argon2id hashes/s this machine manages with the
// same parameters. Bounded: each load phase runs DURATION seconds (default 10), then everything stops.
//
//   npm run build && node bench/create-users.mjs            # SQLite only
//   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres node bench/create-users.mjs
//
// Knobs: DURATION (s), CONNECTIONS (default 10), ROSTER_ARGON2_* (as the server).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { argon2, argon2HashesPerSecond, scratchPostgres, startRoster } from './lib.mjs';
import { createLoad } from './load.mjs';

const DURATION = Number(process.env.DURATION ?? 10);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 10);

async function benchDatabase(label, env) {
  const roster = await startRoster(env);
  const rows = [];
  try {
    for (const withPassword of [false, true]) {
      const r = await createLoad({
        base: roster.base,
        token: roster.key,
        profile: 'roster',
        connections: CONNECTIONS,
        duration: DURATION,
        withPassword,
      });
      rows.push({
        database: label,
        password: withPassword ? 'argon2id' : 'none',
        created: r.ok,
        non2xx: r.non2xx,
        perSecond: r.perSecond.toFixed(0),
        p50: r.p50,
        p99: r.p99,
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
  const scratch = await scratchPostgres(process.env.BENCH_DATABASE_URL);
  try {
    results.push(...(await benchDatabase('PostgreSQL', { DATABASE_URL: scratch.url })));
  } finally {
    await scratch.drop();
  }
}

const hashes = await argon2HashesPerSecond();
console.log(
  `\nRoster single creates, ${CONNECTIONS} connections, ${DURATION}s per row, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), Node ${process.version}`,
);
console.log('\n| database | password | users created | non-2xx | creates/s | p50 ms | p99 ms |\n|---|---|---|---|---|---|---|');
for (const r of results)
  console.log(`| ${r.database} | ${r.password} | ${r.created} | ${r.non2xx} | ${r.perSecond} | ${r.p50} | ${r.p99} |`);
console.log(
  `\nargon2id alone (m=${argon2.memoryCost} KiB, t=${argon2.timeCost}, p=${argon2.parallelism}), at its best concurrency: ${hashes.toFixed(1)} hashes/s`,
);
