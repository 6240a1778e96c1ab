import { Type, type Static } from 'typebox';
import { eventTypes } from '../events/event.catalog.js';

const EventTypeName = Type.Union(eventTypes.map((t) => Type.Literal(t)));

export const WebhookSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    url: Type.String(),
    eventTypes: Type.Union([Type.Array(Type.String()), Type.Null()], { description: 'null: every event' }),
    description: Type.Union([Type.String(), Type.Null()]),
    active: Type.Boolean(),
    disabledReason: Type.Union([Type.String(), Type.Null()], { description: 'Why Roster turned the webhook off, if it did' }),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);
export type Webhook = Static<typeof WebhookSchema>;

export const CreatedWebhookSchema = Type.Object(
  { ...WebhookSchema.properties, secret: Type.String({ description: 'The signing secret (whsec_…). Shown in this response only.' }) },
  { additionalProperties: false },
);

export const CreateWebhookSchema = Type.Object(
  {
    url: Type.String({ maxLength: 2000, description: 'http(s) URL that receives POSTs' }),
    eventTypes: Type.Optional(
      Type.Union([Type.Array(EventTypeName, { minItems: 1, uniqueItems: true }), Type.Null()], {
        description: 'Omit or null for every event',
      }),
    ),
    secret: Type.Optional(Type.String({ maxLength: 200, description: 'Your own whsec_… secret; generated when omitted' })),
    description: Type.Optional(Type.String({ maxLength: 500 })),
    active: Type.Optional(Type.Boolean({ description: 'Default true' })),
  },
  { additionalProperties: false, examples: [{ url: 'https://hr.example.com/roster-hook', eventTypes: ['user.created', 'user.deleted'] }] },
);
export type CreateWebhookInput = Static<typeof CreateWebhookSchema>;

export const PatchWebhookSchema = Type.Object(
  {
    url: Type.Optional(CreateWebhookSchema.properties.url),
    eventTypes: Type.Optional(Type.Union([Type.Array(EventTypeName, { minItems: 1, uniqueItems: true }), Type.Null()])),
    description: Type.Optional(Type.Union([Type.String({ maxLength: 500 }), Type.Null()])),
    active: Type.Optional(Type.Boolean({ description: 'Re-activating clears disabledReason' })),
  },
  { additionalProperties: false },
);
export type PatchWebhookInput = Static<typeof PatchWebhookSchema>;

export const DeliverySchema = Type.Object(
  {
    id: Type.String(),
    eventId: Type.String(),
    eventType: Type.Union([Type.String(), Type.Null()], {
      description:
        "The event's type (`user.created`, `webhook.ping` …); null only for deliveries made before migration 0016 whose event had been purged",
    }),
    sequence: Type.Union([Type.Integer(), Type.Null()], {
      description: "The event's sequence number for its resource (as in the payload); null as eventType",
    }),
    status: Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')]),
    attempts: Type.Array(
      Type.Object({
        attempt: Type.Integer(),
        startedAt: Type.String(),
        statusCode: Type.Union([Type.Integer(), Type.Null()]),
        latencyMs: Type.Integer(),
        error: Type.Union([Type.String(), Type.Null()]),
      }),
    ),
    nextAttemptAt: Type.Union([Type.String(), Type.Null()]),
    deliveredAt: Type.Union([Type.String(), Type.Null()]),
    createdAt: Type.String(),
  },
  { additionalProperties: false },
);
export type Delivery = Static<typeof DeliverySchema>;
