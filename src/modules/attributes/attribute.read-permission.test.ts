import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPrincipal } from '../../cli/cli-context.js';
import { exportUsers } from '../../cli/import-export.js';
import { startReceiver } from '../../testing/http-receiver.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { testDialects } from '../../testing/test-db.js';
import type { Principal } from '../context.js';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const SALARY = 987654;
const SSN = '078-05-1120';
const EMPLOYEE_NUMBER = 'E-4242-HIDDEN';

class Collect extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.text += chunk.toString('utf8');
    done();
  }
}

/** Attribute readPermission (M7): every surface that shows a user's attributes, and the uniqueness errors. */
describe.each(testDialects)('attribute readPermission everywhere ($name)', (dialect) => {
  let t: TestApp;
  let tenantId: string;
  let admin: string;
  let auditor: string;
  let creator: string;
  let editor: string;
  let paidId: string;
  beforeAll(async () => {
    if (!dialect.available) return;
    t = await createTestApp(dialect);
    ({ tenantId, key: admin } = await t.tenantWithKey());
    for (const payload of [
      { key: 'salary', type: 'integer', readPermission: 'settings:manage' },
      { key: 'ssn', type: 'string', unique: true, readPermission: 'settings:manage' },
      { key: 'employeeNumber', type: 'string', unique: true, readPermission: 'settings:manage' },
      { key: 'badge', type: 'string', unique: true },
    ])
      expect((await t.request(admin, { method: 'POST', url: '/v1/attributes', payload })).statusCode).toBe(201);
    auditor = await t.keyWithPermissions(tenantId, ['users:read', 'events:read']);
    creator = await t.keyWithPermissions(tenantId, ['users:create', 'users:read']);
    editor = await t.keyWithPermissions(tenantId, ['users:update', 'users:read']);
    const paid = await t.request(admin, {
      method: 'POST',
      url: '/v1/users',
      payload: { username: 'paid1', attributes: { salary: SALARY, ssn: SSN, employeeNumber: EMPLOYEE_NUMBER, badge: 'B-1' } },
    });
    expect(paid.statusCode).toBe(201);
    paidId = paid.json().id;
    expect(
      (await t.request(admin, { method: 'PATCH', url: `/v1/users/${paidId}`, payload: { attributes: { salary: SALARY + 1 } } })).statusCode,
    ).toBe(200);
  });
  afterAll(async () => t?.close());

  describe.skipIf(!dialect.available)('', () => {
    it('should leave unreadable attributes out of GET /v1/events, for every event about the user', async () => {
      const res = await t.request(auditor, { method: 'GET', url: `/v1/events?resourceId=${paidId}` });
      expect(res.statusCode).toBe(200);
      const events = res.json().data as Array<{ type: string; data: { attributes: Record<string, unknown> } }>;
      expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['user.created', 'user.updated']));
      for (const event of events) expect(event.data.attributes).toEqual({ badge: 'B-1' });
      for (const secret of [String(SALARY), String(SALARY + 1), SSN, EMPLOYEE_NUMBER]) expect(res.body).not.toContain(secret);
      // Listing without a filter hides them too; a reader with the permission sees them.
      expect((await t.request(auditor, { method: 'GET', url: '/v1/events?limit=200' })).body).not.toContain(SSN);
      const full = (await t.request(admin, { method: 'GET', url: `/v1/events?resourceId=${paidId}&type=user.created` })).json().data[0];
      expect(full.data.attributes).toMatchObject({ salary: SALARY, ssn: SSN });
    });

    it('should still send webhooks every attribute, as docs/webhooks.md says', async () => {
      const receiver = await startReceiver();
      try {
        expect(
          (await t.request(admin, { method: 'POST', url: '/v1/webhooks', payload: { url: receiver.url, eventTypes: ['user.created'] } }))
            .statusCode,
        ).toBe(201);
        const made = await t.request(admin, {
          method: 'POST',
          url: '/v1/users',
          payload: { username: 'paid2', attributes: { salary: 1234567 } },
        });
        expect(made.statusCode).toBe(201);
        await receiver.waitFor((r) => r.some((x) => x.body.includes(made.json().id)));
        const body = JSON.parse(receiver.received.find((x) => x.body.includes(made.json().id))?.body ?? '{}');
        expect(body.data.attributes).toMatchObject({ salary: 1234567 });
      } finally {
        await receiver.close();
      }
    });

    it('should hide them in SCIM and in exports for a reader without the permission', async () => {
      const scim = await t.app.inject({ method: 'GET', url: `/scim/v2/Users/${paidId}`, headers: { authorization: `Bearer ${auditor}` } });
      expect(scim.statusCode).toBe(200);
      expect(scim.body).not.toContain(EMPLOYEE_NUMBER);
      const adminScim = await t.app.inject({
        method: 'GET',
        url: `/scim/v2/Users/${paidId}`,
        headers: { authorization: `Bearer ${admin}` },
      });
      expect(adminScim.json()[ENTERPRISE]?.employeeNumber).toBe(EMPLOYEE_NUMBER);

      const reader: Principal = { kind: 'api_key', id: 'reader', tenantId, role: 'auditor', permissions: new Set(['users:read']) };
      for (const format of ['csv', 'ndjson'] as const) {
        const out = new Collect();
        await exportUsers(t.core, { tenantId, principal: reader, requestId: 'test' }, format, out);
        expect(out.text).toContain('paid1');
        for (const secret of [String(SALARY + 1), SSN, EMPLOYEE_NUMBER]) expect(out.text, format).not.toContain(secret);
        const operator = new Collect();
        await exportUsers(t.core, { tenantId, principal: cliPrincipal, requestId: 'test' }, format, operator);
        expect(operator.text, format).toContain(SSN);
      }
    });

    it('should answer a conflict on a hidden unique attribute without naming it, on create, batch, update and SCIM', async () => {
      const single = await t.request(creator, {
        method: 'POST',
        url: '/v1/users',
        payload: { username: 'probe0', attributes: { ssn: SSN } },
      });
      expect(single.statusCode).toBe(409);
      expect(single.json()).toMatchObject({ code: 'USER_ATTRIBUTE_TAKEN', errors: [{ path: '/attributes', code: 'ATTRIBUTE_TAKEN' }] });
      expect(single.body).not.toMatch(/ssn/i);

      // Two hidden values at once: the answer does not tell which one exists.
      const both = await t.request(creator, {
        method: 'POST',
        url: '/v1/users',
        payload: { username: 'probe1', attributes: { ssn: '999-99-9999', employeeNumber: EMPLOYEE_NUMBER } },
      });
      expect(both.json().errors).toEqual([expect.objectContaining({ path: '/attributes', code: 'ATTRIBUTE_TAKEN' })]);
      expect(both.body).not.toMatch(/ssn|employeeNumber/i);

      const batch = await t.request(creator, {
        method: 'POST',
        url: '/v1/users/batch',
        payload: {
          mode: 'atomic',
          users: [
            { username: 'probe2', attributes: { ssn: SSN } },
            { username: 'probe3', attributes: { ssn: '999-99-9998' } },
            { username: 'probe4', attributes: { badge: 'B-1' } },
          ],
        },
      });
      expect(batch.body).not.toMatch(/ssn/i);
      // A readable attribute is still named.
      expect(batch.body).toContain('/attributes/badge');

      const target = (await t.request(admin, { method: 'POST', url: '/v1/users', payload: { username: 'target1' } })).json();
      const patched = await t.request(editor, { method: 'PATCH', url: `/v1/users/${target.id}`, payload: { attributes: { ssn: SSN } } });
      expect(patched.statusCode).toBe(409);
      expect(patched.json().errors).toEqual([expect.objectContaining({ path: '/attributes', code: 'ATTRIBUTE_TAKEN' })]);
      expect(patched.body).not.toMatch(/ssn/i);

      const viaScim = await t.app.inject({
        method: 'POST',
        url: '/scim/v2/Users',
        headers: { authorization: `Bearer ${creator}`, 'content-type': 'application/scim+json' },
        payload: JSON.stringify({ schemas: [USER, ENTERPRISE], userName: 'probe5', [ENTERPRISE]: { employeeNumber: EMPLOYEE_NUMBER } }),
      });
      expect([viaScim.statusCode, viaScim.json().scimType]).toEqual([409, 'uniqueness']);
      expect(viaScim.body).not.toMatch(/employeeNumber/i);

      // The admin, who may read ssn, is told which attribute.
      const own = await t.request(admin, { method: 'POST', url: '/v1/users', payload: { username: 'probe6', attributes: { ssn: SSN } } });
      expect(own.json().errors).toEqual([expect.objectContaining({ path: '/attributes/ssn', code: 'ATTRIBUTE_TAKEN' })]);
      // Nothing was created by the probes.
      const list = (await t.request(admin, { method: 'GET', url: '/v1/users?limit=100' })).json().data as Array<{ username: string }>;
      expect(list.filter((u) => u.username.startsWith('probe'))).toEqual([]);
    });
  });
});
