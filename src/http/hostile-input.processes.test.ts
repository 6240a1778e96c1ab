import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, processStores, RosterProcesses } from '../testing/roster-process.js';

const stores = processStores;

// The review's critical findings killed the whole process (and crash-looped it after restarts):
// the same attacks against a real server, which must stay up and keep serving the other tenant.
for (const store of stores) {
  describe.skipIf(!store.available)(`${store.name}: hostile input against a real server process`, { timeout: 300_000 }, () => {
    let port: number;
    let procs: RosterProcesses;
    let opened: Awaited<ReturnType<(typeof store)['open']>>;

    beforeAll(async () => {
      port = await freePort();
      opened = await store.open('roster-hostile-');
      procs = new RosterProcesses({
        ...opened.env,
        ROSTER_ARGON2_MEMORY_KIB: '1024',
        ROSTER_ARGON2_TIME_COST: '1',
        ROSTER_IMPORT_STALE_SECONDS: '2',
      });
      procs.start(port);
      await procs.ready(port);
      for (const slug of ['attacker', 'victim']) expect((await procs.api(port, slug)('POST', '/v1/tenants', { slug })).status).toBe(201);
      expect((await procs.api(port, 'victim')('POST', '/v1/users', { email: 'victim@corp-b.com' })).status).toBe(201);
    });
    afterAll(async () => {
      await procs?.stopAll();
      await opened?.drop();
    });

    const raw = (method: string, url: string, body: string, contentType: string, tenant = 'attacker') =>
      fetch(`http://127.0.0.1:${port}${url}`, {
        method,
        headers: { authorization: `Bearer ${procs.adminKey}`, 'x-roster-tenant': tenant, 'content-type': contentType },
        body,
      });

    async function victimServed() {
      const res = await procs.api(port, 'victim')('GET', '/v1/users');
      expect(res.status).toBe(200);
      expect((res.body.data as Array<{ email: string }>).map((u) => u.email)).toContain('victim@corp-b.com');
    }

    it('should stay up and serve other tenants after polluting imports, SCIM patches and deep bodies, also after a restart', async () => {
      const child = procs.children[0];
      const rows = Array.from({ length: 1200 }, (_, i) => `p${i}@corp-a.com,POLLUTED,true`);
      const upload = await raw(
        'POST',
        '/v1/imports',
        ['email,__proto__.detail,constructor.prototype.isAdmin', ...rows].join('\n'),
        'text/csv',
      );
      expect(upload.status).toBe(202);
      const jobId = ((await upload.json()) as { id: string }).id;

      const user = await procs.api(port, 'attacker')('POST', '/v1/users', { email: 'target@corp-a.com' });
      for (const pathName of [
        '__proto__.rtProbe',
        'constructor.prototype.rtProbe',
        'name.__proto__.x',
        'emails[type eq "work"].__proto__',
      ]) {
        const patch = {
          schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
          Operations: [{ op: 'add', path: pathName, value: 'x' }],
        };
        const res = await raw('PATCH', `/scim/v2/Users/${user.body.id as string}`, JSON.stringify(patch), 'application/scim+json');
        expect([pathName, res.status]).toEqual([pathName, 400]);
      }
      for (const [url, type] of [
        ['/scim/v2/Users', 'application/scim+json'],
        ['/scim/v2/Bulk', 'application/scim+json'],
        ['/v1/users', 'application/json'],
      ] as const) {
        const deep = await raw(
          'POST',
          url,
          `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`,
          type,
        );
        expect([url, deep.status]).toEqual([url, 400]);
      }
      const nul = await raw('POST', '/v1/sessions', JSON.stringify({ login: 'a\u0000b', password: 'x' }), 'application/json');
      expect(nul.status).toBe(400);

      let job: { status: string; failed: number } = { status: 'queued', failed: 0 };
      for (let i = 0; i < 1200 && job.status !== 'completed' && job.status !== 'failed'; i++) {
        job = (await procs.api(port, 'attacker')('GET', `/v1/imports/${jobId}`)).body as typeof job;
        if (job.status !== 'completed') await new Promise((r) => setTimeout(r, 100));
      }
      expect(job).toMatchObject({ status: 'completed', failed: 1200 });
      expect(child?.exitCode).toBeNull();
      await victimServed();

      // A killed and restarted process does not fall over again (the review's crash loop).
      await procs.stop(child as NonNullable<typeof child>, 'SIGKILL');
      procs.start(port);
      await procs.ready(port);
      await victimServed();
      const errors = await procs.api(port, 'attacker')('GET', `/v1/imports/${jobId}/errors?limit=1`);
      expect((errors.body.data as Array<{ code: string }>)[0]?.code).toBe('FIELD_NAME_FORBIDDEN');
    });
  });
}
