/** Every event type Roster emits. Webhooks subscribe to these names (or to all). */
export const eventTypes = [
  'user.created',
  'user.updated',
  'user.deleted',
  'user.activated',
  'user.deactivated',
  'user.password_changed',
  'user.roles_updated',
  'user.groups_updated',
  /** An admin signed the user out everywhere (DELETE /v1/users/:id/sessions). */
  'user.sessions_ended',
  'role.created',
  'role.updated',
  'role.deleted',
  'group.created',
  'group.updated',
  'group.deleted',
  'api_key.created',
  /** Renamed or given another role (PATCH /v1/api-keys/:id). */
  'api_key.updated',
  'api_key.deleted',
  'webhook.created',
  'webhook.updated',
  'webhook.deleted',
  'webhook.disabled',
  'import.completed',
  // Pulse's name for a created user, recorded beside user.created for users created through /compat/pulse.
  'user_created',
] as const;

export type EventType = (typeof eventTypes)[number];

/** An event about to be recorded: its resource and the resource's API representation. */
export interface NewEvent {
  /** `webhook.ping` is recorded like any event but only delivered to the webhook pinged. */
  type: EventType | 'webhook.ping';
  resourceType: string;
  resourceId: string;
  data: unknown;
  /** The request that caused it, when not the actor's (single creates written as one batch). */
  requestId?: string;
}
