import { describe, expect, it } from 'vitest';
import { BackgroundWorker, failureBackoffMs } from './background-worker.js';

/** A worker whose drains fail while `failing` is set (the database unreachable), counting attempts. */
class FlakyWorker extends BackgroundWorker {
  attempts = 0;
  failing = true;
  readonly errors: string[] = [];
  constructor() {
    super(
      { info: () => undefined, warn: () => undefined, error: (_o: object, message: string) => void this.errors.push(message) } as never,
      10,
      'flaky worker',
    );
  }
  protected async drain(): Promise<void> {
    this.attempts++;
    if (this.failing) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
  }
}

async function until(probe: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('a background worker whose database is down', () => {
  it('keeps running, backs off instead of polling every tick, logs once, and works again when the database is back', async () => {
    const worker = new FlakyWorker();
    worker.start();
    try {
      await until(() => worker.attempts >= 1);
      // Polling every 10 ms, but the first failure holds the next drain back for 1 s.
      const started = Date.now();
      await until(() => worker.attempts >= 2, 5000);
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
      expect(worker.errors).toEqual(['flaky worker failed']);
      worker.failing = false;
      const before = worker.attempts;
      await until(() => worker.attempts >= before + 3, 10_000);
    } finally {
      await worker.stop();
    }
  });

  it('waits 1 s, 2 s, 4 s … at most 30 s', () => {
    expect([1, 2, 3, 6, 20].map(failureBackoffMs)).toEqual([1000, 2000, 4000, 30_000, 30_000]);
  });
});
