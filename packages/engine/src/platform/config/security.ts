/** Encryption at rest. Parsed once by config/index.ts. */
import { z } from 'zod';

/** 32 bytes as 64 hex characters or as base64/base64url (e.g. `openssl rand -hex 32`). */
function parseKey(value: string): Buffer | undefined {
  const text = value.trim();
  if (/^[0-9a-f]{64}$/i.test(text)) return Buffer.from(text, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(text)) {
    const bytes = Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (bytes.length === 32) return bytes;
  }
  return undefined;
}

export const securityConfigSchema = z
  .object({
    /**
     * AES-256-GCM key for secrets kept in the database (the exact arguments of calls awaiting approval, integration
     * credentials, model API keys): 32 bytes, hex or base64 (SKYFLO_ENCRYPTION_KEY_FILE supported). Unset →
     * generated once and kept in SKYFLO_DATA_DIR. Several engine replicas must share one key, so set it there.
     */
    SKYFLO_ENCRYPTION_KEY: z
      .string()
      .refine((value) => parseKey(value) !== undefined, 'must be 32 bytes as 64 hex characters or base64 (e.g. `openssl rand -hex 32`)')
      .optional(),
  })
  .transform((env) => ({ encryptionKey: env.SKYFLO_ENCRYPTION_KEY ? parseKey(env.SKYFLO_ENCRYPTION_KEY) : undefined }));

export type SecurityConfig = z.output<typeof securityConfigSchema>;
