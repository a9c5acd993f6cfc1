/**
 * Issue 37: full-text search over conversation content on PGlite (in memory and in a data dir) and Postgres — words
 * from an answer, a first message or a tool call's target find the conversation, ranked, with highlighted snippets
 * and filters — and conversations stored before migration 0013 are searchable once it ran.
 */
import { randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/node-postgres';
import { migrate as migratePostgres } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { searchConversationsResponseSchema } from '@skyflo/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConversationSearchHit, PlatformStorage, TimelineEntry } from '../../src/platform/ports/index.ts';
import { migrationsFolder } from '../../src/adapters/storage/migrations-folder.ts';
import { createPgliteStorage } from '../../src/adapters/storage/pglite/pglite-storage.ts';
import { createPostgresStorage } from '../../src/adapters/storage/postgres/postgres-storage.ts';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { storageBackends, testAuditSigningKey, type StorageBackend } from '../storage/harness.ts';
import { createTestPglite, createTestPostgresDatabase } from '../support/test-databases.ts';

function toolCall(tool: string, args: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return { kind: 'tool' as const, id: randomUUID(), toolExecution: { call_id: randomUUID(), tool, title: tool, args, status: 'completed' as const, timestamp: 1, ...extra } };
}

function exchange(question: string, answer: string, calls: ReturnType<typeof toolCall>[] = []): TimelineEntry[] {
  return [
    { id: randomUUID(), type: 'user', content: question, timestamp: 1 },
    { id: randomUUID(), type: 'assistant', content: answer, timestamp: 2, segments: [...calls, { kind: 'text', id: randomUUID(), text: answer }] },
  ];
}

/** The highlighted words of a hit's snippet, as a reader sees them. */
const marked = (hit: ConversationSearchHit | undefined) => hit?.snippet?.highlights.map(([start, end]) => hit.snippet!.text.slice(start, end)) ?? [];

describe.each(Object.keys(storageBackends))('conversation search on %s', (driver) => {
  let backend: StorageBackend;
  let storage: PlatformStorage;
  let alice: string;
  let bob: string;
  const ids: Record<string, string> = {};

  async function conversation(name: string, userId: string, options: { title?: string; cluster?: string; timeline: TimelineEntry[] }) {
    const created = await storage.conversations.create({ userId, title: options.title ?? '', ...(options.cluster ? { cluster: options.cluster } : {}) });
    await storage.conversations.updateTimeline(created.id, () => options.timeline);
    ids[name] = created.id;
  }

  beforeAll(async () => {
    backend = await storageBackends[driver]!();
    storage = backend.storage;
    const user = async (email: string) => {
      const created = await storage.users.create({ email, hashedPassword: 'h', allowWhenUsersExist: true });
      if (!created.ok) throw new Error(created.reason);
      return created.user.id;
    };
    alice = await user(`alice-${randomUUID()}@example.com`);
    bob = await user(`bob-${randomUUID()}@example.com`);
    await conversation('frontend', alice, {
      title: 'Frontend outage',
      cluster: 'prod',
      timeline: exchange('why is the frontend down?', 'The frontend pods are in ImagePullBackOff on frontend: the image tag v2.4.1 does not exist in the registry.', [
        toolCall('k8s_get', { resource_type: 'pods', namespace: 'shop' }),
      ]),
    });
    await conversation('postgres', alice, {
      title: 'Database check',
      cluster: 'staging',
      timeline: exchange('check the replication of postgres-primary', 'postgres-primary streams to both replicas; lag is 0 bytes.', [
        toolCall('k8s_describe', { resource_type: 'statefulset', name: 'postgres-primary' }, { namespace: 'db' }),
      ]),
    });
    // frontend only once, deep in the content: ranks below the conversation named after it
    await conversation('mention', alice, { title: 'Weekly review', timeline: exchange('summarise the week', 'Nothing notable; the frontend had one deploy.') });
    // stopped before its first answer: only a first message
    await conversation('stopped', alice, { title: '', timeline: [{ id: randomUUID(), type: 'user', content: 'ImagePullBackOff on checkout, look at it', timestamp: 1 }] });
    await conversation('markup', alice, { title: 'Markup', timeline: exchange('show <img src=x onerror="alert(1)"> quarantined', 'fake \uE000highlight\uE001 of quarantined text, EXTERNAL-IP <none> on the quarantined service') });
    await conversation('bobs', bob, { title: 'Bob frontend', cluster: 'prod', timeline: exchange('ImagePullBackOff on frontend again', 'Same ImagePullBackOff on frontend as last week.') });
  });

  afterAll(async () => {
    await backend?.close();
  });

  it('finds a word of an answer, only in the owner\'s conversations, with the word highlighted in a snippet', async () => {
    const { items, hasMore } = await storage.conversations.search!({ text: 'ImagePullBackOff', ownerId: alice, limit: 10 });
    expect(items.map((item) => item.id).sort()).toEqual([ids.frontend, ids.stopped].sort());
    expect(hasMore).toBe(false);
    const hit = items.find((item) => item.id === ids.frontend);
    expect(marked(hit)).toContain('ImagePullBackOff');
    expect(hit).toMatchObject({ title: 'Frontend outage', cluster: 'prod', userId: alice, ownerEmail: expect.stringMatching(/^alice-/) });
    expect(marked(items.find((item) => item.id === ids.stopped))).toEqual(['ImagePullBackOff']);
  });

  it('finds words as prefixes and hyphenated names from a first message and a tool call target', async () => {
    const prefix = await storage.conversations.search!({ text: 'ImagePull', ownerId: alice, limit: 10 });
    expect(prefix.items.map((item) => item.id)).toContain(ids.frontend);
    const hyphenated = await storage.conversations.search!({ text: 'postgres-primary', ownerId: alice, limit: 10 });
    expect(hyphenated.items.map((item) => item.id)).toEqual([ids.postgres]);
    expect(marked(hyphenated.items[0]).join(' ')).toMatch(/postgres/);
    const byTarget = await storage.conversations.search!({ text: 'statefulset', ownerId: alice, limit: 10 });
    expect(byTarget.items.map((item) => item.id)).toEqual([ids.postgres]);
  });

  it('orders hits by latest activity, ranks a title match above a passing mention and highlights the title', async () => {
    const { items } = await storage.conversations.search!({ text: 'frontend', ownerId: alice, limit: 10 });
    // the mention was written last: newest activity first, whatever the rank
    expect(items.map((item) => item.id)).toEqual([ids.mention, ids.frontend]);
    expect(items[1]!.rank).toBeGreaterThan(items[0]!.rank);
    expect(items[1]!.titleHighlights.map(([start, end]) => items[1]!.title.slice(start, end))).toEqual(['Frontend']);
  });

  it('searches every owner when asked to (the caller decided the reader may), and pages with hasMore', async () => {
    const all = await storage.conversations.search!({ text: 'ImagePullBackOff', limit: 10 });
    expect(all.items.map((item) => item.id)).toContain(ids.bobs);
    const first = await storage.conversations.search!({ text: 'ImagePullBackOff', limit: 1 });
    expect(first.items).toHaveLength(1);
    expect(first.hasMore).toBe(true);
    expect(first.nextCursor).toEqual(expect.any(String));
  });

  it('filters by cluster, namespace, tool and date range', async () => {
    const search = async (filters: Record<string, unknown>) =>
      (await storage.conversations.search!({ ownerId: alice, limit: 10, ...filters })).items.map((item) => item.id).sort();
    expect(await search({ text: 'frontend', cluster: 'prod' })).toEqual([ids.frontend]);
    expect(await search({ cluster: 'staging' })).toEqual([ids.postgres]);
    expect(await search({ namespace: 'shop' })).toEqual([ids.frontend]);
    expect(await search({ namespace: 'db' })).toEqual([ids.postgres]);
    expect(await search({ tool: 'k8s_describe' })).toEqual([ids.postgres]);
    expect(await search({ tool: 'k8s_delete' })).toEqual([]);
    expect(await search({ text: 'frontend', from: new Date(Date.now() + 3_600_000) })).toEqual([]);
    expect(await search({ text: 'frontend', to: new Date(Date.now() - 3_600_000) })).toEqual([]);
    expect(await search({ text: 'frontend', from: new Date(Date.now() - 3_600_000), to: new Date(Date.now() + 3_600_000) })).toEqual([ids.frontend, ids.mention].sort());
  });

  it('returns stored markup as text and never takes highlight markers from stored text', async () => {
    const question = await storage.conversations.search!({ text: 'show quarantined', ownerId: alice, limit: 10 });
    expect(question.items.map((item) => item.id)).toEqual([ids.markup]);
    expect(question.items[0]!.snippet!.text).toContain('<img src=x onerror="alert(1)">');
    const answer = await storage.conversations.search!({ text: 'quarantined service', ownerId: alice, limit: 10 });
    expect(answer.items[0]!.snippet!.text).toContain('EXTERNAL-IP <none>');
    expect(answer.items[0]!.snippet!.text).not.toMatch(/[\uE000\uE001]/);
    expect(marked(answer.items[0])).toEqual(['quarantined', 'quarantined', 'service']);
  });

  it('needs every word, from the title or any message, and ignores stop words', async () => {
    const across = await storage.conversations.search!({ text: 'outage registry', ownerId: alice, limit: 10 });
    expect(across.items.map((item) => item.id)).toEqual([ids.frontend]);
    expect((await storage.conversations.search!({ text: 'registry replicas', ownerId: alice, limit: 10 })).items).toEqual([]);
    expect((await storage.conversations.search!({ text: 'the registry', ownerId: alice, limit: 10 })).items.map((item) => item.id)).toEqual([ids.frontend]);
  });

  it('follows the timeline: a word removed from it is no longer found', async () => {
    await storage.conversations.updateTimeline(ids.mention!, () => exchange('summarise the week', 'Nothing notable.'));
    const { items } = await storage.conversations.search!({ text: 'frontend', ownerId: alice, limit: 10 });
    expect(items.map((item) => item.id)).toEqual([ids.frontend]);
  });
});

/** The migrations up to (not including) `tag`, as an installation of the previous version has them. */
const folders: string[] = [];
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});
function migrationsBefore(tag: string): string {
  const folder = mkdtempSync(path.join(tmpdir(), 'skyflo-migrations-'));
  folders.push(folder);
  cpSync(migrationsFolder, folder, { recursive: true });
  const journalFile = path.join(folder, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalFile, 'utf8')) as { entries: Array<{ tag: string }> };
  journal.entries = journal.entries.slice(0, journal.entries.findIndex((entry) => entry.tag === tag));
  writeFileSync(journalFile, JSON.stringify(journal));
  return folder;
}

