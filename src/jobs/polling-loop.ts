/**
 * Runs `drain` now and then: every `pollMs`, and at once when woken. Never two drains at a time; a
 * wake during a drain schedules one more, so no work queued meanwhile waits for the next tick.
 */
export class PollingLoop {
  #timer: NodeJS.Timeout | undefined;
  #busy: Promise<void> | undefined;
  #again = false;

  constructor(
    private readonly drain: () => Promise<void>,
    private readonly pollMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => this.wake(), this.pollMs);
    this.#timer.unref();
    this.wake();
  }

  wake(): void {
    if (!this.#timer) return;
    if (this.#busy) {
      this.#again = true;
      return;
    }
    this.#busy = this.drain()
      .catch(this.onError)
      .finally(() => {
        this.#busy = undefined;
        if (this.#again) {
          this.#again = false;
          this.wake();
        }
      });
  }

  /** Stops ticking and waits for a drain in progress. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#busy;
  }
}
