/**
 * One conformance suite for the AgentStorage port, run against every adapter: PGlite (in memory and in a data dir), a fresh
 * Postgres database, and the in-memory AgentStorage the agent tests use (src/testing/in-memory-storage.ts). Same
 * expectations for all, and no test is skipped on any of them. The platform's own stores (users, refresh tokens,
 * audit) are not part of the AgentStorage port the agent runs on, and the in-memory AgentStorage has none: their suites are
 * declared only for the SQL adapters, the only ones that have them (not declared and skipped elsewhere; and on the
 * same database as the port's suite, so no adapter is opened twice). The checks that read the SQL rows behind the
 * port do so where there are rows to read.
 *
 * Nothing here sleeps a fixed time: where a test needs time to pass (a lease to lapse, the clock to move past a
 * timestamp), it waits for exactly that with vi.waitFor.
 */
import { randomUUID } from 'node:crypto';
// the Node entry, unlike the engine's (graph/build-graph.ts): interrupt() reads its config from AsyncLocalStorage
import { Annotation, Command, END, interrupt, START, StateGraph } from '@langchain/langgraph';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConversationIdTakenError } from '../../src/platform/ports/conversation-id-taken-error.ts';
import type { TimelineEntry } from '../../src/platform/ports/index.ts';
import type { AgentStorage, EngineStorage } from '../../src/app/graph/checkpoints.ts';
import { createInMemoryStorage } from '../../src/testing/in-memory-storage.ts';
import { storageBackends, type StorageBackend } from './harness.ts';

/** A backend of the suite: the SQL ones are whole PlatformStorages with raw SQL; the in-memory one is the AgentStorage port. */
type ConformanceBackend = Omit<StorageBackend, 'storage' | 'query'> & { storage: AgentStorage; platform?: EngineStorage; query?: StorageBackend['query'] };

const sqlBackends = new Set(Object.keys(storageBackends));

const backends: Record<string, () => Promise<ConformanceBackend>> = {
  ...Object.fromEntries(
    Object.entries(storageBackends).map(([name, open]) => [name, async (): Promise<ConformanceBackend> => {
      const backend = await open();
      return { ...backend, platform: backend.storage };
    }]),
  ),
  'in-memory': async () => ({ storage: createInMemoryStorage(), close: async () => undefined }),
};

const userEntry = (id: string, content: string): TimelineEntry => ({ id, type: 'user', content, timestamp: Date.now() });

