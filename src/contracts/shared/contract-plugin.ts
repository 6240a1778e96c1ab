import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Core } from '../../app.js';
import type { Config } from '../../config/config.js';
import { AppError } from '../../errors/app-error.js';
import { bearerToken, resolveTenantContext, type Authenticate } from '../../http/auth.js';
import { asAppError, setRetryAfter } from '../../http/error-handler.js';
import type { Principal, TenantContext } from '../../modules/context.js';

/** What every contract adapter is given: the core services and the configuration. */
export interface ContractOptions {
  core: Core;
  config: Config;
}

/** A contract's rendering of an error: its status and its own body. */
export interface ContractError {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/**
 * Makes every error of the contract's routes leave in the contract's own format: the route's
 * AppError (or the schema failure, or Fastify's own error) is mapped by `render`.
 */
export function useContractErrors(app: FastifyInstance, render: (error: AppError, request: FastifyRequest) => ContractError): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const appError = asAppError(error, request);
    const { status, body, headers } = render(appError, request);
    setRetryAfter(reply, appError);
    return reply
      .code(status)
      .headers(headers ?? {})
      .type('application/json; charset=utf-8')
      .send(body);
  });
}

/** A field error's JSON Pointer as a dotted name (`/address/code` → `address.code`). */
export function dotted(path: string): string {
  return path.replace(/^\//, '').replaceAll('/', '.');
}

/** The first field error of an AppError as one sentence, or its message. */
export function oneLine(error: AppError, rename: (path: string) => string = dotted): string {
  if (error.errors.length === 0) return error.message;
  // Schema messages start with the pointer itself (`/address/code must have…`); say it once, in the contract's words.
  return error.errors
    .map((e) => `${rename(e.path) || 'body'}: ${e.message.startsWith(`${e.path} `) ? e.message.slice(e.path.length + 1) : e.message}`)
    .join('; ');
}

/** A header's single value. */
export function headerValue(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * An onRequest hook for contracts that take `Authorization: Bearer` (an API key or a user token):
 * sets the principal, or answers 401 before the body is even read.
 */
export function bearerAuth(authenticate: Authenticate, detail = 'A valid Bearer token is required') {
  return async (request: FastifyRequest): Promise<void> => {
    const token = bearerToken(request.headers.authorization);
    const principal = token ? await authenticate(token) : undefined;
    if (!principal) throw new AppError('UNAUTHENTICATED', { detail });
    request.principal = principal;
  };
}

/** The authenticated principal of a contract request and its tenant, named (when it must be) by `tenantHeader`. */
export async function contractContext(
  request: FastifyRequest,
  core: Core,
  tenantHeader: string,
): Promise<{ principal: Principal; ctx: TenantContext }> {
  if (!request.principal) throw new AppError('UNAUTHENTICATED');
  const principal = request.principal;
  return { principal, ctx: await resolveTenantContext(principal, headerValue(request, tenantHeader), String(request.id), core.tenants) };
}
