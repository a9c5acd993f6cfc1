/**
 * A chat in a new conversation starts with ONE statement (issue 38): the conversation (with the user's message as its
 * timeline), the run's claim within the user's limit of running runs, the message's `messages` row and the
 * `chat.request` audit record, committed together or not at all. Before, that was four storage calls (the insert,
 * the claim, the audit transaction, the timeline transaction): about ten round trips, and on PGlite ten messages to its
 * one database thread, which every run of the process shares. A chat refused by the limit creates nothing.
 * On PGlite (one connection, one statement at a time, no other process) one statement is atomic against every other,
 * so the count and the inserts need nothing around them; on Postgres the per-user advisory lock the run store takes
 * (run-store.ts) orders concurrent starts of one user, in a transaction around the statement.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { appendUserEntry } from '../../../domain/timeline/apply-event.ts';
import type { AuditRecordSigner } from '../../../platform/crypto/audit-record-signer.ts';
import type { ContinueChatInput, ContinueChatOutcome, Conversation, NewAuditEvent, StartChatInput, StartChatOutcome, TimelineEntry } from '../../../platform/ports/index.ts';
import { auditAppendCtes, auditChainReady, auditValues, prepareAuditRecord } from './audit-append.ts';
import { messageRowOf } from './conversation-store.ts';
import type { SkyfloDatabase } from '../database.ts';
import { param, renderedOnce, rowsOf } from '../rendered-statements.ts';
import { leaseFromNow, runningRunsOf, underUserRunLock } from './run-store.ts';

export interface StartChatOptions {
  exclusiveConnection: boolean;
  auditSigner?: AuditRecordSigner | undefined;
}

interface ConversationRowOut {
  id: string;
  title: string;
  user_id: string;
  is_active: boolean;
  metadata: Record<string, unknown>;
  cluster: string | null;
  created_at: string | Date;
  updated_at: string | Date;
}

const asDate = (value: string | Date) => (value instanceof Date ? value : new Date(value));

/** The start's one statement: with the audit record's CTEs or without (the trail off), rendered once each. */
const startChatStatement = renderedOnce<'audited' | 'unaudited'>(
  (shape) => sql`WITH conversation AS (
        INSERT INTO conversations (id, user_id, title, cluster, messages_json)
        SELECT ${param('conversation_id')}::uuid, ${param('user_id')}::uuid, '', ${param('cluster')}::text, ${param('timeline')}::jsonb
         WHERE ${runningRunsOf(param('user_id'))} < ${param('max_running')}${shape === 'audited' ? sql` AND ${auditChainReady}` : sql``}
        RETURNING id, title, user_id, is_active, metadata, cluster, created_at, updated_at),
      run AS (
        INSERT INTO runs (run_id, conversation_id, user_id, lease_until)
        SELECT ${param('run_id')}::uuid, conversation.id, ${param('user_id')}::uuid, ${leaseFromNow(param('lease_ms'))} FROM conversation
        RETURNING run_id),
      mirrored AS (
        INSERT INTO messages (conversation_id, entry_id, role, content, sequence, message_metadata, token_usage)
        SELECT conversation.id, m.entry_id, m.role, m.content, m.sequence, m.message_metadata, m.token_usage
          FROM conversation, jsonb_to_recordset(${param('mirror')}::jsonb)
            AS m(entry_id text, role text, content text, sequence int, message_metadata jsonb, token_usage jsonb)
        RETURNING 1)${shape === 'audited' ? sql`, ${auditAppendCtes(sql`EXISTS (SELECT 1 FROM conversation)`)}` : sql``}
      SELECT conversation.* FROM conversation, run${shape === 'audited' ? sql`, audit_appended` : sql``}`,
);

