import type { Worker } from 'node:worker_threads';

/**
 * Asks a worker thread that closes its resources on `{ close: true }` to do so, and waits until it has
 * exited; the worker is held referenced meanwhile, so the process does not exit before it.
 */
export async function closeWorker(worker: Worker): Promise<void> {
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.ref();
  worker.postMessage({ close: true });
  await exited;
}
