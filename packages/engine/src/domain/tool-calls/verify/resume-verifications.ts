/**
 * A verification never silently vanishes (issue 21): when the engine stopped while verifying a change, the row says
 * `verifying` with its deadline. The reconciler (execute/reconcile-orphaned-approvals.ts, at start and periodically)
 * claims such rows of dead runs and finishes them: the check is re-run with the budget that is left, or ends
 * `timed_out` when none is. The verdict goes to the row, the conversation's timeline and the audit trail.
 *
 * An approval given with automatic revert keeps that choice across the restart: the `verifying` state records it
 * (verify-executed.ts), and a resumed verdict of `regressed` runs the recorded inverse, verified too
 * (verify/auto-revert.ts), exactly as the run that was stopped would have.
 */
import { randomUUID } from 'node:crypto';
import { locateToolCard, type AgentEvent, type AgentEventPayload, type AgentEventType, type MemberScope, type TimelineEntry } from '@skyflo/protocol';
import { hashToolCall } from '../core/hash-tool-call.ts';
import type { ToolCallInspector } from '../core/tool-call-inspector.ts';
import { createClusterGate, type ClusterDeps } from '../../clusters/cluster-gate.ts';
import { callToolWithEvents } from '../core/gate-tools.ts';
import type { AgentConfig } from '../../../platform/config/agent.ts';
import type { SecretBox } from '../../../platform/crypto/secret-box.ts';
import type { JenkinsIntegration } from '../../tools/jenkins-args.ts';
import type { ToolGateway } from '../../../platform/ports/tool-gateway.ts';
import type { ApprovalRecord, Storage } from '../../../platform/ports/index.ts';
import { applyEventToTimeline } from '../../timeline/apply-event.ts';
import type { ClusterEnforcement } from '../../clusters/enforcement/cluster-enforcement.ts';
import { clusterCheckOf, prepareRevert, revertAutomatically, type AutoRevertDeps, type PreparedRevert, type RevertSurroundings } from './auto-revert.ts';
import { openBefore, type InverseCall, type SealedBefore } from '../core/baseline.ts';
import { jenkinsTarget, jenkinsVerifyInput } from './jenkins-result.ts';
import { whileNotStopped, type EmergencyStopSignal } from '../../emergency-stop/stop-signal.ts';
import { canVerify, runVerification, type VerifyExecutedDeps } from './verify-executed.ts';

export interface ResumeVerificationDeps {
  storage: Pick<Storage, 'approvals' | 'conversations'>;
  /** issue 34: an automatic revert on a cluster that enforces approvals runs with its own approval's credential */
  enforcement?: ClusterEnforcement;
  tools?: ToolGateway;
  secretBox?: SecretBox;
  config: VerifyExecutedDeps['config'] & Partial<Pick<AgentConfig, 'toolCallTimeoutMs'>>;
  /** risks and display of the inverse an automatic revert records; without it no revert is run here */
  inspector?: ToolCallInspector;
  /**
   * The clusters (issue 22): an automatic revert runs only on the cluster (name and API server) the original was
   * approved on, still writable, as the gate checks. Without them a revert bound to a cluster fails closed (Undo stays).
   */
  clusters?: ClusterDeps;
  /** a user's scope as it is now (issue 22), read before the revert runs */
  scopeOf?: (userId: string) => Promise<MemberScope | undefined>;
  /** EXECUTE_AS_APPROVER: no run knows the approver after a restart, so an automatic revert fails closed (Undo stays) */
  executeAsApprover?: unknown;
  /** the Jenkins integration, to follow a build whose verification was under way */
  jenkinsIntegration?: () => Promise<JenkinsIntegration | undefined>;
  everyRunIsDead?: boolean;
  /** APPROVAL_POLICY / APPROVAL_FOUR_EYES (issue 31): without it a resumed revert assumes four-eyes (fails closed) */
  approvalPolicy?: AutoRevertDeps['approvalPolicy'];
  /** issue 76: no automatic revert runs while the emergency stop is on */
  emergencyStop?: AutoRevertDeps['emergencyStop'];
  /** issue 76: the emergency stop ends a resumed verification too */
  emergencyStopSignal?: Pick<EmergencyStopSignal, 'hold'> | undefined;
  /** sees each event (the audit trail); never throws */
  observeEvent?: (event: AgentEvent) => void;
  logger?: { error(object: unknown, message?: string): void };
}

