import { describe, expect, it } from 'vitest';
import type { TenantContext } from '../context.js';
import { CreateCoalescer } from './create-coalescer.js';
import type { CreateUserInput } from './user.schemas.js';

/** A batch that runs until the test lets it finish. */
interface HeldBatch {
  emails: string[];
  finish(): void;
}

function holdingRunner() {
  const started: HeldBatch[] = [];
  const waiters: Array<() => void> = [];
  const run = (_ctx: TenantContext, inputs: CreateUserInput[]) =>
    new Promise<Array<{ index: number; status: 'created' }>>((resolve) => {
      started.push({
        emails: inputs.map((i) => i.email as string),
        finish: () => resolve(inputs.map((_, index) => ({ index, status: 'created' as const }))),
      });
      waiters.splice(0).forEach((wake) => wake());
    });
  /** Resolves once `count` batches have started. */
  const startedCount = (count: number) =>
    new Promise<void>((resolve) => {
      const check = () => (started.length >= count ? resolve() : waiters.push(check));
      check();
    });
  return { run, started, startedCount };
}

const ctx = (requestId: string): TenantContext => ({
  tenantId: 't1',
  requestId,
  principal: { kind: 'api_key', id: 'k1', tenantId: 't1', role: 'admin', permissions: new Set(['users:create']) },
});

describe('CreateCoalescer: batches of one key in flight together', () => {
  it('should start a second batch while the first is still running, and no third until one ends', async () => {
    const { run, started, startedCount } = holdingRunner();
    const coalescer = new CreateCoalescer(run, 100, 2);
    const submit = (email: string) => coalescer.submit(ctx(email), { email }, {});

    const first = submit('a@x.io');
    await startedCount(1);
    const second = submit('b@x.io');
    await startedCount(2);
    expect(started.map((b) => b.emails)).toEqual([['a@x.io'], ['b@x.io']]);

    // Both flushers are busy: these wait, then go together as one batch.
    const third = submit('c@x.io');
    const fourth = submit('d@x.io');
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toHaveLength(2);

    started[0]?.finish();
    await expect(first).resolves.toMatchObject({ status: 'created' });
    await startedCount(3);
    expect(started[2]?.emails).toEqual(['c@x.io', 'd@x.io']);

    started[1]?.finish();
    started[2]?.finish();
    await expect(Promise.all([second, third, fourth])).resolves.toHaveLength(3);
  });

  it('should keep one batch at a time when asked to', async () => {
    const { run, started, startedCount } = holdingRunner();
    const coalescer = new CreateCoalescer(run, 100, 1);
    const first = coalescer.submit(ctx('1'), { email: 'a@x.io' }, {});
    await startedCount(1);
    const second = coalescer.submit(ctx('2'), { email: 'b@x.io' }, {});
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toHaveLength(1);
    started[0]?.finish();
    await startedCount(2);
    started[1]?.finish();
    await expect(Promise.all([first, second])).resolves.toHaveLength(2);
  });
});
