import SCIMMY from 'scimmy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { testDialects } from '../testing/test-db.js';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';

// SCIMMY's User definition with the Enterprise extension (optional), as a provider would declare it.
const userDefinition = SCIMMY.Schemas.User.definition.extend(SCIMMY.Schemas.EnterpriseUser.definition, false);

/** Checks a resource against SCIMMY's schema definitions: someone else's reading of RFC 7643. */
function assertScimmyValid(resource: Record<string, unknown>): void {
  const definition = (resource.schemas as string[]).includes(GROUP) ? SCIMMY.Schemas.Group.definition : userDefinition;
  expect(() => definition.coerce(resource, 'out')).not.toThrow();
}

for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: SCIM 2.0`, () => {
    let t: TestApp;
    let tenant: { tenantId: string; slug: string; key: string };
    beforeAll(async () => {
      t = await createTestApp(dialect);
      tenant = await t.tenantWithKey();
      await t.request(tenant.key, { method: 'POST', url: '/v1/attributes', payload: { key: 'employeeNumber', type: 'string' } });
    });
    afterAll(async () => t?.close());

    const scim = (
      method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
      url: string,
      payload?: unknown,
      headers: Record<string, string> = {},
    ) =>
      t.app.inject({
        method,
        url: `/scim/v2${url}`,
        headers: {
          authorization: `Bearer ${tenant.key}`,
          ...(payload !== undefined ? { 'content-type': 'application/scim+json' } : {}),
          ...headers,
        },
        ...(payload !== undefined ? { payload: JSON.stringify(payload) } : {}),
      });
    let n = 0;
    const uid = () => `sc${++n}x${Math.random().toString(36).slice(2, 7)}`;
    const expectError = (res: { statusCode: number; json(): Record<string, unknown> }, status: number, scimType?: string) => {
      expect(res.statusCode).toBe(status);
      expect(res.json()).toMatchObject({ schemas: [ERROR], status: String(status), ...(scimType ? { scimType } : {}) });
    };

    it("should replay Okta's provisioning: look up by userName, create, read, deactivate by PATCH", async () => {
      const login = `${uid()}@acme.com`;
      const lookup = await scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${login}"`)}&startIndex=1&count=100`);
      expect(lookup.statusCode).toBe(200);
      expect(lookup.json()).toEqual({ schemas: [LIST], totalResults: 0, startIndex: 1, itemsPerPage: 0, Resources: [] });

      const created = await scim('POST', '/Users', {
        schemas: [USER],
        userName: login,
        name: { givenName: 'Ada', familyName: 'Lovelace' },
        emails: [{ primary: true, value: login, type: 'work' }],
        displayName: 'Ada Lovelace',
        locale: 'en-US',
        externalId: '00u1abcd',
        groups: [],
        password: 'correct horse battery staple',
        active: true,
      });
      expect(created.statusCode).toBe(201);
      const user = created.json();
      expect(created.headers.location).toBe(user.meta.location);
      expect(created.headers.etag).toBe(user.meta.version);
      expect(created.headers['content-type']).toContain('application/scim+json');
      expect(user).toMatchObject({
        userName: login,
        active: true,
        externalId: '00u1abcd',
        name: { givenName: 'Ada', familyName: 'Lovelace' },
        emails: [{ value: login, primary: true }],
      });
      expect(user.password).toBeUndefined();
      assertScimmyValid(user);

      const found = await scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${login.toUpperCase()}"`)}`);
      expect(found.json()).toMatchObject({ totalResults: 1, Resources: [{ id: user.id }] });

      const deactivated = await scim('PATCH', `/Users/${user.id}`, {
        schemas: [PATCH],
        Operations: [{ op: 'replace', value: { active: false } }],
      });
      expect(deactivated.statusCode).toBe(200);
      expect(deactivated.json().active).toBe(false);
      assertScimmyValid(deactivated.json());
      const native = (await t.request(tenant.key, { method: 'GET', url: `/v1/users/${user.id}` })).json();
      expect(native).toMatchObject({ active: false, hasPassword: true, externalId: '00u1abcd' });
    });

    it("should replay Entra ID's provisioning: capitalised ops, string booleans, valuePath paths, Enterprise extension", async () => {
      const mail = `${uid()}@acme.com`;
      expect((await scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${mail}"`)}`)).json().totalResults).toBe(0);
      const created = await scim('POST', '/Users', {
        schemas: [USER, ENTERPRISE],
        externalId: 'entra-1',
        userName: mail,
        active: 'True',
        displayName: 'Grace Hopper',
        emails: [{ primary: true, type: 'work', value: mail }],
        meta: { resourceType: 'User' },
        id: 'client-chosen-id',
        Name: { formatted: 'Grace Hopper', familyName: 'Hopper', givenName: 'Grace' },
        title: 'Rear Admiral',
        [ENTERPRISE]: { employeeNumber: '1906', department: 'Navy' },
      });
      expect(created.statusCode).toBe(201);
      const user = created.json();
      expect(user.id).not.toBe('client-chosen-id');
      expect(user).toMatchObject({
        active: true,
        title: 'Rear Admiral',
        name: { givenName: 'Grace' },
        [ENTERPRISE]: { employeeNumber: '1906' },
      });
      // department is not defined as an attribute in this tenant: not stored, so not answered.
      expect(user[ENTERPRISE].department).toBeUndefined();
      assertScimmyValid(user);

      const patched = await scim('PATCH', `/Users/${user.id}`, {
        schemas: [PATCH],
        Operations: [
          { op: 'Replace', path: 'emails[type eq "work"].value', value: `new.${mail}` },
          { op: 'Replace', path: 'name.familyName', value: 'Hopper-Murray' },
          { op: 'Add', path: `${ENTERPRISE}:employeeNumber`, value: '2000' },
          { op: 'Replace', path: 'active', value: 'False' },
        ],
      });
      expect(patched.statusCode).toBe(200);
      expect(patched.json()).toMatchObject({
        active: false,
        emails: [{ value: `new.${mail}` }],
        name: { familyName: 'Hopper-Murray' },
        [ENTERPRISE]: { employeeNumber: '2000' },
      });
      expect(patched.json().meta.version).not.toBe(user.meta.version);
      const removed = await scim('PATCH', `/Users/${user.id}`, { schemas: [PATCH], Operations: [{ op: 'Remove', path: 'title' }] });
      expect(removed.json().title).toBeUndefined();
    });

    it('should keep userName unique case-insensitively (409 uniqueness) and refuse unknown schemas (400 invalidSyntax)', async () => {
      const name = uid();
      expect((await scim('POST', '/Users', { schemas: [USER], userName: name, emails: [{ value: `${name}@acme.com` }] })).statusCode).toBe(
        201,
      );
      expectError(await scim('POST', '/Users', { schemas: [USER], userName: name.toUpperCase() }), 409, 'uniqueness');
      expectError(await scim('POST', '/Users', { schemas: [USER, 'urn:example:unknown'], userName: uid() }), 400, 'invalidSyntax');
      expectError(await scim('POST', '/Users', { userName: uid() }), 400, 'invalidSyntax');
      expectError(
        await scim('POST', '/Users', { schemas: [USER], userName: uid(), emails: [{ value: 'not-an-email' }] }),
        400,
        'invalidValue',
      );
      expectError(await scim('GET', '/Users?filter=userName%20eq'), 400, 'invalidFilter');
      expectError(await scim('GET', '/Users/00000000-0000-7000-8000-000000000000'), 404);
      const anonymous = await t.app.inject({ method: 'GET', url: '/scim/v2/Users' });
      expectError({ statusCode: anonymous.statusCode, json: () => anonymous.json() }, 401);
    });

    it('should filter with every operator, logical combinations, value paths and dates, then sort, page and project', async () => {
      const tag = uid();
      const made: Array<{ id: string; userName: string }> = [];
      for (const [i, title] of ['Engineer', 'Designer', 'Engineer lead'].entries()) {
        const res = await scim('POST', '/Users', {
          schemas: [USER],
          userName: `${tag}-${i}`,
          title,
          emails: [{ value: `${tag}-${i}@acme.com`, type: 'work' }],
          active: i !== 1,
          nickName: i === 2 ? 'lead' : undefined,
        });
        made.push(res.json());
      }
      const q = async (filter: string, extra = '') => (await scim('GET', `/Users?filter=${encodeURIComponent(filter)}${extra}`)).json();
      const names = (body: { Resources: Array<{ userName: string }> }) => body.Resources.map((r) => r.userName).sort();
      expect(names(await q(`userName sw "${tag}" and title eq "engineer"`))).toEqual([`${tag}-0`]);
      expect(names(await q(`userName sw "${tag}" and title co "ENGINEER"`))).toEqual([`${tag}-0`, `${tag}-2`]);
      expect(names(await q(`userName sw "${tag}" and title ne "Engineer"`))).toEqual([`${tag}-1`, `${tag}-2`]);
      expect(names(await q(`userName sw "${tag}" and title ew "lead"`))).toEqual([`${tag}-2`]);
      expect(names(await q(`userName sw "${tag}" and nickName pr`))).toEqual([`${tag}-2`]);
      expect(names(await q(`userName sw "${tag}" and not (active eq true)`))).toEqual([`${tag}-1`]);
      expect(names(await q(`(userName eq "${tag}-0" or userName eq "${tag}-1") and active eq true`))).toEqual([`${tag}-0`]);
      expect(names(await q(`emails[type eq "work" and value ew "${tag}-1@acme.com"]`))).toEqual([`${tag}-1`]);
      expect(names(await q(`UserName sw "${tag}" and EMAILS.VALUE co "${tag}-2"`))).toEqual([`${tag}-2`]);
      expect(
        names(await q(`userName sw "${tag}" and meta.created gt "2000-01-01T00:00:00Z" and meta.lastModified le "2999-01-01T00:00:00Z"`)),
      ).toHaveLength(3);
      expect(names(await q(`userName sw "${tag}" and meta.created lt "2000-01-01T00:00:00Z"`))).toEqual([]);
      expect((await q(`externalId eq "nobody"`)).totalResults).toBe(0);

      const page = await q(
        `userName sw "${tag}"`,
        '&sortBy=userName&sortOrder=descending&startIndex=2&count=1&attributes=userName,name.givenName',
      );
      expect(page).toMatchObject({ totalResults: 3, startIndex: 2, itemsPerPage: 1, Resources: [{ userName: `${tag}-1` }] });
      expect(Object.keys(page.Resources[0]).sort()).toEqual(['id', 'schemas', 'userName']);
      const excluded = await q(`userName eq "${tag}-0"`, '&excludedAttributes=emails,meta');
      expect(excluded.Resources[0].emails).toBeUndefined();
      expect(excluded.Resources[0].id).toBe(made[0]?.id);
    });

    it('should replace with PUT, honour If-Match and If-None-Match, and delete', async () => {
      const name = uid();
      const user = (await scim('POST', '/Users', { schemas: [USER], userName: name, title: 'Old', nickName: 'nick' })).json();
      const put = await scim(
        'PUT',
        `/Users/${user.id}`,
        { schemas: [USER], userName: name, title: 'New', meta: { version: 'ignored' } },
        { 'if-match': user.meta.version },
      );
      expect(put.statusCode).toBe(200);
      expect(put.json()).toMatchObject({ title: 'New' });
      expect(put.json().nickName).toBeUndefined();
      expectError(await scim('PUT', `/Users/${user.id}`, { schemas: [USER], userName: name }, { 'if-match': user.meta.version }), 412);
      expect((await scim('GET', `/Users/${user.id}`, undefined, { 'if-none-match': put.json().meta.version })).statusCode).toBe(304);
      expectError(await scim('DELETE', `/Users/${user.id}`, undefined, { 'if-match': 'W/"999"' }), 412);
      expect((await scim('DELETE', `/Users/${user.id}`)).statusCode).toBe(204);
      expectError(await scim('GET', `/Users/${user.id}`), 404);
    });

    it('should manage groups and membership the way Okta and Entra ID push them', async () => {
      const a = (await scim('POST', '/Users', { schemas: [USER], userName: uid() })).json();
      const b = (await scim('POST', '/Users', { schemas: [USER], userName: uid() })).json();
      const created = await scim('POST', '/Groups', { schemas: [GROUP], displayName: `Sales ${uid()}`, members: [{ value: a.id }] });
      expect(created.statusCode).toBe(201);
      const group = created.json();
      assertScimmyValid(group);
      expect(group.members.map((m: { value: string }) => m.value)).toEqual([a.id]);
      const byName = await scim('GET', `/Groups?filter=${encodeURIComponent(`displayName eq "${group.displayName}"`)}`);
      expect(byName.json().Resources.map((g: { id: string }) => g.id)).toEqual([group.id]);

      const add = await scim('PATCH', `/Groups/${group.id}`, {
        schemas: [PATCH],
        Operations: [{ op: 'add', path: 'members', value: [{ value: b.id }] }],
      });
      expect(add.json().members).toHaveLength(2);
      // Okta removes with a value filter; Entra ID with a value list and a capitalised op.
      const oktaRemove = await scim('PATCH', `/Groups/${group.id}`, {
        schemas: [PATCH],
        Operations: [{ op: 'remove', path: `members[value eq "${a.id}"]` }],
      });
      expect(oktaRemove.json().members.map((m: { value: string }) => m.value)).toEqual([b.id]);
      const entraRemove = await scim('PATCH', `/Groups/${group.id}`, {
        schemas: [PATCH],
        Operations: [
          { op: 'Remove', path: 'members', value: [{ value: b.id }] },
          { op: 'Replace', path: 'displayName', value: 'Renamed' },
        ],
      });
      expect(entraRemove.json()).toMatchObject({ displayName: 'Renamed', members: [] });
      // The user shows its groups, read-only.
      await scim('PATCH', `/Groups/${group.id}`, {
        schemas: [PATCH],
        Operations: [{ op: 'add', path: 'members', value: [{ value: a.id }] }],
      });
      expect((await scim('GET', `/Users/${a.id}`)).json().groups).toEqual([
        expect.objectContaining({ value: group.id, display: 'Renamed' }),
      ]);
      expectError(
        await scim('PATCH', `/Groups/${group.id}`, {
          schemas: [PATCH],
          Operations: [{ op: 'add', path: 'members', value: [{ value: 'no-such-user' }] }],
        }),
        400,
      );
      const put = await scim('PUT', `/Groups/${group.id}`, { schemas: [GROUP], displayName: 'Renamed', members: [{ value: b.id }] });
      expect(put.json().members.map((m: { value: string }) => m.value)).toEqual([b.id]);
      expect((await scim('DELETE', `/Groups/${group.id}`)).statusCode).toBe(204);
      expectError(await scim('GET', `/Groups/${group.id}`), 404);
    });

    it('should run Bulk operations with bulkId references and failOnErrors, and refuse more than advertised', async () => {
      const name = uid();
      const res = await scim('POST', '/Bulk', {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
        failOnErrors: 2,
        Operations: [
          { method: 'POST', path: '/Users', bulkId: 'u1', data: { schemas: [USER], userName: name } },
          {
            method: 'POST',
            path: '/Groups',
            bulkId: 'g1',
            data: { schemas: [GROUP], displayName: `Bulk ${name}`, members: [{ value: 'bulkId:u1' }] },
          },
          { method: 'POST', path: '/Users', bulkId: 'dup', data: { schemas: [USER], userName: name } },
          {
            method: 'PATCH',
            path: '/Users/bulkId:u1',
            data: { schemas: [PATCH], Operations: [{ op: 'replace', path: 'title', value: 'Bulked' }] },
          },
          { method: 'POST', path: '/Users', bulkId: 'bad', data: { schemas: [USER] } },
          { method: 'POST', path: '/Users', bulkId: 'never', data: { schemas: [USER], userName: uid() } },
        ],
      });
      expect(res.statusCode).toBe(200);
      const ops = res.json().Operations;
      expect(ops.map((o: { status: string }) => o.status)).toEqual(['201', '201', '409', '200', '400']);
      expect(ops[2].response).toMatchObject({ schemas: [ERROR], status: '409', scimType: 'uniqueness' });
      const groupId = ops[1].location.split('/').pop();
      const userId = ops[0].location.split('/').pop();
      expect((await scim('GET', `/Groups/${groupId}`)).json().members.map((m: { value: string }) => m.value)).toEqual([userId]);
      expect((await scim('GET', `/Users/${userId}`)).json().title).toBe('Bulked');

      const tooMany = await scim('POST', '/Bulk', {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
        Operations: Array.from({ length: 1001 }, () => ({ method: 'DELETE', path: '/Users/x' })),
      });
      expectError(tooMany, 413);
      const tooBig = await scim('POST', '/Bulk', {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
        Operations: [{ method: 'POST', path: '/Users', bulkId: 'x', data: { schemas: [USER], userName: 'x'.repeat(1_100_000) } }],
      });
      expectError(tooBig, 413);
    });

    it('should describe exactly what it supports in the discovery endpoints', async () => {
      const config = (await t.app.inject({ url: '/scim/v2/ServiceProviderConfig' })).json();
      expect(() => SCIMMY.Schemas.ServiceProviderConfig.definition.coerce(config, 'out')).not.toThrow();
      expect(config).toMatchObject({
        patch: { supported: true },
        bulk: { supported: true, maxOperations: 1000, maxPayloadSize: 1048576 },
        filter: { supported: true, maxResults: 1000 },
        etag: { supported: true },
        sort: { supported: true },
      });
      const types = (await t.app.inject({ url: '/scim/v2/ResourceTypes' })).json();
      expect(types.Resources.map((r: { id: string }) => r.id)).toEqual(['User', 'Group']);
      for (const r of types.Resources) expect(() => SCIMMY.Schemas.ResourceType.definition.coerce(r, 'out')).not.toThrow();
      const schemas = (await t.app.inject({ url: '/scim/v2/Schemas' })).json();
      expect(schemas.Resources.map((s: { id: string }) => s.id)).toEqual([USER, ENTERPRISE, GROUP]);
      const userSchema = schemas.Resources[0];
      expect(userSchema.attributes.find((a: { name: string }) => a.name === 'password')).toMatchObject({
        mutability: 'writeOnly',
        returned: 'never',
      });
      expect(userSchema.attributes.find((a: { name: string }) => a.name === 'groups')).toMatchObject({ mutability: 'readOnly' });
      expect((await t.app.inject({ url: '/scim/v2/Nope' })).json()).toMatchObject({ schemas: [ERROR], status: '404' });
    });
  });
}
