import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AppError } from '../errors/app-error.js';
import type { TenantContext } from '../modules/context.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { testDialects } from '../testing/test-db.js';
import { toScimError } from './scim-error.js';
import { matches, parseFilter, sortResources } from './scim-filter.js';
import { ScimGroups } from './scim-groups.service.js';
import { toScimUser, type ScimResource } from './scim-user.mapper.js';
import { ScimUsers } from './scim-users.service.js';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const BASE = 'http://localhost:3000/scim/v2';
const TITLES = ['Engineer', 'engineer lead', 'Designer', null, '', 'Ingénieur', 'Sales_rep'];
const GIVEN = ['ada', 'Grace', 'Mary', 'alan', null, 'Zoë'];

/** Filters over every translated operator and attribute. */
const SQL_FILTERS = [
  'title eq "engineer"',
  'title ne "Engineer"',
  'title co "NG"',
  'title sw "eng"',
  'title ew "LEAD"',
  'title pr',
  'not (title pr)',
  'title gt "d"',
  'title le "Engineer"',
  'title co "_"',
  'title co "%"',
  'title eq 5',
  'title ne 5',
  'title eq null',
  'nickName pr',
  'active eq false',
  'active ne true',
  'active gt false',
  'active le false',
  'active eq "true"',
  'not (active eq true) or title eq "designer"',
  '(title eq "engineer" or title eq "designer") and active eq true',
  'name.givenName gt "m"',
  'name.familyName le "C"',
  'name.givenName lt "B"',
  'Name.GivenName sw "A"',
  'userName sw "U1"',
  'userName ew "@b.example"',
  'userName gt "u2"',
  'userName pr',
  'emails.value ew "@B.example"',
  'emails.value ne "u03@a.example"',
  'emails[type eq "work" and value co "07"]',
  'emails[not (value co "1")]',
  'emails.primary eq true',
  'externalId sw "EXT"',
  'externalId sw "ext"',
  'externalId pr',
  'externalId ne "EXT-3"',
  `${USER}:title eq "engineer"`,
  'displayName co ""',
  'displayName ew "x"',
  'meta.created ge "2000-01-01T00:00:00Z"',
  'meta.lastModified lt "2000-01-01"',
  'meta.created gt "not a date"',
  'meta.created ne "not a date"',
  'meta.created co "20"',
];
/** Filters SQL cannot decide alone (non-ASCII text, groups, the derived name.formatted): narrowed where possible, finished in memory. */
const MEMORY_FILTERS = [
  'title eq "Ingénieur"',
  'name.givenName eq "ZOË"',
  'groups pr',
  'name.formatted co "a"',
  'title eq "engineer" and name.formatted co "m"',
  'title pr or groups pr',
];

