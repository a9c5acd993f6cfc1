/**
 * Which addresses an integration URL may point at. Why: the engine sends requests (with a token) to the URL an admin
 * enters, from inside the cluster or cloud network; a URL naming the cloud's instance metadata service (169.254.169.254,
 * fd00:ec2::254, metadata.google.internal…) would make the engine fetch the node's cloud credentials. Link-local and
 * metadata addresses are refused, by name and by what the name resolves to (a DNS answer pointing at 169.254.x
 * counts). Private and loopback addresses stay allowed: a self-hosted Jenkins usually lives on one.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/** Resolves a host name to all its addresses (node:dns lookup with `all: true`); tests pass their own. */
export type ResolveHost = (hostname: string) => Promise<Array<{ address: string; family: number }>>;

export const resolveWithDns: ResolveHost = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

const forbiddenAddresses = new BlockList();
// IPv4 link-local: AWS, GCP, Azure, OpenStack and DigitalOcean metadata at 169.254.169.254, ECS task metadata, …
forbiddenAddresses.addSubnet('169.254.0.0', 16, 'ipv4');
// Alibaba Cloud's metadata service (not link-local)
forbiddenAddresses.addAddress('100.100.100.200', 'ipv4');
// IPv6 link-local, and AWS's IPv6 metadata endpoint
forbiddenAddresses.addSubnet('fe80::', 10, 'ipv6');
forbiddenAddresses.addAddress('fd00:ec2::254', 'ipv6');

/** Names of metadata services that answer without DNS tricks (resolved by the cloud's own resolver). */
const metadataHostNames = new Set(['metadata', 'metadata.google.internal', 'metadata.goog', 'metadata.azure.internal', 'instance-data', 'instance-data.ec2.internal', 'metadata.tencentyun.com', 'metadata.platformequinix.com']);

/** Whether an IP address is link-local or a metadata address (IPv4-mapped IPv6 such as ::ffff:a9fe:a9fe included). */
export function isForbiddenAddress(address: string): boolean {
  const plain = address.replace(/^\[|\]$/g, '').split('%')[0]!;
  const family = isIP(plain);
  if (family === 0) return false;
  return forbiddenAddresses.check(plain, family === 6 ? 'ipv6' : 'ipv4');
}

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
    if (isIP(host) !== 0) return isForbiddenAddress(host) ? refusalOf(url) : undefined;
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
