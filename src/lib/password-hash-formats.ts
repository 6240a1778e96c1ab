import { CRYPT_SALT } from './unix-crypt.js';

// The password hash formats Roster imports, read into one shape each. Reading is where every rule lives: a
// string that reads is a hash Roster can verify within the cost bounds below, so the import check
// (normalizeImportedHash) and login (verifyStoredHash) share this one parser and cannot disagree.
// Formats follow Ory Kratos' hash_comparator.go (which Kratos users export), passlib, and crypt(3).

/**
 * Cost bounds. A hash's parameters choose how much memory and CPU each login spends on it, and an
 * imported hash is caller-controlled; beyond these a hash is refused at import (PASSWORD_HASH_UNSUPPORTED)
 * rather than stored to exhaust the server later. Each bound admits the strongest documented profile.
 */
export const HASH_LIMITS = {
  /** bcrypt cost: 15 is ~2 s in C (Kratos' bound); defaults are 10-12. */
  bcryptCost: 15,
  /** argon2 memory in KiB (1 GiB, Kratos' bound; OWASP asks for 19-46 MiB), time cost and lanes. */
  argon2MemoryKiB: 1 << 20,
  argon2Time: 10,
  argon2Parallelism: 16,
  /** scrypt: memory 128·N·r bytes up to 128 MiB (N=2^17, r=8, OWASP's strongest); work N·r·p up to 8 times that. */
  scryptMemoryBlocks: 1 << 20,
  scryptWorkBlocks: 1 << 23,
  scryptR: 32,
  scryptP: 16,
  /** PBKDF2 iterations times output blocks: 10,000,000 (Kratos' bound; OWASP asks 600,000 for SHA-256). */
  pbkdf2Work: 10_000_000,
  /** SHA-crypt rounds: passlib's defaults are 535,000 ($5$) and 656,000 ($6$); the scheme allows 999,999,999. */
  shaCryptRounds: 1_000_000,
} as const;

/** A digest of Kratos' `$sha1$`/`$md5$` salted forms, `{SSHA}` and `$hmac-…$`. */
export type PlainDigest = 'md5' | 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';

export type ImportedHash =
  /** bcrypt `$2a$`/`$2b$`/`$2y$`, verified by bcryptjs. */
  | { kind: 'bcrypt'; text: string }
  /** argon2 PHC strings, verified by @node-rs/argon2. */
  | { kind: 'argon2'; text: string }
  | { kind: 'scrypt'; N: number; r: number; p: number; salt: Buffer; hash: Buffer }
  /** Firebase's modified scrypt (Kratos `$firescrypt$`): AES-256-CTR of the signer key under scrypt's output. */
  | { kind: 'firescrypt'; logN: number; r: number; p: number; salt: Buffer; hash: Buffer; separator: Buffer; signerKey: Buffer }
  /** PBKDF2-HMAC; `sha3-224`/`sha3-384` are what Kratos means by pbkdf2-sha224/-sha384. */
  | { kind: 'pbkdf2'; name: string; digest: string; iterations: number; salt: Buffer; hash: Buffer }
  /** Roster's own salted SHA-2 form (`$sha256$pos=suffix$salt$hash`), from the parts API. */
  | { kind: 'salted-sha'; digest: 'sha256' | 'sha512'; position: 'prefix' | 'suffix'; salt: Buffer; hash: Buffer }
  /** Kratos' `$sha1$pf=…`, `$md5$pf=…` and `$md5$hash`: a digest of a format string with {SALT} and {PASSWORD}. */
  | { kind: 'digest-format'; digest: PlainDigest; format: Buffer; salt: Buffer; hash: Buffer }
  /** RFC 2307 `{SSHA}`, `{SSHA256}`, `{SSHA512}`: base64 of digest(password + salt) followed by the salt. */
  | { kind: 'ssha'; label: string; digest: PlainDigest; salt: Buffer; hash: Buffer }
  /** Kratos `$hmac-sha256$…`: base64 of the HMAC's hex text, then base64 of the key. */
  | { kind: 'hmac'; digest: PlainDigest; hexHash: Buffer; key: Buffer }
  /** crypt(3): `$1$salt$checksum`, `$5$[rounds=N$]salt$checksum`, `$6$…` (also Kratos' `$md5-crypt$` spellings). */
  | { kind: 'crypt'; scheme: 'md5-crypt' | 'sha256-crypt' | 'sha512-crypt'; rounds: number | undefined; salt: string; checksum: string };

