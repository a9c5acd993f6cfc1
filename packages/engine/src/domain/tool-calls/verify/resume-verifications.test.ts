/**
 * Issue 21: a verification left `verifying` by a dead run is finished by the reconciler — re-run with the budget
 * left, or `timed_out` when none is — and the verdict reaches the row, the timeline (the tool's card, even when later
 * answers follow it) and the audit observer. The timeline fold: `verifying` never replaces a verdict.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { foldTimelineEvent, type AgentEvent, type TimelineEntry } from '@skyflo/protocol';
import { describe, expect, it } from 'vitest';
import { createSecretBox } from '../../../platform/crypto/secret-box.ts';
import type { ToolGateway } from '../../../platform/ports/tool-gateway.ts';
import { agentConfig } from '../../../platform/config/agent.ts';
import { createInMemoryStorage } from '../../../testing/in-memory-storage.ts';
import { sealBefore } from '../core/baseline.ts';
import { resumeVerifications } from './resume-verifications.ts';

const toolCard = (callId: string, status: 'completed' | 'executing' = 'completed'): TimelineEntry => ({
  id: 'assistant-1',
  type: 'assistant',
  content: '',
  timestamp: 1,
  segments: [{ kind: 'tool', id: callId, toolExecution: { call_id: callId, tool: 'k8s_scale', title: 'Scale', args: {}, status, timestamp: 1 } }],
});

async function leftVerifying(deadline: number, cardStatus: 'completed' | 'executing' = 'completed') {
  const storage = createInMemoryStorage();
  const box = createSecretBox(randomBytes(32));
  const conversation = await storage.conversations.create({ userId: 'alice' });
  await storage.conversations.updateTimeline(conversation.id, () => [toolCard('call-1', cardStatus), { id: 'u2', type: 'user', content: 'later message', timestamp: 2 }]);
  await storage.approvals.request({ conversationId: conversation.id, callId: 'call-1', runId: 'r', tool: 'k8s_scale', args: { name: 'web' }, argsHash: 'h', resolution: [], risks: [], destructive: false, requestedBy: 'alice', beforeSealed: sealBefore(box, conversation.id, 'call-1', { args: { name: 'web', replicas: 3 }, before: { replicas: 2 } }) });
  const runId = randomUUID();
  await storage.approvals.decide({ conversationId: conversation.id, callId: 'call-1', approve: true, decidedBy: 'alice', decisionRunId: runId });
  await storage.approvals.claimExecution({ conversationId: conversation.id, callId: 'call-1', runId });
  await storage.approvals.markExecuted({ conversationId: conversation.id, callId: 'call-1', ok: true, resultSummary: 'deployment.apps/web scaled' });
  await storage.approvals.saveVerification({ conversationId: conversation.id, callId: 'call-1', verification: { outcome: 'verifying', summary: 'Verifying', evidence: [], startedAt: Date.now() - 1000, deadline } });
  return { storage, box, conversationId: conversation.id };
}

const verifyingTools = (calls: Array<Record<string, unknown>>): ToolGateway => ({
  listTools: async () => [{ name: 'verify_change', title: 'v', description: '', inputSchema: {}, tags: [] }],
  callTool: async ({ args }) => {
    calls.push(args);
    return { text: 'ok', isError: false, structured: { outcome: 'verified', summary: '3/3 replicas of default/web ready', evidence: [] } };
  },
  preview: async () => undefined,
  close: async () => undefined,
});

const cardOf = (timeline: TimelineEntry[]) =>
  (timeline[0] as Extract<TimelineEntry, { type: 'assistant' }>).segments[0] as { toolExecution: { status: string; result?: unknown; verification?: { outcome: string; summary: string } } };

describe('resumed verifications', () => {
  it('re-runs a verification a dead run left, with the arguments and before-state it recorded and the budget left', async () => {
    const { storage, box, conversationId } = await leftVerifying(Date.now() + 60_000);
    const calls: Array<Record<string, unknown>> = [];
    const seen: AgentEvent[] = [];
    expect(await resumeVerifications({ storage, tools: verifyingTools(calls), secretBox: box, config: agentConfig(), everyRunIsDead: true, observeEvent: (event) => seen.push(event) })).toBe(1);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ tool: 'k8s_scale', args: { name: 'web', replicas: 3 }, before: { replicas: 2 } });
    expect(Number(calls[0]!['timeout_seconds'])).toBeLessThanOrEqual(60);
    expect((await storage.approvals.get(conversationId, 'call-1'))!.verification).toMatchObject({ outcome: 'verified', summary: '3/3 replicas of default/web ready' });
    const timeline = (await storage.conversations.get(conversationId))!.timeline;
    expect(cardOf(timeline).toolExecution.verification).toMatchObject({ outcome: 'verified' });
    expect(seen.map((event) => (event as { outcome?: string }).outcome)).toEqual(['verifying', 'verified']);
    // claimed once: a second pass finds nothing
    expect(await resumeVerifications({ storage, tools: verifyingTools(calls), secretBox: box, config: agentConfig(), everyRunIsDead: true })).toBe(0);
  });

  it('completes a card the dead run left executing (its tool.result not yet written when it was killed), without a second audit event', async () => {
    const { storage, box, conversationId } = await leftVerifying(Date.now() + 60_000, 'executing');
    const seen: AgentEvent[] = [];
    await resumeVerifications({ storage, tools: verifyingTools([]), secretBox: box, config: agentConfig(), everyRunIsDead: true, observeEvent: (event) => seen.push(event) });
    const card = cardOf((await storage.conversations.get(conversationId))!.timeline).toolExecution;
    expect(card.status).toBe('completed');
    expect(card.result).toEqual([{ type: 'text', text: 'deployment.apps/web scaled' }]);
    expect(card.verification).toMatchObject({ outcome: 'verified' });
    expect(seen.map((event) => event.type)).toEqual(['tool.verification', 'tool.verification']);
  });

  it('leaves a card the run did complete as it was: its full result is not replaced by the stored summary', async () => {
    const { storage, box, conversationId } = await leftVerifying(Date.now() + 60_000);
    await resumeVerifications({ storage, tools: verifyingTools([]), secretBox: box, config: agentConfig(), everyRunIsDead: true });
    const card = cardOf((await storage.conversations.get(conversationId))!.timeline).toolExecution;
    expect(card.status).toBe('completed');
    expect(card.result).toBeUndefined();
  });

  it('ends timed_out when the budget is spent, without asking the cluster', async () => {
    const { storage, box, conversationId } = await leftVerifying(Date.now() - 1);
    const calls: Array<Record<string, unknown>> = [];
    await resumeVerifications({ storage, tools: verifyingTools(calls), secretBox: box, config: agentConfig(), everyRunIsDead: true });
    expect(calls).toEqual([]);
    expect((await storage.approvals.get(conversationId, 'call-1'))!.verification).toMatchObject({ outcome: 'timed_out' });
    expect(cardOf((await storage.conversations.get(conversationId))!.timeline).toolExecution.verification).toMatchObject({ outcome: 'timed_out' });
  });

  it('folds verifying then the verdict into the card; a replayed verifying does not undo the verdict', () => {
    const event = (outcome: string, finishedAt?: number) =>
      ({ type: 'tool.verification', conversation_id: 'c', run_id: 'r', timestamp: 5, call_id: 'call-1', tool: 'k8s_scale', outcome, summary: outcome, evidence: [], ...(finishedAt ? { finished_at: finishedAt } : {}) }) as AgentEvent;
    let timeline = [toolCard('call-1')];
    timeline = foldTimelineEvent(timeline, event('verifying'));
    expect(cardOf(timeline).toolExecution.verification).toMatchObject({ outcome: 'verifying' });
    timeline = foldTimelineEvent(timeline, event('regressed', 9));
    expect(cardOf(timeline).toolExecution.verification).toMatchObject({ outcome: 'regressed' });
    expect(foldTimelineEvent(timeline, event('verifying'))).toBe(timeline);
    // a verification of a call that has no card creates nothing
    expect(foldTimelineEvent([], event('verified', 9))).toEqual([]);
  });
});
