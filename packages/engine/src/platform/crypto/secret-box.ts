import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { SkyfloError, type ErrorCategory } from '../errors/skyflo-error.ts';

/**
 * Authenticated encryption at rest (AES-256-GCM) for values the engine must keep but nobody may read from the
 * database: the exact arguments of a call awaiting approval, integration credentials, model API keys.
 * `context` is bound as associated data, so a sealed value copied into another row (another call, another
 * integration) fails to open instead of being used there.
 */
export interface SecretBox {
  seal(plaintext: string, context: string): string;
  /** Throws SecretBoxError when the value was tampered with, sealed for another context or with another key. */
  open(sealed: string, context: string): string;
}

export class SecretBoxError extends SkyfloError {
  readonly code = 'SEALED_VALUE_UNREADABLE';

  /** the installation's own set-up is wrong (issue 80 item 4): an operator fixes it; the same start fails again */
  override get category(): ErrorCategory {
    return 'operational';
  }
}

const version = 'v1';

export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new Error(`the encryption key must be 32 bytes (got ${key.length})`);
  return {
    seal(plaintext, context) {
      // A fresh 96-bit nonce per value: GCM's security depends on never reusing one with the same key.
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return `${version}:${iv.toString('base64url')}:${ciphertext.toString('base64url')}`;
    },
    open(sealed, context) {
      const [prefix, ivText, bodyText] = sealed.split(':');
      if (prefix !== version || !ivText || !bodyText) throw new SecretBoxError('not a value sealed by this engine');
      const body = Buffer.from(bodyText, 'base64url');
      if (body.length < 16) throw new SecretBoxError('sealed value is truncated');
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(ivText, 'base64url'));
        decipher.setAAD(Buffer.from(context, 'utf8'));
        decipher.setAuthTag(body.subarray(body.length - 16));
        return Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]).toString('utf8');
      } catch {
        throw new SecretBoxError('sealed value does not open with this key and context (tampered, moved, or SKYFLO_ENCRYPTION_KEY changed)');
      }
    },
  };
}
