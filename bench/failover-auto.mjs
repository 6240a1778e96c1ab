#!/usr/bin/env node
// Failover with pg_auto_failover (issue 21): a monitor and two PostgreSQL 15 nodes on loopback, a Roster
// process on the multi-host DATABASE_URL (and DATABASE_READ_URL on both nodes), six concurrent creators and
// one lister; the primary node (its pg_autoctl keeper and its postgres) is SIGKILLed and the monitor promotes
// the secondary by itself. Reports the outage window (kill → first acknowledged create after) and how many
// acknowledged creates are missing on the new primary (target 0), or stored twice.
//
//   apt-get install postgresql-15-auto-failover     # Debian: pg_autoctl and the monitor extension
//   node bench/failover-auto.mjs                    # as root (runs pg_autoctl as the postgres user) or as postgres
//
// Knobs: UNHEALTHY_TIMEOUT_MS and PRIMARY_DEMOTE_TIMEOUT_MS (the monitor's pgautofailover.node_considered_unhealthy_timeout
// and primary_demote_timeout; default: the extension's own, 20000 and 30000), BENCH_TIMEOUT_S (whole run, default 600). Loopback only; stops by itself.
/* global AbortSignal, clearTimeout */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = '/usr/lib/postgresql/15/bin';
const asRoot = process.getuid?.() === 0;
const deadline = Date.now() + Number(process.env.BENCH_TIMEOUT_S ?? 600) * 1000;
const tuned = {
  node_considered_unhealthy_timeout: process.env.UNHEALTHY_TIMEOUT_MS,
  primary_demote_timeout: process.env.PRIMARY_DEMOTE_TIMEOUT_MS,
};

