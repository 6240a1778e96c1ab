import { NoTarget, ScimError, scimPatch, type ScimPatchOperation } from 'scim-patch';
import { URN } from './scim.constants.js';
import { scimError } from './scim-error.js';
import { normalizeInput } from './scim-input.js';
import type { ScimResource } from './scim-user.mapper.js';

export interface PatchOperation {
  op: 'add' | 'replace' | 'remove';
  path?: string;
  value?: unknown;
}

/**
 * A PatchOp body's operations in the RFC's form. Accepts what real providers send: capitalised
 * ops (`Replace`, from Entra ID), string booleans, and a value object without `path` whose keys
 * are paths themselves (`{"name.givenName": "Ada"}`).
 * @throws BAD_REQUEST (invalidSyntax) for a body that is not a PatchOp.
 */
export function patchOperations(body: unknown): PatchOperation[] {
  const message = normalizeInput(body) as { schemas?: unknown; Operations?: unknown };
  if (!Array.isArray(message?.schemas) || !message.schemas.includes(URN.patchOp)) throw scimError('BAD_REQUEST', 'invalidSyntax', `schemas must be ["${URN.patchOp}"]`);
  if (!Array.isArray(message.Operations) || message.Operations.length === 0) throw scimError('BAD_REQUEST', 'invalidSyntax', 'Operations must list at least one operation');
  return message.Operations.flatMap((raw: unknown): PatchOperation[] => {
    const o = raw as { op?: unknown; path?: unknown; value?: unknown };
    const op = typeof o.op === 'string' ? o.op.toLowerCase() : '';
    if (op !== 'add' && op !== 'replace' && op !== 'remove') throw scimError('BAD_REQUEST', 'invalidSyntax', `Unknown op ${JSON.stringify(o.op)}`);
    const path = typeof o.path === 'string' && o.path.trim() !== '' ? o.path.trim() : undefined;
    if (op === 'remove' && path === undefined) throw scimError('BAD_REQUEST', 'noTarget', 'remove needs a path');
    const value = path === undefined ? o.value : normalizeInput(o.value, path.split('.').pop() ?? '');
    // A path-less value whose keys are paths is a list of operations on those paths.
    if (path === undefined && typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const entries = Object.entries(value as Record<string, unknown>);
      const pathKeys = entries.filter(([k]) => k.includes('.') && !k.startsWith('urn:'));
      if (pathKeys.length > 0) {
        const rest = Object.fromEntries(entries.filter(([k]) => !pathKeys.some(([p]) => p === k)));
        return [
          ...pathKeys.map(([k, v]) => ({ op, path: k, value: normalizeInput(v, k.split('.').pop() ?? '') }) as PatchOperation),
          ...(Object.keys(rest).length > 0 ? [{ op, value: normalizeInput(rest) } as PatchOperation] : []),
        ];
      }
      return [{ op, value: normalizeInput(value) }];
    }
    return [{ op, ...(path !== undefined ? { path } : {}), ...(value !== undefined ? { value } : {}) }];
  });
}

/**
 * Applies operations to a SCIM resource with the `scim-patch` library (RFC 7644 §3.5.2: paths,
 * value filters, multi-valued attributes).
 * @throws BAD_REQUEST with `noTarget`, `invalidPath` or `invalidValue`.
 */
export function applyPatch(resource: ScimResource, operations: PatchOperation[]): ScimResource {
  try {
    return scimPatch(resource as unknown as Parameters<typeof scimPatch>[0], operations as ScimPatchOperation[], { mutateDocument: false, treatMissingAsAdd: true }) as unknown as ScimResource;
  } catch (error) {
    if (error instanceof NoTarget) throw scimError('BAD_REQUEST', 'noTarget', error.message);
    if (error instanceof ScimError) throw scimError('BAD_REQUEST', error.scimCode === 'invalidValue' ? 'invalidValue' : 'invalidPath', error.message);
    throw error;
  }
}
