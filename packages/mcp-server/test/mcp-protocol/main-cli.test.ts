/**
 * The standalone CLI: prints its URL, serves /health, honours --read-only, refuses bad flags clearly, and (issue 19
 * item 7) requires a token from every HTTP client: without one configured it generates a client token once into
 * the data dir (0600) and prints its path.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startKubeHarness, type KubeHarness } from '../support/kube-harness.ts';
import { skyfloEntry } from '@skyflo/testkit/services';

let harness: KubeHarness;
/** the data dir the servers below use (never ./.skyflo of the checkout) */
let dataDir: string;
beforeAll(async () => {
  harness = await startKubeHarness({ workloads: false });
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'skyflo-mcp-data-'));
});
afterAll(async () => {
  await harness?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

function start(args: string[], env: Record<string, string> = {}) {
  // no token inherited from the developer's shell; the data dir of this suite
  const child = spawn(process.execPath, [skyfloEntry(), 'mcp', ...args], { env: { ...process.env, MCP_AUTH_TOKEN: '', MCP_CLIENT_TOKEN: '', SKYFLO_DATA_DIR: dataDir, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
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
  /** the client token, read from the file whose path the server printed (waits for the line) */
  const clientToken = async (): Promise<{ file: string; token: string; line: string }> => {
    await url;
    const line = await new Promise<string>((resolve) => {
      const check = () => {
        const match = /^Client token: .*$/m.exec(stdout);
        if (match) resolve(match[0]);
        else child.stdout.once('data', check);
      };
      check();
    });
    const file = /^Client token: (\/\S+) /.exec(line)?.[1] ?? '';
    return { file, token: file ? readFileSync(file, 'utf8').trim() : '', line };
  };
  return { child, url, exited, clientToken, output: () => ({ stdout, stderr }) };
}

const withToken = (token: string) => ({ requestInit: { headers: { Authorization: `Bearer ${token}` } } });

describe('skyflo mcp (main.ts)', () => {
  it('starts read-only on a free port and serves MCP', async () => {
    const server = start(['--port', '0', '--kubeconfig', harness.kubeconfigPath, '--read-only']);
    try {
      const url = await server.url;
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
      expect(server.output().stdout).toContain('(read-only)');
      expect(await (await fetch(url.replace(/\/mcp$/, '/health'))).json()).toEqual({ status: 'ok' });
      const client = new Client({ name: 'cli-test', version: '1' });
      await client.connect(new StreamableHTTPClientTransport(new URL(url), withToken((await server.clientToken()).token)));
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).not.toContain('k8s_delete');
      await client.close();
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });

  it('without a token set, generates a client token once into the data dir (0600), prints its path, and requires it', async () => {
    const ownDir = mkdtempSync(path.join(os.tmpdir(), 'skyflo-mcp-token-'));
    const stopAndWait = async (server: ReturnType<typeof start>) => {
      server.child.kill('SIGTERM');
      await server.exited;
    };
    try {
      const first = start(['--port', '0', '--kubeconfig', harness.kubeconfigPath, '--read-only'], { SKYFLO_DATA_DIR: ownDir });
      let generated: Awaited<ReturnType<typeof first.clientToken>>;
      try {
        const url = await first.url;
        generated = await first.clientToken();
        expect(generated.file).toBe(path.join(ownDir, 'mcp-client-token'));
        expect(generated.line).toContain('generated now');
        expect(statSync(generated.file).mode & 0o777).toBe(0o600);
        expect(generated.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
        // the token itself is never printed
        expect(first.output().stdout + first.output().stderr).not.toContain(generated.token);
        // no token → 401 before initialize; the printed token works
        await expect(new Client({ name: 'no-token', version: '1' }).connect(new StreamableHTTPClientTransport(new URL(url)))).rejects.toThrow(/401|nauthorized/);
        const client = new Client({ name: 'ide', version: '1' });
        await client.connect(new StreamableHTTPClientTransport(new URL(url), withToken(generated.token)));
        expect((await client.listTools()).tools.length).toBeGreaterThan(20);
        await client.close();
      } finally {
        await stopAndWait(first);
      }
      // a restart keeps the same token (an IDE configured with it keeps working)
      const second = start(['--port', '0', '--kubeconfig', harness.kubeconfigPath, '--read-only'], { SKYFLO_DATA_DIR: ownDir });
      try {
        const again = await second.clientToken();
        expect(again.token).toBe(generated.token);
        expect(again.line).toContain('kept from an earlier start');
      } finally {
        await stopAndWait(second);
      }
      // with the engine token set, no client token is generated: only the engine can connect
      const engineOnly = mkdtempSync(path.join(os.tmpdir(), 'skyflo-mcp-engine-'));
      const third = start(['--port', '0', '--kubeconfig', harness.kubeconfigPath, '--read-only'], { SKYFLO_DATA_DIR: engineOnly, MCP_AUTH_TOKEN: 'engine-secret-token' });
      try {
        expect((await third.clientToken()).line).toMatch(/Client token: none/);
        expect(() => statSync(path.join(engineOnly, 'mcp-client-token'))).toThrow();
      } finally {
        await stopAndWait(third);
        rmSync(engineOnly, { recursive: true, force: true });
      }
    } finally {
      rmSync(ownDir, { recursive: true, force: true });
    }
  }, 60_000);

  it('refuses the removed --allow-insecure-remote and an invalid port', async () => {
    const open = start(['--host', '0.0.0.0', '--port', '0', '--kubeconfig', harness.kubeconfigPath, '--allow-insecure-remote']);
    expect(await open.exited).toBe(2);
    expect(open.output().stderr).toMatch(/--allow-insecure-remote was removed: every HTTP client now presents a token/);
    const badPort = start(['--port', 'eighty']);
    expect(await badPort.exited).toBe(2);
    expect(badPort.output().stderr).toMatch(/--port must be a number/);
  });

  it("takes the Helm allow-list from --helm-allowed-registries (or HELM_ALLOWED_REGISTRIES) and refuses a malformed one, naming what was given", async () => {
    const bad = start(['--port', '0', '--kubeconfig', harness.kubeconfigPath, '--helm-allowed-registries', 'registry.example.com, https://x/y']);
    expect(await bad.exited).toBe(2);
    expect(bad.output().stderr).toMatch(/--helm-allowed-registries must list hosts .* "https:\/\/x\/y" is not one/);

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
        await client.connect(new StreamableHTTPClientTransport(new URL(await server.url), withToken((await server.clientToken()).token)));
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
