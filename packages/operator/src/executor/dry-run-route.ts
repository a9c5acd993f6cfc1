/**
 * The dry-run proxy's one router (issue 73): a caller's path is accepted only when it is, segment by segment, one of a
 * fixed table of Kubernetes resource path shapes, and the URL sent to the API server is built from the parsed parts,
 * never from the caller's string.
 *
 * Why so strict: the proxy used to check the path as a string and then let URL parsing resolve it. WHATWG URL parsing
 * reads `\` as `/`, drops tabs and newlines and resolves `.`/`..` (and `%2e`) segments, so
 * `configmaps/x\..\..\secrets\db` passed every check as a ConfigMap name and reached the API server as
 * `secrets/db`, answering the whole Secret; the same spelling slipped past the subresource and namespace checks. Here
 * nothing is resolved or decoded: a character outside `[a-z0-9.-]` and `/`, a `%` anywhere, an empty segment or a dot
 * segment refuses the request before any parsing, and every segment must be a DNS label or subdomain.
 */

/** A resource path as the router understood it. `group` is '' for the core group (/api/v1). */
export interface DryRunRoute {
  group: string;
  version: string;
  resource: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

/** Subresources whose writes honour dryRun and do nothing else (no exec, attach, port-forward, proxy, token). */
export const dryRunSubresources: ReadonlySet<string> = new Set(['status', 'scale', 'eviction', 'ephemeralcontainers', 'resize']);

/** RFC 1123 label: resources, versions' parts, namespaces. */
const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** RFC 1123 subdomain: object names and API groups (labels joined by dots, each starting and ending alphanumeric). */
const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const apiVersion = /^v[1-9][0-9]*((alpha|beta)[1-9][0-9]*)?$/;

export type RouteResult = { route: DryRunRoute } | { problem: string };

const isLabel = (segment: string) => segment.length <= 63 && dnsLabel.test(segment);
const isSubdomain = (segment: string) => segment.length <= 253 && dnsSubdomain.test(segment);

/** Why a raw path cannot even be split into segments, or undefined. Checked before anything else looks at it. */
function spellingProblem(path: string): string | undefined {
  if (path.length > 1024) return 'it is longer than 1024 characters';
  if (!path.startsWith('/')) return 'it does not start with "/"';
  if (path.includes('\\')) return 'it holds a backslash (URL parsing reads it as "/")';
  if (path.includes('%')) return 'it holds "%" (no percent-encoding is accepted anywhere in the path)';
  if (path.includes('?') || path.includes('#')) return 'it holds "?" or "#" (send query parameters in "query")';
  if (/[^\x21-\x7e]/.test(path)) return 'it holds whitespace, a control character or a non-ASCII character';
  if (/[^a-z0-9./-]/.test(path)) return 'it holds a character outside a-z, 0-9, ".", "-" and "/"';
  const segments = path.slice(1).split('/');
  if (segments.some((segment) => segment === '')) return 'it has an empty segment ("//" or a trailing "/")';
  if (segments.some((segment) => segment === '.' || segment === '..')) return 'it has a "." or ".." segment';
  return undefined;
}

/**
 * `<resource>[/<name>[/<subresource>]]` or `namespaces/<namespace>/<resource>[/<name>[/<subresource>]]`, after the
 * group prefix. In the core group `namespaces/<name>[/<subresource>]` is the Namespace object itself.
 */
function routeAfterPrefix(group: string, version: string, rest: string[]): RouteResult {
  const problem = (message: string): RouteResult => ({ problem: message });
  let namespace: string | undefined;
  let tail = rest;
  const namespaceObject = group === '' && rest[0] === 'namespaces' && (rest.length <= 2 || (rest.length === 3 && dryRunSubresources.has(rest[2]!)));
  if (rest[0] === 'namespaces' && rest.length >= 3 && !namespaceObject) {
    namespace = rest[1]!;
    if (!isLabel(namespace)) return problem(`"${namespace}" is not a namespace name (an RFC 1123 label)`);
    tail = rest.slice(2);
  }
  if (tail.length < 1 || tail.length > 3) return problem('it is not a resource, object or subresource path');
  const [resource, name, subresource] = tail as [string, string | undefined, string | undefined];
  if (!isLabel(resource)) return problem(`"${resource}" is not a resource name (lower-case letters, digits and "-")`);
  if (name !== undefined && !isSubdomain(name)) return problem(`"${name}" is not an object name (an RFC 1123 subdomain: lower-case letters, digits, "-" and ".")`);
  if (subresource !== undefined && !dryRunSubresources.has(subresource)) {
    return problem(`the ${resource}/${subresource} subresource is not one the proxy handles (only ${[...dryRunSubresources].join(', ')})`);
  }
  return { route: { group, version, resource, ...(namespace ? { namespace } : {}), ...(name ? { name } : {}), ...(subresource ? { subresource } : {}) } };
}

/** Parses a caller's path against the table of resource path shapes; never resolves, decodes or normalises it. */
export function routeDryRunPath(path: string): RouteResult {
  const spelling = spellingProblem(path);
  if (spelling) return { problem: spelling };
  const segments = path.slice(1).split('/');
  if (segments[0] === 'api') {
    if (segments[1] !== 'v1') return { problem: 'the core group is /api/v1' };
    return routeAfterPrefix('', 'v1', segments.slice(2));
  }
  if (segments[0] === 'apis') {
    const [, group, version] = segments;
    if (!group || !version || !isSubdomain(group)) return { problem: 'an API group path is /apis/<group>/<version>/...' };
    if (!apiVersion.test(version)) return { problem: `"${version}" is not an API version (v1, v2beta1, ...)` };
    return routeAfterPrefix(group, version, segments.slice(3));
  }
  return { problem: 'only resource paths (/api/v1/... or /apis/<group>/<version>/...) are accepted' };
}

/** The API server path for a route, built from its validated parts only. */
export function pathOfRoute(route: DryRunRoute): string {
  const prefix = route.group === '' ? '/api/v1' : `/apis/${route.group}/${route.version}`;
  const parts = [prefix, ...(route.namespace ? ['namespaces', route.namespace] : []), route.resource, ...(route.name ? [route.name] : []), ...(route.subresource ? [route.subresource] : [])];
  return parts.join('/');
}

/** The namespace a route writes in: its own, or for a core Namespace object the namespace it is. */
export function namespaceOfRoute(route: DryRunRoute): string | undefined {
  if (route.namespace) return route.namespace;
  return route.group === '' && route.resource === 'namespaces' ? route.name : undefined;
}
