/**
 * Issue 34: an approval record as the cluster's executor sees it (a SkyfloApproval decision), and what the executor
 * computes the grant from (issue 73: the exact arguments, and a Helm call's rendered manifest from the matching
 * preview — never the preview's own claim of what the call writes). Shared by the approved-call path, denials and
 * automatic reverts.
 */
import { z } from 'zod';
import type { ApprovalCredentialRequest, ApproverProof, CoApproval } from '@skyflo/protocol';
import type { ApprovalDecision, ClusterEnforcement, Grant } from '../../clusters/enforcement/cluster-enforcement.ts';
import type { ApprovalRecord } from '../../../platform/ports/index.ts';

/** The enforcement that binds `record`'s cluster (SKYFLO_APPROVAL_ENFORCEMENT=cluster for it), or undefined where the engine alone enforces. */
export function enforcementFor(deps: { enforcement?: ClusterEnforcement | undefined }, record: Pick<ApprovalRecord, 'cluster'>): ClusterEnforcement | undefined {
  return deps.enforcement?.modeFor(record.cluster?.name) === 'cluster' ? deps.enforcement : undefined;
}

/**
 * What the executor binds a call to: its exact arguments and, for a Helm call, the full rendered manifest, the live
 * release's and the preview text the approval's diffHash covers (preview_tool_call passes the manifests to the
 * engine's own connection only). Undefined fields are left out; the manifests are never stored. Where the cluster's
 * executor rendered the preview (issue 73 item 6) there is no manifest here: the executor mints from its own render.
 */
export function grantRequestOf(args: Record<string, unknown>, preview?: { text: string; structured?: Record<string, unknown> | undefined }): ApprovalCredentialRequest {
  const helm = helmContentSchema.safeParse(preview?.structured?.['bound']);
  if (!preview || !helm.success) return { arguments: args };
  const { manifest, live_manifest: liveManifest, helm_storage: storage } = helm.data;
  return { arguments: args, helm: { ...(manifest !== undefined ? { manifest } : {}), liveManifest, previewText: preview.text, storage } };
}

/** What a Helm preview tells the engine's own connection (preview_tool_call's `bound`: manifest, live_manifest, helm_storage). */
const helmContentSchema = z.object({
  manifest: z.string().optional(),
  live_manifest: z.string(),
  helm_storage: z.object({ create: z.number().int().min(1).optional(), update: z.array(z.number().int().min(1)), delete: z.array(z.number().int().min(1)) }),
});

/**
 * Issue 35: the approver's proof stored with the decision — a passkey assertion (passkeys/passkey-service.ts
 * StoredAssertion) or a terminal's device key signature (passkeys/device-keys.ts StoredDeviceSignature) — in the
 * SkyfloApproval's shape, so the executor can check the approver's own signature. Absent without one.
 */
export function approverProofOf(stored: Record<string, unknown> | undefined): ApproverProof | undefined {
  const facts = z.object({ expiresAt: z.string().min(1) });
  const device = z.object({ kind: z.literal('device_key'), device_key_id: z.string().min(1), signature: z.string().min(1), signed_facts: facts }).safeParse(stored);
  if (device.success) return { challengeExpiresAt: device.data.signed_facts.expiresAt, deviceSignature: { keyId: device.data.device_key_id, signature: device.data.signature } };
  const parsed = z
    .object({
      credential_id: z.string().min(1),
      user_handle: z.string().nullish(),
      authenticator_data: z.string().min(1),
      client_data_json: z.string().min(1),
      signature: z.string().min(1),
      signed_facts: facts,
    })
    .safeParse(stored);
  if (!parsed.success) return undefined;
  const assertion = parsed.data;
  return {
    challengeExpiresAt: assertion.signed_facts.expiresAt,
    assertion: {
      credentialId: assertion.credential_id,
      authenticatorData: assertion.authenticator_data,
      clientDataJSON: assertion.client_data_json,
      signature: assertion.signature,
      ...(assertion.user_handle ? { userHandle: assertion.user_handle } : {}),
    },
  };
}

/** One earlier approval as the SkyfloApproval carries it (the executor counts it only by its verified proof). */
const coApprovalOf = (entry: NonNullable<ApprovalRecord['coApprovals']>[number]): CoApproval => {
  const proof = approverProofOf(entry.passkeyAssertion);
  return { decidedBy: { id: entry.userId, ...(entry.email ? { email: entry.email } : {}) }, decidedAt: entry.at.toISOString(), ...(proof ? { approverProof: proof } : {}) };
};

/** An automatic revert's binding: the SkyfloApproval of the change it reverts (approved with automatic revert). */
export interface RevertOf {
  approval: string;
  callId: string;
}

export function enforcedDecision(
  record: ApprovalRecord,
  decided: { decided_by?: string; decided_by_email?: string; decided_at?: number },
  revert?: RevertOf,
): Omit<ApprovalDecision, 'decision'> {
  return {
    conversationId: record.conversationId,
    callId: record.callId,
    ...(revert ? { purpose: 'revert' as const, revertOf: revert } : {}),
    tool: record.tool,
    ...(record.cluster ? { cluster: { name: record.cluster.name, server: record.cluster.server } } : {}),
    argsHash: record.argsHash,
    ...(record.diffHash ? { diffHash: record.diffHash } : {}),
    ...(record.requestedBy ? { requestedBy: { id: record.requestedBy } } : {}),
    requestedAt: record.requestedAt,
    ...(decided.decided_by ? { decidedBy: { id: decided.decided_by, ...(decided.decided_by_email ? { email: decided.decided_by_email } : {}) } } : {}),
    ...(decided.decided_at !== undefined ? { decidedAt: new Date(decided.decided_at) } : {}),
    ...(record.automatic ? { automatic: true } : {}),
    // the approver's consent to the automatic revert, which the executor checks before minting for the revert
    ...(!revert && record.autoRevert ? { autoRevert: true } : {}),
    ...(!revert && approverProofOf(record.passkeyAssertion) ? { approverProof: approverProofOf(record.passkeyAssertion)! } : {}),
    // issue 76: the earlier approvers of a call several people must approve, each with their own proof where they gave one
    ...(!revert && record.coApprovals?.length ? { coApprovals: record.coApprovals.map(coApprovalOf) } : {}),
    // the admin's break-glass of a change freeze: the executor honours it for a SkyfloFreeze naming them (with their passkey)
    ...(!revert && record.breakGlass ? { breakGlass: { reason: record.breakGlass.reason, freeze: record.breakGlass.freeze } } : {}),
    // what the passkey policy is judged on when the approval is signed (cluster-enforcement.ts approverSignatureRequired)
    policyFacts: { destructive: record.destructive, risks: record.risks, ...(record.cluster ? { cluster: record.cluster } : {}) },
  };
}

/** Mirrors the approval and mints its credential for exactly what `call` writes, as the executor computes it. */
export function enforcedGrant(
  enforcement: ClusterEnforcement,
  record: ApprovalRecord,
  call: ApprovalCredentialRequest,
  decided: { decided_by?: string; decided_by_email?: string; decided_at?: number },
  revert?: RevertOf,
): Promise<Grant> {
  return enforcement.grant(enforcedDecision(record, decided, revert), call);
}
