/**
 * Review findings on stop × approval: a stop that lands before a resumed (approved) run reaches the gate must
 * cancel the approved call for good, not leave it pending for the next chat message to execute.
 */
import type { LlmSim } from '@skyflo/testkit/llm-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Storage } from '../../src/platform/ports/index.ts';
import type { AgentTestApp } from '../../src/testing/agent-test-app.ts';
import type { FakeMcpServer } from '../../src/testing/fake-mcp-server.ts';
import { readSse, type SseFrame } from '../../src/testing/read-sse.ts';
import { startStoppableAgent, type StoppableAgent } from './harness.ts';

let sim: LlmSim;
let mcp: FakeMcpServer;
let storage: Storage;
let harness: AgentTestApp;

function post(path: string, body: unknown): Promise<Response> {
  return fetch(`${harness.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-test-user': 'alice' }, body: JSON.stringify(body) });
}

const find = (frames: SseFrame[], event: string) => frames.filter((frame) => frame.event === event);

let agent: StoppableAgent;

/** A new conversation in which the model asks to scale web to `replicas` as `callId`; the chat's frames (it pauses for approval). */
async function askToScale(callId: string, replicas: number): Promise<SseFrame[]> {
  sim.reset({
    rules: [
      { match: { sequence: 1 }, reply: { toolCalls: [{ id: 'call_load', name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
      { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ id: callId, name: 'k8s_scale', arguments: { name: 'web', replicas } }] } },
      { match: { always: true }, reply: 'Nothing else to do.' },
    ],
  });
  return readSse(await post('/agent/chat', { messages: [{ role: 'user', content: `Scale web to ${replicas}` }] }));
}

beforeAll(async () => {
  agent = await startStoppableAgent();
  ({ sim, mcp, storage, harness } = agent);
});

afterAll(async () => {
  await agent?.close();
});

describe('stop racing an approval run', () => {
  it('an approved call whose run is stopped before it executes never runs later, and the model is told it was cancelled', async () => {
    const first = await askToScale('call_scale', 9);
    const conversationId = String(first[0]!.data['conversation_id']);
    expect(find(first, 'tool.awaiting_approval')[0]!.data).toMatchObject({ call_id: 'call_scale' });

    agent.stopNextRunOnStart();
    const decision = await readSse(await post('/agent/approvals/call_scale', { approve: true, conversation_id: conversationId, args_hash: find(first, 'tool.awaiting_approval')[0]!.data['args_hash'] }));
    expect(decision.at(-1)).toMatchObject({ event: 'completed', data: { status: 'stopped' } });
    await harness.service.idle();
    expect(mcp.calls.some((call) => call.name === 'k8s_scale')).toBe(false);

    // The next message is about something else: the stopped mutation must not run as a side effect of it.
    const next = await readSse(await post('/agent/chat', { messages: [{ role: 'user', content: 'never mind, how are you?' }], conversation_id: conversationId }));
    expect(next.at(-1)).toMatchObject({ event: 'completed', data: { status: 'completed' } });
    expect(find(next, 'tool.executing')).toHaveLength(0);
    expect(mcp.calls.some((call) => call.name === 'k8s_scale')).toBe(false);
    expect(mcp.replicas.get('web')).toBe(2);
    // the model got a result for the call (a valid history), saying it was cancelled
    const toolTexts = sim.calls.at(-1)!.messages.filter((message) => message.role === 'tool').map((message) => String(message.content));
    expect(toolTexts.some((text) => text.includes('cancelled'))).toBe(true);
    // and the approval record no longer claims to be waiting to run
    const record = await storage.approvals.get(conversationId, 'call_scale');
    expect(record?.status).toBe('failed');
    expect(record?.resultSummary).toContain('cancelled');
  });

  it('an approved call whose run ends before reaching it is closed as not executed, not left "outcome unknown"', async () => {
    // The run claims the call it was started for as it starts (issue 38 goal 5); a run that never reaches the call
    // must give that claim back as "not executed" (the reconciler would otherwise call it outcome unknown).
    const first = await askToScale('call_scale_2', 7);
    const conversationId = String(first[0]!.data['conversation_id']);
    const awaiting = find(first, 'tool.awaiting_approval')[0]!.data;

    agent.failNextRunOnStart();
    const decision = await readSse(await post('/agent/approvals/call_scale_2', { approve: true, conversation_id: conversationId, args_hash: awaiting['args_hash'] }));
    expect(decision.at(-1)).toMatchObject({ event: 'completed', data: { status: 'error' } });
    expect(find(decision, 'workflow.error')[0]?.data).toMatchObject({ code: 'EVENT_BUS_UNAVAILABLE' });
    await harness.service.idle();
    expect(find(decision, 'tool.executing')).toHaveLength(0);
    // the card says it did not run, in the stream and in the stored conversation
    expect(find(decision, 'tool.error').map((frame) => frame.data)).toEqual([expect.objectContaining({ call_id: 'call_scale_2', code: 'NOT_EXECUTED' })]);
    const timeline = (await storage.conversations.get(conversationId))!.timeline;
    const card = timeline.flatMap((entry) => (entry.type === 'assistant' ? entry.segments : [])).find((segment) => segment.kind === 'tool' && segment.id === 'call_scale_2');
    expect(card?.kind === 'tool' ? card.toolExecution : undefined).toMatchObject({ status: 'error', error: expect.stringMatching(/^Not executed/) });
    expect(mcp.calls.some((call) => call.name === 'k8s_scale' && call.args['replicas'] === 7)).toBe(false);
    const record = await storage.approvals.get(conversationId, 'call_scale_2');
    expect(record).toMatchObject({ status: 'failed', resultSummary: expect.stringMatching(/^Not executed: the run this approval started ended before it reached the call/) });
    // the reconciler finds nothing of it to close
    expect((await storage.approvals.reconcileOrphans()).closed.map((closed) => closed.callId)).not.toContain('call_scale_2');
  });
});
