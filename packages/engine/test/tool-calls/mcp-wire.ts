/**
 * A 2026-07-28 MCP client that speaks the wire itself (JSON-RPC over Streamable HTTP with the envelope in `_meta`):
 * the SDK v2 client (2.4.0) has no runtime for the tasks extension and refuses a `resultType: "task"` result, and a
 * test that sends a handle to another server than the one that gave it needs the raw request anyway. And `skyflo mcp`
 * started as a process of its own (as an operator starts it), for the suites that stop one and start another.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { CLIENT_CAPABILITIES_META_KEY, CLIENT_INFO_META_KEY, PROTOCOL_VERSION_META_KEY } from '@modelcontextprotocol/client';
import { skyfloEntry } from '@skyflo/testkit/services';
import { kubectlPath } from '@skyflo/testkit/tools';
import { expect } from 'vitest';

export const TASKS = 'io.modelcontextprotocol/tasks';
/** what a task-capable client declares: URL-mode elicitation and the tasks extension */
export const taskCapable = { elicitation: { url: {} }, extensions: { [TASKS]: {} } };
/** what a client on the input_required + retry path declares */
export const urlCapable = { elicitation: { url: {} } };

export interface RpcAnswer {
  result?: Record<string, any>;
  error?: { code: number; message: string; data?: unknown };
}

let nextId = 0;

/** One request to the MCP server at `url`, as a client sends it: the envelope, `Mcp-Method` and `Mcp-Name` headers. */
export async function rpc(url: string, bearer: string, method: string, params: Record<string, unknown>, capabilities: Record<string, unknown> = taskCapable): Promise<RpcAnswer> {
  const name = typeof params['name'] === 'string' ? params['name'] : typeof params['taskId'] === 'string' ? params['taskId'] : undefined;
  const id = ++nextId;
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${bearer}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': method,
      ...(name ? { 'mcp-name': name } : {}),
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id,
      method,
      params: { ...params, _meta: { [PROTOCOL_VERSION_META_KEY]: '2026-07-28', [CLIENT_INFO_META_KEY]: { name: 'task-ide', version: '1.0.0' }, [CLIENT_CAPABILITIES_META_KEY]: capabilities } },
    }),
  });
  const text = await response.text();
  // a JSON body, or an SSE stream whose data lines carry the response
  const messages = (response.headers.get('content-type') ?? '').includes('text/event-stream')
    ? text.split('\n').filter((line) => line.startsWith('data:')).map((line) => line.slice(5).trim()).filter(Boolean).map((data) => JSON.parse(data) as RpcAnswer & { id?: number })
    : [JSON.parse(text) as RpcAnswer & { id?: number }];
  const answer = messages.find((message) => message.id === id);
  expect(answer, `an answer to ${method}: ${text.slice(0, 500)}`).toBeDefined();
  return answer!;
}

export const textOf = (result: Record<string, any> | undefined) => ((result?.['content'] as Array<{ text?: string }> | undefined) ?? []).map((part) => part.text ?? '').join('\n');

/** The engine's call behind an approval page's URL. */
export function callOf(pageUrl: string): { callId: string; conversationId: string } {
  const url = new URL(pageUrl);
  return { callId: url.searchParams.get('call')!, conversationId: url.searchParams.get('conversation')! };
}

export interface McpServerProcess {
  url: string;
  child: ChildProcess;
  /** SIGTERM, and its exit awaited (what a rolling restart does to a pod) */
  stop(): Promise<void>;
}

/** `skyflo mcp --confirm=skyflo` as a process of its own, configured from the environment as in a pod. */
export async function startMcpServerProcess(env: Record<string, string>): Promise<McpServerProcess> {
  // `skyflo mcp` as a release runs it (the run's bundle: skyflo-command.ts). Nothing inherited from the developer's
  // shell that would change who may connect or what the key is.
  const child = spawn(process.execPath, [skyfloEntry(), 'mcp', '--port', '0', '--confirm=skyflo'], { env: { ...process.env, MCP_AUTH_TOKEN: '', MCP_STATE_KEY: '', MCP_OAUTH_ISSUER: '', KUBECTL_PATH: kubectlPath, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', () => {
      const match = /listening at (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]!);
    });
    void exited.then(() => reject(new Error(`skyflo mcp exited: ${output}`)));
  });
  return {
    url,
    child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
