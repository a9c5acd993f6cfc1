/**
 * A streaming Kubernetes watch (`?watch=true`, one JSON event per line) for verification. The shared KubeHttp client
 * buffers whole responses, which a watch never ends, so this opens its own request with the same authentication
 * (KubeConfig.applyToHTTPSOptions) and impersonation headers. Why a watch and not polling: a verification that waits
 * two minutes for a rollout must cost nothing while nothing changes (issue 21, point 8).
 *
 * The server ends a watch now and then (its timeout); it is reopened from the last resourceVersion seen, and from
 * scratch (current objects as ADDED) when that version is too old (410 Gone).
 */
import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { impersonationFor } from '../kube/impersonation.ts';

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: Record<string, any>;
}

export interface KubeWatch {
  /** resolves once the first connection answered (so its initial ADDED events are on their way) */
  ready: Promise<void>;
  close(): void;
}

export interface OpenWatchOptions {
  kubeConfig: KubeConfig;
  /** collection path, e.g. /apis/apps/v1/namespaces/shop/deployments */
  path: string;
  query?: Record<string, string | undefined>;
  /** start after this resourceVersion (only changes); absent = current objects as ADDED, then changes */
  resourceVersion?: string;
  signal: AbortSignal;
  onEvent: (event: WatchEvent) => void;
  /** a watch that cannot be (re)opened; the caller decides what that means for the verdict */
  onError: (error: Error) => void;
}

const reconnectDelayMs = 250;
const maxConsecutiveFailures = 5;

export function openWatch(options: OpenWatchOptions): KubeWatch {
  const cluster = options.kubeConfig.getCurrentCluster();
  if (!cluster) throw new Error('The kubeconfig has no current cluster; set a current-context.');
  const base = new URL(cluster.server);
  const transport = base.protocol === 'https:' ? https : http;
  const impersonation = impersonationFor(options.kubeConfig);
  let resourceVersion = options.resourceVersion;
  let closed = false;
  let current: http.ClientRequest | undefined;
  let failures = 0;
  // Each connection's callbacks act only while it is the current one (a destroyed request can still emit end/error).
  let generation = 0;
  let timer: NodeJS.Timeout | undefined;
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (markReady = resolve));

  const close = () => {
    if (closed) return;
    closed = true;
    clearTimeout(timer);
    current?.destroy();
    markReady();
  };
  if (options.signal.aborted) close();
  options.signal.addEventListener('abort', close, { once: true });

  const retry = (error: Error) => {
    if (closed) return;
    failures += 1;
    if (failures >= maxConsecutiveFailures) {
      close();
      options.onError(error);
      return;
    }
    timer = setTimeout(() => void connect(), reconnectDelayMs);
  };

  async function connect(): Promise<void> {
    if (closed) return;
    const requestOptions: https.RequestOptions = { headers: {} };
    try {
      await options.kubeConfig.applyToHTTPSOptions(requestOptions);
    } catch (error) {
      retry(error as Error);
      return;
    }
    const url = new URL(base.pathname.replace(/\/$/, '') + options.path, base);
    for (const [key, value] of Object.entries(options.query ?? {})) if (value !== undefined) url.searchParams.set(key, value);
    url.searchParams.set('watch', 'true');
    url.searchParams.set('allowWatchBookmarks', 'true');
    if (resourceVersion) url.searchParams.set('resourceVersion', resourceVersion);
    const headers: http.OutgoingHttpHeaders = { ...(requestOptions.headers as http.OutgoingHttpHeaders), Accept: 'application/json' };
    if (requestOptions.auth) headers.Authorization = `Basic ${Buffer.from(requestOptions.auth).toString('base64')}`;
    if (impersonation) {
      headers['Impersonate-User'] = impersonation.user;
      if (impersonation.groups.length > 0) headers['Impersonate-Group'] = impersonation.groups;
    }
    const mine = ++generation;
    const live = () => !closed && mine === generation;
    const request = transport.request(url, {
      method: 'GET',
      headers,
      ca: requestOptions.ca,
      cert: requestOptions.cert,
      key: requestOptions.key,
      rejectUnauthorized: requestOptions.rejectUnauthorized,
      servername: requestOptions.servername,
    });
    current = request;
    request.on('response', (response) => {
      if ((response.statusCode ?? 0) >= 400) {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
        response.on('end', () => live() && retry(new Error(`watch ${options.path} answered HTTP ${response.statusCode}: ${body.slice(0, 300)}`)));
        return;
      }
      markReady();
      let buffer = '';
      response.on('data', (chunk: Buffer) => {
        buffer += chunk.toString('utf8');
        let newline: number;
        while ((newline = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, newline).trim();
          buffer = buffer.slice(newline + 1);
          if (line && live()) handleLine(line);
        }
      });
      response.on('end', () => {
        if (!live()) return;
        generation += 1;
        // resumes from the last resourceVersion, so the pause loses nothing
        timer = setTimeout(() => void connect(), reconnectDelayMs);
      });
      response.on('error', (error) => live() && (generation++, retry(error)));
    });
    request.on('error', (error) => live() && (generation++, retry(error)));
    request.end();
  }

  function handleLine(line: string): void {
    let event: { type?: string; object?: Record<string, any> };
    try {
      event = JSON.parse(line);
    } catch {
      return;
    }
    if (event.type === 'ERROR') {
      // 410 Gone: our resourceVersion is too old; start over from the current state.
      if (event.object?.code === 410) resourceVersion = undefined;
      generation += 1;
      current?.destroy();
      void connect();
      return;
    }
    const version = event.object?.metadata?.resourceVersion;
    if (version) resourceVersion = String(version);
    if (event.type === 'BOOKMARK' || !event.object) return;
    if (event.type === 'ADDED' || event.type === 'MODIFIED' || event.type === 'DELETED') {
      failures = 0;
      options.onEvent({ type: event.type, object: event.object });
    }
  }

  void connect();
  return { ready, close };
}