/** Strict base64 (standard alphabet; `=` padding optional unless `padded`), or undefined. */
function base64(text: string, options: { padded?: boolean; adapted?: boolean } = {}): Buffer | undefined {
  const alphabet = options.adapted ? /^[A-Za-z0-9./]*$/ : /^[A-Za-z0-9+/]*={0,2}$/;
  if (!alphabet.test(text)) return undefined;
  const body = text.replace(/=+$/, '');
  if (body.length % 4 === 1 || (options.padded && text.length % 4 !== 0) || (text.length !== body.length && text.length % 4 !== 0))
    return undefined;
  return Buffer.from(options.adapted ? body.replaceAll('.', '+') : body, 'base64');
}

const DIGEST_LENGTH: Record<PlainDigest, number> = { md5: 16, sha1: 20, sha224: 28, sha256: 32, sha384: 48, sha512: 64 };
const INTEGER = /^(0|[1-9]\d{0,9})$/;
const int = (text: string | undefined) => (text !== undefined && INTEGER.test(text) ? Number(text) : undefined);
const isPowerOfTwo = (n: number) => n >= 2 && Number.isInteger(Math.log2(n));

function scryptCostOk(N: number, r: number, p: number): boolean {
  return (
    isPowerOfTwo(N) &&
    r >= 1 &&
    r <= HASH_LIMITS.scryptR &&
    p >= 1 &&
    p <= HASH_LIMITS.scryptP &&
    N * r <= HASH_LIMITS.scryptMemoryBlocks &&
    N * r * p <= HASH_LIMITS.scryptWorkBlocks
  );
}

/** Reads `ln=…,r=…,p=…`; `ln` is log2(N) below 32 (passlib, Roster) and N itself from 32 on (Kratos writes N). */
function scryptParams(text: string): { N: number; r: number; p: number } | undefined {
  const m = /^ln=(\d+),r=(\d+),p=(\d+)$/.exec(text);
  const [ln, r, p] = [int(m?.[1]), int(m?.[2]), int(m?.[3])];
  if (ln === undefined || r === undefined || p === undefined) return undefined;
  const N = ln < 32 ? 2 ** ln : ln;
  return scryptCostOk(N, r, p) ? { N, r, p } : undefined;
}

function readScrypt(fields: string[]): ImportedHash | undefined {
  if (fields.length !== 3) return undefined;
  const params = scryptParams(fields[0]!);
  const salt = base64(fields[1]!);
  const hash = base64(fields[2]!);
  if (!params || !salt?.length || !hash || hash.length < 16 || hash.length > 128) return undefined;
  return { kind: 'scrypt', ...params, salt, hash };
}

function readFirescrypt(fields: string[]): ImportedHash | undefined {
  if (fields.length !== 5) return undefined;
  const m = /^ln=(\d+),r=(\d+),p=(\d+)$/.exec(fields[0]!);
  const [logN, r, p] = [int(m?.[1]), int(m?.[2]), int(m?.[3])];
  if (logN === undefined || r === undefined || p === undefined || logN < 1 || logN > 30 || !scryptCostOk(2 ** logN, r, p)) return undefined;
  const [salt, hash, separator, signerKey] = fields.slice(1).map((f) => base64(f, { padded: true }));
  if (!salt?.length || !hash?.length || !separator || !signerKey || hash.length !== signerKey.length) return undefined;
  return { kind: 'firescrypt', logN, r, p, salt, hash, separator, signerKey };
}

const PBKDF2_DIGESTS: Record<string, { digest: string; size: number }> = {
  sha1: { digest: 'sha1', size: 20 },
  // Kratos maps these two names to SHA-3 (hasher_pbkdf2.go); its exports mean that.
  sha224: { digest: 'sha3-224', size: 28 },
  sha256: { digest: 'sha256', size: 32 },
  sha384: { digest: 'sha3-384', size: 48 },
  sha512: { digest: 'sha512', size: 64 },
};

function pbkdf2(
  name: string,
  iterations: number | undefined,
  salt: Buffer | undefined,
  hash: Buffer | undefined,
): ImportedHash | undefined {
  const digest = PBKDF2_DIGESTS[name];
  if (!digest || iterations === undefined || iterations < 1 || !salt?.length || !hash || hash.length < 16 || hash.length > 256)
    return undefined;
  if (iterations * Math.ceil(hash.length / digest.size) > HASH_LIMITS.pbkdf2Work) return undefined;
  return { kind: 'pbkdf2', name, digest: digest.digest, iterations, salt, hash };
}

/** Kratos/PHC `$pbkdf2-sha256$i=…,l=…$salt$hash` (l is informative: the hash's own length counts) or passlib's `$pbkdf2-sha256$rounds$salt$hash` in adapted base64. */
function readPbkdf2(name: string, fields: string[]): ImportedHash | undefined {
  if (fields.length !== 3) return undefined;
  const phc = /^i=(\d+),l=(\d+)$/.exec(fields[0]!);
  if (phc) return pbkdf2(name, int(phc[1]), base64(fields[1]!), base64(fields[2]!));
  if (name === 'sha224' || name === 'sha384') return undefined;
  return pbkdf2(name, int(fields[0]), base64(fields[1]!, { adapted: true }), base64(fields[2]!, { adapted: true }));
}

