/**
 * The audit trail's hash chain: every record carries the hash of the record before it (by write sequence) and its
 * own hash, sha-256 over the canonical JSON of its fields plus that previous hash. Changing, removing, inserting or
 * reordering a record breaks the chain from that point on, which GET /audit/verify finds by re-walking it.
 * (Whoever can write the table can also rebuild the chain; keep the head hash that verify reports somewhere else,
 * e.g. in a ticket or a log shipped off the host, to detect that too.)
 *
 * Two formats (migration 0011): records before `signed_from` hash their fields with prev_hash in the engine (v1,
 * hashAuditRecord). From `signed_from` on (v2) the engine computes a digest of the record's content and signs it
 * with the audit key (crypto/audit-record-signer.ts); the INSERT itself links it: hash = sha-256(prev_hash ‖ digest),
 * prev_hash taken from the chain's head row in the same statement. A v2 record without a valid signature was not
 * written by the engine.
 */
import { createHash } from 'node:crypto';
import type { AuditVerifyCheckpoint } from '../../platform/ports/audit.ts';
import { canonicalJson } from './canonical-json.ts';

/** The `prev_hash` of the first chained record. */
export const GENESIS_HASH = '0'.repeat(64);

/** The fields a record's hash covers (everything but the hash itself). */
export interface ChainedFields {
  id: string;
  sequence: number;
  at: Date;
  actorId: string | null;
  action: string;
  conversationId: string | null;
  tool: string | null;
  subjectType: string | null;
  subjectId: string | null;
  details: Record<string, unknown>;
  ip: string | null;
}

/** A record's content as both hashes name it (snake_case, as the API shows it); canonicalJson sorts the keys. */
function contentFields(fields: Omit<ChainedFields, 'sequence'>) {
  return {
    id: fields.id,
    at: fields.at.toISOString(),
    actor_id: fields.actorId,
    action: fields.action,
    conversation_id: fields.conversationId,
    tool: fields.tool,
    subject_type: fields.subjectType,
    subject_id: fields.subjectId,
    details: fields.details,
    ip: fields.ip,
  };
}

export function hashAuditRecord(fields: ChainedFields, prevHash: string): string {
  const canonical = canonicalJson({ ...contentFields(fields), sequence: fields.sequence, prev_hash: prevHash });
  return createHash('sha256').update(canonical).digest('hex');
}

/** The v2 content digest: what the engine signs; the chain link covers it (sequence and position are the chain's). */
export function auditContentDigest(fields: Omit<ChainedFields, 'sequence'>): string {
  const canonical = canonicalJson({ v: 2, ...contentFields(fields) });
  return createHash('sha256').update(canonical).digest('hex');
}

/** The v2 link, as the INSERT computes it in SQL: encode(sha256(convert_to(prev_hash || digest, 'UTF8')), 'hex'). */
export function linkHash(prevHash: string, digest: string): string {
  return createHash('sha256').update(prevHash + digest).digest('hex');
}

/** A record's hash in the format its sequence was written in (`signedFrom`: audit_chain_head.signed_from). */
export function chainHashOf(fields: ChainedFields, prevHash: string, signedFrom: number): string {
  return fields.sequence >= signedFrom ? linkHash(prevHash, auditContentDigest(fields)) : hashAuditRecord(fields, prevHash);
}

/** A record the chain holds but the engine did not sign (or whose signature no longer matches its content). */
export interface UnsignedRecord {
  position: number;
  sequence: number;
  id: string;
  reason: string;
}

/** At most this many unsigned records are listed (all are counted). */
const MAX_LISTED_UNSIGNED = 50;

export interface ChainBreak {
  /** 1-based position in write order among all records (legacy ones included) */
  position: number;
  sequence: number;
  id: string;
  reason: string;
}

export interface ChainReport {
  ok: boolean;
  recordsChecked: number;
  /** records written before the chain existed (migration 0006); they are not covered by it */
  legacyRecords: number;
  headHash: string | null;
  /** the sequence of the record whose hash is headHash: with it, an anchor to check later */
  headSequence: number | null;
  brokenAt?: ChainBreak;
  /** whether the anchor given (a head kept elsewhere earlier) is still in the chain with the same hash */
  anchorFound?: boolean;
  /** whether each signed-format record's signature was checked (false: the trail was opened without the audit key) */
  signaturesChecked: boolean;
  /** records in the signed format (migration 0011 on) whose signature is valid */
  signedRecords: number;
  /** how many signed-format records carry no valid signature: not written by the engine */
  unsignedCount: number;
  /** the first of them (up to 50), in write order */
  unsigned: UnsignedRecord[];
}

/** A head reported earlier and kept outside the database: a rewritten chain no longer contains it. */
export interface ChainAnchor {
  sequence: number;
  hash: string;
}

