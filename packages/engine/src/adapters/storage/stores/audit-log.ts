/**
 * The audit trail on Postgres/PGlite: one append-only table (a trigger refuses UPDATE, DELETE and TRUNCATE,
 * migration 0006) whose records are hash-chained in write order (audit/audit-chain.ts) and, from migration 0011 on,
 * signed by the engine (crypto/audit-record-signer.ts); an append is one statement (audit-append.ts).
 */
import { and, asc, desc, eq, gt, gte, inArray, lt, sql, type SQL } from 'drizzle-orm';
import { createChainWalker } from '../../../domain/audit/audit-chain.ts';
import { signatureKeyId, type AuditRecordSigner } from '../../../platform/crypto/audit-record-signer.ts';
import type { AuditFilter, AuditTrail, StoredAuditEvent } from '../../../platform/ports/index.ts';
import { appendAuditEvent } from './audit-append.ts';
import { rowsOf } from '../rendered-statements.ts';
import type { SkyfloDatabase } from '../database.ts';
import { auditChainHead, auditEvents } from '../schema.ts';

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

/** `action` in the C collation: what the action index (migration 0025) is built on, so both filters below can use it. */
const actionC = sql`${auditEvents.action} collate "C"`;

/** The action filter's prefix ("chat." of "chat.*"), or undefined for an exact action. */
const prefixOf = (action: string): string | undefined => (action.endsWith('*') ? action.slice(0, -1) : undefined);

/** [prefix, the first string after every string that starts with it) in code point order (the C collation's). */
function prefixRange(prefix: string): SQL {
  const points = [...prefix];
  const last = points.pop()!;
  const above = points.join('') + String.fromCodePoint(last.codePointAt(0)! + 1);
  return sql`${actionC} >= ${prefix} and ${actionC} < ${above}`;
}

