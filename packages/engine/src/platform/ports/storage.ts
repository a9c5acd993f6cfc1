/** What the engine persists, composed from the aggregates: the agent's Storage and the PlatformStorage createStorage returns. */
import type { RefreshTokenStore, UserStore } from './accounts.ts';
import type { ConversationStore } from './conversations.ts';
import type { ApprovalStore } from './approvals.ts';
import type { RunStore } from './runs.ts';
import type { AuditLog, AuditTrail } from './audit.ts';
import type { ExpiringSettings, SettingsStore } from './settings.ts';
import type { ExternalMcpOauthStore, IntegrationStore } from './integrations.ts';
import type { AnalyticsReader } from './analytics.ts';
import type { ApiTokenStore } from './api-tokens.ts';
import type { WebhookStore } from './webhooks.ts';
import type { AlertQueueStore } from './alert-queue.ts';
import type { PasskeyStore } from './passkeys.ts';
import type { DeviceKeyStore } from './device-keys.ts';
import type { FreezeStore, PolicyStore } from './policies.ts';
import type { ScheduleStore } from './schedules.ts';
import type { SimilarConversations } from './similar-conversations.ts';

/**
 * Everything persistent, built by adapters/storage/create-storage.ts from config (PGlite or Postgres). The graph's
 * checkpoints on the same database are the app's port (app/graph/checkpoints.ts), so this floor needs no LangGraph.
 */
export interface Storage {
  conversations: ConversationStore;
  approvals: ApprovalStore;
  runs: RunStore;
  /** `SELECT 1` round trip, for /health/database */
  ping(): Promise<void>;
  /** the database in words for messages, without credentials ("Postgres at db.internal:5432/skyflo"); absent: "the database" */
  label?: string;
  close(): Promise<void>;
}

/** Stores bound to one database transaction (PlatformStorage.atomically): all their writes commit or none. */
export interface TransactionalStores {
  users: UserStore;
  refreshTokens: RefreshTokenStore;
  audit: AuditLog;
  settings: SettingsStore;
  integrations: IntegrationStore;
  passkeys: PasskeyStore;
  deviceKeys: DeviceKeyStore;
  policies: PolicyStore;
  freezes: FreezeStore;
}

/** Storage plus the account tables: what createStorage returns and the platform routes need. */
export interface PlatformStorage extends Storage {
  users: UserStore;
  refreshTokens: RefreshTokenStore;
  audit: AuditTrail;
  settings: SettingsStore & ExpiringSettings;
  /**
   * Runs `work` in one database transaction with stores bound to it: an admin action and its audit record commit
   * together or not at all.
   */
  atomically<T>(work: (stores: TransactionalStores) => Promise<T>): Promise<T>;
  /** stored usage for GET /analytics/metrics */
  analytics: AnalyticsReader;
  integrations: IntegrationStore;
  /** issue 77: external MCP servers' sealed OAuth credentials, per authorization server */
  externalMcpOauth: ExternalMcpOauthStore;
  /** API tokens for automation (issue 24) */
  apiTokens: ApiTokenStore;
  /** outgoing webhooks and their deliveries (issue 24) */
  webhooks: WebhookStore;
  /** alert investigations waiting for a free slot (survives a restart) */
  alertQueue: AlertQueueStore;
  /** scheduled checks and their runs (issue 81) */
  schedules: ScheduleStore;
  /** past conversations like a new one, by full text (issue 81 item 4) */
  similarConversations: SimilarConversations;
  /** WebAuthn credentials for passkey approvals (issue 35) */
  passkeys: PasskeyStore;
  /** the terminal's Ed25519 approval keys (issue 35) */
  deviceKeys: DeviceKeyStore;
  /** policies as code (issue 76) */
  policies: PolicyStore;
  /** change freezes (issue 76) */
  freezes: FreezeStore;
}
