#!/usr/bin/env node
// One huge record in an import upload (security review M9): the server's RSS growth and the longest
// /healthz wait while it streams a CSV with one giant cell, an NDJSON file with one giant line and a
// CSV whose quote never closes. With the record cap (ROSTER_IMPORT_MAX_RECORD_BYTES) the record is
// skipped as it streams: RSS stays flat and the event loop is never blocked by it.
//
//   npm run build && node bench/import-record-cap.mjs
//   MB=150 ROSTER_ENTRY=/path/to/other/build/main.js node bench/import-record-cap.mjs
import fs from 'node:fs';
import { Buffer } from 'node:buffer';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { rssMiB, startRoster } from './lib.mjs';

const MB = Number(process.env.MB ?? 50);
const SIZE = MB * 1024 * 1024;

/** `head`, then SIZE bytes of `fill` made chunk by chunk (the bench never holds the record either), then `tail`. */
let uploads = 0;
function body(head, fill, tail) {
  // Fresh addresses per upload, so the rows around the big one are created each time.
  const n = ++uploads;
  [head, tail] = [head, tail].map((text) => text.replaceAll('@corp.com', `@corp${n}.com`));
  const piece = Buffer.from(fill.repeat(Math.ceil(65_536 / fill.length)).slice(0, 65_536));
  return Readable.from(
    (function* () {
      yield Buffer.from(head);
      for (let sent = 0; sent < SIZE; sent += piece.length) yield piece;
      if (tail) yield Buffer.from(tail); // an empty chunk would end a chunked body early
    })(),
  );
}

const cases = [
  ['CSV, one cell', 'text/csv', () => body('email,bio\nok1@corp.com,fine\nbig@corp.com,', 'A', '\nok2@corp.com,fine\n')],
  ['CSV, one quoted cell', 'text/csv', () => body('email,bio\nok1@corp.com,fine\nbig@corp.com,"', 'B,\n', '"\nok2@corp.com,fine\n')],
  [
    'NDJSON, one line',
    'application/x-ndjson',
    () => body('{"email":"ok1@corp.com"}\n{"email":"big@corp.com","bio":"', 'C', '"}\n{"email":"ok2@corp.com"}\n'),
  ],
  ['CSV, quote never closed', 'text/csv', () => body('email,bio\nok1@corp.com,fine\nbig@corp.com,"', 'D\n', '')],
];

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'roster-record-cap-'));
const roster = await startRoster({ ROSTER_DATA_DIR: path.join(work, 'data'), DATABASE_URL: '', ROSTER_IMPORT_MAX_BYTES: String(SIZE * 2) });
const results = [];
try {
  for (const [label, type, make] of cases) {
    await sleep(500);
    const before = rssMiB(roster.pid);
    let peak = before;
    let worstProbe = 0;
    let running = true;
    // /healthz every 50 ms while the upload streams: the longest answer is the worst event-loop stall.
    const probe = (async () => {
      while (running) {
        const started = performance.now();
        await fetch(`${roster.base}/healthz`);
        worstProbe = Math.max(worstProbe, performance.now() - started);
        peak = Math.max(peak, rssMiB(roster.pid));
        await sleep(50);
      }
    })();
    const started = performance.now();
    const res = await fetch(`${roster.base}/v1/imports`, {
      method: 'POST',
      headers: { authorization: `Bearer ${roster.key}`, 'content-type': type },
      body: make(),
      duplex: 'half',
    });
    const answer = await res.json();
    const seconds = (performance.now() - started) / 1000;
    let outcome = `${res.status} ${answer.code ?? answer.status}`;
    if (res.status === 202) {
      for (let i = 0; i < 600; i++) {
        const job = await roster.call('GET', `/v1/imports/${answer.id}`);
        if (job.status === 'completed' || job.status === 'failed') {
          const errors = await roster.call('GET', `/v1/imports/${answer.id}/errors`);
          outcome = `job ${job.status}: ${job.created} created, ${job.failed} failed (${errors.data.map((e) => `row ${e.row} ${e.code}`).join(', ')})`;
          break;
        }
        await sleep(100);
      }
    }
    running = false;
    await probe;
    results.push({ label, seconds, before, peak, worstProbe, outcome });
  }
} finally {
  await roster.stop();
  fs.rmSync(work, { recursive: true, force: true });
}

console.log(`\nOne ${MB} MiB record per upload, SQLite, ${os.cpus().length} cores, Node ${process.version}`);
console.log('\n| upload | upload s | RSS before | RSS peak | growth | worst /healthz | outcome |\n|---|---|---|---|---|---|---|');
for (const r of results) {
  console.log(
    `| ${r.label} | ${r.seconds.toFixed(1)} | ${r.before.toFixed(0)} MiB | ${r.peak.toFixed(0)} MiB | ${(r.peak - r.before).toFixed(0)} MiB | ${r.worstProbe.toFixed(0)} ms | ${r.outcome} |`,
  );
}
