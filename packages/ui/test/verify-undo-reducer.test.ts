/**
 * Issue 21 through the page's stream reducer (the protocol's live fold): what the cards show as a change is approved
 * with automatic revert, executed, verified, and undone. A replayed "verifying" never brings the spinner back over a
 * verdict, and an undo arrives as a new card in the same answer, pointing at the change it undoes.
 */
import type { AgentEvent } from '@skyflo/protocol';
import { describe, expect, it } from 'vitest';
import { describeCall, undoState, verificationLabel, type VerifiableTool } from '../src/features/chat/components/verification-labels.ts';
import { addUserMessage, applyEvent, emptyTimeline, pendingApprovals, timelineFromPersisted, type TimelineState } from '../src/features/chat/state/timeline.ts';

const conversation = 'c-21';
const change = { call_id: 'call_set', tool: 'k8s_set_image', title: 'Set image', args: { resource_type: 'deployment', namespace: 'shop', resource_name: 'web', container_images: 'web=web:9.9' } };
let nextId = 0;
const on = (run: string) => (event: Record<string, unknown>) => ({ event: { run_id: run, conversation_id: conversation, ...event } as AgentEvent, id: ++nextId });

function play(state: TimelineState, frames: Array<{ event: AgentEvent; id?: number }>): TimelineState {
  return frames.reduce((current, frame) => applyEvent(current, frame.event, frame.id), state);
}

function tool(state: TimelineState, callId: string): VerifiableTool {
  for (const entry of state.entries) {
    if (entry.type !== 'assistant') continue;
    for (const segment of entry.segments) if (segment.kind === 'tool' && segment.tool.call_id === callId) return segment.tool as VerifiableTool;
  }
  throw new Error(`no card for ${callId}`);
}

const undoProposal = { tool: 'k8s_set_image', args: { container_images: 'web=web:2.1' }, summary: 'set the image of deployment shop/web back to web=web:2.1', diff: '-image: web:9.9\n+image: web:2.1' };

describe('verify, then undo, on the page', () => {
  it('the approval card carries the inverse; the executed card shows verifying, then the verdict, and offers Undo', () => {
    nextId = 0;
    const r1 = on('r1');
    let state = play(addUserMessage(emptyTimeline, 'roll web to 9.9', 1), [
      { event: { type: 'ready', run_id: 'r1', conversation_id: conversation } as AgentEvent },
      r1({ type: 'tool.awaiting_approval', ...change, args_hash: 'a'.repeat(64), diff: '-image: web:2.1\n+image: web:9.9', undo: undoProposal, context: { conversation_id: conversation, approval_decisions: {} }, timestamp: 10 }),
      r1({ type: 'completed', status: 'completed', awaiting_approval: true, duration: 0, duration_ms: 5, timestamp: 11 }),
    ]);
    expect(pendingApprovals(state).map((card) => (card as VerifiableTool).undo?.summary)).toEqual([undoProposal.summary]);

    const r2 = on('r2');
    state = play(state, [
      { event: { type: 'ready', run_id: 'r2', conversation_id: conversation } as AgentEvent },
      r2({ type: 'tool.approved', ...change, decided_by: 'u1', decided_at: 12, auto_revert: true, timestamp: 12 }),
      r2({ type: 'tool.executing', ...change, timestamp: 13 }),
      r2({ type: 'tool.result', ...change, result: [{ type: 'text', text: 'deployment.apps/web image updated' }], undo_available: true, timestamp: 14 }),
      r2({ type: 'tool.verification', call_id: 'call_set', tool: 'k8s_set_image', outcome: 'verifying', summary: 'watching the rollout of shop/web', evidence: [], timestamp: 15 }),
    ]);
    const verifying = tool(state, 'call_set');
    expect(verifying.verification?.outcome).toBe('verifying');
    expect(verificationLabel(verifying.verification!).text).toBe('Verifying…');
    expect(verifying.auto_revert).toBe(true);

    const regressedFrame = r2({
      type: 'tool.verification',
      call_id: 'call_set',
      tool: 'k8s_set_image',
      outcome: 'regressed',
      summary: 'new pods of shop/web cannot pull web:9.9',
      evidence: [{ read: 'pods -n shop -l app=web', text: 'web-7d9 0/1 ImagePullBackOff' }],
      finished_at: 20,
      timestamp: 20,
    });
    state = play(state, [regressedFrame]);
    // a replay of the stream (re-attach after a reload) repeats "verifying": the verdict stays
    state = play(state, [{ event: { type: 'tool.verification', run_id: 'r2', conversation_id: conversation, call_id: 'call_set', tool: 'k8s_set_image', outcome: 'verifying', summary: 'watching', evidence: [], timestamp: 15 } as AgentEvent }]);
    const regressed = tool(state, 'call_set');
    expect(regressed.verification).toMatchObject({ outcome: 'regressed', evidence: [{ read: 'pods -n shop -l app=web', text: 'web-7d9 0/1 ImagePullBackOff' }] });
    expect(undoState(state.entries, regressed)).toBe('available');

    // Undo: a new run proposes the inverse as a card in the same answer, pointing at the change
    const r3 = on('r3');
    state = play(state, [
      r2({ type: 'completed', status: 'completed', duration: 0, duration_ms: 5, timestamp: 21 }),
      { event: { type: 'ready', run_id: 'r3', conversation_id: conversation } as AgentEvent },
      r3({ type: 'tool.awaiting_approval', ...change, call_id: 'call_undo', args: { ...change.args, container_images: 'web=web:2.1' }, args_hash: 'b'.repeat(64), undo_of: 'call_set', context: { conversation_id: conversation, approval_decisions: {} }, timestamp: 22 }),
      r3({ type: 'completed', status: 'completed', awaiting_approval: true, duration: 0, duration_ms: 5, timestamp: 23 }),
    ]);
    expect(state.entries).toHaveLength(2);
    const [undoCard] = pendingApprovals(state) as VerifiableTool[];
    expect(undoCard).toMatchObject({ call_id: 'call_undo', undo_of: 'call_set' });
    expect(describeCall(state.entries, undoCard!.undo_of!)).toBe('Set image (k8s_set_image deployment shop/web)');
    expect(undoState(state.entries, tool(state, 'call_set'))).toBe('proposed');

    // a reloaded page (the stored timeline) shows the same cards
    const reloaded = timelineFromPersisted(state.timeline);
    expect(tool(reloaded, 'call_set').verification?.outcome).toBe('regressed');
    expect(undoState(reloaded.entries, tool(reloaded, 'call_set'))).toBe('proposed');
  });
});
