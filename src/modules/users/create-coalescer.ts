import { NO_ADMISSION, type HashAdmission } from '../../lib/password-hasher.js';
import type { TenantContext } from '../context.js';
import type { CreateOptions, ItemOutcome } from './user-create.js';
import type { CreatedUser, CreateUserInput } from './user.schemas.js';

type Outcome = ItemOutcome & { user?: CreatedUser };
export type CoalescedOptions = Omit<CreateOptions, 'mode' | 'onChunk' | 'dryRun'>;
type RunBatch = (
  ctx: TenantContext,
  inputs: CreateUserInput[],
  perItem: { requestIds: string[]; admissions: HashAdmission[] },
  options: CoalescedOptions,
) => Promise<Outcome[]>;

interface Pending {
  ctx: TenantContext;
  input: CreateUserInput;
  admission: HashAdmission;
  resolve(outcome: Outcome): void;
  reject(error: unknown): void;
}

/**
 * Single creates that arrive together are written together. Requests of one tenant, by one
 * principal, with the same options, queue while a batch of theirs is being written, and go as the
 * next batch: one validation round, one transaction and one commit (one fsync on SQLite) for all of
 * them, where each would otherwise pay its own. Each request still gets its own outcome (a batch in
 * partial mode), its own request id in its events, and its own error.
 *
 * A lone request waits for nothing: it is written at the next turn of the event loop.
 *
 * Up to `maxInFlight` batches of one key run at once, so their stages overlap: while one batch's
 * passwords hash on the thread pool (or its commit is on disk), the next is validated on the event
 * loop. With one batch at a time the hash threads idled during each validation round and the event
 * loop idled during each hashing round. Two batches of one key race like any two requests: the
 * identifier claims decide.
 */
export class CreateCoalescer {
  readonly #queues = new Map<string, Pending[]>();
  /** Flushes running or scheduled, per key. */
  readonly #flushers = new Map<string, number>();

  constructor(
    private readonly run: RunBatch,
    private readonly maxBatch = 100,
    private readonly maxInFlight = 2,
  ) {}

  /** `admission`: the password hashing this request was admitted for (none for background work). */
  submit(ctx: TenantContext, input: CreateUserInput, options: CoalescedOptions, admission: HashAdmission = NO_ADMISSION): Promise<Outcome> {
    // Everything a batch checks once for all its items is in the key: tenant, principal, options, and
    // whether the item needs `users:set-active` (checked for the batch as a whole).
    const key = JSON.stringify([
      ctx.tenantId,
      ctx.principal.kind,
      ctx.principal.id,
      [...ctx.principal.permissions],
      input.active === false,
      options,
    ]);
    return new Promise<Outcome>((resolve, reject) => {
      const queue = this.#queues.get(key);
      const pending = { ctx, input, admission, resolve, reject };
      if (queue) queue.push(pending);
      else this.#queues.set(key, [pending]);
      // Requests parsed in the same turn of the event loop join the batch a new queue schedules; while
      // every flusher of the key is busy they wait for the first one free.
      const flushers = this.#flushers.get(key) ?? 0;
      if (!queue && flushers < this.maxInFlight) {
        this.#flushers.set(key, flushers + 1);
        setImmediate(() => void this.flush(key, options));
      }
    });
  }

  /** Writes the key's queue batch after batch until it is empty (one of at most `maxInFlight` per key). */
  private async flush(key: string, options: CoalescedOptions): Promise<void> {
    try {
      for (let queue = this.#queues.get(key); queue && queue.length > 0; queue = this.#queues.get(key)) {
        const batch = queue.splice(0, this.maxBatch);
        if (queue.length === 0) this.#queues.delete(key);
        try {
          const first = batch[0] as Pending;
          const perItem = { requestIds: batch.map((p) => p.ctx.requestId), admissions: batch.map((p) => p.admission) };
          const outcomes = await this.run(
            first.ctx,
            batch.map((p) => p.input),
            perItem,
            options,
          );
          batch.forEach((p, i) => p.resolve(outcomes[i] as Outcome));
        } catch (error) {
          for (const p of batch) p.reject(error);
        }
      }
    } finally {
      // No await between the loop's last look at the queue and this: a request queued after it finds a free flusher.
      const left = (this.#flushers.get(key) ?? 1) - 1;
      if (left === 0) this.#flushers.delete(key);
      else this.#flushers.set(key, left);
    }
  }
}
