/**
 * One external MCP server over the MCP SDK client: a stdio command (argv, never a shell; only the variables the admin
 * set plus the SDK's minimal PATH/HOME set, so none of the engine's own secrets reach the process) or a Streamable HTTP
 * URL with a bearer token or OAuth (oauth-client.ts: the SDK refreshes the token on a 401). Connects on first use,
 * lists its tools (cached, dropped on `notifications/tools/list_changed`), reconnects with backoff after a disconnect,
 * and says what went wrong in an admin's words: command not found, HTTP 401, a sign-in needed, handshake timeout, the
 * process's last stderr lines.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, SdkHttpError, StreamableHTTPClientTransport, UnauthorizedError, type OAuthClientProvider, type Transport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { cappedFetch, defaultIntegrationResponseMaxBytes, ResponseTooLargeError } from '@skyflo/connectors/egress';
import { redactText } from '@skyflo/safety';
import { fetchWithLinkedSignals, linkAbort } from '../../../platform/abort/linked-abort.ts';
import type { ListedExternalTool } from './external-catalogue.ts';
import { ExternalMcpUnavailableError } from './external-errors.ts';

export type ExternalTransportConfig =
  | { type: 'stdio'; command: string[]; env: Record<string, string>; cwd?: string }
  /** `oauth`: the server is an OAuth protected resource, authorized with what an admin's sign-in stored (oauth-client.ts) */
  | { type: 'http'; url: string; token?: string; oauth?: OAuthClientProvider };

export interface ExternalConnectionOptions {
  name: string;
  transport: ExternalTransportConfig;
  /** how long connecting (the initialize handshake) may take; default 10 s */
  handshakeTimeoutMs?: number;
  /** how long tools/list is kept; default 60 s */
  cacheMs?: number;
  /** the first wait before reconnecting after a failure, doubled each time up to `maxBackoffMs`; default 1 s */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** told when the listing may have changed (list_changed, a reconnect) */
  onChange?: () => void;
  /**
   * the fetch of a Streamable HTTP server: the engine passes integration-egress.ts's pinned fetch, so the connection
   * goes only to an address the URL guard accepted (a name re-resolving to the metadata address is refused); default
   * the global fetch
   */
  fetch?: typeof fetch;
  /**
   * the most bytes of one message from the server (a tool result, a listing), counted while it arrives; past it the
   * connection is reset and the call answers an error naming the cap (default 16 MiB)
   */
  maxMessageBytes?: number;
}

export interface ExternalConnection {
  /** the listed tools; throws (with an admin's explanation) when the server cannot be reached */
  listTools(options?: { refresh?: boolean }): Promise<ListedExternalTool[]>;
  callTool(input: { tool: string; args: Record<string, unknown>; signal?: AbortSignal; timeoutMs?: number }): Promise<{ content?: unknown; structuredContent?: unknown; isError?: boolean }>;
  state(): { status: 'connected' | 'connecting' | 'error'; error?: string };
  close(): Promise<void>;
}


const stderrTailChars = 600;

/** An error from connecting or calling, in an admin's words. */
export function explainConnectionError(name: string, transport: ExternalTransportConfig, error: unknown, stderr = ''): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | undefined)?.code;
  const tail = stderr.trim() ? ` Its stderr ended with: ${redactText(stderr.trim().slice(-stderrTailChars))}` : '';
  if (transport.type === 'stdio') {
    if (code === 'ENOENT') return `Command not found: ${transport.command[0]} (server "${name}"); give the full path of a program installed where the engine runs.`;
    if (code === 'EACCES') return `Permission denied running ${transport.command[0]} (server "${name}").`;
    if (/timed out|timeout/i.test(message)) return `Handshake timeout: ${transport.command[0]} started but did not answer MCP's initialize (server "${name}").${tail}`;
    if (/closed/i.test(message)) return `The process of server "${name}" exited before answering (${message}).${tail}`;
    return `Server "${name}" (${transport.command[0]}): ${redactText(message)}${tail}`;
  }
  // the sign-in an OAuth server needs, said by oauth-client.ts (never signed in, another issuer now)
  if ((error as { code?: unknown } | undefined)?.code === 'EXTERNAL_MCP_SIGN_IN_NEEDED') return message;
  const status = error instanceof SdkHttpError ? error.status : undefined;
  if (transport.oauth && (status === 401 || error instanceof UnauthorizedError)) return `HTTP 401 from ${transport.url}: the server refused Skyflo's OAuth token (server "${name}"); an admin must sign in again (Settings → Integrations → MCP servers → Sign in).`;
  if (status === 401) return `HTTP 401 from ${transport.url}: the server refused the bearer token (server "${name}"); enter a valid token.`;
  if (status === 403) return `HTTP 403 from ${transport.url}: the token is not allowed to use this server (server "${name}").`;
  if (typeof status === 'number' && status > 0) return `HTTP ${status} from ${transport.url} (server "${name}"): ${redactText(message)}`;
  if (/timed out|timeout/i.test(message)) return `Handshake timeout: ${transport.url} did not answer MCP's initialize (server "${name}").`;
  return `Cannot reach ${transport.url} (server "${name}"): ${redactText(message)}`;
}