for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: SCIM lists page and filter in SQL`, () => {
    let t: TestApp;
    let tenant: { tenantId: string; key: string };
    let ctx: TenantContext;
    let all: ScimResource[];
    const groupIds: string[] = [];

    beforeAll(async () => {
      t = await createTestApp(dialect);
      tenant = await t.tenantWithKey();
      ctx = { tenantId: tenant.tenantId, principal: (await t.core.authenticate(tenant.key))!, requestId: 'test' };
      for (let i = 0; i < 30; i++) {
        const n = String(i).padStart(2, '0');
        const email = `u${n}@${i % 3 === 0 ? 'b' : 'a'}.example`;
        const title = TITLES[i % TITLES.length];
        const given = GIVEN[i % GIVEN.length];
        const res = await scim('POST', '/Users', {
          schemas: [USER],
          userName: i % 4 === 0 ? email : `U${n}`,
          emails: [{ value: email, type: 'work' }],
          active: i % 5 !== 0,
          ...(title !== null ? { title } : {}),
          ...(given !== null ? { name: { givenName: given, familyName: String.fromCharCode(65 + (i % 5)) } } : {}),
          ...(i % 6 === 0 ? { nickName: `nick${i}` } : {}),
          ...(i % 2 === 0 ? { externalId: `EXT-${i}` } : {}),
          ...(i % 7 === 0 ? { displayName: `D${i}x` } : {}),
        });
        expect(res.statusCode).toBe(201);
      }
      for (let i = 0; i < 12; i++) {
        const res = await scim('POST', '/Groups', {
          schemas: [GROUP],
          displayName: `${i % 2 ? 'Team' : 'crew'} ${String(i).padStart(2, '0')}`,
        });
        groupIds.push(res.json().id);
      }
      // The reference: every user, read without SCIM's list, in creation order.
      all = (await t.core.users.listUsers(ctx, { limit: 100 })).data.map((u) => toScimUser(u, BASE));
      expect(all).toHaveLength(30);
    });
    afterAll(async () => t?.close());
    afterEach(() => vi.restoreAllMocks());

    const scim = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown) =>
      t.app.inject({
        method,
        url: `/scim/v2${url}`,
        headers: { authorization: `Bearer ${tenant.key}`, ...(payload !== undefined ? { 'content-type': 'application/scim+json' } : {}) },
        ...(payload !== undefined ? { payload: JSON.stringify(payload) } : {}),
      });
    const list = async (resource: string, query: Record<string, string>) => {
      const res = await scim('GET', `/${resource}?${new URLSearchParams(query).toString()}`);
      expect(res.statusCode, JSON.stringify([query, res.json()])).toBe(200);
      return res.json() as {
        totalResults: number;
        startIndex: number;
        itemsPerPage: number;
        Resources: Array<{ id: string; userName: string }>;
      };
    };

    it("should answer startIndex/count from SQL: the right slice and total, and only that page's users read", async () => {
      const loaded = vi.spyOn(t.core.users, 'getUsers');
      const scan = vi.spyOn(t.core.users, 'listUsers');
      const page = await list('Users', { startIndex: '11', count: '5' });
      expect(page).toMatchObject({ totalResults: 30, startIndex: 11, itemsPerPage: 5 });
      expect(page.Resources.map((r) => r.id)).toEqual(all.slice(10, 15).map((r) => r.id));
      // One read of exactly the page's five users; the tenant is never listed.
      expect(loaded.mock.calls.map(([, ids]) => ids.length)).toEqual([5]);
      expect(scan).not.toHaveBeenCalled();

      loaded.mockClear();
      const sorted = await list('Users', { filter: 'title pr', sortBy: 'title', sortOrder: 'descending', startIndex: '2', count: '3' });
      const expected = sortResources(
        all.filter((r) => matches(r, parseFilter('title pr'))),
        'title',
        'descending',
      );
      expect(sorted.totalResults).toBe(expected.length);
      expect(sorted.Resources.map((r) => r.id)).toEqual(expected.slice(1, 4).map((r) => r.id));
      expect(loaded.mock.calls.map(([, ids]) => ids.length)).toEqual([3]);

      loaded.mockClear();
      expect(await list('Users', { startIndex: '31', count: '5' })).toMatchObject({ totalResults: 30, itemsPerPage: 0, Resources: [] });
      expect(await list('Users', { count: '0' })).toMatchObject({ totalResults: 30, itemsPerPage: 0 });
      expect(loaded.mock.calls.every(([, ids]) => ids.length === 0)).toBe(true);
    });

    it('should give every filter the same answer as the in-memory evaluator, reading only the matching users when SQL decides', async () => {
      const loaded = vi.spyOn(t.core.users, 'getUsers');
      for (const filter of [...SQL_FILTERS, ...MEMORY_FILTERS]) {
        loaded.mockClear();
        const expected = all.filter((r) => matches(r, parseFilter(filter))).map((r) => r.id);
        const body = await list('Users', { filter, count: '1000' });
        expect([filter, body.totalResults, body.Resources.map((r) => r.id).sort()]).toEqual([
          filter,
          expected.length,
          [...expected].sort(),
        ]);
        const read = loaded.mock.calls.reduce((sum, [, ids]) => sum + ids.length, 0);
        if (SQL_FILTERS.includes(filter)) expect([filter, read]).toEqual([filter, expected.length]);
      }
      // The filters were chosen so that most answers are neither empty nor everyone.
      const sizes = SQL_FILTERS.map((f) => all.filter((r) => matches(r, parseFilter(f))).length);
      expect(sizes.filter((s) => s > 0 && s < 30).length).toBeGreaterThan(SQL_FILTERS.length / 2);
    });

    it('should sort like the in-memory sort, absent values last in both directions, in SQL or in memory', async () => {
      for (const sortBy of [
        'title',
        'userName',
        'name.givenName',
        'active',
        'meta.created',
        'externalId',
        'emails.value',
        'name.formatted',
      ]) {
        for (const sortOrder of ['ascending', 'descending']) {
          const expected = sortResources(all, sortBy, sortOrder).map((r) => r.id);
          const body = await list('Users', { sortBy, sortOrder, startIndex: '4', count: '20' });
          expect([sortBy, sortOrder, body.Resources.map((r) => r.id)]).toEqual([sortBy, sortOrder, expected.slice(3, 23)]);
        }
      }
    });

    it('should refuse with 400 tooMany a filter it can only evaluate in memory over more users than the scan limit', async () => {
      const limited = new ScimUsers(t.core, BASE, 10);
      for (const filter of ['groups pr', 'name.formatted co "a"', 'title eq "Ingénieur" or userName pr']) {
        const error = await limited.list(ctx, { filter }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(AppError);
        expect(toScimError(error as AppError)).toMatchObject({ status: 400, body: { status: '400', scimType: 'tooMany' } });
      }
      // Narrowed in SQL first: only the scan of what SQL could not decide counts.
      expect((await limited.list(ctx, { filter: 'externalId eq "EXT-4" and name.formatted co "a"' })).status).toBe(200);
      expect((await limited.list(ctx, { filter: 'title eq "engineer" and groups pr' })).status).toBe(200);
      // Filters SQL answers never scan, whatever the directory size.
      expect((await limited.list(ctx, { filter: 'title co "e" or active eq false', count: 2 })).body).toMatchObject({ itemsPerPage: 2 });
      const groups = new ScimGroups(t.core, BASE, 5);
      const error = await groups.list(ctx, { filter: 'members pr' }).catch((e: unknown) => e);
      expect(toScimError(error as AppError).body).toMatchObject({ scimType: 'tooMany' });
    });

    it('should page and filter groups in SQL, membership included', async () => {
      const reference = await Promise.all(groupIds.map(async (id) => (await scim('GET', `/Groups/${id}`)).json() as ScimResource));
      const listed = (await t.core.groups.listGroups(ctx)).map((g) => g.id);
      const page = await list('Groups', { startIndex: '6', count: '4' });
      expect(page).toMatchObject({ totalResults: 12, itemsPerPage: 4 });
      expect(page.Resources.map((g) => g.id)).toEqual(listed.slice(5, 9));
      const member = all[3]?.id as string;
      await scim('PATCH', `/Groups/${groupIds[2]}`, {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'add', path: 'members', value: [{ value: member }] }],
      });
      for (const filter of [
        'displayName sw "TEAM"',
        'displayName gt "crew 05"',
        'not (displayName co "1")',
        `members[value eq "${member}"]`,
        `members.value eq "${member}"`,
        `id eq "${groupIds[7]}" and members[value eq "${member}"]`,
        'externalId pr',
        'members pr',
      ]) {
        const expected = reference
          .map((g) => (g.id === groupIds[2] ? { ...g, members: [{ value: member }] } : g))
          .filter((g) => matches(g, parseFilter(filter)))
          .map((g) => g.id);
        const body = await list('Groups', { filter, count: '100' });
        expect([filter, body.Resources.map((g) => g.id).sort()]).toEqual([filter, [...expected].sort()]);
      }
      const sorted = await list('Groups', { sortBy: 'displayName', sortOrder: 'descending', count: '3' });
      expect(sorted.Resources.map((g) => g.id)).toEqual(
        sortResources(reference, 'displayName', 'descending')
          .slice(0, 3)
          .map((g) => g.id),
      );
    });
  });
}
