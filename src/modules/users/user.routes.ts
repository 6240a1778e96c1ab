import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { tenantContextOf } from '../../http/auth.js';
import { bearer, errorResponses, IdParams, tenantHeader } from '../../http/route-helpers.js';
import type { TenantService } from '../tenants/tenant.service.js';
import { etagOf } from './user.mapper.js';
import { CreatedUserSchema, CreateUserSchema, ListUsersQuerySchema, PatchUserSchema, UserListSchema, UserSchema } from './user.schemas.js';
import type { UserService } from './user.service.js';

export interface UserRoutesOptions {
  users: UserService;
  tenants: TenantService;
}

const tags = ['Users'];

export const userRoutes: FastifyPluginAsyncTypebox<UserRoutesOptions> = async (app, { users, tenants }) => {
  app.post(
    '/users',
    {
      config: { idempotent: true },
      schema: {
        summary: 'Create a user',
        description:
          'Needs `users:create` (and `users:set-active` for `active: false`). Every field error is reported at once. Honours `Idempotency-Key`: a retry with the same key and body replays the first response (`Idempotent-Replayed: true`).',
        tags,
        security: bearer,
        headers: tenantHeader,
        body: CreateUserSchema,
        response: { 201: CreatedUserSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const user = await users.createUser(await tenantContextOf(request, tenants), request.body);
      return reply.code(201).header('location', `/v1/users/${user.id}`).header('etag', etagOf(user)).send(user);
    },
  );

  app.get(
    '/users',
    {
      schema: {
        summary: 'List users',
        description: 'Live users in creation order. Filters are exact matches; email and username compare case-insensitively.',
        tags,
        security: bearer,
        headers: tenantHeader,
        querystring: ListUsersQuerySchema,
        response: { 200: UserListSchema, ...errorResponses },
      },
    },
    async (request) => users.listUsers(await tenantContextOf(request, tenants), request.query),
  );

  app.get(
    '/users/:id',
    {
      schema: {
        summary: 'Get a user',
        tags,
        security: bearer,
        headers: tenantHeader,
        params: IdParams,
        response: { 200: UserSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const user = await users.getUser(await tenantContextOf(request, tenants), request.params.id);
      return reply.header('etag', etagOf(user)).send(user);
    },
  );

  app.patch(
    '/users/:id',
    {
      schema: {
        summary: 'Update a user (JSON Merge Patch)',
        description:
          'Send `If-Match` with the ETag to update only that version (412 otherwise). Changing `active` needs `users:set-active`.',
        tags,
        security: bearer,
        params: IdParams,
        body: PatchUserSchema,
        headers: Type.Object({ ...tenantHeader.properties, 'if-match': Type.Optional(Type.String({ maxLength: 100 })) }),
        response: { 200: UserSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const ctx = await tenantContextOf(request, tenants);
      const user = await users.updateUser(ctx, request.params.id, request.body, request.headers['if-match']);
      return reply.header('etag', etagOf(user)).send(user);
    },
  );

  app.delete(
    '/users/:id',
    {
      schema: {
        summary: 'Delete a user',
        description: 'Soft delete: the record is kept for audit and its email and username can be used again at once.',
        tags,
        security: bearer,
        headers: tenantHeader,
        params: IdParams,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await users.deleteUser(await tenantContextOf(request, tenants), request.params.id);
      return reply.code(204).send(null);
    },
  );
};
