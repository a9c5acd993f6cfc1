/**
 * Issue 75 item 2: a decision is accepted only when a run can resume the call. A run records its calls as awaiting
 * while it pauses, and saves the turn it paused at only as it ends: one killed in between (a replica lost, its
 * database gone) leaves a call awaiting — listed, shown on its card — with nothing to resume. Before, approving it
 * answered 200 and the run then failed ("messages must not be empty"), the approved call closed by the leftovers
 * path. Now the decision answers 409 RUN_NOT_RESUMABLE saying what to do, the call is closed (its card says why),
 * and the conversation takes the next message. The state such a run leaves is recorded here as it is found: the
 * awaiting row and its card, and no saved turn (or only an earlier one).
 */
import { randomUUID } from 'node:crypto';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import type { TimelineEntry } from '@skyflo/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { savePausedTurn } from '../../src/testing/paused-turn.ts';
import { unresumableText } from '../../src/domain/tool-calls/execute/close-unresumable.ts';
import { simEngineFleet, type TestEngine } from '../support/test-engine.ts';

let sim: LlmSim;
let engine: TestEngine;
let token: string;
let ownerId: string;
const fleet = simEngineFleet(() => sim);
const argsHash = 'a'.repeat(64);

const call = (method: 'GET' | 'POST', url: string, payload?: Record<string, unknown>) => engine.request({ method, url: `/api/v1${url}`, token, ...(payload ? { payload } : {}) });

/** What a run killed while pausing at `callIds` leaves: the awaiting rows and their cards, and the turn saved or not. */
async function strandedCalls(callIds: string[], options: { savedTurn?: boolean; earlierTurn?: boolean } = {}): Promise<string> {
  const storage = engine.engine.storage;
  const conversation = await storage.conversations.create({ userId: ownerId, title: 'stranded' });
  const args = { name: 'web', resource_type: 'deployment', namespace: 'default', replicas: 3 };
  const runId = randomUUID();
  for (const callId of callIds) {
    await storage.approvals.request({ conversationId: conversation.id, callId, runId, tool: 'k8s_scale', args, argsHash, resolution: [], risks: [], destructive: false, requestedBy: ownerId, exactArgsSealed: 'v1:sealed:args' });
  }
  const timeline: TimelineEntry[] = [
    { id: randomUUID(), type: 'user', content: 'scale web to 3', timestamp: 1 },
    {
      id: randomUUID(),
      type: 'assistant',
      content: '',
      timestamp: 2,
      segments: callIds.map((callId) => ({ kind: 'tool' as const, id: callId, toolExecution: { call_id: callId, tool: 'k8s_scale', title: 'Scale', args, status: 'awaiting_approval' as const, requires_approval: true, args_hash: argsHash, timestamp: 2 } })),
    },
  ];
  await storage.conversations.updateTimeline(conversation.id, () => timeline);
  const checkpointer = await storage.checkpointer();
  // an earlier turn of the conversation was saved; the one that paused at these calls was not
  if (options.earlierTurn) await savePausedTurn(checkpointer, conversation.id, [{ callId: 'call_earlier', tool: 'k8s_scale', args }]);
  if (options.savedTurn) await savePausedTurn(checkpointer, conversation.id, callIds.map((callId) => ({ callId, tool: 'k8s_scale', args })));
  return conversation.id;
}

async function cardOf(conversationId: string, callId: string) {
  const response = await call('GET', `/conversations/${conversationId}`);
  const messages = response.json().messages as TimelineEntry[];
  for (const entry of messages) if (entry.type === 'assistant') for (const segment of entry.segments) if (segment.kind === 'tool' && segment.id === callId) return segment.toolExecution;
  return undefined;
}

beforeAll(async () => {
  sim = await startLlmSim({ port: 0 });
  sim.reset({ rules: [{ match: { always: true }, reply: 'Done.' }] });
  engine = await fleet.start();
  token = await engine.signUp('owner@example.com');
  ownerId = (await engine.engine.storage.users.findByEmail('owner@example.com'))!.id;
}, 120_000);

afterAll(async () => {
  await fleet.closeAll();
  await sim?.close();
});

describe('a decision on a call whose run can no longer resume', () => {
  it.each([
    ['no turn of the conversation was saved', {}],
    ['only an earlier turn was saved', { earlierTurn: true }],
  ])('an approval answers 409 RUN_NOT_RESUMABLE and closes the call (%s)', async (_case, options) => {
    const conversationId = await strandedCalls(['call_a', 'call_b'], options);
    const approved = await call('POST', '/agent/approvals/call_a', { approve: true, conversation_id: conversationId, args_hash: argsHash });
    expect(approved.statusCode, approved.body).toBe(409);
    expect(approved.json()).toEqual({
      code: 'RUN_NOT_RESUMABLE',
      detail:
        'Tool call call_a can no longer be decided: the run that proposed it ended before its state was saved (its engine stopped, or lost its database, while pausing for this approval). Nothing was executed, and the call is now closed; send your request again in this conversation if the change is still wanted.',
    });
    // both calls of the lost turn are closed, saying why, and nothing ran
    for (const callId of ['call_a', 'call_b']) {
      expect(await engine.engine.storage.approvals.get(conversationId, callId)).toMatchObject({ status: 'cancelled', resultSummary: unresumableText });
      expect(await cardOf(conversationId, callId)).toMatchObject({ status: 'error', error_code: 'NOT_EXECUTED', error: unresumableText });
    }
    expect(engine.mcp.calls.filter((entry) => entry.name === 'k8s_scale')).toEqual([]);
    const pending = (await call('GET', '/approvals/pending')).json().data as Array<{ call_id: string; conversation_id: string }>;
    expect(pending.filter((item) => item.conversation_id === conversationId)).toEqual([]);
    // the conversation is not blocked: the next message is answered
    const next = await call('POST', '/agent/chat', { messages: [{ role: 'user', content: 'scale web to 3 again' }], conversation_id: conversationId });
    expect(next.statusCode, next.body).toBe(200);
    expect(next.body).toContain('"status":"completed"');
  });

  it('a denial is refused the same way (it too would resume the lost turn)', async () => {
    const conversationId = await strandedCalls(['call_c']);
    const denied = await call('POST', '/agent/approvals/call_c', { approve: false, conversation_id: conversationId, reason: 'no' });
    expect(denied.statusCode, denied.body).toBe(409);
    expect(denied.json().code).toBe('RUN_NOT_RESUMABLE');
    expect((await engine.engine.storage.approvals.get(conversationId, 'call_c'))?.status).toBe('cancelled');
  });

  it('a call whose turn was saved is decided and resumed as always', async () => {
    const conversationId = await strandedCalls(['call_d'], { savedTurn: true });
    const denied = await call('POST', '/agent/approvals/call_d', { approve: false, conversation_id: conversationId, reason: 'not now' });
    expect(denied.statusCode, denied.body).toBe(200);
    expect(denied.body).toContain('event: tool.denied');
    expect(denied.body).toContain('"status":"completed"');
    expect((await engine.engine.storage.approvals.get(conversationId, 'call_d'))?.status).toBe('denied');
  });
});
