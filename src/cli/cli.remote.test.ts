import { spawn } from 'node:child_process';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver } from '../testing/http-receiver.js';
import { freePort } from '../testing/roster-process.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { testDialects } from '../testing/test-db.js';

const root = path.resolve(import.meta.dirname, '../..');

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `roster` as a user runs it: a child process (through tsx, as cli.test.ts does) talking over loopback
 * HTTP to a real server started in this process. Asynchronous, so the server keeps answering meanwhile.
 */
function runRoster(args: string[], env: Record<string, string>, input?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      cwd: root,
      env: { ...process.env, ROSTER_URL: '', ROSTER_KEY: '', ROSTER_PROFILE: '', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

const json = <T = Record<string, unknown>>(run: Run): T => JSON.parse(run.stdout) as T;

for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: roster CLI against a server`, () => {
    let t: TestApp;
    let url: string;
    let tenant: { tenantId: string; slug: string; key: string };
    let dir: string;
    /** Every key a test used: none may appear in any output. */
    const secrets: string[] = [];
    const runs: Run[] = [];

    beforeAll(async () => {
      t = await createTestApp(dialect);
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
      tenant = await t.tenantWithKey('admin');
      secrets.push(tenant.key, t.platformKey);
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roster-cli-remote-'));
    }, 120_000);
    afterAll(async () => {
      await t?.close();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    /** The CLI with the tenant key in ROSTER_URL/ROSTER_KEY and an empty profile file. */
    const roster = async (args: string[], options: { env?: Record<string, string>; input?: string } = {}) => {
      const run = await runRoster(
        args,
        { ROSTER_URL: url, ROSTER_KEY: tenant.key, ROSTER_CONFIG: path.join(dir, 'profiles.json'), ...options.env },
        options.input,
      );
      runs.push(run);
      return run;
    };

    it(
      'should create, get, list, update, deactivate, reactivate and delete users with --json and exit codes',
      { timeout: 600_000 },
      async () => {
        const created = await roster(['users', 'create', '--email', 'Ada@Example.com', '--given-name', 'Ada', '--role', 'user', '--json']);
        expect(created.status).toBe(0);
        const ada = json<{ id: string; email: string; version: number; createdBy: string }>(created);
        expect(ada).toMatchObject({ email: 'Ada@example.com', givenName: 'Ada', roles: ['user'], active: true });
        // Done through the API with the tenant key, not the CLI's local rights.
        expect(ada.createdBy).not.toBe('cli');

        const body = path.join(dir, 'grace.json');
        fs.writeFileSync(body, JSON.stringify({ email: 'grace@example.com', givenName: 'Grace', familyName: 'Hopper', externalId: 'g-1' }));
        const fromFile = await roster(['users', 'create', '--file', body, '--given-name', 'Amazing Grace', '--json']);
        expect(fromFile.status).toBe(0);
        expect(json(fromFile)).toMatchObject({
          email: 'grace@example.com',
          givenName: 'Amazing Grace',
          familyName: 'Hopper',
          externalId: 'g-1',
        });

        const duplicate = await roster(['users', 'create', '--email', 'ADA@example.com', '--json']);
        expect(duplicate.status).toBe(2);
        expect(duplicate.stdout).toBe('');
        expect(duplicate.stderr).toMatch(/^error USER_EMAIL_TAKEN: .+/m);
        expect(duplicate.stderr).not.toContain('    at ');

        const invalid = await roster(['users', 'create', '--email', 'nope']);
        expect(invalid.status).toBe(2);
        expect(invalid.stderr).toContain('error VALIDATION_FAILED');
        expect(invalid.stderr).toContain('/email: EMAIL_INVALID');

        const hostile = path.join(dir, 'hostile.json');
        fs.writeFileSync(hostile, '{"email":"p@example.com","__proto__":{"admin":true}}');
        const polluted = await roster(['users', 'create', '--file', hostile]);
        expect(polluted.status).toBe(2);
        // Refused by the server's JSON parser, before any rule runs.
        expect(polluted.stderr).toMatch(/^error MALFORMED_JSON: .*"__proto__"/m);

        const got = await roster(['users', 'get', ada.id, '--json']);
        expect(got.status).toBe(0);
        expect(json(got)).toMatchObject({ id: ada.id, email: 'Ada@example.com', version: ada.version });
        const human = await roster(['users', 'get', ada.id]);
        expect(human.stdout).toContain(`etag: "${ada.version}"`);

        const missing = await roster(['users', 'get', '00000000-0000-4000-8000-000000000000']);
        expect(missing.status).toBe(2);
        expect(missing.stderr).toContain('error USER_NOT_FOUND');

        const search = await roster(['users', 'list', '--q', 'gra', '--json']);
        expect(search.status).toBe(0);
        expect(json<{ data: Array<{ email: string }>; nextCursor: null }>(search)).toMatchObject({
          data: [{ email: 'grace@example.com' }],
          nextCursor: null,
        });
        const onePage = json<{ data: unknown[]; nextCursor: string | null }>(await roster(['users', 'list', '--limit', '1', '--json']));
        expect(onePage.data).toHaveLength(1);
        expect(onePage.nextCursor).toEqual(expect.any(String));
        const all = json<{ data: Array<{ email: string }>; nextCursor: null }>(
          await roster(['users', 'list', '--limit', '1', '--all', '--json']),
        );
        expect(all.data.map((u) => u.email)).toEqual(['Ada@example.com', 'grace@example.com']);
        expect(all.nextCursor).toBeNull();
        const table = await roster(['users', 'list']);
        expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+EMAIL\s+USERNAME\s+NAME\s+ACTIVE\s+ROLES$/);
        expect(table.stdout).toContain('grace@example.com');

        const stale = await roster(['users', 'update', ada.id, '--family-name', 'Lovelace', '--if-match', String(ada.version + 5)]);
        expect(stale.status).toBe(2);
        expect(stale.stderr).toContain('error USER_VERSION_MISMATCH');
        const patch = path.join(dir, 'patch.json');
        fs.writeFileSync(patch, JSON.stringify({ familyName: 'Lovelace', givenName: null }));
        const updated = await roster(['users', 'update', ada.id, '--file', patch, '--if-match', String(ada.version), '--json']);
        expect(updated.status).toBe(0);
        expect(json(updated)).toMatchObject({ familyName: 'Lovelace', givenName: null, version: ada.version + 1 });

        const deactivated = await roster(['users', 'deactivate', ada.id, '--json']);
        expect(deactivated.status).toBe(0);
        expect(json(deactivated)).toMatchObject({ id: ada.id, active: false });
        const inactive = json<{ data: Array<{ id: string }> }>(await roster(['users', 'list', '--active', 'false', '--json']));
        expect(inactive.data.map((u) => u.id)).toEqual([ada.id]);
        const reactivated = await roster(['users', 'reactivate', ada.id]);
        expect(reactivated.status).toBe(0);
        expect(reactivated.stdout).toContain('Reactivated user Ada@example.com');
        expect((await t.request(tenant.key, { method: 'GET', url: `/v1/users/${ada.id}` })).json()).toMatchObject({ active: true });

        const deleted = await roster(['users', 'delete', ada.id, '--json']);
        expect(deleted.status).toBe(0);
        expect(json(deleted)).toEqual({ id: ada.id, deleted: true });
        expect((await t.request(tenant.key, { method: 'GET', url: `/v1/users/${ada.id}` })).statusCode).toBe(404);
      },
    );

    it(
      'should import a file as a job with progress, the first errors and exit 4, and export it to stdout or --out',
      { timeout: 600_000 },
      async () => {
        const csv = path.join(dir, 'people.csv');
        const rows = ['E-mail,First name', ...Array.from({ length: 300 }, (_, i) => `imp${i}@example.com,Person ${i}`)];
        rows[51] = 'broken-address,Bad';
        fs.writeFileSync(csv, `${rows.join('\n')}\n`);
        const map = 'E-mail=email,First name=givenName';

        const dry = await roster(['import', csv, '--map', map, '--dry-run', '--json']);
        expect(dry.status).toBe(4);
        const dryResult = json<{ job: Record<string, unknown>; errors: Array<Record<string, unknown>> }>(dry);
        expect(dryResult.job).toMatchObject({ status: 'completed', dryRun: true, processed: 300, created: 299, failed: 1 });
        expect(dryResult.errors).toEqual([expect.objectContaining({ row: 51, code: 'EMAIL_INVALID', field: 'email' })]);
        expect((await t.request(tenant.key, { method: 'GET', url: '/v1/users?q=imp' })).json().data).toEqual([]);

        const report = path.join(dir, 'failed.csv');
        const run = await roster(['import', csv, '--map', map, '--errors', report]);
        expect(run.status).toBe(4);
        expect(run.stderr).toMatch(/accepted by http:\/\/127\.0\.0\.1/);
        expect(run.stderr).toMatch(/completed {2}300\/300 rows/);
        expect(run.stdout).toContain('Import completed: 300 rows processed');
        expect(run.stdout).toMatch(/row 51 {2}EMAIL_INVALID {2}email/);
        expect(fs.readFileSync(report, 'utf8').split('\n')[1]).toMatch(/^51,EMAIL_INVALID,email,/);

        const clean = path.join(dir, 'clean.ndjson');
        fs.writeFileSync(clean, '{"email":"nd1@example.com"}\n{"email":"nd2@example.com"}\n');
        const ok = await roster(['import', clean, '--json']);
        expect(ok.status).toBe(0);
        expect(json(ok)).toMatchObject({ job: { status: 'completed', created: 2, failed: 0 }, errors: [] });

        // --mode goes to the API as it is: the server, not the CLI, decides what it accepts.
        const badMode = await roster(['import', clean, '--mode', 'no-such-mode']);
        expect(badMode.status).toBe(2);
        expect(badMode.stderr).toMatch(/^error [A-Z_]+: /m);

        const ndjson = await roster(['export']);
        expect(ndjson.status).toBe(0);
        const exported = ndjson.stdout
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as { email: string });
        expect(exported).toHaveLength(1 + 299 + 2);
        expect(ndjson.stderr).toContain('Exported 302 users');
        const out = path.join(dir, 'users.csv');
        const csvExport = await roster(['export', '--format', 'csv', '--out', out]);
        expect(csvExport.status).toBe(0);
        expect(csvExport.stdout).toBe('');
        const lines = fs.readFileSync(out, 'utf8').trim().split('\n');
        expect(lines[0]).toMatch(/^id,seq,email,/);
        expect(lines).toHaveLength(303);
      },
    );

    it('should create, list and revoke keys, and a revoked key is refused with exit 2', { timeout: 600_000 }, async () => {
      const created = await roster(['keys', 'create', '--name', 'hr-sync', '--role', 'user', '--json']);
      expect(created.status).toBe(0);
      const key = json<{ id: string; secret: string; role: string; tenantId: string }>(created);
      expect(key).toMatchObject({ name: 'hr-sync', role: 'user', tenantId: tenant.tenantId });
      secrets.push(key.secret);

      const list = await roster(['keys', 'list', '--json']);
      expect(list.status).toBe(0);
      const listed = json<{ data: Array<Record<string, unknown>> }>(list).data;
      expect(listed.map((k) => k.name)).toEqual(expect.arrayContaining(['test', 'hr-sync']));
      expect(listed.every((k) => !('secret' in k))).toBe(true);

      const asNewKey = await roster(['users', 'list', '--json'], { env: { ROSTER_KEY: key.secret } });
      expect(asNewKey.status).toBe(0);

      const revoked = await roster(['keys', 'revoke', key.id]);
      expect(revoked.status).toBe(0);
      const refused = await roster(['users', 'list'], { env: { ROSTER_KEY: key.secret } });
      expect(refused.status).toBe(2);
      expect(refused.stderr).toContain('error UNAUTHENTICATED');
    });

    it('should list webhooks and send a test ping that the receiver gets', { timeout: 600_000 }, async () => {
      const receiver = await startReceiver();
      try {
        const hook = (
          await t.request(tenant.key, { method: 'POST', url: '/v1/webhooks', payload: { url: receiver.url, description: 'intranet' } })
        ).json<{ id: string; secret: string }>();
        secrets.push(hook.secret);
        const list = await roster(['webhooks', 'list', '--json']);
        expect(list.status).toBe(0);
        expect(json<{ data: unknown[] }>(list).data).toEqual([expect.objectContaining({ id: hook.id, url: receiver.url, active: true })]);
        expect((await roster(['webhooks', 'list'])).stdout).toContain(receiver.url);

        const ping = await roster(['webhooks', 'test', hook.id, '--json']);
        expect(ping.status).toBe(0);
        expect(json(ping)).toEqual({ eventId: expect.any(String), deliveryId: expect.any(String) });
        await receiver.waitFor((received) => received.some((r) => r.body.includes('webhook.ping')), 30_000);

        const unknown = await roster(['webhooks', 'test', '00000000-0000-4000-8000-000000000000']);
        expect(unknown.status).toBe(2);
        expect(unknown.stderr).toMatch(/^error WEBHOOK_NOT_FOUND/m);
      } finally {
        await receiver.close();
      }
    });

    it(
      'should take the server from a profile file (0600, keys never listed) and the tenant from X-Roster-Tenant with a platform key',
      { timeout: 600_000 },
      async () => {
        const profiles = path.join(dir, 'own-profiles.json');
        const env = { ROSTER_URL: '', ROSTER_KEY: '', ROSTER_CONFIG: profiles };
        const add = await roster(['--url', url, 'profile', 'add', 'platform', '--key-stdin', '--tenant', tenant.slug], {
          env,
          input: `${t.platformKey}\n`,
        });
        expect(add.status).toBe(0);
        expect(fs.statSync(profiles).mode & 0o777).toBe(0o600);
        expect(JSON.parse(fs.readFileSync(profiles, 'utf8'))).toMatchObject({
          default: 'platform',
          profiles: { platform: { url, key: t.platformKey, tenant: tenant.slug } },
        });
        expect((await roster(['--url', url, 'profile', 'add', 'tenant-key', '--key-stdin'], { env, input: tenant.key })).status).toBe(0);

        const list = await roster(['profile', 'list', '--json'], { env });
        expect(json(list)).toEqual({
          default: 'platform',
          profiles: [
            { name: 'platform', url, tenant: tenant.slug, default: true },
            { name: 'tenant-key', url, tenant: null, default: false },
          ],
        });

        // The default profile: a platform key acting on the profile's tenant.
        const viaDefault = await roster(['users', 'create', '--email', 'profile@example.com', '--json'], { env });
        expect(viaDefault.status).toBe(0);
        expect(json(viaDefault)).toMatchObject({ email: 'profile@example.com' });
        expect(
          (await t.request(tenant.key, { method: 'GET', url: '/v1/users?email=profile@example.com' }))
            .json()
            .data.map((u: { email: string }) => u.email),
        ).toEqual(['profile@example.com']);

        // A tenant key naming another tenant is refused by the API, whatever the CLI sends.
        const other = await t.tenantWithKey('admin');
        const denied = await roster(['--profile', 'tenant-key', 'users', 'list', '--tenant', other.slug], { env });
        expect(denied.status).toBe(2);
        expect(denied.stderr).toContain('error TENANT_ACCESS_DENIED');
        const byEnv = await roster(['users', 'list', '--json', '--q', 'profile'], { env: { ...env, ROSTER_PROFILE: 'tenant-key' } });
        expect(json<{ data: unknown[] }>(byEnv).data).toHaveLength(1);

        const missing = await roster(['--profile', 'nope', 'users', 'list'], { env });
        expect(missing.status).toBe(1);
        expect(missing.stderr).toContain('no profile "nope"');

        expect((await roster(['profile', 'remove', 'platform'], { env })).status).toBe(0);
        expect(json(await roster(['profile', 'list', '--json'], { env }))).toEqual({
          default: null,
          profiles: [{ name: 'tenant-key', url, tenant: null, default: false }],
        });
      },
    );

    it(
      'should exit 1 on usage errors and 3 when the server is unreachable or fails, without a stack trace',
      { timeout: 600_000 },
      async () => {
        const noKey = await roster(['users', 'list'], { env: { ROSTER_KEY: '' } });
        expect(noKey.status).toBe(1);
        expect(noKey.stderr).toContain('without a key');

        const closed = await roster(['users', 'list', '--url', `http://127.0.0.1:${await freePort()}`]);
        expect(closed.status).toBe(3);
        expect(closed.stderr).toMatch(/^error: cannot reach http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/m);

        const broken = await startReceiver(() => 502);
        try {
          const failing = await roster(['users', 'list', '--url', new URL(broken.url).origin]);
          expect(failing.status).toBe(3);
          expect(failing.stderr).toContain('error HTTP_502');
          // The key went in the Authorization header only.
          expect(broken.received[0]?.headers.authorization).toBe(`Bearer ${tenant.key}`);
        } finally {
          await broken.close();
        }

        const inUrl = await roster(['users', 'list', '--url', `http://user:${tenant.key}@127.0.0.1:1`]);
        expect(inUrl.status).toBe(1);
        expect(inUrl.stderr).toContain('not in the URL');

        for (const run of [noKey, closed, inUrl]) expect(run.stderr).not.toContain('    at ');
      },
    );

    it('should never print or log a key', () => {
      expect(runs.length).toBeGreaterThan(30);
      for (const run of runs) for (const secret of secrets.slice(0, 2)) expect(run.stdout + run.stderr).not.toContain(secret);
      // The keys create command prints its new secret once, in its own --json output only.
      for (const secret of secrets.slice(2))
        expect(runs.filter((r) => (r.stdout + r.stderr).includes(secret)).length).toBeLessThanOrEqual(1);
      for (const secret of secrets) expect(t.logs.lines.join('\n')).not.toContain(secret);
    });
  });
}
