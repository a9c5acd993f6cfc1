/**
 * The facts of one approval, in the protocol's shape (`approvalFactsSchema`), built from its stored record in ONE
 * place. Both surfaces that show a call waiting for a decision read them from here: the `tool.awaiting_approval`
 * event (the chat's card, propose/preview-and-request.ts) and GET /approvals/pending (the queue,
 * http/routes/approvals/). So the card and the queue cannot drift apart, and a test holds them equal
 * (test/tool-calls/approval-facts.test.ts).
 *
 * ADDING A FACT (cluster, namespace, undo, undo_of, …): put it on `ApprovalRecord` (ports/approvals.ts) so it is
 * stored with the row, and map it to its wire field HERE, not in the gate or the route. Anything only one surface
 * knows (the preview error, which is not stored) comes in through `ApprovalFactsContext`.
 */
import type { ApprovalFacts } from '@skyflo/protocol';
import type { ApprovalRecord } from '../../../platform/ports/index.ts';

/** What the record does not hold but the facts show. */
export interface ApprovalFactsContext {
  /** the tool's display title from the catalogue; the tool's name when the catalogue does not say */
  title?: string | undefined;
  /** the requester, when whoever builds the facts knows more than their id (their email, their name) */
  requester?: { email?: string | undefined; name?: string | null | undefined } | undefined;
  /** who requested when the record does not say (rows from before requesters were stored: the conversation's owner) */
  requesterIdFallback?: string | undefined;
  /** why the preview could not be produced (said once, when the call is requested; not stored) */
  previewError?: string | undefined;
}

export type BuiltApprovalFacts = ApprovalFacts & Required<Pick<ApprovalFacts, 'resolution' | 'risks' | 'destructive' | 'requested_by'>>;

export function approvalFacts(record: ApprovalRecord, context: ApprovalFactsContext = {}): BuiltApprovalFacts {
  const requesterId = record.requestedBy ?? context.requesterIdFallback ?? '';
  const { email, name } = context.requester ?? {};
  return {
    call_id: record.callId,
    tool: record.tool,
    title: context.title ?? record.tool,
    // as shown to the approver: never engine-injected values or Secret values (the record holds nothing else)
    args: record.args,
    ...(record.diff !== undefined ? { diff: record.diff } : {}),
    ...(context.previewError !== undefined ? { preview_error: context.previewError } : {}),
    args_hash: record.argsHash,
    ...(record.diffHash ? { diff_hash: record.diffHash } : {}),
    ...(record.artifactDigest ? { artifact_digest: record.artifactDigest } : {}),
    resolution: record.resolution,
    risks: record.risks,
    destructive: record.destructive,
    ...(record.policyReason ? { policy_reason: record.policyReason } : {}),
    // the cluster (name and API server, both bound into args_hash) and namespace the call changes (issue 22)
    ...(record.cluster ? { cluster: record.cluster } : {}),
    ...(record.namespace ? { namespace: record.namespace } : {}),
    // every namespace a Helm chart's objects reach, and cluster-scoped ones (issue 31): the card lists them all
    ...(record.namespaces ? { namespaces: record.namespaces } : {}),
    ...(record.clusterScopedWrites ? { cluster_scoped: true } : {}),
    // an alert's call (issue 37 item 9) is shown as asked by the alert, not by the owner of the alert token
    requested_by: record.requestedByAlert !== undefined ? { id: `alert:${record.requestedByAlert}`, name: `alert: ${record.requestedByAlert}` } : { id: requesterId, ...(email ? { email } : {}), ...(name ? { name } : {}) },
    // Verify, then undo (issue 21): the inverse the card offers for automatic revert, without its exact-args hash
    ...(record.undo ? { undo: { tool: record.undo.tool, args: record.undo.args, summary: record.undo.summary, ...(record.undo.diff !== undefined ? { diff: record.undo.diff } : {}), ...(record.undo.secondPersonRequired ? { second_person_required: record.undo.secondPersonRequired } : {}) } } : {}),
    ...(record.undoOf ? { undo_of: record.undoOf } : {}),
  };
}
