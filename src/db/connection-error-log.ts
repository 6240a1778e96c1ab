/** A JSON log line writer (pino's shape): what the pool reports with when no logger is given. */
export type DatabaseLog = (entry: { msg: string; err: string; code?: string | undefined; suppressed?: number }) => void;

export const stderrJsonLog: DatabaseLog = (entry) => {
  process.stderr.write(`${JSON.stringify({ level: 40, time: Date.now(), ...entry })}\n`);
};

/**
 * Logs connection errors once per burst: a dead primary makes every pooled connection fail at once,
 * and one line (with how many were left out since the last) says as much as a hundred.
 */
export function burstLogger(log: DatabaseLog, quietMs = 10_000): (error: unknown) => void {
  let lastAt = 0;
  let suppressed = 0;
  return (error) => {
    const now = Date.now();
    if (now - lastAt < quietMs) {
      suppressed++;
      return;
    }
    const { message, code } = error as { message?: string; code?: string };
    log({ msg: 'database connection error', err: String(message ?? error), code, ...(suppressed > 0 ? { suppressed } : {}) });
    lastAt = now;
    suppressed = 0;
  };
}
