import { createHmac, randomBytes } from 'node:crypto';

/** A new Standard Webhooks secret: `whsec_` and 32 random bytes in base64. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

export function isWebhookSecret(value: string): boolean {
  return /^whsec_[A-Za-z0-9+/]{24,}={0,2}$/.test(value);
}

/**
 * The Standard Webhooks headers for one message: HMAC-SHA256 over `id.timestamp.body` with the
 * base64-decoded part of the secret after `whsec_`, sent as `v1,<base64>`.
 */
export function signWebhook(secret: string, id: string, timestamp: number, body: string): Record<string, string> {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': `v1,${signature}` };
}
