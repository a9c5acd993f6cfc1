/**
 * The engine's keys for the composition root (create-engine.ts): the JWT secret, the encryption key and the audit
 * signing key, from the environment or the data dir's files (made on first start), read or written while the
 * database opens.
 */
import type { Config } from '../platform/config/index.ts';
import { loadOrCreateAuditSigningKeyPem, loadOrCreateEncryptionKey, loadOrCreateJwtSecret } from '../platform/crypto/data-dir-secret.ts';

export function loadKeys(config: Pick<Config, 'auth' | 'security' | 'storage'>, auditSigningKeyPem?: Promise<string>) {
  const jwtSecret = config.auth.jwtSecret ? Promise.resolve(config.auth.jwtSecret) : loadOrCreateJwtSecret(config.storage.dataDir);
  const encryptionKey = config.security.encryptionKey ? Promise.resolve(config.security.encryptionKey) : loadOrCreateEncryptionKey(config.storage.dataDir);
  // Either may fail before it is awaited; the failure is reported there, not as an unhandled rejection.
  const auditSigningKey = auditSigningKeyPem ?? (config.storage.auditSigningKey ? Promise.resolve(config.storage.auditSigningKey) : loadOrCreateAuditSigningKeyPem(config.storage.dataDir));
  jwtSecret.catch(() => undefined);
  encryptionKey.catch(() => undefined);
  auditSigningKey.catch(() => undefined);
  return { jwtSecret, encryptionKey, auditSigningKey };
}
