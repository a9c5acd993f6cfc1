/**
 * Publishes the audit chain's head outside the database (issue 19 item 12): a signed {sequence, hash, at} as a log
 * line whenever the head moved (checked every few seconds, so a burst of appends costs one line and appends never
 * wait for it) and on demand (GET /audit/head). A head kept in a log shipped off the host, or a ticket, lets
 * POST /audit/verify tell later whether the chain was rewritten since, even by the table's owner.
 */
import type { AuditTrail } from '../../platform/ports/index.ts';
import type { AuditHeadSigner, ChainHead } from '../../platform/crypto/audit-signing-key.ts';

export interface SignedChainHead {
  head: ChainHead;
  signedHead: string;
}

export interface AuditHeadPublisher {
  /** the newest chained record, signed now; undefined while the trail has none */
  current(): Promise<SignedChainHead | undefined>;
  /** logs the head if it moved since the last line (or never was logged) */
  publish(): Promise<void>;
  /** checks every `intervalMs` and once at once; stop() ends it */
  start(): void;
  /** ends the checks and logs the last head */
  stop(): Promise<void>;
}

export interface AuditHeadPublisherDeps {
  audit: Pick<AuditTrail, 'page'>;
  signer: AuditHeadSigner;
  logger: { info(object: unknown, message?: string): void; error(object: unknown, message?: string): void };
  intervalMs: number;
}

export function createAuditHeadPublisher(deps: AuditHeadPublisherDeps): AuditHeadPublisher {
  let lastSequence: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  let publishing: Promise<void> | undefined;

  async function current(): Promise<SignedChainHead | undefined> {
    const { items } = await deps.audit.page({ limit: 1 });
    const newest = items[0];
    // Records older than the chain (NULL hash) have nothing to anchor.
    if (!newest?.hash) return undefined;
    const head = { sequence: newest.sequence, hash: newest.hash, at: new Date().toISOString() };
    return { head, signedHead: await deps.signer.sign(head) };
  }

  async function publishOnce(): Promise<void> {
    const signed = await current();
    if (!signed || signed.head.sequence === lastSequence) return;
    lastSequence = signed.head.sequence;
    deps.logger.info({ audit_head: signed.head, signed_head: signed.signedHead }, `audit chain head: sequence ${signed.head.sequence}, hash ${signed.head.hash} (keep signed_head to check later with POST /api/v1/audit/verify)`);
  }

  const publish = () =>
    (publishing ??= publishOnce()
      .catch((error: unknown) => deps.logger.error({ err: error }, 'could not publish the audit chain head'))
      .finally(() => (publishing = undefined)));

  return {
    current,
    publish,
    start() {
      if (timer) return;
      void deps.signer.publicJwk().then((jwk) => deps.logger.info({ audit_head_public_key: jwk }, 'audit chain heads are signed with this Ed25519 key'));
      void publish();
      timer = setInterval(() => void publish(), deps.intervalMs);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      await publishing;
      await publish();
    },
  };
}
