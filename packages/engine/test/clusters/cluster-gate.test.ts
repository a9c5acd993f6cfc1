/**
 * Issue 22 at the gate, through the agent routes (llm-sim as the model, a scripted MCP gateway that lists two
 * clusters): a conversation is pinned to a cluster, a call without `context` gets it before preview and hashing,
 * the approval binds the cluster's API server, a read-only cluster refuses writes before any approval is asked, and
 * a member's scope is enforced before preview. The same flows on two kube-sims with the real MCP server are in
 * several-clusters.test.ts and member-scope.test.ts.
 */
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { AgentEvent, ClusterStatus, MemberScope } from '@skyflo/protocol';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryEventBus } from '../../src/adapters/bus/memory-event-bus.ts';
import { createClusterDirectory } from '../../src/domain/clusters/cluster-directory.ts';
import { createClusterPolicies } from '../../src/domain/clusters/cluster-policies.ts';
import { agentConfig } from '../../src/platform/config/agent.ts';
import type { ToolGateway, ToolInfo } from '../../src/platform/ports/tool-gateway.ts';
import type { SettingsStore } from '../../src/platform/ports/index.ts';
import { startAgentTestApp, type AgentTestApp } from '../../src/testing/agent-test-app.ts';
import { createInMemoryStorage } from '../../src/testing/in-memory-storage.ts';
import { readSse, type SseFrame } from '../../src/testing/read-sse.ts';

const contextProperty = { context: { type: 'string' } };
const catalogue: ToolInfo[] = [
  { name: 'list_clusters', title: 'List clusters', description: '', inputSchema: { type: 'object', properties: {} }, annotations: { readOnlyHint: true }, tags: [], toolset: 'k8s' },
  { name: 'k8s_get', title: 'Get', description: 'get', inputSchema: { type: 'object', properties: { ...contextProperty, resource_type: { type: 'string' }, namespace: { type: 'string' }, all_namespaces: { type: 'boolean' } } }, annotations: { readOnlyHint: true }, tags: [], toolset: 'k8s' },
  { name: 'k8s_scale', title: 'Scale', description: 'scale', inputSchema: { type: 'object', properties: { ...contextProperty, name: { type: 'string' }, namespace: { type: 'string' }, replicas: { type: 'number' } } }, annotations: { readOnlyHint: false }, tags: [], toolset: 'k8s', preview: { tool: 'preview_tool_call', viaPreviewToolCall: true } },
];

let clusters: ClusterStatus[];
/** run before each list_clusters answers (a kubeconfig that changes between two listings) */
let beforeListing: (() => Promise<void>) | undefined;
const executed: Array<{ name: string; args: Record<string, unknown>; impersonate?: { user: string; groups: string[] } }> = [];
const previewed: Array<Record<string, unknown>> = [];
const tools: ToolGateway = {
  async listTools() {
    return catalogue;
  },
  async callTool({ name, args, impersonate }) {
    if (name === 'list_clusters') {
      await beforeListing?.();
      return { text: '', isError: false, structured: { clusters } };
    }
    executed.push({ name, args, ...(impersonate ? { impersonate } : {}) });
    return { text: `${name} ran in ${String(args['context'])}`, isError: false };
  },
  async preview({ args }) {
    previewed.push(args);
    return { text: `-  replicas: 2\n+  replicas: ${String(args['replicas'])} (cluster ${String(args['context'])})`, isError: false };
  },
  async close() {},
};

const settingsMap = new Map<string, unknown>();
const settings: SettingsStore = {
  async get(key) {
    return settingsMap.get(key);
  },
  async put(key, value) {
    settingsMap.set(key, value);
  },
  async putIfAbsent(key, value) {
    if (!settingsMap.has(key)) settingsMap.set(key, value);
    return settingsMap.get(key);
  },
};
const scopes = new Map<string, MemberScope>();
/** sees every event of a run as it is emitted (a test acts at a precise point of a run) */
let observer: ((event: AgentEvent) => void) | undefined;
const storage = createInMemoryStorage();
let sim: LlmSim;
let harness: AgentTestApp;

