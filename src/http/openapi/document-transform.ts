import type { SwaggerTransformObject } from '@fastify/swagger';
import { PROBLEM_CONTENT_TYPE } from '../problem.js';

/**
 * Finishing touches on the whole generated document, for what a route schema cannot say: native errors
 * are served as `application/problem+json` and share one `Problem` schema (generated clients get one
 * type for them), and SCIM errors are SCIM Error messages.
 */

interface Response {
  description?: string;
  content?: Record<string, unknown>;
}
interface Operation {
  responses?: Record<string, Response>;
}
type Document = { paths?: Record<string, Record<string, Operation>>; components?: { schemas?: Record<string, unknown> } } & Record<
  string,
  unknown
>;

const PROBLEM_REF = { $ref: '#/components/schemas/Problem' };

const SCIM_ERROR = {
  description: 'SCIM Error message (RFC 7644 §3.12), as application/scim+json',
  content: {
    'application/scim+json': {
      schema: {
        type: 'object',
        required: ['schemas', 'status'],
        properties: {
          schemas: { type: 'array', items: { type: 'string', const: 'urn:ietf:params:scim:api:messages:2.0:Error' } },
          status: { type: 'string', description: 'The HTTP status, as a string' },
          scimType: { type: 'string' },
          detail: { type: 'string' },
        },
      },
    },
  },
};

/** The error responses built from ProblemSchema (src/http/route-helpers.ts) say so in their description. */
function isProblem(response: Response): boolean {
  return Boolean(response.description?.startsWith('RFC 9457') && response.content?.['application/json']);
}

export const transformDocument: SwaggerTransformObject = (documentObject) => {
  if (!('openapiObject' in documentObject)) return documentObject.swaggerObject;
  const document = documentObject.openapiObject as Document;
  let problem: string | undefined;
  const shareProblem = (media: { schema?: unknown }) => {
    const text = JSON.stringify(media.schema);
    problem ??= text;
    return text === problem ? { ...media, schema: PROBLEM_REF } : media;
  };
  for (const [path, operations] of Object.entries(document.paths ?? {})) {
    for (const operation of Object.values(operations)) {
      const responses = operation.responses ?? {};
      for (const response of Object.values(responses)) {
        if (isProblem(response))
          response.content = { [PROBLEM_CONTENT_TYPE]: shareProblem(response.content!['application/json'] as { schema?: unknown }) };
      }
      if (path.startsWith('/scim/v2/') && !Object.keys(responses).some((status) => status.startsWith('4'))) {
        operation.responses = { ...responses, '4XX': SCIM_ERROR };
      }
    }
  }
  if (problem !== undefined)
    document.components = { ...document.components, schemas: { ...document.components?.schemas, Problem: JSON.parse(problem) as unknown } };
  return documentObject.openapiObject;
};
