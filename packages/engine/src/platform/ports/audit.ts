/** The append-only, hash-chained audit trail. */

export interface AuditEvent {
  id: string;
  at: Date;
  actorId?: string;
  action: string;
  subjectType?: string;
  subjectId?: string;
  /** never secrets: callers pass display forms (redacted arguments, digests, last 4 characters) */
  details: Record<string, unknown>;
  ip?: string;
  /** the conversation the record is about (default: details.conversation_id when it is a UUID) */
  conversationId?: string;
  /** the tool the record is about (default: details.tool when it is a string) */
  tool?: string;
}

/** What a caller records; id, time, sequence and hashes are assigned by the trail. */
export type NewAuditEvent = Omit<AuditEvent, 'id' | 'at'>;

/** Append-only record of who asked, what was proposed, decided and run, and security-relevant actions. */
export interface AuditLog {
  record(event: NewAuditEvent): Promise<void>;
  list(input: { limit: number; action?: string; actorId?: string }): Promise<AuditEvent[]>;
}

/** A stored audit record with its place in the chain (hashes are null only on records older than the chain). */
export interface StoredAuditEvent extends AuditEvent {
  sequence: number;
  prevHash: string | null;
  hash: string | null;
  /** the engine's signature over the record's content (migration 0011 on); null on older or forged records */
  signature?: string | null;
}

export interface AuditFilter {
  actorId?: string;
  conversationId?: string;
  tool?: string;
  /** exact action, or a prefix when it ends with `*` ("auth.*") */
  action?: string;
  from?: Date;
  /** exclusive */
  to?: Date;
}

export interface AuditChainReport {
  ok: boolean;
  recordsChecked: number;
  legacyRecords: number;
  headHash: string | null;
  headSequence: number | null;
  brokenAt?: { position: number; sequence: number; id: string; reason: string };
  anchorFound?: boolean;
  /** whether signatures were checked (the trail has the engine's audit key) */
  signaturesChecked: boolean;
  /** signed-format records whose signature is the engine's */
  signedRecords: number;
  /** signed-format records without a valid signature (not written by the engine), and the first of them */
  unsignedCount: number;
  unsigned: Array<{ position: number; sequence: number; id: string; reason: string }>;
}

/**
 * Where a verify got to (issue 79): the last record checked (its position, sequence and hash) and what was counted up
 * to it. A verify started from a checkpoint checks the records after it only; those before it were checked by the
 * verify that handed it out. The engine hands checkpoints out signed (crypto/audit-signing-key.ts): none can be made up.
 */
export interface AuditVerifyCheckpoint {
  position: number;
  sequence: number;
  hash: string;
  checked: number;
  legacy: number;
  signed: number;
  unsignedCount: number;
  unsigned: Array<{ position: number; sequence: number; id: string; reason: string }>;
  /** the verify's anchor, and whether it was passed already */
  anchor?: { sequence: number; hash: string };
  anchorFound: boolean;
}

export interface AuditVerifyOptions {
  /** go on from a checkpoint of an earlier verify (its anchor is this one's) */
  from?: AuditVerifyCheckpoint;
  /** told after every `progressEvery` records checked, with a checkpoint to go on from; the verify waits for it */
  onProgress?(progress: { checkpoint: AuditVerifyCheckpoint; headSequence: number | null }): void | Promise<void>;
  /** default 10,000 */
  progressEvery?: number;
  /** stops the verify at its next slice (its report is then not to be read) */
  signal?: AbortSignal;
}

/** The audit trail behind GET /audit, /audit/export and /audit/verify (storage/audit-log.ts). */
export interface AuditTrail extends AuditLog {
  /** newest first; `beforeSequence` is the cursor from the previous page */
  page(input: AuditFilter & { limit: number; beforeSequence?: number }): Promise<{ items: StoredAuditEvent[]; nextCursor: number | null }>;
  /** oldest first, read in batches (constant memory however many records match) */
  scan(input: AuditFilter & { batchSize?: number }): AsyncIterable<StoredAuditEvent>;
  /**
   * Re-walks the whole chain (or what follows `options.from`) and reports the first broken link; `anchor`: a head kept
   * elsewhere that must still be in it. Never holds the event loop for long: it yields between short slices of work.
   */
  verify(anchor?: { sequence: number; hash: string }, options?: AuditVerifyOptions): Promise<AuditChainReport>;
}
