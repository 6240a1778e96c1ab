// The machine's ceiling for "a create over HTTP": a minimal Fastify route that parses the same JSON body
// and answers 201 with a similar JSON resource, and does nothing else. Prints its port when listening.
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.post('/v1/users', async (request, reply) => {
  const body = request.body;
  const now = new Date().toISOString();
  return reply.code(201).send({
    id: randomUUID(),
    email: body.email ?? null,
    username: null,
    givenName: body.givenName ?? null,
    familyName: body.familyName ?? null,
    displayName: null,
    locale: 'en',
    timezone: 'UTC',
    active: true,
    emailVerified: false,
    roles: ['user'],
    groups: [],
    attributes: {},
    createdAt: now,
    updatedAt: now,
    version: 1,
  });
});
await app.listen({ host: '127.0.0.1', port: Number(process.argv[2] ?? 0) });
console.log(app.server.address().port);
