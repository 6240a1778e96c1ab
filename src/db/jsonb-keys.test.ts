import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { testDialects } from '../testing/test-db.js';

// Keys inside JSON values are data: the camel-case mapping of column names must never rename them
// (on PostgreSQL, jsonb values used to come back as `costCenter` for a stored `cost_center`).
for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: keys inside JSON values come back as stored`, () => {
    let t: TestApp;
    let key: string;
    beforeAll(async () => {
      t = await createTestApp(dialect);
      ({ key } = await t.tenantWithKey());
    });
    afterAll(async () => t?.close());

    it('should keep snake_case attribute keys on create, read, list and events', async () => {
      for (const attribute of ['cost_center', 'employee_no_2']) {
        expect(
          (await t.request(key, { method: 'POST', url: '/v1/attributes', payload: { key: attribute, type: 'string' } })).statusCode,
        ).toBe(201);
      }
      const created = await t.request(key, {
        method: 'POST',
        url: '/v1/users',
        payload: { email: 'snake@acme.com', attributes: { cost_center: 'A1', employee_no_2: 'E7' } },
      });
      expect(created.statusCode).toBe(201);
      const id = created.json().id as string;
      const expected = { cost_center: 'A1', employee_no_2: 'E7' };
      expect((await t.request(key, { method: 'GET', url: `/v1/users/${id}` })).json().attributes).toEqual(expected);
      const listed = (await t.request(key, { method: 'GET', url: '/v1/users?email=snake@acme.com' })).json().data as Array<{
        attributes: unknown;
      }>;
      expect(listed[0]?.attributes).toEqual(expected);
      const events = (await t.request(key, { method: 'GET', url: `/v1/events?resourceId=${id}` })).json().data as Array<{
        data: { attributes?: unknown };
      }>;
      expect(events[0]?.data.attributes).toEqual(expected);
    });

    it('should keep snake_case mail template names in the settings', async () => {
      const templates = { en: { welcome_set_password: { subject: 'Hi {{name}}', text: 'Set it: {{link}}' } } };
      const patched = await t.request(key, { method: 'PATCH', url: '/v1/settings', payload: { mail: { templates } } });
      expect(patched.statusCode).toBe(200);
      expect((await t.request(key, { method: 'GET', url: '/v1/settings' })).json().mail.templates).toMatchObject(templates);
    });
  });
}
