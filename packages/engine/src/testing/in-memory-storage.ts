/**
 * In-memory Storage for tests of the agent (the real adapters are PGlite/Postgres in storage/). Same contract, checked
 * by test/storage/conformance.test.ts like the SQL adapters: atomic approval transitions, serialised timeline updates,
 * pages newest first with the same cursor, leases, deletion taking approvals, runs and checkpoints with it, and a
 * MemorySaver checkpointer.
 */
import { randomUUID } from 'node:crypto';
import { globMatches } from '@skyflo/safety/patterns';
import { MemorySaver } from '@langchain/langgraph/web';
import { orphanedApprovedText, unknownOutcomeText } from '../adapters/storage/stores/approval-store.ts';
import { inMemoryVerificationMethods } from './in-memory-verification.ts';
import { ConversationIdTakenError } from '../platform/ports/conversation-id-taken-error.ts';
import { formatConversationCursor, parseConversationCursor } from '../platform/ports/conversation-cursor.ts';
import type { ApprovalRecord, ApprovalStore, Conversation, ConversationStore, PendingFilter, RunRecord, RunStore, TimelineEntry } from '../platform/ports/index.ts';
import type { AgentStorage } from '../app/graph/checkpoints.ts';

/** PendingFilter over an in-memory record (the requester stands in for the conversation's owner). */
function pendingVisible(record: ApprovalRecord, filter: PendingFilter): boolean {
  if (record.status !== 'awaiting') return false;
  if (filter.conversationId !== undefined && record.conversationId !== filter.conversationId) return false;
  // the call's cluster stands in for the conversation's pinned one
  if (filter.reach && record.requestedBy !== filter.reach.readerId && !filter.reach.clusters.some((pattern) => record.cluster !== undefined && globMatches(pattern, record.cluster.name))) return false;
  if (filter.conversationOwnerId === undefined || record.requestedBy === filter.conversationOwnerId) return true;
  return record.policy?.mode !== undefined && (filter.orRecordedPolicyModes ?? []).includes(record.policy.mode);
}

/** No audit trail here: the `audit` records decide and claimExecution are given are not kept (agent-only tests). */
export function createInMemoryApprovalStore(options: { runs?: RunStore & Partial<Pick<InMemoryRunStore, 'endDead'>> } = {}): ApprovalStore & { cancelOpen(conversationId: string): void } {
  const records = new Map<string, ApprovalRecord>();
  const key = (conversationId: string, callId: string) => `${conversationId}\u0000${callId}`;
  const copy = (record: ApprovalRecord | undefined) => (record ? structuredClone(record) : undefined);
  const transition = (conversationId: string, callId: string, from: ApprovalRecord['status'], change: Partial<ApprovalRecord>) => {
    const record = records.get(key(conversationId, callId));
    if (!record || record.status !== from) return undefined;
    Object.assign(record, change);
    return record;
  };
  return {
    ...inMemoryVerificationMethods(records, key, options),
    async request(input) {
      const existing = records.get(key(input.conversationId, input.callId));
      if (existing) return copy(existing)!;
      const record: ApprovalRecord = { ...structuredClone(input), status: 'awaiting', automatic: false, requestedAt: new Date() };
      records.set(key(input.conversationId, input.callId), record);
      return copy(record)!;
    },
    async get(conversationId, callId) {
      return copy(records.get(key(conversationId, callId)));
    },
    async decide({ conversationId, callId, approve, decidedBy, reason, automatic, autoRevert, decisionRunId }) {
      const record = transition(conversationId, callId, 'awaiting', {
        status: approve ? 'approved' : 'denied',
        decidedBy,
        reason,
        automatic: automatic === true,
        autoRevert: approve && autoRevert === true,
        decisionRunId,
        decidedAt: new Date(),
        ...(approve ? {} : { exactArgsSealed: undefined }),
      });
      return copy(record);
    },
    async claimExecution({ conversationId, callId, runId }) {
      return transition(conversationId, callId, 'approved', { status: 'executing', decisionRunId: runId }) !== undefined;
    },
    async markExecuted({ conversationId, callId, ok, unknown, runId, resultSummary }) {
      const change: Partial<ApprovalRecord> = { status: unknown ? 'unknown' : ok ? 'executed' : 'failed', resultSummary, executedAt: new Date(), exactArgsSealed: undefined };
      // its own run settles a row the reconciler closed as unknown (ApprovalStore.markExecuted)
      const current = records.get(key(conversationId, callId));
      if (runId !== undefined && current?.status === 'unknown' && current.decisionRunId === runId) return transition(conversationId, callId, 'unknown', change) !== undefined;
      return transition(conversationId, callId, 'executing', change) !== undefined;
    },
    async cancelAwaiting({ conversationId, callId, reason }) {
      return transition(conversationId, callId, 'awaiting', { status: 'cancelled', resultSummary: reason, executedAt: new Date(), exactArgsSealed: undefined }) !== undefined;
    },
    async failApproved({ conversationId, callId, reason }) {
      return transition(conversationId, callId, 'approved', { status: 'failed', resultSummary: reason, executedAt: new Date(), exactArgsSealed: undefined }) !== undefined;
    },
    async listForConversation(conversationId) {
      return [...records.values()].filter((record) => record.conversationId === conversationId).map((record) => copy(record)!);
    },
    async listPending(input = {}) {
      // No conversations here (agent-only tests): the requester stands in for the owner.
      const key = (record: { requestedAt: Date; conversationId: string; callId: string }) => [record.requestedAt.getTime(), record.conversationId, record.callId] as const;
      const before = (a: ReturnType<typeof key>, b: ReturnType<typeof key>) => a[0] !== b[0] ? a[0] < b[0] : a[1] !== b[1] ? a[1] < b[1] : a[2] < b[2];
      return [...records.values()]
        .filter((record) => pendingVisible(record, input) && (!input.after || before(key(input.after), key(record))))
        .sort((a, b) => (before(key(a), key(b)) ? -1 : 1))
        .slice(0, input.limit ?? 200)
        .map((record) => ({ ...copy(record)!, conversationTitle: '', conversationOwnerId: record.requestedBy ?? '' }));
    },
    async countPending(filter = {}) {
      return [...records.values()].filter((record) => pendingVisible(record, filter)).length;
    },
    cancelOpen(conversationId) {
      for (const record of records.values()) {
        if (record.conversationId !== conversationId) continue;
        if (record.status === 'awaiting' || record.status === 'approved') Object.assign(record, { status: 'cancelled', resultSummary: 'Cancelled: the conversation was deleted.' });
        delete record.exactArgsSealed;
        delete record.beforeSealed;
      }
    },
    async reconcileOrphans(reconcile = {}) {
      const conversationsOfDeadRuns = options.runs?.endDead?.(reconcile.everyRunIsDead === true) ?? [];
      const changed: ApprovalRecord[] = [];
      for (const record of records.values()) {
        if ((record.status !== 'approved' && record.status !== 'executing') || !record.decisionRunId || !options.runs) continue;
        const run = await options.runs.get(record.decisionRunId);
        if (run && run.status === 'running' && run.leaseUntil.getTime() >= Date.now()) continue;
        Object.assign(record, record.status === 'approved' ? { status: 'failed', resultSummary: orphanedApprovedText } : { status: 'unknown', resultSummary: unknownOutcomeText }, {
          executedAt: new Date(),
          exactArgsSealed: undefined,
        });
        changed.push(copy(record)!);
      }
      return { closed: changed, conversationsOfDeadRuns };
    },
  };
}

