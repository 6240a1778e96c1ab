import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError } from '../../errors/app-error.js';
import { compileBodyValidator } from '../../lib/json-schema.js';
import { bearerAuth, contractContext, dotted, useContractErrors, type ContractOptions } from '../shared/contract-plugin.js';
import { failedResult, toCertificationError, toCreateInput, type MappedItem } from './certification.mapper.js';
import {
  CertificationAuthError,
  CertificationBody,
  CertificationResult,
  CertificationUserSchema,
  type CertificationResultBody,
  type CertificationUser,
} from './certification.schemas.js';

const validateItem = compileBodyValidator(CertificationUserSchema);
const MAX_USERS = 1000;

/**
 * The certification platform's Create Users (seed 003) at /compat/certification: one user or up to
 * 1000, each processed on its own through the batch create path (partial mode).
 */
export const certificationRoutes: FastifyPluginAsyncTypebox<ContractOptions> = async (app, { core, config }) => {
  useContractErrors(app, toCertificationError);

  app.post(
    '/users',
    {
      bodyLimit: config.batchBodyLimitBytes,
      // Items are checked one by one below, so one bad user fails alone instead of the whole request.
      attachValidation: true,
      schema: {
        summary: 'Create users (certification platform)',
        description:
          'One user object or an array of up to 1000. 200 when at least one was created, 400 (same body) when none was. See docs/contracts/certification.md.',
        tags: ['Contract: Certification'],
        security: [{ bearerAuth: [] }],
        body: CertificationBody,
        response: { 200: CertificationResult, 400: CertificationResult, '4xx': CertificationAuthError, '5xx': CertificationAuthError },
      },
      onRequest: bearerAuth(core.authenticate, 'A valid Bearer token is required'),
    },
    async (request, reply) => {
      const { ctx } = await contractContext(request, core, 'x-roster-tenant');
      const body: unknown = request.body;
      if (typeof body !== 'object' || body === null || (Array.isArray(body) && body.length === 0)) {
        throw request.validationError ?? new AppError('VALIDATION_FAILED', { detail: 'Send a user object or an array of users' });
      }
      const raw: unknown[] = Array.isArray(body) ? body : [body];
      if (raw.length > MAX_USERS)
        throw new AppError('BATCH_TOO_LARGE', { detail: `At most ${MAX_USERS} users per request`, details: { limit: MAX_USERS } });
      await core.users.assertBatchSize(ctx, raw.length);

      const mapped: Array<MappedItem | AppError> = raw.map((item) => {
        const errors = validateItem(item);
        return errors ? new AppError('VALIDATION_FAILED', { errors }) : toCreateInput(item as CertificationUser);
      });
      const outcomes = await core.users.createUsers(
        ctx,
        mapped.map((m) => (m instanceof AppError ? m : m.input)),
        { mode: 'partial', asSent: ['phone'], freeTextRoles: true },
      );

      const result: CertificationResultBody = {
        totalProcessed: raw.length,
        successCount: 0,
        failureCount: 0,
        successResults: [],
        failedResults: [],
      };
      for (const outcome of outcomes) {
        const item = raw[outcome.index] as Partial<CertificationUser> | undefined;
        const m = mapped[outcome.index];
        if (outcome.status === 'created' && outcome.user) {
          result.successResults.push({
            index: outcome.index,
            id: outcome.user.id,
            userName: outcome.user.username,
            email: outcome.user.email,
          });
        } else if (outcome.error) {
          const fieldOf = m instanceof AppError || m === undefined ? dotted : m.fieldOf;
          result.failedResults.push(failedResult(outcome.index, item, outcome.error, fieldOf));
        }
      }
      result.successCount = result.successResults.length;
      result.failureCount = result.failedResults.length;
      return reply.code(result.successCount > 0 ? 200 : 400).send(result);
    },
  );
};
