// Preloaded into a server (`ROSTER_NODE_ARGS="--import ./bench/sql-timer.mjs"`, with bench/ab.mjs or
// npm run bench): times every better-sqlite3 statement of the process's main thread, grouped by its SQL
// (value lists folded), and prints the 30 costliest to stderr when the process exits. A measuring tool only:
// it wraps the driver's Statement methods, so the server runs a little slower with it.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(path.join(path.dirname(path.dirname(fileURLToPath(import.meta.url))), 'package.json'));
const SQLite = require('better-sqlite3');
const probe = new SQLite(':memory:');
const Statement = probe.prepare('select 1').constructor;
probe.close();

const stats = new Map();
const shape = (sql) =>
  sql
    .replace(/\s+/g, ' ')
    .replace(/\(\?(, ?\?)*\)(, ?\(\?(, ?\?)*\))*/g, '(…)')
    .slice(0, 100);
for (const method of ['run', 'all', 'get', 'iterate']) {
  const original = Statement.prototype[method];
  Statement.prototype[method] = function timed(...args) {
    const start = process.hrtime.bigint();
    try {
      return original.apply(this, args);
    } finally {
      const key = shape(this.source);
      const entry = stats.get(key) ?? { calls: 0, ms: 0 };
      entry.calls += 1;
      entry.ms += Number(process.hrtime.bigint() - start) / 1e6;
      stats.set(key, entry);
    }
  };
}

process.on('exit', () => {
  let total = 0;
  for (const { ms } of stats.values()) total += ms;
  const rows = [...stats].sort((a, b) => b[1].ms - a[1].ms).slice(0, 30);
  process.stderr.write(
    `SQLite statements on the main thread: ${total.toFixed(0)} ms\n` +
      rows
        .map(
          ([sql, { calls, ms }]) =>
            `${ms.toFixed(0).padStart(7)} ms ${String(calls).padStart(8)}x ${((1000 * ms) / calls).toFixed(0).padStart(6)} us  ${sql}`,
        )
        .join('\n') +
      '\n',
  );
});
