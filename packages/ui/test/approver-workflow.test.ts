/**
 * The approver workflow's logic without a browser: who may decide (and the words that say why not), deciding from
 * the queue against a fake engine (the stream is read only until the decision is confirmed or refused), and the
 * chat store following a run that someone else's decision resumed, through the saved timeline.
 */
import type { PendingApproval, PendingApprovalsResponse } from '@skyflo/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { decidePending, decisionOutcome } from '../src/features/approvals/decide.ts';
import { approverMustDecide, cannotDecideReason, decisionRight } from '../src/lib/decision-rights.ts';
import { useChatStore } from '../src/features/chat/state/chat-store.ts';
import { decisionProgress, runTimeOf } from '../src/features/chat/state/decided-elsewhere.ts';
import { timelineFromPersisted } from '../src/features/chat/state/timeline.ts';
import type { AgentEvent } from '@skyflo/protocol';
import type { StreamedEvent } from '@skyflo/protocol/client';

const conversation = '22222222-2222-4222-8222-222222222222';
const member = { id: 'member-1', role: 'member' as const };
const admin = { id: 'admin-1', role: 'admin' as const };

function pendingItem(overrides: Partial<PendingApproval> = {}): PendingApproval {
  return {
    conversation_id: conversation,
    conversation_title: 'Scale web',
    call_id: 'call-1',
    tool: 'k8s_scale',
    title: 'k8s_scale',
    args: { name: 'web', replicas: 3 },
    args_hash: 'h'.repeat(64),
    resolution: [],
    risks: [],
    destructive: false,
    requested_by: { id: member.id, email: 'grace@example.com' },
    requested_at: new Date(0).toISOString(),
    can_decide: true,
    effective_policy: { mode: 'approver', source: 'APPROVAL_POLICY', four_eyes: false },
    ...overrides,
  };
}

const list = (policy: PendingApprovalsResponse['policy'], items: PendingApproval[], fourEyes = false): PendingApprovalsResponse => ({ policy, four_eyes: fourEyes, data: items, total: items.length, next_cursor: null, has_more: false });

afterEach(() => {
  vi.unstubAllGlobals();
  useChatStore.getState().close();
});

describe('who may decide', () => {
  // the engine's words (GET /approvals/pending `cannot_decide_reason`, the same a refused POST answers 403 with)
  const policyReason = 'APPROVAL_POLICY=approver: only users with the approver or admin role decide mutating calls; ask an approver (they see it under Pending approvals).';
  const fourEyesReason = 'Four-eyes (APPROVAL_FOUR_EYES): this call is destructive, so someone other than the person who asked for it must approve or deny it.';

  it("follows can_decide for a listed call, with the engine's reason as is", () => {
    expect(decisionRight('call-1', list('approver', [pendingItem({ can_decide: true })]), admin)).toEqual({ kind: 'can' });
    expect(decisionRight('call-1', list('approver', [pendingItem({ can_decide: false, cannot_decide_reason: policyReason })]), member)).toEqual({ kind: 'cannot', reason: policyReason });
    const ownDestructive = pendingItem({ can_decide: false, cannot_decide_reason: fourEyesReason, destructive: true, requested_by: { id: admin.id } });
    expect(decisionRight('call-1', list('approver', [ownDestructive], true), admin)).toEqual({ kind: 'cannot', reason: fourEyesReason });
  });

  it('a call nobody can approve as it is, which the viewer may deny (can_deny): deny-only, with the engine\'s reason', () => {
    // issue 73 item 6: its preview failed on a cluster that enforces approvals
    const previewRequired = 'Tool call call-1 cannot be approved. The dry-run preview failed (forbidden). Cluster prod enforces approvals: fix the cause shown and ask for the change again, or deny it.';
    expect(decisionRight('call-1', list('approver', [pendingItem({ can_decide: false, can_deny: true, cannot_decide_reason: previewRequired })]), admin)).toEqual({ kind: 'deny-only', reason: previewRequired });
    // someone who may not deny it either waits, as before; an older engine (no can_deny) reads as can_decide
    expect(decisionRight('call-1', list('approver', [pendingItem({ can_decide: false, can_deny: false, cannot_decide_reason: policyReason })]), member)).toEqual({ kind: 'cannot', reason: policyReason });
  });

  it('a call the list does not have yet: a member in approver mode never decides; a member waits for the first list', () => {
    expect(decisionRight('new', list('approver', []), member)).toEqual({ kind: 'cannot', reason: approverMustDecide });
    expect(decisionRight('new', list('self', []), member)).toEqual({ kind: 'can' });
    expect(decisionRight('new', undefined, member)).toEqual({ kind: 'unknown' });
    // admins and approvers keep their buttons while the list loads (the engine still has the last word)
    expect(decisionRight('new', undefined, admin)).toEqual({ kind: 'can' });
  });

  it('the reason is never re-derived from the call: whatever the engine says is shown; without it, a generic reason', () => {
    // a high-risk (not destructive) call under four-eyes: the engine's rule, the engine's words
    const highRisk = 'Four-eyes (APPROVAL_FOUR_EYES): this call carries a high risk (RBAC_GRANT), so someone other than the person who asked for it must approve or deny it.';
    expect(cannotDecideReason(pendingItem({ can_decide: false, cannot_decide_reason: highRisk, risks: [{ code: 'RBAC_GRANT', message: 'grants cluster-admin', severity: 'high' }] }))).toBe(highRisk);
    // a destructive call someone else asked for, refused for another reason: not called four-eyes by the client
    expect(cannotDecideReason(pendingItem({ can_decide: false, cannot_decide_reason: policyReason, destructive: true, requested_by: { id: 'someone-else' } }))).toBe(policyReason);
    expect(cannotDecideReason(pendingItem({ can_decide: false }))).toMatch(/not allowed to decide this call/);
  });
});

