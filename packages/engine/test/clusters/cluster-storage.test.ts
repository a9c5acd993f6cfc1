/**
 * Issue 22's stored facts on every storage adapter (PGlite in memory and in a data dir — migration 0010 from the
 * template —, Postgres, and the in-memory Storage): a conversation's cluster (pinned once, listed in summaries), an
 * approval's cluster, namespace and policy, and a member's scope (the SQL adapters, which have users).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlatformStorage, Storage } from '../../src/platform/ports/index.ts';
import { createInMemoryStorage } from '../../src/testing/in-memory-storage.ts';
import { storageBackends } from '../storage/harness.ts';

const backends: Record<string, () => Promise<{ storage: Storage; platform?: PlatformStorage; close(): Promise<void> }>> = {
  ...Object.fromEntries(
    Object.entries(storageBackends).map(([name, open]) => [
      name,
      async () => {
        const backend = await open();
        return { storage: backend.storage, platform: backend.storage, close: backend.close };
      },
    ]),
  ),
  'in-memory': async () => ({ storage: createInMemoryStorage(), close: async () => undefined }),
};

describe.each(Object.keys(backends))('clusters in storage on %s', (driver) => {
  let backend: Awaited<ReturnType<(typeof backends)[string]>>;
  let userId: string;

  beforeAll(async () => {
    backend = await backends[driver]!();
    if (backend.platform) {
      const created = await backend.platform.users.create({ email: `c-${randomUUID()}@example.com`, hashedPassword: 'h', allowWhenUsersExist: true });
      if (!created.ok) throw new Error(created.reason);
      userId = created.user.id;
    } else userId = randomUUID();
  });

  afterAll(async () => {
    await backend?.close();
  });

  it('keeps the cluster a conversation is pinned to, lists it, and never re-pins it', async () => {
    const pinned = await backend.storage.conversations.create({ userId, cluster: 'beta' });
    const unpinned = await backend.storage.conversations.create({ userId });
    expect((await backend.storage.conversations.get(pinned.id))?.cluster).toBe('beta');
    expect((await backend.storage.conversations.get(unpinned.id))?.cluster).toBeUndefined();
    // the first chat of a conversation made without a cluster pins it; a later update never moves a pinned one
    expect((await backend.storage.conversations.update(unpinned.id, { cluster: 'alpha' }))?.cluster).toBe('alpha');
    expect((await backend.storage.conversations.update(pinned.id, { cluster: 'alpha' }))?.cluster).toBe('beta');
    const listed = await backend.storage.conversations.list({ userId, limit: 10 });
    expect(Object.fromEntries(listed.items.map((item) => [item.id, item.cluster]))).toEqual({ [pinned.id]: 'beta', [unpinned.id]: 'alpha' });
  });

  it('keeps the cluster, namespace and policy an approval was bound to', async () => {
    const conversation = await backend.storage.conversations.create({ userId });
    await backend.storage.approvals.request({
      conversationId: conversation.id,
      callId: 'call_1',
      runId: 'run_1',
      tool: 'k8s_scale',
      args: { name: 'web', context: 'beta' },
      argsHash: 'h',
      resolution: [],
      risks: [],
      destructive: false,
      cluster: { name: 'beta', server: 'https://beta.example:6443', label: 'prod' },
      namespace: 'shop',
      policy: { mode: 'four_eyes', source: 'cluster policy beta' },
    });
    expect(await backend.storage.approvals.get(conversation.id, 'call_1')).toMatchObject({
      cluster: { name: 'beta', server: 'https://beta.example:6443', label: 'prod' },
      namespace: 'shop',
      policy: { mode: 'four_eyes', source: 'cluster policy beta' },
    });
  });

  it('keeps and clears a member scope (SQL adapters: the users table)', async () => {
    if (!backend.platform) return expect(driver).toBe('in-memory');
    const users = backend.platform.users;
    expect((await users.setScope(userId, { clusters: ['alpha'], namespaces: ['shop', 'pay-*'] }))?.scope).toEqual({ clusters: ['alpha'], namespaces: ['shop', 'pay-*'] });
    expect((await users.findById(userId))?.scope).toEqual({ clusters: ['alpha'], namespaces: ['shop', 'pay-*'] });
    expect((await users.list()).find((user) => user.id === userId)?.scope).toEqual({ clusters: ['alpha'], namespaces: ['shop', 'pay-*'] });
    expect((await users.setScope(userId, undefined))?.scope).toBeUndefined();
    expect(await users.setScope(randomUUID(), { clusters: ['alpha'] })).toBeUndefined();
  });
});
