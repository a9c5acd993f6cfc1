/**
 * Issues 21 × 22 end to end: an automatic revert is bound to the cluster its change was approved on, exactly as the
 * gate binds any approved call. Two kube-sims: `alpha` (where the change is approved) and another server. After the
 * change is approved with automatic revert on alpha and before its regression is acted on, the `alpha` context is
 * re-pointed at the other server (the MCP server behind the engine now reads a kubeconfig where alpha is that server),
 * or alpha is made read-only by cluster policy. The revert must not run — neither inside the run nor when a
 * verification is resumed after an engine restart: the other server's state is untouched (read with the real kubectl
 * against each sim directly), the revert's approval row, the stream and the audit say why, and Undo still works for a
 * person once the cluster is right.
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { startMcpHttpServer, type McpHttpServer } from '@skyflo/mcp-server';
import type { AgentEvent } from '@skyflo/protocol';
import { startKubeSim, type KubeSim } from '@skyflo/sandbox/kube-sim';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { kubectlPath } from '@skyflo/testkit/tools';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hashToolCall } from '../../src/domain/tool-calls/core/hash-tool-call.ts';
import { createToolCallInspector } from '../../src/domain/tool-calls/core/tool-call-inspector.ts';
import { createMemoryEventBus } from '../../src/adapters/bus/memory-event-bus.ts';
import { createClusterDirectory } from '../../src/domain/clusters/cluster-directory.ts';
import { createClusterPolicies } from '../../src/domain/clusters/cluster-policies.ts';
import { agentConfig } from '../../src/platform/config/agent.ts';
import { createSecretBox } from '../../src/platform/crypto/secret-box.ts';
import { createToolGateway } from '../../src/adapters/mcp/create-tool-gateway.ts';
import type { ToolGateway } from '../../src/platform/ports/tool-gateway.ts';
import type { NewAuditEvent, SettingsStore } from '../../src/platform/ports/index.ts';
import type { AgentStorage } from '../../src/app/graph/checkpoints.ts';
import { startAgentTestApp, type AgentTestApp } from '../../src/testing/agent-test-app.ts';
import { createInMemoryStorage } from '../../src/testing/in-memory-storage.ts';
import { readSse, type SseFrame } from '../../src/testing/read-sse.ts';
import { captureBaseline, sealBefore } from '../../src/domain/tool-calls/core/baseline.ts';
import { resumeVerifications } from '../../src/domain/tool-calls/verify/resume-verifications.ts';

const run = promisify(execFile);
const simSettings = { readinessDelayMs: 20, startDelayMs: 10, crashBackoffMs: 100 };
let directory: string;
let alpha: KubeSim;
let other: KubeSim;
/** kubeconfigs that reach each sim directly, for the assertions (never re-pointed) */
let alphaDirect: string;
let otherDirect: string;
/** the MCP server as deployed (alpha → alpha's server) and after the re-pointing (alpha → the other server) */
let mcpAsApproved: McpHttpServer;
let mcpRepointed: McpHttpServer;
let asApproved: ToolGateway;
let repointed: ToolGateway;
let sim: LlmSim;
let storage: AgentStorage;
let harness: AgentTestApp;
const auditRows: NewAuditEvent[] = [];
const settingsMap = new Map<string, unknown>();
const settings: SettingsStore = {
  get: async (key) => settingsMap.get(key),
  put: async (key, value) => void settingsMap.set(key, value),
  putIfAbsent: async (key, value) => {
    if (!settingsMap.has(key)) settingsMap.set(key, value);
    return settingsMap.get(key);
  },
};
const policies = createClusterPolicies({ settings, defaults: { policy: 'self' } });

/**
 * The engine's tool gateway: the MCP server it talks to. `onRegressed` runs once the engine has been told a
 * verification ended `regressed` and before the engine acts on it: the moment the attack happens.
 */