describe.each(Object.keys(backends))('Storage conformance on %s', (driver) => {
  let backend: ConformanceBackend;
  let storage: AgentStorage;
  /** the platform's stores (users, refresh tokens, audit); SQL adapters only */
  let platform: EngineStorage;
  let alice: string;
  let bob: string;

  /** A user to own conversations: a real row where there is a users table, an id otherwise. */
  const newUser = async (email: string, allowWhenUsersExist = true): Promise<string> => {
    if (!backend.platform) return randomUUID();
    const created = await backend.platform.users.create({ email, hashedPassword: 'h', allowWhenUsersExist });
    if (!created.ok) throw new Error(`could not create ${email}: ${created.reason}`);
    return created.user.id;
  };

  beforeAll(async () => {
    backend = await backends[driver]!();
    storage = backend.storage;
    if (backend.platform) platform = backend.platform;
    alice = await newUser('Alice@Example.com', false);
    bob = await newUser('bob@example.com');
  });

  afterAll(async () => {
    await backend?.close();
  });

  // Only where the platform's stores exist (the SQL adapters): the in-memory AgentStorage is the agent's port alone.
  if (sqlBackends.has(driver)) {
    describe('users', () => {
      it('made the first user admin and later users members, and refuses new users when registration is closed', async () => {
        const first = await platform.users.findById(alice);
        const second = await platform.users.findById(bob);
        expect(first).toMatchObject({ email: 'alice@example.com', role: 'admin', isSuperuser: true, isVerified: true });
        expect(second).toMatchObject({ role: 'member', isSuperuser: false });
        const closed = await platform.users.create({ email: 'carol@example.com', hashedPassword: 'h', allowWhenUsersExist: false });
        expect(closed).toEqual({ ok: false, reason: 'registration_closed' });
        const duplicate = await platform.users.create({ email: 'ALICE@example.com', hashedPassword: 'h', allowWhenUsersExist: true });
        expect(duplicate).toEqual({ ok: false, reason: 'email_taken' });
        expect(await platform.users.findByEmail('BOB@EXAMPLE.COM')).toMatchObject({ id: bob });
      });

      it('updates profile fields and refuses an email that belongs to someone else', async () => {
        expect(await platform.users.updateProfile(bob, { email: 'alice@example.com' })).toEqual({ ok: false, reason: 'email_taken' });
        const updated = await platform.users.updateProfile(bob, { fullName: 'Bob B' });
        expect(updated).toMatchObject({ ok: true, user: { fullName: 'Bob B', role: 'member' } });
      });
    });

    describe('refresh tokens and audit', () => {
      it('rotates a token once and revokes a whole family', async () => {
        const familyId = randomUUID();
        const expiresAt = new Date(Date.now() + 60_000);
        const token = await platform.refreshTokens.insert({ tokenHash: `hash-${driver}-1`, userId: alice, familyId, expiresAt });
        await platform.refreshTokens.insert({ tokenHash: `hash-${driver}-2`, userId: alice, familyId, expiresAt });
        const rotations = await Promise.all([platform.refreshTokens.markRotated(token.id), platform.refreshTokens.markRotated(token.id)]);
        expect(rotations.filter(Boolean)).toHaveLength(1);
        expect((await platform.refreshTokens.findByHash(`hash-${driver}-1`))?.rotatedAt).toBeInstanceOf(Date);
        expect(await platform.refreshTokens.revokeFamily(familyId)).toBe(2);
        expect((await platform.refreshTokens.findByHash(`hash-${driver}-2`))?.revokedAt).toBeInstanceOf(Date);
      });

      it('records and lists audit events, newest first', async () => {
        await platform.audit.record({ actorId: alice, action: 'test.first', details: { n: 1 } });
        await platform.audit.record({ actorId: alice, action: 'test.second', subjectType: 'conversation', subjectId: 'x', details: {}, ip: '127.0.0.1' });
        const events = await platform.audit.list({ limit: 10, actorId: alice });
        expect(events.map((event) => event.action).slice(0, 2)).toEqual(['test.second', 'test.first']);
        expect(events[0]).toMatchObject({ subjectType: 'conversation', ip: '127.0.0.1' });
      });
    });

    /** Makes the database refuse audit records of `action` (a trigger, as a full disk or a lost lock would fail the insert). */
    const refuseAuditOf = async (action: string) => {
      await backend.query!(`CREATE OR REPLACE FUNCTION test_refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit insert refused for %', NEW.action; END; $$`);
      await backend.query!(`CREATE TRIGGER test_refuse_audit BEFORE INSERT ON audit_events FOR EACH ROW WHEN (NEW.action = '${action}') EXECUTE FUNCTION test_refuse_audit()`);
    };
    /** Drizzle reports the database's error as the cause of its own. */
    const refusedByTheAuditTrigger = (error: unknown) => /audit insert refused/.test(`${(error as Error).message} ${((error as Error).cause as Error | undefined)?.message ?? ''}`);
    const allowAudit = () => backend.query!('DROP TRIGGER IF EXISTS test_refuse_audit ON audit_events');
    /** `attempt` while audit records of `action` are refused: it must fail with the database's refusal. */
    const refusedWhileAuditFails = async (action: string, attempt: () => Promise<unknown>) => {
      await refuseAuditOf(action);
      try {
        await expect(attempt()).rejects.toSatisfy(refusedByTheAuditTrigger);
      } finally {
        await allowAudit();
      }
    };

    describe('a decision and an execution start commit with their audit record, or not at all (issue 32.3)', () => {
      const recordsOf = async (callId: string) => (await backend.query!('SELECT action, actor_id FROM audit_events WHERE subject_id = $1 ORDER BY sequence', [callId])) as Array<{ action: string; actor_id: string }>;
      const awaiting = (conversationId: string, callId: string) =>
        storage.approvals.request({ conversationId, callId, runId: 'run-1', tool: 'k8s_scale', args: { replicas: 3 }, argsHash: 'abc', resolution: [], risks: [], destructive: false, requestedBy: alice });
      const audit = (action: string, callId: string, conversationId: string) => ({ actorId: alice, action, subjectType: 'tool_call', subjectId: callId, conversationId, tool: 'k8s_scale', details: { call_id: callId } });

      it('a decision whose audit record cannot be written is not made; once it can, decision and record land together', async () => {
        const conversationId = randomUUID();
        const callId = `call-${randomUUID()}`;
        await awaiting(conversationId, callId);
        await refuseAuditOf('approval.approved');
        try {
          await expect(storage.approvals.decide({ conversationId, callId, approve: true, decidedBy: alice, decisionRunId: randomUUID(), audit: audit('approval.approved', callId, conversationId) })).rejects.toSatisfy(refusedByTheAuditTrigger);
        } finally {
          await allowAudit();
        }
        // Still waiting, and no record: the decision did not happen.
        expect((await storage.approvals.get(conversationId, callId))?.status).toBe('awaiting');
        expect(await recordsOf(callId)).toEqual([]);
        const decided = await storage.approvals.decide({ conversationId, callId, approve: true, decidedBy: alice, decisionRunId: randomUUID(), audit: audit('approval.approved', callId, conversationId) });
        expect(decided).toMatchObject({ status: 'approved', decidedBy: alice, tool: 'k8s_scale', argsHash: 'abc', risks: [], automatic: false });
        expect(decided?.decidedAt).toBeInstanceOf(Date);
        expect(await recordsOf(callId)).toEqual([{ action: 'approval.approved', actor_id: alice }]);
        // A second decision changes nothing and writes no record.
        expect(await storage.approvals.decide({ conversationId, callId, approve: false, decidedBy: bob, decisionRunId: randomUUID(), audit: audit('approval.denied', callId, conversationId) })).toBeUndefined();
        expect(await recordsOf(callId)).toHaveLength(1);
        expect((await platform.audit.verify()).ok).toBe(true);
      });

      it('an execution claim whose audit record cannot be written is not made; of many claims one wins, with one record', async () => {
        const conversationId = randomUUID();
        const callId = `call-${randomUUID()}`;
        const runId = randomUUID();
        await awaiting(conversationId, callId);
        await storage.approvals.decide({ conversationId, callId, approve: true, decidedBy: alice, decisionRunId: runId });
        await refuseAuditOf('tool.execution_started');
        try {
          await expect(storage.approvals.claimExecution({ conversationId, callId, runId, audit: audit('tool.execution_started', callId, conversationId) })).rejects.toSatisfy(refusedByTheAuditTrigger);
        } finally {
          await allowAudit();
        }
        expect((await storage.approvals.get(conversationId, callId))?.status).toBe('approved');
        const stores = [platform, backend.secondProcess ?? platform];
        const claims = await Promise.all(Array.from({ length: 6 }, (_, index) => stores[index % 2]!.approvals.claimExecution({ conversationId, callId, runId, audit: audit('tool.execution_started', callId, conversationId) })));
        expect(claims.filter(Boolean)).toHaveLength(1);
        expect((await storage.approvals.get(conversationId, callId))?.status).toBe('executing');
        expect(await recordsOf(callId)).toEqual([{ action: 'tool.execution_started', actor_id: alice }]);
        expect((await platform.audit.verify()).ok).toBe(true);
      });

      it('a change freeze holds an approved call: awaiting again with its record, its decision cleared, its sealed arguments kept; never one another run claimed (issue 76)', async () => {
        const conversationId = randomUUID();
        const callId = `call-${randomUUID()}`;
        const runId = randomUUID();
        await storage.approvals.request({ conversationId, callId, runId: 'run-1', tool: 'k8s_scale', args: { replicas: 3 }, argsHash: 'abc', exactArgsSealed: 'sealed', resolution: [], risks: [{ code: 'SCALE_DOWN', message: 'fewer', severity: 'low' }], destructive: false, requestedBy: alice });
        await storage.approvals.decide({ conversationId, callId, approve: true, decidedBy: bob, decisionRunId: runId, autoRevert: true, audit: audit('approval.approved', callId, conversationId) });
        const frozen = { code: 'FROZEN', message: 'Held, not run', severity: 'medium' as const };
        const hold = (by: string) => storage.approvals.holdApproved!({ conversationId, callId, runId: by, risks: [frozen, { code: 'SCALE_DOWN', message: 'fewer', severity: 'low' }], audit: audit('approval.held', callId, conversationId) });
        // claimed by this run at its start, never sent: the hold releases its claim
        expect(await storage.approvals.claimExecution({ conversationId, callId, runId })).toBe(true);
        expect(await hold(randomUUID())).toBe(false); // another run's claim is not this run's to release
        await refuseAuditOf('approval.held');
        try {
          await expect(hold(runId)).rejects.toSatisfy(refusedByTheAuditTrigger);
        } finally {
          await allowAudit();
        }
        expect((await storage.approvals.get(conversationId, callId))?.status).toBe('executing');
        expect(await hold(runId)).toBe(true);
        const held = await storage.approvals.get(conversationId, callId);
        expect(held).toMatchObject({ status: 'awaiting', exactArgsSealed: 'sealed', risks: [frozen, { code: 'SCALE_DOWN' }] });
        expect([held?.decidedBy, held?.decidedAt, held?.decisionRunId, held?.autoRevert ?? false]).toEqual([undefined, undefined, undefined, false]);
        expect(await hold(runId)).toBe(false); // awaiting already: nothing to hold
        expect(await recordsOf(callId)).toEqual([{ action: 'approval.approved', actor_id: alice }, { action: 'approval.held', actor_id: alice }]);
        // re-confirmed, it is approved (and claimable) again
        expect(await storage.approvals.decide({ conversationId, callId, approve: true, decidedBy: alice, decisionRunId: runId })).toMatchObject({ status: 'approved', decidedBy: alice });
        expect((await platform.audit.verify()).ok).toBe(true);
      });
    });

    describe('a chat in a new conversation starts in one statement with its audit record (issue 38)', () => {
      const start = (store: EngineStorage, userId: string, text: string, maxRunningPerUser = 3) => {
        const runId = randomUUID();
        return store.conversations.startChat!({
          userId,
          cluster: 'kind-dev',
          runId,
          leaseMs: 60_000,
          maxRunningPerUser,
          timeline: [userEntry(`entry-${runId}`, text)],
          audit: (conversationId) => ({ actorId: userId, action: 'chat.request', conversationId, subjectType: 'conversation', subjectId: conversationId, details: { run_id: runId, text } }),
        }).then((outcome) => ({ outcome, runId }));
      };

      it('writes the conversation with the message, its messages row, the running claim and the chat.request record', async () => {
        const user = await newUser(`start-${randomUUID()}@example.com`);
        const { outcome, runId } = await start(platform, user, 'how many pods?');
        if (!outcome.ok) throw new Error('not started');
        const stored = await storage.conversations.get(outcome.conversation.id);
        expect(stored).toMatchObject({ userId: user, title: '', cluster: 'kind-dev', timeline: [{ type: 'user', content: 'how many pods?' }] });
        expect(outcome.conversation).toMatchObject({ id: stored!.id, userId: user, cluster: 'kind-dev', title: '' });
        expect(await backend.query!('SELECT role, content, sequence FROM messages WHERE conversation_id = $1', [stored!.id])).toEqual([{ role: 'user', content: 'how many pods?', sequence: 0 }]);
        expect(await storage.runs.get(runId)).toMatchObject({ conversationId: stored!.id, userId: user, status: 'running' });
        expect(await backend.query!('SELECT action, actor_id, conversation_id FROM audit_events WHERE subject_id = $1', [stored!.id])).toEqual([{ action: 'chat.request', actor_id: user, conversation_id: stored!.id }]);
        expect((await platform.audit.verify()).ok).toBe(true);
      });

      it('a start whose audit record cannot be written writes nothing', async () => {
        const user = await newUser(`start-${randomUUID()}@example.com`);
        await backend.query!(`CREATE OR REPLACE FUNCTION test_refuse_chat_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit insert refused'; END; $$`);
        await backend.query!(`CREATE TRIGGER test_refuse_chat_audit BEFORE INSERT ON audit_events FOR EACH ROW WHEN (NEW.action = 'chat.request') EXECUTE FUNCTION test_refuse_chat_audit()`);
        try {
          await expect(start(platform, user, 'refused')).rejects.toThrow();
        } finally {
          await backend.query!('DROP TRIGGER IF EXISTS test_refuse_chat_audit ON audit_events');
        }
        expect(await backend.query!('SELECT id FROM conversations WHERE user_id = $1', [user])).toEqual([]);
        expect(await backend.query!('SELECT run_id FROM runs WHERE user_id = $1', [user])).toEqual([]);
        expect((await start(platform, user, 'accepted')).outcome.ok).toBe(true);
      });

      it('admits at most N running runs per user when many start at once (from two processes on Postgres), creating nothing for the refused', async () => {
        const user = await newUser(`start-${randomUUID()}@example.com`);
        const stores = [platform, backend.secondProcess ?? platform];
        const results = await Promise.all(Array.from({ length: 8 }, (_, index) => start(stores[index % 2]!, user, `chat ${index}`, 3)));
        expect(results.filter(({ outcome }) => outcome.ok)).toHaveLength(3);
        for (const { outcome } of results) if (!outcome.ok) expect(outcome).toEqual({ ok: false, reason: 'user_limit', running: 3 });
        expect(await backend.query!('SELECT id FROM conversations WHERE user_id = $1', [user])).toHaveLength(3);
        expect(await backend.query!("SELECT action FROM audit_events WHERE actor_id = $1 AND action = 'chat.request'", [user])).toHaveLength(3);
      });
    });

    describe('a chat in an existing conversation claims it with its audit record in one statement (issue 38)', () => {
      const continueIn = (store: EngineStorage, conversationId: string, userId: string, maxRunningPerUser = 3, content?: string) => {
        const runId = randomUUID();
        return store.conversations.continueChat!({
          conversationId,
          userId,
          runId,
          leaseMs: 60_000,
          maxRunningPerUser,
          audit: { actorId: userId, action: 'chat.request', conversationId, subjectType: 'conversation', subjectId: conversationId, details: { run_id: runId } },
          ...(content !== undefined ? { entry: { id: `entry-${runId}`, content, timestamp: Date.now() } } : {}),
        }).then((outcome) => ({ outcome, runId }));
      };
      const timelineOf = async (conversationId: string) => (await storage.conversations.get(conversationId))!.timeline.map((entry) => `${entry.type}: ${entry.content}`);
      const messageRowsOf = (conversationId: string) => backend.query!('SELECT role, content, sequence FROM messages WHERE conversation_id = $1 ORDER BY sequence', [conversationId]);
      const conversationOf = async (userId: string) => (await storage.conversations.create({ userId })).id;
      const requestsIn = async (conversationId: string) => (await backend.query!("SELECT details->>'run_id' AS run_id FROM audit_events WHERE action = 'chat.request' AND subject_id = $1", [conversationId])) as Array<{ run_id: string }>;

      it('claims the conversation for the run and writes the chat.request record with it', async () => {
        const user = await newUser(`continue-${randomUUID()}@example.com`);
        const conversationId = await conversationOf(user);
        const { outcome, runId } = await continueIn(platform, conversationId, user);
        expect(outcome).toEqual({ ok: true });
        expect(await storage.runs.get(runId)).toMatchObject({ conversationId, userId: user, status: 'running' });
        expect(await requestsIn(conversationId)).toEqual([{ run_id: runId }]);
        expect((await platform.audit.verify()).ok).toBe(true);
      });

      it('refuses without writing anything: a call awaiting approval, a run holding it, the user at their limit', async () => {
        const user = await newUser(`continue-${randomUUID()}@example.com`);
        const conversationId = await conversationOf(user);
        await storage.approvals.request({ conversationId, callId: 'call-b', runId: 'run-1', tool: 'k8s_scale', args: {}, argsHash: 'abc', resolution: [], risks: [], destructive: false });
        await storage.approvals.request({ conversationId, callId: 'call-a', runId: 'run-1', tool: 'k8s_scale', args: {}, argsHash: 'abd', resolution: [], risks: [], destructive: false });
        expect((await continueIn(platform, conversationId, user)).outcome).toEqual({ ok: false, reason: 'approval_pending', callIds: ['call-a', 'call-b'] });
        const held = await conversationOf(user);
        const holder = randomUUID();
        await storage.runs.begin({ runId: holder, conversationId: held, leaseMs: 60_000, userId: user, maxRunningPerUser: 3 });
        expect((await continueIn(platform, held, user)).outcome).toEqual({ ok: false, reason: 'conversation_busy' });
        const free = await conversationOf(user);
        expect((await continueIn(platform, free, user, 1)).outcome).toEqual({ ok: false, reason: 'user_limit', running: 1 });
        expect(await backend.query!("SELECT run_id FROM runs WHERE user_id = $1 AND status = 'running'", [user])).toEqual([{ run_id: holder }]);
        for (const id of [conversationId, held, free]) expect(await requestsIn(id)).toEqual([]);
      });

      it('a start whose audit record cannot be written claims nothing', async () => {
        const user = await newUser(`continue-${randomUUID()}@example.com`);
        const conversationId = await conversationOf(user);
        await refusedWhileAuditFails('chat.request', () => continueIn(platform, conversationId, user, 3, 'not recorded'));
        expect(await backend.query!('SELECT run_id FROM runs WHERE conversation_id = $1', [conversationId])).toEqual([]);
        expect(await timelineOf(conversationId)).toEqual([]);
        expect(await messageRowsOf(conversationId)).toEqual([]);
        expect((await continueIn(platform, conversationId, user)).outcome).toEqual({ ok: true });
      });

      it("appends the user's message to the timeline with its messages row, and the run's answer follows it", async () => {
        const user = await newUser(`continue-${randomUUID()}@example.com`);
        const conversationId = await conversationOf(user);
        await storage.conversations.updateTimeline(conversationId, (timeline) => [...timeline, userEntry('first', 'how many pods?'), { id: 'answer-1', type: 'assistant', content: 'Three.', timestamp: 1, segments: [] } as TimelineEntry]);
        const { outcome, runId } = await continueIn(platform, conversationId, user, 3, 'and nodes?');
        expect(outcome).toEqual({ ok: true });
        expect(await timelineOf(conversationId)).toEqual(['user: how many pods?', 'assistant: Three.', 'user: and nodes?']);
        expect(await messageRowsOf(conversationId)).toEqual([
          { role: 'user', content: 'how many pods?', sequence: 0 },
          { role: 'assistant', content: 'Three.', sequence: 1 },
          { role: 'user', content: 'and nodes?', sequence: 2 },
        ]);
        expect((await storage.conversations.get(conversationId))!.timeline[2]).toMatchObject({ id: `entry-${runId}`, type: 'user' });
        // the run's answer: written after the entry (on PGlite from the timeline it keeps, which must hold the entry)
        await storage.conversations.updateTimeline(conversationId, (timeline) => [...timeline, { id: 'answer-2', type: 'assistant', content: 'Two.', timestamp: 2, segments: [] } as TimelineEntry]);
        expect(await timelineOf(conversationId)).toEqual(['user: how many pods?', 'assistant: Three.', 'user: and nodes?', 'assistant: Two.']);
        expect(await messageRowsOf(conversationId)).toHaveLength(4);
      });

      it('a refused start adds no entry, and a message resent after a failed run is not appended twice', async () => {
        const user = await newUser(`continue-${randomUUID()}@example.com`);
        const conversationId = await conversationOf(user);
        await storage.approvals.request({ conversationId, callId: 'call-a', runId: 'run-1', tool: 'k8s_scale', args: {}, argsHash: 'abc', resolution: [], risks: [], destructive: false });
        expect((await continueIn(platform, conversationId, user, 3, 'refused')).outcome).toEqual({ ok: false, reason: 'approval_pending', callIds: ['call-a'] });
        expect(await timelineOf(conversationId)).toEqual([]);
        expect(await messageRowsOf(conversationId)).toEqual([]);

        const again = await conversationOf(user);
        const first = await continueIn(platform, again, user, 3, 'scale web');
        expect(first.outcome).toEqual({ ok: true });
        await storage.runs.finish(first.runId);
        expect((await continueIn(platform, again, user, 3, 'scale web')).outcome).toEqual({ ok: true });
        expect(await timelineOf(again)).toEqual(['user: scale web']);
        expect(await messageRowsOf(again)).toEqual([{ role: 'user', content: 'scale web', sequence: 0 }]);
      });

      it('of many starts at once (from two processes on Postgres) one holds the conversation, with one record', async () => {
        const user = await newUser(`continue-${randomUUID()}@example.com`);
        const conversationId = await conversationOf(user);
        const stores = [platform, backend.secondProcess ?? platform];
        const results = await Promise.all(Array.from({ length: 6 }, (_, index) => continueIn(stores[index % 2]!, conversationId, user)));
        const started = results.filter(({ outcome }) => outcome.ok);
        expect(started).toHaveLength(1);
        for (const { outcome } of results) if (!outcome.ok) expect(outcome).toEqual({ ok: false, reason: 'conversation_busy' });
        expect(await requestsIn(conversationId)).toEqual([{ run_id: started[0]!.runId }]);
      });
    });

    describe('an approval claims its run and decides in one statement, with its audit record (issue 38 goal 5)', () => {
      const claim = (userId: string, maxRunningPerUser = 3) => ({ leaseMs: 60_000, userId, maxRunningPerUser });
      /** a conversation of `userId` with an awaiting call */
      const awaitingIn = async (userId: string) => {
        const conversationId = randomUUID();
        const callId = `call-${randomUUID()}`;
        await storage.conversations.create({ id: conversationId, userId });
        await storage.approvals.request({ conversationId, callId, runId: 'run-1', tool: 'k8s_scale', args: { replicas: 3 }, argsHash: 'abc', resolution: [], risks: [], destructive: false, requestedBy: userId });
        return { conversationId, callId };
      };
      const decision = (conversationId: string, callId: string, userId: string, runId = randomUUID()) => ({
        conversationId,
        callId,
        approve: true,
        decidedBy: userId,
        decisionRunId: runId,
        audit: { actorId: userId, action: 'approval.approved', subjectType: 'tool_call', subjectId: callId, conversationId, tool: 'k8s_scale', details: { call_id: callId, run_id: runId } },
      });
      const recordsOf = async (callId: string) => (await backend.query!('SELECT action FROM audit_events WHERE subject_id = $1', [callId])) as Array<{ action: string }>;
      const runsOf = async (conversationId: string) => (await backend.query!("SELECT run_id FROM runs WHERE conversation_id = $1 AND status = 'running'", [conversationId])) as Array<{ run_id: string }>;

      it('on a free conversation: the run holds it, the call is approved for that run, and the record is written', async () => {
        const user = await newUser(`decide-${randomUUID()}@example.com`);
        const { conversationId, callId } = await awaitingIn(user);
        const runId = randomUUID();
        const outcome = await platform.approvals.decideClaimingRun!({ ...decision(conversationId, callId, user, runId), claim: claim(user) });
        expect(outcome).toMatchObject({ claimed: true, decided: { status: 'approved', decidedBy: user, decisionRunId: runId, tool: 'k8s_scale', argsHash: 'abc' } });
        expect(await storage.runs.get(runId)).toMatchObject({ conversationId, userId: user, status: 'running' });
        expect(await recordsOf(callId)).toEqual([{ action: 'approval.approved' }]);
        expect((await platform.audit.verify()).ok).toBe(true);
      });

      it('a conversation held by another run, or a user at their limit: nothing is written and the call still waits', async () => {
        const user = await newUser(`decide-${randomUUID()}@example.com`);
        const { conversationId, callId } = await awaitingIn(user);
        const holder = randomUUID();
        expect(await storage.runs.begin({ runId: holder, conversationId, leaseMs: 60_000, userId: user, maxRunningPerUser: 3 })).toEqual({ ok: true });
        expect(await platform.approvals.decideClaimingRun!({ ...decision(conversationId, callId, user), claim: claim(user) })).toEqual({ claimed: false });
        expect(await runsOf(conversationId)).toEqual([{ run_id: holder }]);
        await storage.runs.finish(holder);
        // one run elsewhere and a limit of one
        const other = await awaitingIn(user);
        await storage.runs.begin({ runId: randomUUID(), conversationId: other.conversationId, leaseMs: 60_000, userId: user, maxRunningPerUser: 3 });
        expect(await platform.approvals.decideClaimingRun!({ ...decision(conversationId, callId, user), claim: claim(user, 1) })).toEqual({ claimed: false });
        expect(await runsOf(conversationId)).toEqual([]);
        expect((await storage.approvals.get(conversationId, callId))?.status).toBe('awaiting');
        expect(await recordsOf(callId)).toEqual([]);
      });

      it('a call decided already: the run is claimed (the caller releases it) and no second decision or record is written', async () => {
        const user = await newUser(`decide-${randomUUID()}@example.com`);
        const { conversationId, callId } = await awaitingIn(user);
        const first = randomUUID();
        await platform.approvals.decideClaimingRun!({ ...decision(conversationId, callId, user, first), claim: claim(user) });
        await storage.runs.finish(first);
        const second = randomUUID();
        expect(await platform.approvals.decideClaimingRun!({ ...decision(conversationId, callId, user, second), approve: false, claim: claim(user) })).toEqual({ claimed: true, decided: undefined });
        expect(await runsOf(conversationId)).toEqual([{ run_id: second }]);
        expect((await storage.approvals.get(conversationId, callId))).toMatchObject({ status: 'approved', decisionRunId: first });
        expect(await recordsOf(callId)).toEqual([{ action: 'approval.approved' }]);
      });

      it('a decision whose audit record cannot be written claims nothing and decides nothing', async () => {
        const user = await newUser(`decide-${randomUUID()}@example.com`);
        const { conversationId, callId } = await awaitingIn(user);
        await refusedWhileAuditFails('approval.approved', () => platform.approvals.decideClaimingRun!({ ...decision(conversationId, callId, user), claim: claim(user) }));
        expect(await runsOf(conversationId)).toEqual([]);
        expect((await storage.approvals.get(conversationId, callId))?.status).toBe('awaiting');
        expect(await recordsOf(callId)).toEqual([]);
      });

      it('of many decisions at once (from two processes on Postgres) one claims and decides, with one record', async () => {
        const user = await newUser(`decide-${randomUUID()}@example.com`);
        const { conversationId, callId } = await awaitingIn(user);
        const stores = [platform, backend.secondProcess ?? platform];
        const outcomes = await Promise.all(Array.from({ length: 6 }, (_, index) => stores[index % 2]!.approvals.decideClaimingRun!({ ...decision(conversationId, callId, user), claim: claim(user) })));
        const winners = outcomes.filter((outcome) => outcome.claimed && outcome.decided);
        expect(winners).toHaveLength(1);
        expect(outcomes.filter((outcome) => outcome.claimed)).toHaveLength(1);
        expect(await runsOf(conversationId)).toEqual([{ run_id: (winners[0] as { decided: { decisionRunId: string } }).decided.decisionRunId }]);
        expect(await recordsOf(callId)).toEqual([{ action: 'approval.approved' }]);
        expect((await platform.audit.verify()).ok).toBe(true);
      });
    });

    describe('what a decision reads first: the conversation and the call in one query (issue 38.5)', () => {
      it("answers the owner, the pinned cluster and the call's record; no record for another call; nothing for a missing conversation", async () => {
        const conversationId = randomUUID();
        await storage.conversations.create({ id: conversationId, userId: alice, cluster: 'alpha' });
        await storage.approvals.request({ conversationId, callId: 'call-1', runId: 'run-1', tool: 'k8s_scale', args: { replicas: 3 }, argsHash: 'abc', resolution: [], risks: [], destructive: false, requestedBy: alice });
        const read = await storage.approvals.getWithConversation!(conversationId, 'call-1');
        expect(read.conversation).toEqual({ userId: alice, cluster: 'alpha' });
        // the same record the plain read answers
        expect(read.record).toEqual(await storage.approvals.get(conversationId, 'call-1'));
        expect(await storage.approvals.getWithConversation!(conversationId, 'other-call')).toEqual({ conversation: { userId: alice, cluster: 'alpha' }, record: undefined });
        // a call recorded under a conversation id that has no conversation row is not answered: the decision refuses it
        const orphan = randomUUID();
        await storage.approvals.request({ conversationId: orphan, callId: 'call-1', runId: 'run-1', tool: 'k8s_scale', args: {}, argsHash: 'abc', resolution: [], risks: [], destructive: false });
        expect(await storage.approvals.getWithConversation!(orphan, 'call-1')).toEqual({ conversation: undefined, record: undefined });
        expect(await storage.approvals.getWithConversation!('not-a-uuid', 'call-1')).toEqual({ conversation: undefined, record: undefined });
      });
    });
  }

  describe('conversations', () => {
    it('creates with a chosen id, reads back, updates and deletes', async () => {
      const id = randomUUID();
      const created = await storage.conversations.create({ id, userId: alice });
      expect(created).toMatchObject({ id, title: '', userId: alice, isActive: true, metadata: {}, timeline: [] });
      const updated = await storage.conversations.update(id, { title: 'Fix nginx', isActive: false, metadata: { pinned: true } });
      expect(updated).toMatchObject({ title: 'Fix nginx', isActive: false, metadata: { pinned: true } });
      expect(await storage.conversations.get(id)).toMatchObject({ title: 'Fix nginx' });
      expect(await storage.conversations.delete(id)).toEqual({ runningRunIds: [] });
      expect(await storage.conversations.get(id)).toBeUndefined();
      expect(await storage.conversations.delete(id)).toBeUndefined();
      expect(await storage.conversations.get('not-a-uuid')).toBeUndefined();
    });

    it('sets a title only while it is empty', async () => {
      const { id } = await storage.conversations.create({ userId: alice });
      expect(await storage.conversations.setTitleIfEmpty(id, 'First title')).toBe(true);
      expect(await storage.conversations.setTitleIfEmpty(id, 'Second title')).toBe(false);
      expect((await storage.conversations.get(id))?.title).toBe('First title');
    });

    it('pages by -updated_at with a cursor, per user, and searches titles case-insensitively', async () => {
      const owner = { user: { id: await newUser(`pager-${driver}@example.com`) } };
      const ids: string[] = [];
      let lastUpdatedAt = 0;
      for (let index = 0; index < 7; index += 1) {
        const { id, updatedAt } = await storage.conversations.create({ userId: owner.user.id, title: index % 2 === 0 ? `Deploy 100% api ${index}` : `Other ${index}` });
        ids.push(id);
        lastUpdatedAt = Math.max(lastUpdatedAt, updatedAt.getTime());
      }
      // Touching the oldest moves it to the front. Timestamps have millisecond resolution, so let the clock move
      // past the last create first; within one millisecond the order is by id, which is equally valid.
      await vi.waitFor(() => expect(Date.now()).toBeGreaterThan(lastUpdatedAt), { interval: 1 });
      await storage.conversations.update(ids[0], { title: 'Deploy 100% api 0 (renamed)' });
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await storage.conversations.list({ userId: owner.user.id, limit: 3, ...(cursor ? { cursor } : {}) });
        expect(page.items.length).toBeLessThanOrEqual(3);
        seen.push(...page.items.map((item) => item.id));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      expect(seen).toHaveLength(7);
      expect(new Set(seen).size).toBe(7);
      expect(seen[0]).toBe(ids[0]);
      const search = await storage.conversations.list({ userId: owner.user.id, limit: 20, query: 'DEPLOY 100%' });
      expect(search.items.map((item) => item.title).every((title) => title.startsWith('Deploy 100% api'))).toBe(true);
      expect(search.items).toHaveLength(4);
      // "%" is literal, not a wildcard: no title contains "1000".
      expect((await storage.conversations.list({ userId: owner.user.id, limit: 20, query: '_0%' })).items).toHaveLength(0);
      expect((await storage.conversations.list({ userId: bob, limit: 20, query: 'Deploy' })).items).toHaveLength(0);
    });

    it('serialises concurrent timeline updates and mirrors entries into messages', async () => {
      const { id } = await storage.conversations.create({ userId: alice });
      const writers = [storage, backend.secondProcess ?? storage];
      await Promise.all(
        Array.from({ length: 24 }, (_, index) =>
          writers[index % writers.length].conversations.updateTimeline(id, (timeline) => [...timeline, userEntry(`entry-${index}`, `message ${index}`)]),
        ),
      );
      const conversation = await storage.conversations.get(id);
      expect(conversation?.timeline).toHaveLength(24);
      expect(new Set(conversation?.timeline.map((entry) => entry.id)).size).toBe(24);
      if (backend.query) {
        const rows = (await backend.query('select entry_id, sequence from messages where conversation_id = $1 order by sequence', [id])) as Array<{ entry_id: string; sequence: number }>;
        expect(rows.map((row) => row.entry_id)).toEqual(conversation?.timeline.map((entry) => entry.id));
      }

      await storage.conversations.updateTimeline(id, (timeline) => timeline.slice(1).map((entry) => (entry.id === 'entry-5' ? { ...entry, content: 'edited' } : entry)));
      const edited = (await storage.conversations.get(id))?.timeline;
      expect(edited).toHaveLength(23);
      expect(edited?.find((entry) => entry.id === 'entry-5')).toMatchObject({ content: 'edited' });
      if (backend.query) {
        const after = (await backend.query('select entry_id, content from messages where conversation_id = $1 order by sequence', [id])) as Array<{ entry_id: string; content: string }>;
        expect(after).toHaveLength(23);
        expect(after.find((row) => row.entry_id === 'entry-5')?.content).toBe('edited');
      }
    });

    it('ignores timeline updates for a conversation that does not exist', async () => {
      let called = false;
      const result = await storage.conversations.updateTimeline(randomUUID(), (timeline) => {
        called = true;
        return timeline;
      });
      expect(result).toEqual([]);
      expect(called).toBe(false);
    });

    it("a run's last timeline write releases its claim with it (issue 38): the entries written, the run finished, the conversation free", async () => {
      const write = storage.conversations.updateTimelineAndFinishRun!.bind(storage.conversations);
      const { id } = await storage.conversations.create({ userId: alice });
      await storage.conversations.updateTimeline(id, () => [userEntry('question', 'why is checkout crashing?')]);
      const runId = randomUUID();
      expect(await storage.runs.begin({ runId, conversationId: id, leaseMs: 60_000 })).toEqual({ ok: true });
      // a change that adds an entry (one statement on PGlite); then one that removes an entry (a transaction)
      const after = await write(id, (timeline) => [...timeline, userEntry('answer', 'the image tag is wrong')], runId);
      expect(after.map((entry) => entry.id)).toEqual(['question', 'answer']);
      expect(await storage.runs.get(runId)).toMatchObject({ status: 'finished', finishedAt: expect.any(Date) });
      expect(await storage.runs.begin({ runId: randomUUID(), conversationId: id, leaseMs: 60_000 })).toEqual({ ok: true });
      if (backend.query) {
        const rows = (await backend.query('select entry_id from messages where conversation_id = $1 order by sequence', [id])) as Array<{ entry_id: string }>;
        expect(rows.map((row) => row.entry_id)).toEqual(['question', 'answer']);
      }

      const second = randomUUID();
      const { id: other } = await storage.conversations.create({ userId: alice });
      await storage.conversations.updateTimeline(other, () => [userEntry('a', 'one'), userEntry('b', 'two')]);
      expect(await storage.runs.begin({ runId: second, conversationId: other, leaseMs: 60_000 })).toEqual({ ok: true });
      expect((await write(other, (timeline) => timeline.slice(1), second)).map((entry) => entry.id)).toEqual(['b']);
      expect((await storage.runs.get(second))?.status).toBe('finished');
      expect((await storage.conversations.get(other))?.timeline.map((entry) => entry.id)).toEqual(['b']);

      // written to a conversation that does not exist: nothing is written, and the run is finished all the same
      const orphan = randomUUID();
      const { id: third } = await storage.conversations.create({ userId: alice });
      expect(await storage.runs.begin({ runId: orphan, conversationId: third, leaseMs: 60_000 })).toEqual({ ok: true });
      expect(await write(randomUUID(), (timeline) => [...timeline, userEntry('x', 'lost')], orphan)).toEqual([]);
      expect((await storage.runs.get(orphan))?.status).toBe('finished');
    });
  });

  describe('approvals', () => {
    const request = (conversationId: string, callId: string) =>
      storage.approvals.request({
        conversationId,
        callId,
        runId: 'run-1',
        tool: 'k8s_scale',
        args: { name: 'web', replicas: 3 },
        argsHash: 'abc',
        exactArgsSealed: 'sealed-exact-args',
        diff: '- 1\n+ 3',
        diffHash: 'd1',
        resolution: ['replicas: kept'],
        risks: [{ code: 'SCALE_TO_ZERO', message: 'scales to zero', severity: 'high' }],
        destructive: true,
        policyReason: 'k8s_scale may change state',
        requestedBy: alice,
      });

    it('requests idempotently and lets exactly one of many concurrent decisions win', async () => {
      const conversationId = randomUUID();
      const first = await request(conversationId, 'call-1');
      const again = await request(conversationId, 'call-1');
      expect(first).toMatchObject({
        status: 'awaiting',
        tool: 'k8s_scale',
        diff: '- 1\n+ 3',
        diffHash: 'd1',
        exactArgsSealed: 'sealed-exact-args',
        resolution: ['replicas: kept'],
        risks: [{ code: 'SCALE_TO_ZERO', message: 'scales to zero', severity: 'high' }],
        destructive: true,
        policyReason: 'k8s_scale may change state',
        requestedBy: alice,
        automatic: false,
      });
      expect(again.requestedAt.getTime()).toBe(first.requestedAt.getTime());
      const stores = [storage, backend.secondProcess ?? storage];
      const decisions = await Promise.all(
        Array.from({ length: 10 }, (_, index) =>
          stores[index % stores.length].approvals.decide({ conversationId, callId: 'call-1', approve: index % 3 !== 0, decidedBy: `user-${index}`, reason: 'ok', decisionRunId: randomUUID() }),
        ),
      );
      const winners = decisions.filter((decision) => decision !== undefined);
      expect(winners).toHaveLength(1);
      const stored = await storage.approvals.get(conversationId, 'call-1');
      expect(stored?.status).toBe(winners[0]?.status);
      expect(stored?.decidedBy).toBe(winners[0]?.decidedBy);
    });

    it('lets exactly one claimant execute an approved call, and never a denied or unknown one', async () => {
      const conversationId = randomUUID();
      await request(conversationId, 'approve-me');
      await request(conversationId, 'deny-me');
      const runId = randomUUID();
      await storage.approvals.decide({ conversationId, callId: 'approve-me', approve: true, decidedBy: alice, decisionRunId: runId, automatic: true });
      await storage.approvals.decide({ conversationId, callId: 'deny-me', approve: false, decidedBy: alice, reason: 'too risky', decisionRunId: runId });
      // A denial erases the sealed exact arguments at once: they will never be needed.
      expect((await storage.approvals.get(conversationId, 'deny-me'))?.exactArgsSealed).toBeUndefined();
      expect(await storage.approvals.get(conversationId, 'approve-me')).toMatchObject({ automatic: true, decisionRunId: runId, exactArgsSealed: 'sealed-exact-args' });
      expect(await storage.approvals.claimExecution({ conversationId, callId: 'deny-me', runId })).toBe(false);
      expect(await storage.approvals.claimExecution({ conversationId, callId: 'missing', runId })).toBe(false);
      // Finishing needs a claim: an approved-but-unclaimed call cannot be marked executed.
      expect(await storage.approvals.markExecuted({ conversationId, callId: 'approve-me', ok: true })).toBe(false);
      const stores = [storage, backend.secondProcess ?? storage];
      const claims = await Promise.all(Array.from({ length: 6 }, (_, index) => stores[index % stores.length].approvals.claimExecution({ conversationId, callId: 'approve-me', runId })));
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect((await storage.approvals.get(conversationId, 'approve-me'))?.status).toBe('executing');
      const results = await Promise.all([1, 2, 3].map(() => storage.approvals.markExecuted({ conversationId, callId: 'approve-me', ok: true, resultSummary: 'scaled' })));
      expect(results.filter(Boolean)).toHaveLength(1);
      const records = await storage.approvals.listForConversation(conversationId);
      expect(records.map((record) => [record.callId, record.status])).toEqual([
        ['approve-me', 'executed'],
        ['deny-me', 'denied'],
      ]);
      expect(records[1]).toMatchObject({ reason: 'too risky', decidedBy: alice });
      expect(records[0]).toMatchObject({ resultSummary: 'scaled' });
      // Executed: the sealed exact arguments are gone with it.
      expect(records[0].exactArgsSealed).toBeUndefined();
      expect(records[0].executedAt).toBeInstanceOf(Date);
      expect(await storage.approvals.decide({ conversationId, callId: 'approve-me', approve: false, decidedBy: bob, decisionRunId: randomUUID() })).toBeUndefined();
    });
  });

  describe('runs', () => {
    it('lets one run at a time hold a conversation, also when many claim it at once (from two processes on Postgres)', async () => {
      const { id } = await storage.conversations.create({ userId: alice });
      const claimers = [storage, backend.secondProcess ?? storage];
      const runIds = Array.from({ length: 8 }, () => randomUUID());
      const results = await Promise.all(runIds.map((runId, index) => claimers[index % 2]!.runs.begin({ runId, conversationId: id, leaseMs: 60_000 })));
      const winners = runIds.filter((_, index) => results[index]!.ok);
      expect(winners).toHaveLength(1);
      for (const result of results) if (!result.ok) expect(result.reason === 'conversation_busy' && result.active.runId).toBe(winners[0]);
      expect(await storage.runs.get(winners[0]!)).toMatchObject({ conversationId: id, status: 'running' });

      await storage.runs.finish(winners[0]!);
      expect((await storage.runs.get(winners[0]!))?.finishedAt).toBeInstanceOf(Date);
      expect(await storage.runs.renew(winners[0]!, 60_000)).toBe(false);
      expect(await storage.runs.begin({ runId: randomUUID(), conversationId: id, leaseMs: 60_000 })).toEqual({ ok: true });
    });

    it('frees a conversation whose run lease lapsed, names the run it ended, and knows nothing of unknown run ids', async () => {
      const { id } = await storage.conversations.create({ userId: alice });
      const stale = randomUUID();
      expect(await storage.runs.begin({ runId: stale, conversationId: id, leaseMs: 1 })).toEqual({ ok: true });
      // Once the 1 ms lease has lapsed (however long the machine takes to get there), a new run may claim it; the
      // claim names the run it ended, whose cards the caller settles (the reconciler never sees that run).
      const next = randomUUID();
      await vi.waitFor(async () => expect(await storage.runs.begin({ runId: next, conversationId: id, leaseMs: 60_000 })).toEqual({ ok: true, endedLapsedRun: stale }), { interval: 5 });
      expect((await storage.runs.get(stale))?.status).toBe('finished');
      expect(await storage.runs.get(randomUUID())).toBeUndefined();
      expect(await storage.runs.get('not-a-uuid')).toBeUndefined();
    });

    it('names a lapsed run to exactly one of many claims at once, the refused ones included (from two processes on Postgres)', async () => {
      const { id } = await storage.conversations.create({ userId: alice });
      const stale = randomUUID();
      expect(await storage.runs.begin({ runId: stale, conversationId: id, leaseMs: 1 })).toEqual({ ok: true });
      await vi.waitFor(async () => expect((await storage.runs.get(stale))!.leaseUntil.getTime()).toBeLessThan(Date.now()), { interval: 5 });
      // The claim that ends the dead run may lose the conversation it freed to another claim; it alone knows the run
      // ended, so its answer names it even when refused (conversation-runs.ts settles the dead run's cards then too).
      const claimers = [storage, backend.secondProcess ?? storage];
      const results = await Promise.all(Array.from({ length: 8 }, (_, index) => claimers[index % 2]!.runs.begin({ runId: randomUUID(), conversationId: id, leaseMs: 60_000 })));
      expect(results.filter((result) => result.ok)).toHaveLength(1);
      expect(results.filter((result) => result.endedLapsedRun === stale)).toHaveLength(1);
      expect((await storage.runs.get(stale))?.status).toBe('finished');
    });

    it("a claim the user's limit refuses names the lapsed run it ended, if it ended one", async () => {
      const busy = await storage.conversations.create({ userId: alice });
      const { id } = await storage.conversations.create({ userId: alice });
      const stale = randomUUID();
      expect(await storage.runs.begin({ runId: stale, conversationId: id, leaseMs: 1, userId: alice, maxRunningPerUser: 1 })).toEqual({ ok: true });
      await vi.waitFor(async () => expect((await storage.runs.get(stale))!.leaseUntil.getTime()).toBeLessThan(Date.now()), { interval: 5 });
      expect(await storage.runs.begin({ runId: randomUUID(), conversationId: busy.id, leaseMs: 60_000, userId: alice, maxRunningPerUser: 1 })).toEqual({ ok: true });
      // The SQL stores count the user's live runs first and refuse without touching the dead run (the next claim or
      // the reconciler ends it); a store that ends it first must say so, or no one settles what that run left.
      const refused = await storage.runs.begin({ runId: randomUUID(), conversationId: id, leaseMs: 60_000, userId: alice, maxRunningPerUser: 1 });
      const ended = (await storage.runs.get(stale))?.status === 'finished';
      expect(refused).toEqual({ ok: false, reason: 'user_limit', running: 1, ...(ended ? { endedLapsedRun: stale } : {}) });
    });
  });

  describe('deleting a conversation', () => {
    const approval = (conversationId: string, callId: string) => ({
      conversationId,
      callId,
      runId: randomUUID(),
      tool: 'k8s_scale',
      args: { name: 'web', replicas: 0 },
      argsHash: `hash-${callId}`,
      exactArgsSealed: `sealed-${callId}`,
      resolution: [],
      risks: [],
      destructive: true,
      requestedBy: alice,
    });

    it('takes its checkpoints, open decisions and runs with it in one go, and never gives its id out again', async () => {
      const { id } = await storage.conversations.create({ userId: alice, title: 'to delete' });
      await (await storage.checkpointer()).put(
        { configurable: { thread_id: id, checkpoint_ns: '' } },
        { v: 4, id: '1ef00000-0000-6000-8000-0000000000aa', ts: new Date().toISOString(), channel_values: { secret: 'hunter2' }, channel_versions: {}, versions_seen: {} },
        { source: 'input', step: -1, parents: {} },
        {},
      );
      await storage.approvals.request(approval(id, 'awaiting-call'));
      await storage.approvals.request(approval(id, 'approved-call'));
      await storage.approvals.request(approval(id, 'done-call'));
      const runId = randomUUID();
      await storage.approvals.decide({ conversationId: id, callId: 'approved-call', approve: true, decidedBy: alice, decisionRunId: runId });
      await storage.approvals.decide({ conversationId: id, callId: 'done-call', approve: false, decidedBy: alice, decisionRunId: runId });
      expect(await storage.runs.begin({ runId, conversationId: id, leaseMs: 60_000, userId: alice })).toEqual({ ok: true });

      expect(await storage.conversations.delete(id)).toEqual({ runningRunIds: [runId] });

      expect(await storage.conversations.get(id)).toBeUndefined();
      expect(await (await storage.checkpointer()).getTuple({ configurable: { thread_id: id, checkpoint_ns: '' } })).toBeUndefined();
      const records = (await storage.approvals.listForConversation(id)).sort((left, right) => left.callId.localeCompare(right.callId));
      expect(records.map((record) => [record.callId, record.status, record.exactArgsSealed])).toEqual([
        ['approved-call', 'cancelled', undefined],
        ['awaiting-call', 'cancelled', undefined],
        ['done-call', 'denied', undefined],
      ]);
      if (backend.query) {
        const rows = (await backend.query('select call_id, status, exact_args_sealed from approvals where conversation_id = $1 order by call_id', [id])) as Array<{ call_id: string; status: string; exact_args_sealed: string | null }>;
        expect(rows).toEqual([
          { call_id: 'approved-call', status: 'cancelled', exact_args_sealed: null },
          { call_id: 'awaiting-call', status: 'cancelled', exact_args_sealed: null },
          { call_id: 'done-call', status: 'denied', exact_args_sealed: null },
        ]);
      }
      // A cancelled call can be neither decided nor claimed any more.
      expect(await storage.approvals.decide({ conversationId: id, callId: 'awaiting-call', approve: true, decidedBy: bob, decisionRunId: randomUUID() })).toBeUndefined();
      expect(await storage.approvals.claimExecution({ conversationId: id, callId: 'approved-call', runId })).toBe(false);
      expect(await storage.runs.get(runId)).toBeUndefined();

      // Re-creating the deleted id (by anyone) is refused; so is an id in use.
      await expect(storage.conversations.create({ id, userId: bob })).rejects.toBeInstanceOf(ConversationIdTakenError);
      const live = await storage.conversations.create({ userId: bob });
      await expect(storage.conversations.create({ id: live.id, userId: alice })).rejects.toBeInstanceOf(ConversationIdTakenError);
      expect(await storage.conversations.delete(id)).toBeUndefined();
    });
  });

  describe('approval requests', () => {
    it('a request answers the row it created; asked again (a resumed run) it answers the row as it is, unchanged', async () => {
      const { id } = await storage.conversations.create({ userId: alice });
      const request = { conversationId: id, callId: 'call-once', runId: randomUUID(), tool: 'k8s_scale', args: { replicas: 3 }, argsHash: 'first', resolution: [], risks: [], destructive: true, requestedBy: alice };
      expect(await storage.approvals.request(request)).toMatchObject({ callId: 'call-once', status: 'awaiting', argsHash: 'first', args: { replicas: 3 }, destructive: true, requestedBy: alice });
      await storage.approvals.decide({ conversationId: id, callId: 'call-once', approve: true, decidedBy: alice, decisionRunId: randomUUID() });
      expect(await storage.approvals.request({ ...request, args: { replicas: 9 }, argsHash: 'second' })).toMatchObject({ status: 'approved', argsHash: 'first', args: { replicas: 3 }, decidedBy: alice });
      expect(await storage.approvals.get(id, 'call-once')).toMatchObject({ status: 'approved', argsHash: 'first' });
    });
  });

  describe('decisions whose run died', () => {
    it('marks an approved-but-unstarted call failed and an executing one unknown, leaving live runs alone', async () => {
      const { id } = await storage.conversations.create({ userId: alice });
      const base = { runId: randomUUID(), tool: 'k8s_scale', args: { replicas: 3 }, resolution: [], risks: [], destructive: false, exactArgsSealed: 'sealed', conversationId: id };
      for (const callId of ['orphan-approved', 'orphan-executing', 'live-approved']) await storage.approvals.request({ ...base, callId, argsHash: callId });
      const dead = randomUUID();
      const live = randomUUID();
      expect(await storage.runs.begin({ runId: dead, conversationId: id, leaseMs: 1 })).toEqual({ ok: true });
      await storage.approvals.decide({ conversationId: id, callId: 'orphan-approved', approve: true, decidedBy: alice, decisionRunId: dead });
      await storage.approvals.decide({ conversationId: id, callId: 'orphan-executing', approve: true, decidedBy: alice, decisionRunId: dead });
      expect(await storage.approvals.claimExecution({ conversationId: id, callId: 'orphan-executing', runId: dead })).toBe(true);
      // the dead run's lease lapses: then, and only then, the live run can claim the conversation
      await vi.waitFor(async () => expect(await storage.runs.begin({ runId: live, conversationId: id, leaseMs: 60_000 })).toEqual({ ok: true, endedLapsedRun: dead }), { interval: 5 });
      await storage.approvals.decide({ conversationId: id, callId: 'live-approved', approve: true, decidedBy: alice, decisionRunId: live });

      const { closed: changed } = await storage.approvals.reconcileOrphans();
      expect(changed.filter((record) => record.conversationId === id).map((record) => [record.callId, record.status]).sort()).toEqual([
        ['orphan-approved', 'failed'],
        ['orphan-executing', 'unknown'],
      ]);
      expect(await storage.approvals.get(id, 'orphan-executing')).toMatchObject({ status: 'unknown', resultSummary: expect.stringContaining('Outcome unknown') });
      expect((await storage.approvals.get(id, 'orphan-approved'))?.exactArgsSealed).toBeUndefined();
      expect(await storage.approvals.get(id, 'live-approved')).toMatchObject({ status: 'approved' });
      // Closed for good: a second pass changes nothing and nothing can claim them.
      expect((await storage.approvals.reconcileOrphans()).closed.filter((record) => record.conversationId === id)).toEqual([]);
      expect(await storage.approvals.claimExecution({ conversationId: id, callId: 'orphan-approved', runId: live })).toBe(false);
      // Issue 75: the run that executed the call learns its answer after the reconciler closed it (the database was
      // away): it settles its own unknown row to what the tool answered; another run cannot, and neither can a run
      // that does not say which it is.
      expect(await storage.approvals.markExecuted({ conversationId: id, callId: 'orphan-executing', ok: true, resultSummary: 'scaled' })).toBe(false);
      expect(await storage.approvals.markExecuted({ conversationId: id, callId: 'orphan-executing', ok: true, runId: live, resultSummary: 'scaled' })).toBe(false);
      expect(await storage.approvals.markExecuted({ conversationId: id, callId: 'orphan-executing', ok: true, runId: dead, resultSummary: 'scaled' })).toBe(true);
      expect(await storage.approvals.get(id, 'orphan-executing')).toMatchObject({ status: 'executed', resultSummary: 'scaled' });
      // and once settled, it is final
      expect(await storage.approvals.markExecuted({ conversationId: id, callId: 'orphan-executing', ok: false, unknown: true, runId: dead, resultSummary: 'lost' })).toBe(false);
    });

    it('records a change whose answer was lost as unknown, not failed (issue 75)', async () => {
      const { id } = await storage.conversations.create({ userId: alice });
      const runId = randomUUID();
      await storage.approvals.request({ conversationId: id, callId: 'lost-answer', runId, tool: 'k8s_scale', args: { replicas: 3 }, argsHash: 'h', resolution: [], risks: [], destructive: false, exactArgsSealed: 'sealed' });
      await storage.approvals.decide({ conversationId: id, callId: 'lost-answer', approve: true, decidedBy: alice, decisionRunId: runId });
      expect(await storage.approvals.claimExecution({ conversationId: id, callId: 'lost-answer', runId })).toBe(true);
      expect(await storage.approvals.markExecuted({ conversationId: id, callId: 'lost-answer', ok: false, unknown: true, runId, resultSummary: 'Outcome unknown: ECONNRESET' })).toBe(true);
      const record = await storage.approvals.get(id, 'lost-answer');
      expect(record).toMatchObject({ status: 'unknown', resultSummary: 'Outcome unknown: ECONNRESET' });
      // it was sent: its exact arguments are not kept for a second run
      expect(record?.exactArgsSealed).toBeUndefined();
    });

    it('ends runs whose lease lapsed and names their conversations once, so their timelines can be settled', async () => {
      const dying = await storage.conversations.create({ userId: alice });
      const alive = await storage.conversations.create({ userId: alice });
      expect(await storage.runs.begin({ runId: randomUUID(), conversationId: dying.id, leaseMs: 1 })).toEqual({ ok: true });
      const liveRun = randomUUID();
      expect(await storage.runs.begin({ runId: liveRun, conversationId: alive.id, leaseMs: 60_000 })).toEqual({ ok: true });
      const ours = (ids: string[]) => ids.filter((conversationId) => conversationId === dying.id || conversationId === alive.id);
      await vi.waitFor(async () => expect(ours((await storage.approvals.reconcileOrphans()).conversationsOfDeadRuns)).toEqual([dying.id]), { interval: 5 });
      // ended: the conversation is free, and the next pass does not name it again
      expect(await storage.runs.begin({ runId: randomUUID(), conversationId: dying.id, leaseMs: 60_000 })).toEqual({ ok: true });
      expect(ours((await storage.approvals.reconcileOrphans()).conversationsOfDeadRuns)).toEqual([]);
      expect(await storage.runs.get(liveRun)).toMatchObject({ status: 'running' });
    });
  });

  describe('per-user run limit', () => {
    it('admits at most N running runs per user, also when many start at once (from two processes on Postgres)', async () => {
      const user = randomUUID();
      const conversations = await Promise.all(Array.from({ length: 8 }, () => storage.conversations.create({ userId: bob })));
      const claimers = [storage, backend.secondProcess ?? storage];
      const results = await Promise.all(
        conversations.map((conversation, index) => claimers[index % 2]!.runs.begin({ runId: randomUUID(), conversationId: conversation.id, leaseMs: 60_000, userId: user, maxRunningPerUser: 3 })),
      );
      expect(results.filter((result) => result.ok)).toHaveLength(3);
      for (const result of results) if (!result.ok) expect(result).toEqual({ ok: false, reason: 'user_limit', running: 3 });
    });
  });

  describe('checkpointer', () => {
    it('persists a LangGraph interrupt and resumes it in a freshly compiled graph', async () => {
      const State = Annotation.Root({ steps: Annotation<string[]>({ reducer: (left, right) => [...left, ...right], default: () => [] }) });
      const checkpointer = await storage.checkpointer();
      const build = () =>
        new StateGraph(State)
          .addNode('ask', () => {
            const approved = interrupt({ question: 'scale web to 3?' });
            return { steps: [approved ? 'approved' : 'denied'] };
          })
          .addEdge(START, 'ask')
          .addEdge('ask', END)
          .compile({ checkpointer });
      const config = { configurable: { thread_id: randomUUID() } };
      const paused = await build().invoke({ steps: ['start'] }, config);
      expect((paused as { __interrupt__?: Array<{ value: unknown }> }).__interrupt__?.[0]?.value).toEqual({ question: 'scale web to 3?' });
      const resumed = await build().invoke(new Command({ resume: true }), config);
      expect(resumed.steps).toEqual(['start', 'approved']);
    });
  });

  it('answers ping', async () => {
    await expect(storage.ping()).resolves.toBeUndefined();
  });
});