/**
 * A user and a conversation as the previous version stored them (plain SQL, before the search columns existed): the
 * timeline, its mirror in `messages` (one row per entry) and the welcome row.
 */
async function storeAsBefore(query: (text: string, params?: unknown[]) => Promise<unknown>): Promise<string> {
  const userId = randomUUID();
  const conversationId = randomUUID();
  await query(`INSERT INTO users (id, email, hashed_password) VALUES ($1, $2, 'h')`, [userId, `old-${userId}@example.com`]);
  const timeline = exchange('ImagePullBackOff on frontend since the deploy', 'The image tag does not exist.', [toolCall('k8s_get', { resource_type: 'pods', namespace: 'shop' })]);
  await query(`INSERT INTO conversations (id, user_id, title, messages_json) VALUES ($1, $2, 'Old incident', $3::jsonb)`, [conversationId, userId, JSON.stringify(timeline)]);
  await query(`INSERT INTO messages (conversation_id, entry_id, role, content, sequence) VALUES ($1, 'system-welcome', 'system', 'Welcome to Skyflo. Ask about your Kubernetes cluster.', -1)`, [conversationId]);
  for (const [position, entry] of timeline.entries()) {
    await query(`INSERT INTO messages (conversation_id, entry_id, role, content, sequence, message_metadata) VALUES ($1, $2, $3, $4, $5, $6::jsonb)`, [
      conversationId, entry.id, entry.type, entry.content, position, JSON.stringify(entry.type === 'assistant' ? { segments: entry.segments } : {}),
    ]);
  }
  return conversationId;
}

