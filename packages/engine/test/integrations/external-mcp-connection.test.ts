/**
 * Issue 39 item 4: an external MCP server's connection in an admin's words, and after a crash. Real processes over stdio
 * (the tiny MCP server of test/fixtures/external-mcp, and programs that never speak MCP).
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createExternalConnection, type ExternalConnection } from '../../src/app/integrations/external-mcp/external-connection.ts';

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

  it('says handshake timeout for a program that never answers initialize, and the program is gone when it does', async () => {
    // a program that ignores the end of its input (so only a signal ends it) and says which process it is
    const pidFile = path.join(await mkdtemp(path.join(tmpdir(), 'skyflo-mcp-handshake-')), 'pid');
    const silent = [process.execPath, '-e', 'require("node:fs").writeFileSync(process.argv[1], String(process.pid)); setInterval(() => {}, 1000)', pidFile];
    await expect(open(silent, { handshakeTimeoutMs: 500 }).listTools()).rejects.toThrow(/Handshake timeout/);
    // No file: the program was ended before it ran its first line (only on a machine too busy to start node within
    // the seconds the close takes): gone as well.
    const pid = Number(await readFile(pidFile, 'utf8').catch(() => 'ended before it started'));
    // signal 0 only asks whether the process exists: ESRCH, it does not
    if (!Number.isNaN(pid)) expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
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
