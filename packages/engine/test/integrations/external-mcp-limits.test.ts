/**
 * Issue 74: what an external MCP server may cost the engine.
 * - Item 4: one answer past the cap (a tool result of 300 MB, over stdio or Streamable HTTP, as one JSON document or
 *   one huge server-sent event) is a tool error naming the cap, and the engine stops reading there: the process is
 *   killed, the HTTP connection dropped, and the server sees it after little more than the cap.
 * - Item 10: a stdio server starts in an empty folder of its own (not the engine's working directory, where a .env or
 *   the data directory may lie), removed when the process ends.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFloodServer, type FloodServer } from '@skyflo/testkit/flood-server';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createExternalConnection, type ExternalConnection } from '../../src/app/integrations/external-mcp/external-connection.ts';

const fixture = fileURLToPath(new URL('../fixtures/external-mcp/flooding-mcp-server.mjs', import.meta.url));
const cap = 1024 * 1024;
const total = 300 * 1024 * 1024;
/** what may pass beyond the cap before the reader hangs up: pipe and socket buffers, a few MiB at most */
const slack = 32 * 1024 * 1024;

let scratch: string;
let http: FloodServer;
const opened: ExternalConnection[] = [];
const open = (options: Parameters<typeof createExternalConnection>[0]) => {
  const connection = createExternalConnection({ cacheMs: 0, backoffMs: 10, maxMessageBytes: cap, ...options });
  opened.push(connection);
  return connection;
};

/** Just enough of MCP's Streamable HTTP for the SDK client, and two tools whose answers never end. */
function mcpOverHttp(request: { method: string; body: string }) {
  if (request.method !== 'POST') return { status: 405, body: '' };
  const message = JSON.parse(request.body) as { id?: number; method: string; params?: { name?: string; protocolVersion?: string } };
  const json = (result: unknown) => ({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: message.id, result }) });
  if (message.method === 'initialize') return json({ protocolVersion: message.params?.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'flooding-http', version: '0.0.1' } });
  if (message.id === undefined) return { status: 202, body: '' };
  const empty = { type: 'object', properties: {} };
  if (message.method === 'tools/list') return json({ tools: ['flood_json', 'flood_event'].map((name) => ({ name, inputSchema: empty, annotations: { readOnlyHint: true } })) });
  // a 2025-era server: the SDK v2 client's server/discover probe (2026-07-28) is a method it does not know
  if (message.method !== 'tools/call') return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: message.id, error: { code: -32601, message: 'Method not found' } }) };
  const start = `{"jsonrpc":"2.0","id":${message.id},"result":{"content":[{"type":"text","text":"`;
  if (message.params?.name === 'flood_json') return { flood: { contentType: 'application/json', prefix: start } };
  return { flood: { contentType: 'text/event-stream', prefix: `event: message\ndata: ${start}` } };
}

beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'skyflo-mcp-limits-'));
  http = await startFloodServer({ totalBytes: total, handle: mcpOverHttp });
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((connection) => connection.close()));
});

afterAll(async () => {
  await http?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

const textOf = (result: { content?: unknown }) => (result.content as Array<{ text: string }>)[0]!.text;

describe('an external MCP server that answers 300 MB', () => {
  it('over stdio: a tool error naming the cap, and the process is stopped after little more than the cap', async () => {
    const log = path.join(scratch, 'stdio-flood');
    const pidFile = path.join(scratch, 'stdio-pid');
    const connection = open({ name: 'flooding', transport: { type: 'stdio', command: [process.execPath, fixture], env: { FLOOD_LOG: log, FLOOD_PID: pidFile } } });
    const result = await connection.callTool({ tool: 'flood', args: {} });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe('The external MCP server "flooding" answered more than 1 MiB, the most Skyflo reads from an integration; reading stopped there. Ask for less (narrower arguments), or ask the server\'s operator why its answer is this large.');
    const pid = Number(await readFile(pidFile, 'utf8'));
    await vi.waitFor(() => expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' })), { timeout: 30_000 });
    const written = await readFile(log, 'utf8').catch(() => '0');
    expect(written).not.toContain('finished');
    expect(Number(written)).toBeLessThan(cap + slack);
    // the server is started again for the next call
    await vi.waitFor(async () => expect((await connection.callTool({ tool: 'where', args: {} })).isError).toBeFalsy(), { timeout: 30_000 });
  });

  it.each([
    ['one JSON document', 'flood_json'],
    ['one server-sent event', 'flood_event'],
  ])('over Streamable HTTP, %s: a tool error naming the cap, and the server sees the reader hang up', async (_form, tool) => {
    const connection = open({ name: 'flooding-http', transport: { type: 'http', url: `${http.url}/mcp` } });
    const before = http.floods.length;
    const result = await connection.callTool({ tool, args: {}, timeoutMs: 120_000 });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('The external MCP server "flooding-http" answered more than 1 MiB, the most Skyflo reads from an integration; reading stopped there.');
    const flood = http.floods[before]!;
    await vi.waitFor(() => expect(flood.abandoned || flood.finished).toBe(true), { timeout: 30_000 });
    expect(flood.finished).toBe(false);
    expect(flood.sent).toBeLessThan(cap + slack);
  });
});

describe('a stdio MCP server', () => {
  it('starts in an empty folder of its own, not the engine\'s working directory, removed when it ends', async () => {
    const connection = open({ name: 'flooding', transport: { type: 'stdio', command: [process.execPath, fixture], env: {} } });
    const where = JSON.parse(textOf(await connection.callTool({ tool: 'where', args: {} }))) as { cwd: string; entries: string[] };
    expect(where.cwd).not.toBe(process.cwd());
    expect(path.dirname(where.cwd)).toBe(path.resolve(tmpdir()));
    expect(where.entries).toEqual([]);
    await connection.close();
    await vi.waitFor(() => expect(existsSync(where.cwd)).toBe(false), { timeout: 30_000 });
  });

  it('an admin-named folder is used as it is', async () => {
    const connection = open({ name: 'flooding', transport: { type: 'stdio', command: [process.execPath, fixture], env: {}, cwd: scratch } });
    const where = JSON.parse(textOf(await connection.callTool({ tool: 'where', args: {} }))) as { cwd: string };
    expect(where.cwd).toBe(scratch);
    await connection.close();
    expect(existsSync(scratch)).toBe(true);
  });
});
