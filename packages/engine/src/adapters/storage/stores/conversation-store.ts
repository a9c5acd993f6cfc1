import { and, desc, eq, ilike, inArray, lt, or, sql } from 'drizzle-orm';
import { ConversationIdTakenError } from '../../../platform/ports/conversation-id-taken-error.ts';
import type { Conversation, ConversationStore, ConversationSummary, TimelineEntry } from '../../../platform/ports/index.ts';
import { formatConversationCursor, isUuid, parseConversationCursor } from '../../../platform/ports/conversation-cursor.ts';
import { createConversationSearch, likeContains } from './conversation-search.ts';
import type { SkyfloDatabase } from '../database.ts';
import { createKeyedMutex, type KeyedMutex } from '../keyed-mutex.ts';
import { param, preparedOnce, renderedOnce, slot, type RenderedStatement } from '../rendered-statements.ts';
import { finishRunStatement } from './run-store.ts';
import type { TimelineCache } from './timeline-cache.ts';
import { approvals, conversations, conversationTombstones, messages, runs } from '../schema.ts';

type ConversationRow = typeof conversations.$inferSelect;

function toConversation(row: ConversationRow): Conversation {
  return {
    id: row.id,
    title: row.title,
    userId: row.userId,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    isActive: row.isActive,
    metadata: row.metadata,
    timeline: row.messagesJson as TimelineEntry[],
    ...(row.cluster ? { cluster: row.cluster } : {}),
  };
}

/** The welcome row's entry id: never a timeline entry id (those are UUIDs), so the mirror never touches it. */
const WELCOME_ENTRY_ID = 'system-welcome';

export interface ConversationStoreOptions {
  /**
   * A PGlite this storage alone writes (timeline-cache.ts): the timeline write needs no transaction, and the timeline
   * last written is kept, so an append needs no read.
   */
  timelines?: TimelineCache;
  /** the per-conversation queue of this process's timeline writers, shared with start-chat.ts's continueChat */
  timelineLocks?: KeyedMutex;
}

