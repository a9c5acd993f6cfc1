import { describe, expect, it } from 'vitest';
import type { ApprovalRecord, ApprovalStore, NewAuditEvent } from '../../../platform/ports/index.ts';
import { createInMemoryApprovalStore } from '../../../testing/in-memory-storage.ts';
import type { ToolCallRun } from '../core/deps.ts';
import { claimDecidedAtStart, closeNotExecuted, releaseUnusedClaim, sendExecutionClaim, takeClaim, unusedClaimText } from './execution-claim.ts';

const conversationId = 'c1';

/** An approval store with `callIds` approved in conversation c1 (decided by bob), and the claims' audit records. */
async function approved(...callIds: string[]) {
  const store = createInMemoryApprovalStore();
  const claims: Array<{ callId: string; runId: string; audit?: NewAuditEvent }> = [];
  const claimExecution = store.claimExecution.bind(store);
  store.claimExecution = async (input) => {
    claims.push({ callId: input.callId, runId: input.runId, ...(input.audit ? { audit: input.audit } : {}) });
    return claimExecution(input);
  };
  const records: ApprovalRecord[] = [];
  for (const callId of callIds) {
    await store.request({ conversationId, callId, runId: 'r0', tool: 'k8s_scale', args: { name: 'web', replicas: 3 }, argsHash: 'h', resolution: [], risks: [], destructive: false, requestedBy: 'alice' });
    records.push((await store.decide({ conversationId, callId, approve: true, decidedBy: 'bob', decisionRunId: 'r1' }))!);
  }
  return { store, claims, records };
}

/** A run of conversation c1 started by `decided`; `events` are what it emitted. */
function runOf(decided?: ApprovalRecord): Pick<ToolCallRun, 'runId' | 'conversationId' | 'decided' | 'decidedClaim' | 'emit'> & { events: Array<[string, unknown]> } {
  const events: Array<[string, unknown]> = [];
  return { runId: 'r1', conversationId, ...(decided ? { decided } : {}), events, emit: async (type, payload) => void events.push([type, payload]) };
}
const statusOf = async (store: ApprovalStore, callId: string) => (await store.get(conversationId, callId))?.status;

describe("a decision run's execution claim, sent as the run starts", () => {
  it('claims the approved call at once, with its tool.execution_started record, and the gate takes it exactly once', async () => {
    const { store, claims, records } = await approved('call_a');
    const run = runOf(records[0]);
    claimDecidedAtStart({ approvals: store }, run);
    expect(await statusOf(store, 'call_a')).toBe('executing');
    expect(claims).toEqual([{ callId: 'call_a', runId: 'r1', audit: expect.objectContaining({ action: 'tool.execution_started', actorId: 'bob', subjectId: 'call_a' }) }]);
    expect(takeClaim(run, 'call_b')).toBeUndefined();
    await expect(takeClaim(run, 'call_a')).resolves.toBe(true);
    // taken: nothing is left to release, and a second take finds nothing
    expect(takeClaim(run, 'call_a')).toBeUndefined();
    await releaseUnusedClaim({ approvals: store }, run);
    expect(await statusOf(store, 'call_a')).toBe('executing');
    expect(run.events).toEqual([]);
  });

  it('claims nothing for a denial or a run without a decision', async () => {
    const { store, claims } = await approved();
    await store.request({ conversationId, callId: 'call_d', runId: 'r0', tool: 'k8s_scale', args: {}, argsHash: 'h', resolution: [], risks: [], destructive: false, requestedBy: 'alice' });
    const denied = (await store.decide({ conversationId, callId: 'call_d', approve: false, decidedBy: 'bob', decisionRunId: 'r1' }))!;
    for (const run of [runOf(denied), runOf()]) {
      claimDecidedAtStart({ approvals: store }, run);
      expect(run.decidedClaim).toBeUndefined();
    }
    expect(claims).toEqual([]);
  });

  it('a call the run does not execute is closed from the claim as not executed, with the reason', async () => {
    const { store, records } = await approved('call_a');
    const run = runOf(records[0]);
    claimDecidedAtStart({ approvals: store }, run);
    await expect(closeNotExecuted({ approvals: store }, run, 'call_a', 'Not executed: the exact arguments are not available.')).resolves.toBe(true);
    expect(await store.get(conversationId, 'call_a')).toMatchObject({ status: 'failed', resultSummary: 'Not executed: the exact arguments are not available.' });
  });

  it('without a claim of its own, an approved call is closed from approved, as before', async () => {
    const { store } = await approved('call_a');
    const run = runOf();
    await expect(closeNotExecuted({ approvals: store }, run, 'call_a', 'cancelled')).resolves.toBe(true);
    expect(await store.get(conversationId, 'call_a')).toMatchObject({ status: 'failed', resultSummary: 'cancelled' });
  });

  it('a claim another run won is not this run\'s to close or release', async () => {
    const { store, records } = await approved('call_a');
    // another run claimed it first
    await expect(sendExecutionClaim({ approvals: store }, { runId: 'r2', conversationId }, records[0]!)).resolves.toBe(true);
    const run = runOf(records[0]);
    claimDecidedAtStart({ approvals: store }, run);
    await expect(closeNotExecuted({ approvals: store }, run, 'call_a', 'not mine')).resolves.toBe(false);
    expect(await store.get(conversationId, 'call_a')).toMatchObject({ status: 'executing', decisionRunId: 'r2' });
  });

  it('a claim the run never took is released when it ends: not executed, never "outcome unknown"', async () => {
    const { store, records } = await approved('call_a');
    const run = runOf(records[0]);
    claimDecidedAtStart({ approvals: store }, run);
    await releaseUnusedClaim({ approvals: store }, run);
    expect(await store.get(conversationId, 'call_a')).toMatchObject({ status: 'failed', resultSummary: unusedClaimText });
    expect(run.decidedClaim).toBeUndefined();
    // its card says so in the run's stream and timeline
    expect(run.events).toEqual([['tool.error', { call_id: 'call_a', tool: 'k8s_scale', title: 'k8s_scale', args: { name: 'web', replicas: 3 }, error: unusedClaimText, code: 'NOT_EXECUTED' }]]);
  });

  it('a claim whose statement failed is released as nothing (the record stays as the database has it)', async () => {
    const { store, records } = await approved('call_a');
    store.claimExecution = () => Promise.reject(new Error('database unavailable'));
    const run = runOf(records[0]);
    claimDecidedAtStart({ approvals: store }, run);
    await releaseUnusedClaim({ approvals: store }, run);
    expect(await statusOf(store, 'call_a')).toBe('approved');
    expect(run.events).toEqual([]);
  });
});
