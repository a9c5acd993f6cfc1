/**
 * Statements rendered once and run with each call's values (storage/rendered-statements.ts, issue 38), on every
 * driver: each call's own values reach the rows (not the first call's), a value bound to a column goes through that
 * column's encoder (a Date, a JSON object), an absent optional JSON value stays SQL NULL (not the JSON value null),
 * and a shape's text is rendered at its first use only.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlatformStorage } from '../../src/platform/ports/index.ts';
import { drizzle } from 'drizzle-orm/pglite';
import type { SkyfloDatabase } from '../../src/adapters/storage/database.ts';
import { param, renderedOnce } from '../../src/adapters/storage/rendered-statements.ts';
import { schema } from '../../src/adapters/storage/schema.ts';
import { createTestPglite } from '../support/test-databases.ts';
import { storageBackends, type StorageBackend } from './harness.ts';

describe.each(Object.keys(storageBackends))('statements rendered once, on %s', (driver) => {
  let backend: StorageBackend;
  let storage: PlatformStorage;
  let owner: string;

  beforeAll(async () => {
    backend = await storageBackends[driver]!();
    storage = backend.storage;
    const created = await storage.users.create({ email: `rendered-${driver.replace(/\W/g, '')}@example.com`, hashedPassword: 'h', allowWhenUsersExist: true });
    if (!created.ok) throw new Error(created.reason);
    owner = created.user.id;
  });
  afterAll(async () => backend?.close());

  const propose = (conversationId: string, callId: string, extra: Partial<Parameters<PlatformStorage['approvals']['request']>[0]> = {}) =>
    storage.approvals.request({
      conversationId,
      callId,
      runId: 'run-1',
      tool: 'k8s_scale',
      args: { resource_name: callId, replicas: 3 },
      argsHash: `hash-${callId}`,
      resolution: [],
      risks: [],
      destructive: false,
      requestedBy: owner,
      ...extra,
    });

  it('keeps an absent cluster, policy and undo as SQL NULL, and stores them as given when present', async () => {
    const { id } = await storage.conversations.create({ userId: owner });
    await propose(id, 'bare');
    await propose(id, 'full', {
      cluster: { name: 'prod', server: 'https://prod.example:6443' },
      policy: { mode: 'four_eyes', source: 'cluster prod' },
      requestedByAlert: 'alertmanager',
      undo: { tool: 'k8s_scale', args: { replicas: 2 }, summary: 'scale back to 2', diff: '-3\n+2', argsHash: 'inverse' },
    });
    const rows = (await backend.query(
      `select call_id, cluster is null as no_cluster, policy is null as no_policy, undo is null as no_undo, cluster, policy, undo from approvals where conversation_id = $1 order by call_id`,
      [id],
    )) as Array<Record<string, unknown>>;
    expect(rows.map((row) => [row['call_id'], row['no_cluster'], row['no_policy'], row['no_undo']])).toEqual([
      ['bare', true, true, true],
      ['full', false, false, false],
    ]);
    expect(rows[1]).toMatchObject({ cluster: { name: 'prod', server: 'https://prod.example:6443' }, policy: { mode: 'four_eyes', source: 'cluster prod', requested_by_alert: 'alertmanager' }, undo: { summary: 'scale back to 2' } });
    expect(await storage.approvals.get(id, 'bare')).not.toHaveProperty('cluster');
    expect(await storage.approvals.get(id, 'full')).toMatchObject({ cluster: { name: 'prod' }, requestedByAlert: 'alertmanager', policy: { mode: 'four_eyes' } });
  });

  it("writes each decision's own values: who, when (a Date through the column's encoder), why, and the run it claimed", async () => {
    const decided: Array<{ conversationId: string; runId: string; at: Date; approve: boolean; reason?: string }> = [
      { conversationId: (await storage.conversations.create({ userId: owner })).id, runId: randomUUID(), at: new Date('2026-11-27T08:00:00.123Z'), approve: true },
      { conversationId: (await storage.conversations.create({ userId: owner })).id, runId: randomUUID(), at: new Date('2026-11-27T09:30:00.456Z'), approve: false, reason: 'not during the freeze' },
    ];
    for (const { conversationId } of decided) await propose(conversationId, 'call-1', { exactArgsSealed: 'sealed' });
    for (const { conversationId, runId, at, approve, reason } of decided) {
      const outcome = await storage.approvals.decideClaimingRun!({
        conversationId,
        callId: 'call-1',
        approve,
        decidedBy: owner,
        ...(reason ? { reason } : {}),
        decisionRunId: runId,
        decidedAt: at,
        audit: { action: approve ? 'tool.approved' : 'tool.denied', actorId: owner, conversationId, tool: 'k8s_scale', details: { call_id: 'call-1' } },
        claim: { leaseMs: 60_000, userId: owner, maxRunningPerUser: 5 },
      });
      expect(outcome).toMatchObject({ claimed: true, decided: { status: approve ? 'approved' : 'denied', decisionRunId: runId, decidedAt: at } });
    }
    for (const { conversationId, runId, at, approve, reason } of decided) {
      const [row] = (await backend.query(
        `select status, decided_by, reason, decision_run_id, decided_at, exact_args_sealed, (select count(*)::int from runs where run_id = $2::uuid and status = 'running') as running from approvals where conversation_id = $1`,
        [conversationId, runId],
      )) as Array<Record<string, unknown>>;
      expect({ ...row, decided_at: new Date(row!['decided_at'] as string).toISOString() }).toEqual({
        status: approve ? 'approved' : 'denied',
        decided_by: owner,
        reason: reason ?? null,
        decision_run_id: runId,
        decided_at: at.toISOString(),
        // a denial drops the sealed exact arguments (its shape sets them NULL); an approval keeps them to run
        exact_args_sealed: approve ? 'sealed' : null,
        running: 1,
      });
      await storage.runs.finish(runId);
    }
    // each decision's audit record, chained, with its own conversation
    const records = await storage.audit.list({ limit: 50, action: 'tool.denied' });
    expect(records.some((record) => record.conversationId === decided[1]!.conversationId)).toBe(true);
  });
});

describe('a statement rendered once', () => {
  it('renders a shape at its first use only, and each call reads its own values', async () => {
    const { lite } = await createTestPglite();
    try {
      const db = drizzle(lite, { schema }) as unknown as SkyfloDatabase;
      const built: string[] = [];
      const statement = renderedOnce<'plain' | 'doubled'>((shape) => {
        built.push(shape);
        return shape === 'plain' ? sql`select ${param('n')}::int as n` : sql`select ${param('n')}::int * 2 as n`;
      });
      const results = [];
      for (const n of [1, 2, 3]) results.push((await statement.rows<{ n: number }>(db, { n }, 'plain'))[0]!.n);
      results.push((await statement.rows<{ n: number }>(db, { n: 5 }, 'doubled'))[0]!.n);
      // inside a transaction: the caller's session, the same text
      results.push(await db.transaction(async (tx) => (await statement.rows<{ n: number }>(tx as unknown as SkyfloDatabase, { n: 7 }, 'plain'))[0]!.n));
      expect(results).toEqual([1, 2, 3, 10, 7]);
      expect(built).toEqual(['plain', 'doubled']);
      // a value left out is refused before anything is sent, naming it
      await expect(statement.rows(db, {}, 'plain')).rejects.toThrow('No value for placeholder "n" was provided');
    } finally {
      await lite.close();
    }
  });
});
