/**
 * Issue 19 item 13, the parts a kill -9 on one PGlite process does not show: on Postgres (several processes) a call
 * is closed only once its run's lease has lapsed, and then also when that happens after this process started; a
 * cluster that cannot be read is said so; on a data dir's PGlite every run left running at start is dead; the cards a
 * killed run left under way show what the database recorded.
 */
import { randomUUID } from 'node:crypto';
import type { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentEvent } from '@skyflo/protocol';
import { reconcileOrphanedApprovals } from '../../src/domain/tool-calls/execute/reconcile-orphaned-approvals.ts';
import { interruptedCallText } from '../../src/domain/tool-calls/execute/settle-dead-run-cards.ts';
import { appendUserEntry, applyEventToTimeline } from '../../src/domain/timeline/apply-event.ts';
import type { PlatformStorage } from '../../src/platform/ports/index.ts';
import { createPgliteStorage } from '../../src/adapters/storage/pglite/pglite-storage.ts';
import { createPostgresStorage } from '../../src/adapters/storage/postgres/postgres-storage.ts';
import { createTestPglite, createTestPostgresDatabase, type TestPostgresDatabase } from '../support/test-databases.ts';

let database: TestPostgresDatabase;
let postgres: PlatformStorage;
let lite: PGlite;
let pglite: PlatformStorage;

beforeAll(async () => {
  database = await createTestPostgresDatabase();
  postgres = await createPostgresStorage({ url: database.url, poolSize: 3 });
  ({ lite } = await createTestPglite());
  pglite = await createPgliteStorage({ lite });
}, 60_000);

afterAll(async () => {
  await postgres?.close();
  await database?.drop();
  await pglite?.close();
  await lite?.close();
});

/** A conversation whose call `call_scale` was approved and claimed by a running run (lease one minute). */
async function executingCall(storage: PlatformStorage): Promise<{ conversationId: string; runId: string }> {
  const user = await storage.users.create({ email: `${randomUUID()}@example.test`, hashedPassword: 'x', allowWhenUsersExist: true });
  if (!user.ok) throw new Error(user.reason);
  const { id: conversationId } = await storage.conversations.create({ userId: user.user.id });
  const runId = randomUUID();
  await storage.approvals.request({ conversationId, callId: 'call_scale', runId: randomUUID(), tool: 'k8s_scale', args: { name: 'web', resource_type: 'deployment', namespace: 'default', replicas: 6 }, argsHash: 'h', resolution: [], risks: [], destructive: false });
  expect(await storage.runs.begin({ runId, conversationId, leaseMs: 60_000 })).toEqual({ ok: true });
  await storage.approvals.decide({ conversationId, callId: 'call_scale', approve: true, decidedBy: user.user.id, decisionRunId: runId });
  expect(await storage.approvals.claimExecution({ conversationId, callId: 'call_scale', runId })).toBe(true);
  return { conversationId, runId };
}

async function toolRecord(storage: PlatformStorage, conversationId: string) {
  const conversation = await storage.conversations.get(conversationId);
  for (const entry of conversation?.timeline ?? []) {
    if (entry.type !== 'assistant') continue;
    for (const segment of entry.segments) if (segment.kind === 'tool' && segment.id === 'call_scale') return segment.toolExecution;
  }
  return undefined;
}

describe('Postgres: leases decide', () => {
  it('leaves a call whose run another process still renews; closes it once the lease lapsed, saying the cluster could not be read', async () => {
    const { conversationId, runId } = await executingCall(postgres);
    const forbidden = { callTool: async () => ({ isError: true, text: 'Error from server (Forbidden): deployments.apps "web" is forbidden\nmore' }) };

    // A start (or a periodic pass) while the other process's run is alive changes nothing.
    expect(await reconcileOrphanedApprovals({ storage: postgres, tools: forbidden })).toBe(0);
    expect(await postgres.approvals.get(conversationId, 'call_scale')).toMatchObject({ status: 'executing' });
    expect(await postgres.runs.get(runId)).toMatchObject({ status: 'running' });

    // That process dies: its lease lapses (set in the past here, as the database clock would see it later).
    await database.query(`UPDATE runs SET lease_until = now() - interval '1 second' WHERE run_id = $1`, [runId]);
    let notes: Promise<void> | undefined;
    expect(await reconcileOrphanedApprovals({ storage: postgres, tools: forbidden, onClusterNotes: (done) => (notes = done) })).toBe(1);
    expect(await postgres.runs.get(runId)).toMatchObject({ status: 'finished' });
    expect(await toolRecord(postgres, conversationId)).toMatchObject({ status: 'error', error_code: 'UNKNOWN_OUTCOME', error: expect.stringMatching(/^Outcome unknown/) });
    await notes;
    const row = await postgres.approvals.get(conversationId, 'call_scale');
    expect(row).toMatchObject({ status: 'unknown' });
    expect(row!.resultSummary).toMatch(/The cluster now: could not read deployment\/web in default \(Error from server \(Forbidden\): deployments\.apps "web" is forbidden\)\.$/);
    expect(await toolRecord(postgres, conversationId)).toMatchObject({ status: 'error', error_code: 'UNKNOWN_OUTCOME', error: row!.resultSummary });
  });
});

