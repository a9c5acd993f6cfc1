/**
 * The standalone MCP server: Streamable HTTP at /mcp, plus /health and /health/ready. Plain node:http
 * keeps it small.
 *
 * Two protocol eras on one endpoint (MCP SDK v2). A 2026-07-28 request carries its protocol version, client info and
 * capabilities in its own `_meta` envelope: there are no sessions, and each request is answered by a server built
 * for it (the SDK's createMcpHandler). A 2025-era client (2025-11-25, 2025-06-18, 2025-03-26) initializes and gets a
 * session with its own McpServer, reused for every later call (building a server with the whole catalogue costs a few
 * ms, which would dominate a 1 ms tool call); only a session can carry the mid-call elicitation that --confirm asks
 * with. 2025-era requests without a session id that are not an initialize are served statelessly, so plain JSON-RPC
 * clients (curl) work too. Idle sessions are dropped after `sessionIdleMs`.
 *
 * Auth: every request to /mcp presents a bearer token, loopback included (http/bearer-auth.ts): the engine token makes
 * a trusted session (the engine's gate already asked a human), the client token an untrusted one (changes go
 * through --confirm). A session belongs to the caller that opened it.
 *
 * OAuth (issue 39, MCP authorization spec): with `oauth` set, the server is also a protected resource of an external
 * authorization server: it publishes /.well-known/oauth-protected-resource and accepts that server's access tokens
 * (http/oauth-resource.ts). Their holders are untrusted clients, exactly like the client token's.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { NodeStreamableHTTPServerTransport, toNodeHandler, toWebRequest } from '@modelcontextprotocol/node';
import { createMcpHandler, isInitializeRequest, isLegacyRequest, type McpServer } from '@modelcontextprotocol/server';
import { createMcpServer } from './create-mcp-server.ts';
import { createToolDeps } from './create-tool-deps.ts';
import type { AnyToolDefinition } from './contract/tool-definition.ts';
import { withToolDeps, type ToolDeps, type ToolSettings } from './deps/deps.ts';
import { isLoopback, rebindingRefusal, type HttpCaller } from './http/bearer-auth.ts';
import { authorizeRequest } from './http/authorize-request.ts';
import { createOAuthResourceServer, type OAuthResourceServer, type OAuthSettings } from './http/oauth-resource.ts';
import { checkReadiness } from './http/check-readiness.ts';
import { parseJsonRpcBody } from './http/jsonrpc-body.ts';
import { createSessionEventStore } from './http/session-event-store.ts';
import { negotiatedProtocolVersion, withProtocolVersion } from './http/session-protocol-version.ts';
import { createPortForwards } from './port-forward/create-port-forwards.ts';
import type { ConfirmMode } from './confirm/confirm-mode.ts';
import type { EngineApprovals } from './confirm/confirm-through-skyflo.ts';

export interface StartMcpHttpServerOptions {
  port?: number;
  /** default 127.0.0.1 */
  host?: string;
  /** the engine's token: callers presenting it are the Skyflo engine (trusted, never asked to confirm) */
  authToken?: string;
  /** the token of direct clients (IDEs, the Inspector): their changes go through `confirm`. At least one token is required. */
  clientToken?: string;
  readOnly?: boolean;
  settings?: Partial<ToolSettings>;
  /** prebuilt deps (tests, embedding); otherwise built from settings */
  deps?: ToolDeps;
  tools?: AnyToolDefinition<ToolDeps>[];
  /**
   * Client-token callers' calls of tools that are not read-only: elicit (default), deny or allow. Callers holding
   * `authToken` are the engine and are never asked (see create-mcp-server.ts).
   */
  confirm?: ConfirmMode;
  /** --confirm=skyflo: the engine whose approval gate decides client-token callers' changes */
  engineApprovals?: EngineApprovals;
  /** drop sessions unused for this long (default 30 min) */
  sessionIdleMs?: number;
  /** accept access tokens of this authorization server too (MCP_OAUTH_ISSUER…); their holders are untrusted clients */
  oauth?: OAuthSettings;
}

interface Session {
  transport: NodeStreamableHTTPServerTransport;
  server: McpServer;
  lastUsed: number;
  /** who opened it; only the same caller (the engine, the client token, one OAuth subject) may use it */
  caller: HttpCaller;
  principal: string;
  /** negotiated at initialize; the session's requests are answered as this version (http/session-protocol-version.ts) */
  protocolVersion: string;
}

const MAX_BODY_BYTES = 8 * 1024 * 1024;
/** how long a client waits before reconnecting to a dropped SSE stream (the priming event's `retry:` field) */
export const sseRetryMs = 1000;

export interface McpHttpServer {
  /** http://127.0.0.1:PORT/mcp */
  url: string;
  port: number;
  /** with OAuth: where the protected-resource metadata is published */
  resourceMetadataUrl?: string;
  close(): Promise<void>;
}

