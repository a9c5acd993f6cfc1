/**
 * Verify (issue 21): after an approved mutating call executed, the engine — not the model — checks what it changed.
 * Streams `tool.verification` with outcome `verifying`, runs the watch-based check (verify-change.ts) bounded by
 * VERIFY_TIMEOUT_SECONDS, stores the verdict on the approval row and streams it once. The row says `verifying`
 * while the check runs, with its deadline, so a restart finishes or times it out (resume-verifications.ts).
 */
import { EmergencyStopped } from '../../emergency-stop/stop-signal.ts';
import type { AgentEventPayload } from '@skyflo/protocol';
import { offersTool, type JenkinsCallCredentials, type ToolGateway } from '../../../platform/ports/tool-gateway.ts';
import type { ApprovalStore, VerificationState } from '../../../platform/ports/index.ts';
import type { AgentConfig } from '../../../platform/config/agent.ts';
import { verifyChange, verifyChangeTool, type VerificationResult } from './verify-change.ts';
import { checkSymptom } from './symptom-check.ts';
import type { ObservabilitySources } from '@skyflo/protocol';

export interface VerifyExecutedDeps {
  tools: ToolGateway;
  approvals: ApprovalStore;
  config: Pick<AgentConfig, 'verifyTimeoutSeconds' | 'verifyHoldSeconds'>;
}

export interface VerifyTarget {
  conversationId: string;
  callId: string;
  tool: string;
  /** the exact arguments that ran */
  args: Record<string, unknown>;
  before?: Record<string, unknown>;
  undoOf?: string;
  /** what the call's result says to follow (Jenkins: the build it started) */
  result?: Record<string, unknown>;
  jenkinsCredentials?: JenkinsCallCredentials;
  /** why this call cannot be checked at all (e.g. no Jenkins integration any more): it ends timed_out with this */
  unverifiable?: string;
  /** issue 78: the symptom query the conversation ran, re-asked as of `before` (unix seconds) and after the verdict */
  symptom?: { query: string; sources: ObservabilitySources; before: number };
  /**
   * Approved with automatic revert, and the inverse recorded before execution is the one the approver saw: stored
   * with `verifying`, so a verification resumed after a restart still runs the revert on `regressed`.
   */
  autoRevert?: boolean;
}

type VerificationEvent = AgentEventPayload<'tool.verification'>;

/** Whether the MCP server offers the verification tool (an older server: nothing is verified, nothing is streamed). */
export async function canVerify(tools: Pick<ToolGateway, 'listTools'>): Promise<boolean> {
  try {
    return await offersTool(tools, verifyChangeTool);
  } catch {
    return false;
  }
}

export function verificationEvent(target: Pick<VerifyTarget, 'callId' | 'tool' | 'undoOf'>, state: VerificationState): VerificationEvent {
  return {
    call_id: target.callId,
    tool: target.tool,
    outcome: state.outcome,
    summary: state.summary,
    evidence: state.evidence,
    ...(state.controller ? { controller: state.controller } : {}),
    started_at: state.startedAt,
    ...(state.finishedAt !== undefined ? { finished_at: state.finishedAt } : {}),
    ...(target.undoOf ? { undo_of: target.undoOf } : {}),
    ...(state.autoRevertCallId ? { auto_revert_call_id: state.autoRevertCallId } : {}),
  } as VerificationEvent;
}

/**
 * Runs one verification. `emit` streams the events; `afterVerdict` (awaited) may name the automatic revert that the final
 * event announces (it runs after the verdict is stored). `remainingMs` shortens the budget (a resumed verification).
 */
