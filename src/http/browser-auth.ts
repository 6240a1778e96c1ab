import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors/app-error.js';

/**
 * Browsers (the admin page) authenticate with an HttpOnly cookie instead of an Authorization header,
 * so no script can read the credential. The cookie holds the credential itself (a login session
 * token or an API key); only its hash is stored server-side, as for every credential.
 */
export const SESSION_COOKIE = 'roster_session';

/** The header a cookie-authenticated request must repeat its CSRF token in, for every unsafe method. */
export const CSRF_HEADER = 'x-csrf-token';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The CSRF token of a cookie credential: derived from it, so it needs no storage and changes with the
 * session. Another site can neither read it (no CORS) nor compute it (it would need the cookie).
 */
export function csrfTokenFor(credential: string): string {
  return createHash('sha256').update(`roster-csrf\u0000${credential}`).digest('base64url');
}

/** The credential in the session cookie, if the request carries one. */
export function cookieCredential(request: FastifyRequest): string | undefined {
  const value = request.cookies?.[SESSION_COOKIE];
  return typeof value === 'string' && value.length > 0 && value.length <= 300 ? value : undefined;
}

/**
 * Cookies ride along with any request the browser makes, so an unsafe method authenticated by one
 * must prove it comes from a page of Roster's own: the CSRF header (SameSite=Strict is the first wall).
 * @throws CSRF_TOKEN_INVALID.
 */
export function assertCsrf(request: FastifyRequest, credential: string): void {
  if (SAFE_METHODS.has(request.method)) return;
  const sent = request.headers[CSRF_HEADER];
  const expected = Buffer.from(csrfTokenFor(credential));
  const given = Buffer.from(typeof sent === 'string' ? sent : '');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new AppError('CSRF_TOKEN_INVALID');
}

/** Sets the session cookie: HttpOnly, SameSite=Strict, Secure whenever the page is served over TLS. */
export function setSessionCookie(reply: FastifyReply, credential: string, options: { secure: boolean; expiresAt?: string }): void {
  reply.setCookie(SESSION_COOKIE, credential, {
    path: '/',
    httpOnly: true,
    sameSite: 'strict',
    secure: options.secure,
    ...(options.expiresAt ? { expires: new Date(options.expiresAt) } : {}),
  });
}

export function clearSessionCookie(reply: FastifyReply, secure: boolean): void {
  reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'strict', secure });
}
