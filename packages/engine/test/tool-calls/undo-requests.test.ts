/**
 * Issue 21's refusals over HTTP, with a stub MCP gateway (the verification tools' contract) and llm-sim as the model:
 * approving with automatic revert a call that has no recorded inverse is a 400 that says so (and the call still
 * waits); Undo of an unknown or not executed call is a 404, of an executed call without an inverse a 409, and in
 * someone else's conversation a 404 (ids cannot be probed).
 */
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentConfig } from '../../src/platform/config/agent.ts';
import type { ToolGateway, ToolInfo } from '../../src/platform/ports/tool-gateway.ts';
import { startAgentTestApp, type AgentTestApp } from '../../src/testing/agent-test-app.ts';
import { createMemoryEventBus } from '../../src/adapters/bus/memory-event-bus.ts';
import { createInMemoryStorage } from '../../src/testing/in-memory-storage.ts';
import { readSse, type SseFrame } from '../../src/testing/read-sse.ts';

let sim: LlmSim;
let harness: AgentTestApp;
const executed: string[] = [];

const info = (name: string, readOnly: boolean, toolset?: 'k8s'): ToolInfo => ({
  name,
  title: name,
  description: name,
  inputSchema: { type: 'object', properties: {}, additionalProperties: true },
  annotations: { readOnlyHint: readOnly, destructiveHint: false },
  tags: toolset ? [toolset] : [],
  ...(toolset ? { toolset } : {}),
});

/** The MCP server's contract: deployment `noundo` has no before-state to restore; everything verifies. */
const tools: ToolGateway = {
  async listTools() {
    return [info('k8s_scale', false, 'k8s'), info('k8s_get', true, 'k8s'), info('capture_change_baseline', true), info('verify_change', true)];
  },
  async callTool({ name, args }) {
    if (name === 'capture_change_baseline') {
      const target = (args['args'] as { name?: string }).name;
      return target === 'noundo'
        ? { text: 'not undoable', isError: false, structured: { undoable: false, reason: 'no before-state' } }
        : { text: 'ok', isError: false, structured: { undoable: true, before: { replicas: 2 }, inverse: { tool: 'k8s_scale', args: { name: target, resource_type: 'deployment', replicas: 2 }, summary: `scale deployment ${target} back to 2 replicas` } } };
    }
    if (name === 'verify_change') return { text: 'verified', isError: false, structured: { outcome: 'verified', summary: 'replicas ready', evidence: [] } };
    executed.push(`${name} ${JSON.stringify(args)}`);
    return { text: 'scaled', isError: false };
  },
  async preview({ args }) {
    return { text: `replicas: ${String(args['replicas'])}`, isError: false };
  },
  async close() {},
};

