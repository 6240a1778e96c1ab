import { fieldError, type FieldError } from '../../errors/app-error.js';
import { normalizeEmail } from '../../rules/email.js';
import { canonicalLocale, canonicalTimezone, countryCode } from '../../rules/locale.js';
import { checkTenantPattern } from '../../rules/tenant-pattern.js';
import { MailSenderPolicy } from '../mail/mail-sender.js';
import type { TenantSettings } from './settings.schemas.js';

function normalizeDomains(domains: string[], path: string, errors: FieldError[]): string[] {
  return domains.map((domain, i) => {
    const parsed = normalizeEmail(`x@${domain.trim()}`);
    if (!parsed) errors.push(fieldError(`${path}/${i}`, 'DOMAIN_INVALID'));
    return parsed ? parsed.normalized.slice(2) : domain;
  });
}

/**
 * Validates merged settings and returns them in canonical form (locale case, lower-case domains, upper-case region).
 * `mailSenders` is the operator's list of senders a tenant may use (ROSTER_MAIL_FROM_DOMAINS).
 */
export function normalizeSettings(
  settings: TenantSettings,
  mailSenders = new MailSenderPolicy(),
): { settings: TenantSettings; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const locale = canonicalLocale(settings.defaultLocale);
  if (!locale) errors.push(fieldError('/defaultLocale', 'LOCALE_INVALID'));
  const timezone = canonicalTimezone(settings.defaultTimezone);
  if (!timezone) errors.push(fieldError('/defaultTimezone', 'TIMEZONE_INVALID'));
  let region: string | null = null;
  if (settings.defaultPhoneRegion !== null) {
    region = countryCode(settings.defaultPhoneRegion) ?? null;
    if (!region) errors.push(fieldError('/defaultPhoneRegion', 'COUNTRY_INVALID'));
  }
  // Compiled on the linear-time engine that will evaluate it; what it cannot run is refused here.
  const patternProblem = checkTenantPattern(settings.username.pattern);
  if (patternProblem) errors.push(fieldError('/username/pattern', patternProblem.code, patternProblem.message));
  if (settings.password.minLength > settings.password.maxBytes) {
    errors.push(fieldError('/password/minLength', 'FIELD_OUT_OF_RANGE', 'minLength cannot exceed maxBytes'));
  }
  if (!mailSenders.allows(settings.mail.from)) {
    errors.push(
      fieldError(
        '/mail/from',
        'MAIL_FROM_NOT_ALLOWED',
        'mail.from must be one address in a domain the operator allows (ROSTER_MAIL_FROM_DOMAINS); the display name is free',
      ),
    );
  }
  return {
    errors,
    settings: {
      ...settings,
      defaultLocale: locale ?? settings.defaultLocale,
      defaultTimezone: timezone ?? settings.defaultTimezone,
      defaultPhoneRegion: region,
      email: {
        ...settings.email,
        allowedDomains: normalizeDomains(settings.email.allowedDomains, '/email/allowedDomains', errors),
        deniedDomains: normalizeDomains(settings.email.deniedDomains, '/email/deniedDomains', errors),
      },
    },
  };
}
