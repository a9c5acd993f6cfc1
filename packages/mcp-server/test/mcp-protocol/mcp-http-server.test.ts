/**
 * The server as clients see it: the MCP SDK client over Streamable HTTP lists the catalogue (names,
 * schemas, annotations), calls tools concurrently from several clients, and meets auth, health,
 * readiness and read-only mode.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startMcpHttpServer, type McpHttpServer } from '../../src/start-mcp-http-server.ts';
import { connectInProcess } from '../../src/connect-in-process.ts';
import { listToolCatalogue } from '../../src/create-mcp-server.ts';
import { helmTools } from '../../src/tools/helm/index.ts';
import { argoTools } from '../../src/tools/argo/index.ts';
import { jenkinsTools } from '../../src/tools/jenkins/index.ts';
import { observabilityTools } from '../../src/tools/observability/index.ts';
import { startKubeHarness, type KubeHarness } from '../support/kube-harness.ts';

/** Spec §5 kubectl tools and their parameters (same names, so existing prompts carry over), plus k8s_diff. */
const KUBECTL: Record<string, { readOnly: boolean; destructive: boolean; params: string[] }> = {
  k8s_logs: { readOnly: true, destructive: false, params: ['pod_name', 'namespace', 'num_lines', 'container_name', 'since', 'previous'] },
  k8s_get: { readOnly: true, destructive: false, params: ['resource_type', 'name', 'namespace', 'all_namespaces', 'output', 'label_selector'] },
  k8s_describe: { readOnly: true, destructive: false, params: ['name', 'resource_type', 'namespace'] },
  wait_for_x_seconds: { readOnly: true, destructive: false, params: ['seconds'] },
  k8s_rollout_status: { readOnly: true, destructive: false, params: ['name', 'namespace'] },
  k8s_rollout_history: { readOnly: true, destructive: false, params: ['name', 'resource_type', 'namespace', 'revision'] },
  k8s_cluster_info: { readOnly: true, destructive: false, params: [] },
  k8s_top_pods: { readOnly: true, destructive: false, params: ['namespace', 'all_namespaces', 'label_selector', 'sort_by'] },
  k8s_top_nodes: { readOnly: true, destructive: false, params: ['label_selector', 'sort_by'] },
  k8s_apply: { readOnly: false, destructive: true, params: ['content', 'namespace'] },
  k8s_patch: { readOnly: false, destructive: true, params: ['name', 'resource_type', 'patch', 'patch_type', 'namespace'] },
  k8s_set_image: { readOnly: false, destructive: true, params: ['resource_name', 'resource_type', 'container_images', 'namespace'] },
  k8s_rollout_restart: { readOnly: false, destructive: true, params: ['name', 'namespace'] },
  k8s_scale: { readOnly: false, destructive: true, params: ['name', 'resource_type', 'replicas', 'namespace'] },
  k8s_rollout_undo: { readOnly: false, destructive: true, params: ['name', 'resource_type', 'namespace', 'to_revision'] },
  k8s_cordon: { readOnly: false, destructive: false, params: ['node_name'] },
  k8s_uncordon: { readOnly: false, destructive: false, params: ['node_name'] },
  k8s_run_pod: { readOnly: false, destructive: false, params: ['name', 'image', 'namespace', 'command', 'container_name', 'labels', 'env', 'resources'] },
  k8s_exec: { readOnly: false, destructive: true, params: ['pod_name', 'command', 'namespace', 'container_name'] },
  k8s_port_forward: { readOnly: false, destructive: false, params: ['resource_name', 'ports', 'namespace', 'resource_type'] },
  k8s_delete: { readOnly: false, destructive: true, params: ['name', 'resource_type', 'namespace'] },
  k8s_drain: { readOnly: false, destructive: true, params: ['node_name', 'ignore_daemonsets', 'delete_emptydir_data'] },
  k8s_diff: { readOnly: true, destructive: false, params: ['operation', 'content', 'name', 'resource_type', 'namespace', 'patch', 'patch_type', 'replicas', 'container_images', 'to_revision'] },
  // beyond the spec: RBAC checks (issue 10)
  k8s_auth_can_i: { readOnly: true, destructive: false, params: ['verb', 'resource', 'subresource', 'name', 'namespace', 'as_user', 'as_groups', 'as_service_account'] },
};

