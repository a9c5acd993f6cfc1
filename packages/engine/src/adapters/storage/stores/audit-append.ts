/**
 * An audit append as ONE statement (issues 32.2, 38.5): the engine prepares the record (id, time, content digest,
 * signature) and the statement links it: it updates the chain's head row (prev_hash ← hash, hash ← sha-256(hash ‖
 * digest), sequence ← nextval) and inserts the record from what that update returned. The head row's lock orders
 * concurrent appends across engine processes (READ COMMITTED re-reads the row once the lock is free, so no append
 * links to a stale head) and is held only until the statement's transaction ends: no advisory lock, no lock held
 * across a round trip to the engine.
 *
 * The same CTEs ride along with a state change (auditedChange): an approval decision or an execution claim and its
 * record are one statement, committed together or not at all (issue 32.3).
 */
import { randomUUID } from 'node:crypto';
import { sql, type SQL } from 'drizzle-orm';
import { auditContentDigest, type ChainedFields } from '../../../domain/audit/audit-chain.ts';
import { asStoredJson } from '../../../domain/audit/canonical-json.ts';
import type { AuditRecordSigner } from '../../../platform/crypto/audit-record-signer.ts';
import type { NewAuditEvent, StoredAuditEvent } from '../../../platform/ports/index.ts';
import { isUuid } from '../../../platform/ports/conversation-cursor.ts';
import type { SkyfloDatabase } from '../database.ts';
import { param, renderedOnce, rowsOf } from '../rendered-statements.ts';

export type PreparedAuditRecord = Omit<ChainedFields, 'sequence'> & { digest: string; signature: string | null };

/** Older callers put the conversation and tool in details only; they become filterable columns here. */
function columnsOf(event: NewAuditEvent): { conversationId: string | null; tool: string | null } {
  const fromDetails = event.details['conversation_id'];
  const conversationId = event.conversationId ?? (typeof fromDetails === 'string' && isUuid(fromDetails) ? fromDetails : undefined);
  const tool = event.tool ?? (typeof event.details['tool'] === 'string' ? (event.details['tool'] as string) : undefined);
  return { conversationId: conversationId && isUuid(conversationId) ? conversationId : null, tool: tool ?? null };
}

/** The record as it will be stored, its digest and (with a signer) its signature. */
export function prepareAuditRecord(event: NewAuditEvent, signer: AuditRecordSigner | undefined): PreparedAuditRecord {
  const { conversationId, tool } = columnsOf(event);
  const fields = {
    id: randomUUID(),
    // Millisecond precision, as stored (timestamp(3)), so the digest computed now matches the row read back later.
    at: new Date(Date.now()),
    actorId: event.actorId ?? null,
    action: event.action,
    conversationId,
    tool,
    subjectType: event.subjectType ?? null,
    subjectId: event.subjectId ?? null,
    details: asStoredJson(event.details),
    ip: event.ip ?? null,
  };
  const digest = auditContentDigest(fields);
  return { ...fields, digest, signature: signer ? signer.sign(digest) : null };
}

/**
 * The CTEs `audit_head` and `audit_appended` that append the record whose values `auditValues` gives (placeholders
 * `audit_*`, so a statement carrying them is rendered once: rendered-statements.ts); with `when` (an SQL condition
 * over earlier CTEs), only if it holds. The caller writes `WITH …, ${auditAppendCtes(…)} SELECT …`.
 */
export function auditAppendCtes(when?: SQL): SQL {
  return sql`audit_head AS (
      UPDATE audit_chain_head
         SET prev_hash = hash,
             hash = encode(sha256(convert_to(hash || ${param('audit_digest')}::text, 'UTF8')), 'hex'),
             sequence = nextval(pg_get_serial_sequence('audit_events', 'sequence'))
       WHERE id = 1${when ? sql` AND ${when}` : sql``}
       RETURNING sequence, prev_hash, hash),
    audit_appended AS (
      INSERT INTO audit_events (id, sequence, at, actor_id, action, conversation_id, tool, subject_type, subject_id, details, ip, prev_hash, hash, signature)
      SELECT ${param('audit_id')}::uuid, audit_head.sequence, ${param('audit_at')}::timestamptz, ${param('audit_actor_id')}::uuid, ${param('audit_action')}::text,
             ${param('audit_conversation_id')}::uuid, ${param('audit_tool')}::text, ${param('audit_subject_type')}::text, ${param('audit_subject_id')}::text,
             ${param('audit_details')}::jsonb, ${param('audit_ip')}::text, audit_head.prev_hash, audit_head.hash, ${param('audit_signature')}::text
        FROM audit_head
      RETURNING sequence, prev_hash, hash)`;
}