let active: ToolGateway;
let onRegressed: (() => Promise<void> | void) | undefined;
const tools: ToolGateway = {
  listTools: (options) => active.listTools(options),
  async callTool(input) {
    const outcome = await active.callTool(input);
    if (input.name === 'verify_change' && (outcome.structured as { outcome?: string } | undefined)?.outcome === 'regressed' && onRegressed) {
      const attack = onRegressed;
      onRegressed = undefined;
      await attack();
    }
    return outcome;
  },
  preview: (input) => active.preview(input),
  close: async () => undefined,
};

async function kubectlAt(kubeconfig: string, ...args: string[]): Promise<string> {
  const { stdout } = await run(kubectlPath, ['--kubeconfig', kubeconfig, ...args], { env: { ...process.env, KUBECACHEDIR: path.join(directory, 'cache') } });
  return stdout.trim();
}
const imageAt = (kubeconfig: string, name: string) => kubectlAt(kubeconfig, 'get', 'deployment', name, '-n', 'default', '-o', 'jsonpath={.spec.template.spec.containers[0].image}');

function kubeconfigOf(contexts: Array<{ name: string; sim: KubeSim }>): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': contexts[0]!.name,
    clusters: contexts.map(({ name, sim: target }) => ({ name, cluster: { server: target.url, 'insecure-skip-tls-verify': true } })),
    users: contexts.map(({ name, sim: target }) => ({ name: `${name}-admin`, user: { token: target.adminToken } })),
    contexts: contexts.map(({ name }) => ({ name, context: { cluster: name, user: `${name}-admin`, namespace: 'default' } })),
  });
}

async function write(name: string, content: string): Promise<string> {
  const file = path.join(directory, name);
  await writeFile(file, content, { mode: 0o600 });
  return file;
}

function deployment(name: string, image: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: default}
spec:
  replicas: 2
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec: {containers: [{name: ${name}, image: "${image}"}]}
`;
}

async function post(pathname: string, body: unknown): Promise<SseFrame[]> {
  const response = await fetch(`${harness.url}${pathname}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-test-user': 'alice' }, body: JSON.stringify(body) });
  expect(response.status, await response.clone().text().catch(() => '')).toBe(200);
  return readSse(response);
}
const find = (frames: SseFrame[], event: string) => frames.filter((frame) => frame.event === event).map((frame) => frame.data);

