/**
 * The approver's own signature, checked where the write happens (issue 35 item 5). The engine's signature says the
 * engine recorded a decision; the approver's proof says the person did. It is required when the approval itself says
 * the engine's passkey policy asked for it (status.approverSignatureRequired, covered by the engine's signature), or
 * when this executor's own setting asks for it (SKYFLO_EXECUTOR_REQUIRE_APPROVER_SIGNATURE: `all`, `destructive`) —
 * the setting can only add approvals to check, never exempt one the approval marks. The proof is a WebAuthn assertion
 * by the decider's registered passkey, or (`skyflo chat`) an Ed25519 signature by the decider's confirmed device key,
 * over a challenge the executor recomputes from the approval's spec. An approval written straight into the database,
 * or forged by a compromised engine, has no such proof and mints nothing; a proof made for one call does not verify for
 * another.
 */
import { createHash, createPublicKey, verify as verifyEd25519 } from 'node:crypto';
import { verifyAuthenticationResponse } from '@simplewebauthn/server';
import { approvalChallengeFacts, approvalChallengeInput, type ApproverSignatureRequirement, type PasskeyApproverProof, type SkyfloApprovalDocument, type SkyfloApprovalSpec } from '@skyflo/protocol';
import type { ApproverKeyStore, StoredApproverKey } from './approver-keys.ts';
import { ExecutorError } from './executor-options.ts';

/** `destructive`: any delete, or access outside a single namespace (cluster-scoped objects, several namespaces). */
export function needsApproverSignature(requirement: ApproverSignatureRequirement, spec: Pick<SkyfloApprovalSpec, 'access'>): boolean {
  if (requirement === 'all') return true;
  if (requirement === 'none') return false;
  const namespaces = new Set(spec.access.map((entry) => entry.namespace ?? ''));
  return spec.access.some((entry) => entry.verbs.includes('delete') || !entry.namespace) || namespaces.size > 1;
}

/** sha256(canonical facts): the bytes a device key signs and whose base64url is a passkey's WebAuthn challenge. */
const challengeBytesOf = (document: SkyfloApprovalDocument, challengeExpiresAt: string): Buffer =>
  createHash('sha256').update(approvalChallengeInput(approvalChallengeFacts(document.spec, challengeExpiresAt))).digest();

/** base64url(sha256(canonical facts)): the WebAuthn challenge of this approval (as the engine's passkey options). */
export const approvalChallengeOf = (document: SkyfloApprovalDocument, challengeExpiresAt: string): string => challengeBytesOf(document, challengeExpiresAt).toString('base64url');

export interface ApproverSignatureChecker {
  /** Throws ExecutorError APPROVER_SIGNATURE unless the approval needs no proof or carries a valid one. */
  check(document: SkyfloApprovalDocument): Promise<void>;
}

