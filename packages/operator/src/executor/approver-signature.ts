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
import { approvalChallengeFacts, approvalChallengeInput, type ApprovalPerson, type ApprovedAccess, type ApproverProof, type ApproverSignatureRequirement, type PasskeyApproverProof, type SkyfloApprovalDocument } from '@skyflo/protocol';
import { isNamedAmong } from '@skyflo/safety/declared';
import type { ApproverKeyStore, StoredApproverKey } from './approver-keys.ts';
import { ExecutorError } from './executor-options.ts';

/**
 * `destructive`: any delete, or access outside a single namespace (cluster-scoped objects, several namespaces) — judged
 * on the grant the executor computed itself (issue 73), not on anything the engine or the MCP server says.
 */
export function needsApproverSignature(requirement: ApproverSignatureRequirement, access: ApprovedAccess[]): boolean {
  if (requirement === 'all') return true;
  if (requirement === 'none') return false;
  const namespaces = new Set(access.map((entry) => entry.namespace ?? ''));
  return access.some((entry) => entry.verbs.includes('delete') || !entry.namespace) || namespaces.size > 1;
}

/** sha256(canonical facts): the bytes a device key signs and whose base64url is a passkey's WebAuthn challenge. */
const challengeBytesOf = (document: SkyfloApprovalDocument, challengeExpiresAt: string): Buffer =>
  createHash('sha256').update(approvalChallengeInput(approvalChallengeFacts(document.spec, challengeExpiresAt))).digest();

/** base64url(sha256(canonical facts)): the WebAuthn challenge of this approval (as the engine's passkey options). */
export const approvalChallengeOf = (document: SkyfloApprovalDocument, challengeExpiresAt: string): string => challengeBytesOf(document, challengeExpiresAt).toString('base64url');

/**
 * Who must have signed: the registered key's email or user id is one of `who` (matched without case); `what` names the
 * list; refused with `code`, saying the approval `doing` (e.g. "breaks a change freeze"). `everyApprover`: the people a
 * require_approvers policy counts must each be among them too (a role); otherwise only the decider (a break-glass).
 */
export interface SignerAmong {
  who: readonly string[];
  what: string;
  doing: string;
  code: 'FROZEN' | 'POLICY_DENIED';
  everyApprover?: boolean;
}

/** What the cluster's policies and a break-glass ask of the people behind a mint (policy-check.ts), checked here. */
export interface MintDemands {
  /** why the approver's own passkey (or device key) proof must verify */
  passkeyRequiredBy?: string;
  /** a break-glass, a required role: the key that signed must belong to one of each list's people */
  signersAmong?: SignerAmong[];
  /**
   * Issue 76, `require_approvers: N` in a SkyfloPolicy (`by` names it): N distinct people other than the requester,
   * each counted only when their own proof over this approval's facts verifies against a SkyfloApproverKey of theirs
   * (the decider's approverProof and each status.coApprovals entry's).
   */
  approvers?: { count: number; by: string };
}

export interface ApproverSignatureChecker {
  /**
   * Throws ExecutorError APPROVER_SIGNATURE (EXPIRED for a signature past its expiry on this executor's clock) unless
   * the approval needs no proof or carries a valid one that was never used before (issue 73: each signature once).
   * `demands.passkeyRequiredBy`: why the executor itself requires the proof on this call (issue 76: a require_passkey
   * SkyfloPolicy); `demands.approvers`: how many people's own proofs must verify (POLICY_DENIED when fewer do).
   */
  check(document: SkyfloApprovalDocument, access: ApprovedAccess[], now: Date, demands?: MintDemands): Promise<void>;
}

const signerMatches = (among: SignerAmong, key: { userId: string; email?: string | undefined }): boolean => isNamedAmong(among.who, { id: key.userId, email: key.email });

