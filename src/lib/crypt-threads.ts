import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { CryptCheck, CryptReply, CryptRequest } from './crypt-worker.js';

// crypt(3) checks are JavaScript loops (about a second at passlib's 656,000 SHA-crypt rounds) that would
// hold the event loop for their whole run. They run on a few worker threads instead, started on first
// use and unref'd, so an idle server keeps none busy and a process can exit with them alive.

/**
 * Starts crypt-worker in a thread. Built code loads the .js file; from the TypeScript sources (tests, `tsx`)
 * the worker registers tsx first, because Node 20 workers do not inherit the parent's module hooks.
 */
function startWorker(): Worker {
  const fromSources = import.meta.url.endsWith('.ts');
  const file = new URL(`./crypt-worker.${fromSources ? 'ts' : 'js'}`, import.meta.url).href;
  const bootstrap = `
    const { workerData } = require('node:worker_threads');
    (async () => {
      if (workerData.fromSources) (await import('tsx/esm/api')).register();
      await import(workerData.file);
    })().catch((error) => { setImmediate(() => { throw error; }); });`;
  return new Worker(bootstrap, { eval: true, workerData: { file, fromSources } });
}

interface Pending {
  resolve: (ok: boolean) => void;
  reject: (error: Error) => void;
}

interface Thread {
  worker: Worker;
  pending: Map<number, Pending>;
}

/** A small pool of crypt-worker threads; each runs its checks one after another. */
export class CryptThreads {
  readonly #threads: (Thread | undefined)[];
  #nextId = 0;

  constructor(size = Math.max(1, Math.min(4, os.availableParallelism() - 1))) {
    this.#threads = Array.from({ length: size }, () => undefined);
  }

  /** Whether `password` matches, checked on a worker thread. Rejects when the worker fails. */
  check(password: string, check: CryptCheck): Promise<boolean> {
    const thread = this.#leastBusy();
    const id = (this.#nextId += 1);
    return new Promise<boolean>((resolve, reject) => {
      thread.pending.set(id, { resolve, reject });
      if (thread.pending.size === 1) thread.worker.ref();
      thread.worker.postMessage({ id, password, check } satisfies CryptRequest);
    });
  }

  #leastBusy(): Thread {
    let best = -1;
    for (let i = 0; i < this.#threads.length; i += 1) {
      const thread = this.#threads[i];
      if (!thread) return this.#start(i);
      if (best < 0 || thread.pending.size < this.#threads[best]!.pending.size) best = i;
    }
    return this.#threads[best]!;
  }

  #start(slot: number): Thread {
    const thread: Thread = { worker: startWorker(), pending: new Map() };
    // eslint-disable-next-line no-restricted-syntax -- slot is a numeric index of the pool's own array
    this.#threads[slot] = thread;
    thread.worker.unref();
    thread.worker.on('message', (reply: CryptReply) => {
      const pending = thread.pending.get(reply.id);
      if (!pending) return;
      thread.pending.delete(reply.id);
      if (thread.pending.size === 0) thread.worker.unref();
      if (reply.error === undefined) pending.resolve(reply.ok === true);
      else pending.reject(new Error(`Password hash check failed: ${reply.error}`));
    });
    const fail = (error: Error) => {
      // A dead worker takes its queued checks with it; the next check starts a new one in this slot.
      // eslint-disable-next-line no-restricted-syntax -- slot is a numeric index of the pool's own array
      if (this.#threads[slot] === thread) this.#threads[slot] = undefined;
      for (const pending of thread.pending.values()) pending.reject(error);
      thread.pending.clear();
    };
    thread.worker.on('error', fail);
    thread.worker.on('exit', (code) => fail(new Error(`Password hash worker exited (${code})`)));
    return thread;
  }
}

/** The process's pool. */
export const cryptThreads = new CryptThreads();
