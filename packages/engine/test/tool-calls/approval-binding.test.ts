/**
 * Hardening of the approval gate (issue 7): what is approved is exactly what runs.
 *  - A relative call ("undo to the previous revision") is made absolute before approval, and the absolute call is
 *    what executes — not a re-interpretation of "previous" after the deployment moved on.
 *  - The preview is re-run right before execution; when the target changed, nothing runs (tool.error
 *    TARGET_CHANGED) and the model is told, so it can propose again.
 *  - A proposed Secret is shown and stored redacted; its exact arguments are kept only sealed, and erased once run.
 *  - Calls left pending by an earlier run never execute as a side effect of the next message, and decisions whose
 *    run died are closed and shown (failed / outcome unknown).
 * The MCP server here is a small stand-in whose preview_tool_call answers like ours (resolved_arguments, risks);
 * the real server's resolution is covered in packages/mcp-server's tests and tool-calls/real-mcp-server.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { Client, InMemoryTransport } from '@modelcontextprotocol/client';
import { McpServer } from '@modelcontextprotocol/server';
import type { PGlite } from '@electric-sql/pglite';
import { parseAgentEvent } from '@skyflo/protocol';
import { startLlmSim, type LlmScript, type LlmSim } from '@skyflo/testkit/llm-sim';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { reconcileOrphanedApprovals } from '../../src/domain/tool-calls/execute/reconcile-orphaned-approvals.ts';
import { createMemoryEventBus } from '../../src/adapters/bus/memory-event-bus.ts';
import { agentConfig } from '../../src/platform/config/agent.ts';
import { createToolGateway } from '../../src/adapters/mcp/create-tool-gateway.ts';
import type { ToolGateway } from '../../src/platform/ports/tool-gateway.ts';
import type { TimelineEntry } from '../../src/platform/ports/index.ts';
import type { EngineStorage } from '../../src/app/graph/checkpoints.ts';
import { createPgliteStorage } from '../../src/adapters/storage/pglite/pglite-storage.ts';
import { startAgentTestApp, type AgentTestApp } from '../../src/testing/agent-test-app.ts';
import { readSse, type SseFrame } from '../../src/testing/read-sse.ts';
import { createTestPglite } from '../support/test-databases.ts';

const secretValue = 'hunter2-Sup3r-Secret-Value';

/** A deployment with a revision history, an apply log, and every call the server executed. */
interface Cluster {
  revisions: Array<{ revision: number; image: string }>;
  current: number;
  applied: string[];
  executed: Array<{ name: string; args: Record<string, unknown> }>;
}

const imageOf = (cluster: Cluster, revision: number) => cluster.revisions.find((entry) => entry.revision === revision)?.image;
const previousRevision = (cluster: Cluster) => [...cluster.revisions].reverse().find((entry) => entry.revision !== cluster.current)!.revision;

