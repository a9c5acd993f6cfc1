/**
 * Many audit records at once, for the suites and benches that need a large trail (issue 79: verify and the audit
 * page at 100k–1M records). Each record is what the engine's own append writes — its content digest, the audit key's
 * signature, linked to the one before it (storage/audit-append.ts) — computed here and inserted a few thousand rows per
 * statement, with the chain's head row moved to the last one. A verify of the result reads it like any trail. Never
 * used by the engine: one append at a time, with its head row's lock, is what keeps concurrent writers in order.
 */
import { randomUUID, type KeyObject } from 'node:crypto';
import { auditContentDigest, linkHash } from '../domain/audit/audit-chain.ts';
import { createAuditRecordSigner } from '../platform/crypto/audit-record-signer.ts';

export interface BulkAuditOptions {
  /** raw SQL on the engine's database (PGlite's query or a pg client's) */
  query(text: string, params?: unknown[]): Promise<{ rows: unknown[] }>;
  /** the engine's audit key: records signed with another do not verify as the engine's */
  signingKey: KeyObject;
  count: number;
  /** the record's action and details (default: `bulk.record` and its number) */
  record?(index: number): { action: string; details?: Record<string, unknown>; tool?: string };
  /** rows per INSERT (default 2,000) */
  rowsPerStatement?: number;
}

export async function appendAuditInBulk(options: BulkAuditOptions): Promise<{ headSequence: number; headHash: string }> {
  const { query, count, rowsPerStatement = 2_000 } = options;
  const signer = createAuditRecordSigner(options.signingKey);
  const [head] = (await query('SELECT sequence, hash FROM audit_chain_head WHERE id = 1')).rows as Array<{ sequence: string | number; hash: string }>;
  if (!head) throw new Error('no audit_chain_head row: migrate the database first');
  let previous = head.hash;
  let sequence = Number(head.sequence);
  const at = new Date(Date.now());
  for (let done = 0; done < count; ) {
    const size = Math.min(rowsPerStatement, count - done);
    const sequences = (await query(`SELECT nextval(pg_get_serial_sequence('audit_events', 'sequence')) AS sequence FROM generate_series(1, ${size})`)).rows as Array<{ sequence: string | number }>;
    const rows: unknown[][] = [];
    let prevOfLast = previous;
    for (let index = 0; index < size; index += 1) {
      const made = options.record?.(done + index) ?? { action: 'bulk.record', details: { n: done + index } };
      const fields = { id: randomUUID(), at, actorId: null, action: made.action, conversationId: null, tool: made.tool ?? null, subjectType: null, subjectId: null, details: made.details ?? {}, ip: null };
      const digest = auditContentDigest(fields);
      const hash = linkHash(previous, digest);
      sequence = Number(sequences[index]!.sequence);
      rows.push([fields.id, sequence, at.toISOString(), fields.action, fields.tool, JSON.stringify(fields.details), previous, hash, signer.sign(digest)]);
      prevOfLast = previous;
      previous = hash;
    }
    const placeholders = rows.map((_, row) => `(${Array.from({ length: 9 }, (__, column) => `$${row * 9 + column + 1}`).join(', ')})`).join(', ');
    await query(`INSERT INTO audit_events (id, sequence, at, action, tool, details, prev_hash, hash, signature) VALUES ${placeholders}`, rows.flat());
    await query('UPDATE audit_chain_head SET sequence = $1, prev_hash = $2, hash = $3 WHERE id = 1', [sequence, prevOfLast, previous]);
    done += size;
  }
  return { headSequence: sequence, headHash: previous };
}
