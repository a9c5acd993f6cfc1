/**
 * A thin HTTP client for the Kubernetes API on top of @kubernetes/client-node's KubeConfig (which does
 * the auth: certs, tokens, exec plugins). We talk HTTP ourselves because the tools need things the
 * generated clients make awkward: Table responses, server-side dryRun on any resource, every patch type.
 * One keep-alive agent per client, so consecutive calls reuse the connection; a GET whose reused connection
 * turns out to be dead is sent once more on a new one.
 */
import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { KubeApiError, WriteOutcomeUnknownError } from './kube-api-error.ts';
import { impersonationFor } from './impersonation.ts';
import { isDryRun, sendThroughDryRunProxy, type DryRunProxyTarget } from './dry-run-proxy.ts';

export interface KubeRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** absolute API path, e.g. /api/v1/namespaces/default/pods */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  accept?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface KubeResponse {
  status: number;
  contentType: string;
  text: string;
}

export interface KubeHttp {
  request(request: KubeRequest): Promise<KubeResponse>;
  /** request + JSON.parse; throws KubeApiError on HTTP errors */
  json<T = unknown>(request: KubeRequest): Promise<T>;
  /** the server URL, for messages */
  server: string;
  close(): void;
}

export function createKubeHttp(kubeConfig: KubeConfig, options: { defaultTimeoutMs?: number; /** the executor that runs this identity's dry-runs (kube/dry-run-proxy.ts) */ dryRunProxy?: DryRunProxyTarget } = {}): KubeHttp {
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) throw new Error('The kubeconfig has no current cluster; set a current-context.');
  const base = new URL(cluster.server);
  const isHttps = base.protocol === 'https:';
  let agent: http.Agent | undefined;
  const defaultTimeoutMs = options.defaultTimeoutMs ?? 30_000;
  const impersonation = impersonationFor(kubeConfig);

  async function request(kubeRequest: KubeRequest): Promise<KubeResponse> {
    if (options.dryRunProxy && isDryRun(kubeRequest)) return sendThroughDryRunProxy(options.dryRunProxy, kubeRequest, kubeRequest.timeoutMs ?? defaultTimeoutMs);
    const requestOptions: https.RequestOptions = { headers: {} };
    await kubeConfig.applyToHTTPSOptions(requestOptions);
    const newAgent = (keepAlive: boolean): http.Agent =>
      isHttps
        ? new https.Agent({
            keepAlive,
            ca: requestOptions.ca,
            cert: requestOptions.cert,
            key: requestOptions.key,
            rejectUnauthorized: requestOptions.rejectUnauthorized,
            servername: requestOptions.servername,
          })
        : new http.Agent({ keepAlive });
    agent ??= newAgent(true);
    const url = new URL(base.pathname.replace(/\/$/, '') + kubeRequest.path, base);
    for (const [key, value] of Object.entries(kubeRequest.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(requestOptions.headers ?? {})) {
      if (value !== undefined) headers[key] = Array.isArray(value) ? value.join(', ') : String(value);
    }
    if (requestOptions.auth) headers.Authorization = `Basic ${Buffer.from(requestOptions.auth).toString('base64')}`;
    const requestHeaders: http.OutgoingHttpHeaders = headers;
    if (impersonation) {
      requestHeaders['Impersonate-User'] = impersonation.user;
      // one header per group, as the API server expects
      if (impersonation.groups.length > 0) requestHeaders['Impersonate-Group'] = impersonation.groups;
    }
    headers.Accept = kubeRequest.accept ?? 'application/json';
    let payload: Buffer | undefined;
    if (kubeRequest.body !== undefined) {
      payload = Buffer.from(typeof kubeRequest.body === 'string' ? kubeRequest.body : JSON.stringify(kubeRequest.body));
      headers['Content-Type'] = kubeRequest.contentType ?? 'application/json';
      headers['Content-Length'] = String(payload.length);
    }
    const transport = isHttps ? https : http;
    const method = kubeRequest.method ?? 'GET';
    let reusedSocket = false;
    const attempt = (via: http.Agent) =>
      new Promise<KubeResponse>((resolve, reject) => {
        const outgoing = transport.request(
          url,
          { method, headers: requestHeaders, agent: via, signal: kubeRequest.signal, timeout: kubeRequest.timeoutMs ?? defaultTimeoutMs },
          (incoming) => {
            const chunks: Buffer[] = [];
            incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
            incoming.on('error', reject);
            incoming.on('end', () =>
              resolve({ status: incoming.statusCode ?? 0, contentType: String(incoming.headers['content-type'] ?? ''), text: Buffer.concat(chunks).toString('utf8') }),
            );
          },
        );
        outgoing.on('timeout', () => {
          const error = new Error(`request to ${kubeRequest.path} timed out`);
          error.name = 'TimeoutError';
          outgoing.destroy(error);
        });
        outgoing.on('error', (error) => {
          reusedSocket = outgoing.reusedSocket;
          reject(error);
        });
        outgoing.end(payload);
      });
    // cancelled before it left: nothing was sent, whatever the error says
    const cancelledBeforeSending = kubeRequest.signal?.aborted === true;
    try {
      return await attempt(agent);
    } catch (error) {
      // A keep-alive connection the server (or a proxy, or NAT) closed while it sat idle fails on reuse with
      // ECONNRESET / "socket hang up" before the request reached anyone. A read is safe to send again, once, on a
      // fresh connection. Writes are not retried: the server may have applied them.
      if (method === 'GET' && reusedSocket && isConnectionReset(error) && !kubeRequest.signal?.aborted) {
        // Not through the pool: its other idle connections went idle together with the dead one (a describe opens
        // several at once) and the server may have closed them at the same moment, so the retry would meet one.
        const fresh = newAgent(false);
        try {
          return await attempt(fresh);
        } finally {
          fresh.destroy();
        }
      }
      // A write that was sent and then lost its connection (or its answer timed out, or was cancelled mid-way) may
      // have been applied: say so, so the engine records its outcome as unknown rather than failed.
      if (isWrite(kubeRequest) && !cancelledBeforeSending && isLostAnswer(error)) throw new WriteOutcomeUnknownError(method, kubeRequest.path, error);
      throw error;
    }
  }

  async function json<T>(kubeRequest: KubeRequest): Promise<T> {
    const response = await request(kubeRequest);
    if (response.status >= 400) throw statusError(response);
    return (response.text ? JSON.parse(response.text) : {}) as T;
  }

  return { request, json, server: cluster.server, close: () => agent?.destroy() };
}

