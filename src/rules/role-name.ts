/** What a role is known by: its name (a lower-case slug) and, optionally, the display name people use. */
export interface RoleNames {
  name: string;
  displayName?: string | null;
}

/**
 * The tenant role a product's free-text role names (`Admin`, `Sales Agent`), or undefined. Roster's role
 * names are lower-case slugs; a product's are display names. Tried in order: the exact name, the name
 * without case, the display name without case, the slug of what was sent (`Sales Agent` → `sales-agent`,
 * accents dropped), and the slug with separators ignored (`sales_agent`, `salesagent`).
 */
export function findRoleName(sent: string, roles: readonly RoleNames[]): string | undefined {
  if (roles.some((r) => r.name === sent)) return sent;
  const lower = sent.trim().toLowerCase();
  const byCase = roles.find((r) => r.name.toLowerCase() === lower) ?? roles.find((r) => r.displayName?.trim().toLowerCase() === lower);
  if (byCase) return byCase.name;
  const slug = lower
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (slug === '') return undefined;
  const bare = (s: string) => s.replace(/[._-]/g, '');
  return (roles.find((r) => r.name === slug) ?? roles.find((r) => bare(r.name) === bare(slug)))?.name;
}
