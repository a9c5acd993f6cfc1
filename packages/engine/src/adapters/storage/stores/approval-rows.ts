/**
 * An approval's row and its record (ports/approvals.ts): reading a row into the record, and the row's key. Shared by
 * the approval store's parts (approval-store.ts, approval-decisions.ts, approval-queue.ts, orphaned-approvals.ts).
 */
import { and, eq, getTableColumns } from 'drizzle-orm';
import type { PolicyVerdict } from '@skyflo/protocol';
import type { ApprovalPolicyApplied, ApprovalRecord, RiskFlag } from '../../../platform/ports/index.ts';
import { verificationFieldsOf } from './verification-store.ts';
import { approvals } from '../schema.ts';

export type ApprovalRow = typeof approvals.$inferSelect;

/** The row of one call: its conversation and its id (values, or a prepared statement's placeholders: slot). */
export const approvalKey = (conversationId: string, callId: string) => and(eq(approvals.conversationId, conversationId), eq(approvals.callId, callId));

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

export function toApprovalRecord(row: ApprovalRow): ApprovalRecord {
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

const approvalColumns = Object.entries(getTableColumns(approvals));

/** A row as a raw statement returned it (snake_case, driver values), read as Drizzle reads its own selects. */
export function approvalRowFromDriver(raw: Record<string, unknown>): ApprovalRow {
  const row: Record<string, unknown> = {};
  for (const [name, column] of approvalColumns) {
    const value = raw[column.name];
    row[name] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
  }
  return row as ApprovalRow;
}
