import { AppError } from '../errors/app-error.js';
import type { TenantContext } from '../modules/context.js';
import { MAX_INPUT_DEPTH } from '../lib/safe-input.js';
import { LIMITS, URN } from './scim.constants.js';
import { scimError, toScimError } from './scim-error.js';
import { normalizeInput, tooDeep } from './scim-input.js';
import type { ScimGroups } from './scim-groups.service.js';
import type { ScimResult, ScimUsers } from './scim-users.service.js';

interface BulkOperation {
  method?: unknown;
  bulkId?: unknown;
  path?: unknown;
  data?: unknown;
  version?: unknown;
}

/** Replaces every `bulkId:<id>` string (whole, or as a path segment) with the id it created. */
function resolveReferences(value: unknown, created: Map<string, string>, depth = 0): unknown {
  if (typeof value === 'string') {
    return value.replace(/bulkId:([^/"\s]+)/g, (_whole, ref: string) => {
      const id = created.get(ref);
      if (id === undefined) throw scimError('VALIDATION_FAILED', 'invalidValue', `bulkId "${ref}" was not created by an earlier operation`);
      return id;
    });
  }
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= MAX_INPUT_DEPTH) throw tooDeep();
  if (Array.isArray(value)) return value.map((v) => resolveReferences(v, created, depth + 1));
  // Object.fromEntries defines own members (no prototype setter), on input normalizeInput has checked.
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveReferences(v, created, depth + 1)]));
}

/**
 * /Bulk (RFC 7644 §3.7): operations in order, `bulkId` references resolved from earlier creates,
 * processing stopped once `failOnErrors` errors happened. Each operation runs through the same
 * service calls as its single request.
 * @throws BATCH_TOO_LARGE over the advertised maxOperations; BAD_REQUEST (invalidSyntax).
 */
export async function runBulk(ctx: TenantContext, body: unknown, users: ScimUsers, groups: ScimGroups): Promise<ScimResult> {
  const request = normalizeInput(body) as { schemas?: unknown; Operations?: unknown; failOnErrors?: unknown };
  if (!Array.isArray(request?.schemas) || !request.schemas.includes(URN.bulkRequest))
    throw scimError('BAD_REQUEST', 'invalidSyntax', `schemas must be ["${URN.bulkRequest}"]`);
  if (!Array.isArray(request.Operations)) throw scimError('BAD_REQUEST', 'invalidSyntax', 'Operations must be an array');
  if (request.Operations.length > LIMITS.bulkMaxOperations) {
    throw new AppError('BATCH_TOO_LARGE', {
      detail: `At most ${LIMITS.bulkMaxOperations} operations per bulk request`,
      details: { limit: LIMITS.bulkMaxOperations },
    });
  }
  const failOnErrors = typeof request.failOnErrors === 'number' && request.failOnErrors > 0 ? request.failOnErrors : Infinity;
  const created = new Map<string, string>();
  const results: Array<Record<string, unknown>> = [];
  let errors = 0;
  for (const raw of request.Operations as BulkOperation[]) {
    if (errors >= failOnErrors) break;
    const method = typeof raw.method === 'string' ? raw.method.toUpperCase() : '';
    const bulkId = typeof raw.bulkId === 'string' ? raw.bulkId : undefined;
    try {
      const path = resolveReferences(raw.path, created);
      const data = resolveReferences(raw.data, created);
      const match = typeof path === 'string' ? /^\/(Users|Groups)(?:\/([^/?]+))?$/i.exec(path) : null;
      if (!match) throw scimError('BAD_REQUEST', 'invalidPath', `Unsupported bulk path ${JSON.stringify(path)}`);
      const service = (match[1] as string).toLowerCase() === 'users' ? users : groups;
      const id = match[2];
      const version = typeof raw.version === 'string' ? raw.version : undefined;
      let result: ScimResult;
      if (method === 'POST' && id === undefined) {
        if (bulkId === undefined) throw scimError('BAD_REQUEST', 'invalidSyntax', 'A POST operation needs a bulkId');
        result = await service.create(ctx, data);
        created.set(bulkId, (result.body as { id: string }).id);
      } else if (method === 'PUT' && id) result = await service.replace(ctx, id, data, version);
      else if (method === 'PATCH' && id) result = await service.patch(ctx, id, data, version);
      else if (method === 'DELETE' && id) result = await service.delete(ctx, id, version);
      else throw scimError('BAD_REQUEST', 'invalidSyntax', `Unsupported bulk operation ${method} ${String(path)}`);
      results.push({
        method,
        ...(bulkId ? { bulkId } : {}),
        ...(result.location ? { location: result.location } : {}),
        ...(result.version ? { version: result.version } : {}),
        status: String(result.status),
      });
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      errors += 1;
      const rendered = toScimError(error);
      results.push({ method, ...(bulkId ? { bulkId } : {}), status: String(rendered.status), response: rendered.body });
    }
  }
  return { status: 200, body: { schemas: [URN.bulkResponse], Operations: results } };
}
