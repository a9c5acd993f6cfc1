/**
 * One conformance suite for the Storage port, run against both drivers: PGlite (in memory) and a fresh
 * Postgres database. Same expectations, same code path above the driver.
 */
import { randomUUID } from 'node:crypto';
import { Annotation, Command, END, interrupt, START, StateGraph } from '@langchain/langgraph';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlatformStorage, TimelineEntry } from '../src/ports/index.ts';
import { createPgliteStorage } from '../src/storage/pglite-storage.ts';
import { createPostgresStorage } from '../src/storage/postgres-storage.ts';
import { createTestPglite, createTestPostgresDatabase } from './storage-test-databases.ts';

interface Backend {
  storage: PlatformStorage;
  /** a second Storage on the same database, standing in for another engine process (undefined on PGlite) */
  secondProcess?: PlatformStorage;
  query(text: string, params?: unknown[]): Promise<unknown[]>;
  close(): Promise<void>;
}

const backends: Record<string, () => Promise<Backend>> = {
  pglite: async () => {
    const { lite, query } = await createTestPglite();
    const storage = await createPgliteStorage({ lite });
    return { storage, query, close: async () => { await storage.close(); await lite.close(); } };
  },
  postgres: async () => {
    const database = await createTestPostgresDatabase();
    const storage = await createPostgresStorage({ url: database.url });
    const secondProcess = await createPostgresStorage({ url: database.url });
    return {
      storage,
      secondProcess,
      query: database.query,
      close: async () => {
        await storage.close();
        await secondProcess.close();
        await database.drop();
      },
    };
  },
};

const userEntry = (id: string, content: string): TimelineEntry => ({ id, type: 'user', content, timestamp: Date.now() });

