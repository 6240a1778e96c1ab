import { hash as argon2Hash } from '@node-rs/argon2';
import { describe, expect, it } from 'vitest';
import { needsRehash, normalizeImportedHash, verifyStoredHash } from './password-hashes.js';

// Published vectors: argon2 from its reference implementation, bcrypt from the OpenBSD test set, PBKDF2-HMAC-SHA256 and scrypt from RFC 7914,
// SHA-256/SHA-512 of "password" from FIPS 180-4 implementations.
const vectors = [
  // From the Argon2 reference implementation's README (phc-winner-argon2).
  { name: 'argon2i', password: 'password', hash: '$argon2i$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG' },
  { name: 'argon2id', password: 'password', hash: '$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc' },
  { name: 'bcrypt $2a$', password: 'U*U', hash: '$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW' },
  { name: 'bcrypt $2b$', password: 'U*U', hash: '$2b$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW' },
  { name: 'bcrypt $2y$', password: 'U*U', hash: '$2y$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW' },
  {
    name: 'pbkdf2-sha256 (parts, RFC 7914 §11)',
    password: 'passwd',
    hash: { algorithm: 'pbkdf2-sha256', salt: Buffer.from('salt').toString('hex'), iterations: 1, value: '55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783' },
  },
  {
    name: 'pbkdf2-sha256 (parts, 4096 rounds)',
    password: 'password',
    hash: { algorithm: 'pbkdf2-sha256', salt: Buffer.from('salt').toString('hex'), iterations: 4096, value: 'c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a' },
  },
  {
    name: 'scrypt (parts, RFC 7914 §12)',
    password: 'password',
    hash: {
      algorithm: 'scrypt', salt: Buffer.from('NaCl').toString('hex'), cost: { N: 1024, r: 8, p: 16 },
      value: 'fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640',
    },
  },
  { name: 'sha256 unsalted', password: 'password', hash: { algorithm: 'sha256', value: '5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8' } },
  {
    name: 'sha512 unsalted (base64)',
    password: 'password',
    hash: {
      algorithm: 'sha512', encoding: 'base64',
      value: Buffer.from('b109f3bbbc244eb82441917ed06d618b9008dd09b3befd1b5e07394c706a8bb980b1d7785e5976ec049b46df5f1326af5a2ea6d103fd07c95385ffab0cacbc86', 'hex').toString('base64'),
    },
  },
] as const;

describe('imported password hashes', () => {
  it.each(vectors)('should verify $name and refuse a wrong password', async ({ password, hash }) => {
    const stored = normalizeImportedHash(hash as Parameters<typeof normalizeImportedHash>[0]);
    expect(stored).toBeDefined();
    expect(await verifyStoredHash(stored as string, password)).toBe(true);
    expect(await verifyStoredHash(stored as string, `${password}x`)).toBe(false);
  });

  it('should verify salted SHA-256 with the salt before or after the password', async () => {
    const { createHash } = await import('node:crypto');
    const suffix = createHash('sha256').update('secret' + 'pepper').digest('hex');
    const prefix = createHash('sha256').update('pepper' + 'secret').digest('hex');
    const salt = Buffer.from('pepper').toString('hex');
    expect(await verifyStoredHash(normalizeImportedHash({ algorithm: 'sha256', value: suffix, salt })!, 'secret')).toBe(true);
    expect(await verifyStoredHash(normalizeImportedHash({ algorithm: 'sha256', value: prefix, salt, saltPosition: 'prefix' })!, 'secret')).toBe(true);
    expect(await verifyStoredHash(normalizeImportedHash({ algorithm: 'sha256', value: prefix, salt })!, 'secret')).toBe(false);
  });

  it('should verify argon2id and argon2i PHC strings', async () => {
    for (const algorithm of [2, 1] as const) {
      const phc = await argon2Hash('hunter2hunter2', { algorithm, memoryCost: 1024, timeCost: 1 });
      expect(normalizeImportedHash(phc)).toBe(phc);
      expect(await verifyStoredHash(phc, 'hunter2hunter2')).toBe(true);
      expect(await verifyStoredHash(phc, 'hunter3hunter3')).toBe(false);
    }
  });

  it("should read passlib's pbkdf2-sha256 format", async () => {
    const { pbkdf2Sync } = await import('node:crypto');
    const salt = Buffer.from('0123456789abcdef');
    const digest = pbkdf2Sync('passlib-pw', salt, 1000, 32, 'sha256');
    const ab64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '').replaceAll('+', '.');
    const stored = normalizeImportedHash(`$pbkdf2-sha256$1000$${ab64(salt)}$${ab64(digest)}`);
    expect(stored).toMatch(/^\$pbkdf2-sha256\$i=1000,l=32\$/);
    expect(await verifyStoredHash(stored as string, 'passlib-pw')).toBe(true);
  });

  it.each([
    ['md5 crypt', '$1$saltsalt$2vnaRpHa6Jxjz5n83ok8Z0'],
    ['plain text', 'hunter2'],
    ['truncated bcrypt', '$2b$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJ'],
  ])('should refuse an unsupported format: %s', (_name, value) => {
    expect(normalizeImportedHash(value)).toBeUndefined();
  });

  it('should refuse parts that do not fit their algorithm', () => {
    expect(normalizeImportedHash({ algorithm: 'sha256', value: 'abcd' })).toBeUndefined();
    expect(normalizeImportedHash({ algorithm: 'scrypt', value: 'abcd', salt: 'abcd', cost: { N: 1000, r: 8, p: 1 } })).toBeUndefined();
    expect(normalizeImportedHash({ algorithm: 'pbkdf2-sha512', value: 'abcd', salt: 'abcd' })).toBeUndefined();
  });

  it('should ask for a rehash unless the hash is argon2id with the current parameters', () => {
    const params = { memoryCost: 19456, timeCost: 2, parallelism: 1 };
    expect(needsRehash('$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA', params)).toBe(false);
    expect(needsRehash('$argon2id$v=19$m=4096,t=3,p=1$c2FsdHNhbHQ$aGFzaA', params)).toBe(true);
    expect(needsRehash('$2b$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW', params)).toBe(true);
  });
});
