/**
 * An approval's decision and execution, each one conditional UPDATE … RETURNING (so two engine processes racing on the
 * same call cannot both win): awaiting → approved/denied (with its audit record, or with the run it starts claimed),
 * approved → executing (with its audit record), executing → executed/failed/unknown. The statements are rendered once
 * per shape (rendered-statements.ts).
 */
import { and, eq, or, type SQL } from 'drizzle-orm';
import type { AuditRecordSigner } from '../../../platform/crypto/audit-record-signer.ts';
import type { ApprovalRecord, ApprovalStore, DecisionInput } from '../../../platform/ports/index.ts';
import { isUuid } from '../../../platform/ports/conversation-cursor.ts';
import { decideClaimingRunStatement } from './decide-claiming-run.ts';
import { preparedOnce, slot } from '../rendered-statements.ts';
import { underUserRunLock } from './run-store.ts';
import { auditedChange } from './audit-append.ts';
import { approvalKey, approvalRowFromDriver, toApprovalRecord, type ApprovalRow } from './approval-rows.ts';
import type { SkyfloDatabase } from '../database.ts';
import { approvals } from '../schema.ts';

/** Which variant of the decision's UPDATE: its text differs only by these (its values are placeholders). */
type DecisionShape = `${'approve' | 'deny'}${'' | '+passkey'}${'' | '+breakglass'}`;
const decisionShapeOf = (input: DecisionInput): DecisionShape => `${input.approve ? 'approve' : 'deny'}${input.passkeyAssertion ? '+passkey' : ''}${input.approve && input.breakGlass ? '+breakglass' : ''}`;

/** The values of the decision update's placeholders (never null for a date or JSON column: see slot). */
function decisionValues({ conversationId, callId, approve, decidedBy, reason, automatic, autoRevert, decisionRunId, decidedAt, passkeyAssertion, breakGlass }: DecisionInput): Record<string, unknown> {
  return {
    conversation_id: conversationId,
    call_id: callId,
    decided_by: decidedBy,
    reason: reason ?? null,
    automatic: automatic === true,
    auto_revert: approve && autoRevert === true,
    decision_run_id: decisionRunId,
    decided_at: decidedAt ?? new Date(),
    ...(passkeyAssertion ? { passkey_assertion: passkeyAssertion } : {}),
    ...(approve && breakGlass ? { break_glass: { reason: breakGlass.reason, freeze: breakGlass.freeze, freeze_ends_at: breakGlass.freezeEndsAt.toISOString(), by: breakGlass.by } } : {}),
  };
}

type DecisionMethods = Pick<ApprovalStore, 'decide' | 'decideClaimingRun' | 'claimExecution' | 'markExecuted'>;

