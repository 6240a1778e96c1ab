import type { FastifyInstance } from 'fastify';
import { AppError, fieldError } from '../errors/app-error.js';
import { sha256Hex } from '../lib/secrets.js';
import type { IdempotencyService } from '../modules/idempotency/idempotency.service.js';
import type { TenantService } from '../modules/tenants/tenant.service.js';
import { tenantContextOf } from './auth.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route honours the Idempotency-Key header. */
    idempotent?: boolean;
  }
  interface FastifyRequest {
    idempotency?: { tenantId: string; key: string } | undefined;
  }
}

const KEY = /^[\x21-\x7E]{1,255}$/;

/**
 * Idempotency-Key on the routes that opt in: the first request with a key runs and its response is
 * kept for 24 hours; a retry with the same key and request gets that response again, marked with
 * `Idempotent-Replayed: true`, and creates nothing.
 */
export function registerIdempotency(scope: FastifyInstance, idempotency: IdempotencyService, tenants: TenantService): void {
  scope.addHook('preHandler', async (request, reply) => {
    const key = request.headers['idempotency-key'];
    if (!request.routeOptions.config.idempotent || key === undefined) return;
    if (typeof key !== 'string' || !KEY.test(key)) {
      throw new AppError('VALIDATION_FAILED', { errors: [{ ...fieldError('/idempotency-key', 'FIELD_INVALID', 'Idempotency-Key must be 1-255 visible ASCII characters'), location: 'headers' } as ReturnType<typeof fieldError>] });
    }
    const { tenantId } = await tenantContextOf(request, tenants);
    const requestHash = sha256Hex(`${request.method} ${request.url}\n${JSON.stringify(request.body ?? null)}`);
    const decision = await idempotency.begin(tenantId, key, requestHash);
    if (decision.kind === 'replay') {
      return reply.code(decision.statusCode).header('idempotent-replayed', 'true').type(decision.contentType).send(decision.body);
    }
    request.idempotency = { tenantId, key };
  });

  scope.addHook('onSend', async (request, reply, payload) => {
    const claim = request.idempotency;
    if (claim) {
      request.idempotency = undefined;
      const body = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : JSON.stringify(payload ?? null);
      await idempotency.finish(claim.tenantId, claim.key, reply.statusCode, body, String(reply.getHeader('content-type') ?? 'application/json'));
    }
    return payload;
  });
}
