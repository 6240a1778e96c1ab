#!/usr/bin/env node
// `roster import` of a large generated CSV: rows/s and the peak RSS of the importing process.
// SQLite always (ROWS, default 1,000,000); PostgreSQL too with BENCH_DATABASE_URL (PG_ROWS, default ROWS).
//
//   npm run build && node bench/import.mjs
//   ROWS=100000 BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres node bench/import.mjs
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { root, scratchPostgres } from './lib.mjs';

const ROWS = Number(process.env.ROWS ?? 1_000_000);
const PG_ROWS = Number(process.env.PG_ROWS ?? ROWS);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'roster-import-bench-'));

function writeCsv(rows) {
  const file = path.join(work, `users-${rows}.csv`);
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

function run(label, env, rows) {
  const cli = path.join(root, 'dist/cli/main.js');
  const file = writeCsv(rows);
  const fullEnv = { ...process.env, ...env, LOG_LEVEL: 'warn' };
  execFileSync(process.execPath, [cli, 'tenants', 'create', 'bench'], { env: fullEnv, stdio: 'ignore' });
  const started = Date.now();
  // GNU time reports the peak resident set size (KiB) of the import process on stderr's last line.
  const result = spawnSync('/usr/bin/time', ['-f', 'maxrss_kib=%M', process.execPath, cli, 'import', file, '--tenant', 'bench', '--json'], { env: fullEnv, encoding: 'utf8', maxBuffer: 1 << 26 });
  const seconds = (Date.now() - started) / 1000;
  const totals = JSON.parse(result.stdout);
  const rss = Number(/maxrss_kib=(\d+)/.exec(result.stderr)?.[1] ?? 0) / 1024;
  return { label, rows, created: totals.created, failed: totals.failed, seconds, rate: rows / seconds, rss };
}

const results = [];
const dataDir = path.join(work, 'data');
results.push(run('SQLite', { ROSTER_DATA_DIR: dataDir, DATABASE_URL: '' }, ROWS));
if (process.env.BENCH_DATABASE_URL) {
  const scratch = await scratchPostgres(process.env.BENCH_DATABASE_URL);
  try {
    results.push(run('PostgreSQL', { DATABASE_URL: scratch.url }, PG_ROWS));
  } finally {
    await scratch.drop();
  }
}
fs.rmSync(work, { recursive: true, force: true });

console.log(`\nroster import of a generated CSV (no passwords), ${os.cpus().length} cores, Node ${process.version}`);
console.log('\n| database | rows | created | failed | seconds | rows/s | peak RSS |\n|---|---|---|---|---|---|---|');
for (const r of results) console.log(`| ${r.label} | ${r.rows.toLocaleString('en')} | ${r.created.toLocaleString('en')} | ${r.failed} | ${r.seconds.toFixed(1)} | ${Math.round(r.rate).toLocaleString('en')} | ${r.rss.toFixed(0)} MiB |`);
