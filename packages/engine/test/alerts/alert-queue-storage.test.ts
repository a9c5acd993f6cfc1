/**
 * The alert investigation queue (alert_queue, migration 0012) on every SQL adapter: PGlite in memory and in a data
 * dir, and Postgres with a second Storage standing in for another engine. Jobs come out oldest first, each to one
 * claimant; the limit holds also when both engines enqueue at once; deleting a conversation takes its queued jobs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlatformStorage } from '../../src/platform/ports/index.ts';
import { storageBackends, type StorageBackend } from '../storage/harness.ts';

describe.each(Object.keys(storageBackends))('alert queue on %s', (driver) => {
  let backend: StorageBackend;
  let storage: PlatformStorage;
  /** another engine process where there is one (Postgres); the same Storage otherwise */
  let other: PlatformStorage;
  let userId: string;
  let conversationId: string;
  const job = (title: string) => ({ userId, conversationId, title, message: `An alert fired: ${title}` });

  beforeAll(async () => {
    backend = await storageBackends[driver]!();
    storage = backend.storage;
    other = backend.secondProcess ?? storage;
    const created = await storage.users.create({ email: 'owner@example.com', hashedPassword: 'h', allowWhenUsersExist: true });
    if (!created.ok) throw new Error(created.reason);
    userId = created.user.id;
    conversationId = (await storage.conversations.create({ userId, title: 'Alert: disk' })).id;
  });

  afterAll(async () => {
    await backend?.close();
  });

  it('queues up to the limit, answers each position, and hands jobs out oldest first', async () => {
    expect(await storage.alertQueue.enqueue(job('a'), 2)).toEqual({ id: expect.any(Number), position: 0 });
    expect(await storage.alertQueue.enqueue(job('b'), 2)).toEqual({ id: expect.any(Number), position: 1 });
    expect(await storage.alertQueue.enqueue(job('c'), 2)).toBeUndefined();
    expect(await storage.alertQueue.size()).toBe(2);
    expect(await other.alertQueue.claim()).toMatchObject({ userId, conversationId, title: 'a', message: 'An alert fired: a' });
    expect(await storage.alertQueue.claim()).toMatchObject({ title: 'b' });
    expect(await storage.alertQueue.claim()).toBeUndefined();
    expect(await storage.alertQueue.size()).toBe(0);
  });

  it('keeps the limit when two engines enqueue at once, and gives each job to one claimant', async () => {
    const attempts = await Promise.all(Array.from({ length: 12 }, (_, index) => (index % 2 ? other : storage).alertQueue.enqueue(job(`burst-${index}`), 5)));
    expect(attempts.filter(Boolean).map((queued) => queued!.position).sort()).toEqual([0, 1, 2, 3, 4]);
    const claims = await Promise.all(Array.from({ length: 8 }, (_, index) => (index % 2 ? other : storage).alertQueue.claim()));
    const claimed = claims.filter(Boolean).map((claim) => claim!.id);
    expect(claimed).toHaveLength(5);
    expect(new Set(claimed).size).toBe(5);
    expect(await storage.alertQueue.size()).toBe(0);
  });

  it('drops the queued jobs of a deleted conversation', async () => {
    expect(await storage.alertQueue.enqueue(job('gone'), 5)).toBeDefined();
    await storage.conversations.delete(conversationId);
    expect(await storage.alertQueue.size()).toBe(0);
    expect(await storage.alertQueue.claim()).toBeUndefined();
  });
});