/** Longer than the SDK's stdio close takes to reach SIGKILL (2 s for the process to leave after its input ends, 2 more after SIGTERM). */
const processExitWaitMs = 6_000;

/** The program could not be started at all (not found, not executable): no process was left to wait for. */
const isSpawnError = (error: unknown) => ['ENOENT', 'EACCES'].includes(String((error as { code?: unknown } | undefined)?.code));

/** Resolves when `gone` does, or after processExitWaitMs (on a timer that keeps the process alive meanwhile). */
async function untilGone(gone: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([gone, new Promise<void>((resolve) => (timer = setTimeout(resolve, processExitWaitMs)))]);
  clearTimeout(timer);
}

export function createExternalConnection(options: ExternalConnectionOptions): ExternalConnection {
  const handshakeTimeoutMs = options.handshakeTimeoutMs ?? 10_000;
  const cacheMs = options.cacheMs ?? 60_000;
  const baseBackoff = options.backoffMs ?? 1_000;
  const maxBackoff = options.maxBackoffMs ?? 60_000;
  const maxMessageBytes = options.maxMessageBytes ?? defaultIntegrationResponseMaxBytes;
  let client: Client | undefined;
  let connecting: Promise<Client> | undefined;
  let lastError: string | undefined;
  let failures = 0;
  let retryAt = 0;
  let closed = false;
  let cache: { at: number; tools: ListedExternalTool[] } | undefined;
  let retryTimer: NodeJS.Timeout | undefined;

  const invalidate = () => {
    cache = undefined;
    options.onChange?.();
  };

  function scheduleReconnect(): void {
    if (closed || retryTimer) return;
    const delay = Math.min(maxBackoff, baseBackoff * 2 ** Math.max(0, failures - 1));
    retryAt = Date.now() + delay;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void connect().catch(() => undefined);
    }, delay);
    retryTimer.unref();
  }

  /** the last message past the cap (set when it reset the connection), reported to the calls that failed with it */
  let oversized: ResponseTooLargeError | undefined;
  const tooLarge = () => new ResponseTooLargeError(`The external MCP server "${options.name}"`, maxMessageBytes);
  /** Whether a transport error is a message past the cap: ours (HTTP) or the SDK's stdio read buffer's. */
  const isOversized = (error: unknown) => error instanceof ResponseTooLargeError || /ReadBuffer exceeded maximum size|ResponseTooLargeError/.test(String(error));

  async function open(): Promise<Client> {
    // Over HTTP the era is negotiated ('auto': a server/discover probe, then the 2025 initialize with a server that
    // predates 2026-07-28). Over stdio the 2025 handshake stays: the SDK probes there with a second process of the
    // admin's command, and a command is started once per connection here.
    const next = new Client({ name: 'skyflo-engine', version: '0.1.0' }, options.transport.type === 'http' ? { versionNegotiation: { mode: 'auto' } } : {});
    let stderr = '';
    let transport: Transport;
    let workingDirectory: string | undefined;
    /** ends the server's process at once (stdio): one that floods its output does not get the SDK's seconds of grace */
    let kill = () => {};
    if (options.transport.type === 'stdio') {
      const [command, ...args] = options.transport.command;
      // Why an empty folder of its own (issue 74): started in the engine's working directory, the program could read
      // whatever lies there (a .env, the data directory); the admin may still name a folder (cwd).
      workingDirectory = options.transport.cwd ? undefined : await mkdtemp(path.join(tmpdir(), 'skyflo-mcp-'));
      const cwd = options.transport.cwd ?? workingDirectory!;
      // maxBufferSize: the SDK stops reading (and closes) when one message grows past it
      const stdio = new StdioClientTransport({ command: command!, args, env: options.transport.env, cwd, stderr: 'pipe', maxBufferSize: maxMessageBytes });
      stdio.stderr?.on('data', (chunk: Buffer) => {
        stderr = (stderr + chunk.toString('utf8')).slice(-4 * stderrTailChars);
      });
      transport = stdio;
      kill = () => {
        const pid = stdio.pid;
        if (pid) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
      };
    } else {
      const headers: Record<string, string> = options.transport.token ? { Authorization: `Bearer ${options.transport.token}` } : {};
      const capped = cappedFetch(fetchWithLinkedSignals(options.fetch), { maxBytes: maxMessageBytes, what: () => `The external MCP server "${options.name}"` });
      // an OAuth server: the SDK sends the stored access token, and on a 401 refreshes it (keyed by issuer) and retries
      transport = new StreamableHTTPClientTransport(new URL(options.transport.url), { requestInit: { headers }, fetch: capped, ...(options.transport.oauth ? { authProvider: options.transport.oauth } : {}) });
    }
    const removeWorkingDirectory = () => (workingDirectory ? rm(workingDirectory, { recursive: true, force: true }).catch(() => undefined) : Promise.resolve());
    // Fires when the server's process has exited (stdio: its 'close' event).
    const gone = new Promise<void>((resolve) => (next.onclose = resolve));
    void gone.then(removeWorkingDirectory);
    // A message past the cap resets the connection at once: the calls waiting on it fail now (with the cap named)
    // instead of when they time out, and nothing more of that answer is read.
    let overflowed = false;
    next.onerror = (error) => {
      if (!isOversized(error)) return;
      overflowed = true;
      oversized = tooLarge();
      kill();
      void next.close().catch(() => undefined);
    };
    try {
      await next.connect(transport, { timeout: handshakeTimeoutMs });
    } catch (error) {
      await next.close().catch(() => undefined);
      // A failed handshake is closed by the SDK itself, without waiting: its stdio transport lets the process go at
      // once and ends it seconds later (stdin closed, then SIGTERM, then SIGKILL) on timers that do not keep the engine
      // alive, so the close above returns before the process is gone. Waited for here, a server that ignores the end
      // of its input is never left running behind an engine that stops right after (a process that never started has
      // nothing to wait for).
      if (options.transport.type === 'stdio' && !isSpawnError(error)) await untilGone(gone);
      await removeWorkingDirectory();
      if (isOversized(error) || overflowed) throw new ExternalMcpUnavailableError(tooLarge().message);
      throw new ExternalMcpUnavailableError(explainConnectionError(options.name, options.transport, error, stderr));
    }
    next.setNotificationHandler('notifications/tools/list_changed', async () => invalidate());
    next.onclose = () => {
      void removeWorkingDirectory();
      if (client !== next) return;
      client = undefined;
      cache = undefined;
      if (closed) return;
      lastError = explainConnectionError(options.name, options.transport, new Error('connection closed'), stderr);
      failures = 1;
      options.onChange?.();
      scheduleReconnect();
    };
    return next;
  }

  function connect(): Promise<Client> {
    if (client) return Promise.resolve(client);
    connecting ??= open()
      .then(async (opened) => {
        if (closed) {
          // awaited: close() waits for this connection attempt, so the process is gone when it returns
          await opened.close().catch(() => undefined);
          throw new ExternalMcpUnavailableError(`server "${options.name}" was removed`);
        }
        client = opened;
        lastError = undefined;
        oversized = undefined;
        failures = 0;
        invalidate();
        return opened;
      })
      .catch((error: unknown) => {
        lastError = error instanceof Error ? error.message : String(error);
        failures += 1;
        scheduleReconnect();
        throw error;
      })
      .finally(() => {
        connecting = undefined;
      });
    return connecting;
  }

  async function connected(): Promise<Client> {
    if (closed) throw new ExternalMcpUnavailableError(`The external MCP server "${options.name}" is not configured any more.`);
    if (client) return client;
    // Between attempts a caller gets the last failure at once instead of a new process (or request) each time.
    if (!connecting && lastError && Date.now() < retryAt) {
      throw new ExternalMcpUnavailableError(`${lastError} (reconnecting in ${Math.ceil((retryAt - Date.now()) / 1000)} s)`);
    }
    return connect();
  }

  return {
    async listTools(listOptions) {
      if (!listOptions?.refresh && cache && Date.now() - cache.at < cacheMs) return cache.tools;
      const current = await connected();
      const tools: ListedExternalTool[] = [];
      let cursor: string | undefined;
      do {
        const page = await current.listTools(cursor ? { cursor } : undefined, { timeout: handshakeTimeoutMs }).catch((error: unknown) => {
          throw isOversized(error) || oversized ? new ExternalMcpUnavailableError(tooLarge().message) : error;
        });
        for (const tool of page.tools) tools.push(tool as ListedExternalTool);
        cursor = page.nextCursor;
      } while (cursor && tools.length < 1000);
      cache = { at: Date.now(), tools };
      return tools;
    },
    async callTool({ tool, args, signal, timeoutMs }) {
      const current = await connected();
      const link = signal ? linkAbort(signal) : undefined;
      try {
        return (await current.callTool({ name: tool, arguments: args }, { ...(link ? { signal: link.signal } : {}), ...(timeoutMs ? { timeout: timeoutMs } : {}) })) as { content?: unknown; structuredContent?: unknown; isError?: boolean };
      } catch (error) {
        // the answer was past the cap: a tool error that names it (the connection was reset, the rest never read)
        if (isOversized(error) || (oversized && current !== client)) {
          return { isError: true, content: [{ type: 'text', text: `${tooLarge().message} Ask for less (narrower arguments), or ask the server's operator why its answer is this large.` }] };
        }
        throw error;
      } finally {
        link?.release();
      }
    },
    state() {
      if (client) return { status: 'connected' };
      if (connecting) return { status: 'connecting' };
      return lastError ? { status: 'error', error: lastError } : { status: 'connecting' };
    },
    async close() {
      closed = true;
      clearTimeout(retryTimer);
      retryTimer = undefined;
      const current = client;
      client = undefined;
      await connecting?.catch(() => undefined);
      await current?.close().catch(() => undefined);
    },
  };
}
