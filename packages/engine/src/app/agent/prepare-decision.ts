/**
 * A decision on a previewed call (POST /agent/approvals/:call_id): the decision rules (tool-calls/decide) over the
 * facts gathered for it, the approver's passkey, the co-approvals a policy asks for, then the decision and the
 * conversation's claim (in one statement where the storage can), and the run that resumes the paused turn.
 */
import { randomUUID } from 'node:crypto';
import { hasFailedPreview } from '@skyflo/protocol';
import type { ApprovalRecord } from '../../platform/ports/index.ts';
import { gateLogLineOfRefusal } from '../../domain/tool-calls/gate-log-lines.ts';
import { decide, requestShapeRule, type DecisionRefusal } from '../../domain/tool-calls/decide/decide.ts';
import { decisionAuditRecord } from '../../domain/tool-calls/decide/decision-facts.ts';
import { recordCoApproval } from '../../domain/tool-calls/decide/co-approval.ts';
import { closeUnresumableCalls, unresumableDecisionText } from '../../domain/tool-calls/execute/close-unresumable.ts';
import type { StoredDeviceSignature } from '../../domain/passkeys/device-keys.ts';
import type { StoredAssertion } from '../../domain/passkeys/passkey-service.ts';
import { PasskeyError } from '../../domain/passkeys/passkey-error.ts';
import { AgentRequestError } from '../../platform/errors/agent-request-error.ts';
import { pausedCallIds } from '../graph/resume-checkpoint.ts';
import { runAgent } from './run-agent.ts';
import type { AgentContext } from './agent-context.ts';
import type { AgentService, StartedRun } from './agent-service-types.ts';

const refusalError = (refusal: DecisionRefusal) => new AgentRequestError(refusal.status, refusal.code, refusal.reason);

