#!/usr/bin/env node
// Bare argon2id at the server's parameters (ROSTER_ARGON2_*), for lib.mjs's argon2Reference: for each
// concurrency given, hashes with that many in flight for `seconds` and prints, as JSON, hashes/s and the
// CPU ms each hash took. Run with UV_THREADPOOL_SIZE at least the largest concurrency.
//
//   UV_THREADPOOL_SIZE=4 node bench/argon2-reference.mjs 3 2,3,4
import { performance } from 'node:perf_hooks';
import { hash } from '@node-rs/argon2';
import { argon2 } from './lib.mjs';

const seconds = Number(process.argv[2] ?? 3);
const concurrencies = (process.argv[3] ?? '2,3,4').split(',').map(Number);
const hashOnce = () => hash('correct horse battery staple', { algorithm: 2, ...argon2 });

await hashOnce(); // warm-up
const runs = [];
for (const concurrency of concurrencies) {
  const end = Date.now() + seconds * 1000;
  const cpu = process.cpuUsage();
  const started = performance.now();
  let count = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < end) {
        await hashOnce();
        count += 1;
      }
    }),
  );
  const used = process.cpuUsage(cpu);
  runs.push({
    concurrency,
    perSecond: count / ((performance.now() - started) / 1000),
    cpuMsPerHash: (used.user + used.system) / 1000 / count,
  });
}
process.stdout.write(`${JSON.stringify(runs)}\n`);
