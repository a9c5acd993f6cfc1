/**
 * P4: the PGlite storage keeps each conversation's latest checkpoint as the database returned it
 * (storage/latest-checkpoint-cache.ts), so an approval's checkpoint reads cost no trip to the database thread. What it
 * must never do is answer something the database would not: a read overtaken by a write, a checkpoint whose
 * conversation was deleted, pending writes it did not see. Each case below reads stale data without its guard.
 */
import { randomUUID } from 'node:crypto';
import type { RunnableConfig } from '@langchain/core/runnables';
import { emptyCheckpoint, uuid6, type BaseCheckpointSaver, type Checkpoint } from '@langchain/langgraph-checkpoint';
import type { Pool } from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createResumeCheckpoints } from '../../src/app/graph/resume-checkpoint.ts';
import { createBatchedCheckpointSaver } from '../../src/adapters/storage/checkpoints/batched-checkpoint-saver.ts';
import { createLatestCheckpointCache, type LatestCheckpointCache } from '../../src/adapters/storage/checkpoints/latest-checkpoint-cache.ts';
import { createPglitePool } from '../../src/adapters/storage/pglite/pglite-pool.ts';
import { createPgliteStorage } from '../../src/adapters/storage/pglite/pglite-storage.ts';
import { newTestPglite } from '../support/test-databases.ts';
import type { EngineStorage } from '../../src/app/graph/checkpoints.ts';

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A checkpoint whose `messages` channel holds `text`, one version after `previous`. */
function checkpointWith(text: string, previous?: Checkpoint): { checkpoint: Checkpoint; newVersions: Record<string, number> } {
  const version = Number(previous?.channel_versions['messages'] ?? 0) + 1;
  const checkpoint: Checkpoint = { ...emptyCheckpoint(), id: uuid6(-1), channel_values: { messages: [text], step: version }, channel_versions: { messages: version, step: version } };
  return { checkpoint, newVersions: { messages: version, step: version } };
}

const threadConfig = (threadId: string): RunnableConfig => ({ configurable: { thread_id: threadId, checkpoint_ns: '' } });
const latestOf = async (saver: BaseCheckpointSaver, threadId: string) => (await saver.getTuple({ configurable: { thread_id: threadId } }))?.checkpoint.channel_values['messages'];

/**
 * One PGlite with two checkpointers on it: `cached` (what the PGlite storage uses) and `plain` (the library's reads,
 * the reference). `holdReads` makes the cached saver's database reads wait for `release()` before they answer.
 */
async function saversOnOnePglite() {
  // from the install-time template, as the engine's own first start is: initdb in every test cost ~2 s of CPU each
  const lite = await newTestPglite();
  closers.push(() => lite.close());
  const pool = createPglitePool(lite);
  let held: Array<() => void> | undefined;
  const slowPool = {
    ...pool,
    async query(text: string, params?: unknown[]) {
      const answer = await pool.query(text, params);
      if (held) await new Promise<void>((resolve) => held!.push(resolve));
      return answer;
    },
  };
  const cache = createLatestCheckpointCache();
  const transaction = (statements: Array<{ sql: string; params?: unknown[] }>) =>
    lite.transaction(async (tx) => {
      const results: Array<{ rows: unknown[] }> = [];
      for (const statement of statements) results.push({ rows: (await tx.query(statement.sql, statement.params)).rows });
      return results;
    });
  const query = (sql: string, params: unknown[]) => lite.query(sql, params);
  const cached = await createBatchedCheckpointSaver(slowPool as unknown as Pool, { latest: { cache, transaction, query } });
  await cached.setup();
  const plain = await createBatchedCheckpointSaver(pool as unknown as Pool);
  const selectLatest = (cached as unknown as { SQL_STATEMENTS: { SELECT_SQL: string } }).SQL_STATEMENTS.SELECT_SQL;
  return {
    cached,
    plain,
    cache,
    /** the thread's latest row as the database returns it now (the library's own query) */
    databaseRow: async (threadId: string) =>
      (await lite.query<Record<string, unknown>>(`${selectLatest} WHERE thread_id = $1 AND checkpoint_ns = '' ORDER BY checkpoint_id DESC LIMIT 1`, [threadId])).rows[0],
    /** from now on, the cached saver's database reads answer only on release() */
    holdReads: () => (held = []),
    release: () => {
      const waiting = held ?? [];
      held = undefined;
      for (const resolve of waiting) resolve();
    },
    heldCount: () => held?.length ?? 0,
  };
}

