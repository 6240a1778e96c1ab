import { createHash, pbkdf2, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { verify as verifyArgon2 } from '@node-rs/argon2';
import bcrypt from 'bcryptjs';

const pbkdf2Async = promisify(pbkdf2);
const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keylen: number, options: object) => Promise<Buffer>;

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

const B64 = '[A-Za-z0-9+/]+={0,2}';
const BCRYPT = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;
const ARGON2 = new RegExp(`^\\$argon2(id|i)\\$v=\\d+\\$m=\\d+,t=\\d+,p=\\d+\\$${B64}\\$${B64}$`);
const SCRYPT = new RegExp(`^\\$scrypt\\$ln=(\\d+),r=(\\d+),p=(\\d+)\\$(${B64})\\$(${B64})$`);
const PBKDF2 = new RegExp(`^\\$pbkdf2-(sha256|sha512)\\$i=(\\d+),l=(\\d+)\\$(${B64})\\$(${B64})$`);
// passlib writes pbkdf2 with "adapted base64" ('.' for '+', no padding) and the rounds bare.
const PBKDF2_PASSLIB = /^\$pbkdf2-(sha256|sha512)\$(\d+)\$([./A-Za-z0-9]+)\$([./A-Za-z0-9]+)$/;
const SALTED_SHA = new RegExp(`^\\$(sha256|sha512)\\$pos=(prefix|suffix)\\$(${B64})?\\$(${B64})$`);

const b64 = (buffer: Buffer) => buffer.toString('base64').replace(/=+$/, '');
const decode = (text: string, encoding: 'hex' | 'base64') => Buffer.from(text, encoding);
const fromAb64 = (text: string) => Buffer.from(text.replaceAll('.', '+'), 'base64');

function fromParts(parts: HashParts): string | undefined {
  const encoding = parts.encoding ?? 'hex';
  const salt = parts.salt === undefined ? Buffer.alloc(0) : decode(parts.salt, encoding);
  const digest = decode(parts.value, encoding);
  switch (parts.algorithm) {
    case 'bcrypt':
    case 'argon2id':
    case 'argon2i':
      return normalizeImportedHash(parts.value);
    case 'scrypt': {
      if (!parts.cost || salt.length === 0 || digest.length === 0) return undefined;
      const ln = Math.log2(parts.cost.N);
      return Number.isInteger(ln) ? `$scrypt$ln=${ln},r=${parts.cost.r},p=${parts.cost.p}$${b64(salt)}$${b64(digest)}` : undefined;
    }
    case 'pbkdf2-sha256':
    case 'pbkdf2-sha512':
      if (!parts.iterations || salt.length === 0 || digest.length === 0) return undefined;
      return `$${parts.algorithm}$i=${parts.iterations},l=${digest.length}$${b64(salt)}$${b64(digest)}`;
    case 'sha256':
    case 'sha512': {
      if (digest.length !== (parts.algorithm === 'sha256' ? 32 : 64)) return undefined;
      return `$${parts.algorithm}$pos=${parts.saltPosition ?? 'suffix'}$${b64(salt)}$${b64(digest)}`;
    }
    default:
      return undefined;
  }
}

/**
 * The stored form of an imported hash, or undefined when the format is not supported. Strings are
 * bcrypt (`$2a$/$2b$/$2y$`), argon2 (`$argon2id$`, `$argon2i$`), scrypt, pbkdf2 (Roster's PHC form
 * or passlib's) and Roster's salted-SHA form; parts objects are turned into those forms.
 */
export function normalizeImportedHash(input: string | HashParts): string | undefined {
  if (typeof input !== 'string') return fromParts(input);
  const value = input.trim();
  if (BCRYPT.test(value) || ARGON2.test(value) || SCRYPT.test(value) || PBKDF2.test(value) || SALTED_SHA.test(value)) return value;
  const passlib = PBKDF2_PASSLIB.exec(value);
  if (passlib) {
    const [, digestName, rounds, salt, hash] = passlib as unknown as [string, string, string, string, string];
    const digest = fromAb64(hash);
    return `$pbkdf2-${digestName}$i=${rounds},l=${digest.length}$${b64(fromAb64(salt))}$${b64(digest)}`;
  }
  return undefined;
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Checks a password against any stored hash form. argon2, scrypt and pbkdf2 run on the thread pool; bcryptjs yields to the event loop between rounds. */
export async function verifyStoredHash(stored: string, password: string): Promise<boolean> {
  if (stored.startsWith('$argon2')) return verifyArgon2(stored, password);
  if (stored.startsWith('$2')) return bcrypt.compare(password, stored.replace(/^\$2y\$/, '$2b$'));
  const s = SCRYPT.exec(stored);
  if (s) {
    const [, ln, r, p, salt, hash] = s as unknown as [string, string, string, string, string, string];
    const expected = Buffer.from(hash, 'base64');
    const N = 2 ** Number(ln);
    const actual = await scryptAsync(password, Buffer.from(salt, 'base64'), expected.length, { N, r: Number(r), p: Number(p), maxmem: 256 * N * Number(r) + 1024 * 1024 });
    return sameBytes(actual, expected);
  }
  const k = PBKDF2.exec(stored);
  if (k) {
    const [, digest, iterations, length, salt, hash] = k as unknown as [string, string, string, string, string, string];
    const actual = await pbkdf2Async(password, Buffer.from(salt, 'base64'), Number(iterations), Number(length), digest);
    return sameBytes(actual, Buffer.from(hash, 'base64'));
  }
  const h = SALTED_SHA.exec(stored);
  if (h) {
    const [, digest, position, salt = '', hash] = h as unknown as [string, string, string, string | undefined, string];
    const saltBytes = Buffer.from(salt, 'base64');
    const input = position === 'prefix' ? Buffer.concat([saltBytes, Buffer.from(password)]) : Buffer.concat([Buffer.from(password), saltBytes]);
    return sameBytes(createHash(digest).update(input).digest(), Buffer.from(hash, 'base64'));
  }
  return false;
}

/** True when a stored hash is not argon2id with exactly these parameters, so a login should replace it. */
export function needsRehash(stored: string, params: { memoryCost: number; timeCost: number; parallelism: number }): boolean {
  return !stored.startsWith(`$argon2id$v=19$m=${params.memoryCost},t=${params.timeCost},p=${params.parallelism}$`);
}
