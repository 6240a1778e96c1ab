import { hash as argon2Hash } from '@node-rs/argon2';
import { describe, expect, it } from 'vitest';
import { needsRehash, normalizeImportedHash, verifyStoredHash } from './password-hashes.js';

// Published vectors: argon2 from its reference implementation, bcrypt from the OpenBSD test set, PBKDF2-HMAC-SHA256 and scrypt from RFC 7914,
// SHA-256/SHA-512 of "password" from FIPS 180-4 implementations.
const vectors = [
  // From the Argon2 reference implementation's README (phc-winner-argon2).
  { name: 'argon2i', password: 'password', hash: '$argon2i$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG' },
  {
    name: 'argon2id',
    password: 'password',
    hash: '$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc',
  },
  { name: 'bcrypt $2a$', password: 'U*U', hash: '$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW' },
  { name: 'bcrypt $2b$', password: 'U*U', hash: '$2b$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW' },
  { name: 'bcrypt $2y$', password: 'U*U', hash: '$2y$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW' },
  {
    name: 'pbkdf2-sha256 (parts, RFC 7914 §11)',
    password: 'passwd',
    hash: {
      algorithm: 'pbkdf2-sha256',
      salt: Buffer.from('salt').toString('hex'),
      iterations: 1,
      value:
        '55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783',
    },
  },
  {
    name: 'pbkdf2-sha256 (parts, 4096 rounds)',
    password: 'password',
    hash: {
      algorithm: 'pbkdf2-sha256',
      salt: Buffer.from('salt').toString('hex'),
      iterations: 4096,
      value: 'c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a',
    },
  },
  {
    name: 'scrypt (parts, RFC 7914 §12)',
    password: 'password',
    hash: {
      algorithm: 'scrypt',
      salt: Buffer.from('NaCl').toString('hex'),
      cost: { N: 1024, r: 8, p: 16 },
      value:
        'fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640',
    },
  },
  {
    name: 'sha256 unsalted',
    password: 'password',
    hash: { algorithm: 'sha256', value: '5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8' },
  },
  {
    name: 'sha512 unsalted (base64)',
    password: 'password',
    hash: {
      algorithm: 'sha512',
      encoding: 'base64',
      value: Buffer.from(
        'b109f3bbbc244eb82441917ed06d618b9008dd09b3befd1b5e07394c706a8bb980b1d7785e5976ec049b46df5f1326af5a2ea6d103fd07c95385ffab0cacbc86',
        'hex',
      ).toString('base64'),
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
    const suffix = createHash('sha256')
      .update('secret' + 'pepper')
      .digest('hex');
    const prefix = createHash('sha256')
      .update('pepper' + 'secret')
      .digest('hex');
    const salt = Buffer.from('pepper').toString('hex');
    expect(await verifyStoredHash(normalizeImportedHash({ algorithm: 'sha256', value: suffix, salt })!, 'secret')).toBe(true);
    expect(
      await verifyStoredHash(normalizeImportedHash({ algorithm: 'sha256', value: prefix, salt, saltPosition: 'prefix' })!, 'secret'),
    ).toBe(true);
    expect(await verifyStoredHash(normalizeImportedHash({ algorithm: 'sha256', value: prefix, salt })!, 'secret')).toBe(false);
  });

  it('should verify argon2id and argon2i PHC strings, versions 1.3 and 1.0', async () => {
    const v10 = await argon2Hash('hunter2hunter2', { algorithm: 2, version: 0, memoryCost: 1024, timeCost: 1 });
    expect(v10).toMatch(/^\$argon2id\$v=16\$/);
    expect(await verifyStoredHash(normalizeImportedHash(v10)!, 'hunter2hunter2')).toBe(true);
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
    ['Apache MD5 ($apr1$)', '$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/'],
    ['DES crypt', 'abJnggxhB/yWI'],
    ['argon2d', '$argon2d$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc'],
    ['plain text', 'hunter2'],
    ['truncated bcrypt', '$2b$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJ'],
    [
      'a salted SHA-1 format string without {PASSWORD} (any password would match)',
      `$sha1$pf=${Buffer.from('{SALT}').toString('base64')}$c2FsdA==$${'A'.repeat(27)}=`,
    ],
  ])('should refuse an unsupported format: %s', (_name, value) => {
    expect(normalizeImportedHash(value)).toBeUndefined();
  });

  // Parameters choose what a login costs; past the bounds a hash is refused rather than stored.
  it.each([
    ['bcrypt cost 16', '$2b$16$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW'],
    ['bcrypt cost 31', '$2a$31$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW'],
    ['argon2 with 2 GiB', '$argon2id$v=19$m=2097152,t=1,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc'],
    ['argon2 with 11 passes', '$argon2id$v=19$m=65536,t=11,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc'],
    ['argon2 with 17 lanes', '$argon2id$v=19$m=65536,t=2,p=17$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc'],
    ['scrypt N=2^20 (1 GiB)', '$scrypt$ln=20,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E'],
    ['scrypt N=2^31 written as N', '$scrypt$ln=2147483648,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E'],
    [
      'scrypt ln=16384 read as an exponent would overflow: N=16384 is fine, r=64 is not',
      '$scrypt$ln=16384,r=64,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E',
    ],
    ['scrypt p=1000', '$scrypt$ln=14,r=8,p=1000$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E'],
    [
      'firescrypt ln=18',
      '$firescrypt$ln=18,r=8,p=1$sPtDhWcd1MfdAw==$xbSou7FOl6mChCyzpCPIQ7tku7nsQMTFtyOZSXXd7tjBa4NtimOx7v42Gv2SfzPQu1oxM2/k4SsbOu73wlKe1A==$Bw==$YE0dO4bwD4JnJafh6lZZfkp1MtKzuKAXQcDCJNJNyeCHairWHKENOkbh3dzwaCdizzOspwr/FITUVlnOAwPKyw==',
    ],
    [
      'pbkdf2 with 10,000,001 iterations',
      '$pbkdf2-sha256$i=10000001,l=32$1jP+5Zxpxgtee/iPxGgOz0RfE9/KJuDElP1ley4VxXc$QJxzfvdbHYBpydCbHoFg3GJEqMFULwskiuqiJctoYpI',
    ],
    [
      'pbkdf2 whose long output multiplies the work',
      `$pbkdf2-sha1$i=1000000,l=256$1jP+5Zxpxgtee/iPxGgOz0RfE9/KJuDElP1ley4VxXc$${'A'.repeat(342)}`,
    ],
    [
      'passlib pbkdf2 with 4,294,967,295 rounds',
      '$pbkdf2-sha256$4294967295$4vjV83LKPjQzk31VI4E0Vw$hsYF68OiOUPdDZ1Fg.fJPeq1h/gXXY7acBp9/6c.tmQ',
    ],
    [
      'sha512-crypt with 999,999,999 rounds',
      '$6$rounds=999999999$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1',
    ],
    ['sha256-crypt with fewer rounds than the scheme writes', '$5$rounds=999$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5'],
  ])('should refuse a hash whose cost is out of bounds: %s', (_name, value) => {
    expect(normalizeImportedHash(value)).toBeUndefined();
  });

  it('should store the forms from other systems in one spelling that still verifies', async () => {
    // Kratos writes scrypt's N itself in ln=; Roster stores log2(N) as passlib does.
    expect(
      normalizeImportedHash(
        '$scrypt$ln=16384,r=8,p=1$2npRo7P03Mt8keSoMbyD/tKFWyUzjiQf2svUaNDSrhA=$MiCzNcIplSMqSBrm4HckjYqYhaVPPjTARTzwB1cVNYE=',
      ),
    ).toBe('$scrypt$ln=14,r=8,p=1$2npRo7P03Mt8keSoMbyD/tKFWyUzjiQf2svUaNDSrhA$MiCzNcIplSMqSBrm4HckjYqYhaVPPjTARTzwB1cVNYE');
    // l= is what the hash says of itself; the decoded hash decides the length (here 32 bytes, not 128).
    const pbkdf2 = normalizeImportedHash(
      '$pbkdf2-sha256$i=100000,l=128$1jP+5Zxpxgtee/iPxGgOz0RfE9/KJuDElP1ley4VxXc$QJxzfvdbHYBpydCbHoFg3GJEqMFULwskiuqiJctoYpI',
    );
    expect(pbkdf2).toBe(
      '$pbkdf2-sha256$i=100000,l=32$1jP+5Zxpxgtee/iPxGgOz0RfE9/KJuDElP1ley4VxXc$QJxzfvdbHYBpydCbHoFg3GJEqMFULwskiuqiJctoYpI',
    );
    expect(await verifyStoredHash(pbkdf2!, 'test')).toBe(true);
    expect(normalizeImportedHash('$md5-crypt$xWMlm2eL$GGTOpgZu4p2k6ORprAu3b.')).toBe('$1$xWMlm2eL$GGTOpgZu4p2k6ORprAu3b.');
    expect(normalizeImportedHash('  $1$xWMlm2eL$GGTOpgZu4p2k6ORprAu3b.\n')).toBe('$1$xWMlm2eL$GGTOpgZu4p2k6ORprAu3b.');
  });

  it('should run crypt(3) rounds off the event loop', async () => {
    // passlib's default 656,000 SHA-512 rounds (Kratos' vector): the event loop keeps turning meanwhile.
    let turns = 0;
    let done = false;
    const spin = () => {
      turns += 1;
      if (!done) setImmediate(spin);
    };
    setImmediate(spin);
    const check = verifyStoredHash(
      '$6$rounds=656000$3LVbIAVxR//cRajw$uuNasMW.RYxlGzIRFU1Was70BPSa933AjxhZIGJdJBOlqJAHlgqa0yuiuq5JHF/ryNGryJkj87G9i3G2HPSXg1',
      'test',
    );
    const wrong = verifyStoredHash('$1$xWMlm2eL$GGTOpgZu4p2k6ORprAu3b.', 'test');
    expect(await Promise.all([check, wrong])).toEqual([true, false]);
    done = true;
    expect(turns).toBeGreaterThan(100);
  });

  it('should answer false, not throw, for a stored hash it cannot read', async () => {
    expect(await verifyStoredHash('$scrypt$ln=16384000,r=8,p=1$c2FsdA$aGFzaA', 'x')).toBe(false);
    expect(await verifyStoredHash('not a hash', 'x')).toBe(false);
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
