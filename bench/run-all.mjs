#!/usr/bin/env node
// `npm run bench`: every figure of the performance issue, each measured in the same run as its
// reference and reported as a ratio, printed as one table; the concurrency sweep is drawn to
// bench/results/sweep.png and everything is kept in bench/results/latest.json.
//
//   npm run build && npm run bench
//   PEERS_DIR=/tmp/peers npm run bench     # with Directus and better-auth (an installed copy of the peer harness)
//
// Knobs: DURATION (s per load, default 10), CONNECTIONS (32), SWEEP ("1,4,16,32,64"), SWEEP_DURATION (3),
// IMPORT_ROWS (1000000; also the size of the "grown" tenant), PG_IMPORT_ROWS (IMPORT_ROWS),
// BENCH_DATABASE_URL (PostgreSQL admin URL; default postgres://postgres@127.0.0.1:5432/postgres, skipped if unreachable),
// BENCH_RENDER (print the table of a saved results JSON, e.g. bench/results/latest.json, and measure nothing),
// SKIP (comma list of: ceiling, sqlite, postgres, peers, import, reads, growth, two-nodes; `import` skips
// the reads too), READS_IMPORT_ROWS (IMPORT_ROWS; PG_READS_IMPORT_ROWS: PG_IMPORT_ROWS), READ_RATE (20 GETs/s),
// BENCH_BEFORE (a results JSON whose figures fill the table's "before" column; default the last published
// run, docs/benchmarks/results-2026-11-30.json; "none" for no column).
// Everything runs on loopback, bounded in time, and stops by itself.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { argon2, argon2Reference, median, root, rssMiB, scratchPostgres, startRoster } from './lib.mjs';
import { createLoad, readLoad } from './load.mjs';
import { apiImportWithReads, bareInsertMs, batchMs, cliImport } from './measure.mjs';
import { peersAvailable, startPeer } from './peers.mjs';
import { plotResults } from './plot.mjs';
import { twoNodes } from './two-nodes.mjs';

const env = process.env;
const DURATION = Number(env.DURATION ?? 10);
const CONNECTIONS = Number(env.CONNECTIONS ?? 32);
const SWEEP = (env.SWEEP ?? '1,4,16,32,64').split(',').map(Number);
const SWEEP_DURATION = Number(env.SWEEP_DURATION ?? 3);
const IMPORT_ROWS = Number(env.IMPORT_ROWS ?? 1_000_000);
const PG_IMPORT_ROWS = Number(env.PG_IMPORT_ROWS ?? IMPORT_ROWS);
const PG_URL = env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SKIP = new Set((env.SKIP ?? '').split(',').filter(Boolean));
const READS_IMPORT_ROWS = Number(env.READS_IMPORT_ROWS ?? IMPORT_ROWS);
const PG_READS_IMPORT_ROWS = Number(env.PG_READS_IMPORT_ROWS ?? PG_IMPORT_ROWS);
const READ_RATE = Number(env.READ_RATE ?? 20);
const BEFORE_FILE = env.BENCH_BEFORE ?? path.join(root, 'docs/benchmarks/results-2026-11-30.json');
const OUT = path.join(root, 'bench/results');
fs.mkdirSync(OUT, { recursive: true });

const log = (...args) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...args);
const results = {
  machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
  startedAt: new Date().toISOString(),
  config: { DURATION, CONNECTIONS, SWEEP, SWEEP_DURATION, IMPORT_ROWS, PG_IMPORT_ROWS, READS_IMPORT_ROWS, PG_READS_IMPORT_ROWS, READ_RATE },
  sweep: [],
};

