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
    if (this.#busy) {
      this.#again = true;
      return;
    }
    this.#busy = this.drain()
      .catch((error: unknown) => this.log.error({ err: error }, `${this.name} failed`))
      .finally(() => {
        this.#busy = undefined;
        if (this.#again) {
          this.#again = false;
          this.wake();
        }
      });
  }

  /** Stops ticking and waits for a drain in progress to reach its end or a safe point. */
  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#busy;
  }
}