function conditionsOf(filter: AuditFilter, options: { action?: boolean } = {}): SQL[] {
  const conditions: SQL[] = [];
  if (filter.actorId) conditions.push(eq(auditEvents.actorId, filter.actorId));
  if (filter.conversationId) conditions.push(eq(auditEvents.conversationId, filter.conversationId));
  if (filter.tool) conditions.push(eq(auditEvents.tool, filter.tool));
  if (filter.action && options.action !== false) {
    const prefix = prefixOf(filter.action);
    if (prefix === undefined) conditions.push(sql`${actionC} = ${filter.action}`);
    else if (prefix !== '') conditions.push(prefixRange(prefix));
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
  async function* scan(filter: AuditFilter & { batchSize?: number; afterSequence?: number }): AsyncGenerator<StoredAuditEvent> {
    const batchSize = filter.batchSize ?? 500;
    const conditions = conditionsOf(filter);
    // Why: with fresh statistics a filtered batch walks an index in sequence order; without them (PGlite has no
    // autovacuum) the planner fetches and sorts every remaining match per batch, which makes a large export quadratic.
    if (conditions.length > 0) await db.execute(sql`ANALYZE audit_events`).catch(() => undefined);
    let after = filter.afterSequence ?? 0;
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

  /**
   * The newest `count` records of an action filter (issue 79: "chat.*" took 1.5 s at 1M records). Newest first across
   * several actions is not an order any one index gives, so: the distinct actions under the filter, read off the
   * action index one at a time (a skip scan: one index descent per action), then each action's newest `count` walked
   * backwards on the same index, merged, and the rows read by sequence. Cost: the actions times the page.
   */
  async function newestOfActions(input: AuditFilter & { beforeSequence?: number }, count: number): Promise<AuditRow[]> {
    const prefix = prefixOf(input.action!);
    const actions = prefix === undefined ? [input.action!] : await actionsUnder(prefix);
    if (actions.length === 0) return [];
    const others = conditionsOf(input, { action: false });
    if (input.beforeSequence !== undefined) others.push(lt(auditEvents.sequence, input.beforeSequence));
    const arms = actions.map(
      (action) =>
        sql`(select ${auditEvents.sequence} as sequence from ${auditEvents} where ${and(sql`${actionC} = ${action}`, ...others)} order by ${auditEvents.sequence} desc limit ${count})`,
    );
    const newest = rowsOf<{ sequence: number | string }>(await db.execute(sql`select sequence from (${sql.join(arms, sql` union all `)}) arms order by sequence desc limit ${count}`));
    if (newest.length === 0) return [];
    return db.select().from(auditEvents).where(inArray(auditEvents.sequence, newest.map((row) => Number(row.sequence)))).orderBy(desc(auditEvents.sequence));
  }

  /** The distinct actions starting with `prefix` (every action for ""), in C order, one index descent each. */
  async function actionsUnder(prefix: string): Promise<string[]> {
    const bounds = prefix === '' ? sql`true` : prefixRange(prefix);
    const rows = rowsOf<{ action: string }>(
      await db.execute(sql`
        with recursive found(action) as (
          (select ${actionC} from ${auditEvents} where ${bounds} order by ${actionC} limit 1)
          union all
          select (select ${actionC} from ${auditEvents} where ${bounds} and ${actionC} > found.action order by ${actionC} limit 1)
          from found where found.action is not null
        )
        select action from found where action is not null`),
    );
    return rows.map((row) => row.action);
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
      const rows = input.action
        ? await newestOfActions(input, input.limit + 1)
        : await db.select().from(auditEvents).where(whereOf(conditions)).orderBy(desc(auditEvents.sequence)).limit(input.limit + 1);
      const hasMore = rows.length > input.limit;
      const items = rows.slice(0, input.limit).map(toStored);
      return { items, nextCursor: hasMore ? items[items.length - 1]!.sequence : null };
    },

    scan,

    async verify(anchor, options = {}) {
      const { from, onProgress, progressEvery = 10_000, signal } = options;
      const [head] = await db.select({ signedFrom: auditChainHead.signedFrom, sequence: auditChainHead.sequence }).from(auditChainHead).where(eq(auditChainHead.id, 1));
      const walker = createChainWalker({
        ...(anchor ? { anchor } : {}),
        ...(from ? { from } : {}),
        // No head row: the chain cannot say where the signed format starts; every record is then held to it.
        signedFrom: head?.signedFrom ?? 0,
        ...(signer ? { checkSignature: (digest: string, signature: string | null) => signatureProblem(signer, digest, signature) } : {}),
      });
      if (from) {
        // the checkpoint's record must still be there with the hash it had: the walk goes on from its hash
        const [at] = await db.select({ hash: auditEvents.hash }).from(auditEvents).where(eq(auditEvents.sequence, from.sequence));
        if (!at || at.hash !== from.hash) walker.breakAtCheckpoint('the record the checkpoint names is no longer in the chain with the hash it had: records were removed or the chain was rewritten');
      }
      const headSequence = head?.sequence ?? null;
      // Why slices: a record's check (its digest, link and Ed25519 signature) is CPU on this thread; a batch of a
      // thousand held the event loop for over a second, and a whole verify of 1M records stalled every request for
      // minutes. Between slices of at most ~10 ms the engine serves whatever else is waiting.
      let sliceStarted = performance.now();
      let sinceProgress = 0;
      for await (const record of scan({ batchSize: verifyBatchRows, ...(from ? { afterSequence: from.sequence } : {}) })) {
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
        sinceProgress += 1;
        if (onProgress && sinceProgress >= progressEvery) {
          sinceProgress = 0;
          const checkpoint = walker.checkpoint();
          if (checkpoint) await onProgress({ checkpoint, headSequence });
        }
        if (performance.now() - sliceStarted >= verifySliceMs) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          signal?.throwIfAborted();
          sliceStarted = performance.now();
        }
      }
      return walker.report();
    },
  };
}

/** The longest a verify works before it lets the event loop serve others. */
const verifySliceMs = 10;
/**
 * Records per read while verifying: each read holds PGlite's one connection (a request needing the database waits for
 * it) and its rows are mapped on the event loop in one go, so a read is kept short.
 */
const verifyBatchRows = 250;
