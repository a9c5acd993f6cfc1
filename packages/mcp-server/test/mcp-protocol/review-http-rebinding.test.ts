/**
 * Review finding: a web page can reach a loopback MCP server through DNS rebinding (evil.example resolving to
 * 127.0.0.1, so the browser sends a same-origin POST with Host: evil.example). The MCP transport spec asks servers
 * to check Host/Origin for exactly this. Every client now presents a token (issue 19 item 7), and a client-token
 * request still has to be addressed to a loopback name from a loopback origin.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMcpHttpServer, type McpHttpServer } from '../../src/start-mcp-http-server.ts';
import { helmDeps } from '../support/helm-test-env.ts';

let server: McpHttpServer;
let port: number;

const clientToken = 'rebinding-test-client-token';

const initialize = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'probe', version: '1' } },
});

function post(headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: '127.0.0.1', port, path: '/mcp', method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', Authorization: `Bearer ${clientToken}`, ...headers } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    request.on('error', reject);
    request.end(initialize);
  });
}

beforeAll(async () => {
  server = await startMcpHttpServer({ host: '127.0.0.1', port: 0, deps: helmDeps({}), clientToken });
  port = Number(new URL(server.url).port);
});
afterAll(async () => {
  await server?.close();
});

describe('review: DNS rebinding on a loopback server', () => {
  it('answers 401 to a request without a token, whatever its Host (nothing is served before the token)', async () => {
    const response = await post({ Host: `127.0.0.1:${port}`, Authorization: '' });
    expect(response.status).toBe(401);
    expect(response.body).not.toContain('serverInfo');
  });

  it('refuses a request whose Host is not a loopback name, and says why', async () => {
    const response = await post({ Host: `evil.example:${port}` });
    expect(response.status).toBe(403);
    expect(response.body).toContain('Host');
  });

  it('refuses a browser request from a non-loopback Origin', async () => {
    const response = await post({ Host: `127.0.0.1:${port}`, Origin: 'http://evil.example' });
    expect(response.status).toBe(403);
    expect(response.body).toContain('Origin');
  });

  it.each([`127.0.0.1:${0}`, 'localhost', '[::1]'])('accepts loopback Host %s', async (host) => {
    const response = await post({ Host: host.replace(':0', `:${port}`), Origin: `http://localhost:${port}` });
    expect(response.status).toBe(200);
    expect(response.body).toContain('"serverInfo"');
  });
});
