import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { tenantContextOf } from '../../http/auth.js';
import { bearer, errorResponses, tenantHeader } from '../../http/route-helpers.js';
import type { TenantService } from '../tenants/tenant.service.js';
import type { MailService } from './mail.service.js';

const MailSchema = Type.Object({
  id: Type.String(),
  userId: Type.Union([Type.String(), Type.Null()]),
  kind: Type.String(),
  from: Type.String(),
  to: Type.String(),
  subject: Type.String(),
  text: Type.String(),
  status: Type.String({ description: 'pending, sent, stored (no SMTP_URL) or failed' }),
  createdAt: Type.String(),
  sentAt: Type.Union([Type.String(), Type.Null()]),
});

/** The outbox view; needs an API key. */
export const mailRoutes: FastifyPluginAsyncTypebox<{ mail: MailService; tenants: TenantService }> = async (app, { mail, tenants }) => {
  app.get(
    '/mail',
    {
      schema: {
        summary: 'Mail of the tenant',
        description:
          'Newest first. Without SMTP_URL this is where mail goes (status `stored`). Needs `settings:manage`. ' +
          'Links show their token as `[redacted]`: a live token is drawn only when the mail is handed to SMTP, and stored only hashed.',
        tags: ['Mail'],
        security: bearer,
        headers: tenantHeader,
        querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })) }, { additionalProperties: false }),
        response: { 200: Type.Object({ data: Type.Array(MailSchema) }), ...errorResponses },
      },
    },
    async (request) => ({ data: await mail.listMail(await tenantContextOf(request, tenants), request.query.limit ?? 50) }),
  );

  app.post(
    '/users/:id/password-reset',
    {
      schema: {
        summary: 'Send a user a password-reset mail',
        description:
          "Mails the user a single-use link to choose a new password (the tenant's `mail.tokenTtlHours`). Needs `users:update` and every permission " +
          "the user holds (the privilege guard), since the link changes the user's credentials. 400 when the user has no email.",
        tags: ['Mail'],
        security: bearer,
        headers: tenantHeader,
        params: Type.Object({ id: Type.String({ maxLength: 100 }) }),
        response: { 202: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await mail.sendPasswordReset(await tenantContextOf(request, tenants), request.params.id);
      return reply.code(202).send(null);
    },
  );

  app.post(
    '/users/:id/email-verification',
    {
      schema: {
        summary: 'Send a user a verification mail',
        description:
          "Mails the user a single-use link that confirms the email address (the tenant's `mail.tokenTtlHours`); earlier unused verification links stop working. " +
          'Needs `users:update`. 400 when the user has no email or it is already verified.',
        tags: ['Mail'],
        security: bearer,
        headers: tenantHeader,
        params: Type.Object({ id: Type.String({ maxLength: 100 }) }),
        response: { 202: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await mail.sendVerification(await tenantContextOf(request, tenants), request.params.id);
      return reply.code(202).send(null);
    },
  );
};

// As long as the router takes (maxParamLength): a token of any routable length is looked up and answers TOKEN_INVALID like any bad one.
const TokenParams = Type.Object({ token: Type.String({ minLength: 1, maxLength: 1000 }) });
const TenantOnly = Type.Object({ 'x-roster-tenant': Type.String({ minLength: 1, maxLength: 100 }) });

/** What mailed links lead to: no API key, the token is the credential. */
export const mailLinkRoutes: FastifyPluginAsyncTypebox<{ mail: MailService }> = async (app, { mail }) => {
  app.post(
    '/email-verifications/:token',
    {
      schema: {
        summary: 'Confirm an email address with a mailed token',
        tags: ['Mail'],
        headers: TenantOnly,
        params: TokenParams,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await mail.verifyEmail(request.headers['x-roster-tenant'], request.params.token);
      return reply.code(204).send(null);
    },
  );

  // Forgot password. The answer is 202 at once, whether the login names an account or not, and the work
  // runs after it: neither the answer nor its timing tells who has an account.
  app.post(
    '/password-resets',
    {
      schema: {
        summary: 'Forgot password: mail a reset link',
        description:
          'Always 202, at once. When `login` (email or username) names an active user with an email, a single-use set-password link is mailed ' +
          '(at most one per user a minute). Nothing says whether an account exists.',
        tags: ['Mail'],
        headers: TenantOnly,
        body: Type.Object({ login: Type.String({ minLength: 1, maxLength: 320 }) }, { additionalProperties: false }),
        response: { 202: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { login } = request.body;
      const tenant = request.headers['x-roster-tenant'];
      setImmediate(() => {
        mail
          .requestPasswordReset(tenant, login)
          .catch((error: unknown) => request.log.error({ err: error }, 'password reset request failed'));
      });
      return reply.code(202).send(null);
    },
  );

  app.post(
    '/password-setups/:token',
    {
      schema: {
        summary: 'Choose a password with a mailed token',
        description:
          'The token is checked first: unknown, used, expired and other-purpose tokens answer 400 `TOKEN_INVALID` whatever the password. ' +
          "The password must meet the tenant password policy. Ends the user's login sessions and personal access tokens.",
        tags: ['Mail'],
        headers: TenantOnly,
        params: TokenParams,
        body: Type.Object({ password: Type.String({ maxLength: 1024 }) }, { additionalProperties: false }),
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await mail.setPassword(request.headers['x-roster-tenant'], request.params.token, request.body.password);
      return reply.code(204).send(null);
    },
  );
};
