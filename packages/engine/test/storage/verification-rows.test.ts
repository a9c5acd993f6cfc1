/**
 * Issue 21's storage on every adapter (PGlite in memory and in a data dir, Postgres, the in-memory Storage): the
 * before-state and the inverse are kept with the approval after it ran (Undo needs them) and erased with the
 * conversation; a verification's verdict is written once, only over `verifying`; a verification a dead run left
 * `verifying` is claimed by one reconciler; conversations with an un-undone regressed change are marked.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlatformStorage, Storage, VerificationState } from '../../src/platform/ports/index.ts';
import { createInMemoryStorage } from '../../src/testing/in-memory-storage.ts';
import { storageBackends } from './harness.ts';

type Backend = { storage: Storage; platform?: PlatformStorage; close(): Promise<void> };
const backends: Record<string, () => Promise<Backend>> = {
  ...Object.fromEntries(Object.entries(storageBackends).map(([name, open]) => [name, async (): Promise<Backend> => {
    const backend = await open();
    return { storage: backend.storage, platform: backend.storage, close: backend.close };
  }])),
  'in-memory': async () => ({ storage: createInMemoryStorage(), close: async () => undefined }),
};

describe.each(Object.keys(backends))('verify-and-undo storage on %s', (driver) => {
  let backend: Backend;
  let storage: Storage;
  let owner: string;

  beforeAll(async () => {
    backend = await backends[driver]!();
    storage = backend.storage;
    if (backend.platform) {
      const created = await backend.platform.users.create({ email: `owner-${driver.replace(/\W/g, '')}@example.com`, hashedPassword: 'h', allowWhenUsersExist: true });
      if (!created.ok) throw new Error(created.reason);
      owner = created.user.id;
    } else owner = randomUUID();
  });
  afterAll(async () => backend?.close());

  const request = (conversationId: string, callId: string, extra: { undoOf?: string } = {}) =>
    storage.approvals.request({
      conversationId,
      callId,
      runId: 'run-1',
      tool: 'k8s_set_image',
      args: { resource_name: 'web' },
      argsHash: `hash-${callId}`,
      exactArgsSealed: 'sealed-exact',
      resolution: [],
      risks: [],
      destructive: false,
      requestedBy: owner,
      beforeSealed: 'sealed-before',
      undo: { tool: 'k8s_set_image', args: { container_images: 'web=nginx:1.27' }, summary: 'set web back to nginx:1.27', diff: '-a\n+b', argsHash: 'inverse-hash' },
      ...extra,
    });

  /** Takes the call through approve → executing → executed, as the gate does. */
  async function execute(conversationId: string, callId: string, runId: string, autoRevert = false) {
    await storage.approvals.decide({ conversationId, callId, approve: true, decidedBy: owner, autoRevert, decisionRunId: runId });
    expect(await storage.approvals.claimExecution({ conversationId, callId, runId })).toBe(true);
    expect(await storage.approvals.markExecuted({ conversationId, callId, ok: true, resultSummary: 'ok' })).toBe(true);
  }

  const state = (outcome: VerificationState['outcome'], summary: string = outcome): VerificationState => ({ outcome, summary, evidence: [{ read: 'pods', text: 'ImagePullBackOff' }], startedAt: 1, deadline: Date.now() + 60_000, ...(outcome === 'verifying' ? {} : { finishedAt: 2 }) });

  it('keeps the before-state and the inverse after execution (not the exact args), with the auto-revert choice', async () => {
    const { id } = await storage.conversations.create({ userId: owner });
    await request(id, 'call-a');
    await execute(id, 'call-a', randomUUID(), true);
    const row = await storage.approvals.get(id, 'call-a');
    expect(row).toMatchObject({ status: 'executed', beforeSealed: 'sealed-before', autoRevert: true, undo: { tool: 'k8s_set_image', summary: 'set web back to nginx:1.27', argsHash: 'inverse-hash' } });
    expect(row!.exactArgsSealed).toBeUndefined();
    expect(await storage.approvals.recordBaseline({ conversationId: id, callId: 'call-a', beforeSealed: 'sealed-again' })).toBe(true);
    expect((await storage.approvals.get(id, 'call-a'))!.beforeSealed).toBe('sealed-again');
  });

  it('writes a verdict only over verifying, once', async () => {
    const { id } = await storage.conversations.create({ userId: owner });
    await request(id, 'call-v');
    await execute(id, 'call-v', randomUUID());
    expect(await storage.approvals.saveVerification({ conversationId: id, callId: 'call-v', verification: state('regressed') })).toBe(false);
    expect(await storage.approvals.saveVerification({ conversationId: id, callId: 'call-v', verification: state('verifying') })).toBe(true);
    expect(await storage.approvals.saveVerification({ conversationId: id, callId: 'call-v', verification: state('regressed', 'web cannot pull') })).toBe(true);
    expect(await storage.approvals.saveVerification({ conversationId: id, callId: 'call-v', verification: state('timed_out') })).toBe(false);
    expect((await storage.approvals.get(id, 'call-v'))!.verification).toMatchObject({ outcome: 'regressed', summary: 'web cannot pull', evidence: [{ read: 'pods', text: 'ImagePullBackOff' }] });
  });

  it('hands a verification left verifying by a finished run to one reconciler, not to a live run', async () => {
    const { id } = await storage.conversations.create({ userId: owner });
    const runId = randomUUID();
    expect((await storage.runs.begin({ runId, conversationId: id, leaseMs: 60_000, userId: owner, maxRunningPerUser: 10 })).ok).toBe(true);
    await request(id, 'call-r');
    await execute(id, 'call-r', runId);
    await storage.approvals.saveVerification({ conversationId: id, callId: 'call-r', verification: state('verifying') });
    // the run is alive: nobody else takes its verification
    expect((await storage.approvals.claimStaleVerifications({ leaseMs: 60_000 })).map((row) => row.callId)).not.toContain('call-r');
    await storage.runs.finish(runId);
    const claimed = await storage.approvals.claimStaleVerifications({ leaseMs: 60_000 });
    expect(claimed.filter((row) => row.callId === 'call-r')).toHaveLength(1);
    expect(claimed.find((row) => row.callId === 'call-r')!.verification).toMatchObject({ outcome: 'verifying' });
    expect((await storage.approvals.claimStaleVerifications({ leaseMs: 60_000 })).map((row) => row.callId)).not.toContain('call-r');
  });

  it('marks a conversation regressed until an undo of the change executed', async () => {
    const { id } = await storage.conversations.create({ userId: owner });
    const { id: other } = await storage.conversations.create({ userId: owner });
    await request(id, 'call-x');
    await execute(id, 'call-x', randomUUID());
    await storage.approvals.saveVerification({ conversationId: id, callId: 'call-x', verification: state('verifying') });
    await storage.approvals.saveVerification({ conversationId: id, callId: 'call-x', verification: state('regressed') });
    expect([...(await storage.approvals.regressedConversations([id, other]))]).toEqual([id]);
    await request(id, 'undo-1', { undoOf: 'call-x' });
    expect((await storage.approvals.get(id, 'undo-1'))!.undoOf).toBe('call-x');
    expect([...(await storage.approvals.regressedConversations([id]))]).toEqual([id]);
    await execute(id, 'undo-1', randomUUID());
    expect([...(await storage.approvals.regressedConversations([id]))]).toEqual([]);
  });

  it('erases the sealed before-state with the conversation', async () => {
    const { id } = await storage.conversations.create({ userId: owner });
    await request(id, 'call-d');
    await execute(id, 'call-d', randomUUID());
    await storage.conversations.delete(id);
    const row = await storage.approvals.get(id, 'call-d');
    // the row stays as the audit record; the before-state (a manifest, maybe a Secret) does not
    expect(row?.beforeSealed).toBeUndefined();
  });
});
