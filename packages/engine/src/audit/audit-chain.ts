/**
 * The audit trail's hash chain: every record carries the hash of the record before it (by write sequence) and its
 * own hash, sha-256 over the canonical JSON of its fields plus that previous hash. Changing, removing, inserting or
 * reordering a record breaks the chain from that point on, which GET /audit/verify finds by re-walking it.
 * (Whoever can write the table can also rebuild the chain; keep the head hash that verify reports somewhere else,
 * e.g. in a ticket or a log shipped off the host, to detect that too.)
 */
import { createHash } from 'node:crypto';
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

export function hashAuditRecord(fields: ChainedFields, prevHash: string): string {
  const canonical = canonicalJson({
    id: fields.id,
    sequence: fields.sequence,
    at: fields.at.toISOString(),
    actor_id: fields.actorId,
    action: fields.action,
    conversation_id: fields.conversationId,
    tool: fields.tool,
    subject_type: fields.subjectType,
    subject_id: fields.subjectId,
    details: fields.details,
    ip: fields.ip,
    prev_hash: prevHash,
  });
  return createHash('sha256').update(canonical).digest('hex');
}

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
}

/** A head reported earlier and kept outside the database: a rewritten chain no longer contains it. */
export interface ChainAnchor {
  sequence: number;
  hash: string;
}

/**
 * Walks records in write order and stops at the first broken link. Feed rows with `next`, then read `report()`.
 * Constant memory: only the previous hash is kept.
 */
export function createChainWalker(anchor?: ChainAnchor) {
  let position = 0;
  let previous: string | null = null;
  let previousSequence: number | null = null;
  let anchorFound = false;
  let checked = 0;
  let legacy = 0;
  let brokenAt: ChainBreak | undefined;
  return {
    /** false once a break was found (no need to feed more) */
    next(row: ChainedFields & { hash: string | null; prevHash: string | null }): boolean {
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
      if (hashAuditRecord(row, expectedPrev) !== row.hash) return at('the record does not match its hash: it was changed after it was written');
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
        ok: brokenAt === undefined,
        recordsChecked: checked,
        legacyRecords: legacy,
        headHash: previous,
        headSequence: previousSequence,
        ...(brokenAt ? { brokenAt } : {}),
        ...(anchor ? { anchorFound } : {}),
      };
    },
  };
}
