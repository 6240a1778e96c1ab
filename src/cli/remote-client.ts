import { NetworkError, RemoteError } from './cli-output.js';
import type { Connection } from './cli-profiles.js';

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** A raw body (an import upload) with its content type; sent streamed. */
  upload?: { stream: ReadableStream<Uint8Array>; contentType: string };
  headers?: Record<string, string>;
  contentType?: string;
  /** Default 60 s; uploads have none (a large file takes as long as it takes). */
  timeoutMs?: number | null;
}

export interface RemoteResponse<T> {
  status: number;
  body: T;
  headers: Headers;
}

/**
 * The CLI's HTTP client of the public /v1 API: Bearer key, X-Roster-Tenant when a tenant is named
 * (a tenant key acts on its own tenant without it), problem+json answers turned into RemoteError.
 * Error messages carry the server's origin, never the key.
 */
export class RemoteClient {
  constructor(private readonly connection: Connection) {}

  get origin(): string {
    return this.connection.url;
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<RemoteResponse<T>> {
    const url = new URL(`${this.connection.url}/v1${path}`);
    for (const [name, value] of Object.entries(options.query ?? {})) if (value !== undefined) url.searchParams.set(name, String(value));
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.connection.key}`,
      accept: 'application/json',
      ...options.headers,
    };
    if (this.connection.tenant) headers['x-roster-tenant'] = this.connection.tenant;
    let body: BodyInit | undefined;
    if (options.upload) {
      headers['content-type'] = options.upload.contentType;
      body = options.upload.stream;
    } else if (options.body !== undefined) {
      headers['content-type'] = options.contentType ?? 'application/json';
      body = JSON.stringify(options.body);
    }
    const timeoutMs = options.timeoutMs === undefined ? 60_000 : options.timeoutMs;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers,
        ...(body === undefined ? {} : { body }),
        ...(options.upload ? { duplex: 'half' } : {}),
        ...(timeoutMs === null ? {} : { signal: AbortSignal.timeout(timeoutMs) }),
      } as RequestInit);
    } catch (error) {
      throw new NetworkError(`cannot reach ${this.connection.url}: ${describeFetchError(error)}`);
    }
    const text = await res.text().catch((error: unknown) => {
      throw new NetworkError(`the answer of ${this.connection.url} was cut: ${describeFetchError(error)}`);
    });
    let parsed: unknown = null;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
    }
    if (!res.ok) throw problemOf(res.status, parsed, this.connection.url);
    if (parsed === undefined) throw new NetworkError(`${this.connection.url} did not answer JSON: is it a Roster server?`);
    return { status: res.status, body: parsed as T, headers: res.headers };
  }
}

function problemOf(status: number, body: unknown, origin: string): Error {
  if (typeof body === 'object' && body !== null && typeof (body as { code?: unknown }).code === 'string') {
    const p = body as { code: string; detail?: unknown; title?: unknown; errors?: unknown; requestId?: unknown };
    const message = typeof p.detail === 'string' ? p.detail : typeof p.title === 'string' ? p.title : `HTTP ${status}`;
    const errors = Array.isArray(p.errors) ? (p.errors as Array<{ path?: string; code?: string; message?: string }>) : [];
    return new RemoteError(status, p.code, message, errors, typeof p.requestId === 'string' ? p.requestId : undefined);
  }
  // No problem body: a proxy, another service on that port, or a crash before Roster answered.
  if (status >= 500) return new RemoteError(status, `HTTP_${status}`, `${origin} answered ${status} without a problem body`);
  return new RemoteError(status, `HTTP_${status}`, `${origin} answered ${status}: is it a Roster server?`);
}

function describeFetchError(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError') return 'no answer in time';
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    if (cause?.code) return cause.code;
    if (cause?.message) return cause.message;
    return error.message;
  }
  return String(error);
}