async function post(pathname: string, body: unknown, user = 'alice'): Promise<{ status: number; frames: SseFrame[]; json?: Record<string, unknown> }> {
  const response = await fetch(`${harness.url}${pathname}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-test-user': user }, body: JSON.stringify(body) });
  if (response.status !== 200) return { status: response.status, frames: [], json: (await response.json()) as Record<string, unknown> };
  return { status: 200, frames: await readSse(response) };
}
const find = (frames: SseFrame[], event: string) => frames.filter((frame) => frame.event === event).map((frame) => frame.data);

const loadWrite = { match: { sequence: 1 }, reply: { toolCalls: [{ id: 'call_load', name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } } as const;
const scaleReply = (id: string, args: Record<string, unknown>) => ({ match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ id, name: 'k8s_scale', arguments: args }] } });

beforeAll(async () => {
  sim = await startLlmSim({ port: 0 });
  const provider = createOpenAICompatible({ baseURL: sim.url, name: 'sim', includeUsage: true });
  harness = await startAgentTestApp({
    storage,
    bus: createMemoryEventBus(),
    tools,
    llm: { model: provider.chatModel('sim-model'), modelName: 'sim/sim-model' },
    config: agentConfig({ titleGeneration: false, retryBaseDelayMs: 1 }),
    approvalPolicy: { policy: 'self', fourEyes: false },
    clusters: { directory: createClusterDirectory({ tools, ttlMs: 0, maxStaleMs: 0 }), policies: createClusterPolicies({ settings, defaults: { policy: 'self' } }) },
    scopeOf: async (userId) => scopes.get(userId),
    observeEvent: (event) => observer?.(event),
  });
});

afterAll(async () => {
  await harness?.close();
  await sim?.close();
});

beforeEach(() => {
  clusters = [
    { name: 'alpha', server: 'https://alpha.example:6443', current: true, reachable: true, default_namespace: 'default' },
    { name: 'beta', server: 'https://beta.example:6443', current: false, reachable: true, label: 'prod' },
  ];
  beforeListing = undefined;
  executed.length = 0;
  previewed.length = 0;
  settingsMap.clear();
  scopes.clear();
});

describe('a conversation pinned to a cluster', () => {
  it('a call without context runs in the pinned cluster; the approval names its name and API server', async () => {
    sim.reset({ rules: [loadWrite, scaleReply('call_scale_b', { name: 'web', namespace: 'shop', replicas: 5 }), { match: { toolName: 'k8s_scale' }, reply: 'Scaled.' }] });
    const first = await post('/agent/chat', { messages: [{ role: 'user', content: 'scale web to 5' }], context: 'beta' });
    const conversationId = String(first.frames[0]!.data['conversation_id']);
    expect((await storage.conversations.get(conversationId))?.cluster).toBe('beta');
    const awaiting = find(first.frames, 'tool.awaiting_approval')[0]!;
    expect(awaiting).toMatchObject({ args: { context: 'beta', name: 'web' }, cluster: { name: 'beta', server: 'https://beta.example:6443', label: 'prod' }, namespace: 'shop' });
    expect(previewed).toEqual([expect.objectContaining({ context: 'beta' })]);
    // the model is told which clusters exist and which one this conversation is pinned to
    const system = sim.calls[0]!.messages.find((message) => message.role === 'system');
    expect(String(system?.content)).toMatch(/pinned to cluster beta/);
    expect(String(system?.content)).toMatch(/- alpha\n- beta \(prod\)/);

    const second = await post('/agent/approvals/call_scale_b', { approve: true, conversation_id: conversationId, args_hash: awaiting['args_hash'] });
    expect(find(second.frames, 'tool.result')[0]).toMatchObject({ call_id: 'call_scale_b' });
    expect(executed).toEqual([{ name: 'k8s_scale', args: expect.objectContaining({ context: 'beta', name: 'web', replicas: 5 }) }]);
    expect((await storage.approvals.get(conversationId, 'call_scale_b'))?.cluster).toEqual({ name: 'beta', server: 'https://beta.example:6443', label: 'prod' });
  });

  it('an unknown context is refused with the clusters there are; the default is the current context', async () => {
    const refused = await post('/agent/chat', { messages: [{ role: 'user', content: 'hi' }], context: 'gamma' });
    expect(refused.status).toBe(400);
    expect(String(refused.json?.['detail'])).toMatch(/gamma is not a configured cluster; the clusters are alpha, beta/);
    sim.reset({ rules: [{ match: { sequence: 1 }, reply: 'hello' }] });
    const chat = await post('/agent/chat', { messages: [{ role: 'user', content: 'hi' }] });
    expect((await storage.conversations.get(String(chat.frames[0]!.data['conversation_id'])))?.cluster).toBe('alpha');
  });

  it('the same call approved for alpha has another args hash than in beta: replaying it there is refused', async () => {
    const args = { name: 'web', namespace: 'shop', replicas: 7 };
    sim.reset({ rules: [loadWrite, scaleReply('call_a', args)] });
    const inAlpha = await post('/agent/chat', { messages: [{ role: 'user', content: 'scale' }], context: 'alpha' });
    const alphaHash = find(inAlpha.frames, 'tool.awaiting_approval')[0]!['args_hash'];
    sim.reset({ rules: [loadWrite, scaleReply('call_b', args)] });
    const inBeta = await post('/agent/chat', { messages: [{ role: 'user', content: 'scale' }], context: 'beta' });
    const betaConversation = String(inBeta.frames[0]!.data['conversation_id']);
    expect(find(inBeta.frames, 'tool.awaiting_approval')[0]!['args_hash']).not.toBe(alphaHash);
    const replay = await post('/agent/approvals/call_b', { approve: true, conversation_id: betaConversation, args_hash: alphaHash });
    expect(replay.status).toBe(409);
    expect(replay.json).toMatchObject({ detail: expect.stringMatching(/arguments hash differs/) });
    expect(executed).toEqual([]);
  });

  it('a context repointed at another API server after the approval: not executed (CLUSTER_CHANGED)', async () => {
    sim.reset({ rules: [loadWrite, scaleReply('call_moved', { name: 'web', namespace: 'shop', replicas: 3 }), { match: { toolName: 'k8s_scale' }, reply: 'It was refused.' }] });
    const first = await post('/agent/chat', { messages: [{ role: 'user', content: 'scale' }], context: 'beta' });
    const awaiting = find(first.frames, 'tool.awaiting_approval')[0]!;
    const conversationId = String(first.frames[0]!.data['conversation_id']);
    // repointed once the approval was accepted (the decision read the clusters as they were), before the check right
    // before execution
    beforeListing = async () => {
      if ((await storage.approvals.get(conversationId, 'call_moved'))?.status !== 'awaiting') clusters[1] = { ...clusters[1]!, server: 'https://elsewhere.example:6443' };
    };
    const second = await post('/agent/approvals/call_moved', { approve: true, conversation_id: conversationId, args_hash: awaiting['args_hash'] });
    expect(second.status, JSON.stringify(second.json)).toBe(200);
    expect(find(second.frames, 'tool.error')[0]).toMatchObject({ call_id: 'call_moved', code: 'CLUSTER_CHANGED', error: expect.stringMatching(/now points at https:\/\/elsewhere\.example:6443/) });
    expect(find(second.frames, 'tool.executing')).toHaveLength(0);
    expect(executed).toEqual([]);
  });

  it('a context repointed before the decision: the decision itself is refused (CLUSTER_STALE, issue 37 item 7)', async () => {
    sim.reset({ rules: [loadWrite, scaleReply('call_stale', { name: 'web', namespace: 'shop', replicas: 3 }), { match: { toolName: 'k8s_scale' }, reply: 'It was refused.' }] });
    const first = await post('/agent/chat', { messages: [{ role: 'user', content: 'scale' }], context: 'beta' });
    const awaiting = find(first.frames, 'tool.awaiting_approval')[0]!;
    clusters[1] = { ...clusters[1]!, server: 'https://moved.example:6443' };
    const decided = await post('/agent/approvals/call_stale', { approve: true, conversation_id: String(first.frames[0]!.data['conversation_id']), args_hash: awaiting['args_hash'] });
    expect(decided.status).toBe(409);
    expect(String(decided.json?.['detail'])).toMatch(/^Stale: this call is bound to cluster beta at .*, but beta now points at https:\/\/moved\.example:6443/);
    expect(executed).toEqual([]);
  });
});

describe('approval policy by cluster', () => {
  it('a read-only cluster refuses a write before any approval is asked; reads still run', async () => {
    await createClusterPolicies({ settings, defaults: { policy: 'self' } }).replace([{ cluster: 'beta', mode: 'read_only' }]);
    sim.reset({
      rules: [loadWrite, scaleReply('call_ro', { name: 'web', namespace: 'shop', replicas: 9 }), { match: { toolName: 'k8s_scale' }, reply: { toolCalls: [{ id: 'call_read', name: 'k8s_get', arguments: { resource_type: 'pods', namespace: 'shop' } }] } }, { match: { toolName: 'k8s_get' }, reply: 'Read only.' }],
    });
    const chat = await post('/agent/chat', { messages: [{ role: 'user', content: 'scale' }], context: 'beta' });
    const conversationId = String(chat.frames[0]!.data['conversation_id']);
    expect(find(chat.frames, 'tool.error')[0]).toMatchObject({ call_id: 'call_ro', code: 'READ_ONLY_CLUSTER', error: expect.stringMatching(/cluster beta \(namespace shop\) is read-only \(cluster policy beta\).*no approval was asked/) });
    expect(find(chat.frames, 'tool.awaiting_approval')).toHaveLength(0);
    expect(await storage.approvals.get(conversationId, 'call_ro')).toBeUndefined();
    expect(previewed).toEqual([]);
    expect(executed).toEqual([{ name: 'k8s_get', args: expect.objectContaining({ context: 'beta', namespace: 'shop' }) }]);
  });

  it('four_eyes: a member may not decide, nor may the approver who asked; another approver may; the policy is recorded', async () => {
    await createClusterPolicies({ settings, defaults: { policy: 'self' } }).replace([{ cluster: 'beta', namespace_pattern: 'shop', mode: 'four_eyes' }]);
    sim.reset({ rules: [loadWrite, scaleReply('call_4e', { name: 'web', namespace: 'shop', replicas: 4 }), { match: { toolName: 'k8s_scale' }, reply: 'Done.' }] });
    const first = await post('/agent/chat', { messages: [{ role: 'user', content: 'scale' }], context: 'beta' }, 'carol:approver');
    const conversationId = String(first.frames[0]!.data['conversation_id']);
    const awaiting = find(first.frames, 'tool.awaiting_approval')[0]!;
    expect(String(awaiting['policy_reason'])).toMatch(/approval policy four-eyes \(cluster policy beta, namespace shop\)/);
    expect((await storage.approvals.get(conversationId, 'call_4e'))?.policy).toEqual({ mode: 'four_eyes', source: 'cluster policy beta, namespace shop' });
    const own = await post('/agent/approvals/call_4e', { approve: true, conversation_id: conversationId, args_hash: awaiting['args_hash'] }, 'carol:approver');
    expect(own.status).toBe(403);
    expect(String(own.json?.['detail'])).toMatch(/Four-eyes \(cluster policy beta, namespace shop\): someone other than the person who asked/);
    const member = await post('/agent/approvals/call_4e', { approve: true, conversation_id: conversationId, args_hash: awaiting['args_hash'] }, 'dave');
    expect(member.status).toBe(404); // a member cannot even see another's conversation
    expect(executed).toEqual([]);
    const other = await post('/agent/approvals/call_4e', { approve: true, conversation_id: conversationId, args_hash: awaiting['args_hash'] }, 'bob:approver');
    expect(other.status).toBe(200);
    expect(executed).toEqual([{ name: 'k8s_scale', args: expect.objectContaining({ context: 'beta' }) }]);
  });
});

describe('EXECUTE_AS_APPROVER per cluster', () => {
  it('the approved call runs as the approver, in the cluster it was approved for', async () => {
    const provider = createOpenAICompatible({ baseURL: sim.url, name: 'sim', includeUsage: true });
    const impersonating = await startAgentTestApp({
      storage,
      bus: createMemoryEventBus(),
      tools,
      llm: { model: provider.chatModel('sim-model'), modelName: 'sim/sim-model' },
      config: agentConfig({ titleGeneration: false, retryBaseDelayMs: 1 }),
      approvalPolicy: { policy: 'approver', fourEyes: false },
      executeAsApprover: { groupsByRole: { approver: ['sre'] } },
      clusters: { directory: createClusterDirectory({ tools, ttlMs: 0, maxStaleMs: 0 }), policies: createClusterPolicies({ settings, defaults: { policy: 'approver' } }) },
      scopeOf: async (userId) => scopes.get(userId),
    });
    try {
      const call = async (pathname: string, body: unknown, user: string) =>
        readSse(await fetch(`${impersonating.url}${pathname}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-test-user': user }, body: JSON.stringify(body) }));
      sim.reset({ rules: [loadWrite, scaleReply('call_as', { name: 'web', namespace: 'shop', replicas: 6 }), { match: { toolName: 'k8s_scale' }, reply: 'Done.' }] });
      const first = await call('/agent/chat', { messages: [{ role: 'user', content: 'scale' }], context: 'beta' }, 'alice');
      const awaiting = find(first, 'tool.awaiting_approval')[0]!;
      await call('/agent/approvals/call_as', { approve: true, conversation_id: String(first[0]!.data['conversation_id']), args_hash: awaiting['args_hash'] }, 'bob:approver');
      expect(executed).toEqual([{ name: 'k8s_scale', args: expect.objectContaining({ context: 'beta' }), impersonate: { user: 'bob@example.test', groups: ['sre'] } }]);
    } finally {
      await impersonating.close();
    }
  });

  it('an approver limited to alpha cannot approve a change in beta', async () => {
    scopes.set('bob', { clusters: ['alpha'] });
    await createClusterPolicies({ settings, defaults: { policy: 'self' } }).replace([{ cluster: 'beta', mode: 'approver' }]);
    // the call names beta in a conversation pinned to alpha, which bob reaches (issue 74 item 8: one pinned to beta he would not)
    sim.reset({ rules: [loadWrite, scaleReply('call_scoped', { name: 'web', namespace: 'shop', replicas: 6, context: 'beta' })] });
    const first = await post('/agent/chat', { messages: [{ role: 'user', content: 'scale' }], context: 'alpha' });
    const awaiting = find(first.frames, 'tool.awaiting_approval')[0]!;
    const refused = await post('/agent/approvals/call_scoped', { approve: true, conversation_id: String(first.frames[0]!.data['conversation_id']), args_hash: awaiting['args_hash'] }, 'bob:approver');
    expect(refused.status).toBe(403);
    expect(String(refused.json?.['detail'])).toMatch(/changes cluster beta, namespace shop, which is outside your scope/);
    expect(executed).toEqual([]);
  });
});

