/**
 * A loopback HTTP proxy that adds `Authorization: Bearer <token>` to every request it forwards (unless the request
 * has one). The conformance suite's CLI has no option for a header, and every request to `skyflo mcp` needs one, so
 * the suite talks to this proxy; everything else (Host, Origin, the body, SSE streams in both directions) passes
 * through untouched, so the server still sees the suite's own DNS-rebinding probes.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface BearerProxy {
  /** the target URL as reached through the proxy (same path) */
  url: string;
  close(): Promise<void>;
}

export async function startBearerProxy(target: string, token: string): Promise<BearerProxy> {
  const targetUrl = new URL(target);
  const server = http.createServer((request, response) => {
    const headers = { ...request.headers };
    if (!headers.authorization) headers.authorization = `Bearer ${token}`;
    const upstream = http.request(
      { host: targetUrl.hostname, port: targetUrl.port, method: request.method, path: request.url, headers },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on('error', () => {
      if (!response.headersSent) response.writeHead(502);
      response.end();
    });
    // a client that goes away (closing an SSE stream) must close the upstream stream too
    response.on('close', () => upstream.destroy());
    request.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}${targetUrl.pathname}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