function readDigestFormat(digest: PlainDigest, fields: string[]): ImportedHash | undefined {
  if (digest === 'md5' && fields.length === 1) {
    const hash = base64(fields[0]!, { padded: true });
    return hash?.length === 16
      ? { kind: 'digest-format', digest, format: Buffer.from('{PASSWORD}'), salt: Buffer.alloc(0), hash }
      : undefined;
  }
  if (fields.length !== 3 || !fields[0]!.startsWith('pf=')) return undefined;
  const format = base64(fields[0]!.slice(3), { padded: true });
  const salt = base64(fields[1]!, { padded: true });
  const hash = base64(fields[2]!, { padded: true });
  // A format without {PASSWORD} would let any password in.
  if (!format || format.length > 256 || !format.includes('{PASSWORD}') || !salt || hash?.length !== DIGEST_LENGTH[digest]) return undefined;
  return { kind: 'digest-format', digest, format, salt, hash };
}

function readRosterSaltedSha(digest: 'sha256' | 'sha512', fields: string[]): ImportedHash | undefined {
  if (fields.length !== 3) return undefined;
  const position = /^pos=(prefix|suffix)$/.exec(fields[0]!)?.[1] as 'prefix' | 'suffix' | undefined;
  const salt = base64(fields[1]!);
  const hash = base64(fields[2]!);
  if (!position || !salt || hash?.length !== DIGEST_LENGTH[digest]) return undefined;
  return { kind: 'salted-sha', digest, position, salt, hash };
}

const SSHA_DIGESTS: Record<string, PlainDigest> = { SSHA: 'sha1', SSHA256: 'sha256', SSHA512: 'sha512' };

function readSsha(text: string): ImportedHash | undefined {
  const m = /^\{(SSHA|SSHA256|SSHA512)\}(.+)$/.exec(text);
  const digest = m ? SSHA_DIGESTS[m[1]!] : undefined;
  const decoded = m && base64(m[2]!, { padded: true });
  if (!digest || !decoded || decoded.length <= DIGEST_LENGTH[digest]) return undefined;
  const size = DIGEST_LENGTH[digest];
  return { kind: 'ssha', label: m[1]!, digest, hash: decoded.subarray(0, size), salt: decoded.subarray(size) };
}

function readHmac(digest: string, fields: string[]): ImportedHash | undefined {
  if (fields.length !== 2 || !(digest in DIGEST_LENGTH)) return undefined;
  const hexHash = base64(fields[0]!, { padded: true });
  const key = base64(fields[1]!, { padded: true });
  const size = DIGEST_LENGTH[digest as PlainDigest];
  if (!hexHash || !key?.length || hexHash.length !== size * 2 || !/^[0-9a-f]+$/.test(hexHash.toString('latin1'))) return undefined;
  return { kind: 'hmac', digest: digest as PlainDigest, hexHash, key };
}

const CRYPT_SCHEMES = {
  '1': { scheme: 'md5-crypt', checksum: 22, salt: 8 },
  'md5-crypt': { scheme: 'md5-crypt', checksum: 22, salt: 8 },
  '5': { scheme: 'sha256-crypt', checksum: 43, salt: 16 },
  'sha256-crypt': { scheme: 'sha256-crypt', checksum: 43, salt: 16 },
  '6': { scheme: 'sha512-crypt', checksum: 86, salt: 16 },
  'sha512-crypt': { scheme: 'sha512-crypt', checksum: 86, salt: 16 },
} as const;

function readCrypt(id: keyof typeof CRYPT_SCHEMES, fields: string[]): ImportedHash | undefined {
  const { scheme, checksum: checksumLength, salt: saltLength } = CRYPT_SCHEMES[id];
  let rest = fields;
  let rounds: number | undefined;
  if (scheme !== 'md5-crypt' && rest[0]?.startsWith('rounds=')) {
    rounds = int(rest[0].slice('rounds='.length));
    // The scheme raises fewer than 1000 rounds to 1000 and writes that, so a smaller count is no real hash.
    if (rounds === undefined || rounds < 1000 || rounds > HASH_LIMITS.shaCryptRounds) return undefined;
    rest = rest.slice(1);
  }
  if (rest.length !== 2) return undefined;
  const [salt, checksum] = rest as [string, string];
  if (salt.length > saltLength || !CRYPT_SALT.test(salt) || checksum.length !== checksumLength || !CRYPT_SALT.test(checksum))
    return undefined;
  return { kind: 'crypt', scheme, rounds, salt, checksum };
}

