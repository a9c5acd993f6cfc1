/**
 * Issue 19 (items 1 and 3) in the UI's pure parts: which keys decide an approval card (only fresh A / D keys pressed
 * in a card the user moved into), and what a decided card and a stopped answer keep (who, when, why, the diff; a
 * "Stopped" mark), live and after a reload.
 */
import type { AgentEvent } from '@skyflo/protocol';
import { describe, expect, it } from 'vitest';
import { decisionOfKey, type CardKey } from '../src/features/chat/components/card-keys.ts';
import { relativeTime } from '../src/lib/relative-time.ts';
import { addUserMessage, applyEvent, emptyTimeline, timelineFromPersisted, type Segment, type TimelineState } from '../src/features/chat/state/timeline.ts';

const key = (overrides: Partial<CardKey> = {}): CardKey => ({
  key: 'a',
  repeat: false,
  isComposing: false,
  keyCode: 65,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  timeStamp: 2_000,
  inTextField: false,
  inCard: true,
  ...overrides,
});

describe('approval card keys', () => {
  it('A and D decide only on a card the user clicked or tabbed into, after that gesture', () => {
    expect(decisionOfKey(key(), { armedAt: 1_000 })).toBe('approve');
    expect(decisionOfKey(key({ key: 'D' }), { armedAt: 1_000 })).toBe('deny');
    // the card appeared / got the focus without a gesture: the "a" of "please" is not a decision
    expect(decisionOfKey(key(), {})).toBeUndefined();
    // a key in the very moment the focus moved (same event time or earlier) is not one either
    expect(decisionOfKey(key({ timeStamp: 1_000 }), { armedAt: 1_000 })).toBeUndefined();
    expect(decisionOfKey(key({ timeStamp: 900 }), { armedAt: 1_000 })).toBeUndefined();
  });

  it('auto-repeat, IME composition, modifiers, the reason field and keys from outside the card never decide', () => {
    const armed = { armedAt: 1_000 };
    expect(decisionOfKey(key({ repeat: true }), armed)).toBeUndefined();
    expect(decisionOfKey(key({ isComposing: true }), armed)).toBeUndefined();
    expect(decisionOfKey(key({ key: 'Process', keyCode: 229 }), armed)).toBeUndefined();
    expect(decisionOfKey(key({ keyCode: 229 }), armed)).toBeUndefined();
    expect(decisionOfKey(key({ ctrlKey: true }), armed)).toBeUndefined();
    expect(decisionOfKey(key({ metaKey: true }), armed)).toBeUndefined();
    expect(decisionOfKey(key({ altKey: true }), armed)).toBeUndefined();
    expect(decisionOfKey(key({ inTextField: true }), armed)).toBeUndefined();
    expect(decisionOfKey(key({ inCard: false }), armed)).toBeUndefined();
    expect(decisionOfKey(key({ key: 'x' }), armed)).toBeUndefined();
  });
});

const base = { run_id: 'run-1', conversation_id: 'c-1' };
const call = { call_id: 'k1', tool: 'k8s_scale', title: 'Scale', args: { name: 'payments', replicas: 5 } };
const diff = '--- live\n+++ after\n-  replicas: 3\n+  replicas: 5\n';
const ada = '6f1c1c58-4a9e-4a47-9d0b-8f4a6f0e9a11';

function play(state: TimelineState, events: Array<Record<string, unknown>>): TimelineState {
  return events.reduce((current, event, index) => applyEvent(current, { ...base, ...event } as AgentEvent, index + 1), state);
}

function tools(state: TimelineState): Array<Extract<Segment, { kind: 'tool' }>['tool']> {
  const last = state.entries.at(-1);
  return last?.type === 'assistant' ? last.segments.flatMap((segment) => (segment.kind === 'tool' ? [segment.tool] : [])) : [];
}

