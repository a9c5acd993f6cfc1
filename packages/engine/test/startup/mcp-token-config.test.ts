/**
 * An engine pointed at a remote MCP server (MCP_SERVER_URL) without the server's token (MCP_AUTH_TOKEN) used to
 * start, report healthy, and fail every tool call with a 401: it is refused at start, in one line that says what to
 * set. With the token (or its _FILE form) it loads as before.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/platform/config/index.ts';
import { skyfloEntry } from '@skyflo/testkit/services';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const remote = 'http://127.0.0.1:8888/mcp';

describe('MCP_SERVER_URL needs MCP_AUTH_TOKEN', () => {
  it('refuses the configuration without a token and names what to set', () => {
    let refused: unknown;
    try {
      loadConfig({ MCP_SERVER_URL: remote });
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(ConfigError);
    expect((refused as ConfigError).issues).toEqual([{ variable: 'MCP_AUTH_TOKEN', message: expect.stringMatching(/required with MCP_SERVER_URL: set MCP_AUTH_TOKEN \(or MCP_AUTH_TOKEN_FILE\)/) }]);
  });

  it('accepts the token, from the environment or a file, and needs none for the embedded server', () => {
    expect(loadConfig({ MCP_SERVER_URL: remote, MCP_AUTH_TOKEN: 'engine-token' }).server).toMatchObject({ mcpServerUrl: remote, mcpAuthToken: 'engine-token' });
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'skyflo-mcp-token-')), 'token');
    writeFileSync(file, 'token-from-a-file\n');
    expect(loadConfig({ MCP_SERVER_URL: remote, MCP_AUTH_TOKEN_FILE: file }).server.mcpAuthToken).toBe('token-from-a-file');
    expect(loadConfig({}).server.mcpServerUrl).toBeUndefined();
  });

  it('`skyflo serve` exits 1 with one line on stderr, before opening anything', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'skyflo-mcp-token-serve-'));
    const child = spawn(process.execPath, [skyfloEntry(), 'serve', '--port', '0'], {
      env: { PATH: process.env.PATH ?? '', HOME: dataDir, SKYFLO_DATA_DIR: path.join(dataDir, 'data'), MCP_SERVER_URL: remote },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(1);
    expect(stdout).not.toMatch(/listening/);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toBe("skyflo: Invalid configuration: MCP_AUTH_TOKEN: is required with MCP_SERVER_URL: set MCP_AUTH_TOKEN (or MCP_AUTH_TOKEN_FILE) to the MCP server's token");
  }, 120_000);
});
