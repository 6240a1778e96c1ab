/**
 * The tenant role a product's free-text role names (`Admin`, `Sales Agent`), or undefined. Roster's role
 * names are lower-case slugs; a product's are display names. Tried in order: the exact name, the name
 * without case, the slug of what was sent (`Sales Agent` → `sales-agent`, accents dropped), and the slug
 * with separators ignored (`sales_agent`, `salesagent`).
 */
export function findRoleName(sent: string, names: readonly string[]): string | undefined {
  if (names.includes(sent)) return sent;
  const lower = sent.trim().toLowerCase();
  const byCase = names.find((n) => n.toLowerCase() === lower);
  if (byCase) return byCase;
  const slug = lower
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (slug === '') return undefined;
  const bare = (s: string) => s.replace(/[._-]/g, '');
  return names.find((n) => n === slug) ?? names.find((n) => bare(n) === bare(slug));
}
