import { describe, expect, it } from 'vitest';
import { gateLogLineOfEvent, gateLogLineOfRefusal } from './gate-log-lines.ts';

const ids = { conversation_id: 'c1', run_id: 'r1', call_id: 'call_1', tool: 'k8s_scale' };

describe('gate log lines', () => {
  it('warns about an execution the engine refused or lost, not about a tool failing on its own', () => {
    expect(gateLogLineOfEvent({ type: 'tool.error', ...ids, code: 'TARGET_CHANGED', error: 'the target changed since it was approved' })).toEqual({
      level: 'warn',
      message: 'tool call not executed: TARGET_CHANGED',
      fields: { conversationId: 'c1', runId: 'r1', callId: 'call_1', tool: 'k8s_scale', code: 'TARGET_CHANGED', reason: 'the target changed since it was approved' },
    });
    expect(gateLogLineOfEvent({ type: 'tool.error', ...ids, error: 'deployments.apps "web" not found' })).toBeUndefined();
  });

  it('warns about a card whose dry-run preview failed, and says nothing of one that previewed', () => {
    expect(gateLogLineOfEvent({ type: 'tool.awaiting_approval', ...ids, args: { replicas: 3 }, risks: [{ code: 'PREVIEW_REQUIRED', message: 'the preview failed on an enforcing cluster' }] })).toMatchObject({
      level: 'warn',
      message: 'dry-run preview failed: PREVIEW_REQUIRED',
      fields: { callId: 'call_1', code: 'PREVIEW_REQUIRED' },
    });
    const line = gateLogLineOfEvent({ type: 'tool.awaiting_approval', ...ids, args: { password: 'hunter2' }, risks: [{ code: 'PREVIEW_FAILED', message: 'timeout' }] });
    expect(JSON.stringify(line)).not.toContain('hunter2');
    expect(gateLogLineOfEvent({ type: 'tool.awaiting_approval', ...ids, risks: [{ code: 'SCALE_TO_ZERO', message: 'scales to zero' }] })).toBeUndefined();
    expect(gateLogLineOfEvent({ type: 'token', ...ids, text: 'hello' })).toBeUndefined();
  });

  it('logs every refused decision, a stale approval as a warning', () => {
    const call = { conversationId: 'c1', callId: 'call_1', decidedBy: 'u1' };
    expect(gateLogLineOfRefusal({ status: 409, code: 'CLUSTER_STALE', reason: 'the cluster prod is no longer configured' }, call)).toMatchObject({ level: 'warn', message: 'decision refused: CLUSTER_STALE (a stale approval)' });
    expect(gateLogLineOfRefusal({ status: 403, code: 'FOUR_EYES', reason: 'you asked for it' }, call)).toMatchObject({ level: 'info', message: 'decision refused: FOUR_EYES' });
  });
});