describe('conversations stored before migration 0013', () => {
  it('are searchable on PGlite once it ran', async () => {
    const lite = new PGlite();
    await lite.waitReady;
    await migratePglite(drizzlePglite(lite), { migrationsFolder: migrationsBefore('0013_conversation_search') });
    const id = await storeAsBefore((text, params) => lite.query(text, params));
    const storage = await createPgliteStorage({ lite, auditSigningKey: testAuditSigningKey });
    try {
      const { items } = await storage.conversations.search!({ text: 'ImagePullBackOff', limit: 10 });
      expect(items.map((item) => item.id)).toEqual([id]);
      expect(marked(items[0])).toEqual(['ImagePullBackOff']);
    } finally {
      await storage.close();
      await lite.close();
    }
  });

  it('are searchable on Postgres once it ran', async () => {
    const database = await createTestPostgresDatabase();
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    let storage: PlatformStorage | undefined;
    try {
      await migratePostgres(drizzlePostgres(client), { migrationsFolder: migrationsBefore('0013_conversation_search') });
      const id = await storeAsBefore((text, params) => client.query(text, params));
      storage = await createPostgresStorage({ url: database.url, auditSigningKey: testAuditSigningKey });
      // the welcome row's words find nothing: only the conversation's own entries are indexed
      expect((await storage.conversations.search!({ text: 'Kubernetes', limit: 10 })).items).toEqual([]);
      const found = await storage.conversations.search!({ text: 'frontend deploy', limit: 10 });
      expect(found.items.map((item) => item.id)).toEqual([id]);
      expect((await storage.conversations.search!({ text: 'pods', namespace: 'shop', limit: 10 })).items.map((item) => item.id)).toEqual([id]);
    } finally {
      await storage?.close();
      await client.end();
      await database.drop();
    }
  });
});

