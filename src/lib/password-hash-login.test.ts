import { pbkdf2Sync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { testDialects } from '../testing/test-db.js';

// End to end: a user created with an imported hash signs in with the right password (201), not with a wrong
// one (401), and the hash is then replaced by argon2id; a hash Roster could not verify is refused on every
// path that takes passwordHash, and nothing is stored.

/** The review's pbkdf2 form: Kratos' PHC spelling with l=128 (the hash itself is 32 bytes). */
function kratosPbkdf2(password: string): string {
  const salt = Buffer.from('roster-review-salt');
  const hash = pbkdf2Sync(password, salt, 1000, 32, 'sha256');
  const raw = (b: Buffer) => b.toString('base64').replace(/=+$/, '');
  return `$pbkdf2-sha256$i=1000,l=128$${raw(salt)}$${raw(hash)}`;
}

const formats = [
  { name: 'pbkdf2-sha256 with l=128 (Kratos)', password: 'pbkdf2 secret', hash: kratosPbkdf2('pbkdf2 secret') },
  // Kratos' hasher_test.go: ln is N itself.
  {
    name: 'scrypt ln=16384 (Kratos)',
    password: 'test',
    hash: '$scrypt$ln=16384,r=8,p=1$2npRo7P03Mt8keSoMbyD/tKFWyUzjiQf2svUaNDSrhA=$MiCzNcIplSMqSBrm4HckjYqYhaVPPjTARTzwB1cVNYE=',
  },
  // Drepper's SHA-crypt specification.
  {
    name: 'sha512-crypt $6$',
    password: 'Hello world!',
    hash: '$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1',
  },
  // passlib's ldap_salted_sha1 tests.
  { name: '{SSHA}', password: 'testing123', hash: '{SSHA}0c0blFTXXNuAMHECS4uxrj3ZieMoWImr' },
  // Kratos' hasher_test.go.
  {
    name: 'Firebase scrypt',
    password: '8x4WjoDbSxJZdR',
    hash: '$firescrypt$ln=14,r=8,p=1$sPtDhWcd1MfdAw==$xbSou7FOl6mChCyzpCPIQ7tku7nsQMTFtyOZSXXd7tjBa4NtimOx7v42Gv2SfzPQu1oxM2/k4SsbOu73wlKe1A==$Bw==$YE0dO4bwD4JnJafh6lZZfkp1MtKzuKAXQcDCJNJNyeCHairWHKENOkbh3dzwaCdizzOspwr/FITUVlnOAwPKyw==',
  },
  {
    name: 'salted SHA-1 with a format string (Kratos)',
    password: 'test',
    hash: '$sha1$pf=e1NBTFR9e1BBU1NXT1JEfQ==$NW9wbWtnejAzcg==$2qU2SGWP8viTM1md3FiI3+rjWXQ=',
  },
  // passlib's md5_crypt tests.
  { name: 'md5-crypt $1$', password: 'Compl3X AlphaNu3meric', hash: '$1$nX1e7EeI$ljQn72ZUgt6Wxd9hfvHdV0' },
];

const refused = [
  ['an unknown scheme', '$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/'],
  [
    'scrypt N=2^31 (memory)',
    '$scrypt$ln=2147483648,r=8,p=1$2npRo7P03Mt8keSoMbyD/tKFWyUzjiQf2svUaNDSrhA=$MiCzNcIplSMqSBrm4HckjYqYhaVPPjTARTzwB1cVNYE=',
  ],
  ['bcrypt cost 31 (CPU)', '$2b$31$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW'],
] as const;

for (const dialect of testDialects) {
  describe.skipIf(!dialect.available)(`${dialect.name}: login with imported password hashes`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect);
    });
    afterAll(async () => t?.close());

    let n = 0;
    const unique = () => `imp${++n}x${Math.random().toString(36).slice(2, 7)}`;
    const login = (slug: string, body: object, ip: string) =>
      t.app.inject({ method: 'POST', url: '/v1/sessions', headers: { 'x-roster-tenant': slug }, payload: body, remoteAddress: ip });
    const storedHash = async (tenantId: string, id: string) =>
      (
        await t.core.database.db
          .selectFrom('users')
          .select('passwordHash')
          .where('tenantId', '=', tenantId)
          .where('id', '=', id)
          .executeTakeFirstOrThrow()
      ).passwordHash;
    const liveUsers = async (tenantId: string) =>
      (await t.core.database.db.selectFrom('users').select('id').where('tenantId', '=', tenantId).where('deletedAt', 'is', null).execute())
        .length;

    it.each(formats.map((f, i) => [f.name, f, i] as const))(
      '%s: 201 with the right password, 401 with a wrong one, then argon2id',
      async (_name, format, i) => {
        const { key, slug, tenantId } = await t.tenantWithKey();
        const username = unique();
        const ip = `127.0.1.${i + 1}`;
        const created = await t.request(key, { method: 'POST', url: '/v1/users', payload: { username, passwordHash: format.hash } });
        expect(created.statusCode).toBe(201);
        const wrong = await login(slug, { login: username, password: `${format.password}?` }, ip);
        expect([wrong.statusCode, wrong.json().code]).toEqual([401, 'INVALID_CREDENTIALS']);
        expect(await storedHash(tenantId, created.json().id)).not.toMatch(/^\$argon2id\$/);
        const right = await login(slug, { login: username, password: format.password }, ip);
        expect(right.statusCode).toBe(201);
        expect(right.json()).toMatchObject({ token: expect.stringMatching(/^rss_/), user: { username } });
        expect(await storedHash(tenantId, created.json().id)).toMatch(/^\$argon2id\$/);
        expect((await login(slug, { login: username, password: format.password }, ip)).statusCode).toBe(201);
        expect((await login(slug, { login: username, password: `${format.password}?` }, ip)).statusCode).toBe(401);
      },
    );

    it.each(refused)('refuses %s on create, batch, import and update, and stores nothing', async (_name, hash) => {
      const { key, tenantId } = await t.tenantWithKey();
      const single = await t.request(key, { method: 'POST', url: '/v1/users', payload: { username: unique(), passwordHash: hash } });
      expect([single.statusCode, single.json().errors]).toEqual([
        400,
        [expect.objectContaining({ path: '/passwordHash', code: 'PASSWORD_HASH_UNSUPPORTED' })],
      ]);

      const batch = (
        await t.request(key, {
          method: 'POST',
          url: '/v1/users/batch',
          payload: { users: [{ username: unique(), passwordHash: hash }, { username: unique() }] },
        })
      ).json();
      expect(batch).toMatchObject({ created: 1, failed: 1 });
      expect(batch.results[0].error.errors).toEqual([
        expect.objectContaining({ path: '/passwordHash', code: 'PASSWORD_HASH_UNSUPPORTED' }),
      ]);

      const ndjson = `${JSON.stringify({ username: unique(), passwordHash: hash })}\n`;
      const job = (
        await t.request(key, { method: 'POST', url: '/v1/imports', headers: { 'content-type': 'application/x-ndjson' }, payload: ndjson })
      ).json();
      let status = job;
      for (let polls = 0; status.status !== 'completed' && status.status !== 'failed'; polls += 1) {
        if (polls > 600) throw new Error('import did not finish');
        await new Promise((resolve) => setImmediate(resolve));
        status = (await t.request(key, { method: 'GET', url: `/v1/imports/${job.id}` })).json();
      }
      expect(status).toMatchObject({ status: 'completed', created: 0, failed: 1 });
      const rowErrors = (await t.request(key, { method: 'GET', url: `/v1/imports/${job.id}/errors` })).json().data;
      expect(rowErrors).toEqual([expect.objectContaining({ row: 1, code: 'PASSWORD_HASH_UNSUPPORTED', field: 'passwordHash' })]);

      const user = batch.results[1].user;
      const update = await t.request(key, { method: 'PATCH', url: `/v1/users/${user.id}`, payload: { passwordHash: hash } });
      expect([update.statusCode, update.json().errors?.[0]?.code]).toEqual([400, 'PASSWORD_HASH_UNSUPPORTED']);
      expect(await storedHash(tenantId, user.id)).toBeNull();
      expect(await liveUsers(tenantId)).toBe(1);
    });
  });
}
