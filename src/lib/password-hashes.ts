import { createCipheriv, createHash, createHmac, pbkdf2, scrypt, timingSafeEqual, type BinaryLike } from 'node:crypto';
import { promisify } from 'node:util';
import { verify as verifyArgon2 } from '@node-rs/argon2';
import bcrypt from 'bcryptjs';
import { cryptThreads } from './crypt-threads.js';
import { readPasswordHash, storedForm, type ImportedHash } from './password-hash-formats.js';

const pbkdf2Async = promisify(pbkdf2);
const scryptAsync = promisify(scrypt) as (password: BinaryLike, salt: BinaryLike, keylen: number, options: object) => Promise<Buffer>;

/** An imported hash in parts, as the create API accepts it besides PHC/MCF strings. */
export interface HashParts {
  algorithm: string;
  value: string;
  salt?: string | undefined;
  encoding?: 'hex' | 'base64' | undefined;
  iterations?: number | undefined;
  saltPosition?: 'prefix' | 'suffix' | undefined;
  cost?: { N: number; r: number; p: number } | undefined;
}

const b64 = (buffer: Buffer) => buffer.toString('base64').replace(/=+$/, '');
const decode = (text: string, encoding: 'hex' | 'base64') => Buffer.from(text, encoding);

/** The parts form as a hash string; readPasswordHash then applies the same rules as to strings. */
function fromParts(parts: HashParts): string | undefined {
  const encoding = parts.encoding ?? 'hex';
  const salt = parts.salt === undefined ? Buffer.alloc(0) : decode(parts.salt, encoding);
  const digest = decode(parts.value, encoding);
  switch (parts.algorithm) {
    case 'bcrypt':
    case 'argon2id':
    case 'argon2i':
      return parts.value;
    case 'scrypt': {
      if (!parts.cost) return undefined;
      const ln = Math.log2(parts.cost.N);
      return Number.isInteger(ln) ? `$scrypt$ln=${ln},r=${parts.cost.r},p=${parts.cost.p}$${b64(salt)}$${b64(digest)}` : undefined;
    }
    case 'pbkdf2-sha256':
    case 'pbkdf2-sha512':
      return parts.iterations ? `$${parts.algorithm}$i=${parts.iterations},l=${digest.length}$${b64(salt)}$${b64(digest)}` : undefined;
    case 'sha256':
    case 'sha512':
      return `$${parts.algorithm}$pos=${parts.saltPosition ?? 'suffix'}$${b64(salt)}$${b64(digest)}`;
    default:
      return undefined;
  }
}

/**
 * The stored form of an imported hash, or undefined when Roster cannot verify it: an unknown format,
 * malformed parameters, or a cost beyond HASH_LIMITS (see password-hash-formats.ts and docs/users.md).
 * This is the one check every path that accepts `passwordHash` runs (PASSWORD_HASH_UNSUPPORTED).
 */
export function normalizeImportedHash(input: string | HashParts): string | undefined {
  const text = typeof input === 'string' ? input : fromParts(input);
  const hash = text === undefined ? undefined : readPasswordHash(text);
  return hash && storedForm(hash);
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** `format` with {SALT} and {PASSWORD} replaced in one pass (Go's strings.NewReplacer, as Kratos does). */
function fillFormat(format: Buffer, salt: Buffer, password: Buffer): Buffer {
  const parts = format.toString('latin1').split(/(\{SALT\}|\{PASSWORD\})/);
  return Buffer.concat(parts.map((part) => (part === '{SALT}' ? salt : part === '{PASSWORD}' ? password : Buffer.from(part, 'latin1'))));
}

async function verifyHash(hash: ImportedHash, password: string): Promise<boolean> {
  const secret = Buffer.from(password, 'utf8');
  switch (hash.kind) {
    case 'argon2':
      return verifyArgon2(hash.text, password);
    case 'bcrypt':
      // bcryptjs yields to the event loop between rounds; it reads $2b$, and PHP's $2y$ is the same algorithm.
      return bcrypt.compare(password, hash.text.replace(/^\$2y\$/, '$2b$'));
    case 'crypt':
      return cryptThreads.check(password, { scheme: hash.scheme, salt: hash.salt, rounds: hash.rounds ?? 5000, checksum: hash.checksum });
    case 'scrypt': {
      const { N, r, p } = hash;
      const actual = await scryptAsync(secret, hash.salt, hash.hash.length, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 });
      return sameBytes(actual, hash.hash);
    }
    case 'firescrypt': {
      // Firebase: scrypt of the password and salt+separator keys AES-256-CTR (zero IV), which encrypts the signer key.
      const N = 2 ** hash.logN;
      const key = await scryptAsync(secret, Buffer.concat([hash.salt, hash.separator]), 32, {
        N,
        r: hash.r,
        p: hash.p,
        maxmem: 256 * N * hash.r + 1024 * 1024,
      });
      const actual = createCipheriv('aes-256-ctr', key, Buffer.alloc(16)).update(hash.signerKey);
      return sameBytes(actual, hash.hash);
    }
    case 'pbkdf2':
      return sameBytes(await pbkdf2Async(secret, hash.salt, hash.iterations, hash.hash.length, hash.digest), hash.hash);
    case 'salted-sha': {
      const input = hash.position === 'prefix' ? [hash.salt, secret] : [secret, hash.salt];
      return sameBytes(createHash(hash.digest).update(Buffer.concat(input)).digest(), hash.hash);
    }
    case 'digest-format':
      return sameBytes(
        createHash(hash.digest)
          .update(fillFormat(hash.format, hash.salt, secret))
          .digest(),
        hash.hash,
      );
    case 'ssha':
      return sameBytes(createHash(hash.digest).update(secret).update(hash.salt).digest(), hash.hash);
    case 'hmac':
      return sameBytes(Buffer.from(createHmac(hash.digest, hash.key).update(secret).digest('hex')), hash.hexHash);
  }
}

/**
 * Checks a password against any stored hash form; false for a form Roster cannot read. Nothing heavy runs
 * on the event loop: argon2, scrypt and PBKDF2 run on libuv's thread pool, crypt(3) on crypt-threads'
 * worker threads, bcryptjs yields between rounds; the salted digests are one hash each.
 */
export async function verifyStoredHash(stored: string, password: string): Promise<boolean> {
  const hash = readPasswordHash(stored);
  return hash ? verifyHash(hash, password) : false;
}

/** True when a stored hash is not argon2id with exactly these parameters, so a login should replace it. */
export function needsRehash(stored: string, params: { memoryCost: number; timeCost: number; parallelism: number }): boolean {
  return !stored.startsWith(`$argon2id$v=19$m=${params.memoryCost},t=${params.timeCost},p=${params.parallelism}$`);
}
