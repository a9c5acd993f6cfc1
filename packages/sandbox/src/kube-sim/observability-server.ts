/**
 * One plain-HTTP listener beside the API server serving the Prometheus query API (/api/v1/…) and the Loki query API
 * (/loki/api/v1/…) over the simulated cluster, so Skyflo's observability tools and a real Grafana can be pointed at
 * it by URL, and the series themselves at /metrics in the exposition format, for a real Prometheus to scrape. Optional bearer or basic authentication, as a Prometheus behind a proxy would ask for: a request without
 * the right credentials gets 401 and nothing else.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import type { SimCluster } from './cluster-types.ts';
import type { ContainerLogs } from './runtime/container-logs.ts';
import { createSeriesSource, type SeriesSource } from './prometheus/series-model.ts';
import { createPrometheusApi, type ApiAnswer } from './prometheus/prometheus-api.ts';
import { createLokiApi } from './loki/loki-api.ts';
import { expositionContentType, renderExposition } from './prometheus/exposition.ts';
import { renderGraphPage } from './prometheus/graph-page.ts';

export interface ObservabilityOptions {
  /** port for the Prometheus/Loki listener; 0 (the default) picks a free one */
  port?: number;
  /** require `Authorization: Bearer <token>` */
  bearerToken?: string;
  /** require basic authentication with these credentials */
  basicAuth?: { username: string; password: string };
  /** seconds of history the scenario's objects get (see series-model.ts); default 3600 */
  historySeconds?: number;
  /**
   * Serve the /graph page without credentials: a chart's "Open in Prometheus" link opens in a browser, which has no
   * token (the sandbox's listener, on loopback; the query API keeps asking for the token).
   */
  publicGraph?: boolean;
  /** Loki is multi-tenant: requests must send this X-Scope-OrgID (401 "no org id" without one) */
  lokiTenant?: string;
}

export interface ObservabilityServer {
  /** e.g. http://127.0.0.1:40124: a Prometheus base URL and a Loki base URL at once */
  url: string;
  /** the bearer token it requires, when it requires one (like KubeSim.adminToken: for whoever started it) */
  bearerToken?: string;
  /** the paths asked for, oldest first (never headers or credentials), so tests can see what a client sent */
  requests: Array<{ method: string; path: string; status: number }>;
  close(): Promise<void>;
}

const maxBody = 1 << 20;

function same(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function authorised(request: IncomingMessage, options: ObservabilityOptions): boolean {
  const header = request.headers.authorization ?? '';
  if (options.bearerToken) return same(header, `Bearer ${options.bearerToken}`);
  if (options.basicAuth) return same(header, `Basic ${Buffer.from(`${options.basicAuth.username}:${options.basicAuth.password}`).toString('base64')}`);
  return true;
}

async function readForm(request: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > maxBody) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function send(response: ServerResponse, answer: ApiAnswer): void {
  const isText = typeof answer.body === 'string';
  const text = isText ? (answer.body as string) : JSON.stringify(answer.body);
  response.writeHead(answer.code, { 'Content-Type': isText ? 'text/plain; charset=utf-8' : 'application/json', 'Content-Length': Buffer.byteLength(text) });
  response.end(text);
}

/** `source`: series watched since before the scenario loaded (startKubeSim); made here otherwise. Closed with the server. */
export async function startObservabilityServer(input: { cluster: SimCluster; logs: ContainerLogs; host: string; options: ObservabilityOptions; source?: SeriesSource }): Promise<ObservabilityServer> {
  const { cluster, options } = input;
  const now = () => cluster.clock.now();
  const source = input.source ?? createSeriesSource(cluster, { ...(options.historySeconds !== undefined ? { historySeconds: options.historySeconds } : {}) });
  const prometheus = createPrometheusApi({ source, now });
  const loki = createLokiApi({ cluster, logs: input.logs, now, ...(options.lokiTenant !== undefined ? { tenant: options.lokiTenant } : {}) });
  const requests: ObservabilityServer['requests'] = [];

  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://kube-sim');
    const log = (status: number) => {
      requests.push({ method: request.method ?? 'GET', path: url.pathname, status });
      if (requests.length > 1000) requests.shift();
    };
    if (!authorised(request, options) && !(options.publicGraph && url.pathname === '/graph' && request.method === 'GET')) {
      log(401);
      response.writeHead(401, { 'Content-Type': 'text/plain', 'WWW-Authenticate': options.bearerToken ? 'Bearer' : 'Basic realm="kube-sim"' });
      response.end('Unauthorized\n');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'POST') {
      log(405);
      send(response, { code: 405, body: 'method not allowed' });
      return;
    }
    const form = request.method === 'POST' && String(request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded') ? readForm(request) : Promise.resolve(new URLSearchParams());
    form.then(
      (body) => {
        const params = new URLSearchParams(url.searchParams);
        for (const [name, value] of body) params.append(name, value);
        if (url.pathname === '/graph') {
          const html = renderGraphPage(params, now().getTime() / 1000, (query) => prometheus.answer('/api/v1/query_range', query));
          log(200);
          response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': Buffer.byteLength(html), 'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'" });
          response.end(html);
          return;
        }
        if (url.pathname === '/metrics') {
          const text = renderExposition(source.series(), now().getTime() / 1000);
          log(200);
          response.writeHead(200, { 'Content-Type': expositionContentType, 'Content-Length': Buffer.byteLength(text) });
          response.end(text);
          return;
        }
        const orgId = typeof request.headers['x-scope-orgid'] === 'string' ? request.headers['x-scope-orgid'] : undefined;
        const answer = url.pathname === '/-/ready' || url.pathname === '/ready' ? { code: 200, body: 'ready\n' } : url.pathname.startsWith('/loki/') ? loki.answer(url.pathname, params, orgId) : prometheus.answer(url.pathname, params);
        log(answer.code);
        send(response, answer);
      },
      (error: Error) => {
        log(400);
        send(response, { code: 400, body: error.message });
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, input.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${input.host.includes(':') ? `[${input.host}]` : input.host}:${port}`,
    ...(options.bearerToken ? { bearerToken: options.bearerToken } : {}),
    requests,
    async close() {
      source.close();
      loki.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
