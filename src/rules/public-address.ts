import { lookup } from 'node:dns/promises';
import { domainToASCII } from 'node:url';
import ipaddr from 'ipaddr.js';

/**
 * The IPv4 address an IPv6 address carries in its last 32 bits, for the forms that deliver to that
 * IPv4 host: IPv4-compatible `::a.b.c.d` (::/96, deprecated by RFC 4291 but still routed by automatic
 * tunnels such as Linux `sit0`), IPv4-mapped `::ffff:a.b.c.d`, IPv4-translated `::ffff:0:a.b.c.d`
 * (RFC 6145) and the well-known NAT64 prefix `64:ff9b::/96` (RFC 6052). `::` and `::1` are not IPv4.
 */
function embeddedIPv4(address: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  const p = address.parts;
  const zeros = (from: number, to: number) => p.slice(from, to).every((x) => x === 0);
  const carried = () => new ipaddr.IPv4([p[6]! >> 8, p[6]! & 0xff, p[7]! >> 8, p[7]! & 0xff]);
  const compatible = zeros(0, 6) && (p[6] !== 0 || p[7]! > 1);
  const mapped = zeros(0, 5) && p[5] === 0xffff;
  const translated = zeros(0, 4) && p[4] === 0xffff && p[5] === 0;
  const nat64 = p[0] === 0x64 && p[1] === 0xff9b && zeros(2, 6);
  return compatible || mapped || translated || nat64 ? carried() : undefined;
}

/**
 * Whether an address is on the public internet. Loopback, private (RFC 1918, unique-local),
 * link-local (cloud metadata at 169.254.169.254), carrier-grade NAT, multicast, reserved and
 * unspecified ranges are not: a webhook aimed there would let a tenant reach Roster's own network (SSRF).
 * An IPv6 address that carries an IPv4 one (see embeddedIPv4) is judged as that IPv4 address; every
 * other special IPv6 range (site-local fec0::/10, 6to4, Teredo, local-use NAT64, ORCHID, documentation,
 * discard …) is refused, as only ipaddr.js's plain `unicast` counts as public.
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  const parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv4') return parsed.range() === 'unicast';
  const v6 = parsed as ipaddr.IPv6;
  const v4 = embeddedIPv4(v6);
  return v4 ? v4.range() === 'unicast' : v6.range() === 'unicast';
}

/** How host names are resolved: `dns.lookup` with every address; tests may give their own. */
export type Lookup = (host: string) => Promise<Array<{ address: string; family: number }>>;
const systemLookup: Lookup = (host) => lookup(host, { all: true });

/**
 * ROSTER_WEBHOOK_ALLOWED_NETWORKS: the networks (CIDRs, IPv4 or IPv6) and host names (exact, or
 * `*.corp.example` for every name below corp.example) webhooks may reach although they are not public.
 */
export interface AllowedNetworks {
  networks: Array<[ipaddr.IPv4 | ipaddr.IPv6, number]>;
  hosts: string[];
}

/** Who may be a webhook target. */
export interface TargetPolicy {
  /** ROSTER_WEBHOOK_ALLOW_PRIVATE: every address (development and tests only). */
  allowPrivate: boolean;
  allowed: AllowedNetworks;
  lookup?: Lookup | undefined;
}

/** Parses a comma-separated allow-list; throws an Error naming the first entry that is neither a CIDR nor a host name. */
export function parseAllowedNetworks(value: string | undefined): AllowedNetworks {
  const allowed: AllowedNetworks = { networks: [], hosts: [] };
  for (const raw of (value ?? '').split(',')) {
    const entry = raw.trim().toLowerCase().replace(/\.$/, '');
    if (entry === '') continue;
    if (entry.includes('/')) {
      try {
        allowed.networks.push(ipaddr.parseCIDR(entry));
      } catch {
        throw new Error(`"${raw.trim()}" is not a CIDR (e.g. 10.0.0.0/8, fd00::/8)`);
      }
    } else if (ipaddr.isValid(entry)) {
      const address = ipaddr.parse(entry);
      allowed.networks.push([address, address.kind() === 'ipv4' ? 32 : 128]);
    } else {
      const name = entry.startsWith('*.') ? entry.slice(2) : entry;
      // A DNS name: labels of letters, digits and hyphens (after IDNA), not a bare wildcard.
      const ascii = domainToASCII(name);
      if (!ascii || !/^(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*$/.test(ascii))
        throw new Error(`"${raw.trim()}" is neither a CIDR nor a host name (e.g. hooks.corp.example, *.corp.example)`);
      allowed.hosts.push(entry.startsWith('*.') ? `*.${ascii}` : ascii);
    }
  }
  return allowed;
}

/** Whether an address lies in one of the allowed networks (an IPv4 address also as IPv4-mapped IPv6, and the reverse). */
export function inAllowedNetwork(address: string, allowed: AllowedNetworks): boolean {
  if (!ipaddr.isValid(address)) return false;
  const parsed = ipaddr.parse(address);
  const v4 = parsed.kind() === 'ipv4' ? (parsed as ipaddr.IPv4) : embeddedIPv4(parsed as ipaddr.IPv6);
  const v6 = parsed.kind() === 'ipv6' ? (parsed as ipaddr.IPv6) : (parsed as ipaddr.IPv4).toIPv4MappedAddress();
  return allowed.networks.some(([range, bits]) =>
    range.kind() === 'ipv4' ? v4 !== undefined && v4.match(range, bits) : v6.match(range as ipaddr.IPv6, bits),
  );
}

/** Whether a host name is on the allow-list: exactly, or below a `*.` entry. */
export function allowedHostName(host: string, allowed: AllowedNetworks): boolean {
  const name = (domainToASCII(host.toLowerCase().replace(/\.$/, '')) || host).toLowerCase();
  return allowed.hosts.some((h) => (h.startsWith('*.') ? name.endsWith(h.slice(1)) : name === h));
}

/**
 * The address to connect to for a webhook URL, or why it is refused. An IP literal must be public or in
 * an allowed network. A name on the host allow-list may resolve anywhere; any other name must resolve
 * only to addresses that are public or in an allowed network (a name with one inner address among
 * public ones is refused: DNS may hand out either). The caller connects to the address returned,
 * never resolving the name again, so a name re-pointed in between (DNS rebinding) cannot slip past.
 */
export async function resolveTarget(
  url: URL,
  policy: TargetPolicy,
): Promise<{ address: string; family: number; refused?: undefined } | { refused: string }> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const allowed = (address: string) => policy.allowPrivate || isPublicAddress(address) || inAllowedNetwork(address, policy.allowed);
  if (ipaddr.isValid(host)) {
    const family = ipaddr.parse(host).kind() === 'ipv4' ? 4 : 6;
    return allowed(host) ? { address: host, family } : { refused: host };
  }
  let addresses: Array<{ address: string; family: number }>;
  try {
    addresses = await (policy.lookup ?? systemLookup)(host);
  } catch {
    return { refused: `${host} (does not resolve)` };
  }
  if (addresses.length === 0) return { refused: `${host} (does not resolve)` };
  if (!allowedHostName(host, policy.allowed)) {
    const inner = addresses.find((a) => !allowed(a.address));
    if (inner) return { refused: `${host} resolves to ${inner.address}` };
  }
  return addresses[0]!;
}
