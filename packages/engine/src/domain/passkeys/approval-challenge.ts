/**
 * The WebAuthn challenge of a passkey approval is derived from the approval's facts, not drawn at random:
 * base64url(sha256(canonicalJson({callId, tool, argsHash, diffHash, cluster, server, expiresAt, conversationId}))). The approver's
 * signature is then over exactly that call (its arguments and its preview), on that cluster, until that instant; an
 * assertion made for one call can never approve another, and nothing has to be remembered between the options and
 * the decision. Whoever holds the stored assertion and the registered public key (the executor, a reviewer) can
 * recompute the challenge from the stored call and check the signature without trusting the engine.
 */
import { createHash } from 'node:crypto';
import { approvalChallengeInput, type ApprovalChallengeFacts } from '@skyflo/protocol';

/** The challenge's bytes: sha256 of the canonical facts. */
export const approvalChallengeBytes = (facts: ApprovalChallengeFacts): Uint8Array<ArrayBuffer> => Uint8Array.from(createHash('sha256').update(approvalChallengeInput(facts)).digest());

/** The challenge as the browser's clientDataJSON carries it (base64url, no padding). */
export const approvalChallenge = (facts: ApprovalChallengeFacts): string => Buffer.from(approvalChallengeBytes(facts)).toString('base64url');