/** A request that changes something (not a read, not a dry-run). */
function isWrite(request: KubeRequest): boolean {
  return (request.method ?? 'GET') !== 'GET' && !isDryRun(request);
}

/**
 * The request left and its answer was lost: the connection was reset or closed, it timed out, or it was aborted
 * mid-way. A refused or unresolvable connection is not one of them (nothing was sent).
 */
function isLostAnswer(error: unknown): boolean {
  const { code, name } = error as { code?: string; name?: string };
  return isConnectionReset(error) || code === 'ETIMEDOUT' || code === 'EPIPE' || code === 'ABORT_ERR' || name === 'TimeoutError' || name === 'AbortError';
}

function isConnectionReset(error: unknown): boolean {
  const { code, message } = error as { code?: string; message?: string };
  return code === 'ECONNRESET' || message === 'socket hang up';
}

/** Builds a KubeApiError from a non-2xx response (a meta/v1 Status when the server sent one). */
export function statusError(response: KubeResponse): KubeApiError {
  try {
    const status = JSON.parse(response.text) as { message?: string; reason?: string; details?: { name?: string; kind?: string; group?: string } };
    return new KubeApiError(response.status, status.reason ?? 'Unknown', status.message ?? response.text.slice(0, 500), status.details);
  } catch {
    return new KubeApiError(response.status, 'Unknown', response.text.slice(0, 500) || `HTTP ${response.status}`);
  }
}
