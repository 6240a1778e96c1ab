import { domainToASCII } from 'node:url';
import type { FieldErrorCode } from '../errors/codes.js';
import type { EmailPolicy } from '../modules/settings/settings.schemas.js';
import { domainInList, isDisposableDomain, isFreeMailDomain } from './email-domains.js';
import { hasInvisible, withoutInvisible } from './invisible.js';
import { memoized } from './memo.js';

/** The ASCII (punycode) form of a lower-cased domain; a file's addresses share a few domains, so answers are kept. */
const asciiDomain = memoized(1000, domainToASCII);

export interface NormalizedEmail {
  /** As given, with the domain lower-cased: what the user sees. */
  display: string;
  /** Wholly lower-cased: what uniqueness and look-ups compare. */
  normalized: string;
}

// The WHATWG HTML "valid e-mail address" grammar: no quoted local parts, no comments, no display names.
const LOCAL_PART = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+$/;
const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Checks an email address and returns its display and lookup forms, or undefined when invalid.
 * Internationalised domains are accepted and compared in their ASCII (punycode) form. An address
 * with an invisible character (invisible.ts) is invalid: IDNA would silently drop U+034F, U+00AD or
 * U+FE0F from the domain, so `boss@corp.co\u034Fm` would be stored as an address it does not show.
 */
export function normalizeEmail(input: string): NormalizedEmail | undefined {
  const value = input.trim();
  if (hasInvisible(value)) return undefined;
  const at = value.lastIndexOf('@');
  if (at <= 0 || at === value.length - 1 || value.indexOf('@') !== at) return undefined;
  const local = value.slice(0, at);
  const domain = asciiDomain(value.slice(at + 1).toLowerCase());
  if (!domain || local.length > 64 || !LOCAL_PART.test(local)) return undefined;
  if (local.startsWith('.') || local.endsWith('.') || local.includes('..')) return undefined;
  const labels = domain.split('.');
  if (labels.length < 2 || !labels.every((l) => DNS_LABEL.test(l))) return undefined;
  const display = `${local}@${domain}`;
  if (display.length > 254) return undefined;
  return { display, normalized: display.toLowerCase() };
}

/**
 * The look-up form of a presented address (a login, a search), or undefined when it is not one:
 * invisible characters are removed first, so every variant of an address finds the same account.
 */
export function emailLookupKey(input: string): string | undefined {
  return normalizeEmail(withoutInvisible(input))?.normalized;
}

/** Which domain rule of the tenant an (already normalised) address breaks, if any. The deny-list wins over the allow-list. */
export function checkEmailDomain(email: string, policy: EmailPolicy): FieldErrorCode | undefined {
  const domain = email.slice(email.lastIndexOf('@') + 1).toLowerCase();
  if (domainInList(domain, policy.deniedDomains)) return 'EMAIL_DOMAIN_DENIED';
  if (policy.allowedDomains.length > 0 && !domainInList(domain, policy.allowedDomains)) return 'EMAIL_DOMAIN_NOT_ALLOWED';
  // An explicitly allowed domain is trusted even if a public list calls it disposable or free.
  if (domainInList(domain, policy.allowedDomains)) return undefined;
  if (policy.blockDisposable && isDisposableDomain(domain)) return 'EMAIL_DOMAIN_DISPOSABLE';
  if (policy.blockFreeMail && isFreeMailDomain(domain)) return 'EMAIL_DOMAIN_FREE_MAIL';
  return undefined;
}
