import { timingSafeEqual } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { md5CryptChecksum, shaCryptChecksum } from './unix-crypt.js';

// A worker thread's side of crypt-threads.ts: crypt(3) checks run here, off the event loop that serves requests.

/** A check the worker runs: a crypt(3) checksum to compare. */
export interface CryptCheck {
  scheme: 'md5-crypt' | 'sha256-crypt' | 'sha512-crypt';
  salt: string;
  rounds: number;
  checksum: string;
}

export interface CryptRequest {
  id: number;
  password: string;
  check: CryptCheck;
}

export interface CryptReply {
  id: number;
  ok?: boolean;
  error?: string;
}

function checksumOf(password: Buffer, check: CryptCheck): string {
  if (check.scheme === 'md5-crypt') return md5CryptChecksum(password, check.salt);
  return shaCryptChecksum(check.scheme === 'sha256-crypt' ? 'sha256' : 'sha512', password, check.salt, check.rounds);
}

export function runCheck(password: string, check: CryptCheck): boolean {
  const actual = Buffer.from(checksumOf(Buffer.from(password, 'utf8'), check));
  const expected = Buffer.from(check.checksum);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

parentPort?.on('message', (request: CryptRequest) => {
  let reply: CryptReply;
  try {
    reply = { id: request.id, ok: runCheck(request.password, request.check) };
  } catch (error) {
    reply = { id: request.id, error: error instanceof Error ? error.message : String(error) };
  }
  parentPort?.postMessage(reply);
});
