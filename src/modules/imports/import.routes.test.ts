import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { testDialects } from '../../testing/test-db.js';

for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: import jobs`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect);
    });
    afterAll(async () => t?.close());

    it('should import a CSV upload in the background with progress and per-row errors', async () => {
      const { key, tenantId } = await t.tenantWithKey();
      const lines = ['Mail,First,Team', ...Array.from({ length: 1200 }, (_, i) => `csv${i}@example.com,Ann ${i},core`)];
      lines[11] = 'not-an-email,Bad,core';
      lines.push('csv5@EXAMPLE.com,Dup,core');
      const res = await t.request(key, {
        method: 'POST',
        url: '/v1/imports?map=Mail%3Demail,First%3DgivenName,Team%3D-',
        headers: { 'content-type': 'text/csv' },
        payload: lines.join('\n'),
      });
      expect(res.statusCode).toBe(202);
      // The worker may already have taken the job when the 202 is written (a file-backed store answers asynchronously).
      expect(res.json()).toMatchObject({ status: expect.stringMatching(/^(queued|running)$/), totalRows: 1201 });
      const job = await t.waitForImport(key, res.json().id);
      expect(job).toMatchObject({ status: 'completed', totalRows: 1201, processed: 1201, created: 1199, failed: 2 });
      const errors = (await t.request(key, { method: 'GET', url: `/v1/imports/${job.id}/errors` })).json();
      expect(errors.data).toEqual([
        // Each error carries the value that failed.
        { row: 11, code: 'EMAIL_INVALID', field: 'email', message: expect.any(String), value: 'not-an-email', duplicateOf: null },
        { row: 1201, code: 'EMAIL_TAKEN', field: 'email', message: expect.any(String), value: 'csv5@EXAMPLE.com', duplicateOf: null },
      ]);
      const count = await t.core.database.db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('tenantId', '=', tenantId)
        .executeTakeFirstOrThrow();
      expect(Number(count.n)).toBe(1199);
    });

    it('should check every row and create nothing in a dry run', async () => {
      const { key, tenantId } = await t.tenantWithKey();
      await t.request(key, { method: 'POST', url: '/v1/users', payload: { email: 'taken@acme.com' } });
      const csv = ['email,givenName', 'dry1@acme.com,One', 'not-an-email,Bad', 'TAKEN@acme.com,Dup', 'dry2@acme.com,Two'].join('\n');
      const res = await t.request(key, {
        method: 'POST',
        url: '/v1/imports?dryRun=true',
        headers: { 'content-type': 'text/csv' },
        payload: csv,
      });
      expect(res.statusCode).toBe(202);
      expect(res.json()).toMatchObject({ dryRun: true, totalRows: 4 });
      const job = await t.waitForImport(key, res.json().id);
      expect(job).toMatchObject({ status: 'completed', dryRun: true, processed: 4, created: 2, failed: 2 });
      const errors = (await t.request(key, { method: 'GET', url: `/v1/imports/${job.id}/errors` })).json();
      expect(errors.data.map((e: { row: number; code: string }) => [e.row, e.code])).toEqual([
        [2, 'EMAIL_INVALID'],
        [3, 'EMAIL_TAKEN'],
      ]);
      const count = await t.core.database.db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('tenantId', '=', tenantId)
        .executeTakeFirstOrThrow();
      expect(Number(count.n)).toBe(1);
    });

    it('should import NDJSON and report unreadable lines by number', async () => {
      const { key } = await t.tenantWithKey();
      const body = ['{"email":"nd1@example.com","roles":["user"]}', '{broken', '', '{"username":"nd.two","nickname":"two"}'].join('\n');
      const res = await t.request(key, {
        method: 'POST',
        url: '/v1/imports',
        headers: { 'content-type': 'application/x-ndjson' },
        payload: body,
      });
      const job = await t.waitForImport(key, res.json().id);
      expect(job).toMatchObject({ status: 'completed', created: 2, failed: 1 });
      const errors = (await t.request(key, { method: 'GET', url: `/v1/imports/${job.id}/errors` })).json();
      expect(errors.data).toEqual([expect.objectContaining({ row: 2, code: 'VALIDATION_FAILED' })]);
    });

    it('should refuse other content types, hide jobs from other tenants and need users:create', async () => {
      const a = await t.tenantWithKey();
      const b = await t.tenantWithKey();
      const json = await t.request(a.key, { method: 'POST', url: '/v1/imports', payload: { users: [] } });
      expect([json.statusCode, json.json().code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
      const job = (
        await t.request(a.key, {
          method: 'POST',
          url: '/v1/imports',
          headers: { 'content-type': 'application/x-ndjson' },
          payload: '{"email":"iso@example.com"}',
        })
      ).json();
      expect((await t.request(b.key, { method: 'GET', url: `/v1/imports/${job.id}` })).json().code).toBe('IMPORT_NOT_FOUND');
      const reader = await t.keyWithPermissions(a.tenantId, ['users:read']);
      expect(
        (
          await t.request(reader, {
            method: 'POST',
            url: '/v1/imports',
            headers: { 'content-type': 'text/csv' },
            payload: 'email\nx@example.com',
          })
        ).statusCode,
      ).toBe(403);
    });
  });
}
