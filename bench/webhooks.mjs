#!/usr/bin/env node
// Create throughput without webhooks and with five active webhooks (receiving every event on a local
// HTTP receiver in a process of its own), on the same fresh Roster, in one run. Phases alternate
// (none, five, none, five, …: the webhooks are switched off and on) so that the directory's growth and
// the machine's drift fall on both sides alike. Deliveries are the worker's business, so the two
// should be close. SQLite by default; BENCH_DATABASE_URL for PostgreSQL instead.
//
//   npm run build && node bench/webhooks.mjs
//
// Knobs: DURATION (s per phase, default 10), ROUNDS (pairs of phases, default 3), CONNECTIONS (default
// 10), SEPARATE_WORKER=1 (the server runs with ROSTER_RUN_WORKERS=false and a `roster worker` process delivers;
// with NO_DELIVERY=1 as well, no worker runs at all: the cost of recording events alone).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { root, scratchPostgres, startRoster } from './lib.mjs';

const DURATION = Number(process.env.DURATION ?? 10);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 10);

function load(base, key, duration = DURATION) {
  let n = 0;
  const run = randomBytes(3).toString('hex');
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: `${base}/v1/users`,
        method: 'POST',
        connections: CONNECTIONS,
        duration,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        requests: [
          { setupRequest: (req) => ({ ...req, body: JSON.stringify({ email: `w${run}-${++n}@example.com`, givenName: 'Hook' }) }) },
        ],
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
  });
}

// The receiver is another system: it runs in its own process, not on the load generator's event loop.
const RECEIVER = `
  const http = require('node:http');
  let received = 0;
  const server = http.createServer((req, res) => { req.resume(); req.on('end', () => { received += 1; res.writeHead(204).end(); }); });
  process.on('message', () => process.send({ received }));
  server.listen(0, '127.0.0.1', () => process.send(server.address().port));`;
const receiver = spawn(process.execPath, ['-e', RECEIVER], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
const receiverPort = await new Promise((resolve) => receiver.once('message', resolve));
const receiverUrl = `http://127.0.0.1:${receiverPort}/hook`;
const receivedSoFar = () =>
  new Promise((resolve) => {
    receiver.once('message', (m) => resolve(m.received));
    receiver.send('count');
  });

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
const worker =
  separate && process.env.NO_DELIVERY !== '1'
    ? spawn(process.execPath, [path.join(root, 'dist/cli/main.js'), 'worker'], {
        env: { ...process.env, ROSTER_WEBHOOK_ALLOW_PRIVATE: 'true', ...env, LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'ignore', 'inherit'],
      })
    : undefined;
const rows = [];
try {
  const hooks = [];
  for (let i = 0; i < 5; i++)
    hooks.push(
      (await roster.call('POST', '/v1/webhooks', { url: receiverUrl, active: false }, { 'x-roster-tenant': 'bench' }, roster.key)).id,
    );
  const setActive = (active) => Promise.all(hooks.map((id) => roster.call('PATCH', `/v1/webhooks/${id}`, { active }, {}, roster.key)));
  // A short warm-up, not counted: the first seconds of a fresh process are slower (JIT, caches).
  await load(roster.base, roster.key, Math.min(3, DURATION));
  for (let round = 1; round <= ROUNDS; round++) {
    for (const webhooks of [0, 5]) {
      await setActive(webhooks > 0);
      const before = await receivedSoFar();
      const result = await load(roster.base, roster.key);
      rows.push({
        round,
        webhooks,
        created: result['2xx'],
        rate: result['2xx'] / DURATION,
        p99: result.latency.p99,
        delivered: (await receivedSoFar()) - before,
      });
    }
  }
} finally {
  await roster.stop();
  if (worker && worker.exitCode === null)
    await new Promise((resolve) => {
      worker.once('exit', resolve);
      worker.kill('SIGTERM');
    });
  receiver.kill();
  if (scratch) await scratch.drop();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
}

console.log(
  `\nSingle creates without and with 5 webhooks, ${process.env.BENCH_DATABASE_URL ? 'PostgreSQL' : 'SQLite'}, ${CONNECTIONS} connections, ${DURATION}s each${separate ? ', workers in a separate process' : ''}`,
);
console.log(
  '\n| round | active webhooks | users created | creates/s | p99 ms | deliveries received meanwhile |\n|---|---|---|---|---|---|',
);
for (const r of rows) console.log(`| ${r.round} | ${r.webhooks} | ${r.created} | ${r.rate.toFixed(0)} | ${r.p99} | ${r.delivered} |`);
const total = (w) => rows.filter((r) => r.webhooks === w).reduce((sum, r) => sum + r.created, 0);
console.log(`\nWith five webhooks: ${((100 * total(5)) / total(0)).toFixed(1)} % of the create rate without (target ≥ 90 %).`);
