import { emailLookupKey } from './email.js';
import { usernameKey } from './username.js';

/**
 * The identifier keys a presented login can name, in the forms stored at create (userIdentifiers):
 * its username key and, when it reads as an address, its email key. Both folds remove invisible
 * characters (invisible.ts), so `boss@corp.co\u034Fm` and `admin\u3164` find `boss@corp.com` and
 * `admin`. Every login look-up, and anything keyed on "the account a login names", uses this.
 */
export function foldLogin(login: string): string[] {
  const keys = [usernameKey(login.trim()), emailLookupKey(login)];
  return [...new Set(keys.filter((k): k is string => k !== undefined && k !== ''))];
}