export function createPrepareDecision({ deps, storage, checkpoints, decisionFacts, policy, conversationClusters, claim, launch, runDeps }: AgentContext) {
  /**
   * Claims the conversation for `runId` and reads its paused turn again, now that no run can be writing it: the turn
   * (to resume from) when it holds `callId`; otherwise the conversation's stranded calls are closed
   * (close-unresumable.ts), the claim released, and the decision refused with 409 RUN_NOT_RESUMABLE.
   */
  async function claimToCheckResumable(conversationId: string, runId: string, userId: string, callId: string): Promise<{ turn: Awaited<ReturnType<typeof checkpoints.read>> }> {
    await claim(conversationId, runId, userId);
    try {
      const turn = await checkpoints.read(conversationId);
      const paused = pausedCallIds(turn);
      if (paused.includes(callId)) return { turn };
      const closed = await closeUnresumableCalls({ storage }, conversationId, paused);
      deps.logger?.error({ conversationId, callIds: closed.map((record) => record.callId) }, 'closed calls whose run ended before saving the turn they paused at');
    } catch (error) {
      await storage.runs.finish(runId).catch(() => undefined);
      throw error;
    }
    await storage.runs.finish(runId);
    throw new AgentRequestError(409, 'RUN_NOT_RESUMABLE', unresumableDecisionText(callId));
  }

  return async function prepareDecision({ user, apiToken, conversationId, callId, approve, reason, argsHash, diffHash, automatic, autoRevert, withoutPreview, webauthn, deviceSignature, unverifiedClicker, breakGlass: breakGlassAsked, ip }: Parameters<AgentService['prepareDecision']>[0]): Promise<StartedRun> {
    const request = { approve, argsHash, diffHash, autoRevert, withoutPreview, webauthn: webauthn !== undefined, deviceSignature: deviceSignature !== undefined && webauthn === undefined, ...(unverifiedClicker ? { unverifiedClicker } : {}), ...(breakGlassAsked ? { breakGlass: breakGlassAsked } : {}) };
    // The request's own shape first: nothing is read for a request that could never be granted.
    const malformed = decide({ conversationId, callId, environment: policy, actor: user, conversation: undefined, call: undefined, deciderScope: undefined, request }, [requestShapeRule]);
    if (malformed) throw refusalError(malformed);
    // The reads at once (Postgres serves them in parallel; PGlite's thread takes them back to back, without a trip
    // through this thread between them); the paused turn is handed to the run below. Read for a denial too (issue 75):
    // either decision resumes the paused turn, and one that is not there cannot be resumed.
    const pausedTurn = checkpoints.read(conversationId);
    pausedTurn.catch(() => undefined); // awaited only when the record is an awaiting call
    const turnOrder = pausedTurn.then(pausedCallIds);
    turnOrder.catch(() => undefined); // read only when another call of the turn still waits
    // One function gathers what the rules read, the same the pending list asks (tool-calls/decide/gather-facts.ts);
    // one function decides (tool-calls/decide): the first refusal is the answer.
    const { facts, conversation: found, record } = await decisionFacts.forDecision({
      actor: { id: user.id, email: user.email, role: user.role, ...(apiToken ? { apiToken } : {}) },
      conversationId,
      callId,
      request,
      pausedCallIds: turnOrder,
    });
    const passkey = facts.passkey;
    const refusal = decide(facts);
    if (refusal) {
      const line = gateLogLineOfRefusal(refusal, { conversationId, callId, decidedBy: user.id });
      deps.logger?.[line.level](line.fields, line.message);
    }
    if (refusal || !found || !record) throw refusalError(refusal ?? { status: 404, code: 'CONVERSATION_NOT_FOUND', reason: `Conversation ${conversationId} not found` });
    // The rules let a passkey call through only with an assertion: it must be this person's, over this call's facts.
    let passkeyAssertion: StoredAssertion | StoredDeviceSignature | undefined;
    if (passkey && (webauthn || deviceSignature)) {
      try {
        passkeyAssertion = webauthn ? await deps.passkeys!.verifyApproval(user, record, webauthn) : await deps.passkeys!.verifyDeviceSignature(user, record, deviceSignature!);
      } catch (error) {
        if (error instanceof PasskeyError) throw new AgentRequestError(error.statusCode, error.code, `${error.message} (tool call ${callId}: ${passkey.approveAt})`);
        throw error;
      }
    }
    // Issue 76: a call a policy gives several approvers keeps waiting until the last of them approves; the earlier
    // approvals are recorded with it (and audited), and the request answers 202 MORE_APPROVALS_NEEDED.
    // Issue 76 item 6: the rules let a break-glass through only for an admin, with a verified passkey, while the freeze
    // holds; the row records it (the execution then skips the freeze re-check for this call only).
    const breakGlass = approve && breakGlassAsked && facts.freeze && passkeyAssertion ? { reason: breakGlassAsked.reason, freeze: facts.freeze.name, freezeEndsAt: facts.freeze.endsAt, by: user.id } : undefined;
    if (breakGlassAsked && approve && !breakGlass) throw new AgentRequestError(403, 'BREAK_GLASS_PASSKEY_REQUIRED', `Breaking a change freeze for tool call ${callId} needs your verified passkey; approve it with "Break glass" in the Command Center.`);
    if (approve) await recordCoApproval({ approvals: storage.approvals, audit: deps.audit, record, user, passkeyAssertion: passkeyAssertion ? { ...passkeyAssertion } : undefined, reason, ip });
    const conversation = found;
    // Recorded only when the call had no preview: the acknowledgement is part of what was approved.
    const approvedWithoutPreview = approve && withoutPreview === true && record !== undefined && hasFailedPreview(record);
    const runId = randomUUID();
    // The decision's audit record is written by the same statement as the decision (issue 32.3).
    const decidedAt = new Date();
    const decisionAudit = deps.audit ? decisionAuditRecord({ record, actorId: user.id, approve, automatic, autoRevert, reason, runId, decidedAt, approvedWithoutPreview, ip, ...(passkeyAssertion ? { passkeyAssertion } : {}), ...(breakGlass ? { breakGlass } : {}) }) : undefined;
    const decision = { conversationId, callId, approve, decidedBy: user.id, reason, automatic, autoRevert, decisionRunId: runId, decidedAt, ...(decisionAudit ? { audit: decisionAudit } : {}), ...(passkeyAssertion ? { passkeyAssertion: { ...passkeyAssertion } } : {}), ...(breakGlass ? { breakGlass } : {}) };
    // Not decided (its record could not be written with it): the conversation is free again, the call still waits.
    const releasing = async (error: unknown): Promise<never> => {
      await storage.runs.finish(runId).catch(() => undefined);
      throw error;
    };
    // The state the run resumes from is read once the conversation is claimed, so no run can write it before the
    // run started here takes it (its graph takes this read instead of making its own: graph/resume-checkpoint.ts);
    // unreadable, the run reads it itself. The paused turn read above is that state when nothing was written since.
    const resumeState = async () => (approve ? checkpoints.readAgain(conversationId, await pausedTurn.catch(() => undefined)).catch(() => undefined) : undefined);
    // Issue 75 item 2: the paused turn must hold the call, or no run can resume it. Read before the claim, it may
    // be a run's that is still saving its turn: the conversation is claimed first (409 RUN_IN_PROGRESS while that
    // run holds it) and the turn read again; still not there, the call is closed and the decision refused.
    const claimedToCheck = record.status === 'awaiting' && !pausedCallIds(await pausedTurn).includes(callId) ? await claimToCheckResumable(conversationId, runId, user.id, callId) : undefined;
    // The claim and the decision in one statement where the store can (issue 38: a round trip fewer on the way to
    // the tool); when that claim is refused nothing was written, and the claim takes the long way (409, 429, a
    // stopped run's grace) before the decision.
    const together =
      storage.approvals.decideClaimingRun && !claimedToCheck
        ? await storage.approvals.decideClaimingRun({ ...decision, claim: { leaseMs: deps.config.runLeaseMs, userId: user.id, maxRunningPerUser: deps.config.maxRunsPerUser } }).catch(releasing)
        : { claimed: false as const };
    let resumeFrom: Awaited<ReturnType<typeof resumeState>>;
    let decided: ApprovalRecord | undefined;
    if (together.claimed) {
      decided = together.decided;
      resumeFrom = decided ? await resumeState() : undefined;
    } else if (claimedToCheck) {
      [resumeFrom, decided] = [approve ? claimedToCheck.turn : undefined, await storage.approvals.decide(decision).catch(releasing)];
    } else {
      await claim(conversationId, runId, user.id);
      // Read while the decision is recorded (one round trip). The atomic awaiting → decided update is what makes a
      // double click (or two engines) execute once.
      [resumeFrom, decided] = await Promise.all([resumeState(), storage.approvals.decide(decision).catch(releasing)]);
    }
    if (!decided) {
      await storage.runs.finish(runId);
      throw new AgentRequestError(409, 'ALREADY_DECIDED', `Tool call ${callId} was already decided; nothing was executed again.`);
    }
    const clusterContext = conversationClusters?.forRun(conversation.userId, conversation.cluster);
    clusterContext?.catch(() => undefined);
    const start = launch(conversationId, runId, async (release) =>
      checkpoints.resumeWith(conversationId, resumeFrom, async () =>
        runAgent(runDeps, { release, runId, conversationId, wantsTitle: false, decided, requester: { id: conversation.userId }, approver: { id: user.id, email: user.email, role: user.role }, ...(await clusterContext) }),
      ),
    );
    return { runId, conversationId, start };
  };
}
