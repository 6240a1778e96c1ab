import { Type, type Static } from 'typebox';

export const EventResourceSchema = Type.Object(
  {
    id: Type.String({ description: 'Also the webhook-id of its deliveries' }),
    type: Type.String(),
    tenantId: Type.String(),
    occurredAt: Type.String({ format: 'date-time' }),
    actor: Type.Object({
      type: Type.String({ description: 'api_key, cli, …' }),
      id: Type.Union([Type.String(), Type.Null()]),
      requestId: Type.Union([Type.String(), Type.Null()]),
    }),
    resource: Type.Object({ type: Type.String(), id: Type.String() }),
    sequence: Type.Integer({
      minimum: 0,
      description:
        'Per tenant and resource 1, 2, 3 … in the order the changes happened; a receiver that saw a higher number for this resource can drop this event (see docs/webhooks.md)',
    }),
    data: Type.Unknown({ description: 'The resource as the API returns it' }),
  },
  { additionalProperties: false },
);
export type EventResource = Static<typeof EventResourceSchema>;

export const ListEventsQuerySchema = Type.Object(
  {
    type: Type.Optional(Type.String({ maxLength: 100 })),
    actorId: Type.Optional(Type.String({ maxLength: 100 })),
    resourceId: Type.Optional(Type.String({ maxLength: 100 })),
    since: Type.Optional(Type.String({ format: 'date-time' })),
    until: Type.Optional(Type.String({ format: 'date-time' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
    cursor: Type.Optional(Type.String({ maxLength: 100 })),
    order: Type.Optional(
      Type.Union([Type.Literal('asc'), Type.Literal('desc')], {
        description: '`asc` (default): oldest first; `desc`: newest first. `nextCursor` pages on in the same order.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type ListEventsQuery = Static<typeof ListEventsQuerySchema>;

export const EventListSchema = Type.Object({ data: Type.Array(EventResourceSchema), nextCursor: Type.Union([Type.String(), Type.Null()]) });
export type EventList = Static<typeof EventListSchema>;
