/**
 * Issue 19, items 2 and 3 (engine): trust at the moment of decision.
 *  - A model turn with several mutating calls: every one is previewed (diff, risks, plain-words reason) and listed
 *    before any can be decided; a decision needs the args_hash the approver was shown, refuses a changed preview
 *    (PREVIEW_MISMATCH), a call never previewed, and an approval of a later call while an earlier one still waits.
 *  - Decisions stay visible: tool.approved says who (id and email), when and why; the stored card keeps the diff.
 *  - A stop closes the turn's undecided calls and marks the answer it interrupted (`stopped: true`).
 * llm-sim is the model; the MCP server is the fake one in src/testing (its previews are k8s_diff text).
 */
import { parseAgentEvent, type TimelineEntry, type ToolExecutionRecord } from '@skyflo/protocol';
import type { LlmScript, LlmSim } from '@skyflo/testkit/llm-sim';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
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

async function frames(response: Response): Promise<SseFrame[]> {
  expect(response.status).toBe(200);
  const read = await readSse(response);
  for (const frame of read) expect(() => parseAgentEvent(frame.event, frame.data), frame.event).not.toThrow();
  return read;
}

const find = (read: SseFrame[], event: string) => read.filter((frame) => frame.event === event).map((frame) => frame.data);

async function timeline(conversationId: string): Promise<TimelineEntry[]> {
  return (await storage.conversations.get(conversationId))!.timeline;
}

async function card(conversationId: string, callId: string): Promise<ToolExecutionRecord | undefined> {
  for (const entry of await timeline(conversationId)) {
    if (entry.type !== 'assistant') continue;
    for (const segment of entry.segments) if (segment.kind === 'tool' && segment.id === callId) return segment.toolExecution;
  }
  return undefined;
}

