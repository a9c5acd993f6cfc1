/**
 * The tool gateway over the MCP SDK client. Three ways to reach the server: an already connected `client`
 * (e.g. from @skyflo/mcp-server's connectInProcess), a Streamable HTTP `url`, or `embedded` (the MCP server
 * runs in this process over an in-memory transport).
 */
import { toolCallTraceContext } from '../../platform/observability/tracing/spans.ts';
import { Client, ProtocolError, ProtocolErrorCode, SdkHttpError, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { legacyMcpMetaKeys, listedToolSchema, mcpMetaKeys, previewToolCallName, type PreviewToolCallArguments } from '@skyflo/protocol';
import { toToolInfo } from '../../domain/tools/classify-tool.ts';
import { fetchWithLinkedSignals, linkAbort } from '../../platform/abort/linked-abort.ts';
import { ToolCallNotRunError, type ToolCallOutcome, type ToolGateway, type ToolInfo } from '../../platform/ports/tool-gateway.ts';

type ToolCallRequest = Parameters<ToolGateway['callTool']>[0];

export interface CreateToolGatewayOptions {
  /** an already connected MCP client; the gateway does not close it unless `closeClient` says so */
  client?: Client;
  closeClient?: () => Promise<void>;
  /** Streamable HTTP endpoint, e.g. http://127.0.0.1:8888/mcp */
  url?: string;
  /** sent as `Authorization: Bearer …` to a remote MCP server */
  authToken?: string;
  /** run the MCP server in-process against this kubeconfig, with these Helm settings */
  embedded?: { kubeconfigPath?: string; readOnly?: boolean; helmAllowedRegistries?: string[]; helmChartCacheDir?: string; integrationsNamespace?: string; dryRunProxyEnv?: Record<string, string | undefined>; helmChartDirs?: string[]; clusterLabels?: Record<string, string> };
  /** how long the tool list (and annotations) is cached, ms; default 60 s */
  cacheMs?: number;
  /**
   * For older servers only (a `preview: {tool}` listing without `_meta["skyflo.ai/preview"]`): maps a tool's
   * arguments onto the preview tool's. Default: legacyPreviewArguments.
   */
  previewArguments?: (input: { tool: string; previewTool: string; args: Record<string, unknown> }) => Record<string, unknown>;
}

interface Connection {
  client: Client;
  close: () => Promise<void>;
}

function textOf(result: { content?: unknown; structuredContent?: unknown }): string {
  const content = Array.isArray(result.content) ? result.content : [];
  const texts = content
    .filter((part): part is { type: 'text'; text: string } => part?.type === 'text' && typeof part.text === 'string')
    .map((part) => part.text);
  if (texts.length > 0) return texts.join('\n');
  return result.structuredContent ? JSON.stringify(result.structuredContent) : '';
}

/**
 * Structured results: MCP's structuredContent on success; a failure's structured error under
 * `_meta["skyflo.ai/structured"]` (older versions of our server: `_meta["skyflo/structured"]` for both).
 */
function structuredOf(result: { structuredContent?: unknown; _meta?: Record<string, unknown> }): { structured?: Record<string, unknown> } {
  const structured = result.structuredContent ?? result._meta?.[mcpMetaKeys.structured] ?? result._meta?.[legacyMcpMetaKeys.structured];
  return structured && typeof structured === 'object' && !Array.isArray(structured) ? { structured: structured as Record<string, unknown> } : {};
}

async function connect(options: CreateToolGatewayOptions): Promise<Connection> {
  if (options.client) return { client: options.client, close: options.closeClient ?? (async () => {}) };
  if (options.url) {
    // @skyflo/mcp-server (its whole tool catalogue) is loaded when a connection needs it, not with this module: an
    // engine handed a connected client (tests with a fake server) never loads it
    const { sharedSchemaValidator } = await import('@skyflo/mcp-server');
    // 'auto': the current protocol (2026-07-28, per-request, no session) with a server that speaks it, found by a
    // server/discover probe; the 2025 initialize handshake with one that does not (an older skyflo mcp).
    const client = new Client({ name: 'skyflo-engine', version: '0.1.0' }, { versionNegotiation: { mode: 'auto' }, jsonSchemaValidator: sharedSchemaValidator() });
    const headers: Record<string, string> = options.authToken ? { Authorization: `Bearer ${options.authToken}` } : {};
    // fetchWithLinkedSignals: the transport hands its one long-lived signal to every fetch; each request gets its
    // own instead, released when the request ends (see linked-abort.ts).
    const transport = new StreamableHTTPClientTransport(new URL(options.url), { requestInit: { headers }, fetch: fetchWithLinkedSignals() });
    try {
      await client.connect(transport);
    } catch (error) {
      throw new ToolCallNotRunError(`Cannot reach the MCP server at ${options.url} (MCP_SERVER_URL): ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    return { client, close: () => client.close() };
  }
  const embedded = options.embedded ?? {};
  const { connectInProcess, createToolDeps } = await import('@skyflo/mcp-server');
  const deps = createToolDeps({
    kubeconfigPath: embedded.kubeconfigPath,
    // the engine's own configuration, not this process's environment (the sandbox runs the engine with its own env)
    ...(embedded.dryRunProxyEnv ? { dryRunProxyEnv: embedded.dryRunProxyEnv } : {}),
    ...(embedded.clusterLabels ? { clusterLabels: embedded.clusterLabels } : {}),
    ...(embedded.helmAllowedRegistries ? { helmAllowedRegistries: embedded.helmAllowedRegistries } : {}),
    ...(embedded.helmChartDirs ? { helmChartDirs: embedded.helmChartDirs } : {}),
    ...(embedded.helmChartCacheDir ? { helmChartCacheDir: embedded.helmChartCacheDir } : {}),
    ...(embedded.integrationsNamespace ? { integrationsNamespace: embedded.integrationsNamespace } : {}),
  });
  return connectInProcess({ deps, readOnly: embedded.readOnly });
}

/**
 * Best effort for servers that name a preview tool but offer no preview_tool_call: the same arguments plus
 * `tool` and an `operation` named after the tool (k8s_scale → 'scale'), the convention of Skyflo's k8s_diff.
 * The preview tool validates them, so a mismatch comes back as a preview error, never as an execution.
 */
export function legacyPreviewArguments({ tool, args }: { tool: string; previewTool: string; args: Record<string, unknown> }): Record<string, unknown> {
  return { operation: tool.replace(/^[a-z0-9]+_/, ''), ...args, tool };
}

/**
 * The request never reached a server that could act on it: its session is unknown there (a restarted server: 404), or
 * the connection was refused (nothing listens). A reset or a timeout is not one of these: the server may have it.
 */
function wasNotReceived(error: unknown): boolean {
  if (error instanceof SdkHttpError && error.status === 404) return true;
  for (let current: unknown = error, depth = 0; current && depth < 4; depth += 1) {
    if ((current as { code?: unknown }).code === 'ECONNREFUSED') return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** The HTTP transport itself failed (the socket closed under a request, an HTTP error): its session is not to be trusted. */
function brokeTransport(error: unknown): boolean {
  return error instanceof SdkHttpError || socketFailed(error);
}

/** The connection itself failed under the request (closed, reset): fetch's "fetch failed", the socket error as cause. */
function socketFailed(error: unknown): boolean {
  return error instanceof TypeError && error.message === 'fetch failed';
}

/** Progress only keeps a call alive (resetTimeoutOnProgress); the engine has no progress event to report it as. */
const ignoreProgress = (): void => {};

export function createToolGateway(options: CreateToolGatewayOptions): ToolGateway {
  const cacheMs = options.cacheMs ?? 60_000;
  let connection: Promise<Connection> | undefined;
  let cache: { at: number; tools: ToolInfo[] } | undefined;
  let listing: Promise<ToolInfo[]> | undefined;

  const getClient = async (): Promise<Client> => {
    connection ??= connect(options);
    try {
      return (await connection).client;
    } catch (error) {
      // Let the next call try again instead of caching a failed connection forever.
      connection = undefined;
      // no connection, nothing sent: a call that fails here did not run
      throw error instanceof ToolCallNotRunError ? error : new ToolCallNotRunError(error instanceof Error ? error.message : String(error), { cause: error });
    }
  };

  /**
   * Issue 75: a remote MCP server that restarted (or dropped an idle session) answers 404 "Session not found" to the
   * session this gateway holds, and one that is down refuses the connection: the request was not received, and every
   * later one would fail the same way on the cached connection. It is dropped, so the next request connects anew; the
   * error says the call did not run.
   */
  const notReceived = async (error: unknown, used: Promise<Connection> | undefined): Promise<never> => {
    if (!options.url || !(wasNotReceived(error) || brokeTransport(error))) throw error;
    if (connection === used) connection = undefined;
    void used?.then((stale) => stale.close()).catch(() => undefined);
    // a connection that broke may have carried the request to the server before it did: that error stands as it is
    if (!wasNotReceived(error)) throw error;
    throw new ToolCallNotRunError(`The MCP server at ${options.url} did not receive the request (${error instanceof Error ? error.message : String(error)}); the next request connects again.`, { cause: error });
  };

  const fetchTools = async (): Promise<ToolInfo[]> => {
    const used = connection;
    try {
      return await listEveryTool();
    } catch (error) {
      return notReceived(error, used ?? connection);
    }
  };

  const listEveryTool = async (): Promise<ToolInfo[]> => {
    const client = await getClient();
    const tools: ToolInfo[] = [];
    let cursor: string | undefined;
    do {
      // without a cursor the SDK v2 walks every page itself; the loop stays for a cursor it hands back anyway
      const page = await client.listTools(cursor ? { cursor } : undefined);
      // The SDK has checked each tool against MCP's schema; ours is the part of it the engine reads.
      for (const tool of page.tools) tools.push(toToolInfo(listedToolSchema.parse(tool)));
      cursor = page.nextCursor;
    } while (cursor);
    cache = { at: Date.now(), tools };
    return tools;
  };

  const previewArguments = options.previewArguments ?? legacyPreviewArguments;

  const callOnce = async ({ name, args, signal, timeoutMs, impersonate, credential, jenkinsCredentials, observabilitySources }: ToolCallRequest): Promise<ToolCallOutcome> => {
    const client = await getClient();
    const meta = {
      ...(impersonate ? { [mcpMetaKeys.impersonate]: impersonate } : {}),
      ...(credential ? { [mcpMetaKeys.credential]: credential } : {}),
      ...(jenkinsCredentials ? { [mcpMetaKeys.jenkinsCredentials]: jenkinsCredentials } : {}),
      ...(observabilitySources ? { [mcpMetaKeys.observabilitySources]: observabilitySources } : {}),
      // issue 39: the tool span's W3C trace context (`traceparent`), so the MCP server's span continues it
      ...toolCallTraceContext(),
    };
    // The SDK hangs an abort listener on the signal it is given and never takes it off: give it one of this call's
    // own, so the caller's (a run's, across all its calls) does not collect one per call.
    const link = signal ? linkAbort(signal) : undefined;
    const used = connection;
    try {
      const result = await client.callTool({ name, arguments: args, ...(Object.keys(meta).length > 0 ? { _meta: meta } : {}) }, {
        ...(link ? { signal: link.signal } : {}),
        timeout: timeoutMs,
        // The SDK sends a progressToken only with an onprogress handler; without one the server reports nothing and
        // resetTimeoutOnProgress does nothing. With it, a slow tool that reports progress (k8s_rollout_status,
        // verify_change) is not cut off by `timeoutMs` while it is still making progress.
        onprogress: ignoreProgress,
        resetTimeoutOnProgress: true,
      });
      return { text: textOf(result as { content?: unknown }), isError: result.isError === true, ...structuredOf(result) };
    } catch (error) {
      // Since the SDK v2 a tool the server does not have is a JSON-RPC error (-32602), no longer a tool result: it
      // did not run, and the model is told so the way it was before (a failed call it can read).
      if (error instanceof ProtocolError && error.code === ProtocolErrorCode.InvalidParams) return { text: error.message, isError: true };
      return notReceived(error, used);
    } finally {
      link?.release();
    }
  };

  /** whether the server listed `name` as read-only (the last listing this gateway holds; no listing, no) */
  const listedReadOnly = (name: string): boolean => cache?.tools.find((tool) => tool.name === name)?.annotations?.readOnlyHint === true;

  const gateway: ToolGateway = {
    async listTools(listOptions) {
      if (!listOptions?.refresh && cache && Date.now() - cache.at < cacheMs) return cache.tools;
      // One listing in flight at a time; concurrent runs share it.
      listing ??= fetchTools().finally(() => {
        listing = undefined;
      });
      return listing;
    },

    async callTool(call) {
      try {
        return await callOnce(call);
      } catch (error) {
        // A read-only call whose connection broke under it (e.g. the server closed an idle keep-alive socket just as
        // the request went out: "fetch failed") is sent once more, on a fresh connection: running it twice changes
        // nothing, and the gate runs such a call without asking anyway. Only a tool the server listed as read-only:
        // a change is never sent twice, its error stands (the server may have run it).
        if (!socketFailed(error) || call.signal?.aborted || !listedReadOnly(call.name)) throw error;
        return callOnce(call);
      }
    },

    async preview({ name, args, signal, jenkinsCredentials }) {
      const tools = await gateway.listTools();
      const info = tools.find((tool) => tool.name === name);
      if (!info?.preview) return undefined;
      const previewTool = tools.find((tool) => tool.name === (info.preview?.viaPreviewToolCall ? previewToolCallName : info.preview?.tool));
      // A preview runs before approval, so the tool it calls must itself be read-only or it would defeat the gate.
      if (previewTool?.annotations?.readOnlyHint !== true) {
        return { text: `preview tool '${previewTool?.name ?? info.preview.tool}' is not listed as read-only; no preview`, isError: true };
      }
      const credentials = jenkinsCredentials ? { jenkinsCredentials } : {};
      if (info.preview.viaPreviewToolCall) {
        const previewArgs: PreviewToolCallArguments = { tool: name, arguments: args as PreviewToolCallArguments['arguments'] };
        return gateway.callTool({ name: previewTool.name, args: previewArgs, signal, ...credentials });
      }
      return gateway.callTool({ name: previewTool.name, args: previewArguments({ tool: name, previewTool: previewTool.name, args }), signal, ...credentials });
    },

    async close() {
      const current = connection;
      connection = undefined;
      if (current) await (await current.catch(() => undefined))?.close();
    },
  };
  return gateway;
}
