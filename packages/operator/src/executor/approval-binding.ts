/**
 * Issue 73 item 2: what binds one signed approval to one call on one cluster, checked before anything is computed or
 * minted. The object's name is the one its conversation and call give (so a signed decision cannot be copied under
 * other names and spent again), the cluster is the one this executor guards, and the arguments the engine sends are
 * exactly the ones whose hash — with the tool and the cluster's name and API server — the engine and the approver
 * signed.
 */
import { unboundClusterName, type SkyfloApprovalDocument } from '@skyflo/protocol';
import { approvalObjectName, toolCallHash } from '@skyflo/protocol/approval-hashes';
import { ExecutorError } from './executor-options.ts';

export function checkBinding(document: SkyfloApprovalDocument, args: Record<string, unknown>, clusterName: string): void {
  const { name, spec } = document;
  const expectedName = approvalObjectName(spec.conversationId, spec.callId, spec.revertOf ? 'revert' : undefined);
  if (name !== expectedName) {
    throw new ExecutorError('NOT_APPROVED', `SkyfloApproval "${name}" is not named for its own call (conversation ${spec.conversationId}, call ${spec.callId} give "${expectedName}"); nothing is minted for it`);
  }
  if (spec.cluster.name !== clusterName) {
    throw new ExecutorError('NOT_APPROVED', `SkyfloApproval "${name}" was approved for cluster "${spec.cluster.name}", and this executor guards "${clusterName}"; nothing is minted here`);
  }
  // a call bound to no named cluster is hashed without one (the engine's own, `in-cluster`)
  const unbound = spec.cluster.name === unboundClusterName && spec.cluster.server === '';
  if (toolCallHash(spec.tool, args, unbound ? undefined : spec.cluster) !== spec.argsHash) {
    throw new ExecutorError('NOT_APPROVED', `the arguments sent for SkyfloApproval "${name}" are not the approved ones (with ${spec.tool} and cluster "${spec.cluster.name}" they do not hash to its argsHash); nothing is minted`);
  }
}