let harness: KubeHarness;
let server: McpHttpServer;
let readOnlyServer: McpHttpServer;
let authServer: McpHttpServer;
const clients: Client[] = [];

/** Every HTTP client presents a token (issue 19 item 7); the servers below take this client token. */
const clientToken = 'test-client-token';

async function connect(url: string, token: string | undefined = clientToken): Promise<Client> {
  const client = new Client({ name: 'test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), token ? { requestInit: { headers: { Authorization: `Bearer ${token}` } } } : undefined));
  clients.push(client);
  return client;
}

const textOf = (result: object) => ((result as { content: unknown }).content as Array<{ type: string; text: string }>)[0].text;

beforeAll(async () => {
  harness = await startKubeHarness();
  server = await startMcpHttpServer({ deps: harness.deps, clientToken });
  readOnlyServer = await startMcpHttpServer({ deps: harness.deps, readOnly: true, clientToken });
  authServer = await startMcpHttpServer({ deps: harness.deps, authToken: 's3cret-token' });
});
afterAll(async () => {
  await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
  await Promise.all([server?.close(), readOnlyServer?.close(), authServer?.close()]);
  await harness?.close();
});

describe('catalogue over Streamable HTTP', () => {
  it('lists every kubectl tool with the spec parameters, annotations, title, toolset and described fields', async () => {
    const client = await connect(server.url);
    const { tools } = await client.listTools();
    const byName = new Map(tools.map((tool) => [tool.name, tool]));
    for (const [name, expected] of Object.entries(KUBECTL)) {
      const tool = byName.get(name);
      expect(tool, name).toBeDefined();
      expect(tool!.annotations?.readOnlyHint, name).toBe(expected.readOnly);
      expect(tool!.annotations?.destructiveHint, name).toBe(expected.destructive);
      expect(tool!.title ?? tool!.annotations?.title, name).toBeTruthy();
      expect(tool!._meta?.['skyflo.ai/toolset'], name).toBe('k8s');
      const properties = (tool!.inputSchema.properties ?? {}) as Record<string, { description?: string }>;
      for (const param of expected.params) expect(Object.keys(properties), `${name}.${param}`).toContain(param);
      for (const [param, schema] of Object.entries(properties)) expect(schema.description, `${name}.${param} needs a description`).toBeTruthy();
    }
    expect(tools.filter((tool) => tool._meta?.['skyflo.ai/toolset'] === 'k8s').map((tool) => tool.name).sort()).toEqual(Object.keys(KUBECTL).sort());
  });

  it('points mutating kubectl tools at k8s_diff for previews', async () => {
    const client = await connect(server.url);
    const { tools } = await client.listTools();
    for (const name of ['k8s_apply', 'k8s_patch', 'k8s_scale', 'k8s_set_image', 'k8s_delete', 'k8s_rollout_undo']) {
      expect(tools.find((tool) => tool.name === name)?._meta?.['skyflo.ai/preview-tool'], name).toBe('k8s_diff');
      expect(tools.find((tool) => tool.name === name)?._meta?.['skyflo.ai/preview'], name).toBe(true);
    }
  });

  it('lists all families once they are present (64 spec tools + diff tools)', async () => {
    const client = await connect(server.url);
    const { tools } = await client.listTools();
    // + the tools of no toolset: preview_tool_call, list_clusters (issue 22), capture_change_baseline and verify_change (issue 21)
    const expected = Object.keys(KUBECTL).length + helmTools.length + argoTools.length + jenkinsTools.length + observabilityTools.length + 4;
    expect(tools).toHaveLength(expected);
    expect(new Set(tools.map((tool) => tool.name)).size).toBe(tools.length);
    if (helmTools.length > 0 && argoTools.length > 0 && jenkinsTools.length > 0) {
      // 22 kubectl + 16 helm + 13 argo + 13 jenkins from the spec, plus at least k8s_diff
      expect(tools.length).toBeGreaterThanOrEqual(65);
    }
  });

  it('serves several clients calling at once', async () => {
    const [first, second, third] = await Promise.all([connect(server.url), connect(server.url), connect(server.url)]);
    const results = await Promise.all([
      first.callTool({ name: 'k8s_get', arguments: { resource_type: 'nodes' } }),
      second.callTool({ name: 'k8s_cluster_info', arguments: {} }),
      third.callTool({ name: 'k8s_get', arguments: { resource_type: 'namespaces', output: 'name' } }),
      first.callTool({ name: 'k8s_get', arguments: { resource_type: 'nodes', output: 'name' } }),
    ]);
    expect(textOf(results[0])).toMatch(/^NAME\s+STATUS\s+ROLES/);
    expect(textOf(results[1])).toContain('Kubernetes control plane is running at');
    expect(textOf(results[2])).toContain('namespace/default');
    expect(textOf(results[3]).split('\n')).toHaveLength(3);
  });

  it('returns tool failures as isError results, and rejects schema violations', async () => {
    const client = await connect(server.url);
    const missing = await client.callTool({ name: 'k8s_get', arguments: { resource_type: 'gizmos' } });
    expect(missing.isError).toBe(true);
    expect(textOf(missing)).toMatch(/Unknown resource type "gizmos"/);
    expect(textOf(missing)).not.toMatch(/at .*\.ts:\d+/); // no stack trace
    const invalid = await client.callTool({ name: 'k8s_scale', arguments: { name: 'x', resource_type: 'deployment', replicas: 'many' } });
    expect(invalid.isError).toBe(true);
    expect(textOf(invalid)).toMatch(/replicas/);
  });

  it('offers the same catalogue in process and as JSON schema for the engine', async () => {
    const { client, close } = await connectInProcess({ deps: harness.deps });
    try {
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).toContain('k8s_diff');
      const result = await client.callTool({ name: 'k8s_get', arguments: { resource_type: 'nodes', output: 'name' } });
      expect(textOf(result)).toContain('node/sim-worker-1');
    } finally {
      await close();
    }
    const catalogue = listToolCatalogue();
    const scale = catalogue.find((entry) => entry.name === 'k8s_scale')!;
    expect(scale).toMatchObject({ toolset: 'k8s', tags: ['k8s'], preview: 'k8s_diff', annotations: { readOnlyHint: false } });
    expect((scale.inputSchema as { required: string[] }).required).toEqual(expect.arrayContaining(['name', 'resource_type', 'replicas']));
  });
});

describe('progress', () => {
  it('reports rollout progress as MCP progress notifications', async () => {
    // The engine's connection (with the token): a direct client's k8s_apply would wait for a human (--confirm).
    const client = await connect(authServer.url, 's3cret-token');
    const manifest = 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: progress}\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: progress}}\n  template:\n    metadata: {labels: {app: progress}}\n    spec: {containers: [{name: main, image: nginx:1.27}]}\n';
    await client.callTool({ name: 'k8s_apply', arguments: { content: manifest } });
    const messages: string[] = [];
    const result = await client.callTool({ name: 'k8s_rollout_status', arguments: { name: 'progress', timeout_seconds: 20 } }, undefined, {
      onprogress: (progress) => messages.push(progress.message ?? ''),
    });
    expect(textOf(result)).toMatch(/deployment "progress" successfully rolled out$/);
    expect(messages.length).toBeGreaterThan(0);
    expect(messages.at(-1)).toBe('deployment "progress" successfully rolled out');
  });
});