type Emit = RevertSurroundings['emit'];

/** Events of a resumed verification go where a run's would: the audit observer and the conversation's timeline. */
function emitterFor(deps: ResumeVerificationDeps, record: ApprovalRecord, runId: string | undefined): Emit {
  return async <T extends AgentEventType>(type: T, payload: AgentEventPayload<T>) => {
    const event = { ...payload, type, conversation_id: record.conversationId, ...(runId ? { run_id: runId } : {}), timestamp: Date.now() } as unknown as AgentEvent;
    try {
      deps.observeEvent?.(event);
    } catch {
      // the audit observer never blocks the verdict
    }
    await deps.storage.conversations.updateTimeline(record.conversationId, (timeline) => applyEventToTimeline(timeline, event)).catch((error: unknown) => deps.logger?.error({ err: error, callId: record.callId }, 'could not show a resumed verification'));
  };
}

/**
 * The call's recorded outcome, shown on its card before the verdict. The stopped run emitted `tool.result` just before
 * its verification began, but its timeline write is queued, not awaited: killed in between, the stored card still said
 * `executing` while the row said executed, and a verdict alone does not move a card's status. Timeline only, not the
 * audit observer: the outcome's audit record was written with the row (markExecuted). A card that has its outcome
 * (the write did land) is left as it is.
 */
async function showRecordedOutcome(deps: ResumeVerificationDeps, record: ApprovalRecord, runId: string | undefined): Promise<void> {
  // only a call that ran without an error is verified (execute-approved.ts): its outcome is a tool.result
  if (record.status !== 'executed') return;
  const event = { type: 'tool.result', call_id: record.callId, tool: record.tool, title: record.tool, args: record.args, result: [{ type: 'text', text: record.resultSummary ?? '' }], conversation_id: record.conversationId, ...(runId ? { run_id: runId } : {}), timestamp: Date.now() } as AgentEvent;
  await deps.storage.conversations.updateTimeline(record.conversationId, (timeline) => foldIntoUnsettledCard(timeline, record.callId, event)).catch((error: unknown) => deps.logger?.error({ err: error, callId: record.callId }, 'could not show the outcome of a call whose verification is resumed'));
}

const settledCardStatuses = new Set(['completed', 'error', 'denied']);

/**
 * Folds a tool event into the call's card (the fold finds it wherever it is: later messages may follow it) only while
 * the card has no outcome: the stored fold applies events as they come, so a card the run completed would have its
 * full result replaced by the row's 500-character summary.
 */
function foldIntoUnsettledCard(timeline: TimelineEntry[], callId: string, event: AgentEvent): TimelineEntry[] {
  const card = locateToolCard(timeline, callId)?.record;
  if (!card || settledCardStatuses.has(card.status)) return timeline;
  return applyEventToTimeline(timeline, event);
}

/** The automatic revert still applies: chosen, recorded with the verification, and the inverse is the one shown. */
function plannedRevert(record: ApprovalRecord, sealed: SealedBefore | undefined): boolean {
  if (record.autoRevert !== true || record.verification?.autoRevert !== true || !sealed?.inverse) return false;
  return record.undo?.argsHash === hashToolCall(sealed.inverse.tool, sealed.inverse.args);
}

/** Runs the revert's call outside any run, with the events the gate emits for any call (tool.executing, then tool.result or tool.error). */
function executorFor(deps: ResumeVerificationDeps & { tools: ToolGateway }, emit: Emit): Pick<RevertSurroundings, 'execute' | 'fail'> {
  return {
    execute: (identity, args, impersonate, credential) =>
      callToolWithEvents(emit, deps.tools, identity, { name: identity.tool, args, ...(deps.config.toolCallTimeoutMs ? { timeoutMs: deps.config.toolCallTimeoutMs } : {}), ...(impersonate ? { impersonate } : {}), ...(credential ? { credential } : {}) }, { change: true, ...(credential ? { approvalObject: credential.approval } : {}) }),
    fail: (identity, text, code) => emit('tool.error', { ...identity, error: text, code }),
  };
}

