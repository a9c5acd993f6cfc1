import { and, asc, eq, getTableColumns, inArray, isNotNull, lt, or, sql, type SQL } from 'drizzle-orm';
import type { AuditRecordSigner } from '../../../platform/crypto/audit-record-signer.ts';
import type { PolicyVerdict } from '@skyflo/protocol';
import type { ApprovalPolicyApplied, ApprovalRecord, ApprovalStore, DecisionInput, PendingFilter, RiskFlag } from '../../../platform/ports/index.ts';
import { decideClaimingRunStatement } from './decide-claiming-run.ts';
import { jsonSlot, jsonText, preparedOnce, slot } from '../rendered-statements.ts';
import { underUserRunLock } from './run-store.ts';
import { auditedChange } from './audit-append.ts';
import { createApprovalHold } from './approval-hold.ts';
import { isUuid } from '../../../platform/ports/conversation-cursor.ts';
import { verificationFieldsOf, verificationStoreMethods } from './verification-store.ts';
import { createTableStatistics } from '../table-statistics.ts';
import { clusterPatternAsLike } from './conversation-search.ts';
import type { SkyfloDatabase } from '../database.ts';
import { approvals, conversations, runs, users } from '../schema.ts';

type ApprovalRow = typeof approvals.$inferSelect;

/** The awaiting calls a PendingFilter lets through (approvals joined with their conversation). */
function pendingConditions(filter: PendingFilter): SQL[] {
  const conditions: SQL[] = [eq(approvals.status, 'awaiting')];
  if (filter.conversationId !== undefined) conditions.push(isUuid(filter.conversationId) ? eq(approvals.conversationId, filter.conversationId) : sql`false`);
  if (filter.conversationOwnerId !== undefined) {
    const owned = eq(conversations.userId, filter.conversationOwnerId);
    const modes = filter.orRecordedPolicyModes ?? [];
    conditions.push(modes.length > 0 ? or(owned, inArray(sql`${approvals.policy}->>'mode'`, [...modes]))! : owned);
  }
  if (filter.reach) {
    const patterns = filter.reach.clusters.map((pattern) => sql`${conversations.cluster} like ${clusterPatternAsLike(pattern)} escape '\\'`);
    conditions.push(or(eq(conversations.userId, filter.reach.readerId), ...patterns)!);
  }
  return conditions;
}

/**
 * The `namespace` column holds the call's namespace and, for a call whose objects reach beyond it (issue 31: a Helm
 * chart's manifest), every namespace it writes, comma-separated with its own first, and `*` when it also writes
 * cluster-scoped objects ("staging,prod,*"). A Kubernetes namespace name never contains `,` or `*`, so a plain name
 * (every row from before) reads as itself. Kept in the existing column rather than a new one: no migration needed.
 */
export function encodeNamespaces(record: Pick<ApprovalRecord, 'namespace' | 'namespaces' | 'clusterScopedWrites'>): string | null {
  const names = record.namespaces ?? (record.namespace !== undefined ? [record.namespace] : []);
  const parts = [...names, ...(record.clusterScopedWrites ? ['*'] : [])];
  return parts.length > 0 ? parts.join(',') : null;
}

export function decodeNamespaces(column: string | null): Pick<ApprovalRecord, 'namespace' | 'namespaces' | 'clusterScopedWrites'> {
  if (column === null) return {};
  const parts = column.split(',');
  const names = parts.filter((part) => part !== '*');
  return { ...(names[0] !== undefined ? { namespace: names[0] } : {}), ...(names.length > 1 ? { namespaces: names } : {}), ...(parts.includes('*') ? { clusterScopedWrites: true } : {}) };
}

