/**
 * Issue 34: a cluster whose approvals only Skyflo's own gate enforces, in an install running inside the cluster (the
 * pod's service account): the MCP server's identity there holds standing write power, which the cluster does not
 * limit to what a human approved. The Command Center warns about it wherever the cluster is shown.
 */
import type { ClusterStatus } from '@skyflo/protocol';

export function engineOnlyEnforcement(cluster: Pick<ClusterStatus, 'name' | 'identity' | 'approval_enforcement'>): boolean {
  if (cluster.approval_enforcement !== 'engine') return false;
  return cluster.name === 'in-cluster' || Boolean(cluster.identity?.startsWith('system:serviceaccount:'));
}

export const engineOnlyWarning =
  "Approvals on this cluster are enforced only by Skyflo's engine: the MCP server's own identity can write, so the cluster does not hold writes to what a human approved. Install the approval executor (skyfloai.approvals.enforcement: cluster) so every write uses a credential minted for one approval.";
