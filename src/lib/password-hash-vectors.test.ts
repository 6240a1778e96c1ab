import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { normalizeImportedHash, verifyStoredHash } from './password-hashes.js';

// Published vectors (Ory Kratos' hasher tests, passlib's tests and documentation, Drepper's SHA-crypt
// specification, the argon2 reference README, the OpenBSD/John the Ripper bcrypt set): each must be accepted
// at import and verify at login with its password and with no other. The fixture names each one's source.
interface Vector {
  scheme: string;
  password: string;
  hash: string;
  source: string;
}
interface Refused {
  reason: string;
  hash: string;
  source: string;
}
const fixture = JSON.parse(readFileSync(new URL('./password-hash-vectors.json', import.meta.url), 'utf8')) as {
  verify: Vector[];
  refuse: Refused[];
};

/** A password that differs from the right one in its last character (or is not empty). */
const wrongFor = (password: string) => (password === '' ? 'x' : password.slice(0, -1) + (password.endsWith('x') ? 'y' : 'x'));

describe('published password-hash vectors', () => {
  it.each(fixture.verify.map((v) => [v.scheme, v.hash, v] as const))(
    '%s %s: imported, verifies its password, refuses another',
    async (_scheme, _hash, vector) => {
      const stored = normalizeImportedHash(vector.hash);
      expect(stored, vector.source).toBeDefined();
      expect(await verifyStoredHash(stored!, vector.password)).toBe(true);
      expect(await verifyStoredHash(stored!, wrongFor(vector.password))).toBe(false);
    },
  );

  it.each(fixture.refuse.map((r) => [r.reason, r.hash] as const))('refuses at import: %s (%s)', (_reason, hash) => {
    expect(normalizeImportedHash(hash)).toBeUndefined();
  });

  it('names the source of every vector', () => {
    for (const entry of [...fixture.verify, ...fixture.refuse]) expect(entry.source.length).toBeGreaterThan(10);
    expect(new Set(fixture.verify.map((v) => v.scheme.split(' ')[0])).size).toBeGreaterThanOrEqual(20);
  });
});
