import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
// Maintained lists, refreshed by updating the packages: throw-away mailbox providers, and personal free-mail providers.
const disposable: Set<string> = (require('mailchecker') as { blacklist(): Set<string> }).blacklist();
const freeMail = new Set<string>(require('email-providers/common.json') as string[]);

/** The domain and each parent domain (`a.b.example.com` → itself, `b.example.com`, `example.com`). */
export function domainAndParents(domain: string): string[] {
  const labels = domain.split('.');
  return labels.slice(0, -1).map((_, i) => labels.slice(i).join('.'));
}

export function isDisposableDomain(domain: string): boolean {
  return domainAndParents(domain).some((d) => disposable.has(d));
}

export function isFreeMailDomain(domain: string): boolean {
  return freeMail.has(domain);
}

export function domainInList(domain: string, list: readonly string[]): boolean {
  return list.length > 0 && domainAndParents(domain).some((d) => list.includes(d));
}
