/** Where Skyflo keeps its data: PGlite in a local folder by default, Postgres when a URL is given. */
import path from 'node:path';
import { z } from 'zod';
import { parseAuditSigningKey } from '../crypto/parse-audit-signing-key.ts';

const postgresUrl = z.string().regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://');

export const storageConfigSchema = z
  .object({
    /** Local state folder: the PGlite database and the generated JWT secret live here. */
    SKYFLO_DATA_DIR: z.string().min(1).default('./.skyflo'),
    /**
     * postgres:// URL the engine serves with; unset stores everything in PGlite under SKYFLO_DATA_DIR
     * (POSTGRES_DATABASE_URL_FILE supported). With POSTGRES_MIGRATION_URL this role must not own the tables.
     */
    POSTGRES_DATABASE_URL: postgresUrl.optional(),
    /**
     * postgres:// URL of the role that owns the schema: runs the migrations and grants the serving role only what
     * it needs (INSERT and SELECT on audit_events). Unset: POSTGRES_DATABASE_URL does both, and the engine's own
     * login could rewrite the audit trail (a start-up warning says so).
     */
    POSTGRES_MIGRATION_URL: postgresUrl.optional(),
    /**
     * Ed25519 private key (PKCS#8 PEM, or its DER in base64) that signs the published audit chain head; unset: one
     * generated once in SKYFLO_DATA_DIR/audit-signing-key. Replicas share one (SKYFLO_AUDIT_SIGNING_KEY_FILE supported).
     */
    SKYFLO_AUDIT_SIGNING_KEY: z.string().min(1).optional(),
    /**
     * Postgres session limits (issue 32.2), in milliseconds: a statement running longer is cancelled, a lock waited
     * for longer is given up, and a session idle inside a transaction longer (a frozen or dead replica) is cut off,
     * releasing its locks. 0 turns one off. Defaults 30000, 10000 and 5000: a dead holder is cut before a waiter gives up.
     */
    POSTGRES_STATEMENT_TIMEOUT_MS: z.coerce.number().int('must be a whole number of milliseconds').min(0, 'must be 0 (off) or more').default(30_000),
    POSTGRES_LOCK_TIMEOUT_MS: z.coerce.number().int('must be a whole number of milliseconds').min(0, 'must be 0 (off) or more').default(10_000),
    POSTGRES_IDLE_IN_TRANSACTION_TIMEOUT_MS: z.coerce.number().int('must be a whole number of milliseconds').min(0, 'must be 0 (off) or more').default(5_000),
    /** How often the engine checks the audit chain's head and, when it moved, publishes it signed (log line); default 30. */
    AUDIT_HEAD_PUBLISH_SECONDS: z.coerce.number().int('must be a whole number of seconds').min(1, 'must be at least 1').optional(),
  })
  .superRefine((env, context) => {
    if (env.SKYFLO_AUDIT_SIGNING_KEY) {
      try {
        parseAuditSigningKey(env.SKYFLO_AUDIT_SIGNING_KEY);
      } catch (error) {
        context.addIssue({ code: 'custom', path: ['SKYFLO_AUDIT_SIGNING_KEY'], message: `must be an Ed25519 private key, PKCS#8 PEM or its DER in base64 (make one with: openssl genpkey -algorithm ed25519): ${error instanceof Error ? error.message : 'unreadable'}` });
      }
    }
    if (env.POSTGRES_MIGRATION_URL && !env.POSTGRES_DATABASE_URL) {
      context.addIssue({ code: 'custom', path: ['POSTGRES_MIGRATION_URL'], message: 'needs POSTGRES_DATABASE_URL too (the role the engine serves with; the migration role only owns the schema)' });
    }
  })
  .transform((env) => ({
    dataDir: path.resolve(env.SKYFLO_DATA_DIR),
    postgresUrl: env.POSTGRES_DATABASE_URL,
    postgresMigrationUrl: env.POSTGRES_MIGRATION_URL,
    auditSigningKey: env.SKYFLO_AUDIT_SIGNING_KEY,
    auditHeadPublishSeconds: env.AUDIT_HEAD_PUBLISH_SECONDS,
    postgresTimeouts: { statementMs: env.POSTGRES_STATEMENT_TIMEOUT_MS, lockMs: env.POSTGRES_LOCK_TIMEOUT_MS, idleInTransactionMs: env.POSTGRES_IDLE_IN_TRANSACTION_TIMEOUT_MS },
  }));

export type StorageConfig = z.output<typeof storageConfigSchema>;
