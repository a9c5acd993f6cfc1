/** Calls awaiting (or past) a human decision: the approval aggregate. */
import type { ClusterPolicyMode, ClusterRef, PolicyVerdict, RiskFlag, UndoProposal, VerificationEvidence, VerificationOutcome } from '@skyflo/protocol';
import type { NewAuditEvent } from './audit.ts';

/**
 * APPROVAL_POLICY: `self`, the requester decides their own calls; `approver`, approvers and admins decide them
 * (tool-calls/decide/conversation-access.ts says what each role may do under it). A port type so clusters/ can name
 * it without importing the tool calls above it.
 */
export type ApprovalPolicyName = 'self' | 'approver';

/** The approval policy that applied to one call: its mode and where it came from ("cluster beta, namespace pay-*", "APPROVAL_POLICY"). */
export interface ApprovalPolicyApplied {
  mode: ClusterPolicyMode;
  source: string;
}

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
  /** the user whose chat proposed the call (for an alert's call: the owner of the alert token, whose conversation it is) */
  requestedBy?: string;
  /**
   * Issue 37 item 9: the call was proposed by an alert investigation, not by a person: the alert's receiver (or its
   * source when the payload names none). Four-eyes then counts the alert as the requester (decide.ts askedBy).
   */
  requestedByAlert?: string;
  /** the cluster the call changes (name and API server URL are bound into argsHash); absent without clusters */
  cluster?: ClusterRef;
  /** the namespace the call targets, when it has one */
  namespace?: string;
  /**
   * Every namespace the call writes, `namespace` first, when its objects reach beyond it (issue 31: a Helm chart's
   * rendered manifest); absent when the call writes only `namespace`.
   */
  namespaces?: string[];
  /** the call writes cluster-scoped objects too (a chart's ClusterRoleBinding): outside any namespace-limited scope */
  clusterScopedWrites?: boolean;
  /** the approval policy that applied to this call (per cluster/namespace, or the environment's default) */
  policy?: ApprovalPolicyApplied;
  /**
   * awaiting → approved|denied|cancelled (conversation deleted, or its run can no longer resume); approved → executing
   * (claimed, just before the tool runs) → executed|failed|unknown (its answer was lost); approved whose run died →
   * failed; executing whose run died → unknown (never re-run; its own run may still settle it to what the tool answered)
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
  /**
   * Verify, then undo (issue 21): the sealed before-state (tool-calls/core/baseline.ts: the before object, the exact
   * inverse call, the call's exact arguments), bound to this row and kept after execution (Undo needs it); erased
   * with the conversation.
   */
  beforeSealed?: string;
  /** the inverse as shown on the card (redacted args, summary, its preview) and the hash of its exact arguments */
  undo?: RecordedUndo;
  /** this call is the undo (or the automatic revert) of that call id */
  undoOf?: string;
  /** approved with automatic revert: a `regressed` verification runs the recorded inverse without asking again */
  autoRevert?: boolean;
  /** the engine's verification of the executed call */
  verification?: VerificationState;
  /** issue 35: the approver's verified passkey assertion over the call's facts (passkeys/approval-assertion.ts) */
  passkeyAssertion?: Record<string, unknown>;
  /** issue 76: the policies that matched the call when it was proposed (policies/policy-verdicts.ts) */
  policyVerdicts?: PolicyVerdict[];
  /**
   * Issue 76: under require_approvers, the approvals given so far while the call awaits more (oldest first) — each
   * person, when, and their passkey assertion or device key signature where one was asked for (shipped to a cluster's
   * executor, which counts only those).
   */
  coApprovals?: Array<{ userId: string; email?: string; at: Date; passkeyAssertion?: Record<string, unknown> }>;
  /**
   * issue 76: approved by an admin's break-glass during a change freeze (reason, the freeze it overrode, who): the
   * execution skips the freeze re-check for this call only (never the emergency stop)
   */
  breakGlass?: BreakGlass;
}

/** The inverse of a call as recorded: what the card showed (UndoProposal) plus the hash of its exact arguments. */
export interface RecordedUndo extends Omit<UndoProposal, 'second_person_required'> {
  argsHash: string;
  /** the inverse's risks and destructiveness as the gate assesses a call (issue 31: who may choose automatic revert) */
  risks?: RiskFlag[];
  destructive?: boolean;
  /**
   * why only someone other than the requester may approve with automatic revert (four-eyes applies to the inverse),
   * said under the policy the call was recorded with (tool-calls/decide/auto-revert-rules.ts secondPersonNote)
   */
  secondPersonRequired?: string;
}

/** The verification of one executed call, as stored (milliseconds since the epoch). */
export interface VerificationState {
  outcome: VerificationOutcome;
  summary: string;
  evidence: VerificationEvidence[];
  controller?: string;
  startedAt: number;
  finishedAt?: number;
  /** when the verification gives up (timed_out): started + VERIFY_TIMEOUT_SECONDS */
  deadline: number;
  /** the automatic revert started for a regressed call */
  autoRevertCallId?: string;
  /** a `regressed` verdict runs the recorded inverse (set when it starts, so a verification resumed after a restart does too) */
  autoRevert?: boolean;
}