/** How long an idle keep-alive connection stays open (advertised as `Keep-Alive: timeout=65`). */
const mcpKeepAliveTimeoutMs = 65_000;

export async function startMcpHttpServer(options: StartMcpHttpServerOptions = {}): Promise<McpHttpServer> {
  const host = options.host ?? '127.0.0.1';
  const tokens = { engineToken: options.authToken || undefined, clientToken: options.clientToken || undefined };
  if (!tokens.engineToken && !tokens.clientToken && !options.oauth) {
    // Anyone who can reach this port, 127.0.0.1 included (any local process or user), could drive the cluster.
    throw new Error('The MCP HTTP server needs a token: set the engine token (--auth-token / MCP_AUTH_TOKEN) or a client token (--client-token / MCP_CLIENT_TOKEN), or accept OAuth access tokens (MCP_OAUTH_ISSUER); skyflo mcp generates a client token into the data dir when none is set.');
  }
  if (tokens.engineToken && tokens.engineToken === tokens.clientToken) {
    throw new Error('The client token must differ from the engine token (--auth-token): a client holding it would bypass confirmation.');
  }
  // a misconfigured issuer or audience fails the start, not the first request (discovery itself waits for a token)
  if (options.oauth) createOAuthResourceServer(options.oauth, 'http://127.0.0.1/mcp');
  const loopbackOnly = isLoopback(host);
  const baseDeps = options.deps ?? createToolDeps(options.settings ?? {});
  const readOnly = options.readOnly ?? baseDeps.settings.readOnly;
  // One registry for all sessions: a forward belongs to the server process, not to the session that asked.
  const portForwards = baseDeps.portForwards ?? createPortForwards({ runner: baseDeps.runner });
  const deps: ToolDeps = withToolDeps(baseDeps, { settings: { ...baseDeps.settings, readOnly }, portForwards });

  // set once listening (the default resource identifier is our own URL, port included)
  let oauth: OAuthResourceServer | undefined;

  const server = http.createServer((request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent) sendJson(response, 500, { error: 'internal error' });
      else response.end();
    });
  });
  // An idle keep-alive connection must be closed by the client, never by this server as a request goes out on it: that
  // request fails ("fetch failed") whether or not it ran. Node's fetch (the engine's) stops reusing a connection 2 s
  // before the timeout the server advertises; at Node's default 5 s, one late timer on a busy host was enough for the
  // race. Longer than the idle timeouts of common clients, as load balancers advise; headers must outlast it.
  server.keepAliveTimeout = mcpKeepAliveTimeoutMs;
  server.headersTimeout = mcpKeepAliveTimeoutMs + 1_000;

  async function handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?')[0];
    if (path === '/health' && request.method === 'GET') return sendJson(response, 200, { status: 'ok' });
    if (path === '/health/ready' && request.method === 'GET') {
      const readiness = await checkReadiness(deps);
      if (readiness.ready) return sendJson(response, 200, { status: 'ready' });
      return sendJson(response, 503, { status: 'error', missing: readiness.missing, missing_tools: readiness.missing, cluster: readiness.cluster });
    }
    if (oauth && oauth.metadataPaths.includes(path) && request.method === 'GET') {
      // public, and read by browser-based clients from another origin (RFC 9728 §3)
      response.setHeader('Access-Control-Allow-Origin', '*');
      return sendJson(response, 200, oauth.metadata);
    }
    if (path !== '/mcp') return sendJson(response, 404, { error: 'not found', hint: 'the MCP endpoint is /mcp' });
    // Before anything else (initialize included): no valid token, nothing is served.
    const authorization = await authorizeRequest(request, tokens, oauth);
    if (!authorization.ok) {
      for (const [name, value] of Object.entries(authorization.headers)) response.setHeader(name, value);
      return sendJson(response, authorization.status, authorization.body);
    }
    const { caller, principal } = authorization;
    // the SDK hands this to request handlers as `extra.authInfo`
    if (authorization.authInfo) (request as http.IncomingMessage & { auth?: unknown }).auth = authorization.authInfo;
    if (caller === 'client' && loopbackOnly) {
      const refusal = rebindingRefusal(request);
      if (refusal) return sendJson(response, 403, { error: 'forbidden', message: refusal, hint: 'connect to http://127.0.0.1:<port>/mcp' });
    }
    // A POST body is checked here, before the session's transport: malformed JSON-RPC gets the error the spec names.
    let body: unknown;
    if (request.method === 'POST') {
      let text: string;
      try {
        text = await readBody(request);
      } catch (error) {
        return sendJson(response, 413, { jsonrpc: '2.0', error: { code: -32600, message: `Invalid Request: ${(error as Error).message}` }, id: null });
      }
      const parsed = parseJsonRpcBody(text);
      if (!parsed.ok) return sendJson(response, 400, parsed.error);
      body = parsed.body;
    }
    const sessionId = request.headers['mcp-session-id'];
    // 2026-07-28: the request carries its envelope (the SDK's own classification decides, so the two never disagree)
    if (sessionId === undefined && request.method === 'POST' && !(await isLegacyRequest(await toWebRequest(request, body), body))) {
      return modernHandler(caller)(request, response, body);
    }
    if (typeof sessionId === 'string') {
      const session = sessions.get(sessionId);
      // A session opened by the engine is trusted; a client token must never ride on it (nor the reverse).
      if (!session || session.caller !== caller || session.principal !== principal) return sendJson(response, 404, { jsonrpc: '2.0', error: { code: -32001, message: 'Session not found; initialize again.' }, id: null });
      session.lastUsed = Date.now();
      withProtocolVersion(request, session.protocolVersion);
      return session.transport.handleRequest(request, response, body);
    }
    if (request.method !== 'POST') {
      response.setHeader('Allow', 'POST');
      return sendJson(response, 405, { jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed without a session.' }, id: null });
    }
    // Only the engine token makes a trusted server; a client token's changes are confirmed by a human (--confirm).
    const mcp = createMcpServer({ deps, readOnly, tools: options.tools, trustedCaller: caller === 'engine', confirm: options.confirm, ...(options.engineApprovals ? { engineApprovals: options.engineApprovals } : {}) });
    if (isInitializeRequest(body)) {
      const protocolVersion = negotiatedProtocolVersion(body.params.protocolVersion);
      const transport: NodeStreamableHTTPServerTransport = new NodeStreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        // SSE responses, so progress notifications of slow tools reach the client while the call runs.
        enableJsonResponse: false,
        // Resumable streams (MCP 2025-11-25): each POST stream opens with a priming event (id, `retry:`, empty
        // data), and a client that lost its connection reconnects after `retry` ms with Last-Event-ID to get the rest.
        eventStore: createSessionEventStore(),
        retryInterval: sseRetryMs,
        onsessioninitialized: (id) => {
          sessions.set(id, { transport, server: mcp, lastUsed: Date.now(), caller, principal, protocolVersion });
        },
      });
      transport.onclose = () => {
        if (transport.sessionId) sessions.delete(transport.sessionId);
      };
      await mcp.connect(transport);
      return transport.handleRequest(request, response, body);
    }
    const transport = new NodeStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    response.on('close', () => {
      void transport.close();
      void mcp.close();
    });
    await mcp.connect(transport);
    await transport.handleRequest(request, response, body);
  }

  /**
   * The 2026-07-28 leg, one per kind of caller (the engine's calls are trusted, a client's go through --confirm).
   * Strict (`legacy: 'reject'`): 2025-era requests never reach it, they are routed to the sessions above.
   */
  const modernHandlers = new Map<HttpCaller, { handler: ReturnType<typeof createMcpHandler>; node: ReturnType<typeof toNodeHandler> }>();
  function modernHandler(caller: HttpCaller): ReturnType<typeof toNodeHandler> {
    let entry = modernHandlers.get(caller);
    if (!entry) {
      const handler = createMcpHandler(() => createMcpServer({ deps, readOnly, tools: options.tools, trustedCaller: caller === 'engine', confirm: options.confirm, ...(options.engineApprovals ? { engineApprovals: options.engineApprovals } : {}) }), {
        legacy: 'reject',
        maxRequestBodySize: MAX_BODY_BYTES,
      });
      entry = { handler, node: toNodeHandler(handler, { maxRequestBodySize: MAX_BODY_BYTES }) };
      modernHandlers.set(caller, entry);
    }
    return entry.node;
  }

  const sessions = new Map<string, Session>();
  const idleMs = options.sessionIdleMs ?? 30 * 60_000;
  const sweeper = setInterval(() => {
    const cutoff = Date.now() - idleMs;
    for (const [id, session] of sessions) {
      if (session.lastUsed < cutoff) {
        sessions.delete(id);
        void session.transport.close();
        void session.server.close();
      }
    }
  }, Math.min(idleMs, 60_000));
  sweeper.unref();

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const url = `http://${urlHost}:${port}/mcp`;
  if (options.oauth) oauth = createOAuthResourceServer(options.oauth, url);
  return {
    url,
    ...(oauth ? { resourceMetadataUrl: oauth.metadataUrl } : {}),
    port,
    close: async () => {
      clearInterval(sweeper);
      await Promise.all([...modernHandlers.values()].map((entry) => entry.handler.close()));
      if (!baseDeps.portForwards) portForwards.closeAll();
      await Promise.all([...sessions.values()].map(async (session) => {
        await session.transport.close();
        await session.server.close();
      }));
      sessions.clear();
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}

function readBody(request: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('request body too large'));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function sendJson(response: http.ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'Content-Type': 'application/json' });
  response.end(JSON.stringify(body));
}