function toRecord(row: ApprovalRow): ApprovalRecord {
  return {
    conversationId: row.conversationId,
    callId: row.callId,
    runId: row.runId,
    tool: row.tool,
    args: row.args,
    argsHash: row.argsHash,
    status: row.status as ApprovalRecord['status'],
    resolution: row.resolution,
    risks: row.risks as RiskFlag[],
    destructive: row.destructive,
    automatic: row.automatic,
    requestedAt: row.requestedAt,
    ...(row.exactArgsSealed !== null ? { exactArgsSealed: row.exactArgsSealed } : {}),
    ...(row.diff !== null ? { diff: row.diff } : {}),
    ...(row.diffHash !== null ? { diffHash: row.diffHash } : {}),
    ...(row.artifactDigest !== null ? { artifactDigest: row.artifactDigest } : {}),
    ...(row.policyReason !== null ? { policyReason: row.policyReason } : {}),
    ...(row.requestedBy !== null ? { requestedBy: row.requestedBy } : {}),
    ...(row.cluster ? { cluster: row.cluster } : {}),
    ...decodeNamespaces(row.namespace),
    ...(row.policy?.mode !== undefined ? { policy: { mode: row.policy.mode, source: row.policy.source ?? '' } as ApprovalPolicyApplied } : {}),
    ...(row.policy?.requested_by_alert !== undefined ? { requestedByAlert: row.policy.requested_by_alert } : {}),
    ...(row.decidedBy !== null ? { decidedBy: row.decidedBy } : {}),
    ...(row.reason !== null ? { reason: row.reason } : {}),
    ...(row.decisionRunId !== null ? { decisionRunId: row.decisionRunId } : {}),
    ...(row.decidedAt !== null ? { decidedAt: row.decidedAt } : {}),
    ...(row.executedAt !== null ? { executedAt: row.executedAt } : {}),
    ...(row.resultSummary !== null ? { resultSummary: row.resultSummary } : {}),
    ...verificationFieldsOf(row),
    ...(row.passkeyAssertion ? { passkeyAssertion: row.passkeyAssertion } : {}),
    ...(row.policyVerdicts ? { policyVerdicts: row.policyVerdicts as unknown as PolicyVerdict[] } : {}),
    ...(row.breakGlass ? { breakGlass: { reason: row.breakGlass.reason, freeze: row.breakGlass.freeze, freezeEndsAt: new Date(row.breakGlass.freeze_ends_at), by: row.breakGlass.by } } : {}),
    ...(row.coApprovals ? { coApprovals: row.coApprovals.map((entry) => ({ userId: entry.user_id, ...(entry.email ? { email: entry.email } : {}), at: new Date(entry.at), ...(entry.passkey_assertion ? { passkeyAssertion: entry.passkey_assertion } : {}) })) } : {}),
  };
}

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

const approvalColumns = Object.entries(getTableColumns(approvals));

/** A row as a raw statement returned it (snake_case, driver values), read as Drizzle reads its own selects. */
function fromDriver(raw: Record<string, unknown>): ApprovalRow {
  const row: Record<string, unknown> = {};
  for (const [name, column] of approvalColumns) {
    const value = raw[column.name];
    row[name] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
  }
  return row as ApprovalRow;
}

/** Why the reconciler closed a decision, as the result the conversation shows. */
export const orphanedApprovedText = 'Not executed: the engine stopped after this call was approved and before it ran. Nothing was changed; ask again if it is still wanted.';
export const unknownOutcomeText =
  'Outcome unknown: the engine stopped while this call was executing. It may or may not have reached the target; check its state before retrying. It will not be run again.';

/**
 * Approvals as conditional updates: each state change is one `UPDATE … WHERE status = <expected> RETURNING`,
 * so two engine processes racing on the same call cannot both win (a second approval executes nothing).
 */