export function createInMemoryConversationStore(
  options: {
    approvals?: { cancelOpen(conversationId: string): void };
    runs?: { runningFor(conversationId: string): Promise<string[]>; forget(conversationId: string): void; finish(runId: string): Promise<void> };
    checkpointer?: MemorySaver;
  } = {},
): ConversationStore {
  const conversations = new Map<string, Conversation>();
  const deleted = new Set<string>();
  const locks = new Map<string, Promise<unknown>>();
  const copy = (conversation: Conversation | undefined) => (conversation ? structuredClone(conversation) : undefined);
  const store: ConversationStore = {
    async create({ id, userId, title, cluster }) {
      if (id !== undefined && (conversations.has(id) || deleted.has(id))) throw new ConversationIdTakenError(id);
      const now = new Date();
      const conversation: Conversation = { id: id ?? randomUUID(), userId, title: title ?? '', createdAt: now, updatedAt: now, isActive: true, metadata: {}, timeline: [], ...(cluster ? { cluster } : {}) };
      conversations.set(conversation.id, conversation);
      return copy(conversation)!;
    },
    async get(id) {
      return copy(conversations.get(id));
    },
    async list({ userId, limit, cursor, query }) {
      // Newest first by updated_at, then id (like the SQL stores); the title search is a literal, case-insensitive match.
      const after = cursor ? parseConversationCursor(cursor) : undefined;
      const newerFirst = (left: Conversation, right: Conversation) => right.updatedAt.getTime() - left.updatedAt.getTime() || (right.id < left.id ? -1 : right.id > left.id ? 1 : 0);
      const matching = [...conversations.values()]
        .filter((conversation) => conversation.userId === userId)
        .filter((conversation) => !query || conversation.title.toLowerCase().includes(query.toLowerCase()))
        .filter((conversation) => !after || conversation.updatedAt.getTime() < after.updatedAt.getTime() || (conversation.updatedAt.getTime() === after.updatedAt.getTime() && conversation.id < after.id))
        .sort(newerFirst);
      const page = matching.slice(0, limit);
      const last = page.at(-1);
      return {
        items: page.map(({ id, title, userId: owner, createdAt, updatedAt, cluster }) => ({ id, title, userId: owner, createdAt, updatedAt, ...(cluster ? { cluster } : {}) })),
        nextCursor: matching.length > limit && last ? formatConversationCursor({ updatedAt: last.updatedAt, id: last.id }) : null,
      };
    },
    async update(id, patch) {
      const conversation = conversations.get(id);
      if (!conversation) return undefined;
      const { cluster, ...rest } = patch;
      Object.assign(conversation, rest, { updatedAt: new Date() });
      // only a conversation without a cluster is pinned (as the SQL stores do)
      if (cluster !== undefined && conversation.cluster === undefined) conversation.cluster = cluster;
      return copy(conversation);
    },
    async setTitleIfEmpty(id, title) {
      const conversation = conversations.get(id);
      if (!conversation || conversation.title) return false;
      conversation.title = title;
      return true;
    },
    async delete(id) {
      if (!conversations.delete(id)) return undefined;
      deleted.add(id);
      options.approvals?.cancelOpen(id);
      await options.checkpointer?.deleteThread(id);
      const runningRunIds = (await options.runs?.runningFor(id)) ?? [];
      // its runs go with it (the SQL stores delete them by cascade); the caller stops the ones still going
      options.runs?.forget(id);
      return { runningRunIds };
    },
    async updateTimeline(id, change) {
      const previous = locks.get(id) ?? Promise.resolve();
      const next = previous.then(() => {
        const conversation = conversations.get(id);
        if (!conversation) return [] as TimelineEntry[];
        conversation.timeline = change(structuredClone(conversation.timeline));
        conversation.updatedAt = new Date();
        return structuredClone(conversation.timeline);
      });
      locks.set(id, next.catch(() => {}));
      return next;
    },
    async updateTimelineAndFinishRun(id, change, runId) {
      const after = await store.updateTimeline(id, change);
      await options.runs?.finish(runId);
      return after;
    },
  };
  return store;
}