async function startStandInMcp(cluster: Cluster): Promise<{ client: Client; close(): Promise<void> }> {
  const server = new McpServer({ name: 'stand-in-skyflo-mcp', version: '0.0.0' });
  const text = (value: string, isError = false) => ({ content: [{ type: 'text' as const, text: value }], ...(isError ? { isError: true } : {}) });
  const previewMeta = { 'skyflo/toolset': 'k8s', 'skyflo/tags': ['k8s'], 'skyflo.ai/preview': true };
  server.registerTool(
    'k8s_rollout_undo',
    {
      title: 'Rollback Kubernetes Resource',
      description: 'Roll a deployment back to its previous revision or to to_revision',
      inputSchema: { name: z.string(), to_revision: z.number().int().optional() },
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
      _meta: previewMeta,
    },
    async (args) => {
      cluster.executed.push({ name: 'k8s_rollout_undo', args });
      const target = args.to_revision ?? previousRevision(cluster);
      const image = imageOf(cluster, target);
      const revision = Math.max(...cluster.revisions.map((entry) => entry.revision)) + 1;
      cluster.revisions = [...cluster.revisions.filter((entry) => entry.revision !== target), { revision, image: image! }];
      cluster.current = revision;
      return text(`deployment.apps/${args.name} rolled back (image ${image})`);
    },
  );
  server.registerTool(
    'k8s_apply',
    {
      title: 'Apply Manifest',
      description: 'Apply a manifest',
      inputSchema: { content: z.string() },
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
      _meta: previewMeta,
    },
    async (args) => {
      cluster.executed.push({ name: 'k8s_apply', args });
      cluster.applied.push(args.content);
      return text('secret/db-credentials created');
    },
  );
  server.registerTool(
    'preview_tool_call',
    {
      title: 'Preview a tool call',
      description: 'Preview a mutating call',
      inputSchema: { tool: z.string(), arguments: z.record(z.string(), z.unknown()) },
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    async ({ tool, arguments: args }) => {
      if (tool === 'k8s_rollout_undo') {
        const target = typeof args['to_revision'] === 'number' ? (args['to_revision'] as number) : previousRevision(cluster);
        const resolved = { ...args, to_revision: target };
        const diff = `--- live/deployment/${args['name']}\n+++ would-be/deployment/${args['name']}\n-        image: ${imageOf(cluster, cluster.current)}\n+        image: ${imageOf(cluster, target)}`;
        return {
          ...text(diff),
          structuredContent: {
            tool,
            previewTool: 'k8s_diff',
            resolved_arguments: resolved,
            resolution: args['to_revision'] === undefined ? [`to_revision: previous → ${target} (image ${imageOf(cluster, target)})`] : [],
            diff,
            changed: true,
            risks: [],
          },
        };
      }
      const diff = '+apiVersion: v1\n+kind: Secret\n+metadata:\n+  name: db-credentials\n+stringData:\n+  password: [REDACTED]';
      return { ...text(diff), structuredContent: { tool, previewTool: 'k8s_diff', resolved_arguments: args, resolution: [], diff, changed: true, risks: [{ code: 'SECRET_CHANGE', message: 'Creates or changes Secret db-credentials', severity: 'medium' }] } };
    },
  );
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await server.connect(serverTransport);
  const client = new Client({ name: 'engine-test', version: '0.0.0' });
  await client.connect(clientTransport);
  return {
    client,
    async close() {
      await client.close();
      await server.close();
    },
  };
}

let sim: LlmSim;
let lite: PGlite;
let storage: EngineStorage;
let cluster: Cluster;
let mcp: Awaited<ReturnType<typeof startStandInMcp>>;
let tools: ToolGateway;
let harness: AgentTestApp;
let query: (text: string, params?: unknown[]) => Promise<unknown[]>;
/** the conversations' owner (the agent routes take the user from the x-test-user header) */
let owner: string;

const loadWriteTools = { match: { sequence: 1 }, reply: { toolCalls: [{ id: 'call_load', name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } } as const;

function post(path: string, body: unknown): Promise<Response> {
  return fetch(`${harness.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-test-user': owner }, body: JSON.stringify(body) });
}

async function stream(response: Response): Promise<{ frames: SseFrame[]; raw: string }> {
  const raw = await response.text();
  const frames = await readSse(new Response(raw));
  for (const frame of frames) expect(() => parseAgentEvent(frame.event, frame.data), `${frame.event}`).not.toThrow();
  return { frames, raw };
}

const find = (frames: SseFrame[], event: string) => frames.filter((frame) => frame.event === event).map((frame) => frame.data);
const toolMessages = () => sim.calls.at(-1)!.messages.filter((message) => message.role === 'tool').map((message) => String(message.content));

async function toolRecord(conversationId: string, callId: string) {
  const conversation = await storage.conversations.get(conversationId);
  for (const entry of conversation?.timeline ?? []) {
    if (entry.type !== 'assistant') continue;
    for (const segment of entry.segments) if (segment.kind === 'tool' && segment.id === callId) return segment.toolExecution;
  }
  return undefined;
}

beforeAll(async () => {
  sim = await startLlmSim({ port: 0 });
  const database = await createTestPglite();
  lite = database.lite;
  query = database.query;
  storage = await createPgliteStorage({ lite });
  const created = await storage.users.create({ email: 'owner@example.com', hashedPassword: 'x', allowWhenUsersExist: true });
  if (!created.ok) throw new Error(created.reason);
  owner = created.user.id;
});

beforeEach(async () => {
  await harness?.close();
  await tools?.close();
  await mcp?.close();
  cluster = { revisions: [{ revision: 1, image: 'shop/checkout:2.3.0' }, { revision: 2, image: 'shop/checkout:2.3.1' }], current: 2, applied: [], executed: [] };
  mcp = await startStandInMcp(cluster);
  tools = createToolGateway({ client: mcp.client, cacheMs: 60_000 });
  const provider = createOpenAICompatible({ baseURL: sim.url, name: 'sim', includeUsage: true });
  harness = await startAgentTestApp({ storage, bus: createMemoryEventBus(), tools, llm: { model: provider.chatModel('sim-model'), modelName: 'sim/sim-model' }, config: agentConfig({ titleGeneration: false, retryBaseDelayMs: 1 }) });
});

afterAll(async () => {
  await harness?.close();
  await tools?.close();
  await mcp?.close();
  await storage?.close();
  await lite?.close();
  await sim?.close();
});

async function ownedConversation(): Promise<string> {
  return (await storage.conversations.create({ userId: owner })).id;
}

describe('relative arguments are made absolute before approval', () => {
  const undoScript = (): LlmScript => ({
    rules: [
      loadWriteTools,
      { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ id: 'call_undo', name: 'k8s_rollout_undo', arguments: { name: 'checkout' } }] } },
      { match: { toolName: 'k8s_rollout_undo' }, reply: 'Done with the rollback step.' },
    ],
  });

  it('asks to approve "to_revision 1 (2.3.0)", not "previous", and runs exactly that', async () => {
    sim.reset(undoScript());
    const conversationId = await ownedConversation();
    const { frames } = await stream(await post('/agent/chat', { conversation_id: conversationId, messages: [{ role: 'user', content: 'roll checkout back' }] }));
    const awaiting = find(frames, 'tool.awaiting_approval')[0]!;
    expect(awaiting).toMatchObject({
      call_id: 'call_undo',
      args: { name: 'checkout', to_revision: 1 },
      resolution: ['to_revision: previous → 1 (image shop/checkout:2.3.0)'],
      // a rollback neither loses data nor takes the service down: not destructive (issue 19); said in plain words
      destructive: false,
      policy_reason: 'Changes the cluster: rolls default/checkout back to revision 1',
      requested_by: { id: owner },
      diff_hash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(String(awaiting['diff'])).toContain('+        image: shop/checkout:2.3.0');

    const { frames: approval } = await stream(await post('/agent/approvals/call_undo', { approve: true, conversation_id: conversationId, args_hash: awaiting['args_hash'] }));
    expect(find(approval, 'tool.result')).toHaveLength(1);
    expect(cluster.executed).toEqual([{ name: 'k8s_rollout_undo', args: { name: 'checkout', to_revision: 1 } }]);
    expect(imageOf(cluster, cluster.current)).toBe('shop/checkout:2.3.0');
  });

  it('refuses to run when the deployment changed after approval, and tells the model what changed', async () => {
    sim.reset({
      rules: [
        ...undoScript().rules!.slice(0, 2),
        { match: { toolName: 'k8s_rollout_undo' }, reply: 'The target moved; I will look at the deployment again before proposing anything.' },
      ],
    });
    const conversationId = await ownedConversation();
    const { frames } = await stream(await post('/agent/chat', { conversation_id: conversationId, messages: [{ role: 'user', content: 'roll checkout back' }] }));
    const awaiting = find(frames, 'tool.awaiting_approval')[0]!;
    expect(awaiting).toMatchObject({ args: { name: 'checkout', to_revision: 1 } });

    // Before anyone approves, a new (crash-looping) revision is rolled out: "previous" would now be revision 2.
    cluster.revisions.push({ revision: 3, image: 'shop/checkout:2.4.0-broken' });
    cluster.current = 3;

    const { frames: approval } = await stream(await post('/agent/approvals/call_undo', { approve: true, conversation_id: conversationId, args_hash: awaiting['args_hash'] }));
    const refused = find(approval, 'tool.error')[0]!;
    expect(refused).toMatchObject({ call_id: 'call_undo', code: 'TARGET_CHANGED' });
    expect(String(refused['error'])).toContain('changed after it was approved');
    expect(String(refused['error'])).toContain('shop/checkout:2.4.0-broken');
    expect(find(approval, 'tool.executing')).toHaveLength(0);
    expect(cluster.executed).toEqual([]);
    expect(cluster.current).toBe(3);
    const record = await storage.approvals.get(conversationId, 'call_undo');
    expect(record?.status).toBe('failed');
    expect(record?.exactArgsSealed).toBeUndefined();
    // the model was told, and the run went on to its answer
    expect(toolMessages().some((message) => message.includes('changed after it was approved'))).toBe(true);
    expect(approval.at(-1)).toMatchObject({ event: 'completed', data: { status: 'completed' } });
    expect(await toolRecord(conversationId, 'call_undo')).toMatchObject({ status: 'error', error_code: 'TARGET_CHANGED' });
  });
});

describe('a proposed Secret', () => {
  const manifest = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db-credentials\n  namespace: default\nstringData:\n  password: ${secretValue}\n`;

  it('is shown and stored redacted, kept only sealed until it runs, and the exact manifest is what is applied', async () => {
    sim.reset({
      rules: [
        loadWriteTools,
        { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ id: 'call_apply', name: 'k8s_apply', arguments: { content: manifest } }] } },
        { match: { toolName: 'k8s_apply' }, reply: 'Created the Secret.' },
      ],
    });
    const conversationId = await ownedConversation();
    const { frames, raw } = await stream(await post('/agent/chat', { conversation_id: conversationId, messages: [{ role: 'user', content: 'create the db secret' }] }));
    expect(raw).not.toContain(secretValue);
    const awaiting = find(frames, 'tool.awaiting_approval')[0]!;
    // risks from the preview (which sees rendered manifests) and from the arguments themselves, merged
    const risks = awaiting['risks'] as Array<{ code: string; message: string }>;
    expect(risks).toEqual(expect.arrayContaining([{ code: 'SECRET_CHANGE', message: 'Creates or changes Secret db-credentials', severity: 'medium' }]));
    expect(risks.filter((risk) => risk.code === 'SECRET_CHANGE').length).toBeGreaterThanOrEqual(1);
    // the approver sees which key changes, how long the value is and a digest — never the value
    expect(String((awaiting['args'] as { content: string }).content)).toMatch(/password: "?\[REDACTED len=26 sha256:[0-9a-f]{8}\]"?/);

    const [row] = (await query('select args::text as args, exact_args_sealed from approvals where conversation_id = $1', [conversationId])) as Array<{ args: string; exact_args_sealed: string }>;
    expect(row!.args).not.toContain(secretValue);
    expect(row!.exact_args_sealed).toMatch(/^v1:/);
    expect(row!.exact_args_sealed).not.toContain(secretValue);
    expect(JSON.stringify((await storage.conversations.get(conversationId))!.timeline)).not.toContain(secretValue);

    const { raw: approvalRaw } = await stream(await post('/agent/approvals/call_apply', { approve: true, conversation_id: conversationId, args_hash: awaiting['args_hash'] }));
    expect(approvalRaw).not.toContain(secretValue);
    expect(cluster.applied).toEqual([manifest]);
    const [after] = (await query('select status, exact_args_sealed from approvals where conversation_id = $1', [conversationId])) as Array<{ status: string; exact_args_sealed: string | null }>;
    expect(after).toEqual({ status: 'executed', exact_args_sealed: null });
    expect(JSON.stringify((await storage.conversations.get(conversationId))!.timeline)).not.toContain(secretValue);
  });
});