export function createApprovalStore(db: SkyfloDatabase, options: { auditSigner?: AuditRecordSigner | undefined; exclusiveConnection?: boolean } = {}): ApprovalStore {
  const key = (conversationId: string, callId: string) => and(eq(approvals.conversationId, conversationId), eq(approvals.callId, callId));
  // Issue 79: without statistics (PGlite runs no autovacuum) a member's page of the queue was planned as a scan of the
  // whole queue's index per conversation of theirs (0.4 s at 10k calls waiting); with them, a walk of the queue's
  // index (1 ms). Checked before the queue is read, at most every 30 s (table-statistics.ts).
  const statistics = createTableStatistics(db, { tables: ['approvals', 'conversations'] });
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
      .where(and(key(slot('conversation_id'), slot('call_id')), eq(approvals.status, 'awaiting'), condition))
      .returning();
  const auditedDecision = auditedChange(decisionUpdate);
  const decisionClaimingRun = decideClaimingRunStatement(decisionUpdate);
  /** The execution claim approved → executing, over placeholders (`conversation_id`, `call_id`, `run_id`). */
  const executionClaim = (chainReady?: SQL) =>
    db
      .update(approvals)
      .set({ status: 'executing', decisionRunId: slot('run_id') })
      .where(and(key(slot('conversation_id'), slot('call_id')), eq(approvals.status, 'approved'), chainReady))
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
      .where(and(key(slot('conversation_id'), slot('call_id')), or(eq(approvals.status, 'executing'), and(eq(approvals.status, 'unknown'), eq(approvals.decisionRunId, slot<string>('run_id'))))))
      .returning({ callId: approvals.callId });
  const markedExecuted = preparedOnce(() => executionEnd('executed'));
  const markedFailed = preparedOnce(() => executionEnd('failed'));
  const markedUnknown = preparedOnce(() => executionEnd('unknown'));
  /** a proposed call's row (RETURNING: a new row comes back with its insert, one round trip); values as `request` gives */
  const approvalRequest = preparedOnce(() =>
    db
      .insert(approvals)
      .values({
        conversationId: slot('conversation_id'),
        callId: slot('call_id'),
        runId: slot('run_id'),
        tool: slot('tool'),
        args: slot('args'),
        argsHash: slot('args_hash'),
        exactArgsSealed: slot('exact_args_sealed'),
        diff: slot('diff'),
        diffHash: slot('diff_hash'),
        artifactDigest: slot('artifact_digest'),
        resolution: slot('resolution'),
        risks: slot('risks'),
        destructive: slot('destructive'),
        policyReason: slot('policy_reason'),
        requestedBy: slot('requested_by'),
        beforeSealed: slot('before_sealed'),
        undo: jsonSlot('undo'),
        undoOf: slot('undo_of'),
        cluster: jsonSlot('cluster'),
        namespace: slot('namespace'),
        policy: jsonSlot('policy'),
        policyVerdicts: jsonSlot('policy_verdicts'),
      })
      .onConflictDoNothing()
      .returning(),
  );
  // The reads an approval makes on its way to the tool, rendered once (Drizzle's own prepared queries).
  const approvalByKey = preparedOnce(() => db.select().from(approvals).where(key(slot('conversation_id'), slot('call_id'))));
  const approvalWithConversation = preparedOnce(() =>
    db
      .select({ userId: conversations.userId, cluster: conversations.cluster, approval: approvals })
      .from(conversations)
      .leftJoin(approvals, key(slot('conversation_id'), slot('call_id')))
      .where(eq(conversations.id, slot('conversation_id'))),
  );

  const holdApproved = createApprovalHold(db, options.auditSigner);

  return {
    holdApproved,

    async request(record) {
      // a new row (the usual case) comes back with its insert; an existing one is read
      const [inserted] = await approvalRequest().execute({
        conversation_id: record.conversationId,
        call_id: record.callId,
        run_id: record.runId,
        tool: record.tool,
        args: record.args,
        args_hash: record.argsHash,
        exact_args_sealed: record.exactArgsSealed ?? null,
        diff: record.diff ?? null,
        diff_hash: record.diffHash ?? null,
        artifact_digest: record.artifactDigest ?? null,
        resolution: record.resolution,
        risks: record.risks,
        destructive: record.destructive,
        policy_reason: record.policyReason ?? null,
        requested_by: record.requestedBy ?? null,
        before_sealed: record.beforeSealed ?? null,
        undo: jsonText(record.undo),
        undo_of: record.undoOf ?? null,
        cluster: jsonText(record.cluster),
        namespace: encodeNamespaces(record),
        // the alert that asked for the call rides in the policy column (what decides the call, and who asked)
        policy: jsonText(record.policy || record.requestedByAlert !== undefined ? { ...record.policy, ...(record.requestedByAlert !== undefined ? { requested_by_alert: record.requestedByAlert } : {}) } : undefined),
        policy_verdicts: jsonText(record.policyVerdicts),
      });
      if (inserted) return toRecord(inserted);
      const [row] = await approvalByKey().execute({ conversation_id: record.conversationId, call_id: record.callId });
      return toRecord(row);
    },

    async get(conversationId, callId) {
      if (!isUuid(conversationId)) return undefined;
      const [row] = await approvalByKey().execute({ conversation_id: conversationId, call_id: callId });
      return row ? toRecord(row) : undefined;
    },

    async getWithConversation(conversationId, callId) {
      if (!isUuid(conversationId)) return { conversation: undefined, record: undefined };
      // The conversation's row drives the query: no conversation, no record (the decision refuses it as missing anyway).
      const [row] = await approvalWithConversation().execute({ conversation_id: conversationId, call_id: callId });
      if (!row) return { conversation: undefined, record: undefined };
      return { conversation: { userId: row.userId, ...(row.cluster ? { cluster: row.cluster } : {}) }, record: row.approval ? toRecord(row.approval) : undefined };
    },

    async decide(input) {
      if (!isUuid(input.conversationId)) return undefined;
      const shape = decisionShapeOf(input);
      // With its audit record: one statement, so the decision never exists without it (issue 32.3).
      if (input.audit) {
        const [raw] = await auditedDecision<Record<string, unknown>>(db, shape, decisionValues(input), input.audit, options.auditSigner);
        return raw ? toRecord(fromDriver(raw)) : undefined;
      }
      const [row] = await decisionUpdate(undefined, shape).execute(decisionValues(input));
      return row ? toRecord(row) : undefined;
    },

    decideClaimingRun(input) {
      if (!isUuid(input.conversationId)) return Promise.resolve({ claimed: false });
      const statement = async (executor: SkyfloDatabase): Promise<{ claimed: false } | { claimed: true; decided: ApprovalRecord | undefined }> => {
        const outcome = await decisionClaimingRun(executor, input, decisionShapeOf(input), decisionValues(input), options.auditSigner);
        return outcome.claimed ? { claimed: true, decided: outcome.decided ? toRecord(fromDriver(outcome.decided)) : undefined } : outcome;
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

    async failApproved({ conversationId, callId, reason }) {
      if (!isUuid(conversationId)) return false;
      const rows = await db
        .update(approvals)
        .set({ status: 'failed', executedAt: new Date(), resultSummary: reason, exactArgsSealed: null })
        .where(and(key(conversationId, callId), eq(approvals.status, 'approved')))
        .returning({ callId: approvals.callId });
      return rows.length > 0;
    },

    async cancelAwaiting({ conversationId, callId, reason }) {
      if (!isUuid(conversationId)) return false;
      const rows = await db
        .update(approvals)
        .set({ status: 'cancelled', executedAt: new Date(), resultSummary: reason, exactArgsSealed: null })
        .where(and(key(conversationId, callId), eq(approvals.status, 'awaiting')))
        .returning({ callId: approvals.callId });
      return rows.length > 0;
    },

    async coApprove({ conversationId, callId, userId, email, at, passkeyAssertion }) {
      if (!isUuid(conversationId)) return undefined;
      const entry = JSON.stringify([{ user_id: userId, ...(email ? { email } : {}), at: at.toISOString(), ...(passkeyAssertion ? { passkey_assertion: passkeyAssertion } : {}) }]);
      // One conditional update: still awaiting, and this person not among the approvals yet (two clicks count once).
      const [row] = await db
        .update(approvals)
        .set({ coApprovals: sql`coalesce(${approvals.coApprovals}, '[]'::jsonb) || ${entry}::jsonb` })
        .where(and(key(conversationId, callId), eq(approvals.status, 'awaiting'), sql`not coalesce(${approvals.coApprovals}, '[]'::jsonb) @> ${JSON.stringify([{ user_id: userId }])}::jsonb`))
        .returning();
      return row ? toRecord(row) : undefined;
    },

    async listRecent(limit) {
      const rows = await db.select().from(approvals).orderBy(sql`${approvals.requestedAt} desc`, asc(approvals.callId)).limit(limit);
      return rows.map(toRecord);
    },

    async listForConversation(conversationId) {
      if (!isUuid(conversationId)) return [];
      const rows = await db.select().from(approvals).where(eq(approvals.conversationId, conversationId)).orderBy(asc(approvals.requestedAt), asc(approvals.callId));
      return rows.map(toRecord);
    },

    async listPending(input = {}) {
      await statistics.ensureCurrent();
      const after = input.after;
      const rows = await db
        .select({ approval: approvals, title: conversations.title, ownerId: conversations.userId, cluster: conversations.cluster, email: users.email, name: users.fullName })
        .from(approvals)
        .innerJoin(conversations, eq(conversations.id, approvals.conversationId))
        .leftJoin(users, eq(users.id, approvals.requestedBy))
        .where(
          and(
            ...pendingConditions(input),
            // keyset: the partial index approvals_awaiting_idx walks from here in this order (migration 0025)
            ...(after ? [sql`(${approvals.requestedAt}, ${approvals.conversationId}, ${approvals.callId}) > (${after.requestedAt.toISOString()}::timestamptz, ${after.conversationId}::uuid, ${after.callId})`] : []),
          ),
        )
        .orderBy(asc(approvals.requestedAt), asc(approvals.conversationId), asc(approvals.callId))
        .limit(input.limit ?? 200);
      return rows.map((row) => ({
        ...toRecord(row.approval),
        conversationTitle: row.title,
        conversationOwnerId: row.ownerId,
        ...(row.cluster !== null ? { conversationCluster: row.cluster } : {}),
        ...(row.email !== null ? { requester: { email: row.email, name: row.name } } : {}),
      }));
    },

    async countPending(filter = {}) {
      await statistics.ensureCurrent();
      // The conversation is joined only when the filter reads it (its owner, its cluster): the whole queue's count is
      // the partial index approvals_awaiting_idx alone.
      const needsConversation = filter.conversationOwnerId !== undefined || filter.reach !== undefined;
      const count = db.select({ total: sql<number>`count(*)::int`.mapWith(Number) }).from(approvals);
      const [row] = await (needsConversation ? count.innerJoin(conversations, eq(conversations.id, approvals.conversationId)) : count).where(and(...pendingConditions(filter)));
      return row?.total ?? 0;
    },

    ...verificationStoreMethods(db, toRecord),

    async noteUnknownOutcome({ conversationId, callId, resultSummary }) {
      if (!isUuid(conversationId)) return false;
      const rows = await db
        .update(approvals)
        .set({ resultSummary })
        .where(and(key(conversationId, callId), eq(approvals.status, 'unknown')))
        .returning({ callId: approvals.callId });
      return rows.length > 0;
    },

    async reconcileOrphans(options = {}) {
      // The runs themselves are ended too, so their conversations are free and no reader takes them for live:
      // all of them when this process has the database to itself and just started, else those whose lease lapsed.
      const ended = await db
        .update(runs)
        .set({ status: 'finished', finishedAt: sql`now()` })
        .where(and(eq(runs.status, 'running'), options.everyRunIsDead ? undefined : lt(runs.leaseUntil, sql`now()`)))
        .returning({ conversationId: runs.conversationId });
      // A decision's run is dead when its row is finished or its lease has lapsed (database clock, as runs use).
      const deadRuns = db
        .select({ runId: sql<string>`${runs.runId}::text` })
        .from(runs)
        .where(or(eq(runs.status, 'finished'), lt(runs.leaseUntil, sql`now()`)));
      const orphaned = and(isNotNull(approvals.decisionRunId), inArray(approvals.decisionRunId, deadRuns));
      const failed = await db
        .update(approvals)
        .set({ status: 'failed', executedAt: new Date(), resultSummary: orphanedApprovedText, exactArgsSealed: null })
        .where(and(eq(approvals.status, 'approved'), orphaned))
        .returning();
      const unknown = await db
        .update(approvals)
        .set({ status: 'unknown', executedAt: new Date(), resultSummary: unknownOutcomeText, exactArgsSealed: null })
        .where(and(eq(approvals.status, 'executing'), orphaned))
        .returning();
      return { closed: [...failed, ...unknown].map(toRecord), conversationsOfDeadRuns: [...new Set(ended.map((run) => run.conversationId))] };
    },
  };
}
