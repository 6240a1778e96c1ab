import type { FastifyBaseLogger } from 'fastify';

type Log = Pick<FastifyBaseLogger, 'info' | 'warn' | 'error'>;

/**
 * A background worker: `drain` runs every `pollMs` and at once when woken, never twice at a time;
 * a wake during a drain schedules one more, so work queued meanwhile does not wait for the next tick.
 * `stopping` tells a long drain to end at its next safe point.
 */
export abstract class BackgroundWorker {
  #timer: NodeJS.Timeout | undefined;
  #busy: Promise<void> | undefined;
  #again = false;
  #stopping = false;
  /** Consecutive failed drains, and when the next may start: a database outage is polled ever more slowly. */
  #failures = 0;
  #retryAt = 0;

  protected constructor(
    protected log: Log,
    private readonly pollMs: number,
    private readonly name: string,
  ) {}

  protected abstract drain(): Promise<void>;

  protected get stopping(): boolean {
    return this.#stopping;
  }

  start(log?: Log): void {
    if (log) this.log = log;
    this.#stopping = false;
    if (this.#timer) return;
    this.#timer = setInterval(() => this.wake(), this.pollMs);
    this.#timer.unref();
    this.wake();
  }

  /** Looks for work now (called when work is queued). */
  wake(): void {
    if (!this.#timer || this.#stopping) return;
    if (Date.now() < this.#retryAt) return;
    if (this.#busy) {
      this.#again = true;
      return;
    }
    this.#busy = this.drain()
      .then(
        () => {
          if (this.#failures > 0) this.log.info({ failures: this.#failures }, `${this.name} works again`);
          this.#failures = 0;
          this.#retryAt = 0;
        },
        (error: unknown) => this.#failed(error),
      )
      .finally(() => {
        this.#busy = undefined;
        if (this.#again) {
          this.#again = false;
          this.wake();
        }
      });
  }

  /**
   * A failed drain (the database unreachable, a failover) never ends the worker: it is logged on the
   * first failure of a burst and then every 10th, and the next drain waits 1 s, 2 s, 4 s … up to 30 s.
   */
  #failed(error: unknown): void {
    this.#failures++;
    const delayMs = failureBackoffMs(this.#failures);
    this.#retryAt = Date.now() + delayMs;
    this.#again = false;
    if (this.#failures === 1 || this.#failures % 10 === 0) {
      this.log.error({ err: error, failures: this.#failures, retryInMs: delayMs }, `${this.name} failed`);
    }
  }

  /** Stops ticking and waits for a drain in progress to reach its end or a safe point. */
  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#busy;
  }
}

/** Wait before the next drain after `failures` failed ones in a row: 1 s, 2 s, 4 s … at most 30 s. */
export function failureBackoffMs(failures: number): number {
  return Math.min(30_000, 1000 * 2 ** Math.max(0, failures - 1));
}
