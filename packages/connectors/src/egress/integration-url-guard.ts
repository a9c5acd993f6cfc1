/**
 * Which addresses an integration URL may point at. Why: the engine sends requests (with a token) to the URL an admin
 * enters, from inside the cluster or cloud network; a URL naming the cloud's instance metadata service (169.254.169.254,
 * fd00:ec2::254, metadata.google.internal…) would make the engine fetch the node's cloud credentials. Link-local and
 * metadata addresses are refused, by name and by what the name resolves to (a DNS answer pointing at 169.254.x
 * counts). Private and loopback addresses stay allowed: a self-hosted Jenkins usually lives on one.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';

/** Resolves a host name to all its addresses (node:dns lookup with `all: true`); tests pass their own. */
export type ResolveHost = (hostname: string) => Promise<Array<{ address: string; family: number }>>;

export const resolveWithDns: ResolveHost = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

const subnet = (cidr: string) => ipaddr.parseCIDR(cidr);
const forbiddenV4 = [
  // IPv4 link-local: AWS, GCP, Azure, OpenStack and DigitalOcean metadata at 169.254.169.254, ECS task metadata, …
  subnet('169.254.0.0/16'),
  // Alibaba Cloud's metadata service (not link-local)
  subnet('100.100.100.200/32'),
];
const forbiddenV6 = [
  // IPv6 link-local, and AWS's IPv6 metadata endpoint
  subnet('fe80::/10'),
  subnet('fd00:ec2::254/128'),
];

/**
 * The IPv6 prefixes that carry an IPv4 address inside them, and where. Why: a host that routes such an address (a
 * NAT64 gateway, a 6to4 relay, a dual-stack kernel for IPv4-mapped and -compatible forms) delivers the packet to
 * the IPv4 address, so `[64:ff9b::a9fe:a9fe]` reaches 169.254.169.254 as surely as the IPv4 spelling does.
 */
const embeddings: Array<{ prefix: [ipaddr.IPv6, number]; ipv4At: (parts: number[]) => number[][] }> = [
  // IPv4-mapped ::ffff:a.b.c.d and IPv4-translated ::ffff:0:a.b.c.d (RFC 6145)
  { prefix: ipaddr.IPv6.parseCIDR('::ffff:0:0/96'), ipv4At: (parts) => [parts.slice(6)] },
  { prefix: ipaddr.IPv6.parseCIDR('::ffff:0:0:0/96'), ipv4At: (parts) => [parts.slice(6)] },
  // NAT64: the well-known prefix (RFC 6052) and the local-use one (RFC 8215) with the common /96 layout
  { prefix: ipaddr.IPv6.parseCIDR('64:ff9b::/96'), ipv4At: (parts) => [parts.slice(6)] },
  { prefix: ipaddr.IPv6.parseCIDR('64:ff9b:1::/48'), ipv4At: (parts) => [parts.slice(6)] },
  // 6to4 (RFC 3056): 2002:AABB:CCDD::/48 is the site behind IPv4 AA.BB.CC.DD
  { prefix: ipaddr.IPv6.parseCIDR('2002::/16'), ipv4At: (parts) => [parts.slice(1, 3)] },
  // Teredo (RFC 4380): the server's IPv4 in clear, the client's inverted in the last 32 bits
  { prefix: ipaddr.IPv6.parseCIDR('2001::/32'), ipv4At: (parts) => [parts.slice(2, 4), parts.slice(6).map((part) => part ^ 0xffff)] },
  // IPv4-compatible ::a.b.c.d (deprecated, still routed by some stacks); :: and ::1 are not IPv4 addresses
  { prefix: ipaddr.IPv6.parseCIDR('::/96'), ipv4At: (parts) => (parts[6] === 0 && parts[7]! <= 1 ? [] : [parts.slice(6)]) },
];

const ipv4FromParts = ([high, low]: number[]) => new ipaddr.IPv4([high! >> 8, high! & 0xff, low! >> 8, low! & 0xff]);

/** The address itself and every IPv4 address an IPv6 spelling carries (see `embeddings`); [] when it is no address. */
export function addressesMeantBy(address: string): Array<ipaddr.IPv4 | ipaddr.IPv6> {
  const plain = address.replace(/^\[|\]$/g, '').split('%')[0]!;
  if (!ipaddr.isValid(plain)) return [];
  const parsed = ipaddr.parse(plain);
  if (parsed.kind() === 'ipv4') return [parsed];
  const v6 = parsed as ipaddr.IPv6;
  const embedded = embeddings.filter(({ prefix }) => v6.match(prefix)).flatMap(({ ipv4At }) => ipv4At(v6.parts).map(ipv4FromParts));
  return [v6, ...embedded];
}

/**
 * Whether an IP address is link-local or a metadata address, in any spelling: IPv4 in IPv6 clothing (IPv4-mapped,
 * -compatible, NAT64, 6to4, Teredo) is judged by the IPv4 address it carries. Parsed by ipaddr.js, not by hand.
 */
export function isForbiddenAddress(address: string): boolean {
  return addressesMeantBy(address).some((candidate) =>
    candidate.kind() === 'ipv4' ? forbiddenV4.some((range) => candidate.match(range)) : forbiddenV6.some((range) => candidate.match(range)),
  );
}

/** Names of metadata services that answer without DNS tricks (resolved by the cloud's own resolver). */
const metadataHostNames = new Set(['metadata', 'metadata.google.internal', 'metadata.goog', 'metadata.azure.internal', 'instance-data', 'instance-data.ec2.internal', 'metadata.tencentyun.com', 'metadata.platformequinix.com']);

/** Says why `apiUrl` may not be used (undefined when it may); resolves the host name through `resolve`. */
export type CheckIntegrationUrl = (apiUrl: string) => Promise<string | undefined>;

/** What a refused URL is told: the origin, and the forbidden address its name resolved to (when it was a name). */
export const refusalOf = (url: URL, address?: string): string =>
  `${url.origin} ${address ? `resolves to ${address}, ` : 'is '}a link-local or cloud metadata address; integrations may not point there. Use the address of your Jenkins server`;

export function createIntegrationUrlGuard(options: { resolve?: ResolveHost } = {}): CheckIntegrationUrl {
  const resolve = options.resolve ?? resolveWithDns;
  return async (apiUrl) => {
    let url: URL;
    try {
      url = new URL(apiUrl);
    } catch {
      return `${JSON.stringify(apiUrl)} is not a URL`;
    }
    const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
    if (metadataHostNames.has(host)) return refusalOf(url);
    if (ipaddr.isValid(host)) return isForbiddenAddress(host) ? refusalOf(url) : undefined;
    let addresses: Array<{ address: string }>;
    try {
      addresses = await resolve(host);
    } catch {
      // A name that does not resolve is not refused here: the request fails next, with the generic message.
      return undefined;
    }
    const forbidden = addresses.find((entry) => isForbiddenAddress(entry.address));
    return forbidden ? refusalOf(url, forbidden.address) : undefined;
  };
}
