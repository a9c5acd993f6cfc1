/**
 * Signs and checks the audit chain heads the engine publishes outside its database (log lines, GET /audit/head):
 * a compact JWS (EdDSA over Ed25519) of {sequence, hash, at}. Whoever can rewrite the audit table cannot forge an
 * older head, so a head kept elsewhere proves what the chain contained then.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { CompactSign, compactVerify, exportJWK, calculateJwkThumbprint, type JWK } from 'jose';
import { SkyfloError } from '../errors/skyflo-error.ts';
import type { AuditVerifyCheckpoint } from '../ports/audit.ts';

export { parseAuditSigningKey } from './parse-audit-signing-key.ts';

export interface ChainHead {
  sequence: number;
  hash: string;
  /** when the head was read (ISO 8601) */
  at: string;
}

export interface AuditHeadSigner {
  sign(head: ChainHead): Promise<string>;
  /** the head inside `signedHead`, or an Error saying why it is not one of ours */
  open(signedHead: string): Promise<ChainHead>;
  /** the public key as a JWK (with `kid`), to check signatures outside Skyflo */
  publicJwk(): Promise<JWK>;
  /** a verify's checkpoint, signed, for the caller to go on from later (issue 79) */
  signCheckpoint(checkpoint: AuditVerifyCheckpoint): Promise<string>;
  /** the checkpoint inside `token`, or a SignedHeadError saying why it is not one this engine handed out */
  openCheckpoint(token: string): Promise<AuditVerifyCheckpoint>;
}

const headerType = 'skyflo-audit-head+jws';
/** Another type than a head's: a checkpoint is never accepted as a head, nor a head as a checkpoint. */
const checkpointType = 'skyflo-audit-verify-checkpoint+jws';

export class SignedHeadError extends SkyfloError {
  readonly code = 'INVALID_SIGNED_HEAD';
}

export function createAuditHeadSigner(privateKey: KeyObject): AuditHeadSigner {
  const publicKey = createPublicKey(privateKey);
  const jwk = (async () => {
    const exported = await exportJWK(publicKey);
    return { ...exported, kid: await calculateJwkThumbprint(exported), alg: 'EdDSA', use: 'sig' } as JWK;
  })();
  return {
    async sign(head) {
      const payload = new TextEncoder().encode(JSON.stringify({ sequence: head.sequence, hash: head.hash, at: head.at }));
      return new CompactSign(payload).setProtectedHeader({ alg: 'EdDSA', typ: headerType, kid: (await jwk).kid! }).sign(privateKey);
    },
    async open(signedHead) {
      let payload: Uint8Array;
      try {
        const verified = await compactVerify(signedHead.trim(), publicKey, { algorithms: ['EdDSA'] });
        if (verified.protectedHeader.typ !== headerType) throw new Error('not an audit head');
        payload = verified.payload;
      } catch {
        throw new SignedHeadError('signed_head is not an audit head signed by this engine\'s key (SKYFLO_AUDIT_SIGNING_KEY, or SKYFLO_DATA_DIR/audit-signing-key): it was altered, or signed with another key');
      }
      const head = JSON.parse(new TextDecoder().decode(payload)) as Partial<ChainHead>;
      if (typeof head.sequence !== 'number' || typeof head.hash !== 'string' || typeof head.at !== 'string') throw new SignedHeadError('signed_head carries no {sequence, hash, at}');
      return { sequence: head.sequence, hash: head.hash, at: head.at };
    },
    publicJwk: () => jwk,
    async signCheckpoint(checkpoint) {
      const payload = new TextEncoder().encode(JSON.stringify(checkpoint));
      return new CompactSign(payload).setProtectedHeader({ alg: 'EdDSA', typ: checkpointType, kid: (await jwk).kid! }).sign(privateKey);
    },
    async openCheckpoint(token) {
      let payload: Uint8Array;
      try {
        const verified = await compactVerify(token.trim(), publicKey, { algorithms: ['EdDSA'] });
        if (verified.protectedHeader.typ !== checkpointType) throw new Error('not a verify checkpoint');
        payload = verified.payload;
      } catch {
        throw new SignedHeadError('resume: not a checkpoint of /audit/verify signed by this engine\'s audit key (pass the `checkpoint` of a progress line as is)');
      }
      const checkpoint = JSON.parse(new TextDecoder().decode(payload)) as Partial<AuditVerifyCheckpoint>;
      if (typeof checkpoint.sequence !== 'number' || typeof checkpoint.hash !== 'string' || typeof checkpoint.position !== 'number') throw new SignedHeadError('resume: the checkpoint carries no position, sequence and hash');
      return checkpoint as AuditVerifyCheckpoint;
    },
  };
}
