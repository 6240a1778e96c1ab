import bcrypt from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import { PasswordHasher } from './password-hasher.js';
import { verifyStoredHash } from './password-hashes.js';

// Cheap argon2 parameters: the tests are about order, not cost.
const CHEAP = { memoryCost: 64, timeCost: 1, parallelism: 1 };

/** Starts every job at once and gives back the labels in the order the jobs finished. */
async function completionOrder(jobs: Array<[label: string, job: () => Promise<unknown>]>): Promise<string[]> {
  const order: string[] = [];
  await Promise.all(jobs.map(([label, job]) => job().then(() => order.push(label))));
  return order;
}

describe('PasswordHasher fairness', () => {
  it("should hash a tenant queued behind another tenant's 200-password batch among the first few", async () => {
    const hasher = new PasswordHasher(CHEAP, Infinity, 2);
    const order = await completionOrder([
      ...Array.from(
        { length: 200 },
        (_, i) => [`a${i}`, () => hasher.hash(`a-password-${i}`, { tenantId: 'tenant-a' })] as [string, () => Promise<string>],
      ),
      ['b', () => hasher.hash('b-password', { tenantId: 'tenant-b' })],
    ]);
    expect(order).toHaveLength(201);
    expect(order.indexOf('b')).toBeLessThan(5);
    expect(hasher.pending).toBe(0);
  });

  it('should give busy tenants turns in rotation, and a late single create its turn after about one hash per busy tenant', async () => {
    const hasher = new PasswordHasher(CHEAP, Infinity, 3);
    const job = (tenant: string, i: number): [string, () => Promise<string>] => [
      `${tenant}${i}`,
      () => hasher.hash(`${tenant}-secret-${i}`, { tenantId: tenant }),
    ];
    const order = await completionOrder([
      ...Array.from({ length: 120 }, (_, i) => job('x', i)),
      ...Array.from({ length: 60 }, (_, i) => job('y', i)),
      job('z', 0),
    ]);
    // Y queued all its 60 behind X's 120, yet both progress together: half of the first 40 are Y's.
    const first40 = order.slice(0, 40);
    expect(first40.filter((l) => l.startsWith('y')).length).toBeGreaterThanOrEqual(15);
    expect(first40.filter((l) => l.startsWith('x')).length).toBeGreaterThanOrEqual(15);
    expect(order.indexOf('z0')).toBeLessThan(8);
  });

  it('should finish a login verification queued after a big batch before the batch is done', async () => {
    const hasher = new PasswordHasher(CHEAP, Infinity, 2);
    const stored = await hasher.hash('right password');
    const order = await completionOrder([
      ...Array.from(
        { length: 100 },
        (_, i) => [`h${i}`, () => hasher.hash(`bulk-${i}`, { tenantId: 'bulk' })] as [string, () => Promise<string>],
      ),
      ['verify', async () => expect(await hasher.verify(stored, 'right password')).toBe(true)],
    ]);
    expect(order.indexOf('verify')).toBeLessThan(10);
  });

  it("should run an imported (bcrypt) hash's check in the verification lane too, with its answer", async () => {
    const hasher = new PasswordHasher(CHEAP, Infinity, 2);
    const stored = await bcrypt.hash('imported secret', 4);
    const order = await completionOrder([
      ...Array.from(
        { length: 100 },
        (_, i) => [`h${i}`, () => hasher.hash(`bulk-${i}`, { tenantId: 'bulk' })] as [string, () => Promise<string>],
      ),
      ['wrong', async () => expect(await hasher.verifyWith(() => verifyStoredHash(stored, 'not it'))).toBe(false)],
      ['right', async () => expect(await hasher.verifyWith(() => verifyStoredHash(stored, 'imported secret'))).toBe(true)],
    ]);
    expect(order.indexOf('wrong')).toBeLessThan(10);
    expect(order.indexOf('right')).toBeLessThan(10);
  });

  it("should pass a failed hash's error on and keep serving the queue", async () => {
    const hasher = new PasswordHasher({ memoryCost: 1, timeCost: 1, parallelism: 1 }, Infinity, 2);
    await expect(hasher.hash('x', { tenantId: 't' })).rejects.toThrow();
    const working = new PasswordHasher(CHEAP, Infinity, 2);
    expect(await working.hash('after', { tenantId: 't' })).toMatch(/^\$argon2id\$/);
    expect(hasher.pending).toBe(0);
  });
});
