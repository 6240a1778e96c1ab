#!/usr/bin/env node
// Where the CPU of a create with a password goes: runs the "with password" load against a fresh Roster on
// SQLite and reads the server's threads from /proc before and after, so each create's CPU is split into the
// event loop (HTTP, rules, the strength estimate, SQLite), the other threads (libuv's pool hashing, V8's GC
// helpers) and the load generator (this process), beside bare argon2id's CPU per hash at the same parameters. CPU time per
// item is steadier than throughput on a shared machine, so this is the tool for A/B comparisons of the path.
//
//   npm run build && node bench/password-cpu.mjs
//
// Knobs: DURATION (s, default 10), CONNECTIONS (32), ROSTER_NODE_ARGS, ROSTER_ENTRY (see lib.mjs).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { argon2CpuMsPerHash, startRoster } from './lib.mjs';
import { createLoad } from './load.mjs';

const DURATION = Number(process.env.DURATION ?? 10);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 32);
const TICK_MS = 1000 / 100; // USER_HZ on Linux

/** CPU ms of each thread group of a process (utime + stime from /proc/<pid>/task/<tid>/stat). */
export function threadCpuMs(pid) {
  const groups = {};
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    let stat;
    try {
      stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ms = (Number(fields[11]) + Number(fields[12])) * TICK_MS;
    // Node 20 names every thread "node"; the main thread is the event loop, the others are libuv's pool
    // (argon2id) and V8's helpers (GC, compilation).
    const group = String(tid) === String(pid) ? 'event loop' : 'other threads';
    groups[group] = (groups[group] ?? 0) + ms;
  }
  return groups;
}

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'roster-pwcpu-'));
const roster = await startRoster({ ROSTER_DATA_DIR: dataDir, DATABASE_URL: '' });
try {
  await createLoad({ base: roster.base, token: roster.key, profile: 'roster', connections: 4, duration: 2, withPassword: true }); // warm-up
  const before = threadCpuMs(roster.pid);
  const self = process.cpuUsage();
  const r = await createLoad({
    base: roster.base,
    token: roster.key,
    profile: 'roster',
    connections: CONNECTIONS,
    duration: DURATION,
    withPassword: true,
  });
  const selfUsage = process.cpuUsage(self);
  const after = threadCpuMs(roster.pid);
  const perCreate = Object.fromEntries(Object.keys(after).map((k) => [k, (after[k] - (before[k] ?? 0)) / r.ok]));
  perCreate['load generator'] = (selfUsage.user + selfUsage.system) / 1000 / r.ok;
  const total = Object.values(perCreate).reduce((a, b) => a + b, 0);
  const bare = await argon2CpuMsPerHash();
  console.log(
    `creates with password: ${r.ok} in ${DURATION} s (${r.perSecond.toFixed(1)}/s), ${r.non2xx} not 2xx, p50 ${r.p50} ms, p99 ${r.p99} ms`,
  );
  console.log(`CPU per create: ${total.toFixed(2)} ms`);
  for (const [k, v] of Object.entries(perCreate)) console.log(`  ${k.padEnd(16)} ${v.toFixed(2)} ms`);
  console.log(`bare argon2id: ${bare.toFixed(2)} ms CPU per hash -> CPU bound ratio ${((bare / total) * 100).toFixed(0)} %`);
} finally {
  await roster.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
