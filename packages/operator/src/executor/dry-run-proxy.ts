/**
 * The executor's dry-run proxy (issue 34). With cluster-enforced approvals the MCP server's own identity is
 * read-only, and the API server authorizes a server-side dry-run exactly like the write it simulates, so the previews
 * (content hashes of what a write would store) cannot be computed with that identity. The MCP server sends those
 * dry-runs here instead (with its own dry-run token, issue 73); the executor performs them with its own identity, but
 * only ever as dry-runs:
 * - only the dry-run-capable verbs (POST, PUT, PATCH, DELETE), with `dryRun=All` forced whatever the caller sent;
 * - only paths the one strict router accepts (dry-run-route.ts: a fixed table of resource path shapes, every segment
 *   validated, nothing decoded or resolved), and the URL sent is built from the parsed parts alone;
 * - only write-like subresources that honour dryRun (no exec/attach/proxy/token), and only the query parameters a
 *   write takes;
 * - never core `secrets`: a dry-run returns the whole object, which would let the caller read Secrets; and, in case
 *   anything Secret-shaped comes back anyway, `data`/`stringData` are removed from the answer;
 * - only inside `allowedNamespaces` when the executor is namespace-limited (and then nothing cluster-scoped).
 * The API server's status and JSON body go back otherwise unchanged (errors as its Status object); refusals are Status
 * objects too, so the MCP server maps both the same way. Bodies are never logged.
 */
import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { z } from 'zod';
import { namespaceOfRoute, pathOfRoute, routeDryRunPath, type DryRunRoute } from './dry-run-route.ts';

const queryValue = z.union([z.string().max(256), z.number(), z.boolean()]);

export const dryRunRequestSchema = z.object({
  method: z.enum(['PATCH', 'POST', 'PUT', 'DELETE']),
  path: z.string().min(1).max(1024),
  query: z.record(z.string().max(64), queryValue).optional(),
  contentType: z.string().max(200).optional(),
  body: z.unknown().optional(),
});
export type DryRunRequest = z.infer<typeof dryRunRequestSchema>;

export interface DryRunResponse {
  status: number;
  body: unknown;
}

/**
 * The query parameters a write takes, each with the values it may have. Anything else is refused rather than passed
 * on: the proxy forwards only what it understands. `dryRun` is accepted and then replaced by `All`.
 */
const allowedQuery: Record<string, (value: string) => boolean> = {
  dryRun: () => true,
  fieldManager: (value) => /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/.test(value),
  fieldValidation: (value) => ['Strict', 'Warn', 'Ignore'].includes(value),
  force: (value) => value === 'true' || value === 'false',
  gracePeriodSeconds: (value) => /^\d{1,9}$/.test(value),
  propagationPolicy: (value) => ['Foreground', 'Background', 'Orphan'].includes(value),
};

const allowedContentTypes = new Set(['application/json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/json-patch+json', 'application/apply-patch+yaml']);

