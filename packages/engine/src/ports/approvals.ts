/** Calls awaiting (or past) a human decision: the approval aggregate. */
import type { RiskFlag } from '@skyflo/protocol';

/** A risk found in a mutating call, shown on the approval card (protocol riskFlagSchema). */
export type { RiskFlag } from '@skyflo/protocol';

/** One approval decision: the audit row tying requester, approver, exact call, diff and outcome together. */
export interface ApprovalRecord {
  conversationId: string;
  callId: string;
  runId: string;
  tool: string;
  /** the arguments as shown to the approver (Secret values replaced by key, length and digest) */
  args: Record<string, unknown>;
  /** sha-256 of the canonical JSON of {tool, exact args}: what the approval is bound to */
  argsHash: string;
  /** the exact arguments, sealed with the engine's encryption key; absent once the call is decided and done */
  exactArgsSealed?: string;
  diff?: string;
  /** sha-256 of the preview shown; the preview is re-run before execution and must still match */
  diffHash?: string;
  /** the pinned artifact that will be installed (a Helm chart archive), "sha256:<hex>" */
  artifactDigest?: string;
  /** how relative arguments were made absolute before approval */
  resolution: string[];
  risks: RiskFlag[];
  /** the call can lose data or take a service down (scale to 0, delete, uninstall, drain), judged from its arguments */
  destructive: boolean;
  /** why the approval policy requires a human */
  policyReason?: string;
  /** the user whose chat proposed the call */
  requestedBy?: string;
  /**
   * awaiting → approved|denied|cancelled (conversation deleted); approved → executing (claimed, just before the tool
   * runs) → executed|failed; approved whose run died → failed; executing whose run died → unknown (never re-run)
   */
  status: 'awaiting' | 'approved' | 'denied' | 'cancelled' | 'executing' | 'executed' | 'failed' | 'unknown';
  decidedBy?: string;
  reason?: string;
  /** approved by `skyflo chat --approve-all` */
  automatic: boolean;
  /** the run that executes (or was to execute) an approved call */
  decisionRunId?: string;
  requestedAt: Date;
  decidedAt?: Date;
  executedAt?: Date;
  resultSummary?: string;
}

export interface PendingApprovalRecord extends ApprovalRecord {
  conversationTitle: string;
  conversationOwnerId: string;
  requester?: { email: string; name: string | null };
}

export type NewApproval = Omit<ApprovalRecord, 'status' | 'requestedAt' | 'decidedBy' | 'reason' | 'automatic' | 'decisionRunId' | 'decidedAt' | 'executedAt' | 'resultSummary'>;

export interface ApprovalStore {
  /** Creates the awaiting row (idempotent per conversation+callId). */
  request(record: NewApproval): Promise<ApprovalRecord>;
  get(conversationId: string, callId: string): Promise<ApprovalRecord | undefined>;
  /**
   * Atomically moves awaiting → approved/denied and records the run that will act on the decision. Returns undefined
   * when the row is not awaiting (already decided, or never requested), so a second approval executes nothing. A
   * denial clears the sealed exact arguments.
   */
  decide(input: { conversationId: string; callId: string; approve: boolean; decidedBy: string; reason?: string; automatic?: boolean; decisionRunId: string }): Promise<ApprovalRecord | undefined>;
  /**
   * Atomically moves approved → executing for `runId`, just before the tool runs; returns false when the call is not
   * approved-and-unclaimed. Only the winner executes, so a call runs at most once even if two runs resume it.
   */
  claimExecution(input: { conversationId: string; callId: string; runId: string }): Promise<boolean>;
  /** Atomically moves executing → executed/failed and clears the sealed arguments; false when it was not claimed-and-unfinished. */
  markExecuted(input: { conversationId: string; callId: string; ok: boolean; resultSummary?: string }): Promise<boolean>;
  /** Moves an approved (never claimed) call to failed with a reason and clears its sealed arguments; false when it was not approved. */
  failApproved(input: { conversationId: string; callId: string; reason: string }): Promise<boolean>;
  listForConversation(conversationId: string): Promise<ApprovalRecord[]>;
  /** Calls awaiting a decision, oldest first, with their conversation and requester; only one owner's when given. */
  listPending(filter?: { conversationOwnerId?: string; limit?: number }): Promise<PendingApprovalRecord[]>;
  /**
   * Closes decisions whose run died (its lease lapsed or it finished without acting): approved-but-unclaimed → failed,
   * executing → unknown. Returns the records it changed, so their conversations can show what happened.
   * `everyRunIsDead`: this process has the database to itself and just started (PGlite's data-dir lock), so every
   * run still marked running died with the previous process; they are ended first, leases notwithstanding.
   */
  reconcileOrphans(options?: { everyRunIsDead?: boolean }): Promise<ApprovalRecord[]>;
  /** Replaces the result text of a call whose outcome is unknown (adds what the cluster shows now); false otherwise. */
  noteUnknownOutcome?(input: { conversationId: string; callId: string; resultSummary: string }): Promise<boolean>;
}
