/**
 * Signs each audit record the engine writes (issue 31 item 12): Ed25519 over the record's content digest, with the
 * audit signing key, which lives outside the database (SKYFLO_AUDIT_SIGNING_KEY or SKYFLO_DATA_DIR/audit-signing-key).
 * A role that may INSERT into audit_events can append a record whose chain links are right, but not one that carries
 * a valid signature: /audit/verify names it as not written by the engine.
 */
import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

/** Domain separation: a signature over an audit record is never a valid signature of anything else the key signs. */
const context = 'skyflo-audit-record:v2:';

export interface AuditRecordSigner {
  /** short id of the public key (sha-256 of its SPKI, 16 hex digits): says which key signed a record */
  keyId: string;
  /** `<keyId>.<base64url signature>` over the record's content digest */
  sign(digest: string): string;
  /** whether `signature` is this key's over `digest` */
  verify(digest: string, signature: string | null): boolean;
}

export function createAuditRecordSigner(privateKey: KeyObject): AuditRecordSigner {
  const publicKey = createPublicKey(privateKey);
  const keyId = createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
  return {
    keyId,
    sign: (digest) => `${keyId}.${sign(null, Buffer.from(context + digest), privateKey).toString('base64url')}`,
    verify(digest, signature) {
      if (!signature) return false;
      const dot = signature.indexOf('.');
      if (dot < 0 || signature.slice(0, dot) !== keyId) return false;
      try {
        return verify(null, Buffer.from(context + digest), publicKey, Buffer.from(signature.slice(dot + 1), 'base64url'));
      } catch {
        return false;
      }
    },
  };
}

/** The key id a stored signature names (to say "signed with another key" rather than "not signed"). */
export const signatureKeyId = (signature: string | null): string | undefined => (signature && signature.includes('.') ? signature.slice(0, signature.indexOf('.')) : undefined);
