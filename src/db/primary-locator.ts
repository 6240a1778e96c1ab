import type pg from 'pg';
import type { MultiHostUrl, PostgresHost } from './multi-host-url.js';

/** A server that is up but cannot take writes (a standby, or default_transaction_read_only): SQLSTATE 25006. */
export const READ_ONLY_SQLSTATE = '25006';

function shown(host: PostgresHost): string {
  return `${host.host.includes(':') ? `[${host.host}]` : host.host}:${host.port}`;
}

/** Whether a connected session is what target_session_attrs asks for (libpq's rules for these three). */
async function acceptable(client: pg.Client, target: MultiHostUrl['targetSessionAttrs']): Promise<boolean> {
  if (target === 'any') return true;
  if (target === 'primary') return (await client.query<{ r: boolean }>('select pg_is_in_recovery() as r')).rows[0]?.r === false;
  return (await client.query<{ transaction_read_only: string }>('show transaction_read_only')).rows[0]?.transaction_read_only === 'off';
}

/**
 * Which host of a multi-host DATABASE_URL to open connections to. It is found once by trying the hosts
 * in order (a connection and one query each), remembered, and forgotten when a connection to it fails
 * or it answers read-only, so that after a failover the next connection finds the promoted standby.
 */
export class PrimaryLocator {
  #current: PostgresHost | undefined;
  #finding: Promise<PostgresHost> | undefined;

  constructor(
    private readonly driver: typeof pg,
    private readonly url: MultiHostUrl,
    private readonly connectTimeoutMs: number,
  ) {}

  /** Whether sessions must be checked after connecting (a standby accepts connections too). */
  get checksSessions(): boolean {
    return this.url.targetSessionAttrs !== 'any';
  }

  /** Forgets `host` as the one to use (all of them when absent); the next connection looks again. */
  forget(host?: PostgresHost | undefined): void {
    if (!host || (this.#current && this.#current.host === host.host && this.#current.port === host.port)) this.#current = undefined;
  }

  /**
   * The host to connect to, or undefined for "the URL's one host, as written" (no search needed);
   * concurrent callers share one search. @throws an 08001 error when no host fits.
   */
  async locate(): Promise<PostgresHost | undefined> {
    if (this.url.hosts.length === 1) return undefined;
    if (this.#current) return this.#current;
    this.#finding ??= this.#find().finally(() => {
      this.#finding = undefined;
    });
    return this.#finding;
  }

  /** Whether `client` (already connected to `host`) is acceptable; forgets the host when not. */
  async verify(client: pg.Client, host: PostgresHost | undefined): Promise<boolean> {
    const ok = await acceptable(client, this.url.targetSessionAttrs);
    if (!ok) this.forget(host);
    return ok;
  }

  async #find(): Promise<PostgresHost> {
    const reasons: string[] = [];
    for (const host of this.url.hosts) {
      const client = new this.driver.Client({ connectionString: this.url.singleHostUrl, connectionTimeoutMillis: this.connectTimeoutMs });
      aim(client, host);
      client.on('error', () => undefined);
      try {
        await client.connect();
        if (await acceptable(client, this.url.targetSessionAttrs)) {
          this.#current = host;
          return host;
        }
        reasons.push(`${shown(host)} is read-only`);
      } catch (error) {
        reasons.push(`${shown(host)}: ${(error as Error).message}`);
      } finally {
        await client.end().catch(() => undefined);
      }
    }
    const wanted = this.url.targetSessionAttrs === 'any' ? 'reachable' : 'writable';
    // 08001 (sqlclient_unable_to_establish_sqlconnection): callers treat it as "database unavailable".
    throw Object.assign(new Error(`No ${wanted} PostgreSQL host: ${reasons.join('; ')}`), { code: '08001' });
  }
}

/** Points a not yet connected client at `host` (a connection string's own host would win over the config's). */
export function aim(client: pg.Client, host: PostgresHost): void {
  const target = client as unknown as { host: string; port: number; connectionParameters: { host: string; port: number } };
  target.host = host.host;
  target.port = host.port;
  target.connectionParameters.host = host.host;
  target.connectionParameters.port = host.port;
}

/**
 * A `pg` Client class for the Pool that connects to the host the locator names, checks the session, and
 * tells the locator when a connection dies or the server answers read-only (then it also ends itself,
 * so the pool drops it instead of lending it again).
 */
/** SQL texts run as named prepared statements, by text (see preparedStatement). */
const PREPARED = new Map<string, string>();

/**
 * Registers a constant SQL text of Roster's own hot paths (never text built from input): every client of
 * the pools runs it as the named prepared statement `name`, so PostgreSQL parses and plans it once per
 * connection and each call only binds and executes. The set is small and fixed, so is each connection's.
 * @returns the text, to run as usual (Kysely's `CompiledQuery.raw(text, parameters)`).
 */
export function preparedStatement(name: string, text: string): string {
  const known = PREPARED.get(text);
  if (known !== undefined && known !== name) throw new Error(`SQL text already prepared as ${known}`);
  if ([...PREPARED.values()].includes(name) && known === undefined) throw new Error(`prepared statement ${name} already has another text`);
  PREPARED.set(text, name);
  return text;
}

export function multiHostClient(driver: typeof pg, locator: PrimaryLocator, connectTimeoutMs: number): typeof pg.Client {
  class MultiHostClient extends driver.Client {
    #target: PostgresHost | undefined = undefined;

    constructor(config?: pg.ClientConfig) {
      super({ ...config, connectionTimeoutMillis: connectTimeoutMs });
      this.on('error', () => this.#target && locator.forget(this.#target));
      const query = this.query.bind(this) as (...args: unknown[]) => unknown;
      this.query = ((...args: unknown[]) => {
        // A registered text runs as a named prepared statement: parsed and planned once per connection.
        const name = typeof args[0] === 'string' ? PREPARED.get(args[0]) : undefined;
        if (name !== undefined) args = [{ name, text: args[0], values: args[1] }, ...args.slice(2)];
        const result = query(...args);
        if (result instanceof Promise) {
          result.catch((error: unknown) => {
            if ((error as { code?: unknown }).code === READ_ONLY_SQLSTATE) {
              if (this.#target) locator.forget(this.#target);
              this.end().catch(() => undefined);
            }
          });
        }
        return result;
      }) as typeof this.query;
    }

    override connect(): Promise<pg.Client>;
    override connect(callback: ((err: Error) => void) | ((err: null, c: pg.Client) => void)): void;
    override connect(callback?: ((err: Error) => void) | ((err: null, c: pg.Client) => void)): Promise<pg.Client> | void {
      const connecting = this.#connectToTarget();
      if (!callback) return connecting;
      const done = callback as (err: Error | null, c?: pg.Client) => void;
      connecting.then(
        (client) => done(null, client),
        (error: Error) => done(error),
      );
    }

    async #connectToTarget(): Promise<pg.Client> {
      const host = await locator.locate();
      this.#target = host;
      if (host) aim(this, host);
      try {
        await super.connect();
      } catch (error) {
        locator.forget(host);
        throw error;
      }
      if (locator.checksSessions && !(await locator.verify(this, host))) {
        await this.end().catch(() => undefined);
        throw Object.assign(
          new Error(`PostgreSQL at ${host ? shown(host) : 'DATABASE_URL'} is read-only (a standby?); looking for the primary again`),
          { code: READ_ONLY_SQLSTATE },
        );
      }
      return this;
    }
  }
  return MultiHostClient;
}
