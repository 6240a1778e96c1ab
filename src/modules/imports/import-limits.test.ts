import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { testDialects } from '../../testing/test-db.js';

const MiB = 1024 * 1024;

for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: import record and upload caps`, () => {
    let t: TestApp;
    beforeAll(async () => {
      // Default record and cell caps (64 KiB, 32 KiB); a small upload cap to check it too.
      t = await createTestApp(dialect, { env: { ROSTER_IMPORT_MAX_BYTES: String(8 * MiB) } });
    });
    afterAll(async () => t?.close());

    async function emails(tenantId: string): Promise<string[]> {
      const rows = await t.core.database.db.selectFrom('users').select('email').where('tenantId', '=', tenantId).orderBy('email').execute();
      return rows.map((r) => r.email as string);
    }

    async function importErrors(key: string, id: string) {
      return (await t.request(key, { method: 'GET', url: `/v1/imports/${id}/errors` })).json().data as Array<{
        row: number;
        code: string;
        message: string;
      }>;
    }

    it('should fail a CSV row with a 2 MiB cell or a row over 64 KiB, and create the good rows', async () => {
      const { key, tenantId } = await t.tenantWithKey();
      const csv = [
        'email,bio,position',
        'ok1@corp.com,short,dev',
        `big-cell@corp.com,"${'A'.repeat(2 * MiB)}",dev`,
        'ok2@corp.com,,ops',
        `wide-row@corp.com,${'b'.repeat(30_000)},${'c'.repeat(30_000)},${'d'.repeat(30_000)}`,
        'ok3@corp.com,"multi\nline",qa',
        `big-unquoted@corp.com,${'E'.repeat(3 * MiB)}`,
      ].join('\n');
      const res = await t.request(key, { method: 'POST', url: '/v1/imports', headers: { 'content-type': 'text/csv' }, payload: csv });
      expect(res.statusCode).toBe(202);
      const job = await t.waitForImport(key, res.json().id);
      expect(job).toMatchObject({ status: 'completed', totalRows: 6, processed: 6, created: 3, failed: 3 });
      expect(await importErrors(key, job.id)).toEqual([
        {
          row: 2,
          code: 'IMPORT_RECORD_TOO_LARGE',
          field: null,
          message: expect.stringContaining('32768-byte cell limit (ROSTER_IMPORT_MAX_FIELD_BYTES)'),
          value: null,
          duplicateOf: null,
        },
        {
          row: 4,
          code: 'IMPORT_RECORD_TOO_LARGE',
          field: null,
          message: expect.stringContaining('65536-byte record limit (ROSTER_IMPORT_MAX_RECORD_BYTES)'),
          value: null,
          duplicateOf: null,
        },
        {
          row: 6,
          code: 'IMPORT_RECORD_TOO_LARGE',
          field: null,
          message: expect.stringContaining('32768-byte cell limit'),
          value: null,
          duplicateOf: null,
        },
      ]);
      expect(await emails(tenantId)).toEqual(['ok1@corp.com', 'ok2@corp.com', 'ok3@corp.com']);
    });

    it('should fail an NDJSON line of 5 MiB, and create the good lines', async () => {
      const { key, tenantId } = await t.tenantWithKey();
      const body = [
        '{"email":"nd-ok1@corp.com"}',
        `{"email":"nd-big@corp.com","bio":"${'B'.repeat(5 * MiB)}"}`,
        '{"email":"nd-ok2@corp.com"}',
        `{"email":"nd-under-cap@corp.com","bio":"${'b'.repeat(60_000)}"}`, // under the cap: the usual rules answer (bio is at most 4000)
        `{"email":"nd-last@corp.com","attributes":{"x":"${'C'.repeat(70_000)}"}}`,
      ].join('\n');
      const res = await t.request(key, {
        method: 'POST',
        url: '/v1/imports',
        headers: { 'content-type': 'application/x-ndjson' },
        payload: body,
      });
      expect(res.statusCode).toBe(202);
      const job = await t.waitForImport(key, res.json().id);
      expect(job).toMatchObject({ status: 'completed', totalRows: 5, created: 2, failed: 3 });
      const errors = await importErrors(key, job.id);
      expect(errors.map((e) => [e.row, e.code])).toEqual([
        [2, 'IMPORT_RECORD_TOO_LARGE'],
        [4, 'FIELD_TOO_LONG'],
        [5, 'IMPORT_RECORD_TOO_LARGE'],
      ]);
      expect(errors[0]?.message).toContain('65536-byte record limit');
      expect(await emails(tenantId)).toEqual(['nd-ok1@corp.com', 'nd-ok2@corp.com']);
    });

    it('should fail the job with the cap when a quote never closes across megabytes, and keep serving', async () => {
      const { key, tenantId } = await t.tenantWithKey();
      const csv = `email,bio\nq-ok@corp.com,fine\nq-open@corp.com,"${'never closed, goes on\n'.repeat(150_000)}`; // about 3.3 MB
      const res = await t.request(key, { method: 'POST', url: '/v1/imports', headers: { 'content-type': 'text/csv' }, payload: csv });
      expect([res.statusCode, res.json().code]).toEqual([413, 'IMPORT_RECORD_TOO_LARGE']);
      expect(res.json().detail).toMatch(/Row 2 .*never closed.*32768-byte cell limit/);
      const job = (await t.request(key, { method: 'GET', url: `/v1/imports/${res.json().importId as string}` })).json();
      expect(job).toMatchObject({ status: 'failed', error: expect.stringContaining('32768-byte cell limit') });
      expect(await emails(tenantId)).toEqual([]);

      // The header itself over the cap: nothing can be read.
      const header = await t.request(key, {
        method: 'POST',
        url: '/v1/imports',
        headers: { 'content-type': 'text/csv' },
        payload: `email,${'h'.repeat(100_000)}\nx@corp.com,1\n`,
      });
      expect([header.statusCode, header.json().code]).toEqual([413, 'IMPORT_RECORD_TOO_LARGE']);

      expect((await t.request(undefined, { method: 'GET', url: '/healthz' })).statusCode).toBe(200);
      const next = await t.request(key, {
        method: 'POST',
        url: '/v1/imports',
        headers: { 'content-type': 'text/csv' },
        payload: 'email\nafter@corp.com\n',
      });
      expect((await t.waitForImport(key, next.json().id)).status).toBe('completed');
      expect(await emails(tenantId)).toEqual(['after@corp.com']);
    });

    it('should answer 413 for an upload over ROSTER_IMPORT_MAX_BYTES, in either format', async () => {
      const { key } = await t.tenantWithKey();
      const emailsOver = Array.from({ length: 45_000 }, (_, i) => `over${i}@corp.com`);
      const name = 'N'.repeat(200); // 45,000 rows of about 220 bytes: 10 MB, each row well under the record cap
      const csv = await t.request(key, {
        method: 'POST',
        url: '/v1/imports',
        headers: { 'content-type': 'text/csv' },
        payload: `email,givenName\n${emailsOver.map((e) => `${e},${name}`).join('\n')}`,
      });
      expect([csv.statusCode, csv.json().code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
      expect((await t.request(key, { method: 'GET', url: `/v1/imports/${csv.json().importId as string}` })).json().status).toBe('failed');
      const ndjson = await t.request(key, {
        method: 'POST',
        url: '/v1/imports',
        headers: { 'content-type': 'application/x-ndjson' },
        payload: emailsOver.map((email) => JSON.stringify({ email, givenName: name })).join('\n'),
      });
      expect([ndjson.statusCode, ndjson.json().code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    });
  });
}
