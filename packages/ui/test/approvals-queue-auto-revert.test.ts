/**
 * Deciding from the approvals queue with automatic revert (issue 21): the choice travels with an approval only —
 * a denial never carries it, whatever was ticked.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { decidePending } from '../src/features/approvals/decide.ts';

const conversation = '22222222-2222-4222-8222-222222222222';
const call = { call_id: 'call-1', tool: 'k8s_set_image', title: 'Set image', args: {} };

afterEach(() => vi.unstubAllGlobals());

function engineAnswering(bodies: unknown[]) {
  return vi.fn(async (_url: string, init?: RequestInit) => {
    bodies.push(JSON.parse(String(init?.body)));
    const approve = (bodies.at(-1) as { approve: boolean }).approve;
    const event = approve ? 'tool.executing' : 'tool.denied';
    const text = `event: ready\ndata: {"type":"ready","run_id":"r1"}\n\nid: 1\nevent: ${event}\ndata: ${JSON.stringify({ type: event, ...call })}\n\n`;
    return new Response(text, { status: 200, headers: { 'content-type': 'text/event-stream' } });
  });
}

describe('approve with automatic revert from the queue', () => {
  it('sends auto_revert: true with an approval, and nothing of it with a denial', async () => {
    const bodies: unknown[] = [];
    vi.stubGlobal('fetch', engineAnswering(bodies));
    const target = { call_id: 'call-1', conversation_id: conversation, args_hash: 'h'.repeat(64), diff_hash: 'd'.repeat(64) };
    expect(await decidePending(target, true, undefined, true)).toEqual({ kind: 'approved' });
    expect(bodies[0]).toEqual({ conversation_id: conversation, approve: true, args_hash: 'h'.repeat(64), diff_hash: 'd'.repeat(64), auto_revert: true });
    expect(await decidePending(target, true)).toEqual({ kind: 'approved' });
    expect(bodies[1]).not.toHaveProperty('auto_revert');
    expect(await decidePending(target, false, 'not now', true)).toEqual({ kind: 'denied' });
    expect(bodies[2]).toEqual({ conversation_id: conversation, approve: false, args_hash: 'h'.repeat(64), diff_hash: 'd'.repeat(64), reason: 'not now' });
  });
});

describe('approve without a preview from the queue (issue 31 item 10)', () => {
  it('sends approve_without_preview: true with an approval that ticked it, and never with a denial', async () => {
    const bodies: unknown[] = [];
    vi.stubGlobal('fetch', engineAnswering(bodies));
    const target = { call_id: 'call-1', conversation_id: conversation, args_hash: 'h'.repeat(64) };
    expect(await decidePending(target, true, undefined, undefined, true)).toEqual({ kind: 'approved' });
    expect(bodies[0]).toEqual({ conversation_id: conversation, approve: true, args_hash: 'h'.repeat(64), approve_without_preview: true });
    expect(await decidePending(target, false, 'no preview, no change', undefined, true)).toEqual({ kind: 'denied' });
    expect(bodies[1]).toEqual({ conversation_id: conversation, approve: false, args_hash: 'h'.repeat(64), reason: 'no preview, no change' });
  });
});