describe('decisions stay visible', () => {
  const awaiting = {
    type: 'tool.awaiting_approval',
    ...call,
    diff,
    args_hash: 'a'.repeat(64),
    diff_hash: 'b'.repeat(64),
    risks: [{ code: 'MANAGED_BY_CONTROLLER', message: 'HPA payments owns replicas', severity: 'medium' }],
    policy_reason: 'Changes the cluster: scales deployment payments',
    context: { conversation_id: 'c-1', approval_decisions: {} },
    timestamp: 10,
  };

  it('an approved call keeps the diff, risks and hashes it was decided on, and says who, when and why', () => {
    const state = play(addUserMessage(emptyTimeline, 'scale payments to 5', 1), [
      { type: 'ready', run_id: 'run-1', conversation_id: 'c-1' },
      awaiting,
      { type: 'completed', status: 'completed', duration: 0, duration_ms: 5, awaiting_approval: true, timestamp: 11 },
      { type: 'tool.approved', ...call, decided_by: ada, decided_by_email: 'ada@example.com', decided_at: 12_345, reason: 'change window open', timestamp: 20 },
      { type: 'tool.executing', ...call, timestamp: 21 },
      { type: 'tool.result', ...call, result: [{ type: 'text', text: 'scaled' }], timestamp: 22 },
    ]);
    const [tool] = tools(state);
    expect(tool).toMatchObject({
      status: 'completed',
      diff,
      diff_hash: 'b'.repeat(64),
      args_hash: 'a'.repeat(64),
      risks: awaiting.risks,
      decided_by: ada,
      decided_by_email: 'ada@example.com',
      decided_at: 12_345,
      reason: 'change window open',
    });
  });

  it('a denial without decided_at is dated by its event', () => {
    const state = play(addUserMessage(emptyTimeline, 'scale', 1), [awaiting, { type: 'tool.denied', ...call, reason: 'not now', timestamp: 30 }]);
    expect(tools(state)[0]).toMatchObject({ status: 'denied', decided_at: 30, reason: 'not now', diff });
  });

  it('a stopped run marks its answer where it stopped, live and from the saved timeline', () => {
    const live = play(addUserMessage(emptyTimeline, 'list everything', 1), [
      { type: 'ready', run_id: 'run-1', conversation_id: 'c-1' },
      { type: 'token', text: 'line 1\n\nline', tokens_generated: 3, timestamp: 5 },
      { type: 'completed', status: 'stopped', duration: 0, duration_ms: 5, timestamp: 6 },
    ]);
    const answer = live.entries.at(-1);
    expect(answer).toMatchObject({ type: 'assistant', stopped: true });
    expect(live.status).toBe('stopped');
    // stopped before the first word: the answer is still there, empty, with its mark
    const early = play(addUserMessage(emptyTimeline, 'hello', 1), [{ type: 'completed', status: 'stopped', duration: 0, duration_ms: 1, timestamp: 2 }]);
    expect(early.entries.at(-1)).toMatchObject({ type: 'assistant', stopped: true, segments: [] });
    // a completed run is not marked
    const done = play(addUserMessage(emptyTimeline, 'hello', 1), [{ type: 'token', text: 'hi', tokens_generated: 1, timestamp: 2 }, { type: 'completed', status: 'completed', duration: 0, duration_ms: 1, timestamp: 3 }]);
    expect(done.entries.at(-1)).not.toHaveProperty('stopped');

    // a decision resuming the stopped answer, ending normally, takes the mark away
    const resumed = play(live, [{ type: 'completed', run_id: 'run-2', status: 'completed', duration: 0, duration_ms: 5, timestamp: 9 }]);
    expect(resumed.entries.at(-1)).not.toHaveProperty('stopped');

    const saved = timelineFromPersisted([
      { id: 'u', type: 'user', content: 'list everything', timestamp: 1 },
      { id: 'a', type: 'assistant', content: 'line 1', timestamp: 2, stopped: true, segments: [{ kind: 'text', id: 's', text: 'line 1', timestamp: 2 }] },
    ]);
    expect(saved.entries.at(-1)).toMatchObject({ type: 'assistant', stopped: true });
  });

  it('relative time reads like a person says it', () => {
    const now = Date.UTC(2026, 10, 22, 12, 0, 0);
    expect(relativeTime(now - 10_000, now)).toBe('just now');
    expect(relativeTime(now - 3 * 60_000, now)).toMatch(/3 minutes ago/);
    expect(relativeTime(now - 2 * 86_400_000, now)).toMatch(/2 days ago/);
  });
});
