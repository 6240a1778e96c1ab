import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { presetTenant } from '../testing/preset-tenant.js';
import { certificationExampleCount } from '../testing/seed-examples.js';
import { compile, problems } from '../testing/seed-schemas.js';
import { certificationResultSchema, certificationUserSchema } from '../testing/prose-seed-schemas.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { testDialects } from '../../testing/test-db.js';

// Issue 20: seed 003 types phoneNumber as a plain string with no format; a national number needs no
// region configured (docs/contracts/certification.md).
const validResult = compile(certificationResultSchema);
const validUser = compile(certificationUserSchema);

for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: Certification accepts what seed 003 accepts (issue 20)`, () => {
    let t: TestApp;
    let tenant: { tenantId: string; slug: string; key: string };
    beforeAll(async () => {
      t = await createTestApp(dialect);
      tenant = await presetTenant(t, 'certification');
      // The page: configure the departments, locations and program admin roles the platform sends.
      for (const group of [
        { type: 'department', code: 'ENG', name: 'Engineering' },
        { type: 'location', code: 'PAR', name: 'Paris' },
      ]) {
        await t.request(tenant.key, { method: 'POST', url: '/v1/groups', payload: group });
      }
      await t.request(tenant.key, { method: 'POST', url: '/v1/roles', payload: { name: 'program-admin', permissions: [] } });
    });
    afterAll(async () => t?.close());

    const post = (body: unknown) => t.request(tenant.key, { method: 'POST', url: '/compat/certification/users', payload: body as object });
    let n = 0;
    const person = (overrides: Record<string, unknown> = {}) => {
      const id = `cf${++n}x${Math.random().toString(36).slice(2, 7)}`;
      return {
        userName: id,
        password: 'Correct-Horse-Battery-9',
        name: { firstName: 'Ada', lastName: 'Lovelace' },
        email: `${id}@acme.com`,
        userAccess: { departmentId: 'ENG', locationId: 'PAR', programAdminRoleId: 'program-admin' },
        lockedOut: false,
        ...overrides,
      };
    };

    it('should find no example value in the seed (a prose page of member names and types)', () => {
      expect(certificationExampleCount()).toBe(0);
    });

    it('should accept any phoneNumber and name text in one request (no failed item)', async () => {
      const phones = ['01 23 45 67 89', '(212) 736-5000', 'N/A', 'ext. 42', '+33 1 23 45 67 89', ''];
      const names = [
        { firstName: 'ÉLODIE', lastName: 'de la Cruz', displayName: 'Élodie' },
        { firstName: '', lastName: '' },
      ];
      const body = [...phones.map((phoneNumber) => person({ phoneNumber })), ...names.map((name) => person({ name }))];
      for (const item of body) expect(problems(validUser, item)).toEqual([]);
      const res = await post(body);
      expect(res.statusCode, res.body).toBe(200);
      expect(problems(validResult, res.json())).toEqual([]);
      expect(res.json()).toMatchObject({ totalProcessed: body.length, successCount: body.length, failureCount: 0 });
    });

    it('should store a readable number as E.164 and any other text as sent', async () => {
      for (const [phoneNumber, stored] of [
        ['+33 1 23 45 67 89', '+33123456789'],
        ['01 23 45 67 89', '01 23 45 67 89'],
        ['N/A', 'N/A'],
      ] as const) {
        const res = await post(person({ phoneNumber }));
        expect(res.statusCode, res.body).toBe(200);
        const user = (await t.request(tenant.key, { method: 'GET', url: `/v1/users/${res.json().successResults[0].id}` })).json();
        expect(user.phone).toBe(stored);
      }
    });

    it('should still enforce the rules the seed states: configured department codes', async () => {
      const res = await post(person({ userAccess: { departmentId: 'NOPE' } }));
      expect(res.statusCode).toBe(400);
      expect(res.json().failedResults[0].errors[0].field).toBe('userAccess.departmentId');
    });
  });
}
