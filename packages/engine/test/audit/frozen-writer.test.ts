/**
 * Issue 32.2: one frozen replica must not stall the others. On real Postgres, two engine storages on one database
 * (two replicas): the first holds a transaction open that has appended to the audit chain and then waits on
 * something that is not the database (as a process stopped with SIGSTOP between its statements would), so it holds
 * the chain's head row. The session limit cuts it off (idle_in_transaction_session_timeout, set short here), its
 * transaction and its record are gone, and the second replica's append and decision go through.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { PlatformStorage } from '../../src/platform/ports/index.ts';
import { createPostgresStorage } from '../../src/adapters/storage/postgres/postgres-storage.ts';
import { testAuditSigningKey } from '../storage/harness.ts';
import { createTestPostgresDatabase, type TestPostgresDatabase } from '../support/test-databases.ts';

let database: TestPostgresDatabase;
let frozen: PlatformStorage;
let healthy: PlatformStorage;

beforeAll(async () => {
  database = await createTestPostgresDatabase();
  const timeouts = { idleInTransactionMs: 300 };
  frozen = await createPostgresStorage({ url: database.url, auditSigningKey: testAuditSigningKey, timeouts, poolSize: 2 });
  healthy = await createPostgresStorage({ url: database.url, auditSigningKey: testAuditSigningKey, timeouts, poolSize: 2 });
}, 60_000);

afterAll(async () => {
  await frozen?.close().catch(() => undefined);
  await healthy?.close();
  await database?.drop();
});

describe('a replica frozen inside a transaction', () => {
  it('is cut off by the idle-in-transaction limit, and the other replica appends and decides', async () => {
    const user = await healthy.users.create({ email: `owner-${randomUUID()}@example.test`, hashedPassword: 'h', allowWhenUsersExist: true });
    if (!user.ok) throw new Error('user not created');
    const conversation = await healthy.conversations.create({ userId: user.user.id });
    await healthy.approvals.request({ conversationId: conversation.id, callId: 'call_scale', runId: 'run-1', tool: 'k8s_scale', args: {}, argsHash: 'h', resolution: [], risks: [], destructive: false, requestedBy: user.user.id });

    // The frozen replica: its record is appended (head row locked), then it waits on something outside the database.
    let thaw!: () => void;
    const thawed = new Promise<void>((resolve) => (thaw = resolve));
    let appended!: () => void;
    const holding = new Promise<void>((resolve) => (appended = resolve));
    const frozenWork = frozen.atomically(async (tx) => {
      await tx.audit.record({ action: 'test.frozen_writer', details: {} });
      appended();
      await thawed;
    });
    frozenWork.catch(() => undefined); // awaited below
    await holding;
    const [{ held }] = (await database.query("SELECT count(*)::int AS held FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle in transaction'")) as Array<{ held: number }>;
    expect(held).toBe(1);

    // The healthy replica's append and its decision (with its record) wait for the head row, then go through.
    await healthy.audit.record({ action: 'test.healthy_writer', details: {} });
    const decided = await healthy.approvals.decide({
      conversationId: conversation.id,
      callId: 'call_scale',
      approve: true,
      decidedBy: user.user.id,
      decisionRunId: randomUUID(),
      audit: { actorId: user.user.id, action: 'approval.approved', subjectType: 'tool_call', subjectId: 'call_scale', details: {} },
    });
    expect(decided?.status).toBe('approved');

    // The frozen replica's transaction is gone: no session idles in a transaction, its record never committed, and
    // when it wakes up its commit fails instead of landing late.
    await vi.waitFor(async () => {
      const [{ idle }] = (await database.query("SELECT count(*)::int AS idle FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle in transaction'")) as Array<{ idle: number }>;
      expect(idle).toBe(0);
    });
    thaw();
    await expect(frozenWork).rejects.toThrow();
    const actions = ((await database.query("SELECT action FROM audit_events WHERE action LIKE 'test.%' OR action LIKE 'approval.%' ORDER BY sequence")) as Array<{ action: string }>).map((row) => row.action);
    expect(actions).toEqual(['test.healthy_writer', 'approval.approved']);
    expect(await healthy.audit.verify()).toMatchObject({ ok: true, unsignedCount: 0 });
  });
});
