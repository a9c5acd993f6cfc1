/** Reads SKYFLO_AUDIT_SIGNING_KEY (config validation uses it too, so it loads no JWS library). */
import { createPrivateKey, type KeyObject } from 'node:crypto';

/** Accepts PKCS#8 PEM or the same key's DER in base64 (one line fits an environment variable). */
export function parseAuditSigningKey(value: string): KeyObject {
  const text = value.trim();
  const key = text.startsWith('-----BEGIN') ? createPrivateKey(text) : createPrivateKey({ key: Buffer.from(text, 'base64'), format: 'der', type: 'pkcs8' });
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`SKYFLO_AUDIT_SIGNING_KEY must be an Ed25519 private key (got ${key.asymmetricKeyType ?? 'another kind'})`);
  return key;
}
