/**
 * The executor's dry-run proxy (issue 34). With cluster-enforced approvals the MCP server's own identity is
 * read-only, and the API server authorizes a server-side dry-run exactly like the write it simulates, so the previews
 * (content hashes of what a write would store) cannot be computed with that identity. The MCP server sends those
 * dry-runs here instead; the executor performs them with its own identity, but only ever as dry-runs:
 * - `dryRun=All` is forced onto every request, whatever the caller sent;
 * - only resource and collection paths (/api/v1/... or /apis/<group>/<version>/...), never arbitrary API paths, and
 *   only write-like subresources that honour dryRun (no exec/attach/proxy/token);
 * - never core `secrets`: a dry-run returns the whole object, which would let the caller read Secrets;
 * - only inside `allowedNamespaces` when the executor is namespace-limited (and then nothing cluster-scoped).
 * The API server's status and JSON body go back unchanged (errors as its Status object); refusals are Status objects
 * too, so the MCP server maps both the same way. Bodies are never logged.
 */
import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { z } from 'zod';

export const dryRunRequestSchema = z.object({
  method: z.enum(['PATCH', 'POST', 'PUT', 'DELETE']),
  path: z.string().min(1).max(1024),
  query: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  contentType: z.string().max(200).optional(),
  body: z.unknown().optional(),
});
export type DryRunRequest = z.infer<typeof dryRunRequestSchema>;

export interface DryRunResponse {
  status: number;
  body: unknown;
}

const segment = '[a-z0-9]([-a-z0-9.]*[a-z0-9])?';
// /api/v1 or /apis/<group>/<version>, optional namespaces/<ns>, resource, optional name, optional subresource.
const resourcePathPattern = new RegExp(
  `^/(?:api/(?<coreVersion>v1)|apis/(?<group>${segment})/(?<version>[a-z0-9]+))` +
    `(?:/namespaces/(?<namespace>${segment}))?/(?<resource>[a-z0-9]+)(?:/(?<name>[^/?#%]+)(?:/(?<subresource>[a-z]+))?)?$`,
);
/** Subresources whose writes honour dryRun and do nothing else (no exec, attach, port-forward, proxy, token). */
const allowedSubresources = new Set(['status', 'scale', 'eviction', 'ephemeralcontainers', 'resize']);

export interface ParsedResourcePath {
  group: string;
  resource: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

export function parseResourcePath(path: string): ParsedResourcePath | undefined {
  const match = resourcePathPattern.exec(path);
  if (!match?.groups) return undefined;
  const { group, resource, namespace, name, subresource } = match.groups;
  // `.` and `..` would be resolved away by URL parsing and address a different path.
  if (name === '.' || name === '..') return undefined;
  return { group: group ?? '', resource: resource!, namespace, name, subresource };
}

const statusBody = (code: number, reason: string, message: string) => ({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });

/** Why the request may not go through the proxy, or undefined when it may. */
export function refusal(request: DryRunRequest, allowedNamespaces: string[] | undefined): DryRunResponse | undefined {
  const parsed = parseResourcePath(request.path);
  if (!parsed) return { status: 400, body: statusBody(400, 'BadRequest', `the dry-run proxy accepts only resource paths (/api/v1/... or /apis/<group>/<version>/...), not ${JSON.stringify(request.path)}`) };
  if (parsed.group === '' && parsed.resource === 'secrets') {
    return { status: 403, body: statusBody(403, 'Forbidden', 'the dry-run proxy never handles Secrets: a dry-run returns the whole object; preview Secrets with the MCP server\'s own access') };
  }
  if (parsed.subresource && !allowedSubresources.has(parsed.subresource)) {
    return { status: 403, body: statusBody(403, 'Forbidden', `the dry-run proxy does not handle the ${parsed.resource}/${parsed.subresource} subresource`) };
  }
  if (allowedNamespaces) {
    // A Namespace object itself counts as being in that namespace.
    const namespace = parsed.namespace ?? (parsed.group === '' && parsed.resource === 'namespaces' ? parsed.name : undefined);
    if (!namespace || !allowedNamespaces.includes(namespace)) {
      return {
        status: 403,
        body: statusBody(403, 'Forbidden', `this executor handles dry-runs only in namespace(s) ${allowedNamespaces.join(', ')}; ${namespace ? `namespace "${namespace}" is outside them` : `${parsed.resource} is cluster-scoped`}`),
      };
    }
  }
  return undefined;
}

export interface DryRunProxy {
  handle(request: DryRunRequest): Promise<DryRunResponse>;
  close(): void;
}

export function createDryRunProxy(options: { kubeConfig: KubeConfig; allowedNamespaces?: string[] }): DryRunProxy {
  const cluster = options.kubeConfig.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster; set a current-context');
  const base = new URL(cluster.server);
  const client = base.protocol === 'https:' ? https : http;
  const agent = new client.Agent({ keepAlive: true });

  async function forward(request: DryRunRequest): Promise<DryRunResponse> {
    const requestOptions: https.RequestOptions = { headers: {} };
    await options.kubeConfig.applyToHTTPSOptions(requestOptions);
    const url = new URL(base.pathname.replace(/\/$/, '') + request.path, base);
    for (const [key, value] of Object.entries(request.query ?? {})) url.searchParams.set(key, String(value));
    // Last, so no caller-sent dryRun (or a repeated one) can turn this into a write.
    url.searchParams.delete('dryRun');
    url.searchParams.set('dryRun', 'All');
    const payload = request.body === undefined ? undefined : typeof request.body === 'string' ? request.body : JSON.stringify(request.body);
    return new Promise((resolve, reject) => {
      const outgoing = client.request(
        url,
        {
          ...requestOptions,
          agent,
          method: request.method,
          headers: {
            ...requestOptions.headers,
            accept: 'application/json',
            ...(payload === undefined ? {} : { 'content-type': request.contentType ?? 'application/json', 'content-length': Buffer.byteLength(payload) }),
          },
          timeout: 30_000,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () => {
            const status = response.statusCode ?? 502;
            const text = Buffer.concat(chunks).toString('utf8');
            try {
              resolve({ status, body: text ? JSON.parse(text) : {} });
            } catch {
              resolve({ status: 502, body: statusBody(502, 'BadGateway', `the API server answered HTTP ${status} with a body that is not JSON`) });
            }
          });
        },
      );
      outgoing.on('timeout', () => outgoing.destroy(new Error('the dry-run timed out')));
      outgoing.on('error', reject);
      outgoing.end(payload);
    });
  }

  return {
    async handle(request) {
      return refusal(request, options.allowedNamespaces) ?? forward(request);
    },
    close: () => agent.destroy(),
  };
}
