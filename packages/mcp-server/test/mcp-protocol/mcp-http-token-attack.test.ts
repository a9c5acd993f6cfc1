/**
 * Issue 19 item 7, the attack: `skyflo mcp` on loopback with no token configured. Any local process connected with
 * the official MCP SDK client, declared elicitation and answered `accept` itself, so "a human confirms" was the
 * attacker confirming: it created a privileged hostPID/hostPath pod and scaled a deployment to 0.
 *
 * Now every HTTP client presents a token: without one, 401 before `initialize`, and nothing changes in the cluster
 * (kube-sim state). The client token (generated into the data dir, 0600) identifies a human-driven client such as
 * an IDE: its changes still go through confirmation, so its human is asked (elicitation) and a client that cannot
 * ask is refused. Only the engine token skips confirmation, and a session opened by one kind of caller cannot be
 * used by the other.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { startMcpHttpServer, type McpHttpServer } from '../../src/start-mcp-http-server.ts';
import { startKubeHarness, type KubeHarness } from '../support/kube-harness.ts';
import { skyfloEntry } from '@skyflo/testkit/services';

let harness: KubeHarness;
let dataDir: string;

const privilegedPod = [
  'apiVersion: v1',
  'kind: Pod',
  'metadata: {name: node-escape, namespace: default}',
  'spec:',
  '  hostPID: true',
  '  containers: [{name: sh, image: "busybox:1.36", command: ["sleep", "3600"], securityContext: {privileged: true}, volumeMounts: [{name: root, mountPath: /host}]}]',
  '  volumes: [{name: root, hostPath: {path: /}}]',
  '',
].join('\n');
const applyPod = { name: 'k8s_apply', arguments: { content: privilegedPod } };
const scaleToZero = { name: 'k8s_scale', arguments: { resource_type: 'deployment', name: 'payments', namespace: 'default', replicas: 0 } };

const podExists = () => harness.sim.cluster.store.get(harness.sim.cluster.registry.byResource('', 'pods')!, 'default', 'node-escape') !== undefined;
const paymentsReplicas = () => harness.sim.cluster.store.get(harness.sim.cluster.registry.byResource('apps', 'deployments')!, 'default', 'payments')?.spec.replicas;

beforeAll(async () => {
  harness = await startKubeHarness({ workloads: false });
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'skyflo-mcp-attack-'));
  const created = await harness.call('k8s_apply', {
    content: 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: payments, namespace: default}\nspec:\n  replicas: 3\n  selector: {matchLabels: {app: payments}}\n  template:\n    metadata: {labels: {app: payments}}\n    spec: {containers: [{name: main, image: "nginx:1.27"}]}\n',
  });
  expect(created.isError, created.text).toBeFalsy();
}, 30_000);

afterAll(async () => {
  await harness?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** A client that declares elicitation and accepts every question itself, as the attacker's did. */
function selfAcceptingClient(): { client: Client; asked: string[] } {
  const client = new Client({ name: 'local-attacker', version: '1' }, { capabilities: { elicitation: {} } });
  const asked: string[] = [];
  client.setRequestHandler(ElicitRequestSchema, async (request) => {
    asked.push(request.params.message);
    return { action: 'accept', content: {} };
  });
  return { client, asked };
}

