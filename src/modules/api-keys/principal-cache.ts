import type { Principal } from '../context.js';

/**
 * API keys recently authenticated, by the SHA-256 of the key: a request then costs no database round
 * trip to know who it is (measured: PostgreSQL single creates 1,257 → 2,003/s). Only successful
 * lookups are kept, for `ttlMs`. This process forgets every entry when a key is revoked or a role
 * changes here; other processes notice within `ttlMs` (ROSTER_AUTH_CACHE_MS; 0 turns the cache off).
 */
export class PrincipalCache {
  readonly #entries = new Map<string, { principal: Principal; expires: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  get(digest: string): Principal | undefined {
    const entry = this.#entries.get(digest);
    if (!entry) return undefined;
    if (entry.expires > performance.now()) return entry.principal;
    this.#entries.delete(digest);
    return undefined;
  }

  set(digest: string, principal: Principal): void {
    if (this.ttlMs <= 0) return;
    // Oldest first out: a Map iterates in insertion order.
    if (this.#entries.size >= this.maxEntries) this.#entries.delete(this.#entries.keys().next().value as string);
    this.#entries.set(digest, { principal, expires: performance.now() + this.ttlMs });
  }

  clear(): void {
    this.#entries.clear();
  }
}
