#!/usr/bin/env node
// `roster import` of a large generated CSV: rows/s and the peak RSS of the importing process.
// SQLite always (ROWS, default 1,000,000); PostgreSQL too with BENCH_DATABASE_URL (PG_ROWS, default ROWS).
//
//   npm run build && node bench/import.mjs
//   ROWS=100000 BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres node bench/import.mjs
//   BENCH_CLI=bench/results/base-dist/cli/main.js node bench/import.mjs   # another build, for before/after pairs
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { scratchPostgres } from './lib.mjs';
import { cliImport } from './measure.mjs';

const ROWS = Number(process.env.ROWS ?? 1_000_000);
const PG_ROWS = Number(process.env.PG_ROWS ?? ROWS);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'roster-import-bench-'));

const results = [];
const dataDir = path.join(work, 'data');
results.push(cliImport('SQLite', { ROSTER_DATA_DIR: dataDir, DATABASE_URL: '' }, ROWS, work));
if (process.env.BENCH_DATABASE_URL) {
  const scratch = await scratchPostgres(process.env.BENCH_DATABASE_URL);
  try {
    results.push(cliImport('PostgreSQL', { DATABASE_URL: scratch.url }, PG_ROWS, work));
  } finally {
    await scratch.drop();
  }
}
fs.rmSync(work, { recursive: true, force: true });

console.log(`\nroster import of a generated CSV (no passwords), ${os.cpus().length} cores, Node ${process.version}`);
console.log('\n| database | rows | created | failed | seconds | rows/s | peak RSS |\n|---|---|---|---|---|---|---|');
for (const r of results)
  console.log(
    `| ${r.label} | ${r.rows.toLocaleString('en')} | ${r.created.toLocaleString('en')} | ${r.failed} | ${r.seconds.toFixed(1)} | ${Math.round(r.rate).toLocaleString('en')} | ${r.rss.toFixed(0)} MiB |`,
  );
