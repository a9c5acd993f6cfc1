/**
 * The SkyfloApproval object's name for a call (issue 34): DNS-safe, at most 40 characters (the executor's
 * ServiceAccount `skyflo-approval-<name>` stays within Kubernetes' 63), and stable — the same conversation and call
 * always give the same name, so a retried mirror finds its object and the conversation and the audit can link to
 * `kubectl get skyfloapproval <name>`. `purpose` keeps an automatic revert's approval apart from the change's own.
 */
import { createHash } from 'node:crypto';

export function approvalObjectName(conversationId: string, callId: string, purpose?: 'revert'): string {
  const digest = createHash('sha256').update(`${conversationId}\u0000${callId}\u0000${purpose ?? ''}`).digest('hex');
  return `${purpose === 'revert' ? 'r' : 'a'}-${digest.slice(0, 30)}`;
}
