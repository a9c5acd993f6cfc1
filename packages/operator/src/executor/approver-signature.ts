/**
 * The approver's own signature, checked where the write happens (issue 35 item 5). The engine's signature says the
 * engine recorded a decision; for the approvals this executor is told to guard (its own setting, not the engine's),
 * the approval must also carry a WebAuthn assertion by the decider's registered passkey over a challenge the executor
 * recomputes from the approval's spec. An approval written straight into the database, or forged by a compromised
 * engine, has no such assertion and mints nothing; an assertion made for one call does not verify for another.
 */
import { createHash } from 'node:crypto';
import { verifyAuthenticationResponse } from '@simplewebauthn/server';
import { approvalChallengeFacts, approvalChallengeInput, type ApproverSignatureRequirement, type SkyfloApprovalDocument, type SkyfloApprovalSpec } from '@skyflo/protocol';
import type { ApproverKeyStore } from './approver-keys.ts';
import { ExecutorError } from './executor-options.ts';

/** `destructive`: any delete, or access outside a single namespace (cluster-scoped objects, several namespaces). */
export function needsApproverSignature(requirement: ApproverSignatureRequirement, spec: Pick<SkyfloApprovalSpec, 'access'>): boolean {
  if (requirement === 'all') return true;
  if (requirement === 'none') return false;
  const namespaces = new Set(spec.access.map((entry) => entry.namespace ?? ''));
  return spec.access.some((entry) => entry.verbs.includes('delete') || !entry.namespace) || namespaces.size > 1;
}

/** base64url(sha256(canonical facts)): the WebAuthn challenge of this approval (as the engine's passkey options). */
export const approvalChallengeOf = (document: SkyfloApprovalDocument, challengeExpiresAt: string): string =>
  createHash('sha256').update(approvalChallengeInput(approvalChallengeFacts(document.spec, challengeExpiresAt))).digest('base64url');

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
  return {
    async check(document) {
      const { name, status } = document;
      if (!needsApproverSignature(requirement, document.spec)) return;
      const why = requirement === 'all' ? 'this executor requires the approver\'s passkey signature on every approval' : 'this executor requires the approver\'s passkey signature on destructive approvals (a delete, or access outside one namespace)';
      const proof = status.approverProof;
      if (!proof) throw refuse(name, `carries no approver passkey signature (${why}); an approval the engine alone signed is not enough — approve it with a passkey`);
      if (!status.decidedBy) throw refuse(name, 'names no approver (status.decidedBy)');
      const stored = await keys.get(proof.assertion.credentialId);
      if (!stored) throw refuse(name, `is signed by passkey ${proof.assertion.credentialId}, which is not registered with this executor (no SkyfloApproverKey)`);
      if (stored.key.userId !== status.decidedBy.id) throw refuse(name, `is signed by a passkey of another user than its approver ${status.decidedBy.email ?? status.decidedBy.id}`);
      const handle = proof.assertion.userHandle;
      if (handle && Buffer.from(handle, 'base64url').toString('utf8') !== status.decidedBy.id) throw refuse(name, 'carries an assertion whose user handle names another user than its approver');
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
          expectedOrigin: options.origin!,
          expectedRPID: options.rpId!,
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
    },
  };
}