describe('calls that outlive their run', () => {
  /** Until the clock has passed the run's stored lease: from then on the run counts as dead (no fixed pause). */
  const leaseLapsed = async (runId: string) => {
    const leaseUntil = (await storage.runs.get(runId))!.leaseUntil.getTime();
    await vi.waitFor(() => expect(Date.now()).toBeGreaterThan(leaseUntil), { interval: 2 });
  };

  it('an approved call whose run died never executes with the next, unrelated message; the reconciler shows it', async () => {
    sim.reset({
      rules: [
        loadWriteTools,
        { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ id: 'call_undo', name: 'k8s_rollout_undo', arguments: { name: 'checkout' } }] } },
        { match: { userContains: 'what time' }, reply: 'It is noon.' },
      ],
    });
    const conversationId = await ownedConversation();
    await stream(await post('/agent/chat', { conversation_id: conversationId, messages: [{ role: 'user', content: 'roll checkout back' }] }));
    // The engine crashes right after recording the decision: the approval is stored, its run never starts.
    const deadRun = randomUUID();
    expect(await storage.runs.begin({ runId: deadRun, conversationId, leaseMs: 1 })).toEqual({ ok: true });
    await storage.approvals.decide({ conversationId, callId: 'call_undo', approve: true, decidedBy: owner, decisionRunId: deadRun });
    await leaseLapsed(deadRun);

    const { frames } = await stream(await post('/agent/chat', { conversation_id: conversationId, messages: [{ role: 'user', content: 'what time is it?' }] }));
    expect(cluster.executed).toEqual([]);
    expect(find(frames, 'tool.error')[0]).toMatchObject({ call_id: 'call_undo', code: 'NOT_EXECUTED' });
    expect(find(frames, 'generation.complete').at(-1)).toMatchObject({ content: 'It is noon.' });
    expect((await storage.approvals.get(conversationId, 'call_undo'))?.status).toBe('failed');
  });

  it('closes decisions whose run died: approved → failed, executing → outcome unknown, both shown in the conversation', async () => {
    const conversationId = await ownedConversation();
    const timeline: TimelineEntry[] = [
      { id: 'u1', type: 'user', content: 'scale', timestamp: 1 },
      {
        id: 'a1',
        type: 'assistant',
        content: '',
        timestamp: 2,
        segments: ['call_a', 'call_b'].map((callId) => ({ kind: 'tool' as const, id: callId, toolExecution: { call_id: callId, tool: 'k8s_rollout_undo', title: 'Rollback', args: { name: 'checkout' }, status: 'approved' as const, timestamp: 2 } })),
      },
    ];
    await storage.conversations.updateTimeline(conversationId, () => timeline);
    const deadRun = randomUUID();
    expect(await storage.runs.begin({ runId: deadRun, conversationId, leaseMs: 1 })).toEqual({ ok: true });
    for (const callId of ['call_a', 'call_b']) {
      await storage.approvals.request({ conversationId, callId, runId: randomUUID(), tool: 'k8s_rollout_undo', args: { name: 'checkout' }, argsHash: callId, exactArgsSealed: 'v1:x:y', resolution: [], risks: [], destructive: true });
      await storage.approvals.decide({ conversationId, callId, approve: true, decidedBy: owner, decisionRunId: deadRun });
    }
    await storage.approvals.claimExecution({ conversationId, callId: 'call_b', runId: deadRun });
    await leaseLapsed(deadRun);

    expect(await reconcileOrphanedApprovals({ storage })).toBeGreaterThanOrEqual(2);
    expect(await toolRecord(conversationId, 'call_a')).toMatchObject({ status: 'error', error_code: 'NOT_EXECUTED', error: expect.stringContaining('Nothing was changed') });
    expect(await toolRecord(conversationId, 'call_b')).toMatchObject({ status: 'error', error_code: 'UNKNOWN_OUTCOME', error: expect.stringContaining('Outcome unknown') });
    expect((await storage.approvals.get(conversationId, 'call_b'))?.status).toBe('unknown');
  });
});
