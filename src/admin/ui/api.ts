/**
 * The page's only way to the server: the public /v1 API, authenticated by the HttpOnly session
 * cookie the browser sends by itself. The CSRF token and the chosen tenant live in memory (the
 * tenant slug, which is not a secret, also in sessionStorage so a reload keeps it).
 */
export interface FieldProblem {
  path: string;
  code: string;
  message: string;
}
export interface Problem {
  status: number;
  code: string;
  title: string;
  detail?: string;
  errors?: FieldProblem[];
}

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail || problem.title);
  }
}

export interface Session {
  kind: string;
  role: string;
  permissions: string[];
  tenant: { id: string; slug: string; name: string } | null;
  user: { id: string; email: string | null; username: string | null; displayName: string | null } | null;
  csrfToken: string;
}

type Query = Record<string, string | number | boolean | undefined>;
interface RequestOptions {
  query?: Query;
  body?: unknown;
  raw?: Blob | string;
  contentType?: string;
  ifMatch?: string;
}

const TENANT_KEY = 'roster.admin.tenant';

class Api {
  csrf = '';
  session: Session | null = null;
  tenant: string | null = sessionStorage.getItem(TENANT_KEY);

  setTenant(slug: string | null): void {
    this.tenant = slug;
    if (slug) sessionStorage.setItem(TENANT_KEY, slug);
    else sessionStorage.removeItem(TENANT_KEY);
  }

  adopt(session: Session): void {
    this.session = session;
    this.csrf = session.csrfToken;
    if (session.tenant) this.setTenant(session.tenant.slug);
  }

  forget(): void {
    this.session = null;
    this.csrf = '';
    this.setTenant(null);
  }

  can(permission: string): boolean {
    return this.session?.permissions.includes(permission) ?? false;
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    return (await this.exchange<T>(method, path, options)).data;
  }

  /** A request whose answer's ETag matters (a user read before an edit, saved with If-Match). */
  async exchange<T>(method: string, path: string, options: RequestOptions = {}): Promise<{ data: T; etag: string | null }> {
    const url = new URL(path, location.origin);
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { accept: 'application/json' };
    if (method !== 'GET') headers['x-csrf-token'] = this.csrf;
    if (options.ifMatch) headers['if-match'] = options.ifMatch;
    if (this.tenant && path.startsWith('/v1/') && !path.startsWith('/v1/browser-sessions')) headers['x-roster-tenant'] = this.tenant;
    let body: BodyInit | undefined;
    if (options.raw !== undefined) {
      body = options.raw;
      headers['content-type'] = options.contentType ?? 'application/octet-stream';
    } else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = options.contentType ?? 'application/json';
    }
    let response: Response;
    try {
      response = await fetch(url, { method, headers, body, credentials: 'same-origin', cache: 'no-store' });
    } catch {
      throw new ApiError({ status: 0, code: 'NETWORK', title: 'The server could not be reached' });
    }
    const etag = response.headers.get('etag');
    if (response.status === 204) return { data: undefined as T, etag };
    const text = await response.text();
    const data: unknown = text ? safeJson(text) : undefined;
    if (!response.ok) {
      const problem = (data && typeof data === 'object' ? data : { title: response.statusText }) as Partial<Problem>;
      throw new ApiError({
        status: response.status,
        code: problem.code ?? 'HTTP_ERROR',
        title: problem.title ?? 'Request failed',
        ...problem,
      } as Problem);
    }
    return { data: data as T, etag };
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export const api = new Api();

/** The OpenAPI document, read once: the forms are drawn from the API's own request schemas. */
let openApi:
  Promise<{ paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: JsonSchema }> } }>> }> | undefined;
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  enum?: unknown[];
  description?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  additionalProperties?: boolean | JsonSchema;
}

export async function requestSchema(path: string, method: string): Promise<JsonSchema> {
  openApi ??= api.request('GET', '/openapi.json');
  const doc = await openApi;
  const content = doc.paths[path]?.[method]?.requestBody?.content ?? {};
  const schema = Object.values(content)[0]?.schema;
  if (!schema) throw new Error(`No request schema for ${method.toUpperCase()} ${path}`);
  return schema;
}