export async function resumeVerifications(deps: ResumeVerificationDeps): Promise<number> {
  let stale: ApprovalRecord[];
  try {
    // held for the whole budget plus slack, so no other process resumes the same one meanwhile
    stale = await deps.storage.approvals.claimStaleVerifications({ leaseMs: deps.config.verifyTimeoutSeconds * 1000 + 60_000, ...(deps.everyRunIsDead ? { everyRunIsDead: true } : {}) });
  } catch (error) {
    deps.logger?.error({ err: error }, 'could not look for verifications a stopped engine left unfinished');
    return 0;
  }
  const verifier = deps.tools && (await canVerify(deps.tools)) ? deps.tools : undefined;
  const scopeOf = deps.scopeOf ?? deps.clusters?.scopeOf;
  const clusterGate = deps.clusters && verifier ? createClusterGate({ ...deps.clusters, tools: verifier, ...(scopeOf ? { scopeOf } : {}) }) : undefined;
  for (const record of stale) {
    const sealed = deps.secretBox ? openBefore(deps.secretBox, record.conversationId, record.callId, record.beforeSealed) : undefined;
    const verification = record.verification!;
    // Without the tool or the call's arguments, nothing can be re-checked: the remaining budget is taken as spent.
    const deadline = verifier && sealed ? verification.deadline : Math.min(verification.deadline, Date.now());
    const emit = emitterFor(deps, record, record.decisionRunId);
    await showRecordedOutcome(deps, record, record.decisionRunId);
    const args = sealed?.args ?? record.args;
    const autoRevert = plannedRevert(record, sealed) && deps.inspector !== undefined && deps.secretBox !== undefined;
    const revertCallId = `${record.callId}-revert`;
    const revertInput = { original: record, inverse: sealed?.inverse as InverseCall, callId: revertCallId };
    const revertDeps = (tools: ToolGateway): AutoRevertDeps => ({ tools, approvals: deps.storage.approvals, secretBox: deps.secretBox!, inspector: deps.inspector!, config: deps.config, ...(deps.approvalPolicy ? { approvalPolicy: deps.approvalPolicy } : {}), ...(deps.enforcement ? { enforcement: deps.enforcement } : {}), ...(deps.emergencyStop ? { emergencyStop: deps.emergencyStop } : {}) });
    // the stopped run's id when known, so the revert sits beside the change in the timeline and the audit
    const runId = record.decisionRunId ?? randomUUID();
    const surroundings = (tools: ToolGateway): RevertSurroundings => ({
      conversationId: record.conversationId,
      runId,
      emit,
      actingAs: deps.executeAsApprover ? { ok: false } : { ok: true },
      ...executorFor({ ...deps, tools }, emit),
      checkCluster: clusterCheckOf(clusterGate, record.decidedBy ? { approverId: record.decidedBy } : {}),
    });
    let prepared: PreparedRevert | undefined;
    try {
      const jenkins = await jenkinsVerifyInput({ tool: record.tool, args, ...(record.resultSummary ? { resultSummary: record.resultSummary } : {}) }, deps.jenkinsIntegration);
      const { result, written, signal } = await whileNotStopped(deps.emergencyStopSignal, undefined, async (signal) => ({ signal, ...(await runVerification(
        { tools: (verifier ?? deps.tools)!, approvals: deps.storage.approvals, config: deps.config },
        {
          conversationId: record.conversationId,
          callId: record.callId,
          tool: record.tool,
          args,
          ...(sealed?.before ? { before: sealed.before } : {}),
          ...(record.undoOf ? { undoOf: record.undoOf } : {}),
          ...jenkinsTarget(jenkins),
          ...(autoRevert ? { autoRevert: true } : {}),
        },
        {
          emit: (payload) => emit('tool.verification', payload),
          startedAt: verification.startedAt,
          deadline,
          ...(signal ? { signal } : {}),
          // a revert that will not run on its own (issue 31) is not announced as the automatic revert
          afterVerdict: async (verdict) => {
            if (verdict.outcome !== 'regressed' || !autoRevert || signal?.aborted) return undefined;
            if (!verifier) return revertCallId;
            prepared = await prepareRevert(revertDeps(verifier), surroundings(verifier), revertInput);
            return prepared.withheld ? undefined : revertCallId;
          },
        },
      )) }));
      if (result.outcome === 'regressed' && autoRevert && written && verifier && !signal?.aborted) {
        await revertAutomatically(revertDeps(verifier), surroundings(verifier), revertInput, prepared);
      }
    } catch (error) {
      deps.logger?.error({ err: error, callId: record.callId }, 'could not finish a verification left by a stopped engine');
    }
  }
  return stale.length;
}