describe('read-only mode', () => {
  it('lists only read-only tools', async () => {
    const client = await connect(readOnlyServer.url);
    const { tools } = await client.listTools();
    expect(tools.length).toBeGreaterThan(10);
    expect(tools.every((tool) => tool.annotations?.readOnlyHint === true)).toBe(true);
    const names = tools.map((tool) => tool.name);
    for (const name of ['k8s_apply', 'k8s_delete', 'k8s_exec', 'k8s_drain', 'k8s_run_pod']) expect(names).not.toContain(name);
    expect(names).toEqual(expect.arrayContaining(['k8s_get', 'k8s_diff', 'k8s_logs']));
    expect(listToolCatalogue({ readOnly: true }).map((entry) => entry.name).sort()).toEqual([...names].sort());
  });

  it('rejects calls to mutating tools and changes nothing', async () => {
    const client = await connect(readOnlyServer.url);
    // Not listed, so not there: since the SDK v2 an unknown tool is a JSON-RPC error (-32602, as the spec names it), not a tool result.
    await expect(client.callTool({ name: 'k8s_apply', arguments: { content: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: sneaky}\n' } })).rejects.toMatchObject({ code: -32602, message: expect.stringContaining('k8s_apply') });
    const configMaps = harness.sim.cluster.registry.byResource('', 'configmaps')!;
    expect(harness.sim.cluster.store.get(configMaps, 'default', 'sneaky')).toBeUndefined();
    // Even a direct engine-side call through runTool is refused when the deps say read-only.
    const direct = await harness.call('k8s_apply', { content: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: sneaky}\n' }, harness.depsWith({ readOnly: true }));
    expect(direct.text).toMatch(/read-only mode/);
    expect(harness.sim.cluster.store.get(configMaps, 'default', 'sneaky')).toBeUndefined();
  });
});

describe('auth', () => {
  it('answers 401 without a token or with a wrong one, and works with the right one', async () => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    const headers = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' };
    expect((await fetch(authServer.url, { method: 'POST', headers, body })).status).toBe(401);
    expect((await fetch(authServer.url, { method: 'POST', headers: { ...headers, Authorization: 'Bearer wrong' }, body })).status).toBe(401);
    expect((await fetch(authServer.url, { method: 'POST', headers: { ...headers, Authorization: 'Bearer s3cret-token-and-more' }, body })).status).toBe(401);
    await expect(connect(authServer.url, undefined)).rejects.toThrow();
    const client = await connect(authServer.url, 's3cret-token');
    expect((await client.listTools()).tools.length).toBeGreaterThan(20);
  });

  it('refuses to start without any token, on loopback too, and a client token equal to the engine token', async () => {
    await expect(startMcpHttpServer({ deps: harness.deps, port: 0 })).rejects.toThrow(/needs a token: set the engine token \(--auth-token \/ MCP_AUTH_TOKEN\) or a client token/);
    await expect(startMcpHttpServer({ deps: harness.deps, host: '0.0.0.0', port: 0 })).rejects.toThrow(/needs a token/);
    await expect(startMcpHttpServer({ deps: harness.deps, port: 0, authToken: 'same-token', clientToken: 'same-token' })).rejects.toThrow(/must differ from the engine token/);
  });
});

describe('health', () => {
  it('answers 503 when the cluster is unreachable', async () => {
    const { writeFileSync } = await import('node:fs');
    const deadConfig = `${harness.directory}/dead-kubeconfig`;
    writeFileSync(deadConfig, 'apiVersion: v1\nkind: Config\nclusters:\n- name: d\n  cluster: {server: "http://127.0.0.1:1", insecure-skip-tls-verify: true}\ncontexts:\n- name: d\n  context: {cluster: d, user: d}\nusers:\n- name: d\n  user: {token: x}\ncurrent-context: d\n');
    const dead = await startMcpHttpServer({ deps: harness.depsWith({ kubeconfigPath: deadConfig }), clientToken });
    try {
      const response = await fetch(dead.url.replace(/\/mcp$/, '/health/ready'));
      expect(response.status).toBe(503);
      const body = (await response.json()) as { status: string; missing: string[]; cluster: string };
      expect(body).toMatchObject({ status: 'error', missing: [] });
      // where to look: the kubeconfig file, the context and its server, then the socket's own error
      expect(body.cluster).toBe(`unreachable: kubeconfig ${deadConfig}: context d: http://127.0.0.1:1 is unreachable: connect ECONNREFUSED 127.0.0.1:1`);
    } finally {
      await dead.close();
    }
  });

  it('keeps an idle connection open for 65 s and says so, so that its clients (Node\'s fetch drops one 2 s before) close first', async () => {
    const base = new URL(server.url);
    const agent = new http.Agent({ keepAlive: true });
    try {
      const keepAlive = await new Promise<string>((resolve, reject) => {
        http.get({ host: base.hostname, port: base.port, path: '/health', agent }, (response) => {
          response.resume();
          resolve(String(response.headers['keep-alive']));
        }).on('error', reject);
      });
      expect(keepAlive).toBe('timeout=65');
    } finally {
      agent.destroy();
    }
  });

  it('reports liveness and readiness', async () => {
    const base = server.url.replace(/\/mcp$/, '');
    const health = await fetch(`${base}/health`);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${base}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
  });

  it('answers 503 listing a missing binary', async () => {
    const broken = await startMcpHttpServer({ deps: harness.depsWith({ helmPath: '/nonexistent/helm', kubectlPath: 'no-such-kubectl-on-path' }), clientToken });
    try {
      const response = await fetch(broken.url.replace(/\/mcp$/, '/health/ready'));
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({ status: 'error', missing: ['helm', 'kubectl'], cluster: 'reachable' });
    } finally {
      await broken.close();
    }
  });
});
