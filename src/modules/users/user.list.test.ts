import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { testDialects } from '../../testing/test-db.js';

interface Listed {
  id: string;
  email: string | null;
  username: string | null;
  familyName: string | null;
  createdAt: string;
}

/** Issue 22: GET /v1/users filters (role, group, emailVerified, created between), sorts with keyset paging, and counts. */
for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: users list filters, sorts and count`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect);
    });
    afterAll(async () => t?.close());

    const get = async (key: string, query: string) => t.request(key, { method: 'GET', url: `/v1/users?${query}` });
    const ids = async (key: string, query: string) => ((await get(key, query)).json().data as Listed[]).map((u) => u.id);

    /** Every page of a query, following nextCursor with a small page size. */
    const walk = async (key: string, query: string): Promise<Listed[]> => {
      const seen: Listed[] = [];
      let cursor: string | null = null;
      for (let pages = 0; pages < 50; pages++) {
        const res = await get(key, `${query}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        expect(res.statusCode).toBe(200);
        const body = res.json() as { data: Listed[]; nextCursor: string | null };
        seen.push(...body.data);
        cursor = body.nextCursor;
        if (!cursor) return seen;
      }
      throw new Error('paging did not end');
    };

    it('should filter by role, group (id or type:code), email verified and creation range, and count the matches', async () => {
      const { key } = await t.tenantWithKey();
      const office = (
        await t.request(key, { method: 'POST', url: '/v1/groups', payload: { type: 'office', code: 'LON', name: 'London' } })
      ).json();
      const make = async (payload: object) => {
        const res = await t.request(key, { method: 'POST', url: '/v1/users', payload });
        expect(res.statusCode).toBe(201);
        return res.json().id as string;
      };
      const admin = await make({ email: 'a@example.com', roles: ['admin'], emailVerified: true, createdAt: '2020-01-01T00:00:00Z' });
      const member = await make({ email: 'b@example.com', groups: [office.id], createdAt: '2021-06-01T00:00:00Z' });
      const both = await make({ email: 'c@example.com', roles: ['admin'], groups: ['office:LON'], emailVerified: true });
      const plain = await make({ email: 'd@example.com' });

      expect((await ids(key, 'role=admin')).sort()).toEqual([admin, both].sort());
      expect((await ids(key, 'role=user')).sort()).toEqual([member, plain].sort());
      expect((await ids(key, `group=${office.id}`)).sort()).toEqual([member, both].sort());
      expect((await ids(key, 'group=office:LON&role=admin')).sort()).toEqual([both]);
      expect((await ids(key, 'emailVerified=true')).sort()).toEqual([admin, both].sort());
      expect((await ids(key, 'emailVerified=false')).sort()).toEqual([member, plain].sort());
      expect(await ids(key, 'createdBefore=2021-01-01T00:00:00Z')).toEqual([admin]);
      expect(await ids(key, 'createdAfter=2020-01-01T00:00:00Z&createdBefore=2021-06-01T00:00:00Z')).toEqual([admin]);
      expect(await ids(key, 'createdAfter=2021-06-01T02:00:00%2B02:00&createdBefore=2022-01-01T00:00:00Z')).toEqual([member]);
      expect(await ids(key, 'createdAfter=2022-01-01T00:00:00Z&createdBefore=2021-01-01T00:00:00Z')).toEqual([]);

      const counted = (await get(key, 'role=admin&count=true&limit=1')).json();
      expect(counted).toMatchObject({ total: 2, data: [expect.anything()] });
      expect(counted.nextCursor).not.toBeNull();
      expect((await get(key, 'count=true')).json().total).toBe(4);
      expect((await get(key, 'q=nobody&count=true')).json()).toEqual({ data: [], nextCursor: null, total: 0 });
      expect((await get(key, 'role=admin')).json()).not.toHaveProperty('total');
    });

    it('should sort by each documented key both ways, nulls last, and page through every user exactly once', async () => {
      const { key } = await t.tenantWithKey();
      const people: Array<{ email?: string; username?: string; familyName?: string; createdAt: string }> = [
        { email: 'zoe@example.com', username: 'zed', familyName: 'adams', createdAt: '2019-05-01T00:00:00Z' },
        { email: 'Amy@example.com', familyName: 'Brown', createdAt: '2018-05-01T00:00:00Z' },
        { username: 'mona', familyName: 'brown', createdAt: '2018-05-01T00:00:00Z' },
        { email: 'kim@example.com', username: 'kim', createdAt: '2022-05-01T00:00:00Z' },
        { email: 'bob@example.com', username: 'bob', familyName: 'Cole', createdAt: '2017-05-01T00:00:00Z' },
      ];
      for (const person of people) {
        const created = await t.request(key, { method: 'POST', url: '/v1/users', payload: person });
        expect(created.statusCode, created.body).toBe(201);
      }
      const all = (await get(key, 'limit=200')).json().data as Listed[];
      const byId = [...all].sort((a, b) => (a.id < b.id ? -1 : 1));
      const value = (u: Listed, sort: string) =>
        sort === 'createdAt' ? u.createdAt : sort === 'familyName' ? (u.familyName?.toLowerCase() ?? null) : (u[sort as 'email'] ?? null);
      for (const sort of ['createdAt', 'email', 'username', 'familyName']) {
        for (const desc of [false, true]) {
          const expected = [...byId].sort((a, b) => {
            const [va, vb] = [value(a, sort), value(b, sort)];
            if (va === null || vb === null)
              return va === vb ? (desc ? (a.id < b.id ? 1 : -1) : a.id < b.id ? -1 : 1) : va === null ? 1 : -1;
            if (va !== vb) return (va < vb ? -1 : 1) * (desc ? -1 : 1);
            return (a.id < b.id ? -1 : 1) * (desc ? -1 : 1);
          });
          const seen = await walk(key, `sort=${desc ? '-' : ''}${sort}`);
          expect(
            seen.map((u) => u.id),
            `${desc ? '-' : ''}${sort}`,
          ).toEqual(expected.map((u) => u.id));
        }
      }
      expect((await walk(key, 'sort=email&active=true')).map((u) => u.email)).toEqual([
        'Amy@example.com',
        'bob@example.com',
        'kim@example.com',
        'zoe@example.com',
        null,
      ]);
    });

    it('should refuse bad filters, sorts and cursors with 400 and the documented codes', async () => {
      const { key } = await t.tenantWithKey();
      for (const query of ['sort=password', 'sort=', 'emailVerified=maybe', 'createdAfter=yesterday', 'count=lots', 'role=', 'secret=1']) {
        const res = await get(key, query);
        expect(res.statusCode, query).toBe(400);
        expect(res.json().code, query).toBe('VALIDATION_FAILED');
      }
      const role = await get(key, 'role=ghost');
      expect(role.statusCode).toBe(400);
      expect(role.json().errors).toEqual([expect.objectContaining({ path: '/role', code: 'ROLE_UNKNOWN' })]);
      const group = await get(key, 'group=office:NOWHERE');
      expect(group.json().errors).toEqual([expect.objectContaining({ path: '/group', code: 'GROUP_UNKNOWN' })]);

      for (let i = 0; i < 3; i++) await t.request(key, { method: 'POST', url: '/v1/users', payload: { email: `c${i}@example.com` } });
      const sorted = (await get(key, 'sort=email&limit=1')).json();
      expect((await get(key, `sort=-email&cursor=${sorted.nextCursor}`)).json().code).toBe('VALIDATION_FAILED');
      expect((await get(key, `cursor=${sorted.nextCursor}`)).json().code).toBe('VALIDATION_FAILED');
      const plain = (await get(key, 'limit=1')).json();
      expect((await get(key, `sort=email&cursor=${plain.nextCursor}`)).json().code).toBe('VALIDATION_FAILED');
      const forged = Buffer.from(JSON.stringify({ s: 'createdAt', v: 'not a date', i: plain.data[0].id })).toString('base64url');
      const res = await get(key, `sort=createdAt&cursor=${forged}`);
      expect(res.statusCode).toBe(400);
      expect(res.json().errors[0]).toMatchObject({ path: '/cursor', code: 'FIELD_INVALID' });
    });

    it("should not filter by another tenant's group or role", async () => {
      const a = await t.tenantWithKey();
      const b = await t.tenantWithKey();
      const team = (await t.request(a.key, { method: 'POST', url: '/v1/groups', payload: { type: 'team', code: 'x', name: 'X' } })).json();
      await t.request(a.key, { method: 'POST', url: '/v1/users', payload: { email: 'in-a@example.com', groups: [team.id] } });
      expect((await ids(a.key, `group=${team.id}`)).length).toBe(1);
      const fromB = await get(b.key, `group=${team.id}`);
      expect(fromB.statusCode).toBe(400);
      expect(fromB.json().errors[0].code).toBe('GROUP_UNKNOWN');
    });
  });
}
