/**
 * The Kubernetes HTTP client and a dead keep-alive connection: a loopback server that resets a connection
 * when a request arrives on it a second time (as a server or NAT that dropped an idle connection would).
 * A GET is sent once more on a new connection (never on another idle one); a write is not; and a read is not retried twice.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { KubeConfig } from '@kubernetes/client-node';
import { createKubeHttp, type KubeHttp } from '../../src/kube/create-kube-http.ts';
import { toToolInputError, WriteOutcomeUnknownError } from '../../src/kube/kube-api-error.ts';

interface Received {
  method: string;
  path: string;
  socket: number;
  reset: boolean;
}

interface ResettingServer {
  url: string;
  received: Received[];
  close(): Promise<void>;
}

/** Answers {"ok":true}; `shouldReset` decides, per request, whether to reset its connection instead. */
async function startResettingServer(shouldReset: (request: { reused: boolean; index: number; method: string }) => boolean): Promise<ResettingServer> {
  const received: Received[] = [];
  const sockets = new Map<Socket, number>();
  const perSocket = new Map<Socket, number>();
  const server = http.createServer((request, response) => {
    const socket = request.socket;
    if (!sockets.has(socket)) sockets.set(socket, sockets.size + 1);
    const count = (perSocket.get(socket) ?? 0) + 1;
    perSocket.set(socket, count);
    const reset = shouldReset({ reused: count > 1, index: received.length, method: request.method ?? 'GET' });
    received.push({ method: request.method ?? 'GET', path: request.url ?? '', socket: sockets.get(socket)!, reset });
    request.resume();
    request.on('end', () => {
      if (reset) {
        socket.resetAndDestroy();
        return;
      }
      response.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ ok: true, path: request.url }));
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

function clientFor(url: string): KubeHttp {
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: 'loopback', server: url, skipTLSVerify: true }],
    users: [{ name: 'user', token: 'test-token' }],
    contexts: [{ name: 'loopback', cluster: 'loopback', user: 'user' }],
    currentContext: 'loopback',
  });
  return createKubeHttp(config);
}

let server: ResettingServer | undefined;
let client: KubeHttp | undefined;
afterEach(async () => {
  client?.close();
  await server?.close();
  server = undefined;
  client = undefined;
});

describe('kube HTTP client and reset keep-alive connections', () => {
  it('retries a GET once, on a new connection, when its reused connection is reset', async () => {
    let resets = 0;
    server = await startResettingServer(({ reused }) => reused && resets++ === 0);
    client = clientFor(server.url);
    expect(await client.json({ path: '/api/v1/namespaces' })).toEqual({ ok: true, path: '/api/v1/namespaces' });
    expect(await client.json({ path: '/api/v1/pods' })).toEqual({ ok: true, path: '/api/v1/pods' });
    expect(server.received).toEqual([
      { method: 'GET', path: '/api/v1/namespaces', socket: 1, reset: false },
      { method: 'GET', path: '/api/v1/pods', socket: 1, reset: true },
      { method: 'GET', path: '/api/v1/pods', socket: 2, reset: false },
    ]);
  });

  it('retries on a new connection, not on another idle one that may have died at the same moment', async () => {
    // Every request on a reused connection is reset: the server dropped all its idle connections at once.
    server = await startResettingServer(({ reused }) => reused);
    client = clientFor(server.url);
    // two reads at once open two connections, which then sit idle in the pool
    await Promise.all([client.json({ path: '/api/v1/namespaces' }), client.json({ path: '/api/v1/nodes' })]);
    expect(await client.json({ path: '/api/v1/pods' })).toEqual({ ok: true, path: '/api/v1/pods' });
    const retried = server.received.slice(2);
    expect(retried.map((entry) => [entry.path, entry.reset])).toEqual([['/api/v1/pods', true], ['/api/v1/pods', false]]);
    // the retry went out on a third connection, not the other idle one
    expect(new Set(server.received.map((entry) => entry.socket)).size).toBe(3);
    expect(retried[1]!.socket).toBe(3);
  });

  it('does not resend a write: the server may have applied it', async () => {
    server = await startResettingServer(({ reused }) => reused);
    client = clientFor(server.url);
    await client.json({ path: '/api/v1/namespaces' });
    // issue 75: the write reached the server before its connection broke, so whether it was applied is unknown
    const lost = await client.json({ method: 'POST', path: '/api/v1/namespaces/default/configmaps', body: { metadata: { name: 'x' } } }).catch((error: unknown) => error);
    expect(lost).toBeInstanceOf(WriteOutcomeUnknownError);
    expect(lost).toMatchObject({ code: 'OUTCOME_UNKNOWN', message: 'the POST to the Kubernetes API server was sent but its answer was lost (ECONNRESET)', cause: { code: 'ECONNRESET' } });
    expect(toToolInputError(lost, { action: 'run k8s_apply' })).toMatchObject({ code: 'OUTCOME_UNKNOWN', message: expect.stringContaining('the change may or may not have been applied') });
    expect(server.received.map((entry) => `${entry.method} ${entry.reset ? 'reset' : 'ok'}`)).toEqual(['GET ok', 'POST reset']);
  });

  it('a dry-run that loses its answer changed nothing: its error stays a connection error', async () => {
    server = await startResettingServer(({ reused }) => reused);
    client = clientFor(server.url);
    await client.json({ path: '/api/v1/namespaces' });
    await expect(client.json({ method: 'POST', path: '/api/v1/namespaces/default/configmaps', query: { dryRun: 'All' }, body: { metadata: { name: 'x' } } })).rejects.toMatchObject({ code: 'ECONNRESET' });
  });

  it('retries only once, and never a GET that failed on a new connection', async () => {
    server = await startResettingServer(({ index }) => index > 0);
    client = clientFor(server.url);
    await client.json({ path: '/api/v1/namespaces' });
    // The retry goes out on a new connection, is reset too, and the error surfaces.
    await expect(client.json({ path: '/api/v1/pods' })).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(server.received.map((entry) => [entry.socket, entry.reset])).toEqual([[1, false], [1, true], [2, true]]);
    // A fresh connection that is reset is not a stale keep-alive socket: no retry.
    await expect(client.json({ path: '/api/v1/nodes' })).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(server.received).toHaveLength(4);
  });
});
