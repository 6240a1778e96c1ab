import { createRequire } from 'node:module';
import { isReservedDomain } from './reserved-domains.js';

const require = createRequire(import.meta.url);
// Maintained lists, refreshed by updating the packages: throw-away mailbox providers, and personal free-mail
// providers. Loaded on first use (tens of thousands of domains: time and memory a process that never checks
// an address, such as most CLI commands, should not pay).
let disposable: Set<string> | undefined;
let freeMail: Set<string> | undefined;

/** The domain and each parent domain (`a.b.example.com` → itself, `b.example.com`, `example.com`). */
export function domainAndParents(domain: string): string[] {
  const labels = domain.split('.');
  return labels.slice(0, -1).map((_, i) => labels.slice(i).join('.'));
}

export function isDisposableDomain(domain: string): boolean {
  disposable ??= (require('mailchecker') as { blacklist(): Set<string> }).blacklist();
  const list = disposable;
  return domainAndParents(domain).some((d) => list.has(d));
}

/** A consumer mailbox provider; the reserved documentation names (reserved-domains.ts) never are one. */
export function isFreeMailDomain(domain: string): boolean {
  freeMail ??= new Set<string>(require('email-providers/common.json') as string[]);
  return freeMail.has(domain) && !isReservedDomain(domain);
}

export function domainInList(domain: string, list: readonly string[]): boolean {
  return list.length > 0 && domainAndParents(domain).some((d) => list.includes(d));
}
