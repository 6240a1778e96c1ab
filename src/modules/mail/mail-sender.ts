import { domainToASCII } from 'node:url';
import { defaultPolicies } from '../settings/settings.defaults.js';

/** A parsed `mail.from`: a display name (maybe empty) and one address. */
export interface Sender {
  name: string;
  address: string;
  /** Lower-case ASCII (punycode) form, as allow-lists compare it. */
  domain: string;
}

const LOCAL_PART = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}$/;
const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** A domain in the form allow-lists compare (lower-case ASCII), or undefined when it is not a domain name. */
export function senderDomain(input: string): string | undefined {
  const domain = domainToASCII(input.trim().toLowerCase());
  return domain && domain.length <= 253 && domain.split('.').every((label) => DNS_LABEL.test(label)) ? domain : undefined;
}

/**
 * `Name <local@domain>`, `"Name" <local@domain>` or `local@domain`; one address only (no lists, groups or
 * comments), so what is checked is what is sent. Single-label domains (`localhost`) are accepted: the
 * built-in sender uses one.
 */
export function parseSender(from: string): Sender | undefined {
  const value = from.trim();
  const bracketed = /^(.*?)\s*<([^<>]*)>$/s.exec(value);
  const rawName = bracketed ? (bracketed[1] as string).trim() : '';
  const rawAddress = bracketed ? (bracketed[2] as string).trim() : value;
  if (/[<>]/.test(rawName)) return undefined;
  const name = rawName.length >= 2 && rawName.startsWith('"') && rawName.endsWith('"') ? rawName.slice(1, -1) : rawName;
  const at = rawAddress.lastIndexOf('@');
  if (at <= 0) return undefined;
  const local = rawAddress.slice(0, at);
  const domain = senderDomain(rawAddress.slice(at + 1));
  if (!LOCAL_PART.test(local) || !domain) return undefined;
  return { name, address: `${local}@${domain}`, domain };
}

/** The built-in sender every tenant starts with: the operator's own address. */
const OPERATOR_SENDER = parseSender(defaultPolicies.mail.from) as Sender;

/**
 * Which senders a tenant may put in `mail.from` (ROSTER_MAIL_FROM_DOMAINS): the operator's own address
 * under any display name, and addresses in the allowed domains. Otherwise a tenant admin could make
 * the operator's SMTP relay mail "from" any bank or colleague.
 */
export class MailSenderPolicy {
  readonly #domains: ReadonlySet<string>;

  /** @param allowedDomains undefined: the operator sender's own domain only. */
  constructor(allowedDomains?: readonly string[]) {
    this.#domains = new Set(
      (allowedDomains ?? [OPERATOR_SENDER.domain]).map((d) => senderDomain(d)).filter((d): d is string => d !== undefined),
    );
  }

  /** Whether a tenant may send as `from`. */
  allows(from: string): boolean {
    const sender = parseSender(from);
    return sender !== undefined && (sender.address === OPERATOR_SENDER.address || this.#domains.has(sender.domain));
  }

  /**
   * The sender to use for a stored `from` at send time: itself while allowed; otherwise (the operator
   * has since narrowed the list, or it was stored before the check) its display name with the
   * operator's address.
   */
  senderFor(from: string): { name: string; address: string } {
    const sender = parseSender(from);
    if (sender && this.allows(from)) return { name: sender.name, address: sender.address };
    return { name: sender?.name || OPERATOR_SENDER.name, address: OPERATOR_SENDER.address };
  }
}
