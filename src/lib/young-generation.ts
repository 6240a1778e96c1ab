import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';

/**
 * Keeps V8's young generation at its initial size (two 1 MiB semi-spaces) instead of letting it grow to
 * 2 × 16 MiB, which a server reaches within its first second (module loading, migrations) and then keeps:
 * idle RSS 145 → 123 MiB. Heap sizes cannot be set once the heap exists, but the growth factor is read at
 * each growth, so this works from inside the process; call it before anything large is loaded (the server's
 * entry points do, `roster import` does not).
 *
 * An operator who prefers throughput to memory passes `--max-semi-space-size=<MiB>` to node (for instance
 * `NODE_OPTIONS=--max-semi-space-size=16`), which V8 then grows to as usual.
 */
export function keepYoungGenerationSmall(): void {
  limitOldGenerationGrowth();
  if (hasSemiSpaceFlag()) return;
  v8.setFlagsFromString('--semi-space-growth-factor=1');
}

const hasSemiSpaceFlag = () => nodeFlags().some((flag) => /^--(max|min)[-_]semi[-_]space[-_]size\b/.test(flag));

/**
 * Gives V8 back its usual young-generation growth (factor 2, up to 2 × 16 MiB) the first time the event
 * loop is busy for more than half of a second: a server under load then scavenges a few times less often
 * (same-day runs: single creates +15-30 %, a batch of 1,000 -15-25 %), while one that only starts and
 * waits keeps its small idle footprint. V8 reads the factor at each growth, so this works once the heap
 * exists. Checks once a second until it fires; the timer never keeps the process alive.
 */
export function growYoungGenerationUnderLoad(busyFraction = 0.5, everyMs = 1000): void {
  if (hasSemiSpaceFlag()) return;
  let last = performance.eventLoopUtilization();
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const busy = performance.eventLoopUtilization(now, last).utilization;
    last = now;
    if (busy <= busyFraction) return;
    v8.setFlagsFromString('--semi-space-growth-factor=2');
    clearInterval(timer);
  }, everyMs);
  timer.unref();
}

const nodeFlags = () => [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];

/**
 * An import keeps each 500-row batch alive across its awaits, so batches are promoted, and V8 lets the old
 * generation grow to about 4x the live heap (~35 MiB) before a full collection: a 1M-row import peaked at
 * 250-295 MiB. Growing by half instead keeps it near 200 MiB for a few % more GC (`--heap-growing-percent`
 * given to node wins).
 */
export function limitOldGenerationGrowth(): void {
  if (!nodeFlags().some((flag) => /^--heap[-_]growing[-_]percent\b/.test(flag))) v8.setFlagsFromString('--heap-growing-percent=50');
}
