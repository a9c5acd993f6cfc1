/**
 * Issue 39 item 4: an external MCP server's connection in an admin's words, and after a crash. Real processes over stdio
 * (the tiny MCP server of test/fixtures/external-mcp, and programs that never speak MCP).
 */
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createExternalConnection, type ExternalConnection } from '../../src/integrations/external-mcp/external-connection.ts';

const fixture = fileURLToPath(new URL('../fixtures/external-mcp/tiny-mcp-server.mjs', import.meta.url));
const opened: ExternalConnection[] = [];
const open = (command: string[], options: { handshakeTimeoutMs?: number; backoffMs?: number } = {}) => {
  const connection = createExternalConnection({ name: 'tiny', transport: { type: 'stdio', command, env: {} }, cacheMs: 0, ...options });
  opened.push(connection);
  return connection;
};

afterEach(async () => {
  await Promise.all(opened.splice(0).map((connection) => connection.close()));
});

describe('an external MCP server that fails', () => {
  it('names a command that is not installed', async () => {
    await expect(open(['/nonexistent/bin/mcp-server']).listTools()).rejects.toThrow('Command not found: /nonexistent/bin/mcp-server');
  });

  it('says handshake timeout for a program that never answers initialize', async () => {
    await expect(open([process.execPath, '-e', 'setInterval(() => {}, 1000)'], { handshakeTimeoutMs: 500 }).listTools()).rejects.toThrow(/Handshake timeout/);
  });

  it('quotes the stderr of a process that exits before answering', async () => {
    await expect(open([process.execPath, '-e', 'console.error("missing ARGOCD_TOKEN"); process.exit(2)']).listTools()).rejects.toThrow(/exited before answering[\s\S]*missing ARGOCD_TOKEN/);
  });

  it('reports a crash mid-call, then reconnects by itself with backoff', async () => {
    const connection = open([process.execPath, fixture], { backoffMs: 200 });
    expect((await connection.listTools()).map((tool) => tool.name)).toContain('deploy');
    await expect(connection.callTool({ tool: 'get_status', args: { app: 'crash' } })).rejects.toThrow();
    await vi.waitFor(() => expect(connection.state()).toMatchObject({ status: 'error', error: expect.stringContaining('exited before answering') }), { timeout: 5_000, interval: 20 });
    // back without anyone asking: the backoff timer reconnects
    await vi.waitFor(() => expect(connection.state()).toEqual({ status: 'connected' }), { timeout: 10_000, interval: 50 });
    expect((await connection.callTool({ tool: 'get_status', args: { app: 'shop' } })).content).toEqual([{ type: 'text', text: 'app shop is healthy; db password=Hunter2-Secret-99' }]);
  });
});