describe.each(Object.keys(backends))('Storage conformance on %s', (driver) => {
  let backend: Backend;
  let storage: PlatformStorage;
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    backend = await backends[driver]();
    storage = backend.storage;
    const first = await storage.users.create({ email: 'Alice@Example.com', hashedPassword: 'h', allowWhenUsersExist: false });
    const second = await storage.users.create({ email: 'bob@example.com', hashedPassword: 'h', allowWhenUsersExist: true });
    if (!first.ok || !second.ok) throw new Error('could not create users');
    alice = first.user.id;
    bob = second.user.id;
  });

  afterAll(async () => {
    await backend?.close();
  });

  describe('users', () => {
    it('made the first user admin and later users members, and refuses new users when registration is closed', async () => {
      const first = await storage.users.findById(alice);
      const second = await storage.users.findById(bob);
      expect(first).toMatchObject({ email: 'alice@example.com', role: 'admin', isSuperuser: true, isVerified: true });
      expect(second).toMatchObject({ role: 'member', isSuperuser: false });
      const closed = await storage.users.create({ email: 'carol@example.com', hashedPassword: 'h', allowWhenUsersExist: false });
      expect(closed).toEqual({ ok: false, reason: 'registration_closed' });
      const duplicate = await storage.users.create({ email: 'ALICE@example.com', hashedPassword: 'h', allowWhenUsersExist: true });
      expect(duplicate).toEqual({ ok: false, reason: 'email_taken' });
      expect(await storage.users.findByEmail('BOB@EXAMPLE.COM')).toMatchObject({ id: bob });
    });

    it('updates profile fields and refuses an email that belongs to someone else', async () => {
      expect(await storage.users.updateProfile(bob, { email: 'alice@example.com' })).toEqual({ ok: false, reason: 'email_taken' });
      const updated = await storage.users.updateProfile(bob, { fullName: 'Bob B' });
      expect(updated).toMatchObject({ ok: true, user: { fullName: 'Bob B', role: 'member' } });
    });
  });

  describe('conversations', () => {
    it('creates with a chosen id, reads back, updates and deletes', async () => {
      const id = randomUUID();
      const created = await storage.conversations.create({ id, userId: alice });
      expect(created).toMatchObject({ id, title: '', userId: alice, isActive: true, metadata: {}, timeline: [] });
      const updated = await storage.conversations.update(id, { title: 'Fix nginx', isActive: false, metadata: { pinned: true } });
      expect(updated).toMatchObject({ title: 'Fix nginx', isActive: false, metadata: { pinned: true } });
      expect(await storage.conversations.get(id)).toMatchObject({ title: 'Fix nginx' });
      expect(await storage.conversations.delete(id)).toBe(true);
      expect(await storage.conversations.get(id)).toBeUndefined();
      expect(await storage.conversations.delete(id)).toBe(false);
      expect(await storage.conversations.get('not-a-uuid')).toBeUndefined();
    });

    it('sets a title only while it is empty', async () => {
      const { id } = await storage.conversations.create({ userId: alice });
      expect(await storage.conversations.setTitleIfEmpty(id, 'First title')).toBe(true);
      expect(await storage.conversations.setTitleIfEmpty(id, 'Second title')).toBe(false);
      expect((await storage.conversations.get(id))?.title).toBe('First title');
    });

    it('pages by -updated_at with a cursor, per user, and searches titles case-insensitively', async () => {
      const owner = (await storage.users.create({ email: `pager-${driver}@example.com`, hashedPassword: 'h', allowWhenUsersExist: true }));
      if (!owner.ok) throw new Error('user');
      const ids: string[] = [];
      for (let index = 0; index < 7; index += 1) {
        const { id } = await storage.conversations.create({ userId: owner.user.id, title: index % 2 === 0 ? `Deploy 100% api ${index}` : `Other ${index}` });
        ids.push(id);
      }
      // Touching the oldest moves it to the front. Timestamps have millisecond resolution, so let the clock move
      // past the last create first; within one millisecond the order is by id, which is equally valid.
      await new Promise((resolve) => setTimeout(resolve, 5));
      await storage.conversations.update(ids[0], { title: 'Deploy 100% api 0 (renamed)' });
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await storage.conversations.list({ userId: owner.user.id, limit: 3, ...(cursor ? { cursor } : {}) });
        expect(page.items.length).toBeLessThanOrEqual(3);
        seen.push(...page.items.map((item) => item.id));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      expect(seen).toHaveLength(7);
      expect(new Set(seen).size).toBe(7);
      expect(seen[0]).toBe(ids[0]);
      const search = await storage.conversations.list({ userId: owner.user.id, limit: 20, query: 'DEPLOY 100%' });
      expect(search.items.map((item) => item.title).every((title) => title.startsWith('Deploy 100% api'))).toBe(true);
      expect(search.items).toHaveLength(4);
      // "%" is literal, not a wildcard: no title contains "1000".
      expect((await storage.conversations.list({ userId: owner.user.id, limit: 20, query: '_0%' })).items).toHaveLength(0);
      expect((await storage.conversations.list({ userId: bob, limit: 20, query: 'Deploy' })).items).toHaveLength(0);
    });

    it('serialises concurrent timeline updates and mirrors entries into messages', async () => {
      const { id } = await storage.conversations.create({ userId: alice });
      const writers = [storage, backend.secondProcess ?? storage];
      await Promise.all(
        Array.from({ length: 24 }, (_, index) =>
          writers[index % writers.length].conversations.updateTimeline(id, (timeline) => [...timeline, userEntry(`entry-${index}`, `message ${index}`)]),
        ),
      );
      const conversation = await storage.conversations.get(id);
      expect(conversation?.timeline).toHaveLength(24);
      expect(new Set(conversation?.timeline.map((entry) => entry.id)).size).toBe(24);
      const rows = (await backend.query('select entry_id, sequence from messages where conversation_id = $1 order by sequence', [id])) as Array<{ entry_id: string; sequence: number }>;
      expect(rows.map((row) => row.entry_id)).toEqual(conversation?.timeline.map((entry) => entry.id));

      await storage.conversations.updateTimeline(id, (timeline) => timeline.slice(1).map((entry) => (entry.id === 'entry-5' ? { ...entry, content: 'edited' } : entry)));
      const after = (await backend.query('select entry_id, content from messages where conversation_id = $1 order by sequence', [id])) as Array<{ entry_id: string; content: string }>;
      expect(after).toHaveLength(23);
      expect(after.find((row) => row.entry_id === 'entry-5')?.content).toBe('edited');
    });

    it('ignores timeline updates for a conversation that does not exist', async () => {
      let called = false;
      const result = await storage.conversations.updateTimeline(randomUUID(), (timeline) => {
        called = true;
        return timeline;
      });
      expect(result).toEqual([]);
      expect(called).toBe(false);
    });
  });

  describe('approvals', () => {
    const request = (conversationId: string, callId: string) =>
      storage.approvals.request({ conversationId, callId, runId: 'run-1', tool: 'k8s_scale', args: { name: 'web', replicas: 3 }, argsHash: 'abc', diff: '- 1\n+ 3' });

    it('requests idempotently and lets exactly one of many concurrent decisions win', async () => {
      const conversationId = randomUUID();
      const first = await request(conversationId, 'call-1');
      const again = await request(conversationId, 'call-1');
      expect(first).toMatchObject({ status: 'awaiting', tool: 'k8s_scale', diff: '- 1\n+ 3' });
      expect(again.requestedAt.getTime()).toBe(first.requestedAt.getTime());
      const stores = [storage, backend.secondProcess ?? storage];
      const decisions = await Promise.all(
        Array.from({ length: 10 }, (_, index) =>
          stores[index % stores.length].approvals.decide({ conversationId, callId: 'call-1', approve: index % 3 !== 0, decidedBy: `user-${index}`, reason: 'ok' }),
        ),
      );
      const winners = decisions.filter((decision) => decision !== undefined);
      expect(winners).toHaveLength(1);
      const stored = await storage.approvals.get(conversationId, 'call-1');
      expect(stored?.status).toBe(winners[0]?.status);
      expect(stored?.decidedBy).toBe(winners[0]?.decidedBy);
    });

    it('lets exactly one claimant execute an approved call, and never a denied or unknown one', async () => {
      const conversationId = randomUUID();
      await request(conversationId, 'approve-me');
      await request(conversationId, 'deny-me');
      await storage.approvals.decide({ conversationId, callId: 'approve-me', approve: true, decidedBy: alice });
      await storage.approvals.decide({ conversationId, callId: 'deny-me', approve: false, decidedBy: alice, reason: 'too risky' });
      expect(await storage.approvals.claimExecution({ conversationId, callId: 'deny-me' })).toBe(false);
      expect(await storage.approvals.claimExecution({ conversationId, callId: 'missing' })).toBe(false);
      // Finishing needs a claim: an approved-but-unclaimed call cannot be marked executed.
      expect(await storage.approvals.markExecuted({ conversationId, callId: 'approve-me', ok: true })).toBe(false);
      const stores = [storage, backend.secondProcess ?? storage];
      const claims = await Promise.all(Array.from({ length: 6 }, (_, index) => stores[index % stores.length].approvals.claimExecution({ conversationId, callId: 'approve-me' })));
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect((await storage.approvals.get(conversationId, 'approve-me'))?.status).toBe('executing');
      const results = await Promise.all([1, 2, 3].map(() => storage.approvals.markExecuted({ conversationId, callId: 'approve-me', ok: true, resultSummary: 'scaled' })));
      expect(results.filter(Boolean)).toHaveLength(1);
      const records = await storage.approvals.listForConversation(conversationId);
      expect(records.map((record) => [record.callId, record.status])).toEqual([
        ['approve-me', 'executed'],
        ['deny-me', 'denied'],
      ]);
      expect(records[1]).toMatchObject({ reason: 'too risky', decidedBy: alice });
      expect(records[0]).toMatchObject({ resultSummary: 'scaled' });
      expect(records[0].executedAt).toBeInstanceOf(Date);
      expect(await storage.approvals.decide({ conversationId, callId: 'approve-me', approve: false, decidedBy: bob })).toBeUndefined();
    });
  });

  describe('runs', () => {
    it('lets one run at a time hold a conversation, also when many claim it at once (from two processes on Postgres)', async () => {
      const { id } = await storage.conversations.create({ userId: alice });
      const claimers = [storage, backend.secondProcess ?? storage];
      const runIds = Array.from({ length: 8 }, () => randomUUID());
      const results = await Promise.all(runIds.map((runId, index) => claimers[index % 2]!.runs.begin({ runId, conversationId: id, leaseMs: 60_000 })));
      const winners = runIds.filter((_, index) => results[index]!.ok);
      expect(winners).toHaveLength(1);
      for (const result of results) if (!result.ok) expect(result.active.runId).toBe(winners[0]);
      expect(await storage.runs.get(winners[0]!)).toMatchObject({ conversationId: id, status: 'running' });

      await storage.runs.finish(winners[0]!);
      expect((await storage.runs.get(winners[0]!))?.finishedAt).toBeInstanceOf(Date);
      expect(await storage.runs.renew(winners[0]!, 60_000)).toBe(false);
      expect(await storage.runs.begin({ runId: randomUUID(), conversationId: id, leaseMs: 60_000 })).toEqual({ ok: true });
    });

    it('frees a conversation whose run lease lapsed, and knows nothing of unknown run ids', async () => {
      const { id } = await storage.conversations.create({ userId: alice });
      const stale = randomUUID();
      expect(await storage.runs.begin({ runId: stale, conversationId: id, leaseMs: 1 })).toEqual({ ok: true });
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await storage.runs.begin({ runId: randomUUID(), conversationId: id, leaseMs: 60_000 })).toEqual({ ok: true });
      expect((await storage.runs.get(stale))?.status).toBe('finished');
      expect(await storage.runs.get(randomUUID())).toBeUndefined();
      expect(await storage.runs.get('not-a-uuid')).toBeUndefined();
    });
  });

  describe('refresh tokens and audit', () => {
    it('rotates a token once and revokes a whole family', async () => {
      const familyId = randomUUID();
      const expiresAt = new Date(Date.now() + 60_000);
      const token = await storage.refreshTokens.insert({ tokenHash: `hash-${driver}-1`, userId: alice, familyId, expiresAt });
      await storage.refreshTokens.insert({ tokenHash: `hash-${driver}-2`, userId: alice, familyId, expiresAt });
      const rotations = await Promise.all([storage.refreshTokens.markRotated(token.id), storage.refreshTokens.markRotated(token.id)]);
      expect(rotations.filter(Boolean)).toHaveLength(1);
      expect((await storage.refreshTokens.findByHash(`hash-${driver}-1`))?.rotatedAt).toBeInstanceOf(Date);
      expect(await storage.refreshTokens.revokeFamily(familyId)).toBe(2);
      expect((await storage.refreshTokens.findByHash(`hash-${driver}-2`))?.revokedAt).toBeInstanceOf(Date);
    });

    it('records and lists audit events, newest first', async () => {
      await storage.audit.record({ actorId: alice, action: 'test.first', details: { n: 1 } });
      await storage.audit.record({ actorId: alice, action: 'test.second', subjectType: 'conversation', subjectId: 'x', details: {}, ip: '127.0.0.1' });
      const events = await storage.audit.list({ limit: 10, actorId: alice });
      expect(events.map((event) => event.action).slice(0, 2)).toEqual(['test.second', 'test.first']);
      expect(events[0]).toMatchObject({ subjectType: 'conversation', ip: '127.0.0.1' });
    });
  });

  describe('checkpointer', () => {
    it('persists a LangGraph interrupt and resumes it in a freshly compiled graph', async () => {
      const State = Annotation.Root({ steps: Annotation<string[]>({ reducer: (left, right) => [...left, ...right], default: () => [] }) });
      const build = () =>
        new StateGraph(State)
          .addNode('ask', () => {
            const approved = interrupt({ question: 'scale web to 3?' });
            return { steps: [approved ? 'approved' : 'denied'] };
          })
          .addEdge(START, 'ask')
          .addEdge('ask', END)
          .compile({ checkpointer: storage.checkpointer });
      const config = { configurable: { thread_id: randomUUID() } };
      const paused = await build().invoke({ steps: ['start'] }, config);
      expect((paused as { __interrupt__?: Array<{ value: unknown }> }).__interrupt__?.[0]?.value).toEqual({ question: 'scale web to 3?' });
      const resumed = await build().invoke(new Command({ resume: true }), config);
      expect(resumed.steps).toEqual(['start', 'approved']);
    });
  });

  it('answers ping', async () => {
    await expect(storage.ping()).resolves.toBeUndefined();
  });
});
