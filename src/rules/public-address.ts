import { lookup } from 'node:dns/promises';
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

/**
 * The first non-public address a URL's host names or resolves to, or undefined when all are public.
 * A host that does not resolve is reported as such.
 */
export async function nonPublicTarget(url: URL): Promise<string | undefined> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (ipaddr.isValid(host)) return isPublicAddress(host) ? undefined : host;
  let addresses: Array<{ address: string }>;
  try {
    addresses = await lookup(host, { all: true });
  } catch {
    return `${host} (does not resolve)`;
  }
  return addresses.find((a) => !isPublicAddress(a.address))?.address;
}
