/**
 * Names reserved for documentation and testing (RFC 2606, RFC 6761): no one's mailbox is there, so they
 * are never a personal or throw-away provider, whatever a third-party list says (email-providers'
 * common list carries example.com). Top-level names match with every name under them.
 */
const RESERVED_SECOND_LEVEL = new Set(['example.com', 'example.net', 'example.org']);
const RESERVED_TOP_LEVEL = new Set(['example', 'test', 'invalid', 'localhost']);

export function isReservedDomain(domain: string): boolean {
  const name = domain.toLowerCase().replace(/\.$/, '');
  const top = name.split('.').pop() ?? '';
  return RESERVED_TOP_LEVEL.has(top) || [...RESERVED_SECOND_LEVEL].some((d) => name === d || name.endsWith(`.${d}`));
}
