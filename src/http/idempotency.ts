import type { FastifyInstance } from 'fastify';
import { AppError, fieldError } from '../errors/app-error.js';
import { isDatabaseUnavailable } from '../db/errors.js';
import { sha256Hex } from '../lib/secrets.js';
import type { IdempotencyClaim, IdempotencyService } from '../modules/idempotency/idempotency.service.js';
import type { TenantService } from '../modules/tenants/tenant.service.js';
import { principalOf, tenantContextOf } from './auth.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route honours the Idempotency-Key header. */
    idempotent?: boolean;
  }
  interface FastifyRequest {
    idempotency?: IdempotencyClaim | undefined;
  }
}

const KEY = /^[\x21-\x7E]{1,255}$/;

/**
 * Idempotency-Key on the routes that opt in: the first request with a key runs and its response is
 * kept for 24 hours; a retry by the same credential with the same key and request gets that response
 * again, marked with `Idempotent-Replayed: true`, and creates nothing. Keys are per credential (API key,
 * signed-in user): another credential's request with the same key runs on its own. A replay is refused
 * (403) once the credential lacks a permission it held when it made the request; 401/403 answers are
 * not kept; one-time secrets (`generatedPassword`) are not kept either, and their replay leaves them
 * out, naming them in `Idempotent-Omitted`.
 */
export function registerIdempotency(scope: FastifyInstance, idempotency: IdempotencyService, tenants: TenantService): void {
  scope.addHook('preHandler', async (request, reply) => {
    const key = request.headers['idempotency-key'];
    if (!request.routeOptions.config.idempotent || key === undefined) return;
    if (typeof key !== 'string' || !KEY.test(key)) {
      throw new AppError('VALIDATION_FAILED', {
        errors: [
          {
            ...fieldError('/idempotency-key', 'FIELD_INVALID', 'Idempotency-Key must be 1-255 visible ASCII characters'),
            location: 'headers',
          } as ReturnType<typeof fieldError>,
        ],
      });
    }
    // Authenticated (onRequest) and allowed in the tenant (here) before any stored answer is looked at.
    const { tenantId } = await tenantContextOf(request, tenants);
    const requestHash = sha256Hex(`${request.method} ${request.url}\n${JSON.stringify(request.body ?? null)}`);
    const decision = await idempotency.begin(tenantId, principalOf(request), key, requestHash);
    if (decision.kind === 'replay') {
      if (decision.omitted.length > 0) reply.header('idempotent-omitted', decision.omitted.join(', '));
      return reply.code(decision.statusCode).header('idempotent-replayed', 'true').type(decision.contentType).send(decision.body);
    }
    request.idempotency = decision.claim;
  });

  scope.addHook('onSend', async (request, reply, payload) => {
    const claim = request.idempotency;
    if (claim) {
      request.idempotency = undefined;
      const body =
        typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : JSON.stringify(payload ?? null);
      const contentType = String(reply.getHeader('content-type') ?? 'application/json');
      try {
        await idempotency.finish(claim, reply.statusCode, body, contentType);
      } catch (error) {
        // The database went away after the work was done or refused (a failover): the answer is sent as it
        // is and recorded once the database is back, so a retry across the failover answers the same.
        if (!isDatabaseUnavailable(error)) throw error;
        idempotency.finishLater(claim, reply.statusCode, body, contentType);
      }
    }
    return payload;
  });
}