/** The events of a decision's stream, as the protocol's reader yields them. */
async function* framesOf(frames: Array<{ event: string; data: Record<string, unknown> }>): AsyncGenerator<StreamedEvent> {
  for (const frame of frames) yield { event: { ...frame.data, type: frame.event } as AgentEvent };
}

const call = { call_id: 'call-1', tool: 'k8s_scale', title: 'k8s_scale', args: {} };

describe('deciding from the queue', () => {
  it('an approval is confirmed once the call executes, not at tool.approved (the target is checked in between)', async () => {
    expect(await decisionOutcome(framesOf([{ event: 'ready', data: {} }, { event: 'tool.approved', data: call }, { event: 'tool.executing', data: call }]), 'call-1')).toEqual({ kind: 'approved' });
    expect(
      await decisionOutcome(framesOf([{ event: 'tool.approved', data: call }, { event: 'tool.error', data: { ...call, code: 'TARGET_CHANGED', error: 'Not executed: the target changed' } }]), 'call-1'),
    ).toEqual({ kind: 'failed', decided: true, message: 'TARGET_CHANGED: Not executed: the target changed' });
    expect(await decisionOutcome(framesOf([{ event: 'tool.denied', data: call }]), 'call-1')).toEqual({ kind: 'denied' });
    // another call's events do not decide this one
    expect(await decisionOutcome(framesOf([{ event: 'tool.executing', data: { ...call, call_id: 'other' } }, { event: 'completed', data: {} }]), 'call-1')).toMatchObject({ kind: 'failed', decided: false });
    expect(await decisionOutcome(framesOf([{ event: 'error', data: { error: 'model down' } }]), 'call-1')).toEqual({ kind: 'failed', decided: false, message: 'model down' });
  });

  it('posts the decision bound to args_hash, stops reading at the outcome, and reports an engine refusal with its reason', async () => {
    let cancelled = false;
    const bodies: unknown[] = [];
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string, init?: RequestInit) => {
        bodies.push(JSON.parse(String(init?.body)));
        if (url.endsWith('/agent/approvals/refused')) {
          return Response.json({ detail: 'APPROVAL_POLICY=approver: only users with the approver or admin role decide mutating calls' }, { status: 403 });
        }
        const encoder = new TextEncoder();
        // a stream that never ends by itself: the run goes on after the decision is confirmed
        const body = new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(encoder.encode(`event: ready\ndata: {"type":"ready","run_id":"r1"}\n\n`));
            controller.enqueue(encoder.encode(`id: 1\nevent: tool.approved\ndata: ${JSON.stringify({ type: 'tool.approved', ...call })}\n\nid: 2\nevent: tool.executing\ndata: ${JSON.stringify({ type: 'tool.executing', ...call })}\n\n`));
          },
          cancel() {
            cancelled = true;
          },
        });
        init?.signal?.addEventListener('abort', () => (cancelled = true));
        return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
      }),
    );
    const target = { call_id: 'call-1', conversation_id: conversation, args_hash: 'h'.repeat(64) };
    expect(await decidePending(target, true, 'change window open')).toEqual({ kind: 'approved' });
    expect(cancelled).toBe(true);
    expect(bodies[0]).toEqual({ conversation_id: conversation, approve: true, args_hash: 'h'.repeat(64), reason: 'change window open' });
    expect(await decidePending({ ...target, call_id: 'refused' }, false)).toEqual({
      kind: 'failed',
      decided: false,
      message: 'APPROVAL_POLICY=approver: only users with the approver or admin role decide mutating calls',
    });
    expect(bodies[1]).toEqual({ conversation_id: conversation, approve: false, args_hash: 'h'.repeat(64) });
  });
});

