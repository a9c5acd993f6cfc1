/** A tool call waiting for, or past, its decision: the exact change, who decided, what ran, how it verified. */
import { sql } from 'drizzle-orm';
import { boolean, index, jsonb, pgTable, primaryKey, text, uuid, varchar } from 'drizzle-orm/pg-core';
import { instant } from './columns.ts';

/**
 * The approval audit. No foreign key to conversations on purpose: who approved which exact call must
 * survive the deletion of the conversation it happened in.
 */
export const approvals = pgTable(
  'approvals',
  {
    conversationId: uuid('conversation_id').notNull(),
    callId: text('call_id').notNull(),
    runId: text('run_id').notNull(),
    tool: text('tool').notNull(),
    /** the arguments as shown to the approver: Secret values replaced by key, length and digest */
    args: jsonb('args').$type<Record<string, unknown>>().notNull(),
    /** sha-256 of the canonical JSON of {tool, exact args} */
    argsHash: text('args_hash').notNull(),
    /**
     * The exact arguments to execute, AES-256-GCM sealed (crypto/secret-box.ts) and bound to this row; cleared once
     * the call ran or was denied, cancelled or failed, so no clear copy of a proposed Secret outlives its decision.
     */
    exactArgsSealed: text('exact_args_sealed'),
    diff: text('diff'),
    /** sha-256 of the preview shown; the preview is re-run before execution and must still match */
    diffHash: text('diff_hash'),
    /** the pinned artifact (Helm chart archive) that will be installed, "sha256:<hex>" */
    artifactDigest: text('artifact_digest'),
    /** how relative arguments were made absolute before the approval was requested */
    resolution: jsonb('resolution').$type<string[]>().notNull().default([]),
    risks: jsonb('risks').$type<Array<{ code: string; message: string; severity: string }>>().notNull().default([]),
    destructive: boolean('destructive').notNull().default(false),
    policyReason: text('policy_reason'),
    /** the cluster the call changes, {name, server, label?}: bound into args_hash */
    cluster: jsonb('cluster').$type<{ name: string; server: string; label?: string }>(),
    /**
     * the namespace the call targets, when it has one; for a call whose objects reach further, every namespace it
     * writes ("staging,prod", "*" for cluster-scoped objects: approval-store.ts encodeNamespaces)
     */
    namespace: text('namespace'),
    /**
     * the approval policy that applied (read_only | self | approver | four_eyes) and where it came from; with
     * `requested_by_alert` (issue 37 item 9, no column of its own) the alert receiver that asked for the call
     */
    policy: jsonb('policy').$type<{ mode?: string; source?: string; requested_by_alert?: string }>(),
    /** the user whose chat proposed the call */
    requestedBy: uuid('requested_by'),
    /**
     * awaiting → approved|denied|cancelled; approved → executing → executed|failed; executing whose run died →
     * unknown (never re-run: the call may or may not have reached the cluster); approved whose run died → failed
     */
    status: varchar('status', { length: 20 }).notNull().default('awaiting'),
    decidedBy: text('decided_by'),
    reason: text('reason'),
    /** approved by `skyflo chat --approve-all` (evaluation only) */
    automatic: boolean('automatic').notNull().default(false),
    /** the run started by the decision, which executes an approved call */
    decisionRunId: text('decision_run_id'),
    requestedAt: instant('requested_at').notNull().defaultNow(),
    decidedAt: instant('decided_at'),
    executedAt: instant('executed_at'),
    resultSummary: text('result_summary'),
    /**
     * Verify, then undo (issue 21, migration 0009). The before-state of what the call changes, with the exact inverse
     * call that restores it and the call's exact arguments (for a verification resumed after a restart), sealed like
     * the exact arguments and bound to this row; erased with the conversation.
     */
    beforeSealed: text('before_sealed'),
    /** the inverse as shown (redacted args, summary, preview diff) and its args hash */
    undo: jsonb('undo').$type<Record<string, unknown>>(),
    /** this call is the undo (or automatic revert) of that call id */
    undoOf: text('undo_of'),
    /** approved with automatic revert */
    autoRevert: boolean('auto_revert').notNull().default(false),
    /** verifying | verified | regressed | reverted_by_controller | timed_out | not_applicable | stopped; null: never verified */
    verificationOutcome: varchar('verification_outcome', { length: 30 }),
    /** summary, evidence (redacted), controller, started/finished/deadline ms, auto_revert_call_id */
    verification: jsonb('verification').$type<Record<string, unknown>>(),
    /** a verification resumed after a restart is held by one process until then */
    verificationLeaseUntil: instant('verification_lease_until'),
    /**
     * Issue 35: the approver's verified passkey assertion over the call's facts (credential id, authenticatorData,
     * clientDataJSON, signature, user handle, the signed facts and expiry): with the registered public key, anyone
     * (the executor, a reviewer) can check that this person approved exactly this call.
     */
    passkeyAssertion: jsonb('passkey_assertion').$type<Record<string, unknown>>(),
    /** issue 76 (migration 0026): the policies that matched the call when it was proposed (name, version, effect, message) */
    policyVerdicts: jsonb('policy_verdicts').$type<Array<Record<string, unknown>>>(),
    /** issue 76: under require_approvers, the approvals given so far while the call awaits more ([{user_id, email, at, passkey_assertion}]) */
    coApprovals: jsonb('co_approvals').$type<Array<{ user_id: string; email?: string; at: string; passkey_assertion?: Record<string, unknown> }>>(),
    /** issue 76 (migration 0030): an admin's break-glass approval during a change freeze ({reason, freeze, freeze_ends_at, by}) */
    breakGlass: jsonb('break_glass').$type<{ reason: string; freeze: string; freeze_ends_at: string; by: string }>(),
  },
  (table) => [
    primaryKey({ columns: [table.conversationId, table.callId] }),
    index('approvals_status_idx').on(table.status),
    // migration 0025: the queue of GET /approvals/pending, oldest first
    index('approvals_awaiting_idx').on(table.requestedAt, table.conversationId, table.callId).where(sql`${table.status} = 'awaiting'`),
    index('approvals_verification_idx').on(table.verificationOutcome),
  ],
);