export interface PendingApprovalRecord extends ApprovalRecord {
  conversationTitle: string;
  conversationOwnerId: string;
  /** the cluster the conversation is pinned to (who may reach it: tool-calls/decide/conversation-access.ts) */
  conversationCluster?: string;
  requester?: { email: string; name: string | null };
}

/** Where a page of the pending queue starts: after this call in (requested_at, conversation_id, call_id) order. */
export interface PendingCursor {
  requestedAt: Date;
  conversationId: string;
  callId: string;
}

/**
 * Which awaiting calls a reader may see (issue 79: the store counts and pages exactly these). Absent fields do not
 * narrow. The route derives it from the one access rule (tool-calls/decide/conversation-access.ts).
 */
export interface PendingFilter {
  /** only the calls of this user's conversations (and, with `orRecordedPolicyModes`, those recorded under these modes) */
  conversationOwnerId?: string;
  /** cluster policy modes (`approver`, `four_eyes`) whose calls the reader decides anywhere: listed beside their own */
  orRecordedPolicyModes?: readonly string[];
  /** only the calls of this conversation */
  conversationId?: string;
  /**
   * a reader limited to some clusters (issue 74 item 8): others' conversations only when pinned to a cluster one of
   * these patterns (`*` globs) matches; the reader's own always
   */
  reach?: { readerId: string; clusters: readonly string[] };
}

export type NewApproval = Omit<ApprovalRecord, 'status' | 'requestedAt' | 'decidedBy' | 'reason' | 'automatic' | 'decisionRunId' | 'decidedAt' | 'executedAt' | 'resultSummary' | 'autoRevert' | 'verification' | 'passkeyAssertion' | 'coApprovals'>;

/** A decision on an awaiting call (ApprovalStore.decide). */
export interface DecisionInput {
  conversationId: string;
  callId: string;
  approve: boolean;
  decidedBy: string;
  reason?: string;
  automatic?: boolean;
  autoRevert?: boolean;
  decisionRunId: string;
  /** when it was decided (default now): the audit record's details carry the same instant */
  decidedAt?: Date;
  /** the decision's audit record: written in the same statement, so the decision never commits without it */
  audit?: NewAuditEvent;
  /** issue 35: the verified passkey assertion, stored on the row by the same statement */
  passkeyAssertion?: Record<string, unknown>;
  /** issue 76: an admin's break-glass approval during a change freeze, stored on the row by the same statement */
  breakGlass?: BreakGlass;
}

/** Issue 76: an admin overrode a change freeze for one call (with their passkey and a reason). */
export interface BreakGlass {
  reason: string;
  freeze: string;
  freezeEndsAt: Date;
  by: string;
}

/** What claiming a conversation for a run needs (as RunStore.begin takes it; the run is the decision's run). */
export interface RunClaimInput {
  leaseMs: number;
  userId: string;
  maxRunningPerUser: number;
}

/** What a reconciler pass did: the decisions it closed, and where the runs it found dead had been working. */
export interface OrphansReconciled {
  /** approved-but-unclaimed calls now failed, executing ones now unknown */
  closed: ApprovalRecord[];
  /** the conversations of the runs this pass ended (each once) */
  conversationsOfDeadRuns: string[];
}

