import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePorts, RosterProcesses, scratchPostgres } from '../testing/roster-process.js';

const pgUrl = process.env.TEST_DATABASE_URL;
/** `npm run soak`: ten times the concurrency. */
const SCALE = process.env.SOAK === '1' ? 10 : 1;

// Two real Roster processes on one PostgreSQL database, requests spread over both.
describe.skipIf(!pgUrl)('postgres: races across two processes', { timeout: 300_000 }, () => {
  let ports: [number, number];
  let scratch: Awaited<ReturnType<typeof scratchPostgres>>;
  let procs: RosterProcesses;
  let calls: Array<ReturnType<RosterProcesses['api']>>;

  beforeAll(async () => {
    ports = (await freePorts(2)) as [number, number];
    scratch = await scratchPostgres(pgUrl as string);
    procs = new RosterProcesses({ DATABASE_URL: scratch.url, ROSTER_ARGON2_MEMORY_KIB: '1024', ROSTER_ARGON2_TIME_COST: '1' });
    procs.start(ports[0]);
    await procs.ready(ports[0]);
    procs.start(ports[1]);
    await procs.ready(ports[1]);
    calls = ports.map((p) => procs.api(p, 'race'));
    expect((await (calls[0] as (typeof calls)[0])('POST', '/v1/tenants', { slug: 'race' })).status).toBe(201);
  }, 180_000);

  afterAll(async () => {
    await procs?.stopAll();
    await scratch?.drop();
  });

  const on = (i: number) => calls[i % 2] as (typeof calls)[0];

  it('should create exactly one user for 200 concurrent creates of one email in mixed case', async () => {
    const cases = ['dup@acme.com', 'DUP@acme.com', 'Dup@Acme.com', 'dUp@ACME.COM'];
    const results = await Promise.all(
      Array.from({ length: 200 * SCALE }, (_, i) => on(i)('POST', '/v1/users', { email: cases[i % cases.length] })),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s !== 201).every((s) => s === 409)).toBe(true);
    const listed = await on(0)('GET', '/v1/users?email=dup@acme.com');
    expect((listed.body.data as unknown[]).length).toBe(1);
  });

  it('should let exactly one of many concurrent If-Match PATCHes win', async () => {
    const user = (await on(0)('POST', '/v1/users', { email: 'patched@acme.com' })).body;
    const results = await Promise.all(
      Array.from({ length: 20 * SCALE }, (_, i) =>
        on(i)('PATCH', `/v1/users/${String(user.id)}`, { displayName: `writer ${i}` }, { 'if-match': '"1"' }),
      ),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s !== 200).every((s) => s === 412)).toBe(true);
    const final = (await on(1)('GET', `/v1/users/${String(user.id)}`)).body;
    expect(final.version).toBe(2);
  });

  it('should answer every item of overlapping concurrent batches and create no duplicate', async () => {
    // Four batches of 150 over 300 addresses: each address is in two batches, sent at once to both processes.
    const batches = [0, 75, 150, 225].map((start) => Array.from({ length: 150 }, (_, i) => ({ email: `o${(start + i) % 300}@acme.com` })));
    const results = await Promise.all(batches.map((users, i) => on(i)('POST', '/v1/users/batch', { users })));
    let created = 0;
    for (const r of results) {
      expect(r.status).toBe(200);
      const items = r.body.results as Array<{ status: string; error?: { code: string } }>;
      expect(items).toHaveLength(150);
      for (const item of items)
        expect(item.status === 'created' || (item.status === 'failed' && item.error?.code === 'USER_EMAIL_TAKEN')).toBe(true);
      created += items.filter((x) => x.status === 'created').length;
    }
    expect(created).toBe(300);
    const emails: string[] = [];
    for (let cursor: string | null = null; ;) {
      const page = (await on(0)('GET', `/v1/users?limit=200${cursor ? `&cursor=${cursor}` : ''}`)).body;
      emails.push(...(page.data as Array<{ email: string }>).map((u) => u.email));
      cursor = page.nextCursor as string | null;
      if (!cursor) break;
    }
    const batchEmails = emails.filter((e) => /^o\d+@acme\.com$/.test(e));
    expect(batchEmails).toHaveLength(300);
    expect(new Set(batchEmails).size).toBe(300);
  });
});
