import { createRequire } from 'node:module';
import type pg from 'pg';
import { StartupError } from '../lib/startup-error.js';
import { parseMultiHostUrl, redactMultiHostUrl } from './multi-host-url.js';
import { aim, PrimaryLocator } from './primary-locator.js';

const require = createRequire(import.meta.url);

type Log = { warn(object: object, message: string): void; info(object: object, message: string): void };

/** DATABASE_URL as it may be shown in logs and messages: without the password. */
export function redactDatabaseUrl(url: string): string {
  if (/^postgres(ql)?:\/\/(?:[^@/?#]*@)?[^/?#]*,/.test(url)) return redactMultiHostUrl(url);
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    for (const key of [...parsed.searchParams.keys()]) if (/pass/i.test(key)) parsed.searchParams.set(key, '***');
    return parsed.toString();
  } catch {
    return 'postgres://…';
  }
}

/** PostgreSQL answers that waiting cannot change: say what to fix at once. */
function lastingProblem(error: NodeJS.ErrnoException & { code?: string }, shown: string): string | undefined {
  if (error.code === '3D000') {
    const name = decodeURIComponent(new URL(parseMultiHostUrl(shown).singleHostUrl).pathname.slice(1)) || 'the database';
    return `The database ${name} in DATABASE_URL=${shown} does not exist: create it (e.g. createdb ${name}, or CREATE DATABASE ${name}), then start Roster again`;
  }
  if (error.code === '28P01' || error.code === '28000')
    return `PostgreSQL refused the user or password in DATABASE_URL=${shown}: ${error.message}`;
  return undefined;
}

/** Backoff between attempts: 0.5 s, 1 s, 2 s, 4 s, then every 5 s. */
export function retryDelayMs(attempt: number): number {
  return Math.min(5000, 500 * 2 ** (attempt - 1));
}

/**
 * Waits until the PostgreSQL of DATABASE_URL accepts a connection, so a server started beside its
 * database (compose, systemd, a reboot) does not fail because it came up first. Each failed attempt is
 * logged with DATABASE_URL (without the password); after `timeoutSeconds` it gives up.
 * @throws StartupError naming DATABASE_URL and ROSTER_DB_CONNECT_TIMEOUT.
 */
export async function waitForDatabase(url: string, timeoutSeconds: number, log: Log): Promise<void> {
  const driver = require('pg') as typeof pg;
  const shown = redactDatabaseUrl(url);
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (let attempt = 1; ; attempt++) {
    // A multi-host DATABASE_URL: wait until one of its hosts fits target_session_attrs (the primary, for read-write).
    const locator = new PrimaryLocator(driver, parseMultiHostUrl(url), Math.max(1000, Math.min(5000, deadline - Date.now())));
    try {
      const host = await locator.locate();
      const client = new driver.Client({
        connectionString: parseMultiHostUrl(url).singleHostUrl,
        connectionTimeoutMillis: Math.max(1000, Math.min(5000, deadline - Date.now())),
      });
      if (host) aim(client, host);
      client.on('error', () => undefined);
      try {
        await client.connect();
      } finally {
        await client.end().catch(() => undefined);
      }
      if (attempt > 1) log.info({ database: shown, attempts: attempt }, 'database reachable');
      return;
    } catch (caught) {
      const error = caught as NodeJS.ErrnoException;
      const lasting = lastingProblem(error, shown);
      if (lasting) throw new StartupError(lasting);
      const reason = error.code && !error.message.includes(error.code) ? `${error.code} ${error.message}` : error.message;
      const delay = retryDelayMs(attempt);
      if (Date.now() + delay > deadline) {
        throw new StartupError(
          `Cannot reach the database at DATABASE_URL=${shown}: ${reason}. Gave up after ${attempt} attempts in ${timeoutSeconds} s ` +
            '(ROSTER_DB_CONNECT_TIMEOUT). Check that PostgreSQL is running and that DATABASE_URL names its host and port.',
        );
      }
      log.warn(
        { database: shown, attempt, retryInMs: delay, reason },
        `cannot reach the database at DATABASE_URL=${shown} (${reason}); retrying in ${delay} ms`,
      );
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
