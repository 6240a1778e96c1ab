/**
 * The SQLite writer thread's code, as JavaScript run with `new Worker(source, { eval: true })`: the same
 * text works under tsx, vitest and the compiled build, with no second entry file to ship or transpile.
 *
 * Messages in: `{ id, sql, parameters, begin }` (`begin`: run BEGIN first, which saves a round trip per
 * transaction), `{ id, batch: [{ sql, parameters }], begin, commitWhen }` (statements in order, one answer;
 * `commitWhen`: `[{ statement, rows }]`, COMMIT after them when each listed statement answered that many rows)
 * or `{ close: true }`. Messages out: `{ ready: true }` once the store is open, then for each statement
 * `{ id, rows }` (a reader), `{ id, changes, lastInsertRowid }` (a writer), for a batch `{ id, results, committed }`
 * (each statement's rows; the first that fails stops the batch) or `{ id, error: { message, code } }`. Statements run in arrival order on one connection, so a transaction
 * is the statements the main thread sends between its BEGIN and its COMMIT.
 */
export const writerSource = String.raw`
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const SQLite = require(workerData.driverPath);
let db;
try {
  db = new SQLite(workerData.file);
  db.pragma('busy_timeout = ' + workerData.busyTimeoutMs);
  db.pragma('journal_mode = WAL');
  // FULL: COMMIT returns only once the log is on disk, so an acknowledged write survives power loss.
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('wal_autocheckpoint = ' + Number(workerData.checkpointPages));
} catch (error) {
  parentPort.postMessage({ id: 0, error: { message: error.message, code: error.code } });
  process.exit(1);
}
const capacity = workerData.cacheCapacity;
const cache = new Map();
function prepare(sql) {
  const cached = cache.get(sql);
  if (cached !== undefined) {
    cache.delete(sql);
    cache.set(sql, cached);
    return cached;
  }
  const statement = db.prepare(sql);
  cache.set(sql, statement);
  if (cache.size > capacity) cache.delete(cache.keys().next().value);
  return statement;
}
parentPort.on('message', (message) => {
  if (message.close) {
    cache.clear();
    try { db.close(); } catch {}
    parentPort.close();
    return;
  }
  const id = message.id;
  try {
    if (message.begin) prepare('begin immediate').run();
    if (message.batch) {
      const results = [];
      for (const { sql, parameters } of message.batch) {
        const statement = prepare(sql);
        if (statement.reader) results.push(statement.all(parameters));
        else {
          statement.run(parameters);
          results.push([]);
        }
      }
      // The batch is its transaction's last write: committed here when every listed statement answered that
      // many rows (statement-batch.ts, commitWhen), without waiting for the main thread to ask.
      const committed = message.commitWhen !== undefined &&
        message.commitWhen.every((c) => results[c.statement] !== undefined && results[c.statement].length === c.rows);
      if (committed) prepare('commit').run();
      parentPort.postMessage({ id, results, committed });
      return;
    }
    const statement = prepare(message.sql);
    if (statement.reader) {
      parentPort.postMessage({ id, rows: statement.all(message.parameters) });
    } else {
      const result = statement.run(message.parameters);
      parentPort.postMessage({ id, changes: result.changes, lastInsertRowid: result.lastInsertRowid });
    }
  } catch (error) {
    parentPort.postMessage({ id, error: { message: String(error && error.message), code: error && error.code } });
  }
});
parentPort.postMessage({ ready: true });
`;
