/**
 * Polls `check` until it holds: tests wait for the event they need, never for a fixed time. A check
 * that throws (a server still starting, a connection refused) counts as not yet. The bound is
 * generous so a slow or busy machine only makes a test slower, not red.
 */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000, everyMs = 50): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (
    !(await Promise.resolve()
      .then(check)
      .catch(() => false))
  ) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