describe('GET /api/v1/conversations/search', () => {
  let lite: PGlite;
  let engine: TestEngine;
  const tokens: Record<string, string> = {};
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    ({ lite } = await createTestPglite());
    engine = await startTestEngine({ lite, env: { ALLOW_REGISTRATION: 'true' } });
    for (const name of ['admin', 'alice', 'bob']) tokens[name] = await engine.signUp(`${name}@example.com`);
    const storage = engine.engine.storage;
    const owner = async (name: string) => (await storage.users.findByEmail(`${name}@example.com`))!.id;
    const store = async (name: string, userId: string, cluster: string, timeline: TimelineEntry[]) => {
      const created = await storage.conversations.create({ userId, cluster });
      await storage.conversations.updateTimeline(created.id, () => timeline);
      ids[name] = created.id;
    };
    await store('alice', await owner('alice'), 'prod', exchange('ImagePullBackOff on frontend', 'The frontend image tag does not exist.', [toolCall('k8s_get', { resource_type: 'pods', namespace: 'shop' })]));
    await store('bob', await owner('bob'), 'prod', exchange('ImagePullBackOff on frontend for me too', 'Same tag problem.', [toolCall('k8s_logs', { name: 'web', namespace: 'payments' })]));
  });

  afterAll(async () => {
    await engine?.close();
    await lite?.close();
  });

  const search = async (who: string, query: string) => engine.request({ method: 'GET', url: `/api/v1/conversations/search?${query}`, token: tokens[who]! });
  const found = async (who: string, query: string) => {
    const response = await search(who, query);
    expect(response.statusCode).toBe(200);
    return searchConversationsResponseSchema.parse(response.json()).data;
  };

  it('never finds another member\'s conversation, even with the exact words of it', async () => {
    const forAlice = await found('alice', 'q=ImagePullBackOff');
    expect(forAlice.map((hit) => hit.id)).toEqual([ids.alice]);
    expect(forAlice[0]).toMatchObject({ owned_by_me: true, cluster: 'prod', owner: { email: 'alice@example.com' } });
    const snippet = forAlice[0]!.snippet!;
    expect(snippet.highlights.map(([start, end]) => snippet.text.slice(start, end))).toEqual(['ImagePullBackOff']);
    expect((await found('bob', 'q=ImagePullBackOff')).map((hit) => hit.id)).toEqual([ids.bob]);
    expect(await found('bob', 'q=shop')).toEqual([]);
  });

  it('lets an admin, who may read every conversation, find both, and audits that read', async () => {
    const hits = await found('admin', 'q=ImagePullBackOff');
    expect(hits.map((hit) => hit.id).sort()).toEqual([ids.alice, ids.bob].sort());
    expect(hits.every((hit) => !hit.owned_by_me)).toBe(true);
    const admin = await engine.engine.storage.users.findByEmail('admin@example.com');
    const audit = await engine.engine.storage.audit.list({ limit: 10, action: 'conversation.admin_search' });
    expect(audit[0]).toMatchObject({ actorId: admin!.id });
    expect((audit[0]!.details['conversation_ids'] as string[]).sort()).toEqual([ids.alice, ids.bob].sort());
  });

  it('filters by cluster, namespace, tool and date range', async () => {
    const idsOf = async (query: string) => (await found('admin', query)).map((hit) => hit.id).sort();
    expect(await idsOf('q=frontend&namespace=payments')).toEqual([ids.bob]);
    expect(await idsOf('tool=k8s_get')).toEqual([ids.alice]);
    expect(await idsOf('q=frontend&cluster=staging')).toEqual([]);
    expect(await idsOf('q=frontend&cluster=prod')).toEqual([ids.alice, ids.bob].sort());
    const today = new Date().toISOString().slice(0, 10);
    expect(await idsOf(`q=frontend&from=${today}&to=${today}`)).toEqual([ids.alice, ids.bob].sort());
    expect(await idsOf(`q=frontend&to=2020-01-01`)).toEqual([]);
    expect(await idsOf(`q=frontend&from=${encodeURIComponent(new Date(Date.now() + 86_400_000).toISOString())}`)).toEqual([]);
  });

  it('answers 400 with the field and what to do for bad input', async () => {
    const refusal = async (query: string) => {
      const response = await search('alice', query);
      expect(response.statusCode).toBe(400);
      return (response.json() as { detail: string }).detail;
    };
    expect(await refusal('')).toMatch(/give q .* or a filter/);
    expect(await refusal('q=a')).toMatch(/q must be at least 2 characters/);
    expect(await refusal(`q=${'x'.repeat(201)}`)).toMatch(/q may be at most 200/);
    expect(await refusal('q=pods&from=yesterday')).toMatch(/from must be a date/);
    expect(await refusal('q=pods&from=2026-02-02&to=2026-02-01')).toMatch(/from must not be after to/);
    expect(await refusal('namespace=Not_A_Namespace')).toMatch(/namespace must be a Kubernetes namespace name/);
    expect(await refusal('q=pods&limit=0')).toMatch(/limit must be 1 to 50/);
    expect(await refusal('q=pods&cursor=yesterday')).toMatch(/cursor: not a cursor returned by this API/);
  });
});
