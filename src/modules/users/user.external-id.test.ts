import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { migrateToLatest } from '../../db/migrate.js';
import { up as up0014 } from '../../db/migrations/0014_external_id_unique.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { testDialects } from '../../testing/test-db.js';

// externalId is unique per tenant among live users (migration 0014, user_external_ids): native, batch,
// import and update paths answer 409 USER_EXTERNAL_ID_TAKEN, and a lookup by it finds at most one user.
for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: unique externalId`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect, { poolSize: 10 });
    });
    afterAll(async () => t?.close());

    const create = (key: string, payload: Record<string, unknown>) => t.request(key, { method: 'POST', url: '/v1/users', payload });
    const byExternalId = async (key: string, externalId: string) =>
      (await t.request(key, { method: 'GET', url: `/v1/users?externalId=${encodeURIComponent(externalId)}` })).json().data as Array<{
        id: string;
      }>;

    it('should refuse a second user with the same externalId, per tenant, and free it when the holder is deleted', async () => {
      const a = await t.tenantWithKey();
      const b = await t.tenantWithKey();
      const first = await create(a.key, { email: 'first@example.com', externalId: 'hr-1' });
      expect(first.statusCode).toBe(201);
      const second = await create(a.key, { email: 'second@example.com', externalId: 'hr-1' });
      expect(second.statusCode).toBe(409);
      expect(second.json()).toMatchObject({ code: 'USER_EXTERNAL_ID_TAKEN', errors: [{ path: '/externalId', code: 'EXTERNAL_ID_TAKEN' }] });
      // Trimmed like every text field: " hr-1 " is the same externalId.
      expect((await create(a.key, { email: 'third@example.com', externalId: ' hr-1 ' })).json().code).toBe('USER_EXTERNAL_ID_TAKEN');
      // Compared exactly (RFC 7643: caseExact), and per tenant.
      expect((await create(a.key, { email: 'upper@example.com', externalId: 'HR-1' })).statusCode).toBe(201);
      expect((await create(b.key, { email: 'first@example.com', externalId: 'hr-1' })).statusCode).toBe(201);
      expect(await byExternalId(a.key, 'hr-1')).toEqual([expect.objectContaining({ id: first.json().id })]);

      expect((await t.request(a.key, { method: 'DELETE', url: `/v1/users/${first.json().id}` })).statusCode).toBe(204);
      const again = await create(a.key, { email: 'again@example.com', externalId: 'hr-1' });
      expect(again.statusCode).toBe(201);
      expect(await byExternalId(a.key, 'hr-1')).toEqual([expect.objectContaining({ id: again.json().id })]);
    });

    it("should refuse a PATCH that sets another user's externalId, and let a user move to a free one", async () => {
      const { key } = await t.tenantWithKey();
      const held = (await create(key, { email: 'held@example.com', externalId: 'crm-7' })).json();
      const other = (await create(key, { email: 'other@example.com', externalId: 'crm-8' })).json();
      const taken = await t.request(key, { method: 'PATCH', url: `/v1/users/${other.id}`, payload: { externalId: 'crm-7' } });
      expect(taken.statusCode).toBe(409);
      expect(taken.json().code).toBe('USER_EXTERNAL_ID_TAKEN');
      // Nothing changed: the other user keeps its own value, which nobody else may take either.
      expect((await t.request(key, { method: 'GET', url: `/v1/users/${other.id}` })).json()).toMatchObject({
        externalId: 'crm-8',
        version: 1,
      });
      expect((await create(key, { email: 'late@example.com', externalId: 'crm-8' })).statusCode).toBe(409);

      // Moving to a free value releases the old one; null releases it too.
      expect((await t.request(key, { method: 'PATCH', url: `/v1/users/${other.id}`, payload: { externalId: 'crm-9' } })).statusCode).toBe(
        200,
      );
      expect((await create(key, { email: 'late@example.com', externalId: 'crm-8' })).statusCode).toBe(201);
      expect((await t.request(key, { method: 'PATCH', url: `/v1/users/${held.id}`, payload: { externalId: null } })).statusCode).toBe(200);
      expect((await t.request(key, { method: 'PATCH', url: `/v1/users/${other.id}`, payload: { externalId: 'crm-7' } })).statusCode).toBe(
        200,
      );
      expect(await byExternalId(key, 'crm-7')).toEqual([expect.objectContaining({ id: other.id })]);
      // A PATCH that leaves the value as it is needs no claim and is no conflict with itself.
      expect(
        (await t.request(key, { method: 'PATCH', url: `/v1/users/${other.id}`, payload: { externalId: 'crm-7', nickname: 'o' } }))
          .statusCode,
      ).toBe(200);
    });

    it('should create exactly one user when 30 requests send one externalId at once', async () => {
      const { key, tenantId } = await t.tenantWithKey();
      const responses = await Promise.all(
        Array.from({ length: 30 }, (_, i) => create(key, { email: `racer${i}@example.com`, externalId: 'okta-00u-race' })),
      );
      expect(responses.filter((r) => r.statusCode === 201)).toHaveLength(1);
      const refused = responses.filter((r) => r.statusCode === 409);
      expect(refused).toHaveLength(29);
      for (const r of refused) expect(r.json().code).toBe('USER_EXTERNAL_ID_TAKEN');
      const rows = await t.core.database.db
        .selectFrom('users')
        .select('id')
        .where('tenantId', '=', tenantId)
        .where('externalId', '=', 'okta-00u-race')
        .where('deletedAt', 'is', null)
        .execute();
      expect(rows).toHaveLength(1);
    });

    it('should let exactly one of 30 concurrent PATCHes take a free externalId', async () => {
      const { key } = await t.tenantWithKey();
      const ids = await Promise.all(
        Array.from({ length: 30 }, async (_, i) => (await create(key, { email: `p${i}@example.com` })).json().id as string),
      );
      const responses = await Promise.all(
        ids.map((id) => t.request(key, { method: 'PATCH', url: `/v1/users/${id}`, payload: { externalId: 'moved-here' } })),
      );
      expect(responses.filter((r) => r.statusCode === 200)).toHaveLength(1);
      expect(responses.filter((r) => r.statusCode === 409 && r.json().code === 'USER_EXTERNAL_ID_TAKEN')).toHaveLength(29);
      expect(await byExternalId(key, 'moved-here')).toHaveLength(1);
    });

    it('should fail the later batch item sharing an externalId, and items clashing with stored users, in partial and atomic mode', async () => {
      const { key, tenantId } = await t.tenantWithKey();
      await create(key, { email: 'stored@example.com', externalId: 'stored-x' });
      const batch = (users: unknown[], mode: 'partial' | 'atomic') =>
        t.request(key, { method: 'POST', url: '/v1/users/batch', payload: { users, mode } });
      const partial = (
        await batch(
          [
            { email: 'b1@example.com', externalId: 'x-1' },
            { email: 'b2@example.com', externalId: 'x-1' },
            { email: 'b3@example.com', externalId: 'stored-x' },
            { email: 'b4@example.com', externalId: 'x-2' },
          ],
          'partial',
        )
      ).json();
      expect(partial.results.map((r: { status: string }) => r.status)).toEqual(['created', 'failed', 'failed', 'created']);
      expect(partial.results[1].error).toMatchObject({
        code: 'USER_EXTERNAL_ID_TAKEN',
        status: 409,
        errors: [{ path: '/externalId', code: 'EXTERNAL_ID_TAKEN' }],
      });
      expect(partial.results[2].error.code).toBe('USER_EXTERNAL_ID_TAKEN');

      const atomic = (
        await batch(
          [
            { email: 'c1@example.com', externalId: 'y-1' },
            { email: 'c2@example.com', externalId: 'x-2' },
          ],
          'atomic',
        )
      ).json();
      expect(atomic.results.map((r: { status: string }) => r.status)).toEqual(['skipped', 'failed']);
      expect(atomic.results[1].error.code).toBe('USER_EXTERNAL_ID_TAKEN');
      const live = await t.core.database.db
        .selectFrom('users')
        .select('externalId')
        .where('tenantId', '=', tenantId)
        .where('deletedAt', 'is', null)
        .execute();
      expect(live.map((u) => u.externalId).sort()).toEqual(['stored-x', 'x-1', 'x-2']);
    });

    it('should report an imported row whose externalId is taken as a per-row error', async () => {
      const { key } = await t.tenantWithKey();
      await create(key, { email: 'kept@example.com', externalId: 'emp-1' });
      const csv = ['email,externalId', 'i1@example.com,emp-1', 'i2@example.com,emp-2', 'i3@example.com,emp-2', 'i4@example.com,emp-3'].join(
        '\n',
      );
      const res = await t.request(key, { method: 'POST', url: '/v1/imports', headers: { 'content-type': 'text/csv' }, payload: csv });
      expect(res.statusCode).toBe(202);
      let job: Record<string, unknown> = {};
      for (let i = 0; i < 300 && job.status !== 'completed' && job.status !== 'failed'; i++) {
        job = (await t.request(key, { method: 'GET', url: `/v1/imports/${res.json().id}` })).json();
        if (job.status !== 'completed') await new Promise((r) => setImmediate(r));
      }
      expect(job).toMatchObject({ status: 'completed', created: 2, failed: 2 });
      const errors = (await t.request(key, { method: 'GET', url: `/v1/imports/${job.id as string}/errors` })).json();
      expect(errors.data.map((e: { row: number; code: string; field: string }) => [e.row, e.code, e.field])).toEqual([
        [1, 'EXTERNAL_ID_TAKEN', 'externalId'],
        [3, 'EXTERNAL_ID_TAKEN', 'externalId'],
      ]);
    });

    it('migration 0014 refuses, naming them, when live users share an externalId, and claims the existing ones otherwise', async () => {
      const { key, tenantId } = await t.tenantWithKey();
      const one = (await create(key, { email: 'm1@example.com', externalId: 'legacy' })).json();
      const two = (await create(key, { email: 'm2@example.com' })).json();
      const db = t.core.database.db.withoutPlugins();
      // The database as an older release left it: no key table, and a duplicate it allowed.
      await db.schema.dropTable('user_external_ids').execute();
      await sql`update users set external_id = 'legacy' where id = ${two.id}`.execute(db);
      await expect(up0014(db, t.core.database.dialect)).rejects.toThrow(/externalId "legacy" \(2 users\)/);
      // Clearing the extra one (what the message asks) lets it run; the value stays claimed.
      await sql`update users set external_id = null where id = ${two.id}`.execute(db);
      await up0014(db, t.core.database.dialect);
      expect(await migrateToLatest(t.core.database)).toEqual([]);
      const claimed = await t.core.database.db
        .selectFrom('userExternalIds')
        .select(['userId', 'value'])
        .where('tenantId', '=', tenantId)
        .execute();
      expect(claimed).toEqual([{ userId: one.id, value: 'legacy' }]);
      expect((await create(key, { email: 'm3@example.com', externalId: 'legacy' })).json().code).toBe('USER_EXTERNAL_ID_TAKEN');
    });
  });
}