/** The values of auditAppendCtes' placeholders for `record`. */
export function auditValues(record: PreparedAuditRecord): Record<string, unknown> {
  return {
    audit_digest: record.digest,
    audit_id: record.id,
    audit_at: record.at.toISOString(),
    audit_actor_id: record.actorId,
    audit_action: record.action,
    audit_conversation_id: record.conversationId,
    audit_tool: record.tool,
    audit_subject_type: record.subjectType,
    audit_subject_id: record.subjectId,
    audit_details: JSON.stringify(record.details),
    audit_ip: record.ip,
    audit_signature: record.signature,
  };
}

const appendStatement = renderedOnce<'append'>(() => sql`WITH ${auditAppendCtes()} SELECT sequence, prev_hash, hash FROM audit_appended`);

/**
 * The condition a change recorded with its audit record is made under: the chain's head row exists, so a missing head
 * makes the change not happen rather than happen unrecorded.
 */
export const auditChainReady = sql`EXISTS (SELECT 1 FROM audit_chain_head WHERE id = 1)`;

const missingHead = () =>
  new Error('the audit chain has no head row (audit_chain_head, migration 0011): the database was not migrated by this version, or the row was removed; restore it before writing audit records');

/**
 * Appends one record in one statement (on its own, or inside the caller's transaction `db`, so a change and its
 * record commit together).
 */
export async function appendAuditEvent(db: SkyfloDatabase, event: NewAuditEvent, signer: AuditRecordSigner | undefined): Promise<StoredAuditEvent> {
  const record = prepareAuditRecord(event, signer);
  const [linked] = await appendStatement.rows<{ sequence: string | number; prev_hash: string; hash: string }>(db, auditValues(record), 'append');
  if (!linked) throw missingHead();
  return storedOf(record, linked);
}

function storedOf(record: PreparedAuditRecord, linked: { sequence: string | number; prev_hash: string; hash: string }): StoredAuditEvent {
  return {
    id: record.id,
    at: record.at,
    action: record.action,
    details: record.details,
    sequence: Number(linked.sequence),
    prevHash: linked.prev_hash,
    hash: linked.hash,
    ...(record.actorId !== null ? { actorId: record.actorId } : {}),
    ...(record.subjectType !== null ? { subjectType: record.subjectType } : {}),
    ...(record.subjectId !== null ? { subjectId: record.subjectId } : {}),
    ...(record.ip !== null ? { ip: record.ip } : {}),
    ...(record.conversationId !== null ? { conversationId: record.conversationId } : {}),
    ...(record.tool !== null ? { tool: record.tool } : {}),
  };
}

/**
 * A change and its audit record as ONE statement, so the change never commits without its record (and a failing
 * append leaves the change undone): `change` builds an UPDATE … RETURNING over placeholders (rendered once per
 * shape, rendered-statements.ts) and receives a condition to add to its WHERE — the chain's head row exists, so a
 * missing head makes the change not happen rather than happen unrecorded. The returned function runs it with a call's
 * values and appends `event` only when the change changed a row; it returns the changed rows as the driver returned
 * them (snake_case columns).
 */
export function auditedChange<Shape extends string>(change: (chainReady: SQL, shape: Shape) => SQL | { getSQL(): SQL }) {
  const statement = renderedOnce<Shape>(
    // getSQL(): a query builder embedded as is gets parentheses of its own, which a CTE's body must not have.
    (shape) => sql`WITH changed AS (${change(auditChainReady, shape).getSQL()}), ${auditAppendCtes(sql`EXISTS (SELECT 1 FROM changed)`)}
      SELECT changed.* FROM changed`,
  );
  return async <Row>(db: SkyfloDatabase, shape: Shape, values: Record<string, unknown>, event: NewAuditEvent, signer: AuditRecordSigner | undefined): Promise<Row[]> => {
    const record = prepareAuditRecord(event, signer);
    const rows = await statement.rows<Row>(db, { ...values, ...auditValues(record) }, shape);
    if (rows.length === 0) {
      const [head] = rowsOf<{ id: number }>(await db.execute(sql`SELECT id FROM audit_chain_head WHERE id = 1`));
      if (!head) throw missingHead();
    }
    return rows;
  };
}
