#!/usr/bin/env node
// Batch creates over HTTP: POST /v1/users/batch with 1000 users without passwords (beside the time of a
// bare multi-row insert of equivalent rows into the same database, for the ratio) and with passwords
// (beside the machine's argon2id rate). SQLite always; PostgreSQL too with BENCH_DATABASE_URL.
//
//   npm run build && node bench/batch.mjs
//   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres node bench/batch.mjs
//
// Knobs: REPEAT (default 3), ROSTER_ARGON2_* (as the server).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { argon2, argon2HashesPerSecond, median, scratchPostgres, startRoster } from './lib.mjs';
import { bareInsertMs, batchMs } from './measure.mjs';

const REPEAT = Number(process.env.REPEAT ?? 3);
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
console.log(
  '\n| database | batch, no passwords | bare multi-row insert | ratio | batch, 1000 passwords | 1000 / argon2 rate |\n|---|---|---|---|---|---|',
);
for (const r of results) {
  console.log(
    `| ${r.label} | ${r.plain.toFixed(0)} ms | ${r.bare.toFixed(1)} ms | ${(r.plain / r.bare).toFixed(1)}× | ${(r.hashed / 1000).toFixed(2)} s | ${(1000 / hashes).toFixed(2)} s |`,
  );
}
console.log(
  `\nargon2id alone (m=${argon2.memoryCost} KiB, t=${argon2.timeCost}, p=${argon2.parallelism}), at its best concurrency: ${hashes.toFixed(1)} hashes/s`,
);