export interface ApprovalStore {
  /** Creates the awaiting row (idempotent per conversation+callId). */
  request(record: NewApproval): Promise<ApprovalRecord>;
  get(conversationId: string, callId: string): Promise<ApprovalRecord | undefined>;
  /**
   * What a decision reads first, in one query (P4: one database round trip instead of two on the approval path): the
   * conversation's owner and pinned cluster (as ConversationStore.access answers; undefined when it does not exist)
   * and the call's record in it. Optional: without it the caller asks the two stores.
   */
  getWithConversation?(conversationId: string, callId: string): Promise<{ conversation: { userId: string; cluster?: string } | undefined; record: ApprovalRecord | undefined }>;
  /**
   * Atomically moves awaiting → approved/denied and records the run that will act on the decision. Returns undefined
   * when the row is not awaiting (already decided, or never requested), so a second approval executes nothing. A
   * denial clears the sealed exact arguments.
   */
  decide(input: DecisionInput): Promise<ApprovalRecord | undefined>;
  /**
   * The claim of the conversation for the run that acts on the decision (`decisionRunId`, as RunStore.begin claims
   * it) and the decision, in one statement (issue 38 goal 5: one round trip fewer from the approval to the tool).
   * `claimed: false`: nothing was written (the conversation is held, the user's limit, the audit chain unready):
   * claim the long way, then `decide`. `claimed: true` with no record: the call was not awaiting; the run holds the
   * conversation and must be released. Optional: without it the caller claims and decides apart.
   */
  decideClaimingRun?(input: DecisionInput & { claim: RunClaimInput }): Promise<{ claimed: false } | { claimed: true; decided: ApprovalRecord | undefined }>;
  /**
   * Atomically moves approved → executing for `runId`, just before the tool runs; returns false when the call is not
   * approved-and-unclaimed. Only the winner executes, so a call runs at most once even if two runs resume it.
   */
  claimExecution(input: {
    conversationId: string;
    callId: string;
    runId: string;
    /** the execution start's audit record (tool.execution_started): written with the claim or the claim does not happen */
    audit?: NewAuditEvent;
  }): Promise<boolean>;
  /**
   * Atomically moves executing → executed/failed (`unknown: true`: → unknown, the change was sent and its answer lost)
   * and clears the sealed arguments; false when it was not claimed-and-unfinished. With `runId`, a row the reconciler
   * already closed as unknown for that run (its lease lapsed while the database was away) is settled too: the run
   * that executed the call knows what the tool answered.
   */
  markExecuted(input: { conversationId: string; callId: string; ok: boolean; unknown?: boolean; runId?: string; resultSummary?: string }): Promise<boolean>;
  /** Moves an approved (never claimed) call to failed with a reason and clears its sealed arguments; false when it was not approved. */
  failApproved(input: { conversationId: string; callId: string; reason: string }): Promise<boolean>;
  /**
   * Closes a call still awaiting a decision as cancelled with a reason (issue 75: the run that proposed it can no
   * longer resume) and clears its sealed arguments; false when it was not awaiting.
   */
  cancelAwaiting(input: { conversationId: string; callId: string; reason: string }): Promise<boolean>;
  listForConversation(conversationId: string): Promise<ApprovalRecord[]>;
  /**
   * Issue 76 item 6: an approved call a change freeze now holds goes back to awaiting (sealed arguments kept, decision
   * cleared, `risks` as given), from `approved` or from `executing` claimed by `runId` and never sent, with its audit
   * record in the same statement; false when it was neither. Optional: a store without it closes such calls unrun.
   */
  holdApproved?(input: { conversationId: string; callId: string; runId: string; risks: RiskFlag[]; audit: NewAuditEvent }): Promise<boolean>;
  /**
   * Issue 76: records one approval of an awaiting call that needs several approvers (require_approvers), the call
   * staying awaiting; undefined when it is no longer awaiting or this person already approved it. Optional: a store
   * without it cannot hold such calls, and the decision refuses them.
   */
  coApprove?(input: { conversationId: string; callId: string; userId: string; email?: string | undefined; at: Date; passkeyAssertion?: Record<string, unknown> | undefined }): Promise<ApprovalRecord | undefined>;
  /** Issue 76: the last `limit` recorded calls, newest first ("what would this policy have done"). */
  listRecent?(limit: number): Promise<ApprovalRecord[]>;
  /**
   * Calls awaiting a decision, oldest first, with their conversation and requester: at most `limit` (default 200)
   * after `after`, of those `filter` lets through. Page with the last one's (requestedAt, conversationId, callId).
   */
  listPending(input?: PendingFilter & { limit?: number; after?: PendingCursor }): Promise<PendingApprovalRecord[]>;
  /** How many calls `filter` lets through await a decision: the queue's total, whatever page is shown. */
  countPending(filter?: PendingFilter): Promise<number>;
  /**
   * Closes decisions whose run died (its lease lapsed or it finished without acting): approved-but-unclaimed → failed,
   * executing → unknown. Returns the records it changed, so their conversations can show what happened.
   * `everyRunIsDead`: this process has the database to itself and just started (PGlite's data-dir lock), so every
   * run still marked running died with the previous process; they are ended first, leases notwithstanding.
   * Also returns the conversations of the runs this pass ended: a run killed outright never wrote the outcomes it had
   * queued for its timeline, so their cards may still show calls under way.
   */
  reconcileOrphans(options?: { everyRunIsDead?: boolean }): Promise<OrphansReconciled>;
  /** Replaces the result text of a call whose outcome is unknown (adds what the cluster shows now); false otherwise. */
  noteUnknownOutcome?(input: { conversationId: string; callId: string; resultSummary: string }): Promise<boolean>;
  /** Records the before-state captured just before execution (and the inverse it implies); false when the row is gone. */
  recordBaseline(input: { conversationId: string; callId: string; beforeSealed: string; undo?: RecordedUndo }): Promise<boolean>;
  /** Sets the automatic-revert choice of an approved call (with its decision, in the same request). */
  setAutoRevert(input: { conversationId: string; callId: string; autoRevert: boolean }): Promise<boolean>;
  /**
   * Stores a verification state. A final outcome is written only over `verifying` (conditional update), so a verification
   * resumed after a restart and a late writer cannot both finish it; returns whether it was written.
   */
  saveVerification(input: { conversationId: string; callId: string; verification: VerificationState }): Promise<boolean>;
  /**
   * Verifications left `verifying` by a run that died (its lease lapsed or it finished), claimed by this process for
   * `leaseMs` so only one resumes each. `everyRunIsDead` as in reconcileOrphans.
   */
  claimStaleVerifications(input: { leaseMs: number; everyRunIsDead?: boolean }): Promise<ApprovalRecord[]>;
  /** Of these conversations, those with a change verified `regressed` that was not undone since. */
  regressedConversations(conversationIds: string[]): Promise<Set<string>>;
}