/** `skyflo mcp` as a user starts it: loopback, no token flags or variables, its own data dir. */
function startSkyfloMcp() {
  const child = spawn(process.execPath, [skyfloEntry(), 'mcp', '--port', '0', '--kubeconfig', harness.kubeconfigPath], {
    env: { ...process.env, MCP_AUTH_TOKEN: '', MCP_CLIENT_TOKEN: '', SKYFLO_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const printed = (pattern: RegExp) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(stdout)?.[1];
        if (match) resolve(match);
      };
      child.stdout.on('data', check);
      check();
      void exited.then(() => reject(new Error(`skyflo mcp exited: ${stderr}`)));
    });
  child.stdout.on('data', (chunk) => (stdout += chunk));
  return {
    url: printed(/listening at (http:\/\/\S+)/),
    tokenFile: () => printed(/^Client token: (\/\S+) /m),
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

describe('skyflo mcp on loopback with no token configured (the attack)', () => {
  it('a local client without the token gets 401 before initialize and changes nothing, even answering accept itself', async () => {
    const server = startSkyfloMcp();
    try {
      const url = await server.url;
      expect(new URL(url).hostname).toBe('127.0.0.1');

      const { client, asked } = selfAcceptingClient();
      await expect(client.connect(new StreamableHTTPClientTransport(new URL(url)))).rejects.toThrow(/"error":"unauthorized"/);
      const wrong = selfAcceptingClient();
      await expect(wrong.client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: 'Bearer guessed-token' } } }))).rejects.toThrow(/"error":"unauthorized"/);

      // stateless JSON-RPC (no initialize) is refused the same way
      for (const call of [applyPod, scaleToZero]) {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: call }),
        });
        expect(response.status).toBe(401);
        expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
      }
      expect(asked).toEqual([]);
      expect(podExists()).toBe(false);
      expect(paymentsReplicas()).toBe(3);

      // the token file's owner (the human's IDE) can connect; its changes are confirmed by asking its human
      const token = readFileSync(await server.tokenFile(), 'utf8').trim();
      const ide = new Client({ name: 'ide-without-elicitation', version: '1' });
      await ide.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
      const refused = await ide.callTool(applyPod);
      expect(refused.isError).toBe(true);
      expect((refused.content as Array<{ text: string }>)[0]!.text).toMatch(/did not declare the elicitation capability, so nobody can be asked\. Nothing was run/);
      await ide.close();
      expect(podExists()).toBe(false);
    } finally {
      await server.stop();
    }
  }, 90_000);
});

describe('engine token and client token', () => {
  let server: McpHttpServer;
  beforeAll(async () => {
    server = await startMcpHttpServer({ deps: harness.deps, authToken: 'engine-token-0123456789', clientToken: 'ide-token-0123456789' });
  });
  afterAll(() => server?.close());

  const connectWith = async (client: Client, token: string) => {
    await client.connect(new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
  };

  it('a client-token caller is asked first: the question names the privileged pod, and a decline runs nothing', async () => {
    const client = new Client({ name: 'ide', version: '1' }, { capabilities: { elicitation: {} } });
    const asked: string[] = [];
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      asked.push(request.params.message);
      return { action: 'decline' };
    });
    await connectWith(client, 'ide-token-0123456789');
    try {
      const result = await client.callTool(applyPod);
      expect(result.isError).toBe(true);
      expect(asked).toHaveLength(1);
      expect(asked[0]).toMatch(/runs a privileged container/);
      expect(asked[0]).toMatch(/hostPID/);
      expect(podExists()).toBe(false);
    } finally {
      await client.close();
    }
  });

  it("a session opened with the engine token cannot be used with the client token (it would skip confirmation)", async () => {
    const headers = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' };
    const initialize = await fetch(server.url, {
      method: 'POST',
      headers: { ...headers, Authorization: 'Bearer engine-token-0123456789' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'engine', version: '1' } } }),
    });
    expect(initialize.status).toBe(200);
    const sessionId = initialize.headers.get('mcp-session-id')!;
    await initialize.text();
    const hijack = await fetch(server.url, {
      method: 'POST',
      headers: { ...headers, Authorization: 'Bearer ide-token-0123456789', 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: scaleToZero }),
    });
    expect(hijack.status).toBe(404);
    expect(paymentsReplicas()).toBe(3);
  });

  it('the engine token is the trusted path: its calls run without a question (its approval gate asked)', async () => {
    const engine = selfAcceptingClient();
    await connectWith(engine.client, 'engine-token-0123456789');
    try {
      const result = await engine.client.callTool(scaleToZero);
      expect(result.isError).toBeFalsy();
      expect(engine.asked).toEqual([]);
      expect(paymentsReplicas()).toBe(0);
    } finally {
      await engine.client.close();
    }
  });
});