describe('scope rechecked at execution', () => {
  const scaleInShop = (id: string) => [loadWrite, scaleReply(id, { name: 'web', namespace: 'shop', replicas: 4 }), { match: { toolName: 'k8s_scale' }, reply: 'Not run.' }];

  it.each([
    {
      when: "narrowed between the proposal and an approver's decision",
      decider: 'bob:approver',
      policy: 'approver' as const,
      narrow: (): void => void scopes.set('alice', { namespaces: ['web'] }),
      hook: undefined as undefined | (() => unknown),
      who: 'requester',
    },
    {
      when: 'narrowed after the approval, once the run has announced it and before the call runs',
      decider: 'alice',
      policy: 'self' as const,
      narrow: (): void => undefined,
      hook: () => scopes.set('alice', { namespaces: ['web'] }),
      who: 'requester',
    },
    {
      when: "the approver's own scope narrowed after their decision",
      decider: 'bob:approver',
      policy: 'approver' as const,
      narrow: (): void => undefined,
      hook: () => scopes.set('bob', { clusters: ['beta'] }),
      who: 'approver',
    },
  ])('$when: refused at execution, recorded, nothing run', async ({ decider, policy, narrow, hook, who }) => {
    scopes.set('alice', { namespaces: ['shop'] });
    await createClusterPolicies({ settings, defaults: { policy: 'self' } }).replace([{ cluster: 'alpha', mode: policy }]);
    sim.reset({ rules: scaleInShop('call_narrowed') });
    const first = await post('/agent/chat', { messages: [{ role: 'user', content: 'scale web' }] });
    const conversationId = String(first.frames[0]!.data['conversation_id']);
    const awaiting = find(first.frames, 'tool.awaiting_approval')[0]!;
    expect(awaiting).toMatchObject({ call_id: 'call_narrowed', namespace: 'shop' });
    narrow();
    // the admin acts at the moment the decision run says the call is approved (tool.approved), before it executes
    if (hook) observer = (event) => (event.type === 'tool.approved' && (event as { call_id?: string }).call_id === 'call_narrowed' ? void hook() : undefined);
    try {
      const decided = await post('/agent/approvals/call_narrowed', { approve: true, conversation_id: conversationId, args_hash: awaiting['args_hash'] }, decider);
      expect(decided.status).toBe(200);
      const error = find(decided.frames, 'tool.error').find((event) => event['call_id'] === 'call_narrowed')!;
      expect(error).toMatchObject({ code: 'OUT_OF_SCOPE', error: expect.stringMatching(new RegExp(`^Not executed: k8s_scale is no longer inside the ${who}'s scope — an admin changed the scope after the call was proposed\\.`)) });
      expect(find(decided.frames, 'tool.result').filter((event) => event['call_id'] === 'call_narrowed')).toEqual([]);
      expect(executed).toEqual([]);
      const record = await storage.approvals.get(conversationId, 'call_narrowed');
      expect(record).toMatchObject({ status: 'failed', resultSummary: expect.stringMatching(/no longer inside the .* scope/) });
    } finally {
      observer = undefined;
    }
  });
});

