import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AppError } from '../../errors/app-error.js';
import { errorResponses } from '../../http/route-helpers.js';
import { LoginSchema, SessionSchema } from './session.schemas.js';
import type { SessionService } from './session.service.js';

export const sessionRoutes: FastifyPluginAsyncTypebox<{ sessions: SessionService }> = async (app, { sessions }) => {
  app.post('/sessions', {
    schema: {
      summary: 'Log in with a password',
      description:
        'No API key: the tenant is named in `X-Roster-Tenant`. Failed attempts are limited per account and per client address (429 with Retry-After). ' +
        'Imported password hashes are verified and upgraded to argon2id.',
      tags: ['Sessions'],
      headers: Type.Object({ 'x-roster-tenant': Type.String({ minLength: 1, maxLength: 100 }) }),
      body: LoginSchema,
      response: { 201: SessionSchema, ...errorResponses },
    },
  }, async (request, reply) => {
    try {
      const session = await sessions.login(request.headers['x-roster-tenant'], request.body, request.ip);
      return await reply.code(201).send(session);
    } catch (error) {
      if (error instanceof AppError && error.code === 'TOO_MANY_ATTEMPTS') reply.header('retry-after', String(error.details?.retryAfter ?? 60));
      throw error;
    }
  });
};
