/**
 * Issue 19, item 3 (engine fold): a decided card keeps what was approved (diff, risks, args_hash) and says who
 * decided, when and why; an answer a stop interrupted is marked `stopped` in the stored timeline, so a reload shows
 * where it stopped.
 */
import type { AgentEvent } from '@skyflo/protocol';
import { describe, expect, it } from 'vitest';
import type { TimelineEntry } from '../../platform/ports/index.ts';
import { applyEventToTimeline } from './apply-event.ts';

const base = { run_id: 'r1', conversation_id: 'c1', timestamp: 1000 };
const tool = { call_id: 'call_1', tool: 'k8s_scale', title: 'Scale', args: { name: 'web', replicas: 5 } };
const fold = (events: AgentEvent[], start: TimelineEntry[] = []) => events.reduce(applyEventToTimeline, start);
const risk = { code: 'MANAGED_BY_CONTROLLER', message: 'HPA web owns replicas (min 3, max 10) and will undo this.', severity: 'medium' as const };
const awaiting: AgentEvent = {
  type: 'tool.awaiting_approval',
  ...base,
  ...tool,
  diff: '-  replicas: 3\n+  replicas: 5',
  args_hash: 'a'.repeat(64),
  diff_hash: 'd'.repeat(64),
  risks: [risk],
  destructive: false,
  policy_reason: 'Changes the cluster: scales deployment default/web to 5 replicas',
  context: { conversation_id: 'c1', approval_decisions: {} },
};
const segmentOf = (timeline: TimelineEntry[]) => {
  const entry = timeline.at(-1);
  if (entry?.type !== 'assistant') throw new Error('no assistant entry');
  const segment = entry.segments.find((item) => item.kind === 'tool');
  if (segment?.kind !== 'tool') throw new Error('no tool segment');
  return segment.toolExecution;
};

describe('decided cards', () => {
  it('an approval keeps the approved diff, risks and hashes and adds who, when and why', () => {
    const timeline = fold([
      awaiting,
      { type: 'completed', ...base, status: 'completed', duration: 1, duration_ms: 1000, awaiting_approval: true },
      { type: 'tool.approved', ...base, run_id: 'r2', timestamp: 2000, ...tool, decided_by: 'u-ann', decided_by_email: 'ann@example.com', decided_at: 1999, reason: 'traffic peak' },
      { type: 'tool.executing', ...base, run_id: 'r2', ...tool },
      { type: 'tool.result', ...base, run_id: 'r2', ...tool, result: [{ type: 'text', text: 'deployment.apps/web scaled' }] },
    ]);
    expect(segmentOf(timeline)).toMatchObject({
      status: 'completed',
      diff: '-  replicas: 3\n+  replicas: 5',
      risks: [risk],
      args_hash: 'a'.repeat(64),
      diff_hash: 'd'.repeat(64),
      decided_by: 'u-ann',
      decided_by_email: 'ann@example.com',
      decided_at: 1999,
      reason: 'traffic peak',
    });
  });

  it('a denial keeps the diff that was refused and the reason', () => {
    const timeline = fold([awaiting, { type: 'tool.denied', ...base, ...tool, decided_by: 'u-ann', decided_by_email: 'ann@example.com', decided_at: 1500, reason: 'not now' }]);
    expect(segmentOf(timeline)).toMatchObject({ status: 'denied', diff: '-  replicas: 3\n+  replicas: 5', decided_by_email: 'ann@example.com', decided_at: 1500, reason: 'not now', error: 'Denied: not now' });
  });
});

describe('stopped answers', () => {
  it('the answer a stop interrupted is marked; a later run of the same answer that completes clears the mark', () => {
    const stopped = fold([
      { type: 'generation.complete', ...base, content: 'Scaling web, then I will check the', tokens_generated: 8, tool_calls: 0 },
      { type: 'completed', ...base, status: 'stopped', duration: 1, duration_ms: 1000 },
    ]);
    expect(stopped.at(-1)).toMatchObject({ type: 'assistant', content: 'Scaling web, then I will check the', stopped: true });
    const resumed = fold([{ type: 'completed', ...base, run_id: 'r2', status: 'completed', duration: 1, duration_ms: 500 }], stopped);
    expect(resumed.at(-1)).not.toHaveProperty('stopped');
  });

  it('an error or a normal end is not marked stopped', () => {
    const timeline = fold([
      { type: 'generation.complete', ...base, content: 'Done.', tokens_generated: 1, tool_calls: 0 },
      { type: 'completed', ...base, status: 'error', duration: 1, duration_ms: 10 },
    ]);
    expect(timeline.at(-1)).not.toHaveProperty('stopped');
  });
});