async function post(pathname: string, body: unknown, user = 'alice'): Promise<Response> {
  return fetch(`${harness.url}${pathname}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-test-user': user }, body: JSON.stringify(body) });
}
async function stream(pathname: string, body: unknown, user = 'alice'): Promise<SseFrame[]> {
  const response = await post(pathname, body, user);
  expect(response.status).toBe(200);
  return readSse(response);
}
const find = (frames: SseFrame[], event: string) => frames.filter((frame) => frame.event === event).map((frame) => frame.data);

/** A conversation of alice's with `k8s_scale` of deployment `name` awaiting approval. */
async function proposeScale(name: string, callId: string) {
  sim.reset({
    rules: [
      { match: { sequence: 1 }, reply: { toolCalls: [{ id: `${callId}-load`, name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
      { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ id: callId, name: 'k8s_scale', arguments: { name, resource_type: 'deployment', replicas: 5 } }] } },
      { match: { toolName: 'k8s_scale' }, reply: 'Done.' },
    ],
  });
  const frames = await stream('/agent/chat', { messages: [{ role: 'user', content: `scale ${name}` }] });
  return { conversationId: String(frames[0]!.data['conversation_id']), awaiting: find(frames, 'tool.awaiting_approval')[0]! };
}

beforeAll(async () => {
  sim = await startLlmSim({ port: 0 });
  const provider = createOpenAICompatible({ baseURL: sim.url, name: 'sim', includeUsage: true });
  harness = await startAgentTestApp({
    storage: createInMemoryStorage(),
    bus: createMemoryEventBus(),
    tools,
    llm: { model: provider.chatModel('sim-model'), modelName: 'sim/sim-model' },
    config: agentConfig({ titleGeneration: false, retryBaseDelayMs: 1 }),
  });
});
afterAll(async () => {
  await harness?.close();
  await sim?.close();
});

describe('verify-and-undo requests', () => {
  it('refuses automatic revert for a call without a recorded inverse (400), and the call can still be approved plainly', async () => {
    const { conversationId, awaiting } = await proposeScale('noundo', 'call_noundo');
    expect(awaiting['undo']).toBeUndefined();
    const refused = await post('/agent/approvals/call_noundo', { approve: true, auto_revert: true, conversation_id: conversationId, args_hash: awaiting['args_hash'] });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { detail: string }).detail).toMatch(/no recorded inverse.*automatic revert/);
    expect(executed.some((line) => line.includes('noundo'))).toBe(false);
    const approved = await stream('/agent/approvals/call_noundo', { approve: true, conversation_id: conversationId, args_hash: awaiting['args_hash'] });
    expect(find(approved, 'tool.result')[0]).toMatchObject({ call_id: 'call_noundo' });
    expect(find(approved, 'tool.result')[0]!['undo_available']).toBeUndefined();

    // executed, but nothing to restore: Undo says so (409)
    const undo = await post('/agent/approvals/call_noundo/undo', { conversation_id: conversationId });
    expect(undo.status).toBe(409);
    expect(((await undo.json()) as { detail: string }).detail).toMatch(/no recorded before-state/);
  });

  it('refuses auto_revert with a denial (400)', async () => {
    const { conversationId, awaiting } = await proposeScale('web', 'call_deny');
    const refused = await post('/agent/approvals/call_deny', { approve: false, auto_revert: true, conversation_id: conversationId, args_hash: awaiting['args_hash'] });
    expect(refused.status).toBe(400);
    const denied = await stream('/agent/approvals/call_deny', { approve: false, conversation_id: conversationId });
    expect(find(denied, 'tool.denied')[0]).toMatchObject({ call_id: 'call_deny' });
  });

  it('answers Undo of an unknown or not executed call with 404, and of another user\'s call with 404', async () => {
    const { conversationId, awaiting } = await proposeScale('api', 'call_api');
    expect(awaiting['undo']).toMatchObject({ tool: 'k8s_scale', summary: 'scale deployment api back to 2 replicas' });
    // still awaiting: not executed, nothing to undo
    expect((await post('/agent/approvals/call_api/undo', { conversation_id: conversationId })).status).toBe(404);
    expect((await post('/agent/approvals/call_nope/undo', { conversation_id: conversationId })).status).toBe(404);
    const approved = await stream('/agent/approvals/call_api', { approve: true, conversation_id: conversationId, args_hash: awaiting['args_hash'] });
    expect(find(approved, 'tool.result')[0]).toMatchObject({ call_id: 'call_api', undo_available: true });
    expect(find(approved, 'tool.verification').map((event) => event['outcome'])).toEqual(['verifying', 'verified']);
    // bob may not even learn the conversation exists
    const foreign = await post('/agent/approvals/call_api/undo', { conversation_id: conversationId }, 'bob');
    expect(foreign.status).toBe(404);
    // alice may: the inverse is proposed and waits
    sim.reset({ rules: [{ match: { toolName: 'k8s_scale' }, reply: 'Back to 2.' }] });
    const before = executed.length;
    const undo = await stream('/agent/approvals/call_api/undo', { conversation_id: conversationId });
    expect(find(undo, 'tool.awaiting_approval')[0]).toMatchObject({ tool: 'k8s_scale', undo_of: 'call_api', args: { name: 'api', replicas: 2 } });
    expect(executed.length).toBe(before);
    // a second Undo while the first waits is refused
    expect((await post('/agent/approvals/call_api/undo', { conversation_id: conversationId })).status).toBe(409);
  });

  it('rejects a malformed undo request (400)', async () => {
    const response = await post('/agent/approvals/call_api/undo', { conversation_id: 'not-a-uuid' });
    expect(response.status).toBe(400);
  });
});
