import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { AppError, fieldError } from '../../errors/app-error.js';
import type { Authenticate } from '../../http/auth.js';
import { assertCsrf, clearSessionCookie, cookieCredential, csrfTokenFor, setSessionCookie } from '../../http/browser-auth.js';
import { errorResponses } from '../../http/route-helpers.js';
import { systemPrincipal, type Principal } from '../context.js';
import type { TenantService } from '../tenants/tenant.service.js';
import type { UserService } from '../users/user.service.js';
import {
  BrowserSessionSchema,
  CreateBrowserSessionSchema,
  type BrowserSession,
  type CreateBrowserSessionInput,
} from './browser-session.schemas.js';
import type { SessionService } from './session.service.js';

export interface BrowserSessionDeps {
  authenticate: Authenticate;
  sessions: SessionService;
  tenants: TenantService;
  users: UserService;
  /** Cookies are marked Secure when the public URL is https, whatever the hop to Roster is. */
  publicUrl: string;
}

/** Either an API key, or tenant + login + password: anything else is a field error, not a guess. */
function checkInput(input: CreateBrowserSessionInput): void {
  if (input.apiKey !== undefined) {
    const extra = (['tenant', 'login', 'password'] as const).filter((k) => input[k] !== undefined);
    if (extra.length > 0)
      throw new AppError('VALIDATION_FAILED', { errors: extra.map((k) => fieldError(`/${k}`, 'FIELD_INVALID', 'Not used with apiKey')) });
    return;
  }
  const missing = (['tenant', 'login', 'password'] as const).filter((k) => input[k] === undefined);
  if (missing.length > 0) throw new AppError('VALIDATION_FAILED', { errors: missing.map((k) => fieldError(`/${k}`, 'FIELD_REQUIRED')) });
}

/**
 * Browser sessions for the admin page: the credential goes into an HttpOnly, SameSite=Strict cookie
 * (never into script-readable storage) and the page gets the CSRF token to send with its changes.
 * Every other call the page makes is an ordinary /v1 call authenticated by that cookie.
 */
export const browserSessionRoutes: FastifyPluginAsyncTypebox<BrowserSessionDeps> = async (app, deps) => {
  const tags = ['Sessions'];
  const secure = (request: FastifyRequest) => request.protocol === 'https' || deps.publicUrl.startsWith('https:');

  const describe = async (
    principal: Principal,
    credential: string,
    requestId: string,
    expiresAt: string | null,
  ): Promise<BrowserSession> => {
    const tenant = principal.tenantId === null ? null : await deps.tenants.getTenant(principal.tenantId);
    const user =
      principal.kind === 'user' && principal.tenantId !== null
        ? await deps.users.getUser({ tenantId: principal.tenantId, principal: systemPrincipal, requestId }, principal.id)
        : null;
    return {
      kind: principal.kind,
      role: principal.role,
      permissions: [...principal.permissions].sort(),
      tenant: tenant && { id: tenant.id, slug: tenant.slug, name: tenant.name },
      user,
      csrfToken: csrfTokenFor(credential),
      expiresAt,
    };
  };

  app.post(
    '/browser-sessions',
    {
      schema: {
        summary: 'Sign a browser in (sets the session cookie)',
        description:
          'With `tenant`, `login` and `password` (as POST /v1/sessions, with its attempt limits) or with `apiKey`. Sets the `roster_session` cookie ' +
          '(HttpOnly, SameSite=Strict, Secure over TLS) that authenticates later /v1 calls; their POST, PATCH and DELETE must send `X-CSRF-Token`.',
        tags,
        body: CreateBrowserSessionSchema,
        response: { 201: BrowserSessionSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const input = request.body;
      checkInput(input);
      let credential: string;
      let expiresAt: string | null = null;
      if (input.apiKey !== undefined) {
        credential = input.apiKey;
      } else {
        const session = await deps.sessions.login(
          input.tenant as string,
          { login: input.login as string, password: input.password as string },
          request.ip,
        );
        if (session.passwordChangeRequired) {
          // Such a session could do nothing in the page but fail: end it and say why.
          await deps.sessions.logout(session.token);
          throw new AppError('PASSWORD_CHANGE_REQUIRED', {
            detail: 'Change the password first: POST /v1/sessions, then POST /v1/sessions/current/password',
          });
        }
        credential = session.token;
        expiresAt = session.expiresAt;
      }
      const principal = await deps.authenticate(credential);
      if (!principal) throw new AppError('UNAUTHENTICATED', { detail: 'The API key is unknown or revoked' });
      setSessionCookie(reply, credential, { secure: secure(request), ...(expiresAt ? { expiresAt } : {}) });
      return reply.code(201).send(await describe(principal, credential, String(request.id), expiresAt));
    },
  );

  app.get(
    '/browser-sessions/current',
    {
      schema: { summary: 'The signed-in browser session', tags, response: { 200: BrowserSessionSchema, ...errorResponses } },
    },
    async (request) => {
      const credential = cookieCredential(request);
      const principal = credential === undefined ? undefined : await deps.authenticate(credential);
      if (!credential || !principal)
        throw new AppError('UNAUTHENTICATED', { detail: 'No browser session; sign in with POST /v1/browser-sessions' });
      return describe(principal, credential, String(request.id), null);
    },
  );

  app.delete(
    '/browser-sessions/current',
    {
      schema: {
        summary: 'Sign the browser out',
        description: 'Clears the cookie; a password session is also ended server-side. Needs `X-CSRF-Token`.',
        tags,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      const credential = cookieCredential(request);
      if (credential !== undefined) {
        assertCsrf(request, credential);
        await deps.sessions.logout(credential);
      }
      clearSessionCookie(reply, secure(request));
      return reply.code(204).send(null);
    },
  );
};
