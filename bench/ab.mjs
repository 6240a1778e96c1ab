#!/usr/bin/env node
// Two builds side by side on the same minutes, SQLite: each run starts a fresh server from one build's
// main.js, sends single creates (no password) for DURATION seconds at 32 connections, then BATCHES batches of
// 1,000 (median), and stops. Runs alternate (A B B A by default), so a machine that speeds up or slows down
// during the comparison weighs on both builds alike; absolute figures across days do not compare.
//
//   npm run build && cp -r dist bench/results/base-dist         # the "before" build, inside the checkout so that
//   …change, npm run build…                                      # its imports find node_modules (bench/results/ is
//   AB_BASE=bench/results/base-dist/main.js node bench/ab.mjs    # not tracked)
//
// Knobs: AB_BASE (required), AB_NEW (default dist/main.js), AB_ORDER (default base,new,new,base), DURATION
// (default 10; 0 skips single creates), BATCHES (default 9; 0 skips batches), PASSWORD=1 (creates with a
// password), ROSTER_NODE_ARGS (passed to the servers' node, e.g. "--import ./bench/sql-timer.mjs").
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { median, root, startRoster } from './lib.mjs';
import { createLoad } from './load.mjs';
import { batchMs } from './measure.mjs';

if (!process.env.AB_BASE) {
  console.error('AB_BASE must name the main.js of the build to compare against');
  process.exit(2);
}
const builds = { base: path.resolve(process.env.AB_BASE), new: path.resolve(process.env.AB_NEW ?? path.join(root, 'dist/main.js')) };
const order = (process.env.AB_ORDER ?? 'base,new,new,base').split(',');
const duration = Number(process.env.DURATION ?? 10);
const batches = Number(process.env.BATCHES ?? 9);

for (const name of order) {
  if (!builds[name]) throw new Error(`AB_ORDER names ${name}: only base and new exist`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roster-ab-'));
  process.env.ROSTER_ENTRY = builds[name];
  const roster = await startRoster({ ROSTER_DATA_DIR: dir, DATABASE_URL: '' });
  try {
    const row = { build: name };
    if (duration > 0) {
      const load = await createLoad({
        base: roster.base,
        token: roster.key,
        profile: 'roster',
        connections: 32,
        duration,
        withPassword: process.env.PASSWORD === '1',
      });
      Object.assign(row, { createsPerSecond: Math.round(load.perSecond), p50: load.p50, p99: load.p99, non2xx: load.non2xx });
    }
    if (batches > 0) {
      await batchMs(roster, `warm${Date.now()}`, false);
      const times = [];
      for (let i = 0; i < batches; i++) times.push(await batchMs(roster, `r${i}${Date.now()}`, false));
      row.batchMedianMs = Math.round(median(times) * 10) / 10;
    }
    console.log(JSON.stringify(row));
  } finally {
    await roster.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