/** Where a walk got to (ports/audit.ts AuditVerifyCheckpoint): with it, a later walk goes on from there. */
export type ChainCheckpoint = AuditVerifyCheckpoint;

/**
 * Walks records in write order and stops at the first broken link. Feed rows with `next`, then read `report()`.
 * Constant memory: only the previous hash is kept.
 */
export interface ChainWalkerOptions {
  anchor?: ChainAnchor;
  /** the first sequence written in the signed format (audit_chain_head.signed_from); records from it on must be v2 */
  signedFrom?: number;
  /** checks a v2 record's signature over its digest; absent, signatures are not checked (and the report says so) */
  checkSignature?: (digest: string, signature: string | null) => string | undefined;
  /** go on from a checkpoint of an earlier walk (its anchor is this walk's): the next record must follow its record */
  from?: ChainCheckpoint;
}

export function createChainWalker(options: ChainWalkerOptions = {}) {
  const { from, signedFrom = Number.POSITIVE_INFINITY, checkSignature } = options;
  const anchor = from ? from.anchor : options.anchor;
  let position = from?.position ?? 0;
  let signed = from?.signed ?? 0;
  let unsignedCount = from?.unsignedCount ?? 0;
  const unsigned: UnsignedRecord[] = [...(from?.unsigned ?? [])];
  let previous: string | null = from?.hash ?? null;
  let previousSequence: number | null = from?.sequence ?? null;
  let anchorFound = from?.anchorFound ?? false;
  let checked = from?.checked ?? 0;
  let legacy = from?.legacy ?? 0;
  let brokenAt: ChainBreak | undefined;
  return {
    /** where the walk is now, to go on from later; undefined once it found a break (or before any chained record) */
    checkpoint(): ChainCheckpoint | undefined {
      if (brokenAt || previous === null || previousSequence === null) return undefined;
      return { position, sequence: previousSequence, hash: previous, checked, legacy, signed, unsignedCount, unsigned: [...unsigned], ...(anchor ? { anchor } : {}), anchorFound };
    },
    /** the walk cannot go on from its checkpoint: the record it names is gone or changed */
    breakAtCheckpoint(reason: string): void {
      if (!from || brokenAt) return;
      brokenAt = { position: from.position, sequence: from.sequence, id: '', reason };
    },
    /** false once a break was found (no need to feed more) */
    next(row: ChainedFields & { hash: string | null; prevHash: string | null; signature?: string | null }): boolean {
      if (brokenAt) return false;
      position += 1;
      const at = (reason: string) => {
        brokenAt = { position, sequence: row.sequence, id: row.id, reason };
        return false;
      };
      if (row.hash === null) {
        if (previous !== null) return at('the record has no hash although it was written after the chain started (inserted outside Skyflo)');
        legacy += 1;
        return true;
      }
      const expectedPrev = previous ?? GENESIS_HASH;
      if (row.prevHash !== expectedPrev) return at('prev_hash does not match the hash of the record before it: a record was removed, inserted or reordered here');
      if (row.sequence >= signedFrom) {
        const digest = auditContentDigest(row);
        if (linkHash(expectedPrev, digest) !== row.hash) return at('the record does not match its hash: it was changed after it was written');
        if (checkSignature) {
          const problem = checkSignature(digest, row.signature ?? null);
          if (problem === undefined) signed += 1;
          else {
            unsignedCount += 1;
            if (unsigned.length < MAX_LISTED_UNSIGNED) unsigned.push({ position, sequence: row.sequence, id: row.id, reason: problem });
          }
        }
      } else if (hashAuditRecord(row, expectedPrev) !== row.hash) return at('the record does not match its hash: it was changed after it was written');
      if (anchor && row.sequence === anchor.sequence) {
        if (row.hash !== anchor.hash) return at('the record at the anchor has another hash than the one kept: the chain was rewritten up to here');
        anchorFound = true;
      }
      previous = row.hash;
      previousSequence = row.sequence;
      checked += 1;
      return true;
    },
    report(): ChainReport {
      if (anchor && !anchorFound && !brokenAt) {
        brokenAt = { position: position + 1, sequence: anchor.sequence, id: '', reason: 'the anchor record is no longer in the chain: records were removed or the chain was rewritten' };
      }
      return {
        ok: brokenAt === undefined && unsignedCount === 0,
        recordsChecked: checked,
        legacyRecords: legacy,
        headHash: previous,
        headSequence: previousSequence,
        ...(brokenAt ? { brokenAt } : {}),
        ...(anchor ? { anchorFound } : {}),
        signaturesChecked: checkSignature !== undefined,
        signedRecords: signed,
        unsignedCount,
        unsigned,
      };
    },
  };
}
