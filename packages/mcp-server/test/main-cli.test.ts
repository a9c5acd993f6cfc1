/** The standalone CLI: prints its URL, serves /health, honours --read-only, and refuses bad flags clearly. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { repoRoot } from '@skyflo/testkit/tools';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startKubeHarness, type KubeHarness } from './support/kube-harness.ts';

const mainPath = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const tsx = path.join(repoRoot, 'node_modules', '.bin', 'tsx');
let harness: KubeHarness;
beforeAll(async () => {
  harness = await startKubeHarness({ workloads: false });
});
afterAll(() => harness?.close());

function start(args: string[], env: Record<string, string> = {}) {
  const child = spawn(tsx, [mainPath, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const url = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => {
      const match = /listening at (http:\/\/\S+)/.exec(stdout);
      if (match) resolve(match[1]);
    });
    void exited.then(() => reject(new Error(`exited: ${stderr}`)));
  });
  url.catch(() => undefined); // tests that expect an early exit never read the URL
  return { child, url, exited, output: () => ({ stdout, stderr }) };
}

describe('skyflo mcp (main.ts)', () => {
  it('starts read-only on a free port and serves MCP', async () => {
    const server = start(['--port', '0', '--kubeconfig', harness.kubeconfigPath, '--read-only']);
    try {
      const url = await server.url;
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
      expect(server.output().stdout).toContain('(read-only)');
      expect(await (await fetch(url.replace(/\/mcp$/, '/health'))).json()).toEqual({ status: 'ok' });
      const client = new Client({ name: 'cli-test', version: '1' });
      await client.connect(new StreamableHTTPClientTransport(new URL(url)));
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).not.toContain('k8s_delete');
      await client.close();
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });

  it('refuses a public bind without a token and an invalid port', async () => {
    const open = start(['--host', '0.0.0.0', '--port', '0', '--kubeconfig', harness.kubeconfigPath], { MCP_AUTH_TOKEN: '' });
    expect(await open.exited).toBe(1);
    expect(open.output().stderr).toMatch(/without an auth token/);
    const badPort = start(['--port', 'eighty']);
    expect(await badPort.exited).toBe(2);
    expect(badPort.output().stderr).toMatch(/--port must be a number/);
  });

  it('takes the Helm allow-list from HELM_ALLOWED_REGISTRIES and refuses a malformed one', async () => {
    const bad = start(['--port', '0', '--kubeconfig', harness.kubeconfigPath, '--helm-allowed-registries', 'registry.example.com, https://x/y']);
    expect(await bad.exited).toBe(2);
    expect(bad.output().stderr).toMatch(/HELM_ALLOWED_REGISTRIES must list hosts .* "https:\/\/x\/y" is not one/);

    // a loopback stand-in for a registry: the server may contact it only once it is on the list
    let connections = 0;
    const registry = net.createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => registry.listen(0, '127.0.0.1', resolve));
    const host = `127.0.0.1:${(registry.address() as net.AddressInfo).port}`;
    const helmHome = mkdtempSync(path.join(os.tmpdir(), 'skyflo-cli-helm-'));
    const helmEnv = { HELM_CACHE_HOME: path.join(helmHome, 'cache'), HELM_CONFIG_HOME: path.join(helmHome, 'config'), HELM_DATA_HOME: path.join(helmHome, 'data') };
    const show = async (env: Record<string, string>) => {
      const server = start(['--port', '0', '--kubeconfig', harness.kubeconfigPath], { ...helmEnv, HELM_CHART_CACHE_DIR: path.join(helmHome, 'charts'), ...env });
      try {
        const client = new Client({ name: 'cli-test', version: '1' });
        await client.connect(new StreamableHTTPClientTransport(new URL(await server.url)));
        const result = await client.callTool({ name: 'helm_show_values', arguments: { chart: `oci://${host}/charts/app` } });
        await client.close();
        return (result.content as Array<{ text: string }>)[0]!.text;
      } finally {
        server.child.kill('SIGTERM');
        await server.exited;
      }
    };
    try {
      // (the refusal without the setting is tested in-process: helm-artifact-pinning.test.ts)
      expect(await show({ HELM_ALLOWED_REGISTRIES: `registry.example.com, ${host}` })).not.toContain('HELM_ALLOWED_REGISTRIES');
      expect(connections).toBeGreaterThan(0);
    } finally {
      await new Promise((resolve) => registry.close(resolve));
      rmSync(helmHome, { recursive: true, force: true });
    }
  }, 60_000);
});
