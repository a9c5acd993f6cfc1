/**
 * Issue 76 item 6: an approval given before a change freeze began, and not yet executed when the freeze holds, is
 * held — neither run nor lost. Its row goes back to awaiting (its sealed exact arguments kept, its decision cleared),
 * so it runs only if someone approves it again, and that approval is judged as any other is during the freeze
 * (refused, unless an admin breaks the glass) and after it.
 *
 * From `approved`, or from `executing` when the run holding it is the one that claimed it at its start and sent
 * nothing (execution-claim.ts); with its audit record (`approval.held`) in the same statement.
 */
import { and, eq, or } from 'drizzle-orm';
import type { AuditRecordSigner } from '../../../platform/crypto/audit-record-signer.ts';
import type { NewAuditEvent, RiskFlag } from '../../../platform/ports/index.ts';
import { auditedChange } from './audit-append.ts';
import { jsonSlot, slot } from '../rendered-statements.ts';
import type { SkyfloDatabase } from '../database.ts';
import { approvals } from '../schema.ts';

export interface HoldInput {
  conversationId: string;
  callId: string;
  /** the run that claimed it at its start (its claim is released by the hold) */
  runId: string;
  /** the risks the card shows from now on (the freeze that holds it first) */
  risks: RiskFlag[];
  audit: NewAuditEvent;
}

export function createApprovalHold(db: SkyfloDatabase, auditSigner: AuditRecordSigner | undefined) {
  const held = auditedChange<'hold'>((chainReady) =>
    db
      .update(approvals)
      .set({
        status: 'awaiting',
        decidedBy: null,
        decidedAt: null,
        decisionRunId: null,
        reason: null,
        automatic: false,
        autoRevert: false,
        passkeyAssertion: null,
        // Re-confirming means deciding again: approvals counted before the freeze do not count after it.
        coApprovals: null,
        breakGlass: null,
        risks: jsonSlot('risks'),
      })
      .where(
        and(
          eq(approvals.conversationId, slot<string>('conversation_id')),
          eq(approvals.callId, slot<string>('call_id')),
          or(eq(approvals.status, 'approved'), and(eq(approvals.status, 'executing'), eq(approvals.decisionRunId, slot<string>('run_id')))),
          chainReady,
        ),
      )
      .returning({ callId: approvals.callId }),
  );

  /** True when the call was held; false when it was neither approved nor this run's unsent claim (decided elsewhere). */
  return async function holdApproved(input: HoldInput): Promise<boolean> {
    const rows = await held(db, 'hold', { conversation_id: input.conversationId, call_id: input.callId, run_id: input.runId, risks: JSON.stringify(input.risks) }, input.audit, auditSigner);
    return rows.length > 0;
  };
}
