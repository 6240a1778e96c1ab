import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { testDialects } from '../../testing/test-db.js';

for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: batch create and idempotency`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect, { poolSize: 10 });
    });
    afterAll(async () => t?.close());

    const batch = (key: string, users: unknown[], mode?: string, headers: Record<string, string> = {}) =>
      t.request(key, { method: 'POST', url: '/v1/users/batch', headers, payload: { users, ...(mode ? { mode } : {}) } });
    const liveUsers = async (tenantId: string) =>
      await t.core.database.db
        .selectFrom('users')
        .select(['id', 'email', 'seq'])
        .where('tenantId', '=', tenantId)
        .where('deletedAt', 'is', null)
        .execute();

    describe('POST /v1/users/batch', () => {
      it('should create the valid users in partial mode and report every item in order', async () => {
        const { key, tenantId } = await t.tenantWithKey();
        const res = await batch(key, [
          { email: 'ok@example.com' },
          { email: 'broken' },
          { email: 'x@example.com', colour: 'red' },
          { username: 'fine.user', generatePassword: true },
        ]);
        expect(res.statusCode).toBe(200);
        const body = res.json();
        expect(body).toMatchObject({ mode: 'partial', total: 4, created: 2, failed: 2, skipped: 0 });
        expect(body.results.map((r: { index: number; status: string }) => [r.index, r.status])).toEqual([
          [0, 'created'],
          [1, 'failed'],
          [2, 'failed'],
          [3, 'created'],
        ]);
        expect(body.results[1].error).toMatchObject({
          code: 'VALIDATION_FAILED',
          status: 400,
          errors: [{ path: '/email', code: 'EMAIL_INVALID' }],
        });
        expect(body.results[2].error.errors[0]).toMatchObject({ path: '/colour', code: 'FIELD_UNKNOWN' });
        expect(body.results[0].user).toMatchObject({ email: 'ok@example.com', roles: ['user'] });
        expect(body.results[3].user.generatedPassword).toMatch(/^[A-Za-z0-9]{24}$/);
        expect(await liveUsers(tenantId)).toHaveLength(2);
      });

      it('should create nothing in atomic mode when one item fails, and everything when none does', async () => {
        const { key, tenantId } = await t.tenantWithKey();
        const failed = (await batch(key, [{ email: 'a@example.com' }, { email: 'broken' }, { email: 'c@example.com' }], 'atomic')).json();
        expect(failed).toMatchObject({ mode: 'atomic', created: 0, failed: 1, skipped: 2 });
        expect(failed.results.map((r: { status: string }) => r.status)).toEqual(['skipped', 'failed', 'skipped']);
        expect(await liveUsers(tenantId)).toHaveLength(0);
        const ok = (await batch(key, [{ email: 'a@example.com' }, { email: 'b@example.com' }], 'atomic')).json();
        expect(ok).toMatchObject({ created: 2, failed: 0 });
        expect(await liveUsers(tenantId)).toHaveLength(2);
      });

      it('should fail the later of two items sharing an email or username, in any case, and items clashing with stored users', async () => {
        const { key } = await t.tenantWithKey();
        await t.request(key, { method: 'POST', url: '/v1/users', payload: { email: 'stored@example.com' } });
        const body = (
          await batch(key, [
            { email: 'Dup@example.com' },
            { email: 'dup@EXAMPLE.com' },
            { username: 'same.name' },
            { username: 'SAME.name' },
            { email: 'STORED@example.com' },
          ])
        ).json();
        expect(body.results.map((r: { status: string }) => r.status)).toEqual(['created', 'failed', 'created', 'failed', 'failed']);
        expect(body.results[1].error).toMatchObject({ code: 'USER_EMAIL_TAKEN', status: 409 });
        expect(body.results[3].error.code).toBe('USER_USERNAME_TAKEN');
        expect(body.results[4].error.code).toBe('USER_EMAIL_TAKEN');
      });

      it('should store and announce every character an item sent: quotes, backslashes, line breaks, JSON-looking text, emoji', async () => {
        const { key } = await t.tenantWithKey();
        // Names refuse quotes and backslashes (NAME_INVALID); an address keeps them.
        const tricky = ['O"Brien \\ "Jr"', '{"seq": 1, "a": [null]}', 'NULL', '😀 é ﬁ', 'it\'s \\"quoted\\"'];
        const names = ["O'Brien", 'Zoë 😀', 'NULL', 'ﬁona', "D'Arcy-Smith"];
        const sent = tricky.map((text, i) => ({
          email: `tricky${i}@example.com`,
          givenName: names[i],
          familyName: `${names[i]} ${i}`,
          address: { street: `${text}\nsecond line`, city: `"${text}"\\` },
        }));
        const res = await batch(key, sent);
        expect(res.statusCode, res.body).toBe(200);
        const results = res.json().results as Array<{ status: string; user: { id: string } }>;
        expect(
          results.map((r) => r.status),
          res.body,
        ).toEqual(tricky.map(() => 'created'));
        for (const [i, item] of sent.entries()) {
          const stored = (await t.request(key, { method: 'GET', url: `/v1/users/${results[i]!.user.id}` })).json();
          expect(stored).toMatchObject({ givenName: item.givenName, familyName: item.familyName, address: item.address });
        }
        const announced = (await t.request(key, { method: 'GET', url: '/v1/events?type=user.created&limit=50' })).json().data as Array<{
          data: { id: string; givenName: string; familyName: string; address: unknown; seq: number };
        }>;
        for (const [i, item] of sent.entries()) {
          const event = announced.find((e) => e.data.id === results[i]!.user.id);
          expect(event?.data).toMatchObject({ givenName: item.givenName, familyName: item.familyName, address: item.address });
        }
        // Each payload carries its user's own number.
        const numbers = announced.map((e) => e.data.seq).sort((a, b) => a - b);
        expect(new Set(numbers).size).toBe(sent.length);
      });

      it('should create 1000 users in one request with consecutive numbers', async () => {
        const { key, tenantId } = await t.tenantWithKey();
        const users = Array.from({ length: 1000 }, (_, i) => ({ email: `bulk${i}@example.com`, givenName: `User ${i}` }));
        const body = (await batch(key, users)).json();
        expect(body).toMatchObject({ total: 1000, created: 1000, failed: 0 });
        const rows = await liveUsers(tenantId);
        expect(rows).toHaveLength(1000);
        expect(new Set(rows.map((r) => Number(r.seq))).size).toBe(1000);
        expect(body.results[999].user.email).toBe('bulk999@example.com');
      });

      it('should hash every password given in a batch', async () => {
        const { key, tenantId } = await t.tenantWithKey();
        const body = (
          await batch(
            key,
            Array.from({ length: 20 }, (_, i) => ({ username: `pw.user${i}`, password: `correct horse battery ${i}` })),
          )
        ).json();
        expect(body.created).toBe(20);
        const hashes = await t.core.database.db.selectFrom('users').select('passwordHash').where('tenantId', '=', tenantId).execute();
        expect(hashes.every((h) => h.passwordHash?.startsWith('$argon2id$'))).toBe(true);
      });

      it('should answer 413 with the limit above 1000 users, or above the tenant limit', async () => {
        const { key } = await t.tenantWithKey();
        const over = await batch(
          key,
          Array.from({ length: 1001 }, (_, i) => ({ username: `u${i}xx` })),
        );
        expect([over.statusCode, over.json().code, over.json().limit]).toEqual([413, 'BATCH_TOO_LARGE', 1000]);
        await t.request(key, { method: 'PATCH', url: '/v1/settings', payload: { batch: { maxSize: 5 } } });
        const small = await batch(
          key,
          Array.from({ length: 6 }, (_, i) => ({ username: `u${i}xx` })),
        );
        expect([small.statusCode, small.json().limit]).toEqual([413, 5]);
      });

      it('should never create a user twice when overlapping batches race', async () => {
        const { key, tenantId } = await t.tenantWithKey();
        const emails = (from: number) => Array.from({ length: 100 }, (_, i) => ({ email: `race${from + i}@example.com` }));
        const [a, b] = await Promise.all([batch(key, emails(0)), batch(key, emails(50))]);
        const created = a.json().created + b.json().created;
        expect(a.json().results).toHaveLength(100);
        expect(b.json().results).toHaveLength(100);
        expect(created).toBe(150);
        const rows = await liveUsers(tenantId);
        expect(rows).toHaveLength(150);
        expect(new Set(rows.map((r) => r.email)).size).toBe(150);
      });
    });

    describe('Idempotency-Key', () => {
      it('should replay the first response to a retry with the same key and body, creating nothing', async () => {
        const { key, tenantId } = await t.tenantWithKey();
        const send = () =>
          t.request(key, {
            method: 'POST',
            url: '/v1/users',
            headers: { 'idempotency-key': 'create-ada-1' },
            payload: { email: 'ada@example.com' },
          });
        const first = await send();
        const second = await send();
        expect(first.statusCode).toBe(201);
        expect(first.headers['idempotent-replayed']).toBeUndefined();
        expect(second.statusCode).toBe(201);
        expect(second.headers['idempotent-replayed']).toBe('true');
        expect(second.json()).toEqual(first.json());
        expect(await liveUsers(tenantId)).toHaveLength(1);
      });

      it('should refuse the same key with another body with 422, and keep keys per tenant', async () => {
        const a = await t.tenantWithKey();
        const b = await t.tenantWithKey();
        const post = (key: string, email: string) =>
          t.request(key, { method: 'POST', url: '/v1/users', headers: { 'idempotency-key': 'shared-key' }, payload: { email } });
        expect((await post(a.key, 'one@example.com')).statusCode).toBe(201);
        const mismatch = await post(a.key, 'two@example.com');
        expect([mismatch.statusCode, mismatch.json().code]).toEqual([422, 'IDEMPOTENCY_KEY_MISMATCH']);
        expect((await post(b.key, 'two@example.com')).statusCode).toBe(201);
      });

      it('should let only one of concurrent requests with one key execute', async () => {
        const { key, tenantId } = await t.tenantWithKey();
        const responses = await Promise.all(
          Array.from({ length: 10 }, () =>
            t.request(key, {
              method: 'POST',
              url: '/v1/users',
              headers: { 'idempotency-key': 'burst' },
              payload: { username: 'burst.user', password: 'correct horse battery' },
            }),
          ),
        );
        const executed = responses.filter((r) => r.statusCode === 201 && r.headers['idempotent-replayed'] === undefined);
        expect(executed).toHaveLength(1);
        for (const r of responses)
          expect(r.statusCode === 201 || (r.statusCode === 409 && r.json().code === 'IDEMPOTENCY_KEY_IN_USE')).toBe(true);
        expect(await liveUsers(tenantId)).toHaveLength(1);
      });

      it('should replay a batch, and run again once the key has expired', async () => {
        const { key, tenantId } = await t.tenantWithKey();
        const headers = { 'idempotency-key': 'batch-1' };
        const first = await batch(key, [{ email: 'p@example.com' }, { email: 'q@example.com' }], 'partial', headers);
        const replay = await batch(key, [{ email: 'p@example.com' }, { email: 'q@example.com' }], 'partial', headers);
        expect(replay.headers['idempotent-replayed']).toBe('true');
        expect(replay.json()).toEqual(first.json());
        await t.core.database.db
          .updateTable('idempotencyKeys')
          .set({ expiresAt: '2000-01-01T00:00:00.000Z' })
          .where('tenantId', '=', tenantId)
          .execute();
        const rerun = await batch(key, [{ email: 'p@example.com' }, { email: 'q@example.com' }], 'partial', headers);
        expect(rerun.headers['idempotent-replayed']).toBeUndefined();
        expect(rerun.json()).toMatchObject({ created: 0, failed: 2 });
      });
    });
  });
}