export function createConversationStore(db: SkyfloDatabase, options: ConversationStoreOptions = {}): ConversationStore {
  const timelineLocks = options.timelineLocks ?? createKeyedMutex();
  const timelineWrite = timelineWriteStatement(db);
  // A chat's own statements, rendered once instead of by Drizzle on every chat (issue 79: the run start's main-thread
  // CPU): the owner check of a chat in an existing conversation, and the title a new conversation gets.
  const accessRow = preparedOnce(() => db.select({ userId: conversations.userId, cluster: conversations.cluster, title: conversations.title }).from(conversations).where(eq(conversations.id, slot('id'))));
  const titleIfEmpty = preparedOnce(() =>
    db
      .update(conversations)
      .set({ title: slot('title') })
      .where(and(eq(conversations.id, slot('id')), eq(conversations.title, '')))
      .returning({ id: conversations.id }),
  );

  return {
    async create({ id, userId, title, welcome, cluster }) {
      // A new conversation with a generated id and no welcome is one insert: no transaction (on PGlite a transaction
      // costs two more round trips to its thread, and every chat without a conversation id starts here).
      if (id === undefined && welcome === undefined) {
        const [row] = await db
          .insert(conversations)
          .values({ userId, title: title ?? '', ...(cluster ? { cluster } : {}) })
          .returning();
        return toConversation(row!);
      }
      return db.transaction(async (tx) => {
        if (id !== undefined) {
          const [tombstone] = await tx.select({ id: conversationTombstones.id }).from(conversationTombstones).where(eq(conversationTombstones.id, id));
          if (tombstone) throw new ConversationIdTakenError(id);
        }
        const [row] = await tx
          .insert(conversations)
          .values({ ...(id ? { id } : {}), userId, title: title ?? '', ...(cluster ? { cluster } : {}) })
          .onConflictDoNothing()
          .returning();
        if (!row) throw new ConversationIdTakenError(id ?? '');
        if (welcome !== undefined) {
          await tx.insert(messages).values({ conversationId: row.id, entryId: WELCOME_ENTRY_ID, role: 'system', content: welcome, sequence: -1 });
        }
        return toConversation(row);
      });
    },

    async get(id) {
      if (!isUuid(id)) return undefined;
      const [row] = await db.select().from(conversations).where(eq(conversations.id, id));
      return row ? toConversation(row) : undefined;
    },

    async access(id) {
      if (!isUuid(id)) return undefined;
      const [row] = (await accessRow().execute({ id })) as Array<{ userId: string; cluster: string | null; title: string }>;
      return row ? { userId: row.userId, title: row.title, ...(row.cluster ? { cluster: row.cluster } : {}) } : undefined;
    },

    async list({ userId, limit, cursor, query }) {
      const conditions = [eq(conversations.userId, userId)];
      if (cursor !== undefined) {
        const position = parseConversationCursor(cursor);
        if (!position) throw new Error(`invalid conversation cursor: ${cursor}`);
        conditions.push(
          or(
            lt(conversations.updatedAt, position.updatedAt),
            and(eq(conversations.updatedAt, position.updatedAt), lt(conversations.id, position.id)),
          )!,
        );
      }
      if (query) conditions.push(ilike(conversations.title, likeContains(query)));
      // One extra row tells whether another page exists without a COUNT.
      const rows = await db
        .select({ id: conversations.id, title: conversations.title, userId: conversations.userId, createdAt: conversations.createdAt, updatedAt: conversations.updatedAt, cluster: conversations.cluster })
        .from(conversations)
        .where(and(...conditions))
        .orderBy(desc(conversations.updatedAt), desc(conversations.id))
        .limit(limit + 1);
      const items: ConversationSummary[] = rows.slice(0, limit).map(({ cluster, ...row }) => (cluster ? { ...row, cluster } : row));
      const last = items[items.length - 1];
      const nextCursor = rows.length > limit && last ? formatConversationCursor(last) : null;
      return { items, nextCursor };
    },

    search: createConversationSearch(db),

    async update(id, patch) {
      if (!isUuid(id)) return undefined;
      const [row] = await db
        .update(conversations)
        .set({
          ...(patch.title !== undefined ? { title: patch.title } : {}),
          ...(patch.isActive !== undefined ? { isActive: patch.isActive } : {}),
          ...(patch.metadata !== undefined ? { metadata: patch.metadata } : {}),
          // only a conversation without a cluster is pinned: a call approved for one cluster never moves to another
          ...(patch.cluster !== undefined ? { cluster: sql`coalesce(${conversations.cluster}, ${patch.cluster})` } : {}),
          updatedAt: new Date(),
        })
        .where(eq(conversations.id, id))
        .returning();
      return row ? toConversation(row) : undefined;
    },

    async setTitleIfEmpty(id, title) {
      if (!isUuid(id)) return false;
      const rows = (await titleIfEmpty().execute({ id, title })) as unknown[];
      return rows.length > 0;
    },

    async delete(id) {
      if (!isUuid(id)) return undefined;
      options.timelines?.drop(id);
      return db.transaction(async (tx) => {
        const [row] = await tx.select({ userId: conversations.userId }).from(conversations).where(eq(conversations.id, id)).for('update');
        if (!row) return undefined;
        const running = await tx.select({ runId: runs.runId }).from(runs).where(and(eq(runs.conversationId, id), eq(runs.status, 'running')));
        await tx.insert(conversationTombstones).values({ id, userId: row.userId }).onConflictDoNothing();
        // Open decisions die with the conversation: nobody may approve (and so run) a call from a conversation that is gone.
        await tx
          .update(approvals)
          .set({ status: 'cancelled', resultSummary: 'Cancelled: the conversation was deleted.' })
          .where(and(eq(approvals.conversationId, id), inArray(approvals.status, ['awaiting', 'approved'])));
        // The rows stay as the audit record of who proposed and decided what; the sealed exact arguments do not.
        await tx.update(approvals).set({ exactArgsSealed: null, beforeSealed: null }).where(eq(approvals.conversationId, id));
        // LangGraph's checkpoint tables (PostgresSaver, same database): the model's whole context for this thread.
        for (const table of ['checkpoint_writes', 'checkpoint_blobs', 'checkpoints']) {
          await tx.execute(sql`delete from ${sql.identifier(table)} where thread_id = ${id}`);
        }
        await tx.delete(conversations).where(eq(conversations.id, id));
        return { runningRunIds: running.map((run) => run.runId) };
      });
    },

    /** Returns [] without calling `change` when the conversation does not exist (events of unsaved chats). */
    updateTimeline: (id, change) => writeTimeline(id, change),
    updateTimelineAndFinishRun: (id, change, runId) => writeTimeline(id, change, runId),
  };

  /** `finishRunId`: the run whose claim is released with this write, in its statement or transaction (issue 38). */
  async function writeTimeline(id: string, change: (timeline: TimelineEntry[]) => TimelineEntry[], finishRunId?: string): Promise<TimelineEntry[]> {
    if (!isUuid(id)) {
      if (finishRunId) await finishRunStatement(db, finishRunId);
      return [];
    }
    // The in-process mutex queues writers of this process cheaply; the row lock inside the transaction
    // serialises writers from other engine processes on the same Postgres.
    const { timelines } = options;
    if (timelines) return timelineLocks.run(id, () => updateTimelineExclusive(db, timelineWrite, timelines, id, change, finishRunId));
    return timelineLocks.run(id, () =>
      db.transaction(async (tx) => {
        const bound = tx as unknown as SkyfloDatabase;
        const [row] = await tx
          .select({ messagesJson: conversations.messagesJson })
          .from(conversations)
          .where(eq(conversations.id, id))
          .for('update');
        let after: TimelineEntry[] = [];
        if (row) {
          const before = row.messagesJson as TimelineEntry[];
          after = change(structuredClone(before));
          // the run's release after the conversation's row lock, as the two statements were ordered before they
          // shared a transaction
          await mirrorMessages(bound, timelineWrite, id, before, after, JSON.stringify(after), finishRunId);
        } else if (finishRunId) await finishRunStatement(bound, finishRunId);
        return after;
      }),
    );
  }
}