const BCRYPT = /^\$2[aby]\$(\d{2})\$[./A-Za-z0-9]{53}$/;
// v=16 is argon2 1.0 (some libraries still write it); v=19 is 1.3, RFC 9106.
const ARGON2 = /^\$argon2(?:id|i)\$v=(?:16|19)\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

function readArgon2(text: string): ImportedHash | undefined {
  const m = ARGON2.exec(text);
  const [memory, time, lanes] = [int(m?.[1]), int(m?.[2]), int(m?.[3])];
  if (!m || memory === undefined || time === undefined || lanes === undefined) return undefined;
  const salt = base64(m[4]!);
  const hash = base64(m[5]!);
  if (lanes < 1 || lanes > HASH_LIMITS.argon2Parallelism || time < 1 || time > HASH_LIMITS.argon2Time) return undefined;
  if (memory < 8 * lanes || memory > HASH_LIMITS.argon2MemoryKiB || !salt || salt.length < 8 || !hash || hash.length < 4) return undefined;
  return { kind: 'argon2', text };
}

/**
 * Reads a hash in any accepted format, or undefined when it is not one, is malformed, or costs more to
 * verify than HASH_LIMITS allow. The same function reads imports and stored hashes.
 */
export function readPasswordHash(input: string): ImportedHash | undefined {
  const text = input.trim();
  if (text.length > 1024) return undefined;
  const bcrypt = BCRYPT.exec(text);
  if (bcrypt) {
    const cost = Number(bcrypt[1]);
    return cost >= 4 && cost <= HASH_LIMITS.bcryptCost ? { kind: 'bcrypt', text } : undefined;
  }
  if (text.startsWith('{')) return readSsha(text);
  if (!text.startsWith('$')) return undefined;
  const [, id = '', ...fields] = text.split('$');
  if (id === 'argon2id' || id === 'argon2i') return readArgon2(text);
  if (id === 'scrypt') return readScrypt(fields);
  if (id === 'firescrypt') return readFirescrypt(fields);
  if (id === 'pbkdf2') return readPbkdf2('sha1', fields);
  if (id.startsWith('pbkdf2-')) return readPbkdf2(id.slice('pbkdf2-'.length), fields);
  if (id in CRYPT_SCHEMES) return readCrypt(id as keyof typeof CRYPT_SCHEMES, fields);
  if (id.startsWith('hmac-')) return readHmac(id.slice('hmac-'.length), fields);
  if ((id === 'sha256' || id === 'sha512') && fields[0]?.startsWith('pos=')) return readRosterSaltedSha(id, fields);
  if (id === 'sha1' || id === 'sha256' || id === 'sha512' || id === 'md5') return readDigestFormat(id, fields);
  return undefined;
}

const b64 = (buffer: Buffer) => buffer.toString('base64');
const b64Raw = (buffer: Buffer) => b64(buffer).replace(/=+$/, '');

/** The one stored spelling of a read hash: what normalizeImportedHash stores and readPasswordHash reads back. */
export function storedForm(hash: ImportedHash): string {
  switch (hash.kind) {
    case 'bcrypt':
    case 'argon2':
      return hash.text;
    case 'scrypt':
      return `$scrypt$ln=${Math.log2(hash.N)},r=${hash.r},p=${hash.p}$${b64Raw(hash.salt)}$${b64Raw(hash.hash)}`;
    case 'firescrypt':
      return `$firescrypt$ln=${hash.logN},r=${hash.r},p=${hash.p}$${[hash.salt, hash.hash, hash.separator, hash.signerKey].map(b64).join('$')}`;
    case 'pbkdf2':
      return `$pbkdf2-${hash.name}$i=${hash.iterations},l=${hash.hash.length}$${b64Raw(hash.salt)}$${b64Raw(hash.hash)}`;
    case 'salted-sha':
      return `$${hash.digest}$pos=${hash.position}$${b64Raw(hash.salt)}$${b64Raw(hash.hash)}`;
    case 'digest-format':
      return `$${hash.digest}$pf=${b64(hash.format)}$${b64(hash.salt)}$${b64(hash.hash)}`;
    case 'ssha':
      return `{${hash.label}}${b64(Buffer.concat([hash.hash, hash.salt]))}`;
    case 'hmac':
      return `$hmac-${hash.digest}$${b64(hash.hexHash)}$${b64(hash.key)}`;
    case 'crypt': {
      const id = hash.scheme === 'md5-crypt' ? '1' : hash.scheme === 'sha256-crypt' ? '5' : '6';
      return `$${id}$${hash.rounds === undefined ? '' : `rounds=${hash.rounds}$`}${hash.salt}$${hash.checksum}`;
    }
  }
}