async function pgReachable() {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

/** Throughput and p99 at each concurrency of the sweep, for the plot. */
async function sweep(target, load) {
  for (const connections of SWEEP) {
    const r = await load(connections, SWEEP_DURATION);
    results.sweep.push({ target, connections, perSecond: Math.max(r.perSecond, 0.1), p99: Math.max(r.p99, 0.1) });
  }
}

async function ceiling() {
  const child = spawn(process.execPath, [path.join(root, 'bench/ceiling-server.mjs'), '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve) => child.stdout.once('data', (d) => resolve(Number(String(d).trim()))));
  const base = `http://127.0.0.1:${port}`;
  try {
    results.ceiling = await createLoad({ base, profile: 'ceiling', connections: CONNECTIONS, duration: DURATION });
    await sweep('minimal Fastify route', (connections, duration) => createLoad({ base, profile: 'ceiling', connections, duration }));
  } finally {
    child.kill();
  }
}

/** Start, idle memory, single creates (with and without password), the sweep, batches, memory after. */
async function roster(label, startEnv, kind, target) {
  const r = await startRoster(startEnv);
  const out = { readyMs: r.readyMs };
  try {
    await sleep(2000);
    out.idleRssMiB = rssMiB(r.pid);
    out.single = await createLoad({ base: r.base, token: r.key, profile: 'roster', connections: CONNECTIONS, duration: DURATION });
    out.password = await createLoad({
      base: r.base,
      token: r.key,
      profile: 'roster',
      connections: CONNECTIONS,
      duration: DURATION,
      withPassword: true,
    });
    await sweep(`Roster, ${label}`, (connections, duration) =>
      createLoad({ base: r.base, token: r.key, profile: 'roster', connections, duration }),
    );
    await batchMs(r, 'warm', false);
    const batch = [];
    const bare = [];
    for (let i = 0; i < 3; i++) {
      batch.push(await batchMs(r, `r${i}${Date.now()}`, false));
      bare.push(await bareInsertMs(kind, target, `r${i}${Date.now()}`));
    }
    out.batchMs = median(batch);
    out.bareMs = median(bare);
    await sleep(3000);
    out.afterRssMiB = rssMiB(r.pid);
  } finally {
    await r.stop();
  }
  results[label] = out;
}

async function peers() {
  if (!peersAvailable()) {
    results.peers = { skipped: 'PEERS_DIR is not set to an installed copy of the peer harness' };
    return;
  }
  results.peers = {};
  const databases = ['sqlite', ...(results.PostgreSQL ? ['pg'] : [])];
  for (const peer of ['better-auth', 'directus']) {
    for (const db of databases) {
      log(`peer ${peer} on ${db}`);
      const p = await startPeer(peer, db);
      try {
        const load = (connections, duration) =>
          createLoad({ base: p.base, token: p.token, profile: peer, role: p.role, connections, duration });
        await load(2, 2); // warm-up
        results.peers[`${peer}-${db}`] = await load(CONNECTIONS, DURATION);
        await sweep(`${peer}, ${db === 'pg' ? 'PostgreSQL' : 'SQLite'}`, load);
      } finally {
        p.stop();
      }
    }
  }
}

/** Create latency and a filtered list's first page in an empty tenant and in the imported one, same server. */
async function growth(label, startEnv) {
  const r = await startRoster(startEnv, { tenantExists: true });
  try {
    await r.platformCall('POST', '/v1/tenants', { slug: 'empty' });
    const emptyKey = (await r.platformCall('POST', '/v1/api-keys', { name: 'bench' }, { 'x-roster-tenant': 'empty' })).secret;
    const measure = async (token) => ({
      create: await createLoad({ base: r.base, token, profile: 'roster', connections: 1, duration: 5 }),
      list: await readLoad({ base: r.base, token, path: '/v1/users?q=user4242&limit=50', connections: 1, duration: 5 }),
    });
    results.growth ??= {};
    results.growth[label] = { empty: await measure(emptyKey), grown: await measure(r.key) };
  } finally {
    await r.stop();
  }
}

/** GET /v1/users sampled on one server, idle and while that server's worker runs an import job. */
async function readsDuringImport(startEnv, rows) {
  const r = await startRoster(startEnv);
  try {
    return await apiImportWithReads(r, rows, work, { readRate: READ_RATE });
  } finally {
    await r.stop();
  }
}

const RENDER_ONLY = env.BENCH_RENDER; // a results JSON to print as the table, measuring nothing
const work = RENDER_ONLY ? undefined : fs.mkdtempSync(path.join(os.tmpdir(), 'roster-bench-'));
if (!RENDER_ONLY) {
  try {
    log('argon2id alone');
    results.argon2 = await argon2Reference();
    results.argon2PerSecond = results.argon2.perSecond;
    if (!SKIP.has('ceiling')) {
      log('ceiling');
      await ceiling();
    }
    if (!SKIP.has('sqlite')) {
      log('Roster on SQLite');
      const dir = path.join(work, 'sqlite');
      await roster('SQLite', { ROSTER_DATA_DIR: dir, DATABASE_URL: '' }, 'sqlite', path.join(dir, 'roster.sqlite'));
    }
    const havePg = !SKIP.has('postgres') && (await pgReachable());
    if (havePg) {
      log('Roster on PostgreSQL');
      const scratch = await scratchPostgres(PG_URL);
      try {
        await roster('PostgreSQL', { DATABASE_URL: scratch.url }, 'postgres', scratch.url);
      } finally {
        await scratch.drop();
      }
    }
    if (!SKIP.has('peers')) await peers();
    if (!SKIP.has('import')) {
      log(`import of ${IMPORT_ROWS} rows into SQLite`);
      const dir = path.join(work, 'import-sqlite');
      results.importSqlite = cliImport('SQLite', { ROSTER_DATA_DIR: dir, DATABASE_URL: '' }, IMPORT_ROWS, work);
      if (!SKIP.has('growth')) {
        log('growth on SQLite');
        await growth('SQLite', { ROSTER_DATA_DIR: dir, DATABASE_URL: '' });
      }
      fs.rmSync(dir, { recursive: true, force: true });
      if (havePg) {
        log(`import of ${PG_IMPORT_ROWS} rows into PostgreSQL`);
        const scratch = await scratchPostgres(PG_URL);
        try {
          results.importPg = cliImport('PostgreSQL', { DATABASE_URL: scratch.url }, PG_IMPORT_ROWS, work);
          if (!SKIP.has('growth')) {
            log('growth on PostgreSQL');
            await growth('PostgreSQL', { DATABASE_URL: scratch.url });
          }
        } finally {
          await scratch.drop();
        }
      }
    }
    if (!SKIP.has('import') && !SKIP.has('reads')) {
      log(`import of ${READS_IMPORT_ROWS} rows through the API into SQLite, reads sampled`);
      const dir = path.join(work, 'reads-sqlite');
      results.readsSqlite = await readsDuringImport({ ROSTER_DATA_DIR: dir, DATABASE_URL: '' }, READS_IMPORT_ROWS);
      fs.rmSync(dir, { recursive: true, force: true });
      if (havePg) {
        log(`import of ${PG_READS_IMPORT_ROWS} rows through the API into PostgreSQL, reads sampled`);
        const scratch = await scratchPostgres(PG_URL);
        try {
          results.readsPg = await readsDuringImport({ DATABASE_URL: scratch.url }, PG_READS_IMPORT_ROWS);
        } finally {
          await scratch.drop();
        }
      }
    }
    if (havePg && !SKIP.has('two-nodes')) {
      log('two nodes');
      results.twoNodes = await twoNodes(PG_URL, { duration: DURATION, connections: CONNECTIONS });
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }

  results.finishedAt = new Date().toISOString();
  fs.writeFileSync(path.join(OUT, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  if (results.sweep.length > 0) await plotResults(results, OUT);
}

const fmt = (n, d = 0) =>
  n === undefined || Number.isNaN(n) ? '—' : Number(n).toLocaleString('en', { maximumFractionDigits: d, minimumFractionDigits: d });
const pct = (a, b) => (a && b ? `${((a / b) * 100).toFixed(0)} %` : '—');
const times = (a, b) => (a && b ? `${(a / b).toFixed(1)}×` : '—');
const verdict = (ok) => (ok === undefined ? '—' : ok ? 'met' : 'not met');

/**
 * Every figure of a results JSON as table rows: `key` (the same figure in another run), the cells, and
 * `short` (what the "before" column shows of it: the value and its ratio).
 */
function figures(r) {
  const rows = [];
  const add = (key, figure, roster, reference, ratio, target, ok, short = ratio ? `${roster} (${ratio})` : roster) =>
    rows.push({ key, cells: [figure, roster, reference, ratio, target, verdict(ok)], short });
  const connections = r.config?.CONNECTIONS ?? CONNECTIONS;
  const peerBest = (db) => Math.max(...['better-auth', 'directus'].map((p) => r.peers?.[`${p}-${db}`]?.perSecond ?? 0)) || undefined;
  const reference = r.argon2
    ? `bare argon2id ${fmt(r.argon2.perSecond)}/s (${r.argon2.concurrency} in flight, its best)`
    : `bare argon2id ${fmt(r.argon2PerSecond)}/s`;
  for (const [label, db] of [
    ['SQLite', 'sqlite'],
    ['PostgreSQL', 'pg'],
  ]) {
    const x = r[label];
    if (!x) continue;
    if (label === 'SQLite')
      add(
        `single-ceiling-${label}`,
        `single create, no password, ${label} (c=${connections})`,
        `${fmt(x.single.perSecond)}/s, p99 ${x.single.p99} ms`,
        `minimal route ${fmt(r.ceiling?.perSecond)}/s`,
        pct(x.single.perSecond, r.ceiling?.perSecond),
        '≥ 40 %',
        r.ceiling ? x.single.perSecond >= 0.4 * r.ceiling.perSecond : undefined,
      );
    const best = peerBest(db);
    add(
      `single-peers-${label}`,
      `single create, no password, ${label}, vs peers`,
      `${fmt(x.single.perSecond)}/s`,
      best
        ? `faster peer ${fmt(best)}/s (better-auth ${fmt(r.peers[`better-auth-${db}`]?.perSecond)}, Directus ${fmt(r.peers[`directus-${db}`]?.perSecond)})`
        : (r.peers?.skipped ?? '—'),
      times(x.single.perSecond, best),
      '≥ 10×',
      best ? x.single.perSecond >= 10 * best : undefined,
    );
    add(
      `password-${label}`,
      `single create with password, ${label}`,
      `${fmt(x.password.perSecond)}/s, p99 ${fmt(x.password.p99)} ms`,
      reference,
      pct(x.password.perSecond, r.argon2PerSecond),
      '≥ 90 %',
      x.password.perSecond >= 0.9 * r.argon2PerSecond,
      `${fmt(x.password.perSecond)}/s (${pct(x.password.perSecond, r.argon2PerSecond)})`,
    );
    add(
      `batch-${label}`,
      `batch of 1,000, no passwords, ${label}`,
      `${fmt(x.batchMs)} ms`,
      `bare multi-row insert ${fmt(x.bareMs, 1)} ms`,
      times(x.batchMs, x.bareMs),
      '≤ 3×',
      x.batchMs <= 3 * x.bareMs,
    );
    add(
      `memory-${label}`,
      `memory and start, ${label}`,
      `idle ${fmt(x.idleRssMiB)} MiB, ready ${fmt(x.readyMs)} ms; after the runs ${fmt(x.afterRssMiB)} MiB`,
      '',
      '',
      'idle ≤ 100 MiB; ready ≤ 1 s',
      x.idleRssMiB <= 100 && x.readyMs <= 1000,
      `idle ${fmt(x.idleRssMiB)} MiB, ready ${fmt(x.readyMs)} ms`,
    );
  }
  for (const [imp, target, key] of [
    [r.importSqlite, 20_000, 'import-SQLite'],
    [r.importPg, 10_000, 'import-PostgreSQL'],
  ]) {
    if (imp)
      add(
        key,
        `import of ${fmt(imp.rows)} rows (CLI), ${imp.label}`,
        `${fmt(imp.rate)} rows/s, peak RSS ${fmt(imp.rss)} MiB`,
        '',
        '',
        `≥ ${fmt(target)} rows/s; ≤ 250 MiB`,
        imp.rate >= target && imp.rss <= 250,
      );
  }
  for (const [x, label] of [
    [r.readsSqlite, 'SQLite'],
    [r.readsPg, 'PostgreSQL'],
  ]) {
    if (!x) continue;
    const failed = x.reads.failed > 0 ? `, ${fmt(x.reads.failed)} failed` : '';
    add(
      `reads-during-import-${label}`,
      `GET /v1/users during an import of ${fmt(x.rows)} rows (API job, same server), ${label}`,
      `p50 ${fmt(x.reads.p50)} / p99 ${fmt(x.reads.p99)} / max ${fmt(x.reads.max)} ms, ${fmt(x.reads.count)} reads at ${x.readRate}/s${failed} (import ${fmt(x.rate)} rows/s, ${x.status}; server peak RSS ${fmt(x.peakRssMiB)} MiB)`,
      `same reads, idle server: p99 ${fmt(x.idleReads.p99, 1)} ms`,
      '',
      'p99 < 50 ms',
      x.reads.count > 0 && x.reads.failed === 0 && x.reads.p99 < 50,
      `p99 ${fmt(x.reads.p99)} ms`,
    );
  }
  for (const [label, g] of Object.entries(r.growth ?? {})) {
    add(
      `growth-create-${label}`,
      `growth, ${label}: create p50 / p99`,
      `${g.grown.create.p50} / ${g.grown.create.p99} ms with ${fmt(label === 'SQLite' ? r.importSqlite?.rows : r.importPg?.rows)} users`,
      `${g.empty.create.p50} / ${g.empty.create.p99} ms with 0`,
      times(g.grown.create.p50, g.empty.create.p50),
      'p50 within 1.2×',
      g.grown.create.p50 <= 1.2 * Math.max(g.empty.create.p50, 1),
    );
    add(
      `growth-list-${label}`,
      `growth, ${label}: filtered list first page p99`,
      `${g.grown.list.p99} ms (q=user4242)`,
      `${g.empty.list.p99} ms with 0`,
      '',
      '≤ 10 ms',
      g.grown.list.p99 <= 10,
    );
  }
  if (r.twoNodes) {
    const t = r.twoNodes;
    add(
      'two-nodes',
      'two nodes on one PostgreSQL, round-robin',
      `${fmt(t.two)}/s`,
      `one node ${fmt(t.one)}/s`,
      times(t.two, t.one),
      '',
      undefined,
    );
    add(
      'two-nodes-correctness',
      'two nodes: correctness',
      `race: ${t.raceCreated} created, ${t.raceConflicts} × 409, ${t.dupRows} duplicate emails; ${fmt(t.delivered)} of ${fmt(t.events)} events delivered, ${t.deliveredTwice} twice`,
      '',
      '',
      'no duplicate; each event once',
      t.dupRows === 0 && t.raceCreated === 100 && t.delivered === t.events && t.deliveredTwice === 0,
      t.dupRows === 0 && t.deliveredTwice === 0 && t.delivered === t.events ? 'all met' : 'not met',
    );
  }
  return rows;
}

/** The table: this run's figures, with `before`'s value of each beside it when a before run is given. */
function renderTable(r, previous) {
  const earlier = previous ? new Map(figures(previous).map((row) => [row.key, row.short])) : undefined;
  const beforeHead = previous ? `before (${previous.startedAt?.slice(0, 10) ?? '?'}) | ` : '';
  const lines = figures(r).map(({ key, cells: [figure, ...rest] }) => {
    const beforeCell = earlier ? `${earlier.get(key) ?? '—'} | ` : '';
    return `| ${figure} | ${beforeCell}${rest.join(' | ')} |`;
  });
  const argon = r.argon2?.runs
    ? `; bare argon2id by concurrency: ${r.argon2.runs.map((x) => `${x.concurrency}: ${fmt(x.perSecond)}/s`).join(', ')}`
    : '';
  const head =
    `\nRoster benchmarks, ${r.machine}, ${r.startedAt.slice(0, 10)}; argon2id m=${argon2.memoryCost} KiB t=${argon2.timeCost} p=${argon2.parallelism}${argon}; ${r.config?.DURATION ?? DURATION} s per load` +
    (previous ? `; "before": ${path.relative(root, path.resolve(root, BEFORE_FILE))}` : '') +
    `\n\n| figure | ${beforeHead}Roster | reference (same run) | ratio | target | |\n|---|${previous ? '---|' : ''}---|---|---|---|---|\n`;
  return head + lines.join('\n');
}

let before;
if (BEFORE_FILE && BEFORE_FILE !== 'none') {
  try {
    before = JSON.parse(fs.readFileSync(path.resolve(root, BEFORE_FILE), 'utf8'));
  } catch (error) {
    if (env.BENCH_BEFORE) throw error; // asked for by name: say why it is missing
  }
}
console.log(renderTable(RENDER_ONLY ? JSON.parse(fs.readFileSync(path.resolve(RENDER_ONLY), 'utf8')) : results, before));