function script(id: string, args: Record<string, unknown>) {
  sim.reset({
    rules: [
      { match: { sequence: 1 }, reply: { toolCalls: [{ id: 'call_load', name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
      { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ id, name: 'k8s_set_image', arguments: args }] } },
      { match: { toolName: 'k8s_set_image' }, reply: 'Done.' },
    ],
  });
}

/** The text of the tool result the model was sent for `callId`. */
function toolResultSentToModel(callId: string): string {
  for (const call of [...sim.calls].reverse()) {
    const message = call.messages.find((item) => item.role === 'tool' && (item as { tool_call_id?: string }).tool_call_id === callId);
    if (message) return typeof message.content === 'string' ? message.content : JSON.stringify(message.content);
  }
  return '';
}

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'skyflo-revert-cluster-'));
  alpha = await startKubeSim({ port: 0, settings: simSettings });
  other = await startKubeSim({ port: 0, settings: simSettings });
  alphaDirect = await write('alpha-direct', kubeconfigOf([{ name: 'alpha', sim: alpha }]));
  otherDirect = await write('other-direct', kubeconfigOf([{ name: 'other', sim: other }]));
  // The same workloads in both clusters, with images that tell them apart: a revert run on the other server would
  // set its image to alpha's old one.
  for (const name of ['worker', 'jobs', 'cron']) {
    await write(`${name}-alpha.yaml`, deployment(name, 'nginx:1.27'));
    await write(`${name}-other.yaml`, deployment(name, 'nginx:1.26'));
    await kubectlAt(alphaDirect, 'apply', '-f', path.join(directory, `${name}-alpha.yaml`));
    await kubectlAt(otherDirect, 'apply', '-f', path.join(directory, `${name}-other.yaml`));
    await kubectlAt(alphaDirect, 'rollout', 'status', `deployment/${name}`, '-n', 'default', '--timeout=60s');
    await kubectlAt(otherDirect, 'rollout', 'status', `deployment/${name}`, '-n', 'default', '--timeout=60s');
  }
  const engineKubeconfig = await write('engine', kubeconfigOf([{ name: 'alpha', sim: alpha }, { name: 'beta', sim: other }]));
  // The attack: the context the change was approved on, alpha, now leads to the other server (and its credentials).
  const repointedKubeconfig = await write('engine-repointed', kubeconfigOf([{ name: 'alpha', sim: other }, { name: 'beta', sim: other }]));
  mcpAsApproved = await startMcpHttpServer({ port: 0, authToken: 'engine-mcp-token', settings: { kubeconfigPath: engineKubeconfig, kubectlPath } });
  mcpRepointed = await startMcpHttpServer({ port: 0, authToken: 'engine-mcp-token', settings: { kubeconfigPath: repointedKubeconfig, kubectlPath } });
  asApproved = createToolGateway({ url: mcpAsApproved.url, authToken: 'engine-mcp-token' });
  repointed = createToolGateway({ url: mcpRepointed.url, authToken: 'engine-mcp-token' });
  active = asApproved;
  sim = await startLlmSim({ port: 0 });
  const provider = createOpenAICompatible({ baseURL: sim.url, name: 'sim', includeUsage: true });
  storage = createInMemoryStorage();
  harness = await startAgentTestApp({
    storage,
    bus: createMemoryEventBus(),
    tools,
    audit: { record: async (event: NewAuditEvent) => void auditRows.push(event) } as never,
    llm: { model: provider.chatModel('sim-model'), modelName: 'sim/sim-model' },
    config: agentConfig({ titleGeneration: false, retryBaseDelayMs: 1, verifyTimeoutSeconds: 60, verifyHoldSeconds: 1 }),
    approvalPolicy: { policy: 'self', fourEyes: false },
    clusters: { directory: createClusterDirectory({ tools, ttlMs: 0, maxStaleMs: 0 }), policies },
  });
}, 180_000);

afterEach(async () => {
  active = asApproved;
  onRegressed = undefined;
  await policies.replace([]);
});

afterAll(async () => {
  await harness?.close();
  await asApproved?.close();
  await repointed?.close();
  await mcpAsApproved?.close();
  await mcpRepointed?.close();
  await alpha?.close();
  await other?.close();
  await sim?.close();
  await rm(directory, { recursive: true, force: true });
});

