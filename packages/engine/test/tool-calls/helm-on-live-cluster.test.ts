/**
 * Issue 19 item 4 end to end: the real MCP server over HTTP (engine token), the real helm against kube-sim, llm-sim
 * and the agent routes. The fixture chart cluster-probe binds cluster-admin only when `lookup` finds its watched
 * namespace, which the old (client-side) preview never showed.
 * - The approval card shows the binding, CLUSTER_ADMIN_GRANT and LIVE_CLUSTER_TEMPLATE.
 * - When the cluster changes between approval and execution (the watched namespace appears), the gate's re-run
 *   preview renders another manifest, so the approved call is refused with TARGET_CHANGED and nothing is installed.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { startMcpHttpServer, type McpHttpServer } from '@skyflo/mcp-server';
import { startKubeSim, type KubeSim } from '@skyflo/sandbox/kube-sim';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { helmPath, kubectlPath, repoRoot } from '@skyflo/testkit/tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentConfig } from '../../src/platform/config/agent.ts';
import { createToolGateway } from '../../src/adapters/mcp/create-tool-gateway.ts';
import type { ToolGateway } from '../../src/platform/ports/tool-gateway.ts';
import { startAgentTestApp, type AgentTestApp } from '../../src/testing/agent-test-app.ts';
import { createMemoryEventBus } from '../../src/adapters/bus/memory-event-bus.ts';
import { createInMemoryStorage } from '../../src/testing/in-memory-storage.ts';
import { readSse, type SseFrame } from '../../src/testing/read-sse.ts';

const run = promisify(execFile);
const chartsDir = path.join(repoRoot, 'packages/mcp-server/test/fixtures/charts');
const probeChart = path.join(chartsDir, 'cluster-probe');
let directory: string;
let kubeconfig: string;
let helmEnv: Record<string, string>;
let kube: KubeSim;
let mcp: McpHttpServer;
let sim: LlmSim;
let tools: ToolGateway;
let harness: AgentTestApp;

async function kubectl(...args: string[]): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await run(kubectlPath, ['--kubeconfig', kubeconfig, ...args], { env: { ...process.env, KUBECACHEDIR: path.join(directory, 'cache') } });
    return { code: 0, stdout: stdout.trim() };
  } catch (error) {
    return { code: (error as { code?: number }).code ?? 1, stdout: String((error as { stderr?: string }).stderr ?? '') };
  }
}

async function helmReleases(): Promise<string> {
  const { stdout } = await run(helmPath, ['list', '--all-namespaces', '--all', '--short', '--kubeconfig', kubeconfig], { env: { ...process.env, ...helmEnv } });
  return stdout.trim();
}

async function post(pathname: string, body: unknown): Promise<SseFrame[]> {
  const response = await fetch(`${harness.url}${pathname}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-test-user': 'alice' },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(200);
  return readSse(response);
}

const find = (frames: SseFrame[], event: string) => frames.filter((frame) => frame.event === event).map((frame) => frame.data);

/** The model loads the helm write tools and proposes helm_install_with_values of cluster-probe. */
function scriptInstall(callId: string, release: string, values: string) {
  sim.reset({
    rules: [
      { match: { sequence: 1 }, reply: { toolCalls: [{ id: `${callId}_load`, name: 'load_toolset', arguments: { toolset: 'helm', include_write_tools: true } }] } },
      {
        match: { toolName: 'load_toolset' },
        reply: { toolCalls: [{ id: callId, name: 'helm_install_with_values', arguments: { release_name: release, chart: probeChart, namespace: 'team', values, wait: false } }] },
      },
      { match: { toolName: 'helm_install_with_values' }, reply: 'Done.' },
    ],
  });
}

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'skyflo-e2e-helm-live-'));
  kubeconfig = path.join(directory, 'kubeconfig');
  helmEnv = { HELM_CACHE_HOME: path.join(directory, 'helm-cache'), HELM_CONFIG_HOME: path.join(directory, 'helm-config'), HELM_DATA_HOME: path.join(directory, 'helm-data') };
  kube = await startKubeSim({ port: 0, kubeconfigPath: kubeconfig });
  expect((await kubectl('create', 'namespace', 'team')).code).toBe(0);
  mcp = await startMcpHttpServer({
    port: 0,
    authToken: 'engine-mcp-token',
    settings: { kubeconfigPath: kubeconfig, kubectlPath, helmPath, helmEnv, helmChartDirs: [chartsDir], helmChartCacheDir: path.join(directory, 'chart-cache') },
  });
  sim = await startLlmSim({ port: 0 });
  tools = createToolGateway({ url: mcp.url, authToken: 'engine-mcp-token' });
  const provider = createOpenAICompatible({ baseURL: sim.url, name: 'sim', includeUsage: true });
  harness = await startAgentTestApp({
    storage: createInMemoryStorage(),
    bus: createMemoryEventBus(),
    tools,
    llm: { model: provider.chatModel('sim-model'), modelName: 'sim/sim-model' },
    config: agentConfig({ titleGeneration: false, retryBaseDelayMs: 1 }),
  });
}, 60_000);

