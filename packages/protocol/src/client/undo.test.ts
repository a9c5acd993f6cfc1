/**
 * Verify, then undo (issue 21), as the typed client carries it: Undo posts the executed call's id and conversation to
 * its route and reads back a run's events (the inverse proposed as a new gated call, `undo_of` set); an approval with
 * automatic revert sends `auto_revert: true` in the decision; `tool.verification` events are typed and validated.
 */
import { describe, expect, it } from 'vitest';
import { createSkyfloClient } from './index.ts';

const base = { run_id: 'r2', conversation_id: '6f1b7d52-2c1e-4a7e-9d7e-0c6a3e2b9f10' };
const sse = (frames: Array<{ id: number; event: Record<string, unknown> }>) =>
  frames.map(({ id, event }) => `id: ${id}\nevent: ${String(event['type'])}\ndata: ${JSON.stringify(event)}\n\n`).join('');

function recordingClient(body: string) {
  const requests: Array<{ url: string; method: string; body: unknown }> = [];
  const client = createSkyfloClient({
    baseUrl: 'http://engine.test',
    fetch: async (url, init) => {
      requests.push({ url: String(url), method: String(init?.method), body: init?.body ? JSON.parse(String(init.body)) : undefined });
      return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
    },
  });
  return { client, requests };
}

describe('undo and automatic revert through the typed client', () => {
  it('undo posts {conversation_id} to /agent/approvals/{call_id}/undo and yields the proposed inverse as a run', async () => {
    const inverse = { call_id: 'call_undo_1', tool: 'k8s_set_image', title: 'Set image', args: { name: 'web', namespace: 'shop', image: 'web:1.0' } };
    const { client, requests } = recordingClient(
      sse([
        { id: 1, event: { type: 'ready', ...base } },
        {
          id: 2,
          event: {
            type: 'tool.awaiting_approval',
            ...base,
            ...inverse,
            args_hash: 'a'.repeat(64),
            undo_of: 'call/1',
            diff: '-image: web:9.9\n+image: web:1.0',
            context: { conversation_id: base.conversation_id, approval_decisions: {} },
          },
        },
        { id: 3, event: { type: 'completed', ...base, status: 'completed', awaiting_approval: true, duration: 0.1, duration_ms: 100 } },
      ]),
    );
    const events = [];
    for await (const item of await client.undo({ callId: 'call/1', conversationId: base.conversation_id })) events.push(item.event);
    expect(requests).toEqual([{ url: 'http://engine.test/api/v1/agent/approvals/call%2F1/undo', method: 'POST', body: { conversation_id: base.conversation_id } }]);
    expect(events.map((event) => event.type)).toEqual(['ready', 'tool.awaiting_approval', 'completed']);
    expect(events[1]).toMatchObject({ call_id: 'call_undo_1', undo_of: 'call/1' });
  });

  it('a decision with auto_revert sends it; tool.verification events arrive typed, a malformed one is refused', async () => {
    const { client, requests } = recordingClient(
      sse([
        { id: 4, event: { type: 'tool.verification', ...base, call_id: 'c1', tool: 'k8s_set_image', outcome: 'verifying', summary: 'watching the rollout of shop/web' } },
        {
          id: 5,
          event: {
            type: 'tool.verification',
            ...base,
            call_id: 'c1',
            tool: 'k8s_set_image',
            outcome: 'regressed',
            summary: 'new pods of shop/web cannot pull web:9.9',
            evidence: [{ read: 'pods -n shop -l app=web', text: 'web-7d9 0/1 ImagePullBackOff' }],
            auto_revert_call_id: 'c1-revert',
          },
        },
      ]),
    );
    const events = [];
    for await (const item of await client.decide({ callId: 'c1', decision: { approve: true, conversation_id: base.conversation_id, args_hash: 'a'.repeat(64), auto_revert: true } })) events.push(item.event);
    expect(requests[0]?.body).toMatchObject({ approve: true, auto_revert: true });
    expect(events).toMatchObject([
      { type: 'tool.verification', outcome: 'verifying', evidence: [] },
      { type: 'tool.verification', outcome: 'regressed', evidence: [{ read: 'pods -n shop -l app=web' }], auto_revert_call_id: 'c1-revert' },
    ]);

    const bad = recordingClient(sse([{ id: 6, event: { type: 'tool.verification', ...base, call_id: 'c1', tool: 't', outcome: 'fine', summary: '' } }]));
    await expect(async () => {
      for await (const _ of await bad.client.undo({ callId: 'c1', conversationId: base.conversation_id })) void _;
    }).rejects.toThrow();
  });
});
