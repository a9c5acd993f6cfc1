/**
 * In-memory Storage for tests of the agent (the real adapters are PGlite/Postgres in storage/). Same contract:
 * atomic approval transitions, serialised timeline updates, and a MemorySaver checkpointer.
 */
import { randomUUID } from 'node:crypto';
import { MemorySaver } from '@langchain/langgraph';
import type { ApprovalRecord, ApprovalStore, Conversation, ConversationStore, RunRecord, RunStore, Storage, TimelineEntry } from '../ports/index.ts';

export function createInMemoryApprovalStore(): ApprovalStore {
  const records = new Map<string, ApprovalRecord>();
  const key = (conversationId: string, callId: string) => `${conversationId}\u0000${callId}`;
  const copy = (record: ApprovalRecord | undefined) => (record ? structuredClone(record) : undefined);
  return {
    async request(input) {
      const existing = records.get(key(input.conversationId, input.callId));
      if (existing) return copy(existing)!;
      const record: ApprovalRecord = { ...structuredClone(input), status: 'awaiting', requestedAt: new Date() };
      records.set(key(input.conversationId, input.callId), record);
      return copy(record)!;
    },
    async get(conversationId, callId) {
      return copy(records.get(key(conversationId, callId)));
    },
    async decide({ conversationId, callId, approve, decidedBy, reason }) {
      const record = records.get(key(conversationId, callId));
      if (!record || record.status !== 'awaiting') return undefined;
      Object.assign(record, { status: approve ? 'approved' : 'denied', decidedBy, reason, decidedAt: new Date() });
      return copy(record);
    },
    async claimExecution({ conversationId, callId }) {
      const record = records.get(key(conversationId, callId));
      if (!record || record.status !== 'approved') return false;
      record.status = 'executing';
      return true;
    },
    async markExecuted({ conversationId, callId, ok, resultSummary }) {
      const record = records.get(key(conversationId, callId));
      if (!record || record.status !== 'executing') return false;
      Object.assign(record, { status: ok ? 'executed' : 'failed', resultSummary, executedAt: new Date() });
      return true;
    },
    async listForConversation(conversationId) {
      return [...records.values()].filter((record) => record.conversationId === conversationId).map((record) => copy(record)!);
    },
  };
}

export function createInMemoryConversationStore(): ConversationStore {
  const conversations = new Map<string, Conversation>();
  const locks = new Map<string, Promise<unknown>>();
  const copy = (conversation: Conversation | undefined) => (conversation ? structuredClone(conversation) : undefined);
  return {
    async create({ id, userId, title }) {
      const now = new Date();
      const conversation: Conversation = { id: id ?? randomUUID(), userId, title: title ?? '', createdAt: now, updatedAt: now, isActive: true, metadata: {}, timeline: [] };
      conversations.set(conversation.id, conversation);
      return copy(conversation)!;
    },
    async get(id) {
      return copy(conversations.get(id));
    },
    async list({ userId, limit }) {
      const items = [...conversations.values()].filter((conversation) => conversation.userId === userId).slice(0, limit);
      return { items: items.map(({ id, title, userId: owner, createdAt, updatedAt }) => ({ id, title, userId: owner, createdAt, updatedAt })), nextCursor: null };
    },
    async update(id, patch) {
      const conversation = conversations.get(id);
      if (!conversation) return undefined;
      Object.assign(conversation, patch, { updatedAt: new Date() });
      return copy(conversation);
    },
    async setTitleIfEmpty(id, title) {
      const conversation = conversations.get(id);
      if (!conversation || conversation.title) return false;
      conversation.title = title;
      return true;
    },
    async delete(id) {
      return conversations.delete(id);
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
  };
}

/** Runs in one process: the same contract as storage/run-store.ts (one running run per conversation, leases). */
export function createInMemoryRunStore(): RunStore {
  const records = new Map<string, RunRecord>();
  const isLive = (record: RunRecord) => record.status === 'running' && record.leaseUntil.getTime() >= Date.now();
  return {
    async begin({ runId, conversationId, leaseMs }) {
      const active = [...records.values()].find((record) => record.conversationId === conversationId && isLive(record));
      if (active) return { ok: false, active: structuredClone(active) };
      records.set(runId, { runId, conversationId, status: 'running', startedAt: new Date(), leaseUntil: new Date(Date.now() + leaseMs) });
      return { ok: true };
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
  };
}

export function createInMemoryStorage(): Storage {
  return {
    conversations: createInMemoryConversationStore(),
    approvals: createInMemoryApprovalStore(),
    runs: createInMemoryRunStore(),
    checkpointer: new MemorySaver(),
    async ping() {},
    async close() {},
  };
}
