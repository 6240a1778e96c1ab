import { Type } from 'typebox';
import { ProblemSchema } from './problem.js';

/** Shared OpenAPI bits: the bearer requirement and the problem response every route can give. */
export const bearer = [{ bearerAuth: [] }];
export const errorResponses = { '4xx': ProblemSchema, '5xx': ProblemSchema };
export const IdParams = Type.Object({ id: Type.String({ maxLength: 100 }) });
export const tenantHeader = Type.Object({
  'x-roster-tenant': Type.Optional(Type.String({ description: 'Tenant slug or id; required with a platform key' })),
});