/** A turn: a read, then two scales. */
const batchScript: LlmScript = {
  rules: [
    { match: { sequence: 1 }, reply: { toolCalls: [{ id: 'call_load', name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
    {
      match: { toolName: 'load_toolset' },
      reply: {
        toolCalls: [
          { id: 'call_get', name: 'k8s_get', arguments: { resource_type: 'deployments' } },
          { id: 'call_a', name: 'k8s_scale', arguments: { name: 'web', replicas: 3 } },
          { id: 'call_b', name: 'k8s_scale', arguments: { name: 'api', replicas: 4 } },
        ],
      },
    },
    { match: { lastRole: 'tool' }, reply: 'Both scaled.' },
    { match: { always: true }, reply: 'ok' },
  ],
};

let agent: StoppableAgent;

beforeAll(async () => {
  agent = await startStoppableAgent();
  ({ sim, mcp, storage, harness } = agent);
});

afterAll(async () => {
  await agent?.close();
});

beforeEach(() => {
  mcp.replicas.clear();
  mcp.replicas.set('web', 2);
  mcp.replicas.set('api', 1);
  mcp.calls.length = 0;
  sim.reset(batchScript);
});

describe('a turn with two mutating calls', () => {
  it('previews and lists both before pausing; each decision is bound to what was shown and runs in order', async () => {
    const first = await frames(await post('/agent/chat', { messages: [{ role: 'user', content: 'scale web to 3 and api to 4' }] }));
    const conversationId = String(first[0]!.data['conversation_id']);

    // the read ran, then BOTH mutations were previewed (each with its diff and plain-words reason), then the run paused
    const order = first.map((frame) => `${frame.event}:${String(frame.data['call_id'] ?? '')}`).filter((entry) => /^tool\.(result|awaiting_approval)/.test(entry));
    expect(order).toEqual(['tool.result:call_get', 'tool.awaiting_approval:call_a', 'tool.awaiting_approval:call_b']);
    const [shownA, shownB] = find(first, 'tool.awaiting_approval');
    expect(shownA).toMatchObject({ call_id: 'call_a', destructive: false, policy_reason: 'Changes the cluster: scales default/web to 3 replicas', args_hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(String(shownA!['diff'])).toContain('+  replicas: 3');
    expect(shownB).toMatchObject({ call_id: 'call_b', policy_reason: 'Changes the cluster: scales default/api to 4 replicas', diff_hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(String(shownB!['diff'])).toContain('+  replicas: 4');
    expect(find(first, 'completed').at(-1)).toMatchObject({ awaiting_approval: true });
    expect(mcp.calls.map((call) => call.name)).toEqual(['k8s_get', 'k8s_diff', 'k8s_diff']);
    // the Pending approvals list has both, each with its preview
    const pending = await storage.approvals.listPending({});
    expect(pending.map((record) => [record.callId, record.status, typeof record.diff])).toEqual([
      ['call_a', 'awaiting', 'string'],
      ['call_b', 'awaiting', 'string'],
    ]);
    // both cards are stored with their diff, for a reload
    expect((await card(conversationId, 'call_b'))?.diff).toContain('+  replicas: 4');

    // refused: approving without the args_hash shown, with another preview's hash, a call never previewed, and the
    // second call while the first still waits
    const noHash = await post('/agent/approvals/call_a', { approve: true, conversation_id: conversationId });
    expect(noHash.status).toBe(400);
    expect((await noHash.json()).detail).toMatch(/approve needs args_hash: the args_hash of the tool\.awaiting_approval event the approver was shown/);
    const otherPreview = await post('/agent/approvals/call_a', { approve: true, conversation_id: conversationId, args_hash: shownA!['args_hash'], diff_hash: shownB!['diff_hash'] });
    expect(otherPreview.status).toBe(409);
    expect((await otherPreview.json()).detail).toMatch(/^PREVIEW_MISMATCH: /);
    const neverShown = await post('/agent/approvals/call_c', { approve: true, conversation_id: conversationId, args_hash: shownA!['args_hash'] });
    expect(neverShown.status).toBe(404);
    expect((await neverShown.json()).detail).toMatch(/only a call whose preview was shown/);
    expect(await storage.approvals.get(conversationId, 'call_c')).toBeUndefined();
    const outOfOrder = await post('/agent/approvals/call_b', { approve: true, conversation_id: conversationId, args_hash: shownB!['args_hash'] });
    expect(outOfOrder.status).toBe(409);
    expect((await outOfOrder.json()).detail).toMatch(/decide call_a first/);
    expect(await storage.approvals.get(conversationId, 'call_b')).toMatchObject({ status: 'awaiting' });
    expect(mcp.calls.filter((call) => call.name === 'k8s_scale')).toHaveLength(0);

    // the first decision: who, when, why; call_a runs and call_b is shown again, still with its preview
    const before = Date.now();
    const second = await frames(await post('/agent/approvals/call_a', { approve: true, conversation_id: conversationId, args_hash: shownA!['args_hash'], diff_hash: shownA!['diff_hash'], reason: 'traffic peak' }));
    expect(find(second, 'tool.approved')[0]).toMatchObject({ call_id: 'call_a', decided_by: 'alice', decided_by_email: 'alice@example.test', reason: 'traffic peak' });
    expect(Number(find(second, 'tool.approved')[0]!['decided_at'])).toBeGreaterThanOrEqual(before - 1000);
    expect(find(second, 'tool.awaiting_approval')).toEqual([expect.objectContaining({ call_id: 'call_b', diff: shownB!['diff'] })]);
    expect(mcp.replicas.get('web')).toBe(3);
    expect(mcp.replicas.get('api')).toBe(1);
    // the approved card keeps the diff that was approved and says who decided, when and why
    expect(await card(conversationId, 'call_a')).toMatchObject({
      status: 'completed',
      diff: shownA!['diff'],
      args_hash: shownA!['args_hash'],
      decided_by: 'alice',
      decided_by_email: 'alice@example.test',
      decided_at: expect.any(Number),
      reason: 'traffic peak',
    });

    const third = await frames(await post('/agent/approvals/call_b', { approve: false, conversation_id: conversationId, reason: 'api is fine' }));
    expect(find(third, 'tool.denied')[0]).toMatchObject({ call_id: 'call_b', decided_by_email: 'alice@example.test', reason: 'api is fine', decided_at: expect.any(Number) });
    expect(await card(conversationId, 'call_b')).toMatchObject({ status: 'denied', diff: shownB!['diff'], reason: 'api is fine', decided_by_email: 'alice@example.test' });
    expect(mcp.replicas.get('api')).toBe(1);
    expect(mcp.calls.filter((call) => call.name === 'k8s_scale')).toEqual([{ name: 'k8s_scale', args: { name: 'web', replicas: 3 } }]);
  });

  it('a stop closes the calls of the turn nobody decided, and the stored answer says it was stopped', async () => {
    const first = await frames(await post('/agent/chat', { messages: [{ role: 'user', content: 'scale web to 3 and api to 4' }] }));
    const conversationId = String(first[0]!.data['conversation_id']);
    const [shownA] = find(first, 'tool.awaiting_approval');

    agent.stopNextRunOnStart();
    const stopped = await frames(await post('/agent/approvals/call_a', { approve: true, conversation_id: conversationId, args_hash: shownA!['args_hash'] }));
    expect(stopped.at(-1)).toMatchObject({ event: 'completed', data: { status: 'stopped' } });
    // the stream ends at the stop; the run then closes its calls (what a reload shows)
    await harness.service.idle();
    expect(await card(conversationId, 'call_a')).toMatchObject({ status: 'error', error_code: 'CANCELLED' });
    expect(await card(conversationId, 'call_b')).toMatchObject({ status: 'error', error_code: 'CANCELLED', error: expect.stringMatching(/stopped before this call was decided/), diff: expect.stringContaining('+  replicas: 4') });
    expect(mcp.calls.filter((call) => call.name === 'k8s_scale')).toHaveLength(0);
    // call_b no longer waits: not listed, not decidable, and the conversation takes a new message
    expect(await storage.approvals.listPending({})).toEqual([]);
    expect((await storage.approvals.get(conversationId, 'call_b'))?.status).not.toBe('awaiting');
    const last = (await timeline(conversationId)).at(-1);
    expect(last).toMatchObject({ type: 'assistant', stopped: true });

    sim.reset({ rules: [{ match: { always: true }, reply: 'Nothing was changed.' }] });
    const next = await frames(await post('/agent/chat', { conversation_id: conversationId, messages: [{ role: 'user', content: 'what happened?' }] }));
    expect(next.at(-1)).toMatchObject({ event: 'completed', data: { status: 'completed' } });
    const entries = await timeline(conversationId);
    // the interrupted answer keeps its mark; the new one has none
    expect(entries.filter((entry) => entry.type === 'assistant').map((entry) => (entry as { stopped?: boolean }).stopped === true)).toEqual([true, false]);
  });
});
