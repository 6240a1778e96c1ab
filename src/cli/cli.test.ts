import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createCore } from '../app.js';
import { loadConfig } from '../config/config.js';
import { buildHttpServer } from '../http/server.js';
import { freePort } from '../testing/roster-process.js';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'roster-cli-'));
const root = path.resolve(import.meta.dirname, '../..');

function roster(args: string[], input?: string) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: root,
    input,
    encoding: 'utf8',
    env: {
      ...process.env,
      ROSTER_DATA_DIR: dataDir,
      DATABASE_URL: '',
      ROSTER_ARGON2_MEMORY_KIB: '1024',
      ROSTER_ARGON2_TIME_COST: '1',
      // The local store: no server from the environment or a profile file of whoever runs the tests.
      ROSTER_URL: '',
      ROSTER_KEY: '',
      ROSTER_PROFILE: '',
      ROSTER_CONFIG: path.join(dataDir, 'no-profiles.json'),
    },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('roster CLI (SQLite)', () => {
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  // Each step starts a Node process, which is slow on a loaded 2-core machine.
  it('should migrate, create a tenant, a key and a user through the same services as the API', { timeout: 600_000 }, async () => {
    const migrate = roster(['migrate']);
    expect(migrate.stdout).toContain('Applied: 0001_core');
    expect(roster(['migrate']).stdout).toContain('up to date');

    const tenant = roster(['tenants', 'create', 'cli-co', '--name', 'CLI Co', '--json']);
    expect(tenant.status).toBe(0);
    expect(JSON.parse(tenant.stdout)).toMatchObject({ slug: 'cli-co', name: 'CLI Co' });

    const key = roster(['keys', 'create', '--tenant', 'cli-co', '--role', 'admin']);
    expect(key.status).toBe(0);
    const secret = key.stdout.trim();
    expect(secret).toMatch(/^rst_[A-Za-z0-9]{48}$/);

    const user = roster(
      ['users', 'create', '--tenant', 'cli-co', '--email', 'Grace@Example.com', '--given-name', 'Grace', '--password-stdin', '--json'],
      'a long cli password\n',
    );
    expect(user.status).toBe(0);
    expect(JSON.parse(user.stdout)).toMatchObject({
      email: 'Grace@example.com',
      givenName: 'Grace',
      hasPassword: true,
      createdBy: 'cli',
      roles: ['user'],
    });

    const duplicate = roster(['users', 'create', '--tenant', 'cli-co', '--email', 'grace@EXAMPLE.com']);
    expect(duplicate.status).toBe(2);
    expect(duplicate.stderr).toContain('USER_EMAIL_TAKEN');

    const invalid = roster(['users', 'create', '--tenant', 'cli-co', '--email', 'nope']);
    expect(invalid.stderr).toContain('/email: EMAIL_INVALID');

    // The key printed by the CLI works against the HTTP API on the same database.
    const config = loadConfig({ ROSTER_DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
    const core = await createCore({ config });
    const app = await buildHttpServer(core, config);
    const list = await app.inject({ url: '/v1/users', headers: { authorization: `Bearer ${secret}` } });
    expect(list.json().data.map((u: { email: string }) => u.email)).toEqual(['Grace@example.com']);
    await app.close();
    await core.close();
  });

  it('should serve HTTP and exit 0 on SIGTERM after finishing', { timeout: 600_000 }, async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
      cwd: root,
      env: { ...process.env, ROSTER_DATA_DIR: dataDir, DATABASE_URL: '', PORT: String(port), LOG_LEVEL: 'warn' },
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let ready = false;
    // Generous: a cold process under tsx on a busy machine can take tens of seconds to be ready.
    for (let i = 0; i < 900 && !ready; i++) {
      ready = await fetch(`http://127.0.0.1:${port}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (!ready) await new Promise((r) => setTimeout(r, 100));
    }
    expect(ready).toBe(true);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('should import a generated CSV with a column map, dry run and error report, and export it again', { timeout: 600_000 }, async () => {
    expect(roster(['tenants', 'create', 'bulk-co']).status).toBe(0);
    const rows = 5000;
    const csv = path.join(dataDir, 'people.csv');
    const lines = [
      'E-mail,First name,Last name,Roles,Active',
      ...Array.from({ length: rows }, (_, i) => `p${i}@example.com,Ada ${i},L,user,yes`),
    ];
    lines[1001] = 'broken-address,Bad,L,user,yes';
    fs.writeFileSync(csv, `${lines.join('\n')}\n`);
    const map = 'E-mail=email,First name=givenName,Last name=familyName,Roles=roles,Active=active';

    const dry = roster(['import', csv, '--tenant', 'bulk-co', '--map', map, '--dry-run', '--json']);
    expect(JSON.parse(dry.stdout)).toEqual({ processed: rows, created: rows - 1, failed: 1 });

    const report = path.join(dataDir, 'errors.csv');
    const run = roster(['import', csv, '--tenant', 'bulk-co', '--map', map, '--errors', report, '--json']);
    expect(run.status).toBe(4);
    expect(JSON.parse(run.stdout)).toEqual({ processed: rows, created: rows - 1, failed: 1 });
    expect(run.stderr).toMatch(/rows\/s/);
    expect(fs.readFileSync(report, 'utf8').trim().split('\n')).toEqual([
      'row,code,field,message',
      '1001,EMAIL_INVALID,email,Not a valid email address',
    ]);

    const again = roster(['import', csv, '--tenant', 'bulk-co', '--map', map, '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ created: 0, failed: rows });

    const out = path.join(dataDir, 'export.ndjson');
    expect(roster(['export', '--tenant', 'bulk-co', '--format', 'ndjson', '--out', out]).stderr).toContain(`Exported ${rows - 1} users`);
    const exported = fs
      .readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(exported).toHaveLength(rows - 1);
    expect(exported[0]).toMatchObject({ email: 'p0@example.com', givenName: 'Ada 0', active: true, roles: ['user'] });
  });

  it(
    'should leave background work to a separate `roster worker` when serve runs with ROSTER_RUN_WORKERS=false',
    { timeout: 300_000 },
    async () => {
      const port = await freePort();
      const key = `rst_${'w'.repeat(16)}${Math.random().toString(36).slice(2).padEnd(40, 'x')}`;
      const env = { ...process.env, ROSTER_DATA_DIR: dataDir, DATABASE_URL: '', LOG_LEVEL: 'warn', ROSTER_ADMIN_KEY: key };
      const server = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
        cwd: root,
        env: { ...env, PORT: String(port), ROSTER_RUN_WORKERS: 'false' },
        stdio: 'ignore',
      });
      let worker: ReturnType<typeof spawn> | undefined;
      const stop = async (child: ReturnType<typeof spawn> | undefined) => {
        if (!child || child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      };
      try {
        let ready = false;
        for (let i = 0; i < 900 && !ready; i++) {
          ready = await fetch(`http://127.0.0.1:${port}/readyz`).then(
            (r) => r.ok,
            () => false,
          );
          if (!ready) await new Promise((r) => setTimeout(r, 100));
        }
        expect(ready).toBe(true);
        const headers = { authorization: `Bearer ${key}`, 'x-roster-tenant': 'cli-co' };
        const job = (await (
          await fetch(`http://127.0.0.1:${port}/v1/imports`, {
            method: 'POST',
            headers: { ...headers, 'content-type': 'application/x-ndjson' },
            body: '{"email":"w1@example.com"}\n{"email":"w2@example.com"}',
          })
        ).json()) as { id: string };
        const status = async () =>
          ((await (await fetch(`http://127.0.0.1:${port}/v1/imports/${job.id}`, { headers })).json()) as { status: string }).status;
        await new Promise((r) => setTimeout(r, 1500));
        expect(await status()).toBe('queued');
        worker = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'worker'], { cwd: root, env, stdio: 'ignore' });
        let done = '';
        for (let i = 0; i < 1200 && done !== 'completed'; i++) {
          done = await status();
          await new Promise((r) => setTimeout(r, 100));
        }
        expect(done).toBe('completed');
      } finally {
        await stop(worker);
        await stop(server);
      }
    },
  );

  it('should explain a usage error without a stack trace', () => {
    const res = roster(['keys', 'create']);
    expect(res.status).toBe(1);
    expect(res.stderr).toContain('give --tenant <slug> or --platform');
    expect(res.stderr).not.toContain('    at ');
  });
});
