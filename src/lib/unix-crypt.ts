import { createHash, hash as digestOf, type BinaryLike } from 'node:crypto';

// The crypt(3) schemes of /etc/shadow, LDAP and many PHP/Python apps: MD5-crypt (`$1$`, Poul-Henning Kamp's
// FreeBSD algorithm) and SHA-crypt (`$5$`/`$6$`, Ulrich Drepper's specification, as in glibc). Written here
// because the npm implementation we checked (unixcrypt 3.0.4) mishandles passwords whose length is a multiple
// of the digest size; the vectors in password-hash-vectors.json pin every branch. Only checksums are computed:
// Roster never creates these hashes, it verifies imported ones and replaces them with argon2id at login.

/** crypt(3)'s base-64 alphabet ("hash64"), least significant 6 bits first. */
const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Characters crypt(3) salts are made of. */
export const CRYPT_SALT = /^[./0-9A-Za-z]*$/;

function to64(value: number, count: number): string {
  let out = '';
  let v = value;
  for (let i = 0; i < count; i += 1) {
    out += ITOA64[v & 0x3f];
    v >>>= 6;
  }
  return out;
}

/** Encodes `digest` three bytes at a time in the order the scheme's `triples` give ([b2, b1, b0] indexes). */
function encode(digest: Buffer, triples: readonly (readonly [number, number, number])[]): string {
  let out = '';
  for (const [b2, b1, b0] of triples) out += to64((digest[b2]! << 16) | (digest[b1]! << 8) | digest[b0]!, 4);
  return out;
}

const hash = (algorithm: string, ...parts: BinaryLike[]) => {
  const h = createHash(algorithm);
  for (const part of parts) h.update(part);
  return h.digest();
};

const MD5_ORDER = [
  [0, 6, 12],
  [1, 7, 13],
  [2, 8, 14],
  [3, 9, 15],
  [4, 10, 5],
] as const;

/** The 22-character checksum of MD5-crypt (`$1$salt$checksum`); the salt is at most 8 characters. */
export function md5CryptChecksum(password: Buffer, salt: string): string {
  const saltBytes = Buffer.from(salt.slice(0, 8), 'latin1');
  const alternate = hash('md5', password, saltBytes, password);
  const context = createHash('md5').update(password).update('$1$').update(saltBytes);
  for (let left = password.length; left > 0; left -= 16) context.update(alternate.subarray(0, Math.min(left, 16)));
  // Kamp's quirk: a zero byte for each set bit of the length, the password's first byte for each clear one.
  for (let i = password.length; i > 0; i >>>= 1) context.update(i & 1 ? Buffer.alloc(1) : password.subarray(0, 1));
  let final = context.digest();
  for (let i = 0; i < 1000; i += 1) {
    const round = createHash('md5');
    round.update(i & 1 ? password : final);
    if (i % 3) round.update(saltBytes);
    if (i % 7) round.update(password);
    round.update(i & 1 ? final : password);
    final = round.digest();
  }
  return encode(final, MD5_ORDER) + to64(final[11]!, 2);
}

const SHA256_ORDER = [
  [0, 10, 20],
  [21, 1, 11],
  [12, 22, 2],
  [3, 13, 23],
  [24, 4, 14],
  [15, 25, 5],
  [6, 16, 26],
  [27, 7, 17],
  [18, 28, 8],
  [9, 19, 29],
] as const;
const SHA512_ORDER = [
  [0, 21, 42],
  [22, 43, 1],
  [44, 2, 23],
  [3, 24, 45],
  [25, 46, 4],
  [47, 5, 26],
  [6, 27, 48],
  [28, 49, 7],
  [50, 8, 29],
  [9, 30, 51],
  [31, 52, 10],
  [53, 11, 32],
  [12, 33, 54],
  [34, 55, 13],
  [56, 14, 35],
  [15, 36, 57],
  [37, 58, 16],
  [59, 17, 38],
  [18, 39, 60],
  [40, 61, 19],
  [62, 20, 41],
] as const;

/** `length` bytes made of `block` repeated (Drepper's steps 16 and 20). */
function repeatTo(block: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let offset = 0; offset < length; offset += block.length) block.copy(out, offset, 0, Math.min(block.length, length - offset));
  return out;
}

/**
 * The checksum of SHA-crypt (`$5$` with sha256, 43 characters; `$6$` with sha512, 86 characters) after
 * Drepper's specification (https://www.akkadia.org/drepper/SHA-crypt.txt). `rounds` must already be in
 * the scheme's range (1000 to 999,999,999); the salt is at most 16 characters.
 */
export function shaCryptChecksum(algorithm: 'sha256' | 'sha512', password: Buffer, salt: string, rounds: number): string {
  const size = algorithm === 'sha256' ? 32 : 64;
  const saltBytes = Buffer.from(salt.slice(0, 16), 'latin1');
  const b = hash(algorithm, password, saltBytes, password);
  const a = createHash(algorithm).update(password).update(saltBytes);
  let left = password.length;
  for (; left > size; left -= size) a.update(b);
  a.update(b.subarray(0, left));
  for (let i = password.length; i > 0; i >>>= 1) a.update(i & 1 ? b : password);
  const digestA = a.digest();
  const dp = createHash(algorithm);
  for (let i = 0; i < password.length; i += 1) dp.update(password);
  const p = repeatTo(dp.digest(), password.length);
  const ds = createHash(algorithm);
  for (let i = 0; i < 16 + digestA[0]!; i += 1) ds.update(saltBytes);
  const s = repeatTo(ds.digest(), saltBytes.length);
  // One-shot digests of a reused buffer: about three times faster than a Hash object per round, which
  // matters at passlib's default of 535,000-656,000 rounds.
  const input = Buffer.alloc(2 * size + s.length + 2 * p.length);
  let c: Buffer = digestA;
  for (let i = 0; i < rounds; i += 1) {
    let at = (i & 1 ? p : c).copy(input, 0);
    if (i % 3) at += s.copy(input, at);
    if (i % 7) at += p.copy(input, at);
    at += (i & 1 ? c : p).copy(input, at);
    c = digestOf(algorithm, input.subarray(0, at), 'buffer');
  }
  return algorithm === 'sha256' ? encode(c, SHA256_ORDER) + to64((c[31]! << 8) | c[30]!, 3) : encode(c, SHA512_ORDER) + to64(c[63]!, 2);
}
