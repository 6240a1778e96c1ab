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
// SKIP (comma list of: ceiling, sqlite, postgres, peers, import, growth, two-nodes).
// Everything runs on loopback, bounded in time, and stops by itself.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { argon2, argon2HashesPerSecond, median, root, rssMiB, scratchPostgres, startRoster } from './lib.mjs';
import { createLoad, readLoad } from './load.mjs';
import { bareInsertMs, batchMs, cliImport } from './measure.mjs';
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
const OUT = path.join(root, 'bench/results');
fs.mkdirSync(OUT, { recursive: true });

const log = (...args) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...args);
const results = {
  machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
  startedAt: new Date().toISOString(),
  config: { DURATION, CONNECTIONS, SWEEP, SWEEP_DURATION, IMPORT_ROWS, PG_IMPORT_ROWS },
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

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'roster-bench-'));
try {
  log('argon2id alone');
  results.argon2PerSecond = await argon2HashesPerSecond();
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
console.log(renderTable(results));

function renderTable(r) {
  const rows = [];
  const fmt = (n, d = 0) =>
    n === undefined || Number.isNaN(n) ? '—' : Number(n).toLocaleString('en', { maximumFractionDigits: d, minimumFractionDigits: d });
  const pct = (a, b) => (a && b ? `${((a / b) * 100).toFixed(0)} %` : '—');
  const times = (a, b) => (a && b ? `${(a / b).toFixed(1)}×` : '—');
  const verdict = (ok) => (ok === undefined ? '—' : ok ? 'met' : 'not met');
  const peerBest = (db) => Math.max(...['better-auth', 'directus'].map((p) => r.peers?.[`${p}-${db}`]?.perSecond ?? 0)) || undefined;
  for (const [label, db] of [
    ['SQLite', 'sqlite'],
    ['PostgreSQL', 'pg'],
  ]) {
    const x = r[label];
    if (!x) continue;
    if (label === 'SQLite')
      rows.push([
        `single create, no password, ${label} (c=${CONNECTIONS})`,
        `${fmt(x.single.perSecond)}/s, p99 ${x.single.p99} ms`,
        `minimal route ${fmt(r.ceiling?.perSecond)}/s`,
        pct(x.single.perSecond, r.ceiling?.perSecond),
        '≥ 40 %',
        verdict(r.ceiling && x.single.perSecond >= 0.4 * r.ceiling.perSecond),
      ]);
    const best = peerBest(db);
    rows.push([
      `single create, no password, ${label}, vs peers`,
      `${fmt(x.single.perSecond)}/s`,
      best
        ? `faster peer ${fmt(best)}/s (better-auth ${fmt(r.peers[`better-auth-${db}`]?.perSecond)}, Directus ${fmt(r.peers[`directus-${db}`]?.perSecond)})`
        : (r.peers?.skipped ?? '—'),
      times(x.single.perSecond, best),
      '≥ 10×',
      verdict(best && x.single.perSecond >= 10 * best),
    ]);
    rows.push([
      `single create with password, ${label}`,
      `${fmt(x.password.perSecond)}/s`,
      `bare argon2id ${fmt(r.argon2PerSecond)}/s`,
      pct(x.password.perSecond, r.argon2PerSecond),
      '≥ 90 %',
      verdict(x.password.perSecond >= 0.9 * r.argon2PerSecond),
    ]);
    rows.push([
      `batch of 1,000, no passwords, ${label}`,
      `${fmt(x.batchMs)} ms`,
      `bare multi-row insert ${fmt(x.bareMs, 1)} ms`,
      times(x.batchMs, x.bareMs),
      '≤ 3×',
      verdict(x.batchMs <= 3 * x.bareMs),
    ]);
    rows.push([
      `memory and start, ${label}`,
      `idle ${fmt(x.idleRssMiB)} MiB, after runs ${fmt(x.afterRssMiB)} MiB, ready ${fmt(x.readyMs)} ms`,
      '',
      '',
      '≤ 100 MiB; ≤ 1 s',
      verdict(x.idleRssMiB <= 100 && x.afterRssMiB <= 100 && x.readyMs <= 1000),
    ]);
  }
  for (const [imp, target] of [
    [r.importSqlite, 20_000],
    [r.importPg, 10_000],
  ]) {
    if (imp)
      rows.push([
        `import of ${fmt(imp.rows)} rows, ${imp.label}`,
        `${fmt(imp.rate)} rows/s, peak RSS ${fmt(imp.rss)} MiB`,
        '',
        '',
        `≥ ${fmt(target)} rows/s; ≤ 250 MiB`,
        verdict(imp.rate >= target && imp.rss <= 250),
      ]);
  }
  for (const [label, g] of Object.entries(r.growth ?? {})) {
    rows.push([
      `growth, ${label}: create p50 / p99`,
      `${g.grown.create.p50} / ${g.grown.create.p99} ms with ${fmt(label === 'SQLite' ? r.importSqlite?.rows : r.importPg?.rows)} users`,
      `${g.empty.create.p50} / ${g.empty.create.p99} ms with 0`,
      times(g.grown.create.p50, g.empty.create.p50),
      'p50 within 1.2×',
      verdict(g.grown.create.p50 <= 1.2 * Math.max(g.empty.create.p50, 1)),
    ]);
    rows.push([
      `growth, ${label}: filtered list first page p99`,
      `${g.grown.list.p99} ms (q=user4242)`,
      `${g.empty.list.p99} ms with 0`,
      '',
      '≤ 10 ms',
      verdict(g.grown.list.p99 <= 10),
    ]);
  }
  if (r.twoNodes) {
    const t = r.twoNodes;
    rows.push(['two nodes on one PostgreSQL, round-robin', `${fmt(t.two)}/s`, `one node ${fmt(t.one)}/s`, times(t.two, t.one), '', '']);
    rows.push([
      'two nodes: correctness',
      `race: ${t.raceCreated} created, ${t.raceConflicts} × 409, ${t.dupRows} duplicate emails; ${fmt(t.delivered)} of ${fmt(t.events)} events delivered, ${t.deliveredTwice} twice`,
      '',
      '',
      'no duplicate; each event once',
      verdict(t.dupRows === 0 && t.raceCreated === 100 && t.delivered === t.events && t.deliveredTwice === 0),
    ]);
  }
  const head = `\nRoster benchmarks, ${r.machine}, ${r.startedAt.slice(0, 10)}; argon2id m=${argon2.memoryCost} KiB t=${argon2.timeCost} p=${argon2.parallelism}; ${DURATION} s per load\n\n| figure | Roster | reference (same run) | ratio | target | |\n|---|---|---|---|---|---|\n`;
  return head + rows.map((row) => `| ${row.join(' | ')} |`).join('\n');
}
