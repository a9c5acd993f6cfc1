/**
 * Issue 79: search pages by cursor, newest activity first, and every page is right whichever phase found its hits —
 * the walk over the caller's newest conversations (a common word) or the GIN index after it (a rare word, a word of
 * a title only, every word of several). Paging through a search returns each matching conversation exactly once, in
 * order, and never another member's. Correctness only: the timing lives in bench/search-growth.ts.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConversationSearchInput, PlatformStorage, TimelineEntry } from '../../src/platform/ports/index.ts';
import { parseConversationCursor } from '../../src/platform/ports/conversation-cursor.ts';
import { walkWindowOf } from '../../src/adapters/storage/stores/conversation-search.ts';
import { storageBackends, type StorageBackend } from '../storage/harness.ts';

function exchange(question: string, answer: string): TimelineEntry[] {
  return [
    { id: randomUUID(), type: 'user', content: question, timestamp: 1 },
    { id: randomUUID(), type: 'assistant', content: answer, timestamp: 2, segments: [{ kind: 'text', id: randomUUID(), text: answer }] },
  ];
}

const limit = 3;
const conversationsOfAlice = 40;
/** alice's conversations (by creation order) that hold the rare word; 7 also has "canary" in its title only */
const rare = new Set([2, 7, 19, 33]);

describe.each(Object.keys(storageBackends))('search paging on %s', (driver) => {
  let backend: StorageBackend;
  let storage: PlatformStorage;
  let alice: string;
  let bob: string;
  const created: string[] = [];

  beforeAll(async () => {
    backend = await storageBackends[driver]!();
    storage = backend.storage;
    const user = async (email: string) => {
      const made = await storage.users.create({ email, hashedPassword: 'h', allowWhenUsersExist: true });
      if (!made.ok) throw new Error(made.reason);
      return made.user.id;
    };
    alice = await user(`alice-${randomUUID()}@example.com`);
    bob = await user(`bob-${randomUUID()}@example.com`);
    for (let index = 0; index < conversationsOfAlice; index += 1) {
      const conversation = await storage.conversations.create({ userId: alice, title: index === 7 ? 'Canary review' : `Check ${index}`, cluster: index % 2 === 0 ? 'prod' : 'staging' });
      const extra = rare.has(index) ? ' The quokka sidecar restarted.' : '';
      await storage.conversations.updateTimeline(conversation.id, () => exchange(`look at the rollout of web-${index}`, `The rollout of web-${index} finished.${extra}`));
      created.push(conversation.id);
      // bob's conversations hold the same words: they must never show up for alice
      const his = await storage.conversations.create({ userId: bob, title: 'Canary review' });
      await storage.conversations.updateTimeline(his.id, () => exchange('rollout of the quokka service', 'quokka rollout done'));
    }
  });

  afterAll(async () => {
    await backend?.close();
  });

  /** alice's conversations in the order search answers: latest activity first, then id (as the database orders them) */
  async function newestFirst(wanted: (index: number) => boolean): Promise<string[]> {
    const rows = (await backend.query(`select id from conversations where user_id = $1 order by updated_at desc, id desc`, [alice])) as Array<{ id: string }>;
    return rows.map((row) => row.id).filter((id) => wanted(created.indexOf(id)));
  }

  /** Every page of a search, following next_cursor; checks each page's own promises on the way. */
  async function everyPage(input: Omit<ConversationSearchInput, 'limit' | 'cursor'>): Promise<string[][]> {
    const pages: string[][] = [];
    let cursor: string | null = null;
    do {
      const page = await storage.conversations.search!({ ...input, limit, ...(cursor ? { cursor: parseConversationCursor(cursor)! } : {}) });
      expect(page.items.length).toBeLessThanOrEqual(limit);
      expect(page.hasMore).toBe(page.nextCursor !== null);
      if (page.hasMore) expect(page.items).toHaveLength(limit);
      pages.push(page.items.map((item) => item.id));
      cursor = page.nextCursor;
      expect(pages.length).toBeLessThan(50);
    } while (cursor);
    return pages;
  }

  it('pages through a word every conversation holds: each once, newest first, the walk filling every page', async () => {
    expect(walkWindowOf(limit)).toBeLessThan(conversationsOfAlice);
    const pages = await everyPage({ text: 'rollout', ownerId: alice });
    expect(pages.flat()).toEqual(await newestFirst(() => true));
    expect(pages).toHaveLength(Math.ceil(conversationsOfAlice / limit));
  });

  it('finds a rare word beyond the walk\'s window through the index, in order, and only the caller\'s', async () => {
    const pages = await everyPage({ text: 'quokka', ownerId: alice });
    expect(pages.flat()).toEqual(await newestFirst((index) => rare.has(index)));
    expect(pages.flat()).toHaveLength(rare.size);
  });

  it('needs every word: one in a title, the other in a message, found beyond the window', async () => {
    // "canary" is in the title of alice's conversation 7 (and bob's), "quokka" in its answer; 7 lies past the window
    expect(conversationsOfAlice - 7).toBeGreaterThan(walkWindowOf(limit));
    expect((await everyPage({ text: 'canary quokka', ownerId: alice })).flat()).toEqual([created[7]]);
    expect((await everyPage({ text: 'quokka canary', ownerId: alice })).flat()).toEqual([created[7]]);
    expect((await everyPage({ text: 'canary rollout', ownerId: alice })).flat()).toEqual([created[7]]);
    expect((await everyPage({ text: 'canary nothinglikethis', ownerId: alice })).flat()).toEqual([]);
  });

  it('applies filters on every page, and pages across every owner for a reader who may', async () => {
    expect((await everyPage({ text: 'rollout', ownerId: alice, cluster: 'prod' })).flat()).toEqual(await newestFirst((index) => index % 2 === 0));
    expect((await everyPage({ text: 'quokka', ownerId: alice, cluster: 'staging' })).flat()).toEqual(await newestFirst((index) => rare.has(index) && index % 2 === 1));
    const everyone = (await everyPage({ text: 'quokka' })).flat();
    expect(new Set(everyone).size).toBe(everyone.length);
    expect(everyone).toHaveLength(rare.size + conversationsOfAlice);
  });

  it('answers an empty page for a search of stop words only, and a filters-only search pages too', async () => {
    expect(await storage.conversations.search!({ text: 'the and', ownerId: alice, limit })).toEqual({ items: [], hasMore: false, nextCursor: null });
    expect((await everyPage({ ownerId: alice, cluster: 'staging' })).flat()).toEqual(await newestFirst((index) => index % 2 === 1));
  });

  it('leaves the planner statistics of both tables (PGlite has no autovacuum to do it)', async () => {
    await storage.conversations.search!({ text: 'quokka', ownerId: alice, limit });
    const rows = (await backend.query(`select relname, reltuples from pg_class where relname in ('messages', 'conversations') and relkind = 'r'`)) as Array<{ relname: string; reltuples: number }>;
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(Number(row.reltuples)).toBeGreaterThan(0);
  });
});
