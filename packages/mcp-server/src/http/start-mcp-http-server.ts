/**
 * The standalone MCP server: Streamable HTTP at /mcp (stateless: a fresh McpServer and transport per
 * request, so any number of clients can call concurrently without session bookkeeping), plus
 * /health and /health/ready. Plain node:http keeps it small.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createMcpServer } from '../create-mcp-server.ts';
import { createToolDeps } from '../create-tool-deps.ts';
import type { AnyToolDefinition } from '../tools/tool-definition.ts';
import type { ToolDeps, ToolSettings } from '../tools/deps.ts';
import { isAuthorized, isLoopback } from './bearer-auth.ts';
import { checkReadiness } from './check-readiness.ts';

export interface StartMcpHttpServerOptions {
  port?: number;
  /** default 127.0.0.1 */
  host?: string;
  /** when set, /mcp requires `Authorization: Bearer <token>` */
  authToken?: string;
  /** allow listening on a non-loopback address without a token (you are on your own) */
  allowInsecureRemote?: boolean;
  readOnly?: boolean;
  settings?: Partial<ToolSettings>;
  /** prebuilt deps (tests, embedding); otherwise built from settings */
  deps?: ToolDeps;
  tools?: AnyToolDefinition<ToolDeps>[];
}

export interface McpHttpServer {
  /** http://127.0.0.1:PORT/mcp */
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startMcpHttpServer(options: StartMcpHttpServerOptions = {}): Promise<McpHttpServer> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopback(host) && !options.authToken && !options.allowInsecureRemote) {
    // Anyone who can reach this port could drive the cluster with the server's credentials.
    throw new Error(`Refusing to listen on ${host} without an auth token. Set --auth-token (or MCP_AUTH_TOKEN), bind 127.0.0.1, or pass --allow-insecure-remote if you really mean it.`);
  }
  const baseDeps = options.deps ?? createToolDeps(options.settings ?? {});
  const readOnly = options.readOnly ?? baseDeps.settings.readOnly;
  const deps: ToolDeps = { ...baseDeps, settings: { ...baseDeps.settings, readOnly } };

  const server = http.createServer((request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent) sendJson(response, 500, { error: 'internal error' });
      else response.end();
    });
  });

  async function handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?')[0];
    if (path === '/health' && request.method === 'GET') return sendJson(response, 200, { status: 'ok' });
    if (path === '/health/ready' && request.method === 'GET') {
      const readiness = await checkReadiness(deps);
      if (readiness.ready) return sendJson(response, 200, { status: 'ready' });
      return sendJson(response, 503, { status: 'error', missing: readiness.missing, missing_tools: readiness.missing, cluster: readiness.cluster });
    }
    if (path !== '/mcp') return sendJson(response, 404, { error: 'not found', hint: 'the MCP endpoint is /mcp' });
    if (!isAuthorized(request, options.authToken)) {
      response.setHeader('WWW-Authenticate', 'Bearer');
      return sendJson(response, 401, { error: 'unauthorized', hint: 'send Authorization: Bearer <token>' });
    }
    if (request.method !== 'POST') {
      // Stateless server: no standalone SSE stream and no sessions to delete.
      response.setHeader('Allow', 'POST');
      return sendJson(response, 405, { jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed.' }, id: null });
    }
    const mcp = createMcpServer({ deps, readOnly, tools: options.tools });
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    response.on('close', () => {
      void transport.close();
      void mcp.close();
    });
    await mcp.connect(transport);
    await transport.handleRequest(request, response);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}/mcp`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function sendJson(response: http.ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'Content-Type': 'application/json' });
  response.end(JSON.stringify(body));
}
