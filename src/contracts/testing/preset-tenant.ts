import { cliPrincipal } from '../../cli/cli-context.js';
import type { TestApp } from '../../testing/test-app.js';

let counter = 0;

/**
 * A tenant set up the way a contract's page in docs/contracts/ says: created over HTTP with the
 * contract's preset (`POST /v1/tenants {"slug", "preset"}`), and an API key of it with `role` (default admin).
 */
export async function presetTenant(
  t: TestApp,
  preset: string,
  options: { role?: string; slug?: string } = {},
): Promise<{ tenantId: string; slug: string; seq: number; key: string }> {
  const slug = options.slug ?? `${preset}-${++counter}-${Math.random().toString(36).slice(2, 7)}`;
  const res = await t.request(t.platformKey, { method: 'POST', url: '/v1/tenants', payload: { slug, preset } });
  if (res.statusCode !== 201) throw new Error(`preset tenant: ${res.statusCode} ${res.body}`);
  const tenant = res.json() as { id: string; seq: number };
  const key = await t.core.apiKeys.createKey(cliPrincipal, tenant.id, { name: 'contract test', role: options.role ?? 'admin' });
  return { tenantId: tenant.id, slug, seq: tenant.seq, key: key.secret };
}