async function startStatement(db: SkyfloDatabase, input: StartChatInput, options: StartChatOptions): Promise<StartChatOutcome> {
  const conversationId = randomUUID();
  const timeline: TimelineEntry[] = input.timeline;
  const audit: NewAuditEvent | undefined = input.audit?.(conversationId);
  const record = audit ? prepareAuditRecord(audit, options.auditSigner) : undefined;
  const rows = await startChatStatement.rows<ConversationRowOut>(
    db,
    {
      conversation_id: conversationId,
      user_id: input.userId,
      cluster: input.cluster ?? null,
      timeline: JSON.stringify(timeline),
      max_running: input.maxRunningPerUser,
      run_id: input.runId,
      lease_ms: input.leaseMs,
      // the mirror rows of the timeline, the rows mirrorMessages writes
      mirror: JSON.stringify(timeline.map(messageRowOf)),
      ...(record ? auditValues(record) : {}),
    },
    record ? 'audited' : 'unaudited',
  );
  const row = rows[0];
  if (!row) {
    // Nothing was written: the user's limit (a new conversation cannot be held by another run), or, with a record
    // to write, the audit chain's head row is missing; which one, a read tells.
    const [{ running }] = rowsOf<{ running: number }>(
      await db.execute(sql`select ${runningRunsOf(input.userId)}::int as running`),
    ) as [{ running: number }];
    if (running >= input.maxRunningPerUser) return { ok: false, reason: 'user_limit', running };
    throw new Error('the chat could not start: the audit chain has no head row (audit_chain_head, migration 0011); restore it before writing audit records');
  }
  const conversation: Conversation = {
    id: row.id,
    title: row.title,
    userId: row.user_id,
    createdAt: asDate(row.created_at),
    updatedAt: asDate(row.updated_at),
    isActive: row.is_active,
    metadata: row.metadata,
    timeline,
    ...(row.cluster ? { cluster: row.cluster } : {}),
  };
  return { ok: true, conversation };
}

export function createStartChat(db: SkyfloDatabase, options: StartChatOptions) {
  return (input: StartChatInput): Promise<StartChatOutcome> => underUserRunLock(db, options.exclusiveConnection, input.userId, (executor) => startStatement(executor, input, options));
}

/**
 * The CTEs that append the user's entry to the timeline of the conversation `run` claimed, with its `messages` row at
 * its position, as `appendUserEntry` does (protocol/timeline-fold.ts): not when the last entry is already the same
 * user message (a chat resent after its run failed). messages_json is a JSON array, so the append is in place: the
 * timeline, however long, is neither read nor sent. Its values: entryValues.
 */
const appendEntryCtes = sql`timeline_write AS (
        UPDATE conversations SET messages_json = messages_json || jsonb_build_array(${param('entry')}::jsonb), updated_at = now()
         WHERE id = ${param('conversation_id')}::uuid AND EXISTS (SELECT 1 FROM run)
           AND NOT coalesce(messages_json -> -1 ->> 'type' = 'user' AND messages_json -> -1 ->> 'content' = ${param('entry_content')}::text, false)
        RETURNING jsonb_array_length(messages_json) - 1 AS position),
      mirrored AS (
        INSERT INTO messages (conversation_id, entry_id, role, content, sequence, message_metadata, token_usage)
        SELECT ${param('conversation_id')}::uuid, ${param('entry_id')}::text, ${param('entry_role')}::text, ${param('entry_row_content')}::text, timeline_write.position, '{}'::jsonb, NULL
          FROM timeline_write
        ON CONFLICT (conversation_id, entry_id) DO UPDATE SET content = excluded.content, sequence = excluded.sequence
        RETURNING 1)`;

function entryValues(entry: NonNullable<ContinueChatInput['entry']>): Record<string, unknown> {
  const [appended] = appendUserEntry([], entry);
  const row = messageRowOf(appended!, 0);
  return { entry: JSON.stringify(appended), entry_content: entry.content, entry_id: row.entry_id, entry_role: row.role, entry_row_content: row.content };
}

