import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { carriedCreationDate } from '../../rules/creation-date.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { testDialects } from '../../testing/test-db.js';

// Issue 19 item 7: migrations keep their creation dates. `createdAt` is accepted on create, batch and
// import from callers holding users:import; the event recording the create keeps its own time.
describe('carried creation date rule', () => {
  const now = Date.parse('2026-06-01T12:00:00Z');
  it('should accept past ISO 8601 instants and dates, in canonical form', () => {
    expect(carriedCreationDate('2015-03-04T05:06:07+02:00', now)).toEqual({ value: '2015-03-04T03:06:07.000Z' });
    expect(carriedCreationDate('2001-09-09T01:46:40.123Z', now)).toEqual({ value: '2001-09-09T01:46:40.123Z' });
    expect(carriedCreationDate('1999-12-31', now)).toEqual({ value: '1999-12-31T00:00:00.000Z' });
    expect(carriedCreationDate('1970-01-01T00:00:00Z', now)).toEqual({ value: '1970-01-01T00:00:00.000Z' });
  });
  it('should refuse the future, before 1970, no zone, impossible days and other text', () => {
    expect(carriedCreationDate('2026-06-01T12:00:01Z', now)).toEqual({ code: 'DATE_IN_FUTURE' });
    expect(carriedCreationDate('2999-01-01', now)).toEqual({ code: 'DATE_IN_FUTURE' });
    expect(carriedCreationDate('1969-12-31T23:59:59Z', now)).toEqual({ code: 'FIELD_OUT_OF_RANGE' });
    for (const text of [
      '2015-03-04T05:06:07',
      '2015-02-30',
      '2015-13-01T00:00:00Z',
      '2015-01-01T24:00:00Z',
      'yesterday',
      '1425445567',
      '',
    ]) {
      expect([text, carriedCreationDate(text, now)]).toEqual([text, { code: 'DATE_INVALID' }]);
    }
  });
});