/** Runs in one process: the same contract as storage/run-store.ts (one running run per conversation, leases). */
export type InMemoryRunStore = RunStore & {
  runningFor(conversationId: string): Promise<string[]>;
  forget(conversationId: string): void;
  /** ends the runs a reconciler finds dead (lease lapsed, or every running one) and returns their conversations */
  endDead(everyRunIsDead: boolean): string[];
};

export function createInMemoryRunStore(): InMemoryRunStore {
  const records = new Map<string, RunRecord>();
  const isLive = (record: RunRecord) => record.status === 'running' && record.leaseUntil.getTime() >= Date.now();
  return {
    async begin({ runId, conversationId, leaseMs, userId, maxRunningPerUser }) {
      // A run whose lease lapsed is over: it is marked finished as the conversation is claimed again, and named.
      let endedLapsedRun: string | undefined;
      for (const record of records.values()) {
        if (record.conversationId !== conversationId || record.status !== 'running' || isLive(record)) continue;
        Object.assign(record, { status: 'finished', finishedAt: new Date() });
        endedLapsedRun = record.runId;
      }
      const named = endedLapsedRun ? { endedLapsedRun } : {};
      const active = [...records.values()].find((record) => record.conversationId === conversationId && isLive(record));
      if (active) return { ok: false, reason: 'conversation_busy', active: structuredClone(active), ...named };
      if (userId !== undefined && maxRunningPerUser !== undefined) {
        const running = [...records.values()].filter((record) => record.userId === userId && isLive(record)).length;
        if (running >= maxRunningPerUser) return { ok: false, reason: 'user_limit', running, ...named };
      }
      records.set(runId, { runId, conversationId, ...(userId ? { userId } : {}), status: 'running', startedAt: new Date(), leaseUntil: new Date(Date.now() + leaseMs) });
      return { ok: true, ...named };
    },
    async renew(runId, leaseMs) {
      const record = records.get(runId);
      if (record?.status !== 'running') return false;
      record.leaseUntil = new Date(Date.now() + leaseMs);
      return true;
    },
    async finish(runId) {
      const record = records.get(runId);
      if (record?.status === 'running') Object.assign(record, { status: 'finished', finishedAt: new Date() });
    },
    async get(runId) {
      const record = records.get(runId);
      return record ? structuredClone(record) : undefined;
    },
    forget(conversationId) {
      for (const [runId, record] of records) if (record.conversationId === conversationId) records.delete(runId);
    },
    endDead(everyRunIsDead) {
      const ended = new Set<string>();
      for (const record of records.values()) {
        if (record.status !== 'running' || (isLive(record) && !everyRunIsDead)) continue;
        Object.assign(record, { status: 'finished', finishedAt: new Date() });
        ended.add(record.conversationId);
      }
      return [...ended];
    },
    async runningFor(conversationId) {
      return [...records.values()].filter((record) => record.conversationId === conversationId && isLive(record)).map((record) => record.runId);
    },
  };
}

export function createInMemoryStorage(): AgentStorage {
  const runs = createInMemoryRunStore();
  const approvals = createInMemoryApprovalStore({ runs });
  const checkpointer = new MemorySaver();
  return {
    conversations: createInMemoryConversationStore({ approvals, runs, checkpointer }),
    approvals,
    runs,
    checkpointer: async () => checkpointer,
    async ping() {},
    async close() {},
  };
}