describe('an automatic revert runs only on the cluster its change was approved on', () => {
  it('alpha re-pointed at another API server before the regression is acted on: the revert does not run there, the refusal is recorded, and Undo still works', async () => {
    script('call_worker', { resource_name: 'worker', resource_type: 'deployment', namespace: 'default', container_images: 'worker=crash:1.0' });
    const first = await post('/agent/chat', { messages: [{ role: 'user', content: 'deploy crash:1.0 to worker' }] });
    const conversationId = String(first[0]!.data['conversation_id']);
    const awaiting = find(first, 'tool.awaiting_approval')[0]!;
    expect(awaiting).toMatchObject({ cluster: { name: 'alpha', server: alpha.url }, undo: expect.objectContaining({ tool: 'k8s_set_image' }) });
    onRegressed = () => {
      active = repointed;
    };
    const second = await post('/agent/approvals/call_worker', { approve: true, auto_revert: true, conversation_id: conversationId, args_hash: awaiting['args_hash'] });

    expect(find(second, 'tool.verification').filter((event) => event['call_id'] === 'call_worker').at(-1)).toMatchObject({ outcome: 'regressed', auto_revert_call_id: 'call_worker-revert' });
    // the other server is untouched; alpha still has the change (nothing reverted it behind anyone's back)
    expect(await imageAt(otherDirect, 'worker')).toBe('nginx:1.26');
    expect(await imageAt(alphaDirect, 'worker')).toBe('crash:1.0');
    // the stream says the revert was refused, and why; it never started executing
    expect(find(second, 'tool.error').find((event) => event['call_id'] === 'call_worker-revert')).toMatchObject({
      code: 'CLUSTER_CHANGED',
      error: expect.stringMatching(new RegExp(`cluster alpha now points at ${other.url.replace(/[.:/]/g, '\\$&')}, not ${alpha.url.replace(/[.:/]/g, '\\$&')} as approved[\\s\\S]*Undo on it stays available`)),
    });
    expect(find(second, 'tool.executing').map((event) => event['call_id'])).toEqual(['call_worker']);
    // the revert's approval row and the audit record why; the model is told
    expect(await storage.approvals.get(conversationId, 'call_worker-revert')).toMatchObject({ status: 'failed', automatic: true, undoOf: 'call_worker', cluster: { name: 'alpha', server: alpha.url }, resultSummary: expect.stringMatching(/now points at/) });
    await harness.service.idle();
    expect(auditRows.find((row) => row.action === 'tool.failed' && row.subjectId === 'call_worker-revert')?.details).toMatchObject({ code: 'CLUSTER_CHANGED', executed: false });
    expect(toolResultSentToModel('call_worker')).toMatch(/Verification: regressed[\s\S]*did not run/);

    // Undo stays for a person: once alpha leads to its own server again, Undo proposes the inverse, gated, and restores it
    active = asApproved;
    sim.reset({ rules: [{ match: { toolName: 'k8s_set_image' }, reply: 'Reverted.' }] });
    const undo = await post('/agent/approvals/call_worker/undo', { conversation_id: conversationId });
    const proposed = find(undo, 'tool.awaiting_approval')[0]!;
    expect(proposed).toMatchObject({ tool: 'k8s_set_image', undo_of: 'call_worker', cluster: { name: 'alpha', server: alpha.url } });
    await post(`/agent/approvals/${String(proposed['call_id'])}`, { approve: true, conversation_id: conversationId, args_hash: proposed['args_hash'] });
    expect(await imageAt(alphaDirect, 'worker')).toBe('nginx:1.27');
    expect(await imageAt(otherDirect, 'worker')).toBe('nginx:1.26');
  }, 240_000);

  it('alpha made read-only by cluster policy after the approval: the revert does not run', async () => {
    script('call_jobs', { resource_name: 'jobs', resource_type: 'deployment', namespace: 'default', container_images: 'jobs=crash:1.0' });
    const first = await post('/agent/chat', { messages: [{ role: 'user', content: 'deploy crash:1.0 to jobs' }] });
    const conversationId = String(first[0]!.data['conversation_id']);
    const awaiting = find(first, 'tool.awaiting_approval')[0]!;
    onRegressed = () => policies.replace([{ cluster: 'alpha', mode: 'read_only' }]);
    const second = await post('/agent/approvals/call_jobs', { approve: true, auto_revert: true, conversation_id: conversationId, args_hash: awaiting['args_hash'] });
    expect(find(second, 'tool.error').find((event) => event['call_id'] === 'call_jobs-revert')).toMatchObject({ code: 'CLUSTER_CHANGED', error: expect.stringMatching(/cluster alpha became read-only \(cluster policy alpha\) after the approval/) });
    expect(find(second, 'tool.executing').map((event) => event['call_id'])).toEqual(['call_jobs']);
    expect(await imageAt(alphaDirect, 'jobs')).toBe('crash:1.0');
    expect(await imageAt(otherDirect, 'jobs')).toBe('nginx:1.26');
    expect(await storage.approvals.get(conversationId, 'call_jobs-revert')).toMatchObject({ status: 'failed', resultSummary: expect.stringMatching(/became read-only/) });
  }, 240_000);

  it('after an engine restart, a resumed regressed verification does not revert on the re-pointed cluster either; its row and the timeline say why', async () => {
    // A change executed on alpha, approved with automatic revert, whose run died while verifying it.
    const args = { resource_name: 'cron', resource_type: 'deployment', namespace: 'default', container_images: 'cron=crash:1.0', context: 'alpha' };
    const baseline = await captureBaseline(asApproved, { tool: 'k8s_set_image', args });
    expect(baseline?.inverse).toMatchObject({ tool: 'k8s_set_image', args: expect.objectContaining({ context: 'alpha', container_images: 'cron=nginx:1.27' }) });
    await kubectlAt(alphaDirect, 'set', 'image', 'deployment/cron', 'cron=crash:1.0', '-n', 'default');
    const box = createSecretBox(randomBytes(32));
    const resumed = createInMemoryStorage();
    const { id: conversationId } = await resumed.conversations.create({ userId: 'alice' });
    const inverse = baseline!.inverse!;
    const cluster = { name: 'alpha', server: alpha.url };
    await resumed.approvals.request({
      conversationId,
      callId: 'call_cron',
      runId: 'dead-run',
      tool: 'k8s_set_image',
      args,
      argsHash: hashToolCall('k8s_set_image', args, cluster),
      resolution: [],
      risks: [],
      destructive: false,
      requestedBy: 'alice',
      cluster,
      namespace: 'default',
      beforeSealed: sealBefore(box, conversationId, 'call_cron', { args, ...(baseline!.before ? { before: baseline!.before } : {}), inverse }),
      undo: { tool: inverse.tool, args: inverse.args, summary: inverse.summary, argsHash: hashToolCall(inverse.tool, inverse.args) },
    });
    const runId = randomUUID();
    await resumed.approvals.decide({ conversationId, callId: 'call_cron', approve: true, decidedBy: 'alice', decisionRunId: runId, autoRevert: true });
    await resumed.approvals.claimExecution({ conversationId, callId: 'call_cron', runId });
    await resumed.approvals.markExecuted({ conversationId, callId: 'call_cron', ok: true });
    await resumed.approvals.saveVerification({ conversationId, callId: 'call_cron', verification: { outcome: 'verifying', summary: 'Verifying', evidence: [], startedAt: Date.now() - 1000, deadline: Date.now() + 60_000, autoRevert: true } });

    onRegressed = () => {
      active = repointed;
    };
    const seen: AgentEvent[] = [];
    const finished = await resumeVerifications({
      storage: resumed,
      tools,
      secretBox: box,
      inspector: createToolCallInspector(),
      config: agentConfig({ verifyTimeoutSeconds: 60, verifyHoldSeconds: 1 }),
      everyRunIsDead: true,
      clusters: { directory: createClusterDirectory({ tools, ttlMs: 0, maxStaleMs: 0 }), policies },
      observeEvent: (event) => seen.push(event),
    });
    expect(finished).toBe(1);
    // nothing ran on the other server
    expect(await imageAt(otherDirect, 'cron')).toBe('nginx:1.26');
    expect(await imageAt(alphaDirect, 'cron')).toBe('crash:1.0');
    expect((await resumed.approvals.get(conversationId, 'call_cron'))!.verification).toMatchObject({ outcome: 'regressed', autoRevertCallId: 'call_cron-revert' });
    expect(await resumed.approvals.get(conversationId, 'call_cron-revert')).toMatchObject({ status: 'failed', automatic: true, undoOf: 'call_cron', resultSummary: expect.stringMatching(/cluster alpha now points at/) });
    expect(seen.map((event) => `${event.type}${'call_id' in event ? ` ${String(event.call_id)}` : ''}`)).toEqual([
      'tool.verification call_cron',
      'tool.verification call_cron',
      'tools.pending',
      'tool.approved call_cron-revert',
      'tool.error call_cron-revert',
    ]);
    expect(seen.at(-1)).toMatchObject({ code: 'CLUSTER_CHANGED' });
    // the conversation's timeline shows the refusal on the revert's card
    expect(JSON.stringify((await resumed.conversations.get(conversationId))!.timeline)).toMatch(/now points at/);
  }, 240_000);
});
