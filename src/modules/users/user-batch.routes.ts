import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError } from '../../errors/app-error.js';
import { tenantContextOf } from '../../http/auth.js';
import { toProblem } from '../../http/problem.js';
import { bearer, errorResponses, tenantHeader } from '../../http/route-helpers.js';
import { compileBodyValidator } from '../../lib/json-schema.js';
import type { TenantService } from '../tenants/tenant.service.js';
import { BatchCreateSchema, BatchResultSchema, CreateUserSchema, type BatchResult, type CreateUserInput } from './user.schemas.js';
import type { UserService } from './user.service.js';

const validateItem = compileBodyValidator(CreateUserSchema);

/** A batch item's error: the problem document of a single create, without the request id. */
function itemError(error: AppError) {
  const {
    requestId: _requestId,
    type: _type,
    ...problem
  } = toProblem(error.code, '', { detail: error.message, errors: error.errors, ...(error.details ? { details: error.details } : {}) });
  return problem;
}

export const userBatchRoutes: FastifyPluginAsyncTypebox<{ users: UserService; tenants: TenantService; bodyLimit: number }> = async (
  app,
  { users, tenants, bodyLimit },
) => {
  app.post(
    '/users/batch',
    {
      bodyLimit,
      config: { idempotent: true, itemizedBody: true },
      schema: {
        summary: 'Create up to 1000 users at once',
        description:
          'Each user goes through the same rules as POST /v1/users. `partial` creates the valid ones; `atomic` creates all or none. ' +
          'Duplicates inside the batch fail the later item. One result per item, in request order. Over the tenant `batch.maxSize` → 413. Honours `Idempotency-Key`.',
        tags: ['Users'],
        security: bearer,
        headers: tenantHeader,
        body: BatchCreateSchema,
        response: { 200: BatchResultSchema, ...errorResponses },
      },
    },
    async (request): Promise<BatchResult> => {
      const ctx = await tenantContextOf(request, tenants);
      const mode = request.body.mode ?? 'partial';
      await users.assertBatchSize(ctx, request.body.users.length);
      // Malformed items fail on their own, like a single create would, instead of failing the whole batch.
      const items = request.body.users.map((item): CreateUserInput | AppError => {
        const errors = validateItem(item);
        return errors ? new AppError('VALIDATION_FAILED', { errors }) : (item as CreateUserInput);
      });
      const outcomes = await users.createUsers(ctx, items, { mode });
      const results = outcomes.map((o) => ({
        index: o.index,
        status: o.status === 'valid' ? ('skipped' as const) : o.status,
        ...(o.user ? { user: o.user } : {}),
        ...(o.error ? { error: itemError(o.error) } : {}),
      }));
      const count = (status: string) => results.filter((r) => r.status === status).length;
      return { mode, total: results.length, created: count('created'), failed: count('failed'), skipped: count('skipped'), results };
    },
  );
};
