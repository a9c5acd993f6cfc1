/** Closing and reopening a PGlite data dir keeps users, conversations, approvals and checkpoints. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createPgliteStorage } from '../../src/adapters/storage/pglite/pglite-storage.ts';

describe('PGlite restart', () => {
  it('reopens the data dir with everything still there and migrations not re-applied destructively', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'skyflo-restart-'));
    const first = await createPgliteStorage({ dataDir });
    const created = await first.users.create({ email: 'ops@example.com', hashedPassword: 'h', allowWhenUsersExist: false });
    if (!created.ok) throw new Error('user');
    const conversation = await first.conversations.create({ userId: created.user.id, title: 'Before restart' });
    await first.conversations.updateTimeline(conversation.id, () => [{ id: 'u1', type: 'user', content: 'scale web', timestamp: 1 }]);
    await first.approvals.request({ conversationId: conversation.id, callId: 'c1', runId: 'r1', tool: 'k8s_scale', args: { replicas: 3 }, argsHash: 'h1', resolution: [], risks: [], destructive: false });
    await (await first.checkpointer()).put(
      { configurable: { thread_id: conversation.id, checkpoint_ns: '' } },
      { v: 4, id: '1ef00000-0000-6000-8000-000000000001', ts: new Date().toISOString(), channel_values: {}, channel_versions: {}, versions_seen: {} },
      { source: 'input', step: -1, parents: {} },
      {},
    );
    await first.close();

    const second = await createPgliteStorage({ dataDir });
    try {
      expect(await second.users.findByEmail('ops@example.com')).toMatchObject({ role: 'admin' });
      expect(await second.conversations.get(conversation.id)).toMatchObject({ title: 'Before restart', timeline: [{ id: 'u1', content: 'scale web' }] });
      expect(await second.approvals.get(conversation.id, 'c1')).toMatchObject({ status: 'awaiting', tool: 'k8s_scale' });
      const checkpoint = await (await second.checkpointer()).getTuple({ configurable: { thread_id: conversation.id, checkpoint_ns: '' } });
      expect(checkpoint?.checkpoint.id).toBe('1ef00000-0000-6000-8000-000000000001');
    } finally {
      await second.close();
    }
  });
});
