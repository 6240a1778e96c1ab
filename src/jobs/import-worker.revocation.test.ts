import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { testDialects } from '../testing/test-db.js';

const ROWS = 4000;

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** M8: an import job acts with its submitter's credential as it stands now, and stops when it ends. */
describe.each(testDialects)('import jobs and credential revocation ($name)', (dialect) => {
  let t: TestApp;
  let tenantId: string;
  let admin: string;
  beforeAll(async () => {
    if (!dialect.available) return;
    t = await createTestApp(dialect);
    ({ tenantId, key: admin } = await t.tenantWithKey());
  });
  afterAll(async () => t?.close());

  // Generated passwords make each chunk of 500 rows take a while (hashing), so a job is caught mid-way.
  const csv = (tag: string, roles: string, rows: number) =>
    `username,roles,generatePassword\n${Array.from({ length: rows }, (_, i) => `${tag}-${i},${roles},true`).join('\n')}\n`;
  const submit = async (key: string, tag: string, roles = 'user', rows = ROWS) => {
    const res = await t.request(key, {
      method: 'POST',
      url: '/v1/imports',
      headers: { 'content-type': 'text/csv' },
      payload: csv(tag, roles, rows),
    });
    expect(res.statusCode).toBe(202);
    return res.json().id as string;
  };
  const job = async (id: string) => (await t.request(admin, { method: 'GET', url: `/v1/imports/${id}` })).json();
  const createdBy = async (ref: string) =>
    Number(
      (
        await t.core.database.db
          .selectFrom('users')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('tenantId', '=', tenantId)
          .where('createdBy', '=', ref)
          .executeTakeFirstOrThrow()
      ).n,
    );

  /** Waits until the job has created some rows, ends the credential, waits for the job to end, and checks nothing came after. */
  async function endMidImport(id: string, ref: string, end: () => Promise<void>, reason: RegExp) {
    let seen = 0;
    await waitUntil(async () => (seen = (await job(id)).created) > 0);
    await end();
    await waitUntil(async () => ['failed', 'completed'].includes((await job(id)).status));
    const finished = await job(id);
    expect(finished).toMatchObject({ status: 'failed', error: expect.stringMatching(reason) });
    expect(finished.created).toBeLessThan(ROWS);
    // At most the chunk already committing when the credential ended; every counted user exists, no other.
    expect(finished.created).toBeLessThanOrEqual(seen + 500);
    expect(await createdBy(ref)).toBe(finished.created);
  }

  describe.skipIf(!dialect.available)('', () => {
    it('should stop, failed with a reason, when its API key is revoked mid-import', { timeout: 120_000 }, async () => {
      const created = (
        await t.request(admin, { method: 'POST', url: '/v1/api-keys', payload: { name: 'soon-revoked', role: 'admin' } })
      ).json();
      const id = await submit(created.secret, 'revoked', 'admin');
      await endMidImport(
        id,
        `api_key:${created.id}`,
        async () => {
          expect((await t.request(admin, { method: 'DELETE', url: `/v1/api-keys/${created.id}` })).statusCode).toBe(204);
        },
        /API key .*revoked/,
      );
    });

    it("should stop when the key's role loses users:create mid-import", { timeout: 120_000 }, async () => {
      const role = (
        await t.request(admin, {
          method: 'POST',
          url: '/v1/roles',
          payload: { name: 'importer', permissions: ['users:create', 'users:read'] },
        })
      ).json();
      const key = (await t.request(admin, { method: 'POST', url: '/v1/api-keys', payload: { name: 'importer', role: 'importer' } })).json();
      const id = await submit(key.secret, 'demoted');
      await endMidImport(
        id,
        `api_key:${key.id}`,
        async () => {
          expect(
            (await t.request(admin, { method: 'PATCH', url: `/v1/roles/${role.id}`, payload: { permissions: ['users:read'] } })).statusCode,
          ).toBe(200);
        },
        /users:create/,
      );
    });

    it('should stop when the personal access token that submitted it is revoked', { timeout: 120_000 }, async () => {
      const user = (
        await t.request(admin, { method: 'POST', url: '/v1/users', payload: { username: 'importing-admin', roles: ['admin'] } })
      ).json();
      const token = (await t.request(admin, { method: 'POST', url: `/v1/users/${user.id}/tokens`, payload: { name: 'import' } })).json();
      const id = await submit(token.token, 'token');
      await endMidImport(
        id,
        `user:${user.id}`,
        async () => {
          expect((await t.request(admin, { method: 'DELETE', url: `/v1/users/${user.id}/tokens/${token.id}` })).statusCode).toBe(204);
        },
        /session or personal access token/,
      );
    });

    it(
      'should use the permissions of now for its rows: a role granted by the rows needs them when the row is created',
      { timeout: 120_000 },
      async () => {
        const role = (
          await t.request(admin, {
            method: 'POST',
            url: '/v1/roles',
            payload: { name: 'granter', permissions: ['users:create', 'users:read', 'events:read'] },
          })
        ).json();
        const auditorRole = (
          await t.request(admin, { method: 'POST', url: '/v1/roles', payload: { name: 'auditor', permissions: ['events:read'] } })
        ).json();
        expect(auditorRole.id).toBeDefined();
        const key = (await t.request(admin, { method: 'POST', url: '/v1/api-keys', payload: { name: 'granter', role: 'granter' } })).json();
        // The key may grant `auditor` now; take events:read away before the worker reaches the job's later rows.
        const id = await submit(key.secret, 'granted', 'auditor');
        await waitUntil(async () => (await job(id)).created > 0);
        expect(
          (
            await t.request(admin, {
              method: 'PATCH',
              url: `/v1/roles/${role.id}`,
              payload: { permissions: ['users:create', 'users:read'] },
            })
          ).statusCode,
        ).toBe(200);
        await waitUntil(async () => ['failed', 'completed'].includes((await job(id)).status));
        const finished = await job(id);
        expect(finished.status).toBe('completed');
        expect(finished.failed).toBeGreaterThan(0);
        const errors = (await t.request(admin, { method: 'GET', url: `/v1/imports/${id}/errors?limit=5` })).json().data;
        expect(errors[0]).toMatchObject({ code: 'PERMISSION_DENIED' });
        expect(await createdBy(`api_key:${key.id}`)).toBe(finished.created);
      },
    );

    it('should still run a job whose credential stays valid to the end', { timeout: 120_000 }, async () => {
      const id = await submit(admin, 'kept', 'user', 1200);
      await waitUntil(async () => ['failed', 'completed'].includes((await job(id)).status));
      expect(await job(id)).toMatchObject({ status: 'completed', created: 1200, failed: 0 });
    });
  });
});