for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: createdAt carried over`, () => {
    let t: TestApp;
    let n = 0;
    const u = () => `ca${++n}x${Math.random().toString(36).slice(2, 6)}`;

    beforeAll(async () => {
      t = await createTestApp(dialect);
    });
    afterAll(async () => t?.close());

    async function runImport(key: string, payload: string, contentType = 'text/csv') {
      const res = await t.request(key, { method: 'POST', url: '/v1/imports', headers: { 'content-type': contentType }, payload });
      expect(res.statusCode).toBe(202);
      let job: Record<string, unknown> = {};
      for (let i = 0; i < 300 && job.status !== 'completed' && job.status !== 'failed'; i++) {
        job = (await t.request(key, { method: 'GET', url: `/v1/imports/${res.json().id}` })).json();
        if (job.status !== 'completed') await new Promise((r) => setImmediate(r));
      }
      const errors = (await t.request(key, { method: 'GET', url: `/v1/imports/${job.id as string}/errors` })).json();
      return { job, errors: errors.data as Array<{ row: number; code: string; field: string | null }> };
    }
    const byEmail = async (key: string, email: string) =>
      (await t.request(key, { method: 'GET', url: `/v1/users?email=${encodeURIComponent(email)}` })).json().data[0];

    it('should keep a given createdAt for admins (users:import) and record the real time in the event', async () => {
      const { key } = await t.tenantWithKey('admin');
      const before = new Date().toISOString();
      const res = await t.request(key, {
        method: 'POST',
        url: '/v1/users',
        payload: { email: `${u()}@example.com`, createdAt: '2015-03-04T05:06:07+02:00' },
      });
      expect(res.statusCode).toBe(201);
      expect(res.json().createdAt).toBe('2015-03-04T03:06:07.000Z');
      expect(res.json().updatedAt >= before).toBe(true);
      const stored = (await t.request(key, { method: 'GET', url: `/v1/users/${res.json().id}` })).json();
      expect(stored.createdAt).toBe('2015-03-04T03:06:07.000Z');
      const events = (await t.request(key, { method: 'GET', url: `/v1/events?type=user.created&resourceId=${res.json().id}` })).json().data;
      expect(events).toHaveLength(1);
      expect(events[0].occurredAt >= before).toBe(true);
      expect(events[0].data.createdAt).toBe('2015-03-04T03:06:07.000Z');
      // Without one, the creation time is now, as before.
      const plain = (await t.request(key, { method: 'POST', url: '/v1/users', payload: { email: `${u()}@example.com` } })).json();
      expect(plain.createdAt >= before).toBe(true);
    });

    it('should refuse createdAt from callers without users:import (403), natively and per item in a batch, and store nothing', async () => {
      const { tenantId } = await t.tenantWithKey('admin');
      const creator = await t.keyWithPermissions(tenantId, ['users:create', 'users:read']);
      for (const createdAt of ['2015-03-04T05:06:07Z', '2001-01-01']) {
        const res = await t.request(creator, { method: 'POST', url: '/v1/users', payload: { email: `${u()}@example.com`, createdAt } });
        expect([createdAt, res.statusCode, res.json().code, res.json().permission ?? res.json().details?.permission]).toEqual([
          createdAt,
          403,
          'PERMISSION_DENIED',
          'users:import',
        ]);
      }
      const batch = (
        await t.request(creator, {
          method: 'POST',
          url: '/v1/users/batch',
          payload: {
            mode: 'partial',
            users: [{ email: `${u()}@example.com` }, { email: `${u()}@example.com`, createdAt: '2010-01-01T00:00:00Z' }],
          },
        })
      ).json();
      expect(batch.results.map((r: { status: string; error?: { code: string } }) => [r.status, r.error?.code])).toEqual([
        ['created', undefined],
        ['failed', 'PERMISSION_DENIED'],
      ]);
      expect((await t.core.database.db.selectFrom('users').select('id').where('tenantId', '=', tenantId).execute()).length).toBe(1);
      // The permission alone is enough.
      const importer = await t.keyWithPermissions(tenantId, ['users:create', 'users:read', 'users:import']);
      const ok = await t.request(importer, {
        method: 'POST',
        url: '/v1/users',
        payload: { email: `${u()}@example.com`, createdAt: '2010-01-01T00:00:00Z' },
      });
      expect([ok.statusCode, ok.json().createdAt]).toEqual([201, '2010-01-01T00:00:00.000Z']);
    });

    it('should refuse a createdAt in the future, before 1970 or not an ISO 8601 instant', async () => {
      const { key, tenantId } = await t.tenantWithKey('admin');
      const cases: Array<[string, string]> = [
        [new Date(Date.now() + 3_600_000).toISOString(), 'DATE_IN_FUTURE'],
        ['2999-01-01', 'DATE_IN_FUTURE'],
        ['1969-07-20T20:17:40Z', 'FIELD_OUT_OF_RANGE'],
        ['2015-02-30T00:00:00Z', 'DATE_INVALID'],
        ['2015-03-04 05:06:07', 'DATE_INVALID'],
        ['last week', 'DATE_INVALID'],
      ];
      for (const [createdAt, code] of cases) {
        const res = await t.request(key, { method: 'POST', url: '/v1/users', payload: { email: `${u()}@example.com`, createdAt } });
        expect([createdAt, res.statusCode, res.json().errors?.[0]]).toEqual([
          createdAt,
          400,
          expect.objectContaining({ path: '/createdAt', code }),
        ]);
      }
      const batch = (
        await t.request(key, {
          method: 'POST',
          url: '/v1/users/batch',
          payload: {
            mode: 'atomic',
            users: [
              { email: `${u()}@example.com`, createdAt: '2012-01-01' },
              { email: `${u()}@example.com`, createdAt: '2999-01-01' },
            ],
          },
        })
      ).json();
      expect(batch.results.map((r: { status: string }) => r.status)).toEqual(['skipped', 'failed']);
      expect((await t.core.database.db.selectFrom('users').select('id').where('tenantId', '=', tenantId).execute()).length).toBe(0);
    });

    it("should carry an import file's createdAt (CSV column, JSON Lines member) for users:import, and skip or refuse it otherwise", async () => {
      const { key, tenantId } = await t.tenantWithKey('admin');
      const [a, b, c] = [`${u()}@example.com`, `${u()}@example.com`, `${u()}@example.com`];
      const csv = await runImport(key, ['email,createdAt', `${a},2011-05-06T07:08:09Z`, `${b},2999-01-01`, `${c},`].join('\n'));
      expect(csv.job).toMatchObject({ status: 'completed', created: 2, failed: 1 });
      expect(csv.errors.map((e) => [e.row, e.code, e.field])).toEqual([[2, 'DATE_IN_FUTURE', 'createdAt']]);
      expect((await byEmail(key, a)).createdAt).toBe('2011-05-06T07:08:09.000Z');
      expect((await byEmail(key, c)).createdAt > '2020').toBe(true);
      const d = `${u()}@example.com`;
      const jsonl = await runImport(key, JSON.stringify({ email: d, createdAt: '2009-01-03T18:15:05Z' }), 'application/x-ndjson');
      expect(jsonl.job).toMatchObject({ status: 'completed', created: 1 });
      expect((await byEmail(key, d)).createdAt).toBe('2009-01-03T18:15:05.000Z');

      // Without users:import: an export's createdAt column is skipped (it imports as it is); a JSON member is refused.
      const creator = await t.keyWithPermissions(tenantId, ['users:create', 'users:read']);
      const e = `${u()}@example.com`;
      const skipped = await runImport(creator, ['email,createdAt', `${e},2011-05-06T07:08:09Z`].join('\n'));
      expect(skipped.job).toMatchObject({ status: 'completed', created: 1, failed: 0 });
      expect((await byEmail(key, e)).createdAt > '2020').toBe(true);
      const refused = await runImport(
        creator,
        JSON.stringify({ email: `${u()}@example.com`, createdAt: '2011-05-06T07:08:09Z' }),
        'application/x-ndjson',
      );
      expect(refused.job).toMatchObject({ status: 'completed', created: 0, failed: 1 });
      expect(refused.errors.map((x) => x.code)).toEqual(['PERMISSION_DENIED']);
    });
  });
}