export async function runVerification(
  deps: VerifyExecutedDeps,
  target: VerifyTarget,
  hooks: {
    emit: (payload: VerificationEvent) => Promise<void>;
    signal?: AbortSignal;
    startedAt?: number;
    deadline?: number;
    afterVerdict?: (result: VerificationResult) => string | undefined | Promise<string | undefined>;
  },
): Promise<{ result: VerificationResult; state: VerificationState; written: boolean }> {
  const startedAt = hooks.startedAt ?? Date.now();
  const deadline = hooks.deadline ?? startedAt + deps.config.verifyTimeoutSeconds * 1000;
  // how long the wait may be: the UI shows "Verifying… up to 120 s", the terminal's spinner "verifying k8s_scale: up
  // to 120 s" (a change that never settles is watched for all of VERIFY_TIMEOUT_SECONDS); it said "Verifying k8s_scale…"
  const budgetSeconds = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
  const verifying: VerificationState = { outcome: 'verifying', summary: `up to ${budgetSeconds} s`, evidence: [], startedAt, deadline, ...(target.autoRevert ? { autoRevert: true } : {}) };
  await deps.approvals.saveVerification({ conversationId: target.conversationId, callId: target.callId, verification: verifying });
  await hooks.emit(verificationEvent(target, verifying));
  const remainingSeconds = (deadline - Date.now()) / 1000;
  let verdict: VerificationResult =
    target.unverifiable !== undefined
      ? { outcome: 'timed_out', summary: target.unverifiable, evidence: [] }
      : remainingSeconds <= 0
      ? { outcome: 'timed_out', summary: `No verdict within ${deps.config.verifyTimeoutSeconds}s (VERIFY_TIMEOUT_SECONDS).`, evidence: [] }
      : await verifyChange(deps.tools, {
          tool: target.tool,
          args: target.args,
          ...(target.before ? { before: target.before } : {}),
          ...(target.result ? { result: target.result } : {}),
          ...(target.jenkinsCredentials ? { jenkinsCredentials: target.jenkinsCredentials } : {}),
          timeoutSeconds: remainingSeconds,
          ...(deps.config.verifyHoldSeconds !== undefined ? { holdSeconds: deps.config.verifyHoldSeconds } : {}),
          ...(hooks.signal ? { signal: hooks.signal } : {}),
        });
  // Issue 76: the emergency stop ended it (the MCP server's watch was cancelled with the signal): said as such, not as
  // a timeout or a failure to verify.
  const stop = hooks.signal?.aborted && hooks.signal.reason instanceof EmergencyStopped ? hooks.signal.reason : undefined;
  if (stop) verdict = { outcome: 'stopped', summary: `the emergency stop was engaged while it was checked (since ${stop.state.since.toISOString()}, by ${stop.state.by.email}${stop.state.reason ? `: ${stop.state.reason}` : ''}). The change had been made; how it went was not checked — look at it before lifting the stop.`, evidence: [] };
  // the symptom beside the verdict: evidence, never a change of it (the watch-based check decides)
  const symptom = target.symptom && !hooks.signal?.aborted ? await checkSymptom(deps.tools, { ...target.symptom, ...(hooks.signal ? { signal: hooks.signal } : {}) }) : undefined;
  const result: VerificationResult = symptom ? { ...verdict, summary: `${verdict.summary}; ${symptom.summary}`, evidence: [...verdict.evidence, symptom.evidence] } : verdict;
  const autoRevertCallId = await hooks.afterVerdict?.(result);
  const state: VerificationState = {
    outcome: result.outcome,
    summary: result.summary,
    evidence: result.evidence,
    ...(result.controller ? { controller: result.controller } : {}),
    startedAt,
    finishedAt: Date.now(),
    deadline,
    ...(target.autoRevert ? { autoRevert: true } : {}),
    ...(autoRevertCallId ? { autoRevertCallId } : {}),
  };
  // Conditional: only over `verifying`, so a resumed check and a late one cannot both finish it.
  const written = await deps.approvals.saveVerification({ conversationId: target.conversationId, callId: target.callId, verification: state });
  if (written) await hooks.emit(verificationEvent(target, state));
  return { result, state, written };
}
