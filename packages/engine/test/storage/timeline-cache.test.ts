/**
 * Issue 38: a PGlite storage that owns its database keeps each conversation's timeline as it last wrote it
 * (storage/timeline-cache.ts) and writes a timeline without a transaction. What the user must see is unchanged: the
 * timeline and its searchable mirror rows are what the writes made them, and a write the database refused leaves no
 * trace in the writes after it.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, expect, it } from 'vitest';
import type { PlatformStorage, TimelineEntry } from '../../src/platform/ports/index.ts';
import { createPgliteStorage } from '../../src/adapters/storage/pglite/pglite-storage.ts';

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const answer = (content: string) => ({ id: randomUUID(), type: 'assistant', content, timestamp: Date.now(), segments: [{ kind: 'text', text: content }] }) as unknown as TimelineEntry;

async function startedChat() {
  const storage: PlatformStorage = await createPgliteStorage({});
  closers.push(() => storage.close());
  const created = await storage.users.create({ email: 'timeline@example.test', hashedPassword: 'x', allowWhenUsersExist: true });
  if (!created.ok) throw new Error(created.reason);
  const question = { id: randomUUID(), type: 'user', content: 'why is checkout slow', timestamp: Date.now() } as unknown as TimelineEntry;
  const started = await storage.conversations.startChat!({ userId: created.user.id, cluster: undefined, runId: randomUUID(), leaseMs: 60_000, maxRunningPerUser: 3, timeline: [question], audit: undefined });
  if (!started.ok) throw new Error('the chat did not start');
  return { storage, conversationId: started.conversation.id, userId: created.user.id };
}

it('appends after a new chat: the timeline and the searchable rows hold every entry, in order', async () => {
  const { storage, conversationId, userId } = await startedChat();
  await storage.conversations.updateTimeline(conversationId, (timeline) => [...timeline, answer('the payments pod is throttled')]);
  await storage.conversations.updateTimeline(conversationId, (timeline) => [...timeline, answer('raising its limits fixed latency')]);
  const timeline = (await storage.conversations.get(conversationId))!.timeline;
  expect(timeline.map((entry) => entry.content)).toEqual(['why is checkout slow', 'the payments pod is throttled', 'raising its limits fixed latency']);
  for (const word of ['checkout', 'throttled', 'latency']) {
    const found = await storage.conversations.search!({ text: word, ownerId: userId, limit: 5 });
    expect(found.items.map((hit) => hit.id)).toEqual([conversationId]);
  }
});

it('a timeline write the database refuses leaves no trace: the next write starts from what was stored', async () => {
  const { storage, conversationId } = await startedChat();
  // PostgreSQL's jsonb refuses the NUL character: the statement fails
  await expect(storage.conversations.updateTimeline(conversationId, (timeline) => [...timeline, answer('refused \u0000 entry')])).rejects.toThrow();
  let seen: string[] = [];
  await storage.conversations.updateTimeline(conversationId, (timeline) => {
    seen = timeline.map((entry) => entry.content);
    return [...timeline, answer('kept entry')];
  });
  expect(seen).toEqual(['why is checkout slow']);
  expect((await storage.conversations.get(conversationId))!.timeline.map((entry) => entry.content)).toEqual(['why is checkout slow', 'kept entry']);
});

it('a deleted conversation is not written again from what was kept', async () => {
  const { storage, conversationId } = await startedChat();
  await storage.conversations.updateTimeline(conversationId, (timeline) => [...timeline, answer('first answer')]);
  await storage.conversations.delete(conversationId);
  let called = false;
  const after = await storage.conversations.updateTimeline(conversationId, (timeline) => ((called = true), [...timeline, answer('after deletion')]));
  expect(after).toEqual([]);
  expect(called).toBe(false);
  expect(await storage.conversations.get(conversationId)).toBeUndefined();
});
