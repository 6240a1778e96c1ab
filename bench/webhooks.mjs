#!/usr/bin/env node
// Create throughput without webhooks and with five active webhooks (receiving every event on a local
// HTTP receiver), on the same fresh Roster, in one run. Deliveries are the worker's business, so the
// two should be close. SQLite by default; BENCH_DATABASE_URL for PostgreSQL instead.
//
//   npm run build && node bench/webhooks.mjs
//
// Knobs: DURATION (s per phase, default 10), CONNECTIONS (default 10), SEPARATE_WORKER=1 (the server runs
// with ROSTER_RUN_WORKERS=false and a `roster worker` process delivers).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { root, scratchPostgres, startRoster } from './lib.mjs';

const DURATION = Number(process.env.DURATION ?? 10);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 10);

function load(base, key) {
  let n = 0;
  const run = randomBytes(3).toString('hex');
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: `${base}/v1/users`, method: 'POST', connections: CONNECTIONS, duration: DURATION,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        requests: [{ setupRequest: (req) => ({ ...req, body: JSON.stringify({ email: `w${run}-${++n}@example.com`, givenName: 'Hook' }) }) }],
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
  });
}

let received = 0;
const receiver = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    received += 1;
    res.writeHead(204).end();
  });
});
await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const receiverUrl = `http://127.0.0.1:${receiver.address().port}/hook`;

let scratch;
let env;
let dataDir;
if (process.env.BENCH_DATABASE_URL) {
  scratch = await scratchPostgres(process.env.BENCH_DATABASE_URL);
  env = { DATABASE_URL: scratch.url };
} else {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'roster-bench-'));
  env = { ROSTER_DATA_DIR: dataDir, DATABASE_URL: '' };
}
const separate = process.env.SEPARATE_WORKER === '1';
const roster = await startRoster(separate ? { ...env, ROSTER_RUN_WORKERS: 'false' } : env);
const worker = separate
  ? spawn(process.execPath, [path.join(root, 'dist/cli/main.js'), 'worker'], { env: { ...process.env, ...env, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'inherit'] })
  : undefined;
const rows = [];
try {
  const none = await load(roster.base, roster.key);
  rows.push({ webhooks: 0, created: none['2xx'], rate: none['2xx'] / DURATION, p99: none.latency.p99 });
  for (let i = 0; i < 5; i++) await roster.call('POST', '/v1/webhooks', { url: receiverUrl });
  const five = await load(roster.base, roster.key);
  rows.push({ webhooks: 5, created: five['2xx'], rate: five['2xx'] / DURATION, p99: five.latency.p99 });
} finally {
  await roster.stop();
  if (worker && worker.exitCode === null) await new Promise((resolve) => { worker.once('exit', resolve); worker.kill('SIGTERM'); });
  receiver.close();
  if (scratch) await scratch.drop();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
}

console.log(`\nSingle creates without and with 5 webhooks, ${process.env.BENCH_DATABASE_URL ? 'PostgreSQL' : 'SQLite'}, ${CONNECTIONS} connections, ${DURATION}s each${separate ? ', workers in a separate process' : ''}`);
console.log('\n| active webhooks | users created | creates/s | p99 ms |\n|---|---|---|---|');
for (const r of rows) console.log(`| ${r.webhooks} | ${r.created} | ${r.rate.toFixed(0)} | ${r.p99} |`);
console.log(`\nwith 5 webhooks: ${((rows[1].rate / rows[0].rate) * 100).toFixed(0)}% of the rate without; deliveries received during the run: ${received}`);