describe('data-dir PGlite: every run left running at start is dead', () => {
  it('closes the executing call of a run whose lease is still live, and ends that run', async () => {
    const { conversationId, runId } = await executingCall(pglite);
    expect(await reconcileOrphanedApprovals({ storage: pglite })).toBe(0);
    expect(await reconcileOrphanedApprovals({ storage: pglite, everyRunIsDead: true })).toBe(1);
    expect(await pglite.approvals.get(conversationId, 'call_scale')).toMatchObject({ status: 'unknown' });
    expect(await pglite.runs.get(runId)).toMatchObject({ status: 'finished' });
    expect(await toolRecord(pglite, conversationId)).toMatchObject({ status: 'error', error_code: 'UNKNOWN_OUTCOME' });
  });
});

describe('cards a killed run left under way', () => {
  it("a call that ran shows its recorded result, a read shows it was cut short, and other conversations are not written", async () => {
    // The run was killed right after the change ran (markExecuted committed) and before its queued timeline writes
    // landed: the stored cards still say executing, for the change and for a read the model had asked for alongside.
    const { conversationId, runId } = await executingCall(postgres);
    expect(await postgres.approvals.markExecuted({ conversationId, callId: 'call_scale', ok: true, resultSummary: 'deployment.apps/web scaled' })).toBe(true);
    const executing = (callId: string, tool: string): AgentEvent => ({ type: 'tool.executing', call_id: callId, tool, title: tool, args: { name: 'web' }, conversation_id: conversationId, run_id: runId, timestamp: 1 }) as AgentEvent;
    await postgres.conversations.updateTimeline(conversationId, (timeline) =>
      [executing('call_scale', 'k8s_scale'), executing('call_read', 'k8s_get')].reduce(applyEventToTimeline, appendUserEntry(timeline, { id: 'u1', content: 'scale web to 6', timestamp: 0 })),
    );
    // a quiet conversation of the same user, with a call that finished long ago
    const quiet = await executingCall(postgres);
    expect(await postgres.approvals.markExecuted({ conversationId: quiet.conversationId, callId: 'call_scale', ok: true, resultSummary: 'scaled' })).toBe(true);
    await postgres.runs.finish(quiet.runId);
    const quietBefore = await postgres.conversations.get(quiet.conversationId);

    await database.query(`UPDATE runs SET lease_until = now() - interval '1 second' WHERE run_id = $1`, [runId]);
    // nothing was left approved or executing: no decision is closed, but the cards are settled
    expect(await reconcileOrphanedApprovals({ storage: postgres })).toBe(0);
    const cards = (await postgres.conversations.get(conversationId))!.timeline.flatMap((entry) => (entry.type === 'assistant' ? entry.segments : []));
    expect(cards.map((segment) => (segment.kind === 'tool' ? [segment.id, segment.toolExecution.status] : segment.kind))).toEqual([
      ['call_scale', 'completed'],
      ['call_read', 'error'],
    ]);
    expect(cards[0]).toMatchObject({ toolExecution: { result: [{ type: 'text', text: 'deployment.apps/web scaled' }] } });
    expect(cards[1]).toMatchObject({ toolExecution: { error_code: 'INTERRUPTED', error: interruptedCallText } });
    expect((await postgres.conversations.get(quiet.conversationId))!.updatedAt).toEqual(quietBefore!.updatedAt);
    // settled once: a second pass has no dead run to look at
    const settled = await postgres.conversations.get(conversationId);
    await reconcileOrphanedApprovals({ storage: postgres });
    expect((await postgres.conversations.get(conversationId))!.updatedAt).toEqual(settled!.updatedAt);
  });
});
