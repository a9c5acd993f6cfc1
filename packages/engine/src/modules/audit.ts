/**
 * The audit chain's signed heads for the composition root (create-engine.ts): the signer (the same key the storage
 * was given), the publisher that logs a signed head on a beat once the app's logger exists, and GET /audit/head.
 */
import { createAuditHeadPublisher, type AuditHeadPublisher } from '../domain/audit/chain-head-publisher.ts';
import { createAuditHeadSigner, parseAuditSigningKey } from '../platform/crypto/audit-signing-key.ts';
import type { MountedRoutes } from '../http/app.ts';
import { auditHeadRoutes, type AuditHeadRouteDeps } from '../http/routes/audit/head.ts';
import type { Config } from '../platform/config/index.ts';
import type { PlatformStorage } from '../platform/ports/index.ts';

export interface AuditHeadsDeps {
  storage: PlatformStorage;
  /** the audit signing key (PEM) */
  signingKeyPem: string;
  /** STORAGE_AUDIT_HEAD_PUBLISH_SECONDS, in ms */
  intervalMs: number;
}

export function createAuditHeads(deps: AuditHeadsDeps) {
  const { storage } = deps;
  const signer = createAuditHeadSigner(parseAuditSigningKey(deps.signingKeyPem));
  let publisher: AuditHeadPublisher | undefined;
  const routes: MountedRoutes<any>[] = [{ plugin: auditHeadRoutes, options: { audit: storage.audit, heads: { current: () => publisher!.current() }, signer } satisfies AuditHeadRouteDeps }];
  return {
    signer,
    routes,
    /** made once the app (and its logger) exists */
    publishWith(logger: Parameters<typeof createAuditHeadPublisher>[0]['logger']) {
      publisher = createAuditHeadPublisher({ audit: storage.audit, signer, logger, intervalMs: deps.intervalMs });
    },
    start: () => publisher!.start(),
    stop: async () => publisher?.stop(),
  };
}

/**
 * Where the engine's one database login also owns the tables (it runs the migrations), it could rewrite the audit
 * trail: say so at start-up, with what to do.
 */
export function warnIfOwnerLogin(storage: Config['storage'], ownsStorage: boolean, logger: { warn(message: string): void }) {
  if (storage.postgresUrl && !storage.postgresMigrationUrl && ownsStorage) {
    logger.warn(
      'POSTGRES_DATABASE_URL is the only database login: the engine runs the migrations with it, so it owns audit_events and could disable its triggers and rewrite the audit trail. ' +
        'Set POSTGRES_MIGRATION_URL to the owner role and POSTGRES_DATABASE_URL to a role of its own (see docs/approvals-and-enforcement.md, "Audit history cannot be rewritten"); until then keep the signed audit heads (GET /api/v1/audit/head) outside the database.',
    );
  }
}
