/**
 * Verify, then undo (issue 21) on the Command Center's cards, as the reader sees them: each verification outcome has
 * its own mark and words (a controller that reverted the change is named), evidence is bounded, and Undo is offered
 * only for an executed change with a recorded before-state, once (an undo under way or done is said instead).
 */
import { describe, expect, it } from 'vitest';
import type { Entry } from '../src/features/chat/state/timeline.ts';
import { boundedEvidence, describeCall, revertedBy, undoState, verificationLabel, type VerifiableTool } from '../src/features/chat/components/verification-labels.ts';

const change: VerifiableTool = {
  call_id: 'call_set_image',
  tool: 'k8s_set_image',
  title: 'Set image',
  args: { resource_type: 'deployment', namespace: 'shop', name: 'web', image: 'web:9.9' },
  status: 'completed',
  requires_approval: true,
  undo_available: true,
};

const answer = (...tools: VerifiableTool[]): Entry[] => [
  { id: 'u', type: 'user', content: 'roll web to 9.9', timestamp: 1 },
  { id: 'a', type: 'assistant', usage: {}, timestamp: 2, segments: tools.map((tool) => ({ kind: 'tool' as const, id: tool.call_id, tool })) },
];

describe('verification on a tool card', () => {
  it('reads each outcome with a mark that needs no colour, and names the controller that reverted the change', () => {
    expect(verificationLabel({ outcome: 'verifying' })).toEqual({ mark: '', text: 'Verifying…', tone: 'accent' });
    expect(verificationLabel({ outcome: 'verified' })).toMatchObject({ mark: '✓', text: 'Verified', tone: 'ok' });
    expect(verificationLabel({ outcome: 'regressed' })).toMatchObject({ mark: '✗', text: 'Regressed', tone: 'danger' });
    expect(verificationLabel({ outcome: 'reverted_by_controller', controller: 'HorizontalPodAutoscaler shop/web' })).toMatchObject({ mark: '↺', text: 'Reverted by HorizontalPodAutoscaler shop/web' });
    expect(verificationLabel({ outcome: 'reverted_by_controller' }).text).toBe('Reverted by a controller');
    expect(verificationLabel({ outcome: 'timed_out' })).toMatchObject({ mark: '⏱', text: 'Timed out' });
    expect(verificationLabel({ outcome: 'stopped' })).toMatchObject({ mark: '■', text: 'Ended by the emergency stop', tone: 'warn' });
    expect(verificationLabel({ outcome: 'not_applicable' })).toMatchObject({ text: 'Not checked', tone: 'neutral' });
  });

  it('shows at most 30 lines of one read (each line cut) and says how many more there are', () => {
    const text = Array.from({ length: 45 }, (_, index) => `web-${index} 0/1 ImagePullBackOff`).join('\n');
    const bounded = boundedEvidence(text);
    expect(bounded.text.split('\n')).toHaveLength(30);
    expect(bounded.hidden).toBe(15);
    expect(boundedEvidence('x'.repeat(1000)).text).toHaveLength(400);
    expect(boundedEvidence('one line\n')).toEqual({ text: 'one line', hidden: 0 });
  });
});

describe('Undo on an executed change', () => {
  it('is offered only for a completed call whose before-state was recorded', () => {
    expect(undoState(answer(change), change)).toBe('available');
    expect(undoState(answer({ ...change, undo_available: undefined }), { ...change, undo_available: undefined })).toBeUndefined();
    expect(undoState(answer({ ...change, status: 'error' }), { ...change, status: 'error' })).toBeUndefined();
  });

  it('is not offered for a change a controller already set back: the card says it is already back (issue 37)', () => {
    const reverted: VerifiableTool = { ...change, verification: { outcome: 'reverted_by_controller', controller: 'HorizontalPodAutoscaler shop/web' } as VerifiableTool['verification'] };
    expect(undoState(answer(reverted), reverted)).toBe('already_back');
    const verified: VerifiableTool = { ...change, verification: { outcome: 'verified' } as VerifiableTool['verification'] };
    expect(undoState(answer(verified), verified)).toBe('available');
  });

  it('once an undo of it is proposed the card points at that card; a denied undo offers Undo again; a done one says so', () => {
    const undo = (status: VerifiableTool['status']): VerifiableTool => ({ call_id: 'call_undo', tool: 'k8s_set_image', title: 'Set image', args: { image: 'web:1.0' }, status, undo_of: change.call_id });
    expect(undoState(answer(change, undo('awaiting_approval')), change)).toBe('proposed');
    expect(undoState(answer(change, undo('denied')), change)).toBe('available');
    expect(undoState(answer(change, undo('completed')), change)).toBe('undone');
  });

  it('an automatic revert is known by the verification that started it (its card says so instead of --approve-all)', () => {
    const regressed: VerifiableTool = { ...change, verification: { outcome: 'regressed', summary: 'pods crash', evidence: [], auto_revert_call_id: 'call_set_image-revert' } };
    const revert: VerifiableTool = { ...change, call_id: 'call_set_image-revert', automatic: true };
    expect(revertedBy(answer(regressed, revert), 'call_set_image-revert')).toBe('call_set_image');
    expect(revertedBy(answer(regressed, revert), 'call_set_image')).toBeUndefined();
  });

  it('an undo card names the call it undoes by its title, tool and target; an unknown id is shown as is', () => {
    expect(describeCall(answer(change), 'call_set_image')).toBe('Set image (k8s_set_image deployment shop/web)');
    expect(describeCall(answer(change), 'call_elsewhere')).toBe('call_elsewhere');
  });
});
