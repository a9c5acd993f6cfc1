/**
 * The audit trail on Postgres/PGlite: one append-only table (a trigger refuses UPDATE, DELETE and TRUNCATE,
 * migration 0006) whose records are hash-chained in write order (audit/audit-chain.ts).
 */
import { randomUUID } from 'node:crypto';
import { and, asc, desc, eq, gt, gte, like, lt, sql, type SQL } from 'drizzle-orm';
import { createChainWalker, hashAuditRecord, GENESIS_HASH } from '../audit/audit-chain.ts';
import { asStoredJson } from '../audit/canonical-json.ts';
import type { AuditFilter, AuditTrail, NewAuditEvent, StoredAuditEvent } from '../ports/index.ts';
import { isUuid } from './conversation-cursor.ts';
import type { SkyfloDatabase } from './database.ts';
import { auditEvents } from './schema.ts';

/**
 * Names Skyflo's audit-append lock among other applications' advisory locks. Why a lock: two appends reading the
 * same "last hash" at once would fork the chain; the transaction-scoped advisory lock makes "read the head, insert
 * the next record" one step across every engine process sharing the database (on PGlite, one connection, it is
 * taken trivially and the transaction itself serialises).
 */
const AUDIT_CHAIN_LOCK_KEY = 7_265_005;

type AuditRow = typeof auditEvents.$inferSelect;

function toStored(row: AuditRow): StoredAuditEvent {
  return {
    id: row.id,
    sequence: row.sequence,
    at: row.at,
    action: row.action,
    details: row.details,
    prevHash: row.prevHash,
    hash: row.hash,
    ...(row.actorId !== null ? { actorId: row.actorId } : {}),
    ...(row.subjectType !== null ? { subjectType: row.subjectType } : {}),
    ...(row.subjectId !== null ? { subjectId: row.subjectId } : {}),
    ...(row.ip !== null ? { ip: row.ip } : {}),
    ...(row.conversationId !== null ? { conversationId: row.conversationId } : {}),
    ...(row.tool !== null ? { tool: row.tool } : {}),
  };
}

/** Older callers put the conversation and tool in details only; they become filterable columns here. */
function columnsOf(event: NewAuditEvent): { conversationId: string | null; tool: string | null } {
  const fromDetails = event.details['conversation_id'];
  const conversationId = event.conversationId ?? (typeof fromDetails === 'string' && isUuid(fromDetails) ? fromDetails : undefined);
  const tool = event.tool ?? (typeof event.details['tool'] === 'string' ? (event.details['tool'] as string) : undefined);
  return { conversationId: conversationId && isUuid(conversationId) ? conversationId : null, tool: tool ?? null };
}

/**
 * Appends one record inside the caller's transaction `tx` (a Drizzle transaction on either driver), so a change and
 * its audit record commit together. Integrations, settings and team code call this from their own transactions.
 * Must run inside a transaction: the chain lock is released at its end.
 */
export async function appendAuditEvent(tx: SkyfloDatabase, event: NewAuditEvent): Promise<StoredAuditEvent> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK_KEY})`);
  // A statement of its own, after the lock: under READ COMMITTED it sees the previous holder's committed record
  // (a snapshot taken in the same statement as the lock could predate it). The next sequence comes in the same trip.
  const result = await tx.execute<{ hash: string | null; sequence: string | number }>(
    sql`SELECT (SELECT hash FROM audit_events ORDER BY sequence DESC LIMIT 1) AS hash, nextval(pg_get_serial_sequence('audit_events', 'sequence')) AS sequence`,
  );
  const [head] = (result as unknown as { rows?: Array<{ hash: string | null; sequence: string | number }> }).rows ?? (result as unknown as Array<{ hash: string | null; sequence: string | number }>);
  const sequence = Number(head!.sequence);
  const prevHash = head!.hash ?? GENESIS_HASH;
  const { conversationId, tool } = columnsOf(event);
  const fields = {
    id: randomUUID(),
    sequence,
    // Millisecond precision, as stored (timestamp(3)), so the hash computed now matches the row read back later.
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
  const hash = hashAuditRecord(fields, prevHash);
  const row = { ...fields, prevHash, hash };
  await tx.insert(auditEvents).values(row);
  return toStored(row);
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

export function createAuditLog(db: SkyfloDatabase): AuditTrail {
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
      await db.transaction((tx) => appendAuditEvent(tx as unknown as SkyfloDatabase, event));
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
      const walker = createChainWalker(anchor);
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
        });
        if (!ok) break;
      }
      return walker.report();
    },
  };
}