afterAll(async () => {
  await harness?.close();
  await tools?.close();
  await mcp?.close();
  await kube?.close();
  await sim?.close();
  await rm(directory, { recursive: true, force: true });
});

describe('helm install of a chart that reads the live cluster (issue 19 item 4)', () => {
  it('the approval card shows the ClusterRoleBinding lookup turns on, with CLUSTER_ADMIN_GRANT and LIVE_CLUSTER_TEMPLATE', async () => {
    scriptInstall('call_probe', 'probe', 'watchNamespace: kube-system\n');
    const frames = await post('/agent/chat', { messages: [{ role: 'user', content: 'install cluster-probe' }] });
    const awaiting = find(frames, 'tool.awaiting_approval')[0]!;
    expect(awaiting).toMatchObject({ call_id: 'call_probe', tool: 'helm_install_with_values' });
    expect(String(awaiting['diff'])).toMatch(/^\+\s*kind: ClusterRoleBinding$/m);
    const codes = (awaiting['risks'] as Array<{ code: string; severity: string }>).map((risk) => `${risk.code}:${risk.severity}`);
    expect(codes).toContain('CLUSTER_ADMIN_GRANT:high');
    expect(codes).toContain('LIVE_CLUSTER_TEMPLATE:medium');
    expect(await helmReleases()).toBe('');
  }, 60_000);

  it('the cluster changes between approval and execution: TARGET_CHANGED, and nothing is installed', async () => {
    scriptInstall('call_watch', 'watcher', 'watchNamespace: monitoring\n');
    const first = await post('/agent/chat', { messages: [{ role: 'user', content: 'install cluster-probe watching monitoring' }] });
    const conversationId = String(first[0]!.data['conversation_id']);
    const awaiting = find(first, 'tool.awaiting_approval')[0]!;
    expect(awaiting).toMatchObject({ call_id: 'call_watch' });
    // what the approver sees: a ConfigMap, no binding
    expect(String(awaiting['diff'])).toMatch(/^\+\s*kind: ConfigMap$/m);
    expect(String(awaiting['diff'])).not.toContain('ClusterRoleBinding');

    // meanwhile the namespace the template looks up appears
    expect((await kubectl('create', 'namespace', 'monitoring')).code).toBe(0);

    const second = await post('/agent/approvals/call_watch', { approve: true, conversation_id: conversationId, args_hash: awaiting['args_hash'], diff_hash: awaiting['diff_hash'] });
    const errors = find(second, 'tool.error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ call_id: 'call_watch', code: 'TARGET_CHANGED' });
    expect(find(second, 'tool.executing')).toEqual([]);
    expect(await helmReleases()).toBe('');
    expect((await kubectl('get', 'clusterrolebinding', 'watcher-everything')).code).not.toBe(0);
    expect((await kubectl('get', 'configmap', 'watcher-probe', '--namespace', 'team')).code).not.toBe(0);
  }, 60_000);
});