/**
 * The timeline's read-modify-write on a PGlite this storage alone writes (issue 38): one round trip to its thread when
 * the timeline is kept (timeline-cache.ts), two when it must be read, instead of three (the read with its BEGIN, the
 * write, the COMMIT). No transaction is needed: every writer of a conversation's timeline (messages_json and its mirror
 * rows) is updateTimeline or start-chat.ts's insert, all in this process, and its writers of one conversation queue on
 * the keyed mutex, so nothing changes the timeline between the read and the write; the write is one statement
 * (atomic), or a transaction when entries are removed. A conversation deleted meanwhile (with its user) is written
 * nowhere: the mirror rows are inserted only for an updated row.
 */
async function updateTimelineExclusive(db: SkyfloDatabase, timelineWrite: TimelineWrite, timelines: TimelineCache, id: string, change: (timeline: TimelineEntry[]) => TimelineEntry[], finishRunId?: string): Promise<TimelineEntry[]> {
  let kept = timelines.get(id);
  if (kept === undefined) {
    const [row] = await db.select({ messagesJson: conversations.messagesJson }).from(conversations).where(eq(conversations.id, id));
    if (!row) {
      if (finishRunId) await finishRunStatement(db, finishRunId);
      return [];
    }
    kept = JSON.stringify(row.messagesJson);
  }
  const before = JSON.parse(kept) as TimelineEntry[];
  const after = change(JSON.parse(kept) as TimelineEntry[]);
  const json = JSON.stringify(after);
  // set again only once written: a failed write is read from the database next time
  timelines.drop(id);
  // the run's release rides in the write's statement: one round trip to the database thread fewer per run
  if (before.some((entry) => !after.some((next) => next.id === entry.id))) {
    await db.transaction((tx) => mirrorMessages(tx as unknown as SkyfloDatabase, timelineWrite, id, before, after, json, finishRunId));
  } else {
    await mirrorMessages(db, timelineWrite, id, before, after, json, finishRunId);
  }
  timelines.set(id, json);
  return after;
}

/**
 * A timeline entry's row in the messages table (the search mirror), as a jsonb_to_recordset record: what
 * mirrorMessages and start-chat.ts's one-statement start both insert.
 */
export function messageRowOf(entry: TimelineEntry, position: number) {
  return {
    entry_id: entry.id,
    role: entry.type,
    content: entry.content,
    sequence: position,
    message_metadata: entry.type === 'assistant' ? { segments: entry.segments } : {},
    token_usage: entry.type === 'assistant' ? (entry.token_usage ?? null) : null,
  };
}

