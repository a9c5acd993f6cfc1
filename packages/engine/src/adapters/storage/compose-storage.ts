import type { BaseCheckpointSaver } from '@langchain/langgraph-checkpoint';
import type { AuditRecordSigner } from '../../platform/crypto/audit-record-signer.ts';
import type { TimelineEntry } from '../../platform/ports/index.ts';
import type { EngineStorage } from '../../app/graph/checkpoints.ts';
import { appendUserEntry } from '../../domain/timeline/apply-event.ts';
import { createKeyedMutex } from './keyed-mutex.ts';
import { createAnalyticsReader } from './stores/analytics-reader.ts';
import { createApprovalStore } from './stores/approval-store.ts';
import { createAuditLog } from './stores/audit-log.ts';
import { createConversationStore } from './stores/conversation-store.ts';
import { createContinueChat, createStartChat } from './stores/start-chat.ts';
import type { SkyfloDatabase } from './database.ts';
import { createIntegrationStore } from './stores/integration-store.ts';
import { createApiTokenStore } from './stores/api-token-store.ts';
import { createWebhookStore } from './stores/webhook-store.ts';
import { createAlertQueueStore } from './stores/alert-queue-store.ts';
import { createScheduleStore } from './stores/schedule-store.ts';
import { createSimilarConversations } from './stores/similar-conversations.ts';
import { createDeviceKeyStore } from './stores/device-key-store.ts';
import { createPasskeyStore } from './stores/passkey-store.ts';
import { createFreezeStore, createPolicyStore } from './stores/policy-store.ts';
import { createRefreshTokenStore } from './stores/refresh-token-store.ts';
import { createRunStore } from './stores/run-store.ts';
import { createSettingsStore } from './stores/settings-store.ts';
import { createExternalMcpOauthStore } from './stores/external-mcp-oauth-store.ts';
import { createUserStore } from './stores/user-store.ts';
import type { LatestCheckpointCache } from './checkpoints/latest-checkpoint-cache.ts';
import type { TimelineCache } from './stores/timeline-cache.ts';

/** The driver-independent part: the same store code on PGlite and on Postgres. */
export function composeStorage(parts: {
  db: SkyfloDatabase;
  /** settles once the checkpointer's tables exist (deleting a conversation deletes its checkpoints) */
  checkpointer(): Promise<BaseCheckpointSaver>;
  /** the checkpointer's latest checkpoints (PGlite): a conversation's deletion, which deletes its checkpoints, drops them */
  latestCheckpoints?: LatestCheckpointCache;
  /** a PGlite this storage alone writes: each conversation's timeline as last written (timeline-cache.ts) */
  timelines?: TimelineCache;
  /** one connection running one statement at a time, no other process (PGlite): see RunStoreOptions */
  exclusiveConnection?: boolean;
  /** signs every audit record written and checks them on verify (the engine's audit key); absent: unsigned, unchecked */
  auditSigner?: AuditRecordSigner;
  ping(): Promise<void>;
  close(): Promise<void>;
}): EngineStorage {
  let closing: Promise<void> | undefined;
  // one queue per conversation for every writer of its timeline in this process: updateTimeline and continueChat
  const timelineLocks = createKeyedMutex();
  const conversations = createConversationStore(parts.db, { timelineLocks, ...(parts.timelines ? { timelines: parts.timelines } : {}) });
  const startChat = createStartChat(parts.db, { exclusiveConnection: parts.exclusiveConnection === true, auditSigner: parts.auditSigner });
  const continueChat = createContinueChat(parts.db, { exclusiveConnection: parts.exclusiveConnection === true, auditSigner: parts.auditSigner });
  return {
    // Nested transactions inside the stores (user-store's table locks) become savepoints of this one.
    atomically: (work) =>
      parts.db.transaction((tx) => {
        const bound = tx as unknown as SkyfloDatabase;
        return work({ users: createUserStore(bound), refreshTokens: createRefreshTokenStore(bound), audit: createAuditLog(bound, parts.auditSigner), settings: createSettingsStore(bound), integrations: createIntegrationStore(bound), passkeys: createPasskeyStore(bound), deviceKeys: createDeviceKeyStore(bound), policies: createPolicyStore(bound), freezes: createFreezeStore(bound) });
      }),
    conversations: {
      ...conversations,
      startChat: async (input) => {
        const started = await startChat(input);
        // A conversation created under a fresh id has no checkpoint: its run's first read is answered here (one round
        // trip fewer per new chat on PGlite, issue 38).
        if (started.ok) parts.latestCheckpoints?.created(started.conversation.id);
        // its timeline is what the statement wrote (start-chat.ts stringifies it the same way): the answer's write needs no read
        if (started.ok) parts.timelines?.set(started.conversation.id, JSON.stringify(input.timeline));
        return started;
      },
      // Queued with the conversation's other timeline writers (a verification's result may be written meanwhile). The
      // kept timeline (PGlite) is dropped before the statement and set again, with the entry, once it committed.
      continueChat: (input) =>
        timelineLocks.run(input.conversationId, async () => {
          const kept = input.entry ? parts.timelines?.get(input.conversationId) : undefined;
          if (kept !== undefined) parts.timelines!.drop(input.conversationId);
          const outcome = await continueChat(input);
          if (kept !== undefined) parts.timelines!.set(input.conversationId, outcome.ok ? JSON.stringify(appendUserEntry(JSON.parse(kept) as TimelineEntry[], input.entry!)) : kept);
          return outcome;
        }),
      // Its checkpoint rows go in the same transaction, so their tables must exist first.
      delete: async (id) => {
        await parts.checkpointer();
        const latest = parts.latestCheckpoints;
        if (!latest) return conversations.delete(id);
        return latest.writing(id, async () => ({ result: await conversations.delete(id) }));
      },
    },
    approvals: createApprovalStore(parts.db, { auditSigner: parts.auditSigner, exclusiveConnection: parts.exclusiveConnection === true }),
    runs: createRunStore(parts.db, { exclusiveConnection: parts.exclusiveConnection === true }),
    users: createUserStore(parts.db),
    refreshTokens: createRefreshTokenStore(parts.db),
    audit: createAuditLog(parts.db, parts.auditSigner),
    settings: createSettingsStore(parts.db),
    integrations: createIntegrationStore(parts.db),
    externalMcpOauth: createExternalMcpOauthStore(parts.db),
    analytics: createAnalyticsReader(parts.db),
    apiTokens: createApiTokenStore(parts.db),
    webhooks: createWebhookStore(parts.db),
    alertQueue: createAlertQueueStore(parts.db),
    schedules: createScheduleStore(parts.db),
    similarConversations: createSimilarConversations(parts.db),
    passkeys: createPasskeyStore(parts.db),
    deviceKeys: createDeviceKeyStore(parts.db),
    policies: createPolicyStore(parts.db),
    freezes: createFreezeStore(parts.db),
    checkpointer: parts.checkpointer,
    ping: parts.ping,
    close: () => (closing ??= parts.close()),
  };
}