describe('the latest-checkpoint cache of the PGlite checkpointer', () => {
  it('answers what the database answers, without asking it again after a write', async () => {
    const { cached, plain, cache } = await saversOnOnePglite();
    const thread = randomUUID();
    expect(await cached.getTuple({ configurable: { thread_id: thread } })).toBeUndefined();
    const first = checkpointWith('first');
    const written = await cached.put(threadConfig(thread), first.checkpoint, { source: 'loop', step: 1, parents: {} }, first.newVersions);
    const second = checkpointWith('second', first.checkpoint);
    await cached.put(written, second.checkpoint, { source: 'loop', step: 2, parents: {} }, second.newVersions);
    expect(cache.stats().entries).toBe(1);
    const fromCache = await cached.getTuple({ configurable: { thread_id: thread } });
    const fromDatabase = await plain.getTuple({ configurable: { thread_id: thread } });
    expect(fromCache).toEqual(fromDatabase);
    expect(fromCache?.checkpoint.channel_values['messages']).toEqual(['second']);
    expect(fromCache?.parentConfig?.configurable?.['checkpoint_id']).toBe(first.checkpoint.id);
    // a copy each time: changing one answer does not change the next
    (fromCache!.checkpoint.channel_values['messages'] as string[]).push('changed by the caller');
    fromCache!.checkpoint.channel_versions['messages'] = 99;
    expect(await cached.getTuple({ configurable: { thread_id: thread } })).toEqual(fromDatabase);
  });

  it("keeps after a write the row the database returns, built from what was written: jsonb's key order, unchanged channels' blobs, pending writes", async () => {
    const { cached, plain, cache, databaseRow } = await saversOnOnePglite();
    const thread = randomUUID();
    const decoder = new TextDecoder();
    /** the row with its channels in one order (the database's array_agg has none) and its JSON as text (key order counts) */
    const comparable = (row: Record<string, unknown> | null | undefined) =>
      row && {
        ...row,
        checkpoint: JSON.stringify(row['checkpoint']),
        metadata: JSON.stringify(row['metadata']),
        channel_values: ((row['channel_values'] as Uint8Array[][] | null) ?? []).map((entry) => entry.map((part) => (part === null ? null : decoder.decode(part)))).sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
      };
    const metadata = { source: 'loop' as const, step: 1, parents: {}, writes: { zebra: 1, a: { yy: 2, x: 3 } } };
    // a first checkpoint with three channels, one of them empty (no value: an "empty" blob)
    const first: Checkpoint = { ...emptyCheckpoint(), id: uuid6(-1), channel_values: { messages: ['hello'], runId: 'r1' }, channel_versions: { messages: 1, runId: 1, 'branch:to:model': 1 }, versions_seen: { model: { messages: 1 }, __input__: {} } };
    let config = await cached.put(threadConfig(thread), first, metadata, { messages: 1, runId: 1, 'branch:to:model': 1 });
    expect(comparable(cache.get(thread) as Record<string, unknown>)).toEqual(comparable(await databaseRow(thread)));
    // the next run changes `messages` only: `runId` keeps its version, and its blob is the first write's
    const second: Checkpoint = { ...first, id: uuid6(-1), channel_values: { messages: ['hello', 'hi'], runId: 'r1' }, channel_versions: { ...first.channel_versions, messages: 2 } };
    config = await cached.put(config, second, { ...metadata, step: 2 }, { messages: 2 });
    expect(comparable(cache.get(thread) as Record<string, unknown>)).toEqual(comparable(await databaseRow(thread)));
    // string versions, as LangGraph makes them, and pending writes written to the checkpoint before its own write
    const third: Checkpoint = { ...second, id: uuid6(-1), channel_values: { messages: ['hello', 'hi', 'bye'], runId: 'r2' }, channel_versions: { ...second.channel_versions, messages: '00000000000000000000000000000003.0.5', runId: '00000000000000000000000000000003.0.6' } };
    await plain.putWrites({ configurable: { thread_id: thread, checkpoint_ns: '', checkpoint_id: third.id } }, [['messages', 'pending']], 'task-9');
    await cached.put(config, third, { ...metadata, step: 3 }, { messages: third.channel_versions['messages']!, runId: third.channel_versions['runId']! });
    const kept = cache.get(thread) as Record<string, unknown>;
    expect(kept['pending_writes']).not.toBeNull();
    expect(comparable(kept)).toEqual(comparable(await databaseRow(thread)));
    expect(await cached.getTuple({ configurable: { thread_id: thread } })).toEqual(await plain.getTuple({ configurable: { thread_id: thread } }));
  });

  it('does not keep a written row when a blob of the same version was already in the database (the database keeps its own)', async () => {
    const { cached, plain, cache } = await saversOnOnePglite();
    const thread = randomUUID();
    const first = checkpointWith('first');
    const written = await cached.put(threadConfig(thread), first.checkpoint, { source: 'loop', step: 1, parents: {} }, first.newVersions);
    // a second checkpoint that claims the same versions for a different value: the blob insert does nothing
    const clash: Checkpoint = { ...first.checkpoint, id: uuid6(-1), channel_values: { messages: ['other'], step: 1 } };
    await cached.put(written, clash, { source: 'loop', step: 2, parents: {} }, first.newVersions);
    expect(cache.get(thread)).toBeUndefined();
    expect(await latestOf(cached, thread)).toEqual(['first']);
    expect(await latestOf(plain, thread)).toEqual(['first']);
  });

  it('does not keep a read that a write overtook (the answer predates the write)', async () => {
    const { cached, plain, holdReads, release, heldCount } = await saversOnOnePglite();
    const thread = randomUUID();
    const first = checkpointWith('first');
    const written = await plain.put(threadConfig(thread), first.checkpoint, { source: 'loop', step: 1, parents: {} }, first.newVersions);
    // a read reaches the database, answers `first`, and is slow to come back…
    holdReads();
    const slowRead = cached.getTuple({ configurable: { thread_id: thread } });
    await expect.poll(heldCount).toBe(1);
    // …while a write of `second` commits
    const second = checkpointWith('second', first.checkpoint);
    await cached.put(written, second.checkpoint, { source: 'loop', step: 2, parents: {} }, second.newVersions);
    release();
    expect((await slowRead)?.checkpoint.channel_values['messages']).toEqual(['first']);
    // the next read must see `second`, as the database does
    expect(await latestOf(cached, thread)).toEqual(['second']);
    expect(await latestOf(plain, thread)).toEqual(['second']);
  });

  it('reads from the database after pending writes were added, and after the thread was deleted', async () => {
    const { cached, plain } = await saversOnOnePglite();
    const thread = randomUUID();
    const first = checkpointWith('first');
    const written = await cached.put(threadConfig(thread), first.checkpoint, { source: 'loop', step: 1, parents: {} }, first.newVersions);
    expect((await cached.getTuple({ configurable: { thread_id: thread } }))?.pendingWrites).toEqual([]);
    await cached.putWrites(written, [['messages', 'a pending write']], 'task-1');
    const withWrites = await cached.getTuple({ configurable: { thread_id: thread } });
    expect(withWrites?.pendingWrites).toEqual([['task-1', 'messages', 'a pending write']]);
    expect(withWrites).toEqual(await plain.getTuple({ configurable: { thread_id: thread } }));
    await cached.deleteThread(thread);
    expect(await cached.getTuple({ configurable: { thread_id: thread } })).toBeUndefined();
  });

  it("an approval's second read is its first answer only while nothing was written: a read the cache did not keep, a put, pending writes or a deletion make it read again", async () => {
    const { cached, plain, holdReads, release, heldCount } = await saversOnOnePglite();
    const checkpoints = createResumeCheckpoints(cached);
    const thread = randomUUID();
    const first = checkpointWith('first');
    const written = await plain.put(threadConfig(thread), first.checkpoint, { source: 'loop', step: 1, parents: {} }, first.newVersions);
    // a first answer the cache did not keep (a write overtook its read) is never taken for the latest
    holdReads();
    const slowRead = checkpoints.read(thread);
    await expect.poll(heldCount).toBe(1);
    const second = checkpointWith('second', first.checkpoint);
    const secondConfig = await cached.put(written, second.checkpoint, { source: 'loop', step: 2, parents: {} }, second.newVersions);
    release();
    const overtaken = await slowRead;
    expect(overtaken?.checkpoint.channel_values['messages']).toEqual(['first']);
    const afterOvertaken = await checkpoints.readAgain(thread, overtaken);
    expect(afterOvertaken).not.toBe(overtaken);
    expect(afterOvertaken?.checkpoint.channel_values['messages']).toEqual(['second']);
    // nothing written since the first answer: the second read is that answer, no copy or decoding again
    const paused = await checkpoints.read(thread);
    expect(await checkpoints.readAgain(thread, paused)).toBe(paused);
    // a later checkpoint: the second read is the database's, not the first answer
    const third = checkpointWith('third', second.checkpoint);
    const thirdConfig = await cached.put(secondConfig, third.checkpoint, { source: 'loop', step: 3, parents: {} }, third.newVersions);
    const afterPut = await checkpoints.readAgain(thread, paused);
    expect(afterPut).not.toBe(paused);
    expect(afterPut?.checkpoint.channel_values['messages']).toEqual(['third']);
    expect(afterPut).toEqual(await plain.getTuple({ configurable: { thread_id: thread } }));
    // pending writes to the same checkpoint (its id unchanged): read again, with them
    await cached.putWrites(thirdConfig, [['messages', 'pending']], 'task-1');
    const afterWrites = await checkpoints.readAgain(thread, afterPut);
    expect(afterWrites).not.toBe(afterPut);
    expect(afterWrites?.pendingWrites).toEqual([['task-1', 'messages', 'pending']]);
    // the thread deleted: nothing to resume
    await cached.deleteThread(thread);
    expect(await checkpoints.readAgain(thread, afterWrites)).toBeUndefined();
    // a checkpointer that cannot tell (the library's, as on Postgres) always reads again
    const other = randomUUID();
    await plain.put(threadConfig(other), first.checkpoint, { source: 'loop', step: 1, parents: {} }, first.newVersions);
    const library = createResumeCheckpoints(plain);
    const earlier = await library.read(other);
    const again = await library.readAgain(other, earlier);
    expect(again).not.toBe(earlier);
    expect(again).toEqual(earlier);
  });

  it('in the PGlite storage: deleting a conversation drops its kept checkpoint', async () => {
    const storage: EngineStorage = await createPgliteStorage({});
    closers.push(() => storage.close());
    const created = await storage.users.create({ email: 'cache@example.test', hashedPassword: 'x', allowWhenUsersExist: true });
    if (!created.ok) throw new Error(created.reason);
    const conversation = await storage.conversations.create({ userId: created.user.id });
    const saver = await storage.checkpointer();
    const first = checkpointWith('the model context of a deleted conversation');
    await saver.put(threadConfig(conversation.id), first.checkpoint, { source: 'loop', step: 1, parents: {} }, first.newVersions);
    expect(await latestOf(saver, conversation.id)).toEqual(['the model context of a deleted conversation']);
    await storage.conversations.delete(conversation.id);
    expect(await saver.getTuple({ configurable: { thread_id: conversation.id } })).toBeUndefined();
  });
  it('in the PGlite storage: a chat started in a new conversation is known to have no checkpoint, until one is written', async () => {
    const storage: EngineStorage = await createPgliteStorage({});
    closers.push(() => storage.close());
    const created = await storage.users.create({ email: 'fresh@example.test', hashedPassword: 'x', allowWhenUsersExist: true });
    if (!created.ok) throw new Error(created.reason);
    const saver = await storage.checkpointer();
    const started = await storage.conversations.startChat!({ userId: created.user.id, cluster: undefined, runId: randomUUID(), leaseMs: 60_000, maxRunningPerUser: 3, timeline: [], audit: undefined });
    if (!started.ok) throw new Error('the chat did not start');
    // answered from the cache (none: the id is fresh); a later write must still be what the next read returns
    expect(await saver.getTuple({ configurable: { thread_id: started.conversation.id } })).toBeUndefined();
    const first = checkpointWith('the first answer of a new conversation');
    await saver.put(threadConfig(started.conversation.id), first.checkpoint, { source: 'loop', step: 1, parents: {} }, first.newVersions);
    expect(await latestOf(saver, started.conversation.id)).toEqual(['the first answer of a new conversation']);
  });
});