export function createApproverSignatureChecker(options: { requirement: ApproverSignatureRequirement; rpId?: string | undefined; origin?: string | undefined; keys: ApproverKeyStore }): ApproverSignatureChecker {
  const { requirement, keys } = options;
  if (requirement !== 'none' && (!options.rpId || !options.origin)) {
    throw new Error('requiring approver signatures needs the Command Center\'s WebAuthn RP ID and origin (SKYFLO_EXECUTOR_WEBAUTHN_RP_ID, SKYFLO_EXECUTOR_WEBAUTHN_ORIGIN)');
  }
  const refuse = (name: string, reason: string) => new ExecutorError('APPROVER_SIGNATURE', `SkyfloApproval "${name}" ${reason}; nothing is minted for it`);

  /** Why this approval needs the approver's proof, or undefined when it does not. */
  function whyRequired(document: SkyfloApprovalDocument, access: ApprovedAccess[], requiredBy: string | undefined): string | undefined {
    if (requiredBy) return requiredBy;
    if (document.status.approverSignatureRequired === true) return 'the engine\'s passkey policy asked for the approver\'s passkey on this call';
    if (!needsApproverSignature(requirement, access)) return undefined;
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

  /**
   * `earlier`: the proof of a co-approver, made when they approved — possibly long before this mint and before the same
   * passkey signed other approvals. Its counter is not compared with the key's (a later approval moved it on) nor
   * recorded; the used-signature record (each signature once) is what stops its replay.
   */
  async function checkPasskeyAssertion(document: SkyfloApprovalDocument, person: ApprovalPerson, stored: StoredApproverKey, proof: PasskeyApproverProof, earlier: boolean): Promise<void> {
    const { name } = document;
    const rpId = options.rpId ?? stored.key.rpId;
    const origin = options.origin ?? stored.key.origin;
    if (!rpId || !origin) throw refuse(name, 'carries a passkey assertion, but neither this executor (SKYFLO_EXECUTOR_WEBAUTHN_RP_ID / _ORIGIN) nor the key\'s registration names the relying party to check it for');
    const handle = proof.assertion.userHandle;
    if (handle && Buffer.from(handle, 'base64url').toString('utf8') !== person.id) throw refuse(name, `carries an assertion whose user handle names another user than its approver ${person.email ?? person.id}`);
    // A retried check of this same approval reuses its assertion (the used-signature record stops a second mint).
    const retry = earlier || stored.lastApproval === name;
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
    if (!earlier && !retry && !(await keys.advance(stored, newCounter, name))) throw refuse(name, 'carries a passkey assertion whose counter another approval used at the same time (a replay)');
  }

  /**
   * Verifies `proof` as `person`'s own signature over this approval's facts and records it used; answers the key that
   * signed. `earlier`: a co-approver's proof (see checkPasskeyAssertion), whose expiry is not held against it — it
   * says when the person's consent was asked for, and the approval's own expiry bounds the mint.
   */
  async function verifyProof(document: SkyfloApprovalDocument, person: ApprovalPerson, proof: ApproverProof, now: Date, earlier: boolean): Promise<StoredApproverKey> {
    const { name } = document;
    const device = 'deviceSignature' in proof ? proof.deviceSignature : undefined;
    const keyId = device ? device.keyId : 'assertion' in proof ? proof.assertion.credentialId : '';
    const what = device ? 'device key' : 'passkey';
    const stored = await keys.get(keyId);
    if (!stored) throw refuse(name, `is signed by ${what} ${keyId}, which is not registered with this executor (no SkyfloApproverKey)`);
    if (stored.key.userId !== person.id) throw refuse(name, `is signed by a ${what} of another user than its approver ${person.email ?? person.id}`);
    if ((stored.key.kind === 'device_key') !== Boolean(device)) throw refuse(name, `is signed as a ${what}, but key ${keyId} is registered as a ${stored.key.kind === 'device_key' ? 'device key' : 'passkey'}`);
    // the signed expiry, on this executor's clock: a signature is good for minutes, not for ever
    const signedExpiry = Date.parse(proof.challengeExpiresAt);
    if (!Number.isFinite(signedExpiry)) throw refuse(name, `carries a signature whose expiry "${proof.challengeExpiresAt}" is not a time`);
    if (!earlier && signedExpiry <= now.getTime()) {
      throw new ExecutorError('EXPIRED', `the approver's signature on SkyfloApproval "${name}" expired at ${proof.challengeExpiresAt}; approve the change again (a signature is good for minutes)`);
    }
    if (device) await checkDeviceSignature(document, stored, proof.challengeExpiresAt, device.signature);
    else if ('assertion' in proof) await checkPasskeyAssertion(document, person, stored, proof, earlier);
    // each signature once, whatever its counter (many passkeys always report 0): recorded on the key, kept until it expires
    const challenge = challengeBytesOf(document, proof.challengeExpiresAt).toString('hex');
    const keptUntil = earlier ? document.status.expiresAt : proof.challengeExpiresAt;
    if (!(await keys.consume(stored.key.credentialId, challenge, keptUntil, name, now))) {
      throw refuse(name, `carries a signature by ${person.email ?? person.id} that was already used for a credential (each approver signature mints once)`);
    }
    return stored;
  }

  /** Issue 76: N distinct people other than the requester, each by their own verified proof — else POLICY_DENIED. */
  async function countApprovers(document: SkyfloApprovalDocument, now: Date, demand: NonNullable<MintDemands['approvers']>, decider: StoredApproverKey | undefined, roles: SignerAmong[]): Promise<void> {
    const { name, spec, status } = document;
    const requester = spec.requestedBy?.id;
    const label = (person: ApprovalPerson) => person.email ?? person.id;
    const counted = new Map<string, string>();
    const notCounted: string[] = [];
    if (status.decidedBy && decider && status.decidedBy.id !== requester) counted.set(status.decidedBy.id, label(status.decidedBy));
    const earlier = (status.coApprovals ?? []).filter((entry) => entry.decidedBy.id !== requester && entry.decidedBy.id !== status.decidedBy?.id);
    for (const entry of earlier) if (!entry.approverProof) notCounted.push(`${label(entry.decidedBy)} approved without a passkey`);
    const signed = earlier.filter((entry) => entry.approverProof && !counted.has(entry.decidedBy.id));
    const refuseCount = (have: number) =>
      new ExecutorError('POLICY_DENIED', `${demand.by} asks for ${demand.count} approvers other than the requester, each confirmed by their own passkey, and SkyfloApproval "${name}" carries ${have}${counted.size ? ` (${[...counted.values()].join(', ')})` : ''}${notCounted.length ? `; not counted: ${notCounted.join('; ')}` : ''}; nothing is minted`);
    // too few on the face of it: refused before any signature is checked (and used up)
    if (new Set([...counted.keys(), ...signed.map((entry) => entry.decidedBy.id)]).size < demand.count) {
      for (const entry of signed) counted.set(entry.decidedBy.id, label(entry.decidedBy));
      throw refuseCount(counted.size);
    }
    // a proof that does not verify is refused outright: somebody wrote a signature that is not the person's
    for (const entry of signed) {
      if (counted.has(entry.decidedBy.id)) continue;
      const key = await verifyProof(document, entry.decidedBy, entry.approverProof!, now, true);
      const outside = roles.find((list) => !signerMatches(list, key.key));
      if (outside) notCounted.push(`${label(entry.decidedBy)} is not among ${outside.what}`);
      else counted.set(entry.decidedBy.id, label(entry.decidedBy));
    }
    if (counted.size < demand.count) throw refuseCount(counted.size);
  }

  return {
    async check(document, access, now, demands = {}) {
      const { name, status } = document;
      const proof = status.approverProof;
      const why = whyRequired(document, access, demands.passkeyRequiredBy) ?? (proof ? 'the approval carries one' : undefined);
      if (!why) return;
      if (!proof) throw refuse(name, `carries no approver passkey signature (${why}); an approval the engine alone signed is not enough — approve it with a passkey (or a confirmed device key in \`skyflo chat\`)`);
      if (!status.decidedBy) throw refuse(name, 'names no approver (status.decidedBy)');
      const among = demands.signersAmong ?? [];
      if (among.length > 0) {
        // who signed is checked before the signature is (and used up): a break-glass or a role is theirs or nobody's
        const keyId = 'deviceSignature' in proof ? proof.deviceSignature.keyId : proof.assertion.credentialId;
        const signer = await keys.get(keyId);
        const outside = signer && signer.key.userId === status.decidedBy.id ? among.find((list) => !signerMatches(list, signer.key)) : undefined;
        if (outside) throw new ExecutorError(outside.code, `SkyfloApproval "${name}" ${outside.doing}, but it is signed by ${signer!.key.email ?? signer!.key.userId}, who is not among ${outside.what}; nothing is minted`);
      }
      const decider = await verifyProof(document, status.decidedBy, proof, now, false);
      if (demands.approvers) await countApprovers(document, now, demands.approvers, decider, among.filter((list) => list.everyApprover));
    },
  };
}
