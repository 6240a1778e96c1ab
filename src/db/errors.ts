/** True for a unique-constraint violation from either driver (PostgreSQL SQLSTATE 23505, SQLite SQLITE_CONSTRAINT_*). */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** SQLSTATEs of a server that is going away or not accepting work: admin/crash shutdown, starting up, read-only standby. */
const unavailableSqlStates = new Set(['57P01', '57P02', '57P03', '25006', '53300']);
const unavailableErrnos = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
]);
/** What `pg` and `pg-pool` say, without a code, when a connection died or could not be had in time. */
const unavailableMessages =
  /Connection terminated|timeout exceeded when trying to connect|not queryable|Client was closed|terminating connection/i;

/**
 * True when a database call failed because PostgreSQL is unreachable, shutting down, starting up or
 * read-only (a failover in progress): the request may succeed when retried shortly, so it is a 503,
 * not a 500. Follows `cause` (Kysely and our own code may wrap the driver's error).
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (
    let current = error, depth = 0;
    typeof current === 'object' && current !== null && depth < 5;
    current = (current as { cause?: unknown }).cause, depth++
  ) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && (unavailableSqlStates.has(code) || code.startsWith('08') || unavailableErrnos.has(code))) return true;
    const message = (current as { message?: unknown }).message;
    if (typeof message === 'string' && unavailableMessages.test(message)) return true;
  }
  return false;
}