describe('the cache itself', () => {
  const row = (text: string) => ({ checkpoint_id: text, checkpoint: { v: 4 }, metadata: {}, channel_values: [[new Uint8Array(1), new Uint8Array(1), new Uint8Array(1000)]], pending_writes: null });

  function write(cache: LatestCheckpointCache, thread: string, latest: Record<string, unknown> | null) {
    let finish!: () => void;
    const done = cache.writing(thread, () => new Promise<{ result: void; latest: Record<string, unknown> | null }>((resolve) => (finish = () => resolve({ result: undefined, latest }))));
    return { finish: async () => (finish(), done) };
  }

  it('serves nothing for a thread while a write to it runs, and keeps nothing when two writes overlap', async () => {
    const cache = createLatestCheckpointCache();
    cache.reading('t')(row('old'));
    expect(cache.get('t')).toEqual(row('old'));
    const one = write(cache, 't', row('one'));
    expect(cache.get('t')).toBeUndefined();
    const two = write(cache, 't', row('two'));
    await one.finish();
    await two.finish();
    // which write committed last is the database's to say: read it from there
    expect(cache.get('t')).toBeUndefined();
  });

  it('does not keep a read answered while a write was in flight, or a failed write', async () => {
    const cache = createLatestCheckpointCache();
    const keep = cache.reading('t');
    const pending = write(cache, 't', row('new'));
    keep(row('old'));
    expect(cache.get('t')).toBeUndefined();
    await pending.finish();
    expect(cache.get('t')).toEqual(row('new'));
    await expect(cache.writing('t', async () => Promise.reject(new Error('refused')))).rejects.toThrow('refused');
    expect(cache.get('t')).toBeUndefined();
  });

  it('knows a thread created under a fresh id has no checkpoint, unless a read or write of it is in flight', async () => {
    const cache = createLatestCheckpointCache();
    cache.created('fresh');
    expect(cache.get('fresh')).toBeNull();
    const pending = write(cache, 'busy', row('written'));
    cache.created('busy');
    expect(cache.get('busy')).toBeUndefined();
    await pending.finish();
    expect(cache.get('busy')).toEqual(row('written'));
    const keep = cache.reading('read');
    cache.created('read');
    expect(cache.get('read')).toBeUndefined();
    keep(row('as read'));
    expect(cache.get('read')).toEqual(row('as read'));
  });

  it('stays within its byte budget, least recently used first out', () => {
    const cache = createLatestCheckpointCache({ maxBytes: 3_000 });
    for (const thread of ['a', 'b']) cache.reading(thread)(row(thread));
    cache.get('a');
    cache.reading('c')(row('c'));
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toEqual(row('a'));
    expect(cache.get('c')).toEqual(row('c'));
    expect(cache.stats().bytes).toBeLessThanOrEqual(3_000);
  });
});