describe('member scope', () => {
  it('a namespace-scoped member reads and changes only their namespaces, refused before any preview', async () => {
    scopes.set('alice', { namespaces: ['shop'] });
    sim.reset({
      rules: [
        { match: { sequence: 1 }, reply: { toolCalls: [{ id: 'call_all', name: 'k8s_get', arguments: { resource_type: 'pods', all_namespaces: true } }] } },
        { match: { sequence: 2 }, reply: { toolCalls: [{ id: 'call_other', name: 'k8s_get', arguments: { resource_type: 'pods', namespace: 'payments' } }] } },
        { match: { sequence: 3 }, reply: { toolCalls: [{ id: 'call_load', name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
        { match: { sequence: 4 }, reply: { toolCalls: [{ id: 'call_scale_other', name: 'k8s_scale', arguments: { name: 'api', namespace: 'payments', replicas: 2 } }] } },
        { match: { sequence: 5 }, reply: { toolCalls: [{ id: 'call_mine', name: 'k8s_get', arguments: { resource_type: 'pods', namespace: 'shop' } }] } },
        { match: { sequence: 6 }, reply: 'Only shop.' },
      ],
    });
    const chat = await post('/agent/chat', { messages: [{ role: 'user', content: 'look around' }] });
    const errors = find(chat.frames, 'tool.error');
    expect(errors.map((error) => [error['call_id'], error['code']])).toEqual([
      ['call_other', 'OUT_OF_SCOPE'],
      ['call_scale_other', 'OUT_OF_SCOPE'],
    ]);
    // the listing across all namespaces is limited to shop (run there, and said so), not refused
    const limited = find(chat.frames, 'tool.result').find((result) => result['call_id'] === 'call_all')!;
    expect((limited['result'] as Array<{ text: string }>)[0]!.text).toMatch(/^Listing limited to the namespaces shop by your scope/);
    expect(find(chat.frames, 'tool.awaiting_approval')).toHaveLength(0);
    expect(previewed).toEqual([]);
    expect(executed).toEqual([
      { name: 'k8s_get', args: { resource_type: 'pods', context: 'alpha', namespace: 'shop' } },
      { name: 'k8s_get', args: expect.objectContaining({ context: 'alpha', namespace: 'shop' }) },
    ]);
    expect(String(sim.calls[0]!.messages.find((message) => message.role === 'system')?.content)).toMatch(/scope allows only the namespaces shop/);
  });

  it('a member limited to alpha cannot pin a conversation to beta', async () => {
    scopes.set('alice', { clusters: ['alpha'] });
    const refused = await post('/agent/chat', { messages: [{ role: 'user', content: 'hi' }], context: 'beta' });
    expect(refused.status).toBe(403);
    expect(String(refused.json?.['detail'])).toMatch(/beta is outside your scope; you may use alpha/);
  });
});
