/** Conversation routes: ownership (404 for others), audited admin reads, cursor pagination, search, PATCH rules. */
import { randomUUID } from 'node:crypto';
import type { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { createTestPglite } from '../support/test-databases.ts';

let lite: PGlite;
let engine: TestEngine;
let admin: string;
let alice: string;
let bob: string;

beforeAll(async () => {
  ({ lite } = await createTestPglite());
  engine = await startTestEngine({ lite, env: { ALLOW_REGISTRATION: 'true' } });
  admin = await engine.signUp('admin@example.com');
  alice = await engine.signUp('alice@example.com');
  bob = await engine.signUp('bob@example.com');
});

afterAll(async () => {
  await engine?.close();
  await lite?.close();
});

const create = async (token: string, payload: Record<string, unknown> = {}) => engine.request({ method: 'POST', url: '/api/v1/conversations/', token, payload });

describe('create and read', () => {
  it('creates with or without a client id and reads the timeline back', async () => {
    const plain = await create(alice);
    expect(plain.statusCode).toBe(201);
    expect(plain.json()).toEqual({ status: 'success', id: expect.any(String), title: '', created_at: expect.any(String) });

    const id = randomUUID();
    expect((await create(alice, { conversation_id: id })).json().id).toBe(id);
    expect((await create(alice, { conversation_id: id })).statusCode).toBe(409);
    expect((await create(alice, { conversation_id: 'nope' })).statusCode).toBe(400);

    await engine.engine.storage.conversations.updateTimeline(id, (timeline) => [...timeline, { id: 'u1', type: 'user', content: 'list pods', timestamp: 1 }]);
    const read = await engine.request({ method: 'GET', url: `/api/v1/conversations/${id}`, token: alice });
    expect(read.statusCode).toBe(200);
    expect(read.json()).toMatchObject({ status: 'success', exists: true, id, title: '', messages: [{ id: 'u1', type: 'user', content: 'list pods' }] });
  });

  it('hides other users\' conversations (404), lets an admin read them, and audits that read', async () => {
    const { id } = (await create(alice)).json();
    const asBob = await engine.request({ method: 'GET', url: `/api/v1/conversations/${id}`, token: bob });
    expect(asBob.statusCode).toBe(404);
    expect(asBob.json()).toEqual({ detail: 'Conversation not found', category: 'user', retryable: false });
    expect((await engine.request({ method: 'GET', url: '/api/v1/conversations/not-a-uuid', token: alice })).statusCode).toBe(404);

    const asAdmin = await engine.request({ method: 'GET', url: `/api/v1/conversations/${id}`, token: admin });
    expect(asAdmin.statusCode).toBe(200);
    const audit = await engine.engine.storage.audit.list({ limit: 10, action: 'conversation.admin_read' });
    const adminUser = await engine.engine.storage.users.findByEmail('admin@example.com');
    const owner = await engine.engine.storage.users.findByEmail('alice@example.com');
    expect(audit.find((event) => event.subjectId === id)).toMatchObject({ actorId: adminUser?.id, details: { owner_id: owner?.id } });

    // Reading is all an admin may do with someone else's conversation.
    expect((await engine.request({ method: 'PATCH', url: `/api/v1/conversations/${id}`, token: admin, payload: { title: 'x' } })).statusCode).toBe(404);
    expect((await engine.request({ method: 'DELETE', url: `/api/v1/conversations/${id}`, token: admin })).statusCode).toBe(404);
    expect((await engine.request({ method: 'DELETE', url: `/api/v1/conversations/${id}`, token: bob })).statusCode).toBe(404);
    expect((await engine.request({ method: 'GET', url: `/api/v1/conversations/${id}`, token: alice })).statusCode).toBe(200);
  });
});

describe('update and delete', () => {
  it('patches title, is_active and metadata, refuses messages_json and unknown fields', async () => {
    const { id } = (await create(alice)).json();
    const patched = await engine.request({ method: 'PATCH', url: `/api/v1/conversations/${id}`, token: alice, payload: { title: 'Scale web', is_active: false, conversation_metadata: { pinned: true } } });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ title: 'Scale web', is_active: false, conversation_metadata: { pinned: true } });
    const rewrite = await engine.request({ method: 'PATCH', url: `/api/v1/conversations/${id}`, token: alice, payload: { messages_json: [] } });
    expect(rewrite.statusCode).toBe(400);
    expect(rewrite.json().detail).toMatch(/messages_json cannot be edited/);
    expect((await engine.request({ method: 'PATCH', url: `/api/v1/conversations/${id}`, token: alice, payload: { user_id: 'x' } })).statusCode).toBe(400);
    expect((await engine.request({ method: 'GET', url: `/api/v1/conversations/${id}`, token: alice })).json().title).toBe('Scale web');
  });

  it('lets the owner delete, after which the conversation is gone', async () => {
    const { id } = (await create(alice)).json();
    const deleted = await engine.request({ method: 'DELETE', url: `/api/v1/conversations/${id}`, token: alice });
    expect(deleted.json()).toEqual({ status: 'success', id });
    expect((await engine.request({ method: 'GET', url: `/api/v1/conversations/${id}`, token: alice })).statusCode).toBe(404);
    expect(await engine.engine.storage.conversations.get(id)).toBeUndefined();
  });
});

describe('list', () => {
  it('pages through the caller\'s conversations newest first with next_cursor', async () => {
    const token = await engine.signUp('pager@example.com');
    const created: string[] = [];
    for (let index = 0; index < 12; index += 1) {
      const { id } = (await create(token)).json();
      await engine.request({ method: 'PATCH', url: `/api/v1/conversations/${id}`, token, payload: { title: index % 3 === 0 ? `Rollout nginx #${index}` : `Pods ${index}` } });
      created.push(id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: Record<string, string> = { limit: '5', ...(cursor ? { cursor } : {}) };
      const page = await engine.request({ method: 'GET', url: '/api/v1/conversations', token, query });
      expect(page.statusCode).toBe(200);
      const body = page.json();
      seen.push(...body.data.map((item: { id: string }) => item.id));
      expect(body.pagination.has_more).toBe(body.pagination.next_cursor !== null);
      cursor = body.pagination.next_cursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([...created].reverse());

    const search = await engine.request({ method: 'GET', url: '/api/v1/conversations', token, query: { query: 'ROLLOUT' } });
    expect(search.json().data.map((item: { title: string }) => item.title).sort()).toEqual(['Rollout nginx #0', 'Rollout nginx #3', 'Rollout nginx #6', 'Rollout nginx #9']);
    // Other users' conversations never show up.
    expect((await engine.request({ method: 'GET', url: '/api/v1/conversations', token: bob, query: { query: 'Rollout' } })).json().data).toEqual([]);
  });

  it('answers 400 for a bad limit, a one-letter query or a forged cursor', async () => {
    const queries: Array<Record<string, string>> = [{ limit: '51' }, { limit: 'zero' }, { query: 'a' }, { cursor: 'garbage' }];
    for (const query of queries) {
      const response = await engine.request({ method: 'GET', url: '/api/v1/conversations', token: alice, query });
      expect(response.statusCode, JSON.stringify(query)).toBe(400);
      expect(response.json().detail).toMatch(/limit|query|cursor/);
    }
  });
});