/** Which parts a timeline write has: the mirror rows' upsert (entries changed), a run's release (its last write). */
type TimelineWriteShape = { mirror: boolean; finishRun: boolean };
type TimelineWrite = RenderedStatement<TimelineWriteShape>;

/**
 * The timeline row's write as one statement, rendered once per shape (rendered-statements.ts; it was rendered per
 * write, twice per run). Its values: `conversation_id`, `timeline` (the JSON text), `updated_at`; `rows` (the mirror
 * rows as JSON) with the mirror; `run_id` with the release. The timeline row's own update runs as a data-modifying
 * WITH of the mirror rows' upsert when there is one: one statement instead of two, which on PGlite is one round trip
 * fewer to its thread per timeline write (P2). PostgreSQL runs such a WITH exactly once, whether or not the statement
 * reads it; so does the run's release.
 */
function timelineWriteStatement(db: SkyfloDatabase): TimelineWrite {
  return renderedOnce<TimelineWriteShape>(
    ({ mirror, finishRun }) => {
      const update = db
        .update(conversations)
        .set({ messagesJson: sql`${param('timeline')}::jsonb`, updatedAt: slot('updated_at') })
        .where(eq(conversations.id, slot('conversation_id')))
        .getSQL();
      const release = finishRun ? finishRunStatement(db, slot('run_id')).getSQL() : undefined;
      if (!mirror) return release ? sql`WITH also_done AS (${release}) ${update}` : update;
      // raw SQL, as start-chat.ts writes the same rows: the rows come from the update's RETURNING, so a conversation
      // that is gone gets none (instead of failing on the foreign key), and the rows travel as one JSON parameter
      return sql`WITH ${release ? sql`also_done AS (${release}), ` : sql``}timeline_write AS (${update} returning 1 as done)
      INSERT INTO messages (conversation_id, entry_id, role, content, sequence, message_metadata, token_usage)
      SELECT ${param('conversation_id')}::uuid, m.entry_id, m.role, coalesce(m.content, ''), m.sequence, coalesce(m.message_metadata, '{}'::jsonb), m.token_usage
        FROM timeline_write, jsonb_to_recordset(${param('rows')}::jsonb)
          AS m(entry_id text, role text, content text, sequence int, message_metadata jsonb, token_usage jsonb)
      ON CONFLICT (conversation_id, entry_id) DO UPDATE SET role = excluded.role, content = excluded.content, sequence = excluded.sequence,
        message_metadata = excluded.message_metadata, token_usage = excluded.token_usage`;
    },
    ({ mirror, finishRun }) => `${mirror ? 'mirror' : 'row'}${finishRun ? '+finish' : ''}`,
  );
}

/**
 * Writes the timeline `after` (its JSON text `json`) and keeps the messages table equal to it, touching only entries
 * that changed; with `finishRunId`, that run's claim is released by the same statement.
 */
async function mirrorMessages(db: SkyfloDatabase, timelineWrite: TimelineWrite, conversationId: string, before: TimelineEntry[], after: TimelineEntry[], json: string, finishRunId?: string): Promise<void> {
  const previous = new Map(before.map((entry, position) => [entry.id, { json: JSON.stringify(entry), position }]));
  const changed = after
    .map((entry, position) => ({ entry, position }))
    .filter(({ entry, position }) => {
      const old = previous.get(entry.id);
      return !old || old.position !== position || old.json !== JSON.stringify(entry);
    });
  const rows = changed.map(({ entry, position }) => messageRowOf(entry, position));
  await timelineWrite.rows(
    db,
    { conversation_id: conversationId, timeline: json, updated_at: new Date(), ...(rows.length > 0 ? { rows: JSON.stringify(rows) } : {}), ...(finishRunId ? { run_id: finishRunId } : {}) },
    { mirror: rows.length > 0, finishRun: finishRunId !== undefined },
  );
  const removed = before.filter((entry) => !after.some((next) => next.id === entry.id)).map((entry) => entry.id);
  if (removed.length > 0) {
    await db.delete(messages).where(and(eq(messages.conversationId, conversationId), inArray(messages.entryId, removed)));
  }
}
