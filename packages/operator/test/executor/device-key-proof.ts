/**
 * A terminal's device key as `skyflo chat` keeps it (packages/cli/src/chat/device-key.ts: Ed25519, SPKI DER public
 * key) and the approver proof it makes: the Ed25519 signature of sha256(approvalChallengeInput(facts)) of one call,
 * with an expiry two minutes ahead — what the executor checks against the key's SkyfloApproverKey.
 */
import { createHash, generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import { approvalChallengeFacts, approvalChallengeInput, type ApproverProof, type SkyfloApprovalSpec } from '@skyflo/protocol';

export interface DeviceKey {
  id: string;
  privateKey: KeyObject;
  /** SPKI DER, base64url: what POST /v1/approver-keys registers */
  publicKey: string;
}

export function deviceKey(): DeviceKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { id: randomUUID(), privateKey, publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64url') };
}

/**
 * The proof `key` makes over the call `spec` describes (its tool, args, diff hashes, cluster and conversation), with
 * the expiry the person was shown (two minutes ahead unless `challengeExpiresAt` says otherwise).
 */
export function deviceProof(key: Pick<DeviceKey, 'id' | 'privateKey'>, spec: SkyfloApprovalSpec, challengeExpiresAt = new Date(Date.now() + 2 * 60_000).toISOString()): ApproverProof {
  const digest = createHash('sha256').update(approvalChallengeInput(approvalChallengeFacts(spec, challengeExpiresAt))).digest();
  return { challengeExpiresAt, deviceSignature: { keyId: key.id, signature: sign(null, digest, key.privateKey).toString('base64url') } };
}