/** `exclusiveConnection`: PGlite's one connection, where a statement is atomic against every other (run-store.ts underUserRunLock). */
export function decisionStoreMethods(db: SkyfloDatabase, options: { auditSigner?: AuditRecordSigner | undefined; exclusiveConnection?: boolean }): DecisionMethods {
  /**
   * The awaiting → approved/denied update over placeholders (rendered once per shape where it runs with its run claim
   * or audit record: rendered-statements.ts); `condition` joins its WHERE (the audit chain is ready, the run was
   * claimed). Its values: decisionValues.
   */
  const decisionUpdate = (condition: SQL | undefined, shape: DecisionShape) =>
    db
      .update(approvals)
      .set({
        status: shape.startsWith('approve') ? 'approved' : 'denied',
        decidedBy: slot('decided_by'),
        reason: slot('reason'),
        automatic: slot('automatic'),
        autoRevert: slot('auto_revert'),
        decisionRunId: slot('decision_run_id'),
        decidedAt: slot('decided_at'),
        ...(shape.includes('+breakglass') ? { breakGlass: slot<NonNullable<ApprovalRow['breakGlass']>>('break_glass') } : {}),
        ...(shape.includes('+passkey') ? { passkeyAssertion: slot<NonNullable<DecisionInput['passkeyAssertion']>>('passkey_assertion') } : {}),
        // A denied call never runs: its exact arguments (possibly a Secret) have no reason to be kept.
        ...(shape.startsWith('approve') ? {} : { exactArgsSealed: null }),
      })
      .where(and(approvalKey(slot('conversation_id'), slot('call_id')), eq(approvals.status, 'awaiting'), condition))
      .returning();
  const auditedDecision = auditedChange(decisionUpdate);
  const decisionClaimingRun = decideClaimingRunStatement(decisionUpdate);
  /** The execution claim approved → executing, over placeholders (`conversation_id`, `call_id`, `run_id`). */
  const executionClaim = (chainReady?: SQL) =>
    db
      .update(approvals)
      .set({ status: 'executing', decisionRunId: slot('run_id') })
      .where(and(approvalKey(slot('conversation_id'), slot('call_id')), eq(approvals.status, 'approved'), chainReady))
      .returning({ callId: approvals.callId });
  const auditedExecutionClaim = auditedChange<'claim'>(executionClaim);
  /**
   * executing → executed/failed/unknown, the exact arguments dropped (they ran); values `conversation_id`, `call_id`,
   * `executed_at`, `result_summary`, `run_id` (null, or the run that executed it: then also over the reconciler's
   * `unknown` for that run, which the run's own answer settles)
   */
  const executionEnd = (status: 'executed' | 'failed' | 'unknown') =>
    db
      .update(approvals)
      .set({ status, executedAt: slot('executed_at'), resultSummary: slot('result_summary'), exactArgsSealed: null })
      .where(and(approvalKey(slot('conversation_id'), slot('call_id')), or(eq(approvals.status, 'executing'), and(eq(approvals.status, 'unknown'), eq(approvals.decisionRunId, slot<string>('run_id'))))))
      .returning({ callId: approvals.callId });
  const markedExecuted = preparedOnce(() => executionEnd('executed'));
  const markedFailed = preparedOnce(() => executionEnd('failed'));
  const markedUnknown = preparedOnce(() => executionEnd('unknown'));

  return {
    async decide(input) {
      if (!isUuid(input.conversationId)) return undefined;
      const shape = decisionShapeOf(input);
      // With its audit record: one statement, so the decision never exists without it (issue 32.3).
      if (input.audit) {
        const [raw] = await auditedDecision<Record<string, unknown>>(db, shape, decisionValues(input), input.audit, options.auditSigner);
        return raw ? toApprovalRecord(approvalRowFromDriver(raw)) : undefined;
      }
      const [row] = await decisionUpdate(undefined, shape).execute(decisionValues(input));
      return row ? toApprovalRecord(row) : undefined;
    },

    decideClaimingRun(input) {
      if (!isUuid(input.conversationId)) return Promise.resolve({ claimed: false });
      const statement = async (executor: SkyfloDatabase): Promise<{ claimed: false } | { claimed: true; decided: ApprovalRecord | undefined }> => {
        const outcome = await decisionClaimingRun(executor, input, decisionShapeOf(input), decisionValues(input), options.auditSigner);
        return outcome.claimed ? { claimed: true, decided: outcome.decided ? toApprovalRecord(approvalRowFromDriver(outcome.decided)) : undefined } : outcome;
      };
      return underUserRunLock(db, options.exclusiveConnection === true, input.claim.userId, statement);
    },

    async claimExecution({ conversationId, callId, runId, audit }) {
      if (!isUuid(conversationId)) return false;
      const values = { conversation_id: conversationId, call_id: callId, run_id: runId };
      // The execution start and its audit record commit together: a call that ran always has its record.
      const rows = audit ? await auditedExecutionClaim(db, 'claim', values, audit, options.auditSigner) : await executionClaim().execute(values);
      return rows.length > 0;
    },

    async markExecuted({ conversationId, callId, ok, unknown, runId, resultSummary }) {
      if (!isUuid(conversationId)) return false;
      const statement = unknown ? markedUnknown : ok ? markedExecuted : markedFailed;
      const rows = await statement().execute({ conversation_id: conversationId, call_id: callId, executed_at: new Date(), result_summary: resultSummary ?? null, run_id: runId ?? null });
      return rows.length > 0;
    },
  };
}