/** Which parts the continuing statement has: the audit record (the trail on), the user's entry (not for a resumption). */
type ContinueShape = { audited: boolean; entry: boolean };

const continueChatStatement = renderedOnce<ContinueShape>(({ audited, entry }) => {
  const runningOfUser = runningRunsOf(param('user_id'));
  return sql`WITH awaiting AS (
        SELECT call_id FROM approvals WHERE conversation_id = ${param('conversation_id')}::uuid AND status = 'awaiting'),
      run AS (
        INSERT INTO runs (run_id, conversation_id, user_id, lease_until)
        SELECT ${param('run_id')}::uuid, ${param('conversation_id')}::uuid, ${param('user_id')}::uuid, ${leaseFromNow(param('lease_ms'))}
         WHERE ${runningOfUser} < ${param('max_running')} AND NOT EXISTS (SELECT 1 FROM awaiting)${audited ? sql` AND ${auditChainReady}` : sql``}
        ON CONFLICT DO NOTHING
        RETURNING run_id)${audited ? sql`, ${auditAppendCtes(sql`EXISTS (SELECT 1 FROM run)`)}` : sql``}${entry ? sql`, ${appendEntryCtes}` : sql``}
      SELECT (SELECT count(*) FROM run)::int AS claimed, ${runningOfUser}::int AS running,
             (SELECT count(*) FROM runs WHERE conversation_id = ${param('conversation_id')}::uuid AND status = 'running')::int AS held,
             (SELECT coalesce(json_agg(call_id ORDER BY call_id), '[]'::json) FROM awaiting) AS awaiting`;
}, ({ audited, entry }) => `${audited ? 'audited' : 'unaudited'}${entry ? '+entry' : ''}`);

/**
 * A chat in an existing conversation, in ONE statement: the claim of the conversation within the user's limit, only
 * if no call in it awaits approval, the `chat.request` record and the user's entry in the timeline, committed together
 * or not at all. Before, the claim, the read of the conversation's approvals, the audit append and the timeline write
 * were four statements, and an audit record that could not be written was only logged while the chat went on. The
 * refusals keep the order the separate steps had: the user's limit, then a run holding the conversation, then the
 * calls awaiting approval.
 */
async function continueStatement(db: SkyfloDatabase, input: ContinueChatInput, options: StartChatOptions): Promise<ContinueChatOutcome> {
  const record = input.audit ? prepareAuditRecord(input.audit, options.auditSigner) : undefined;
  const [row] = (await continueChatStatement.rows<{ claimed: number; running: number; held: number; awaiting: string[] }>(
    db,
    {
      conversation_id: input.conversationId,
      user_id: input.userId,
      run_id: input.runId,
      lease_ms: input.leaseMs,
      max_running: input.maxRunningPerUser,
      ...(record ? auditValues(record) : {}),
      ...(input.entry ? entryValues(input.entry) : {}),
    },
    { audited: record !== undefined, entry: input.entry !== undefined },
  )) as [{ claimed: number; running: number; held: number; awaiting: string[] | string }];
  if (Number(row.claimed) > 0) return { ok: true };
  // the counts are of the statement's snapshot: before its own insert, which did not happen
  if (Number(row.running) >= input.maxRunningPerUser) return { ok: false, reason: 'user_limit', running: Number(row.running) };
  if (Number(row.held) > 0) return { ok: false, reason: 'conversation_busy' };
  const callIds = typeof row.awaiting === 'string' ? (JSON.parse(row.awaiting) as string[]) : row.awaiting;
  if (callIds.length > 0) return { ok: false, reason: 'approval_pending', callIds };
  return { ok: false, reason: 'conversation_busy' };
}

export function createContinueChat(db: SkyfloDatabase, options: StartChatOptions) {
  return (input: ContinueChatInput): Promise<ContinueChatOutcome> => underUserRunLock(db, options.exclusiveConnection, input.userId, (executor) => continueStatement(executor, input, options));
}
