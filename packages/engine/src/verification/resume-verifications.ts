/**
 * A verification never silently vanishes (issue 21): when the engine stopped while verifying a change, the row says
 * `verifying` with its deadline. The reconciler (agent/reconcile-orphaned-approvals.ts, at start and periodically)
 * claims such rows of dead runs and finishes them: the check is re-run with the budget that is left, or ends
 * `timed_out` when none is. The verdict goes to the row, the conversation's timeline and the audit trail.
 */
import type { AgentEvent } from '@skyflo/protocol';
import type { SecretBox } from '../crypto/secret-box.ts';
import type { ToolGateway } from '../mcp/tool-gateway.ts';
import type { ApprovalRecord, Storage } from '../ports/index.ts';
import { applyEventToTimeline } from '../timeline/apply-event.ts';
import { openBefore } from './baseline.ts';
import { canVerify, runVerification, type VerifyExecutedDeps } from './verify-executed.ts';

export interface ResumeVerificationDeps {
  storage: Pick<Storage, 'approvals' | 'conversations'>;
  tools?: ToolGateway;
  secretBox?: SecretBox;
  config: VerifyExecutedDeps['config'];
  everyRunIsDead?: boolean;
  /** sees each event (the audit trail); never throws */
  observeEvent?: (event: AgentEvent) => void;
  logger?: { error(object: unknown, message?: string): void };
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
  for (const record of stale) {
    const sealed = deps.secretBox ? openBefore(deps.secretBox, record.conversationId, record.callId, record.beforeSealed) : undefined;
    const verification = record.verification!;
    // Without the tool or the call's arguments, nothing can be re-checked: the remaining budget is taken as spent.
    const deadline = verifier && sealed ? verification.deadline : Math.min(verification.deadline, Date.now());
    const emit = async (payload: object) => {
      const event = { ...payload, type: 'tool.verification', conversation_id: record.conversationId, ...(record.decisionRunId ? { run_id: record.decisionRunId } : {}), timestamp: Date.now() } as AgentEvent;
      try {
        deps.observeEvent?.(event);
      } catch {
        // the audit observer never blocks the verdict
      }
      await deps.storage.conversations.updateTimeline(record.conversationId, (timeline) => applyEventToTimeline(timeline, event)).catch((error: unknown) => deps.logger?.error({ err: error, callId: record.callId }, 'could not show a resumed verification'));
    };
    try {
      await runVerification(
        { tools: (verifier ?? deps.tools)!, approvals: deps.storage.approvals, config: deps.config },
        { conversationId: record.conversationId, callId: record.callId, tool: record.tool, args: sealed?.args ?? record.args, ...(sealed?.before ? { before: sealed.before } : {}), ...(record.undoOf ? { undoOf: record.undoOf } : {}) },
        { emit, startedAt: verification.startedAt, deadline },
      );
    } catch (error) {
      deps.logger?.error({ err: error, callId: record.callId }, 'could not finish a verification left by a stopped engine');
    }
  }
  return stale.length;
}
