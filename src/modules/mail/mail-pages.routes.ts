import formbody from '@fastify/formbody';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { AppError } from '../../errors/app-error.js';
import type { MailService } from './mail.service.js';

/** Text made safe to place in HTML, attributes included. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// No script, no style, no third party: the strictest policy a plain form can live with.
const PAGE_HEADERS = {
  'content-security-policy': "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

function page(reply: FastifyReply, status: number, title: string, body: string): FastifyReply {
  const html =
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<title>${escapeHtml(title)}</title></head><body><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`;
  return reply.code(status).headers(PAGE_HEADERS).type('text/html; charset=utf-8').send(html);
}

const hidden = (tenant: string, token: string) =>
  `<input type="hidden" name="tenant" value="${escapeHtml(tenant)}"><input type="hidden" name="token" value="${escapeHtml(token)}">`;

type LinkQuery = { tenant?: string; token?: string };
type PasswordForm = LinkQuery & { password?: string; confirm?: string };

/** A failed token or password as a sentence for the page, without saying more than the API does. */
function problemText(error: unknown): string {
  if (!(error instanceof AppError) || error.status >= 500) throw error;
  const fields = error.errors.map((e) => e.message);
  return fields.length > 0 ? fields.join('. ') : error.message;
}

/**
 * The pages mailed links open (`/set-password`, `/verify-email`): plain HTML forms that post back to
 * these routes, which call the same mail service as `POST /v1/password-setups/:token` and
 * `POST /v1/email-verifications/:token`. Opening a link changes nothing; only the form's button
 * uses the token, so link scanners in mail systems cannot spend it.
 */
export const mailPageRoutes: FastifyPluginAsync<{ mail: MailService }> = async (app, { mail }) => {
  await app.register(formbody, { bodyLimit: 16 * 1024 });

  // The token arrives once in the mailed link's query; from there it travels only in form bodies: no page
  // links to a URL holding it, so it reaches no further request log, history entry or Referer.
  const passwordForm = (tenant: string, token: string, alert?: string) =>
    (alert === undefined ? '' : `<p role="alert">${escapeHtml(alert)}</p>`) +
    `<form method="post" action="/set-password">${hidden(tenant, token)}` +
    `<p><label for="password">New password</label><br><input id="password" name="password" type="password" autocomplete="new-password" required autofocus></p>` +
    `<p><label for="confirm">Repeat it</label><br><input id="confirm" name="confirm" type="password" autocomplete="new-password" required></p>` +
    `<p><button type="submit">Save password</button></p></form>`;

  app.get('/set-password', { schema: { hide: true } }, async (request, reply) => {
    const { tenant = '', token = '' } = request.query as LinkQuery;
    return page(reply, 200, 'Choose your password', passwordForm(tenant, token));
  });

  app.post('/set-password', { schema: { hide: true } }, async (request, reply) => {
    const { tenant = '', token = '', password = '', confirm = '' } = (request.body ?? {}) as PasswordForm;
    try {
      // The token first, as the API does: a bad link says so whatever was typed.
      if (password !== confirm) await mail.checkPasswordToken(tenant, token);
      else await mail.setPassword(tenant, token, password);
    } catch (error) {
      const text = problemText(error);
      // A dead link gets no form to try again with; a refused password gets the form back, token still in the body.
      const body =
        error instanceof AppError && error.code === 'TOKEN_INVALID'
          ? `<p role="alert">${escapeHtml(text)}</p>`
          : passwordForm(tenant, token, text);
      return page(reply, 400, 'Choose your password', body);
    }
    if (password !== confirm) return page(reply, 400, 'Choose your password', passwordForm(tenant, token, 'The two passwords differ.'));
    return page(reply, 200, 'Password saved', '<p>You can now sign in with your new password.</p>');
  });

  app.get('/verify-email', { schema: { hide: true } }, async (request, reply) => {
    const { tenant = '', token = '' } = request.query as LinkQuery;
    return page(
      reply,
      200,
      'Confirm your email address',
      `<form method="post" action="/verify-email">${hidden(tenant, token)}<p><button type="submit">Confirm my address</button></p></form>`,
    );
  });

  app.post('/verify-email', { schema: { hide: true } }, async (request, reply) => {
    const { tenant = '', token = '' } = (request.body ?? {}) as LinkQuery;
    try {
      await mail.verifyEmail(tenant, token);
    } catch (error) {
      return page(reply, 400, 'Confirm your email address', `<p role="alert">${escapeHtml(problemText(error))}</p>`);
    }
    return page(reply, 200, 'Address confirmed', '<p>Thank you: your email address is confirmed.</p>');
  });
};
