import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { testDialects } from '../../testing/test-db.js';
import { until } from '../../testing/until.js';
import { analyzedSince, databaseNow } from '../../testing/pg-statistics.js';
import type { ImportJob } from './import.schemas.js';

type RowErrorBody = { row: number; code: string; field: string | null; message: string; value: string | null; duplicateOf: number | null };

/** The counters a user reads on a job, to compare a dry run with the real run. */
const counts = (job: ImportJob) => ({
  processed: job.processed,
  created: job.created,
  updated: job.updated,
  unchanged: job.unchanged,
  deactivated: job.deactivated,
  conflicts: job.conflicts,
  failed: job.failed,
});

for (const dialect of testDialects) {
  // Each test waits for jobs: on a busy machine (CI beside other suites) one took over 30 s, vitest's default.
  describe.skipIf(!dialect.available)(`${dialect.name}: import modes (upsert, sync)`, { timeout: 300_000 }, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect);
    });
    afterAll(async () => t?.close());

    async function submit(key: string, body: string, query: string, type = 'text/csv') {
      const res = await t.request(key, { method: 'POST', url: `/v1/imports?${query}`, headers: { 'content-type': type }, payload: body });
      expect(res.statusCode, res.body).toBe(202);
      return res.json<ImportJob>();
    }
    async function run(key: string, body: string, query: string, type = 'text/csv') {
      return t.waitForImport(key, (await submit(key, body, query, type)).id);
    }
    /** As run, for the 10,000-row jobs: a loaded machine makes them slower, never wrong, so the bound is wide. */
    async function runLarge(key: string, body: string, query: string) {
      const { id } = await submit(key, body, query);
      let job = {} as ImportJob;
      await until(
        async () => {
          job = (await t.request(key, { method: 'GET', url: `/v1/imports/${id}` })).json<ImportJob>();
          return job.status === 'completed' || job.status === 'failed';
        },
        `import ${id} to finish`,
        600_000,
      );
      return job;
    }
    async function errorsOf(key: string, id: string): Promise<RowErrorBody[]> {
      return (await t.request(key, { method: 'GET', url: `/v1/imports/${id}/errors?limit=1000` })).json().data;
    }
    async function usersOf(tenantId: string) {
      return t.core.database.db
        .selectFrom('users')
        .select(['email', 'position', 'active', 'externalId', 'version'])
        .where('tenantId', '=', tenantId)
        .where('deletedAt', 'is', null)
        .orderBy('email')
        .execute();
    }

    it('should upsert 10,000 rows where half exist: the dry run counts what the real run then does', async () => {
      const { key, tenantId } = await t.tenantWithKey();
      const existing = ['externalId,email,givenName,position', ...Array.from({ length: 5000 }, (_, i) => `e${i},u${i}@acme.com,Ann,Clerk`)];
      expect(await runLarge(key, existing.join('\n'), 'mode=create')).toMatchObject({ status: 'completed', created: 5000, failed: 0 });

      // Half the rows match (by externalId): 4,000 get a new position, 1,000 are as stored; the other half are new.
      const rows = ['externalId,email,givenName,position'];
      for (let i = 0; i < 10_000; i++) rows.push(`e${i},u${i}@acme.com,Ann,${i < 4000 || i >= 5000 ? 'Manager' : 'Clerk'}`);
      const file = rows.join('\n');
      const dry = await runLarge(key, file, 'mode=upsert&dryRun=true');
      expect(dry).toMatchObject({ status: 'completed', mode: 'upsert', dryRun: true, totalRows: 10_000 });
      expect(counts(dry)).toEqual({
        processed: 10_000,
        created: 5000,
        updated: 4000,
        unchanged: 1000,
        deactivated: 0,
        conflicts: 0,
        failed: 0,
      });
      expect((await usersOf(tenantId)).length).toBe(5000);

      const real = await runLarge(key, file, 'mode=upsert');
      expect(real).toMatchObject({ status: 'completed', mode: 'upsert', dryRun: false });
      expect(counts(real)).toEqual(counts(dry));
      const stored = await usersOf(tenantId);
      expect(stored.length).toBe(10_000);
      expect(stored.filter((u) => u.position === 'Manager').length).toBe(9000);
      // Updates went through the core update: one user.updated event per changed user.
      const events = await t.core.database.db
        .selectFrom('events')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('tenantId', '=', tenantId)
        .where('type', '=', 'user.updated')
        .executeTakeFirstOrThrow();
      expect(Number(events.n)).toBe(4000);

      // The same file again changes nothing.
      const again = await runLarge(key, file, 'mode=upsert');
      expect(counts(again)).toMatchObject({ created: 0, updated: 0, unchanged: 10_000 });
    }, 1_800_000);

    it('should match on externalId, else email, else username, update only the fields present, and report in-file duplicates', async () => {
      const { key, tenantId } = await t.tenantWithKey();
      await t.request(key, {
        method: 'POST',
        url: '/v1/users',
        payload: { email: 'ada@acme.com', username: 'ada', givenName: 'Ada', bio: 'Keeps her bio', position: 'Analyst' },
      });
      await t.request(key, { method: 'POST', url: '/v1/users', payload: { username: 'grace', givenName: 'Grace' } });
      const csv = [
        'email,username,position',
        'ADA@acme.com,,Engineer', // matches by email (case-insensitively)
        ',grace,Admiral', // matches by username
        'ada@acme.com,,Chief', // the same user again: a duplicate of row 1
        'new@acme.com,,Intern',
        'not-an-email,,X',
      ].join('\n');
      const job = await run(key, csv, 'mode=upsert');
      expect(counts(job)).toEqual({ processed: 5, created: 1, updated: 2, unchanged: 0, deactivated: 0, conflicts: 0, failed: 2 });
      const errors = await errorsOf(key, job.id);
      expect(errors).toEqual([
        expect.objectContaining({ row: 3, code: 'ROW_DUPLICATE', field: 'email', value: 'ada@acme.com', duplicateOf: 1 }),
        expect.objectContaining({ row: 5, code: 'EMAIL_INVALID', field: 'email', value: 'not-an-email', duplicateOf: null }),
      ]);
      const ada = (await t.request(key, { method: 'GET', url: '/v1/users?email=ada@acme.com' })).json().data[0];
      expect(ada).toMatchObject({ position: 'Engineer', bio: 'Keeps her bio', givenName: 'Ada' });
      const grace = (await t.request(key, { method: 'GET', url: '/v1/users?username=grace' })).json().data[0];
      expect(grace).toMatchObject({ position: 'Admiral', givenName: 'Grace' });
      expect((await usersOf(tenantId)).length).toBe(3);
    });

    it('should sync: deactivate the users the file no longer holds, and a scoped sync only those of its scope', async () => {
      const { key, tenantId } = await t.tenantWithKey();
      await t.request(key, { method: 'POST', url: '/v1/groups', payload: { type: 'dept', code: 'sales', name: 'Sales' } });
      const people = ['externalId,email,groups', 'hr-1,a@acme.com,dept:sales', 'hr-2,b@acme.com,dept:sales', 'hr-3,c@acme.com,dept:sales'];
      people.push('hr-4,d@acme.com,', 'x-5,e@acme.com,', 'x-6,f@acme.com,dept:sales');
      expect(await run(key, people.join('\n'), 'mode=create')).toMatchObject({ created: 6, failed: 0 });

      // Scoped by externalId prefix: hr-3 and hr-4 are gone from the HR file; x-5 and x-6 are not HR's to remove.
      const hrFile = ['externalId,email', 'hr-1,a@acme.com', 'hr-2,b@acme.com'].join('\n');
      const dry = await run(key, hrFile, 'mode=sync&scopeExternalIdPrefix=hr-&dryRun=true');
      expect(counts(dry)).toEqual({ processed: 2, created: 0, updated: 0, unchanged: 2, deactivated: 2, conflicts: 0, failed: 0 });
      expect((await usersOf(tenantId)).every((u) => u.active === true || (u.active as unknown) === 1)).toBe(true);
      const real = await run(key, hrFile, 'mode=sync&scopeExternalIdPrefix=hr-');
      expect(real).toMatchObject({ mode: 'sync', scope: { externalIdPrefix: 'hr-' }, phase: 'deactivate', status: 'completed' });
      expect(counts(real)).toEqual(counts(dry));
      const active = async () =>
        (await usersOf(tenantId))
          .filter((u) => u.active === true || (u.active as unknown) === 1)
          .map((u) => u.externalId)
          .sort();
      expect(await active()).toEqual(['hr-1', 'hr-2', 'x-5', 'x-6']);
      const deactivated = await t.core.database.db
        .selectFrom('events')
        .select('resourceId')
        .where('tenantId', '=', tenantId)
        .where('type', '=', 'user.deactivated')
        .execute();
      expect(deactivated).toHaveLength(2);

      // Scoped by group: only dept:sales members missing from the file (x-6) go; x-5 is in no group and stays.
      const salesFile = ['externalId,email', 'hr-1,a@acme.com', 'hr-2,b@acme.com'].join('\n');
      const bySales = await run(key, salesFile, 'mode=sync&scopeGroup=dept%3Asales');
      expect(counts(bySales)).toMatchObject({ deactivated: 1, conflicts: 0, failed: 0 });
      expect(await active()).toEqual(['hr-1', 'hr-2', 'x-5']);

      // Without a scope every other user of the tenant goes.
      const all = await run(key, salesFile, 'mode=sync');
      expect(counts(all)).toMatchObject({ deactivated: 1 });
      expect(await active()).toEqual(['hr-1', 'hr-2']);
    });

    it('should sync 12,000 users, deactivating the 500 the file left out, where the statistics say the ledger is empty', async () => {
      const { key, tenantId } = await t.tenantWithKey();
      const header = 'externalId,email';
      const person = (i: number) => `s${i},s${i}@acme.com`;
      const everyone = [header, ...Array.from({ length: 12_000 }, (_, i) => person(i))].join('\n');
      expect(await runLarge(key, everyone, 'mode=create')).toMatchObject({ status: 'completed', created: 12_000, failed: 0 });
      // Statistics taken while the ledger was empty (jobs drop theirs when they end): a plan chosen on them
      // once read the whole ledger for every user in scope (this test: 43 s on PostgreSQL, 10 s with statistics taken).
      const db = t.core.database.db;
      let analyzedBefore = '';
      if (dialect.name === 'postgres') {
        await sql`analyze import_job_refs`.execute(db);
        analyzedBefore = await databaseNow(db);
      }

      const kept = [header, ...Array.from({ length: 11_500 }, (_, i) => person(i))].join('\n');
      const job = await runLarge(key, kept, 'mode=sync');
      expect(job).toMatchObject({ status: 'completed', phase: 'deactivate' });
      expect(counts(job)).toEqual({
        processed: 11_500,
        created: 0,
        updated: 0,
        unchanged: 11_500,
        deactivated: 500,
        conflicts: 0,
        failed: 0,
      });
      const stored = await usersOf(tenantId);
      const inactive = stored.filter((u) => !(u.active === true || (u.active as unknown) === 1)).map((u) => u.externalId);
      expect(inactive.sort()).toEqual(Array.from({ length: 500 }, (_, i) => `s${11_500 + i}`).sort());
      // The worker took the ledger's statistics before its deactivations (PostgreSQL reports them within seconds).
      if (dialect.name === 'postgres')
        await until(() => analyzedSince(db, 'import_job_refs', analyzedBefore), 'the ledger to be analyzed', 60_000);
    }, 120_000);

    it('should report a user changed after the job started as a conflict, and neither overwrite nor deactivate it', async () => {
      const { key, tenantId } = await t.tenantWithKey();
      const created = await run(
        key,
        ['email,position', 'p@acme.com,Clerk', 'q@acme.com,Clerk', 'r@acme.com,Clerk'].join('\n'),
        'mode=create',
      );
      expect(created.created).toBe(3);
      const [p, r] = [
        (await t.request(key, { method: 'GET', url: '/v1/users?email=p@acme.com' })).json().data[0],
        (await t.request(key, { method: 'GET', url: '/v1/users?email=r@acme.com' })).json().data[0],
      ];
      // The job is stored, then someone edits p (in the file) and r (not in the file) before the worker gets to them.
      await t.core.importWorker.stop();
      let job: ImportJob;
      try {
        job = await submit(key, ['email,position', 'p@acme.com,Manager', 'q@acme.com,Manager'].join('\n'), 'mode=sync');
        for (const user of [p, r]) {
          const res = await t.request(key, { method: 'PATCH', url: `/v1/users/${user.id}`, payload: { position: 'Edited by hand' } });
          expect(res.statusCode).toBe(200);
        }
      } finally {
        t.core.importWorker.start();
      }
      const done = await t.waitForImport(key, job.id);
      expect(counts(done)).toEqual({ processed: 2, created: 0, updated: 1, unchanged: 0, deactivated: 0, conflicts: 2, failed: 0 });
      const errors = await errorsOf(key, job.id);
      expect(errors.map((e) => [e.row, e.code])).toEqual([
        [0, 'USER_CHANGED'],
        [1, 'USER_CHANGED'],
      ]);
      expect(errors[0]?.value).toBe('r@acme.com');
      const stored = await usersOf(tenantId);
      expect(stored.map((u) => [u.email, u.position, Boolean(u.active)])).toEqual([
        ['p@acme.com', 'Edited by hand', true],
        ['q@acme.com', 'Manager', true],
        ['r@acme.com', 'Edited by hand', true],
      ]);
    });

    it('should report a header problem once, with the column and a suggestion, and import nothing', async () => {
      const { key, tenantId } = await t.tenantWithKey();
      const csv = ['E-mail,First name,Departmnt', ...Array.from({ length: 50 }, (_, i) => `h${i}@acme.com,Ann,x`)].join('\n');
      const res = await t.request(key, { method: 'POST', url: '/v1/imports', headers: { 'content-type': 'text/csv' }, payload: csv });
      expect(res.statusCode).toBe(422);
      const problem = res.json();
      expect(problem.code).toBe('IMPORT_HEADER_INVALID');
      expect(problem.errors.map((e: { code: string; path: string }) => [e.path, e.code])).toEqual([
        ['/header/E-mail', 'COLUMN_UNKNOWN'],
        ['/header/First name', 'COLUMN_UNKNOWN'],
        ['/header/Departmnt', 'COLUMN_UNKNOWN'],
        ['/header/email|username', 'COLUMN_MISSING'],
      ]);
      const job = (await t.request(key, { method: 'GET', url: `/v1/imports/${problem.importId}` })).json<ImportJob>();
      expect(job).toMatchObject({ status: 'failed', processed: 0, failed: 0 });
      expect(job.headerErrors?.map((h) => [h.column, h.suggestion])).toEqual([
        ['E-mail', 'email'],
        ['First name', 'givenName'],
        ['Departmnt', null],
        ['email|username', null],
      ]);
      expect(await errorsOf(key, job.id)).toEqual([]);
      expect(await usersOf(tenantId)).toEqual([]);
      // Mapped, the same file imports.
      const mapped = await run(key, csv, `map=${encodeURIComponent('E-mail=email,First name=givenName,Departmnt=-')}`);
      expect(mapped).toMatchObject({ status: 'completed', created: 50, failed: 0, headerErrors: null });
    });

    it('should refuse upsert without users:update and sync without users:set-active, and never show a password in a row error', async () => {
      const { key, tenantId } = await t.tenantWithKey();
      const creator = await t.keyWithPermissions(tenantId, ['users:create', 'users:read']);
      const updater = await t.keyWithPermissions(tenantId, ['users:create', 'users:read', 'users:update']);
      const body = 'email\nz@acme.com';
      for (const [k, mode, status] of [
        [creator, 'upsert', 403],
        [updater, 'upsert', 202],
        [updater, 'sync', 403],
        [key, 'sync', 202],
      ] as const) {
        const res = await t.request(k, {
          method: 'POST',
          url: `/v1/imports?mode=${mode}`,
          headers: { 'content-type': 'text/csv' },
          payload: body,
        });
        expect([mode, res.statusCode]).toEqual([mode, status]);
        if (res.statusCode === 202) await t.waitForImport(k, res.json().id);
      }
      const job = await run(key, 'email,password\nweak@acme.com,abc', 'mode=upsert');
      const [error] = await errorsOf(key, job.id);
      expect(error).toMatchObject({ row: 1, field: 'password', value: null });
    });
  });
}
