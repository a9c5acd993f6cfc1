/**
 * What the decision (agent/prepare-decision.ts) and the pending list need from passkeys: whether
 * approving a call needs one (and where to approve it with one), and the check of an assertion.
 */
import type { ApprovalWebauthn, DeviceSignature } from '@skyflo/protocol';
import type { StoredDeviceSignature } from './device-keys.ts';
import { demandsOf } from '@skyflo/safety/policies';
import type { ApprovalRecord, AuthenticatedUser } from '../../platform/ports/index.ts';
import type { StoredAssertion } from './passkey-service.ts';

export interface PasskeyApprovals {
  /** why approving `call` needs a passkey now, or undefined */
  requirementOf(call: ApprovalRecord): Promise<string | undefined>;
  /** the Command Center's approval page of the call (absolute when the public address is known) */
  approvalPage(conversationId: string, callId: string): string;
  /** throws PasskeyError unless the assertion is this user's, over this call's facts, fresh and not replayed */
  verifyApproval(user: AuthenticatedUser, record: ApprovalRecord, webauthn: ApprovalWebauthn): Promise<StoredAssertion>;
  /** throws PasskeyError unless the signature is by a confirmed device key of this user, over this call's facts */
  verifyDeviceSignature(user: AuthenticatedUser, record: ApprovalRecord, signature: DeviceSignature): Promise<StoredDeviceSignature>;
}

/**
 * The decide rules' passkey fact for a call: undefined when none is needed. A policy that cannot be read requires one
 * (fail closed: the approver can still approve with a passkey).
 */
export async function passkeyFactsOf(passkeys: PasskeyApprovals | undefined, record: ApprovalRecord): Promise<{ required: string; approveAt: string } | undefined> {
  if (!passkeys) return undefined;
  const required = await passkeys.requirementOf(record).catch(() => 'the passkey policy could not be read, so a passkey is asked for');
  return required ? { required, approveAt: passkeys.approvalPage(record.conversationId, record.callId) } : undefined;
}

/**
 * Issue 76: where the cluster enforces approvals, its executor counts the people a `require_approvers` policy asks for,
 * and recognises a `require_role` policy's role holders, only by each one's own passkey (or device key) proof over the
 * call's facts — so each of them is asked for it here; without it the last approval would meet the executor's refusal
 * after everybody had approved.
 */
export function clusterConfirmedPeoplePasskey(call: Pick<ApprovalRecord, 'policyVerdicts'>): string | undefined {
  const { approvers, approversBy, role } = demandsOf(call.policyVerdicts);
  if (approversBy) return `policy "${approversBy.name}" (v${approversBy.version}) asks for ${approvers} approvers, and the cluster's executor counts each of them by their own passkey`;
  return role ? `policy "${role.by.name}" (v${role.by.version}) asks for the ${role.role} role, and the cluster's executor recognises its holders by their own passkey` : undefined;
}

/** The approval page of a call, on the Command Center at `base` ('' → a relative link). */
export const approvalPageUrl = (base: string, conversationId: string, callId: string) => `${base}/approvals?call=${encodeURIComponent(callId)}&conversation=${encodeURIComponent(conversationId)}`;
