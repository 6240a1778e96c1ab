/**
 * The SQLite writer thread's code, as JavaScript run with `new Worker(source, { eval: true })`: the same
 * text works under tsx, vitest and the compiled build, with no second entry file to ship or transpile.
 *
 * Messages in: `{ id, sql, parameters, begin }` (`begin`: run BEGIN first, which saves a round trip per
 * transaction), `{ id, batch: [{ sql, parameters }], begin, commitWhen, token }` (statements in order, one answer;
 * `commitWhen`: `[{ statement, rows }]`, COMMIT after them when each listed statement answered that many rows;
 * `token` names that commit), `{ id, batch, speculative: true, commitWhen, token, after }` (a transaction of its
 * own, BEGIN to COMMIT, run only when no transaction is open and the commit named `after` is one of the last
 * few, rolled back unless `commitWhen` holds; answered `{ id, skipped: true }` when it wrote nothing) or
 * `{ close: true }`. Messages out: `{ ready: true }` once the store is open, then for each statement
 * `{ id, rows }` (a reader), `{ id, changes, lastInsertRowid }` (a writer), for a batch `{ id, results, committed }`
 * (each statement's rows; the first that fails stops the batch) or `{ id, error: { message, code } }`. Statements
 * run in arrival order on one connection, so a transaction is the statements the main thread sends between its
 * BEGIN and its COMMIT (or one message).
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
// The tokens of the last commits made with a batch (commitWhen): a speculative batch runs only after the one it names.
const commits = [];
function remember(token) {
  if (token === undefined) return;
  commits.push(token);
  if (commits.length > 16) commits.shift();
}
function runStatements(batch) {
  const results = [];
  for (const { sql, parameters } of batch) {
    const statement = prepare(sql);
    if (statement.reader) results.push(statement.all(parameters));
    else {
      statement.run(parameters);
      results.push([]);
    }
  }
  return results;
}
const met = (commitWhen, results) =>
  commitWhen !== undefined && commitWhen.every((c) => results[c.statement] !== undefined && results[c.statement].length === c.rows);
// A speculative batch commits whole or leaves nothing: any failure (a lost claim, an error, a failed COMMIT) rolls
// it back and answers skipped, and the main thread then writes it the usual way, where a real error surfaces.
function speculate(message) {
  if (db.inTransaction || !commits.includes(message.after)) return { id: message.id, skipped: true };
  try {
    // Never waits for another process's write lock: busy, it skips, and the usual path waits its turn.
    db.pragma('busy_timeout = 0');
    try {
      prepare('begin immediate').run();
    } finally {
      db.pragma('busy_timeout = ' + workerData.busyTimeoutMs);
    }
    const results = runStatements(message.batch);
    if (met(message.commitWhen, results)) {
      prepare('commit').run();
      remember(message.token);
      return { id: message.id, results, committed: true };
    }
  } catch {}
  if (db.inTransaction) {
    try {
      prepare('rollback').run();
    } catch {
      // A transaction nobody owns would take in every later write: the thread ends, and its store with it.
      process.exit(1);
    }
  }
  return { id: message.id, skipped: true };
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
    if (message.speculative) {
      parentPort.postMessage(speculate(message));
      return;
    }
    if (message.begin) prepare('begin immediate').run();
    if (message.batch) {
      const results = runStatements(message.batch);
      // The batch is its transaction's last write: committed here when every listed statement answered that
      // many rows (statement-batch.ts, commitWhen), without waiting for the main thread to ask.
      const committed = met(message.commitWhen, results);
      if (committed) {
        prepare('commit').run();
        remember(message.token);
      }
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
