import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile, problems } from '../testing/seed-schemas.js';
import { certificationAuthErrorSchema, certificationResultSchema, certificationUserSchema } from '../testing/prose-seed-schemas.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { testDialects } from '../../testing/test-db.js';

const validResult = compile(certificationResultSchema);
const validAuthError = compile(certificationAuthErrorSchema);
const validUser = compile(certificationUserSchema);

for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: Certification contract (seed 003)`, () => {
    let t: TestApp;
    let tenant: { tenantId: string; slug: string; key: string };
    beforeAll(async () => {
      t = await createTestApp(dialect);
      tenant = await t.tenantWithKey();
      for (const group of [
        { type: 'department', code: 'ENG', name: 'Engineering' },
        { type: 'location', code: 'PAR', name: 'Paris' },
      ]) {
        expect((await t.request(tenant.key, { method: 'POST', url: '/v1/groups', payload: group })).statusCode).toBe(201);
      }
      const role = await t.request(tenant.key, {
        method: 'POST',
        url: '/v1/roles',
        payload: { name: 'program-admin', permissions: ['users:read', 'users:update'] },
      });
      expect(role.statusCode).toBe(201);
    });
    afterAll(async () => t?.close());

    const post = (key: string | undefined, body: unknown) =>
      t.request(key, { method: 'POST', url: '/compat/certification/users', payload: body as object });
    let n = 0;
    const person = (overrides: Record<string, unknown> = {}) => {
      const id = `cert${++n}x${Math.random().toString(36).slice(2, 7)}`;
      return {
        userName: id,
        password: 'Correct-Horse-Battery-9',
        name: { firstName: 'Ada', lastName: 'Lovelace' },
        email: `${id}@acme.com`,
        phoneNumber: '+33 1 23 45 67 89',
        roles: [{ roleId: 'user' }],
        userAccess: { departmentId: 'ENG', locationId: 'PAR', programAdminRoleId: 'program-admin' },
        lockedOut: false,
        ...overrides,
      };
    };

    it('should create one user sent as an object, with its department, location and program-admin role', async () => {
      const body = person();
      expect(problems(validUser, body)).toEqual([]);
      const res = await post(tenant.key, body);
      expect(res.statusCode).toBe(200);
      expect(problems(validResult, res.json())).toEqual([]);
      expect(res.json()).toMatchObject({ totalProcessed: 1, successCount: 1, failureCount: 0, failedResults: [] });
      const user = (await t.request(tenant.key, { method: 'GET', url: `/v1/users/${res.json().successResults[0].id}` })).json();
      expect(user).toMatchObject({
        username: body.userName,
        givenName: 'Ada',
        familyName: 'Lovelace',
        phone: '+33123456789',
        active: true,
        roles: ['program-admin', 'user'].sort(),
      });
      expect(user.groups.map((g: { type: string; code: string }) => `${g.type}:${g.code}`).sort()).toEqual([
        'department:ENG',
        'location:PAR',
      ]);
    });

    it('should process an array user by user: collisions and unknown codes fail alone', async () => {
      const existing = person();
      expect((await post(tenant.key, existing)).statusCode).toBe(200);
      const good = person({ lockedOut: true });
      const res = await post(tenant.key, [
        good,
        person({ email: existing.email.toUpperCase() }),
        person({ userName: existing.userName }),
        person({ userAccess: { departmentId: 'NOPE', programAdminRoleId: 'no-such-role' } }),
        person({ password: 'abc' }),
        { ...person(), userName: good.userName },
        person({ lockedOut: 'yes' }),
      ]);
      expect(res.statusCode).toBe(200);
      expect(problems(validResult, res.json())).toEqual([]);
      const body = res.json();
      expect(body).toMatchObject({ totalProcessed: 7, successCount: 1, failureCount: 6 });
      expect(body.successResults[0]).toMatchObject({ index: 0, userName: good.userName });
      const byIndex = new Map(body.failedResults.map((f: { index: number }) => [f.index, f]));
      expect(byIndex.get(1)).toMatchObject({ errorCode: 'USER_EMAIL_TAKEN', errors: [expect.objectContaining({ field: 'email' })] });
      expect(byIndex.get(2)).toMatchObject({ errorCode: 'USER_USERNAME_TAKEN', errors: [expect.objectContaining({ field: 'userName' })] });
      expect((byIndex.get(3) as { errors: Array<{ field: string }> }).errors.map((e) => e.field).sort()).toEqual([
        'userAccess.departmentId',
        'userAccess.programAdminRoleId',
      ]);
      expect(byIndex.get(4)).toMatchObject({
        errorCode: 'VALIDATION_FAILED',
        errors: expect.arrayContaining([expect.objectContaining({ field: 'password', code: 'PASSWORD_TOO_SHORT' })]),
      });
      expect(byIndex.get(5)).toMatchObject({ errorCode: 'USER_USERNAME_TAKEN' });
      expect(byIndex.get(6)).toMatchObject({
        errorCode: 'VALIDATION_FAILED',
        errors: [expect.objectContaining({ field: 'lockedOut', code: 'FIELD_TYPE' })],
      });
      const stored = (await t.request(tenant.key, { method: 'GET', url: `/v1/users?username=${good.userName}` })).json().data[0];
      expect(stored.active).toBe(false);
    });

    it('should answer 400 with the same body when no user was created', async () => {
      const res = await post(tenant.key, [person({ email: 'not-an-email' }), person({ name: 'not an object' })]);
      expect(res.statusCode).toBe(400);
      expect(problems(validResult, res.json())).toEqual([]);
      expect(res.json()).toMatchObject({ totalProcessed: 2, successCount: 0, failureCount: 2 });
      const unreadable = await t.request(tenant.key, {
        method: 'POST',
        url: '/compat/certification/users',
        payload: '"hello"',
        headers: { 'content-type': 'application/json' },
      });
      expect(unreadable.statusCode).toBe(400);
      expect(problems(validResult, unreadable.json())).toEqual([]);
    });

    it('should refuse more than 1000 users in one request', async () => {
      const res = await post(
        tenant.key,
        Array.from({ length: 1001 }, () => ({ email: 'x@acme.com' })),
      );
      expect(res.statusCode).toBe(413);
      expect(res.json()).toMatchObject({ code: 'BATCH_TOO_LARGE' });
    });

    it('should answer 401 and 403 as {code, message, description}', async () => {
      const unauthenticated = await post(undefined, person());
      expect(unauthenticated.statusCode).toBe(401);
      expect(problems(validAuthError, unauthenticated.json())).toEqual([]);
      expect(unauthenticated.json()).toMatchObject({ code: 'UNAUTHENTICATED', message: 'Authentication Error. Invalid credentials.' });
      const reader = await t.keyWithPermissions(tenant.tenantId, ['users:read']);
      const forbidden = await post(reader, person());
      expect(forbidden.statusCode).toBe(403);
      expect(problems(validAuthError, forbidden.json())).toEqual([]);
      expect(forbidden.json()).toMatchObject({ code: 'PERMISSION_DENIED', message: 'Authorization Error. Invalid role for request.' });
      // Locking a user out at creation needs users:set-active.
      const creator = await t.keyWithPermissions(tenant.tenantId, ['users:create', 'users:read']);
      expect((await post(creator, person({ lockedOut: true, userAccess: {} }))).statusCode).toBe(403);
    });
  });
}
