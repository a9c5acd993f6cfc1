/**
 * The audit trail on Postgres/PGlite: one append-only table (a trigger refuses UPDATE, DELETE and TRUNCATE,
 * migration 0006) whose records are hash-chained in write order (audit/audit-chain.ts) and, from migration 0011 on,
 * signed by the engine (crypto/audit-record-signer.ts); an append is one statement (audit-append.ts).
 */
import { and, asc, desc, eq, gt, gte, like, lt, sql, type SQL } from 'drizzle-orm';
import { createChainWalker } from '../audit/audit-chain.ts';
import { signatureKeyId, type AuditRecordSigner } from '../crypto/audit-record-signer.ts';
import type { AuditFilter, AuditTrail, StoredAuditEvent } from '../ports/index.ts';
import { appendAuditEvent } from './audit-append.ts';
import type { SkyfloDatabase } from './database.ts';
import { auditChainHead, auditEvents } from './schema.ts';

export { appendAuditEvent } from './audit-append.ts';

type AuditRow = typeof auditEvents.$inferSelect;

function toStored(row: AuditRow): StoredAuditEvent & { signature: string | null } {
  return {
    id: row.id,
    sequence: row.sequence,
    at: row.at,
    action: row.action,
    details: row.details,
    prevHash: row.prevHash,
    hash: row.hash,
    signature: row.signature,
    ...(row.actorId !== null ? { actorId: row.actorId } : {}),
    ...(row.subjectType !== null ? { subjectType: row.subjectType } : {}),
    ...(row.subjectId !== null ? { subjectId: row.subjectId } : {}),
    ...(row.ip !== null ? { ip: row.ip } : {}),
    ...(row.conversationId !== null ? { conversationId: row.conversationId } : {}),
    ...(row.tool !== null ? { tool: row.tool } : {}),
  };
}

function conditionsOf(filter: AuditFilter): SQL[] {
  const conditions: SQL[] = [];
  if (filter.actorId) conditions.push(eq(auditEvents.actorId, filter.actorId));
  if (filter.conversationId) conditions.push(eq(auditEvents.conversationId, filter.conversationId));
  if (filter.tool) conditions.push(eq(auditEvents.tool, filter.tool));
  if (filter.action) {
    if (filter.action.endsWith('*')) conditions.push(like(auditEvents.action, `${filter.action.slice(0, -1).replace(/[\\%_]/g, (match) => `\\${match}`)}%`));
    else conditions.push(eq(auditEvents.action, filter.action));
  }
  if (filter.from) conditions.push(gte(auditEvents.at, filter.from));
  if (filter.to) conditions.push(lt(auditEvents.at, filter.to));
  return conditions;
}

const whereOf = (conditions: SQL[]) => (conditions.length > 0 ? and(...conditions) : undefined);

/** Why a signed-format record's signature does not hold, or undefined when it does. */
function signatureProblem(signer: AuditRecordSigner, digest: string, signature: string | null): string | undefined {
  if (signer.verify(digest, signature)) return undefined;
  if (!signature) return 'not written by the engine: the record carries no signature (inserted into the table directly)';
  const keyId = signatureKeyId(signature);
  if (keyId && keyId !== signer.keyId) return `not verifiable with this engine's audit key: signed with key ${keyId}, the engine's is ${signer.keyId} (another installation's key, or the key was replaced)`;
  return 'not written by the engine: its signature does not match its content (forged, or changed after it was written)';
}

/**
 * `signer`: the engine's audit key, which signs each record appended and checks every signed-format record on verify;
 * without it (tests of other things) records are written unsigned and verify checks the chain only, saying so.
 */
export function createAuditLog(db: SkyfloDatabase, signer?: AuditRecordSigner): AuditTrail {
  /** Keyset batches in write order: memory stays one batch however many records there are. */
  async function* scan(filter: AuditFilter & { batchSize?: number }): AsyncGenerator<StoredAuditEvent> {
    const batchSize = filter.batchSize ?? 500;
    const conditions = conditionsOf(filter);
    // Why: with fresh statistics a filtered batch walks an index in sequence order; without them (PGlite has no
    // autovacuum) the planner fetches and sorts every remaining match per batch, which makes a large export quadratic.
    if (conditions.length > 0) await db.execute(sql`ANALYZE audit_events`).catch(() => undefined);
    let after = 0;
    for (;;) {
      const rows = await db
        .select()
        .from(auditEvents)
        .where(whereOf([...conditions, gt(auditEvents.sequence, after)]))
        .orderBy(asc(auditEvents.sequence))
        .limit(batchSize);
      for (const row of rows) yield toStored(row);
      if (rows.length < batchSize) return;
      after = rows[rows.length - 1]!.sequence;
    }
  }

  return {
    async record(event) {
      await appendAuditEvent(db, event, signer);
    },

    async list({ limit, action, actorId }) {
      const { items } = await this.page({ limit, ...(action ? { action } : {}), ...(actorId ? { actorId } : {}) });
      return items;
    },

    async page(input) {
      const conditions = conditionsOf(input);
      if (input.beforeSequence !== undefined) conditions.push(lt(auditEvents.sequence, input.beforeSequence));
      const rows = await db
        .select()
        .from(auditEvents)
        .where(whereOf(conditions))
        .orderBy(desc(auditEvents.sequence))
        .limit(input.limit + 1);
      const hasMore = rows.length > input.limit;
      const items = rows.slice(0, input.limit).map(toStored);
      return { items, nextCursor: hasMore ? items[items.length - 1]!.sequence : null };
    },

    scan,

    async verify(anchor) {
      const [head] = await db.select({ signedFrom: auditChainHead.signedFrom }).from(auditChainHead).where(eq(auditChainHead.id, 1));
      const walker = createChainWalker({
        ...(anchor ? { anchor } : {}),
        // No head row: the chain cannot say where the signed format starts; every record is then held to it.
        signedFrom: head?.signedFrom ?? 0,
        ...(signer ? { checkSignature: (digest: string, signature: string | null) => signatureProblem(signer, digest, signature) } : {}),
      });
      for await (const record of scan({ batchSize: 1000 })) {
        const ok = walker.next({
          id: record.id,
          sequence: record.sequence,
          at: record.at,
          actorId: record.actorId ?? null,
          action: record.action,
          conversationId: record.conversationId ?? null,
          tool: record.tool ?? null,
          subjectType: record.subjectType ?? null,
          subjectId: record.subjectId ?? null,
          details: record.details,
          ip: record.ip ?? null,
          hash: record.hash,
          prevHash: record.prevHash,
          signature: (record as { signature?: string | null }).signature ?? null,
        });
        if (!ok) break;
      }
      return walker.report();
    },
  };
}