/** The saved timeline at three moments: the call waiting, approved and running, the run finished. */
function saved(stage: 'awaiting' | 'running' | 'finished') {
  const status = stage === 'awaiting' ? 'awaiting_approval' : stage === 'running' ? 'executing' : 'completed';
  const segments: unknown[] = [
    { kind: 'tool', id: 'call-1', toolExecution: { ...call, args: { name: 'web', replicas: 3 }, status, requires_approval: true, args_hash: 'h'.repeat(64), ...(stage !== 'awaiting' ? { decided_by: admin.id } : {}) } },
  ];
  if (stage === 'finished') segments.push({ kind: 'text', id: 'a:1', text: 'web now has 3 replicas.', timestamp: 9 });
  return [
    { id: 'u', type: 'user', content: 'scale web to 3', timestamp: 1 },
    { id: 'assistant-r0', type: 'assistant', content: '', timestamp: 2, segments, token_usage: { ttr_ms: stage === 'finished' ? 1700 : 900 } },
  ];
}

describe('following a decision made elsewhere', () => {
  it('tells waiting, running and finished apart from the saved timeline alone', () => {
    const baseline = runTimeOf(timelineFromPersisted(saved('awaiting')), 'call-1');
    expect(baseline).toBe(900);
    expect(decisionProgress(timelineFromPersisted(saved('awaiting')), 'call-1', baseline).kind).toBe('awaiting');
    expect(decisionProgress(timelineFromPersisted(saved('running')), 'call-1', baseline).kind).toBe('running');
    expect(decisionProgress(timelineFromPersisted(saved('finished')), 'call-1', baseline).kind).toBe('finished');
  });

  it('the store reloads the saved timeline until the resumed run finished, then sends the queued message', async () => {
    const stages: Array<'awaiting' | 'running' | 'finished'> = ['awaiting', 'running', 'finished'];
    const requests: string[] = [];
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string) => {
        requests.push(url);
        if (url.endsWith(`/conversations/${conversation}`)) {
          const stage = stages.length > 1 ? stages.shift()! : stages[0]!;
          return Response.json({ id: conversation, title: 'Scale web', messages: saved(stage) });
        }
        if (url.endsWith('/agent/chat')) {
          return new Response(`event: ready\ndata: {"type":"ready","run_id":"r9","conversation_id":"${conversation}"}\n\nid: 1\nevent: completed\ndata: {"type":"completed","run_id":"r9","conversation_id":"${conversation}","status":"completed","duration":0,"duration_ms":1}\n\n`, {
            status: 200,
            headers: { 'content-type': 'text/event-stream' },
          });
        }
        return Response.json({ detail: 'unexpected' }, { status: 500 });
      }),
    );
    await useChatStore.getState().open(conversation);
    expect(useChatStore.getState().timeline.status).toBe('awaiting_approval');
    useChatStore.getState().send('and then show its pods');
    expect(useChatStore.getState().queue).toHaveLength(1);

    const following = useChatStore.getState().followDecision('call-1');
    // the first reload shows the call approved and running: the page says so, the queue still waits
    await vi.waitFor(() => expect(useChatStore.getState().timeline.notice).toBe('An approver approved k8s_scale; the run goes on, and this page follows it.'));
    expect(useChatStore.getState().following).toBe('call-1');
    useChatStore.getState().send('one more');
    expect(useChatStore.getState().queue).toHaveLength(2);
    expect(requests.some((url) => url.endsWith('/agent/chat'))).toBe(false);

    await following;
    const state = useChatStore.getState();
    expect(JSON.stringify(state.timeline.entries)).toContain('web now has 3 replicas.');
    expect(state.timeline.notice).toBeUndefined();
    expect(state.following).toBeUndefined();
    // drained in order once nothing runs: the first queued message goes out
    await vi.waitFor(() => expect(requests.some((url) => url.endsWith('/agent/chat'))).toBe(true));
  });

  it('does nothing when the saved timeline still shows the call waiting (the list was ahead of it)', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => Response.json({ id: conversation, title: 'Scale web', messages: saved('awaiting') })));
    await useChatStore.getState().open(conversation);
    await useChatStore.getState().followDecision('call-1');
    expect(useChatStore.getState().timeline.status).toBe('awaiting_approval');
    expect(useChatStore.getState().following).toBeUndefined();
  });
});
