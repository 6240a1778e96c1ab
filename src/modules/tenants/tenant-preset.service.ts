import type { Executor } from '../../db/database.js';
import { newId } from '../../lib/ids.js';
import { nowIso } from '../../lib/time.js';
import { insertMany } from '../roles/role.repository.js';
import { TENANT_PRESETS, type TenantPreset } from './tenant-presets.js';

/** The preset of that name, or undefined. */
export function presetNamed(name: string): TenantPreset | undefined {
  return Object.hasOwn(TENANT_PRESETS, name) ? (TENANT_PRESETS as Record<string, TenantPreset>)[name] : undefined;
}

/** The preset's roles, without permissions (a permission is granted by an admin who holds it, as always). */
export async function createPresetRoles(db: Executor, tenantId: string, preset: TenantPreset): Promise<void> {
  const createdAt = nowIso();
  await insertMany(
    db,
    preset.roles.map((r) => ({
      tenantId,
      id: newId(),
      name: r.name,
      description: r.description,
      permissions: '[]',
      builtin: false,
      createdAt,
    })),
  );
}