if (!fs.existsSync('/usr/bin/pg_autoctl')) {
  console.error('pg_autoctl is missing: apt-get install postgresql-15-auto-failover');
  process.exit(2);
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const base = fs.mkdtempSync(path.join(os.tmpdir(), 'roster-autofailover-'));
if (asRoot) execFileSync('chown', ['postgres:postgres', base]);
// pg_autoctl keeps its own files under XDG directories: inside the scratch directory, removed at the end.
const autoctlEnv = {
  ...process.env,
  XDG_CONFIG_HOME: path.join(base, 'config'),
  XDG_DATA_HOME: path.join(base, 'share'),
  XDG_RUNTIME_DIR: path.join(base, 'run'),
};

function command(args) {
  return asRoot ? ['runuser', ['-u', 'postgres', '--', 'env', ...envArgs(), 'pg_autoctl', ...args]] : ['pg_autoctl', args];
}
function envArgs() {
  return ['XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'XDG_RUNTIME_DIR'].map((name) => `${name}=${autoctlEnv[name]}`);
}
function autoctl(args, timeout = 60_000) {
  const [cmd, full] = command(args);
  return execFileSync(cmd, full, { timeout, env: autoctlEnv, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
}
const services = [];
/** A long-running `pg_autoctl ... --run` in a process group of its own (so it can be killed with its postgres). */
function service(name, args) {
  const [cmd, full] = command(args);
  const log = fs.openSync(path.join(base, `${name}.log`), 'a');
  const child = spawn(cmd, full, { env: autoctlEnv, stdio: ['ignore', log, log], detached: true });
  services.push({ name, child });
  return child;
}
function killGroup(child, signal = 'SIGKILL') {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}
function postmasterPid(dir) {
  try {
    return Number(fs.readFileSync(path.join(dir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return undefined;
  }
}
async function until(what, probe, timeoutMs) {
  const end = Math.min(Date.now() + timeoutMs, deadline);
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const [monitorPort, port1, port2, rosterPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
const monitorDir = path.join(base, 'monitor');
const node1Dir = path.join(base, 'node1');
const node2Dir = path.join(base, 'node2');
const monitorUri = `postgres://autoctl_node@127.0.0.1:${monitorPort}/pg_auto_failover`;
let roster;

async function cleanup() {
  if (roster && roster.exitCode === null) roster.kill('SIGKILL');
  for (const { child } of services) killGroup(child);
  for (const dir of [monitorDir, node1Dir, node2Dir]) {
    const pid = postmasterPid(dir);
    if (pid) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
  await sleep(500);
  fs.rmSync(base, { recursive: true, force: true });
}
const guard = setTimeout(() => {
  console.error('failover-auto: time bound reached');
  void cleanup().then(() => process.exit(1));
}, deadline - Date.now());

async function state() {
  const nodes = JSON.parse(autoctl(['show', 'state', '--pgdata', monitorDir, '--json'], 20_000));
  const pick = (n, ...names) => names.map((name) => n[name]).find((v) => v !== undefined);
  return nodes.map((n) => ({
    port: Number(pick(n, 'nodeport', 'node_port', 'port')),
    reported: pick(n, 'reported_state', 'current_group_state', 'current_state'),
    assigned: pick(n, 'assigned_state', 'assigned_group_state', 'goal_state'),
  }));
}

try {
  const common = ['--hostname', '127.0.0.1', '--auth', 'trust', '--no-ssl', '--pgctl', path.join(bin, 'pg_ctl')];
  autoctl(['create', 'monitor', '--pgdata', monitorDir, '--pgport', String(monitorPort), ...common]);
  // The bench's own connections (settings, checks) and Roster's come over loopback as postgres.
  fs.appendFileSync(path.join(monitorDir, 'pg_hba.conf'), 'host all all 127.0.0.1/32 trust\n');
  service('monitor', ['run', '--pgdata', monitorDir]);
  const monitorAdmin = await until(
    'the monitor to accept connections',
    async () => {
      const client = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${monitorPort}/pg_auto_failover` });
      client.on('error', () => undefined);
      await client.connect();
      return client;
    },
    60_000,
  );
  for (const [name, value] of Object.entries(tuned)) {
    if (value === undefined) continue;
    await monitorAdmin.query(`alter system set pgautofailover.${name} = ${Number(value)}`);
    await monitorAdmin.query('select pg_reload_conf()');
  }
  const settings = (
    await monitorAdmin.query(
      "select name, setting from pg_settings where name in ('pgautofailover.health_check_period', 'pgautofailover.node_considered_unhealthy_timeout', 'pgautofailover.health_check_timeout', 'pgautofailover.health_check_max_retries', 'pgautofailover.health_check_retry_delay', 'pgautofailover.primary_demote_timeout')",
    )
  ).rows;
  await monitorAdmin.end();

  const node = (dir, port) => [
    'create',
    'postgres',
    '--pgdata',
    dir,
    '--pgport',
    String(port),
    '--dbname',
    'roster',
    '--monitor',
    monitorUri,
    ...common,
    '--run',
  ];
  const started = Date.now();
  service('node1', node(node1Dir, port1));
  await until('node1 primary', async () => (await state()).some((n) => n.port === port1 && n.reported === 'single'), 120_000);
  // Roster and the bench connect over loopback as postgres (node2 is a copy of node1 and gets this too).
  fs.appendFileSync(path.join(node1Dir, 'pg_hba.conf'), 'host all all 127.0.0.1/32 trust\n');
  execFileSync(
    asRoot ? 'runuser' : path.join(bin, 'pg_ctl'),
    [...(asRoot ? ['-u', 'postgres', '--', path.join(bin, 'pg_ctl')] : []), '-D', node1Dir, 'reload'],
    {
      stdio: 'ignore',
    },
  );
  service('node2', node(node2Dir, port2));
  await until(
    'node1 primary and node2 secondary',
    async () => {
      const nodes = await state();
      return (
        nodes.some((n) => n.port === port1 && n.reported === 'primary') && nodes.some((n) => n.port === port2 && n.reported === 'secondary')
      );
    },
    180_000,
  );
  const primaryAdmin = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port1}/postgres` });
  await primaryAdmin.connect();
  const sync = (await primaryAdmin.query('show synchronous_standby_names')).rows[0].synchronous_standby_names;
  await primaryAdmin.end();
  console.log(
    `pg_auto_failover: monitor + 2 nodes up in ${((Date.now() - started) / 1000).toFixed(1)} s; synchronous_standby_names = ${sync}`,
  );

  const adminKey = `rst_${randomBytes(32).toString('hex')}`;
  roster = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...process.env,
      PORT: String(rosterPort),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'error',
      ROSTER_ADMIN_KEY: adminKey,
      ROSTER_RATE_LIMIT_PER_KEY: '10000000',
      ROSTER_RATE_LIMIT_PER_ADDRESS: '10000000',
      DATABASE_URL: `postgres://postgres@127.0.0.1:${port1},127.0.0.1:${port2}/roster?target_session_attrs=read-write`,
      // Lists from whichever node answers first (the secondary while it is caught up: it is synchronous).
      DATABASE_READ_URL: `postgres://postgres@127.0.0.1:${port2},127.0.0.1:${port1}/roster`,
    },
  });
  const url = `http://127.0.0.1:${rosterPort}`;
  await until('Roster ready', async () => (await fetch(`${url}/readyz`)).ok, 300_000);
  const headers = { authorization: `Bearer ${adminKey}`, 'x-roster-tenant': 'auto', 'content-type': 'application/json' };
  const tenant = await fetch(`${url}/v1/tenants`, { method: 'POST', headers, body: JSON.stringify({ slug: 'auto' }) });
  if (tenant.status !== 201) throw new Error(`tenant: ${tenant.status}`);

  const answers = [];
  const reads = [];
  let stop = false;
  let sequence = 0;
  const ok = (a) => typeof a.status === 'number' && a.status >= 200 && a.status < 300;
  const creators = Array.from({ length: 6 }, async () => {
    while (!stop) {
      const username = `auto.${sequence++}`;
      const at = Date.now();
      try {
        const response = await fetch(`${url}/v1/users`, {
          method: 'POST',
          headers: { ...headers, 'idempotency-key': username },
          body: JSON.stringify({ username }),
          signal: AbortSignal.timeout(20_000),
        });
        const body = await response.json().catch(() => ({}));
        answers.push({ username, status: response.status, id: body.id, code: body.code, at, done: Date.now() });
      } catch {
        answers.push({ username, status: 'connection error', at, done: Date.now() });
      }
    }
  });
  const lister = (async () => {
    while (!stop) {
      const at = Date.now();
      const status = await fetch(`${url}/v1/users?limit=5`, { headers, signal: AbortSignal.timeout(20_000) }).then(
        (r) => r.status,
        () => 'connection error',
      );
      reads.push({ status, at });
      await sleep(50);
    }
  })();

  await until('creates on node1', async () => answers.filter(ok).length >= 60, 120_000);
  // The primary node dies whole: its keeper (which would restart postgres) and postgres itself.
  const node1 = services.find((s) => s.name === 'node1').child;
  const pid1 = postmasterPid(node1Dir);
  killGroup(node1);
  if (pid1) {
    try {
      process.kill(pid1, 'SIGKILL');
    } catch {
      // gone with its group
    }
  }
  const killedAt = Date.now();
  const firstAfter = await until('a create on the promoted node', async () => answers.find((a) => a.at > killedAt && ok(a)), 150_000);
  const promoted = await until(
    'node2 primary',
    async () => (await state()).some((n) => n.port === port2 && ['primary', 'wait_primary', 'single'].includes(n.reported)),
    60_000,
  );
  await until('more creates after the failover', async () => answers.filter((a) => a.at > killedAt && ok(a)).length >= 60, 60_000);
  stop = true;
  await Promise.all([...creators, lister]);

  const client = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port2}/roster` });
  await client.connect();
  const rows = (await client.query("select u.id, u.username from users u join tenants t on t.id = u.tenant_id where t.slug = 'auto'")).rows;
  await client.end();
  const stored = new Map();
  for (const row of rows) stored.set(row.username, [...(stored.get(row.username) ?? []), row.id]);
  const acknowledged = answers.filter(ok);
  const lost = acknowledged.filter((a) => !(stored.get(a.username) ?? []).includes(a.id));
  const twice = [...stored.values()].filter((ids) => ids.length > 1).length;
  const outage = answers.filter((a) => a.at > killedAt && a.at < firstAfter.at && !ok(a));
  const byStatus = {};
  for (const a of outage)
    byStatus[a.status === 503 ? `503 ${a.code}` : String(a.status)] =
      (byStatus[`${a.status === 503 ? `503 ${a.code}` : a.status}`] ?? 0) + 1;
  const outageReads = reads.filter((r) => r.at > killedAt && r.at < firstAfter.at);
  const result = {
    setup: 'pg_auto_failover 2.0, monitor + 2 nodes (PostgreSQL 15) on loopback',
    synchronousStandbyNames: sync,
    monitorSettings: Object.fromEntries(settings.map((s) => [s.name.replace('pgautofailover.', ''), Number(s.setting)])),
    acknowledgedCreates: acknowledged.length,
    acknowledgedLost: lost.length,
    storedTwice: twice,
    outageWindowSeconds: Number(((firstAfter.at - killedAt) / 1000).toFixed(1)),
    outageAnswers: byStatus,
    listsDuringOutage: {
      ok: outageReads.filter((r) => r.status === 200).length,
      other: outageReads.filter((r) => r.status !== 200).length,
    },
    promotedNode: promoted && port2,
  };
  console.log(JSON.stringify(result, null, 2));
  process.exitCode = lost.length === 0 && twice === 0 ? 0 : 1;
} catch (error) {
  console.error(error);
  try {
    console.error(autoctl(['show', 'state', '--pgdata', monitorDir, '--json'], 20_000));
  } catch {
    // no monitor
  }
  for (const name of ['monitor', 'node1', 'node2']) {
    const file = path.join(base, `${name}.log`);
    if (fs.existsSync(file)) console.error(`--- ${name}.log (tail)\n${fs.readFileSync(file, 'utf8').split('\n').slice(-15).join('\n')}`);
  }
  process.exitCode = 1;
} finally {
  clearTimeout(guard);
  await cleanup();
}