const statusBody = (code: number, reason: string, message: string) => ({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
const badRequest = (message: string): DryRunResponse => ({ status: 400, body: statusBody(400, 'BadRequest', message) });
const forbidden = (message: string): DryRunResponse => ({ status: 403, body: statusBody(403, 'Forbidden', message) });

/** The route and query to send, or the refusal. Pure: the tests run every path trick through it. */
export function routeOrRefusal(request: DryRunRequest, allowedNamespaces: string[] | undefined): { route: DryRunRoute; query: Record<string, string> } | { refusal: DryRunResponse } {
  const routed = routeDryRunPath(request.path);
  if ('problem' in routed) {
    return { refusal: badRequest(`the dry-run proxy accepts only resource paths (/api/v1/... or /apis/<group>/<version>/...) spelled plainly; ${JSON.stringify(request.path)} is refused: ${routed.problem}`) };
  }
  const { route } = routed;
  if (route.group === '' && route.resource === 'secrets') {
    return { refusal: forbidden("the dry-run proxy never handles Secrets: a dry-run returns the whole object; preview Secrets with the MCP server's own access") };
  }
  if (allowedNamespaces) {
    const namespace = namespaceOfRoute(route);
    if (!namespace || !allowedNamespaces.includes(namespace)) {
      return { refusal: forbidden(`this executor handles dry-runs only in namespace(s) ${allowedNamespaces.join(', ')}; ${namespace ? `namespace "${namespace}" is outside them` : `${route.resource} is cluster-scoped`}`) };
    }
  }
  if (request.contentType !== undefined && !allowedContentTypes.has(request.contentType)) {
    return { refusal: badRequest(`content type "${request.contentType}" is not one a Kubernetes write takes (${[...allowedContentTypes].join(', ')})`) };
  }
  const query: Record<string, string> = {};
  for (const [key, raw] of Object.entries(request.query ?? {})) {
    const value = String(raw);
    const check = allowedQuery[key];
    if (!check) return { refusal: badRequest(`query parameter "${key}" is not one the dry-run proxy passes on (${Object.keys(allowedQuery).join(', ')})`) };
    if (!check(value)) return { refusal: badRequest(`query parameter ${key}=${JSON.stringify(value)} is not a value it takes`) };
    query[key] = value;
  }
  // Last, so no caller-sent dryRun can turn this into a write.
  query.dryRun = 'All';
  return { route, query };
}

/**
 * Removes `data`, `stringData` and kubectl's last-applied copy from every Secret-shaped object in an answer (defence in depth: the router already
 * refuses core Secrets). Secret-shaped: `kind: Secret` (any group), or an item of a `SecretList`, whose items carry no
 * kind of their own.
 */
export function withoutSecretData(value: unknown, inSecretList = false): unknown {
  if (Array.isArray(value)) return value.map((item) => withoutSecretData(item, inSecretList));
  if (!value || typeof value !== 'object') return value;
  const object = value as Record<string, unknown>;
  const secretShaped = object.kind === 'Secret' || (inSecretList && object.kind === undefined);
  const listOfSecrets = object.kind === 'SecretList';
  const result: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(object)) {
    if (secretShaped && (key === 'data' || key === 'stringData')) continue;
    result[key] = key === 'items' ? withoutSecretData(child, listOfSecrets) : withoutSecretData(child, false);
  }
  // `kubectl apply` keeps the whole applied object, data included, in this annotation.
  const annotations = (result.metadata as { annotations?: Record<string, unknown> } | undefined)?.annotations;
  if (secretShaped && annotations && lastAppliedAnnotation in annotations) {
    const { [lastAppliedAnnotation]: _dropped, ...kept } = annotations;
    result.metadata = { ...(result.metadata as object), annotations: kept };
  }
  return result;
}

const lastAppliedAnnotation = 'kubectl.kubernetes.io/last-applied-configuration';

/** Why the request may not go through the proxy, or undefined when it may. */
export function refusal(request: DryRunRequest, allowedNamespaces: string[] | undefined): DryRunResponse | undefined {
  const decided = routeOrRefusal(request, allowedNamespaces);
  return 'refusal' in decided ? decided.refusal : undefined;
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

  async function forward(request: DryRunRequest, route: DryRunRoute, query: Record<string, string>): Promise<DryRunResponse> {
    const requestOptions: https.RequestOptions = { headers: {} };
    await options.kubeConfig.applyToHTTPSOptions(requestOptions);
    // Built from the server URL and the route's validated parts: the caller's string never reaches URL parsing.
    const url = new URL(base.href);
    url.pathname = base.pathname.replace(/\/$/, '') + pathOfRoute(route);
    url.search = new URLSearchParams(query).toString();
    url.hash = '';
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
              resolve({ status, body: withoutSecretData(text ? JSON.parse(text) : {}) });
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
      const decided = routeOrRefusal(request, options.allowedNamespaces);
      if ('refusal' in decided) return decided.refusal;
      return forward(request, decided.route, decided.query);
    },
    close: () => agent.destroy(),
  };
}