export function createApproverSignatureChecker(options: { requirement: ApproverSignatureRequirement; rpId?: string; origin?: string; keys: ApproverKeyStore }): ApproverSignatureChecker {
  const { requirement, keys } = options;
  if (requirement !== 'none' && (!options.rpId || !options.origin)) {
    throw new Error('requiring approver signatures needs the Command Center\'s WebAuthn RP ID and origin (SKYFLO_EXECUTOR_WEBAUTHN_RP_ID, SKYFLO_EXECUTOR_WEBAUTHN_ORIGIN)');
  }
  const refuse = (name: string, reason: string) => new ExecutorError('APPROVER_SIGNATURE', `SkyfloApproval "${name}" ${reason}; nothing is minted for it`);

  /** Why this approval needs the approver's proof, or undefined when it does not. */
  function whyRequired(document: SkyfloApprovalDocument): string | undefined {
    if (document.status.approverSignatureRequired === true) return 'the engine\'s passkey policy asked for the approver\'s passkey on this call';
    if (!needsApproverSignature(requirement, document.spec)) return undefined;
    return requirement === 'all' ? 'this executor requires the approver\'s passkey signature on every approval' : 'this executor requires the approver\'s passkey signature on destructive approvals (a delete, or access outside one namespace)';
  }

  async function checkDeviceSignature(document: SkyfloApprovalDocument, stored: StoredApproverKey, challengeExpiresAt: string, signature: string): Promise<void> {
    let valid = false;
    try {
      const publicKey = createPublicKey({ key: Buffer.from(stored.key.publicKey, 'base64url'), format: 'der', type: 'spki' });
      valid = publicKey.asymmetricKeyType === 'ed25519' && verifyEd25519(null, challengeBytesOf(document, challengeExpiresAt), publicKey, Buffer.from(signature, 'base64url'));
    } catch {
      valid = false;
    }
    if (!valid) throw refuse(document.name, 'carries a device key signature that does not sign this approval\'s facts (call, args and diff hashes, cluster, expiry)');
  }

  async function checkPasskeyAssertion(document: SkyfloApprovalDocument, stored: StoredApproverKey, proof: PasskeyApproverProof): Promise<void> {
    const { name, status } = document;
    const rpId = options.rpId ?? stored.key.rpId;
    const origin = options.origin ?? stored.key.origin;
    if (!rpId || !origin) throw refuse(name, 'carries a passkey assertion, but neither this executor (SKYFLO_EXECUTOR_WEBAUTHN_RP_ID / _ORIGIN) nor the key\'s registration names the relying party to check it for');
    const handle = proof.assertion.userHandle;
    if (handle && Buffer.from(handle, 'base64url').toString('utf8') !== status.decidedBy!.id) throw refuse(name, 'carries an assertion whose user handle names another user than its approver');
    // A retried mint of this same approval reuses its assertion: not a replay (one approval still mints for one call).
    const retry = stored.lastApproval === name;
    let newCounter: number;
    try {
      const result = await verifyAuthenticationResponse({
        response: {
          id: proof.assertion.credentialId,
          rawId: proof.assertion.credentialId,
          type: 'public-key',
          response: { authenticatorData: proof.assertion.authenticatorData, clientDataJSON: proof.assertion.clientDataJSON, signature: proof.assertion.signature, ...(handle ? { userHandle: handle } : {}) },
          clientExtensionResults: {},
        },
        expectedChallenge: approvalChallengeOf(document, proof.challengeExpiresAt),
        expectedOrigin: origin,
        expectedRPID: rpId,
        credential: { id: stored.key.credentialId, publicKey: Uint8Array.from(Buffer.from(stored.key.publicKey, 'base64url')), counter: retry ? 0 : stored.counter },
        requireUserVerification: true,
      });
      if (!result.verified) throw new Error('the assertion did not verify');
      newCounter = result.authenticationInfo.newCounter;
    } catch (error) {
      const message = (error as Error).message;
      if (/counter/i.test(message)) throw refuse(name, `carries a replayed passkey assertion (its signature counter did not move past ${stored.counter})`);
      throw refuse(name, `carries a passkey assertion that does not sign this approval's facts (call, args and diff hashes, cluster, expiry): ${message}`);
    }
    if (!retry && !(await keys.advance(stored, newCounter, name))) throw refuse(name, 'carries a passkey assertion whose counter another approval used at the same time (a replay)');
  }

  return {
    async check(document) {
      const { name, status } = document;
      const why = whyRequired(document);
      if (!why) return;
      const proof = status.approverProof;
      if (!proof) throw refuse(name, `carries no approver passkey signature (${why}); an approval the engine alone signed is not enough — approve it with a passkey (or a confirmed device key in \`skyflo chat\`)`);
      if (!status.decidedBy) throw refuse(name, 'names no approver (status.decidedBy)');
      const device = 'deviceSignature' in proof ? proof.deviceSignature : undefined;
      const keyId = device ? device.keyId : 'assertion' in proof ? proof.assertion.credentialId : '';
      const what = device ? 'device key' : 'passkey';
      const stored = await keys.get(keyId);
      if (!stored) throw refuse(name, `is signed by ${what} ${keyId}, which is not registered with this executor (no SkyfloApproverKey)`);
      if (stored.key.userId !== status.decidedBy.id) throw refuse(name, `is signed by a ${what} of another user than its approver ${status.decidedBy.email ?? status.decidedBy.id}`);
      if ((stored.key.kind === 'device_key') !== Boolean(device)) throw refuse(name, `is signed as a ${what}, but key ${keyId} is registered as a ${stored.key.kind === 'device_key' ? 'device key' : 'passkey'}`);
      if (device) await checkDeviceSignature(document, stored, proof.challengeExpiresAt, device.signature);
      else if ('assertion' in proof) await checkPasskeyAssertion(document, stored, proof);
    },
  };
}
