import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { makePrivateDirectory } from './private-directory.ts';

/**
 * A secret generated once and kept (mode 0600) in the data dir, for settings the operator did not set: a fresh
 * install is secure by default and the value survives restarts. Several replicas must set the variable
 * explicitly (each would otherwise generate its own).
 */
export async function loadOrCreateDataDirSecret(input: { dataDir: string; fileName: string; create: () => string; isValid: (value: string) => boolean }): Promise<string> {
  const file = path.join(input.dataDir, input.fileName);
  try {
    const existing = (await readFile(file, 'utf8')).trim();
    if (input.isValid(existing)) return existing;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await makePrivateDirectory(input.dataDir);
  const secret = input.create();
  // 'wx' fails if another process created it meanwhile; then theirs wins and we read it back.
  try {
    await writeFile(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    return secret;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return (await readFile(file, 'utf8')).trim();
  }
}

/** The JWT signing key when JWT_SECRET is unset (kept as `<dataDir>/jwt-secret`). */
export function loadOrCreateJwtSecret(dataDir: string): Promise<string> {
  return loadOrCreateDataDirSecret({ dataDir, fileName: 'jwt-secret', create: () => randomBytes(48).toString('base64url'), isValid: (value) => value.length >= 32 });
}

/** The 32-byte encryption key when SKYFLO_ENCRYPTION_KEY is unset (kept hex-encoded as `<dataDir>/encryption-key`). */
export async function loadOrCreateEncryptionKey(dataDir: string): Promise<Buffer> {
  const hex = await loadOrCreateDataDirSecret({ dataDir, fileName: 'encryption-key', create: () => randomBytes(32).toString('hex'), isValid: (value) => /^[0-9a-f]{64}$/i.test(value) });
  return Buffer.from(hex, 'hex');
}

/** The Ed25519 key that signs published audit chain heads when SKYFLO_AUDIT_SIGNING_KEY is unset (`<dataDir>/audit-signing-key`, PKCS#8 PEM). */
export function loadOrCreateAuditSigningKeyPem(dataDir: string): Promise<string> {
  return loadOrCreateDataDirSecret({
    dataDir,
    fileName: 'audit-signing-key',
    create: () => generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString().trim(),
    isValid: (value) => value.startsWith('-----BEGIN PRIVATE KEY-----'),
  });
}
