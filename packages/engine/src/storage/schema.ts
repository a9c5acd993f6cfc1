/**
 * The Drizzle schema shared by both drivers (PGlite and Postgres). Migrations in packages/engine/drizzle are
 * generated from this file with `npx drizzle-kit generate --config packages/engine/drizzle.config.ts`.
 */
import { sql } from 'drizzle-orm';
import { bigint, bigserial, boolean, index, integer, jsonb, pgTable, primaryKey, smallint, text, timestamp, uniqueIndex, uuid, varchar } from 'drizzle-orm/pg-core';

// Millisecond precision: pagination cursors carry JS Date ISO strings, which must compare equal to the stored value.
const instant = (name: string) => timestamp(name, { withTimezone: true, precision: 3 });

export const users = pgTable('users', {
  id: uuid('id').primaryKey().defaultRandom(),
  email: text('email').notNull().unique(),
  hashedPassword: text('hashed_password').notNull(),
  fullName: text('full_name'),
  role: varchar('role', { length: 20 }).notNull().default('member'),
  isActive: boolean('is_active').notNull().default(true),
  isSuperuser: boolean('is_superuser').notNull().default(false),
  isVerified: boolean('is_verified').notNull().default(false),
  // Bumped by a password change; access tokens carry it, so tokens issued before the change stop working.
  sessionVersion: integer('session_version').notNull().default(0),
  /** clusters and namespaces this member may touch (protocol memberScopeSchema); null = everything */
  scope: jsonb('scope').$type<{ clusters?: string[]; namespaces?: string[] }>(),
  createdAt: instant('created_at').notNull().defaultNow(),
  updatedAt: instant('updated_at').notNull().defaultNow(),
});

export const refreshTokens = pgTable(
  'refresh_tokens',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** sha-256 (hex) of the token; the token itself is never stored */
    tokenHash: text('token_hash').notNull().unique(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** every rotation keeps the family; reuse of a rotated token revokes the whole family */
    familyId: uuid('family_id').notNull(),
    expiresAt: instant('expires_at').notNull(),
    rotatedAt: instant('rotated_at'),
    revokedAt: instant('revoked_at'),
    createdAt: instant('created_at').notNull().defaultNow(),
  },
  (table) => [index('refresh_tokens_family_idx').on(table.familyId), index('refresh_tokens_user_idx').on(table.userId)],
);

export const conversations = pgTable(
  'conversations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    title: varchar('title', { length: 255 }).notNull().default(''),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    isActive: boolean('is_active').notNull().default(true),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    messagesJson: jsonb('messages_json').$type<unknown[]>().notNull().default([]),
    /** the cluster (kubeconfig context name) the conversation is pinned to; null for conversations from before clusters */
    cluster: text('cluster'),
    createdAt: instant('created_at').notNull().defaultNow(),
    updatedAt: instant('updated_at').notNull().defaultNow(),
  },
  (table) => [index('conversations_user_updated_idx').on(table.userId, table.updatedAt.desc(), table.id.desc())],
);

/** One row per timeline entry, mirrored from conversations.messages_json for analytics and search. */
export const messages = pgTable(
  'messages',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    conversationId: uuid('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    entryId: text('entry_id').notNull(),
    role: varchar('role', { length: 20 }).notNull(),
    content: text('content').notNull().default(''),
    sequence: integer('sequence').notNull(),
    messageMetadata: jsonb('message_metadata').$type<Record<string, unknown>>().notNull().default({}),
    tokenUsage: jsonb('token_usage').$type<Record<string, unknown>>(),
    createdAt: instant('created_at').notNull().defaultNow(),
  },
  (table) => [uniqueIndex('messages_conversation_entry_idx').on(table.conversationId, table.entryId)],
);

/**
 * The approval audit. No foreign key to conversations on purpose: who approved which exact call must
 * survive the deletion of the conversation it happened in.
 */
export const approvals = pgTable(
  'approvals',
  {
    conversationId: uuid('conversation_id').notNull(),
    callId: text('call_id').notNull(),
    runId: text('run_id').notNull(),
    tool: text('tool').notNull(),
    /** the arguments as shown to the approver: Secret values replaced by key, length and digest */
    args: jsonb('args').$type<Record<string, unknown>>().notNull(),
    /** sha-256 of the canonical JSON of {tool, exact args} */
    argsHash: text('args_hash').notNull(),
    /**
     * The exact arguments to execute, AES-256-GCM sealed (crypto/secret-box.ts) and bound to this row; cleared once
     * the call ran or was denied, cancelled or failed, so no clear copy of a proposed Secret outlives its decision.
     */
    exactArgsSealed: text('exact_args_sealed'),
    diff: text('diff'),
    /** sha-256 of the preview shown; the preview is re-run before execution and must still match */
    diffHash: text('diff_hash'),
    /** the pinned artifact (Helm chart archive) that will be installed, "sha256:<hex>" */
    artifactDigest: text('artifact_digest'),
    /** how relative arguments were made absolute before the approval was requested */
    resolution: jsonb('resolution').$type<string[]>().notNull().default([]),
    risks: jsonb('risks').$type<Array<{ code: string; message: string; severity: string }>>().notNull().default([]),
    destructive: boolean('destructive').notNull().default(false),
    policyReason: text('policy_reason'),
    /** the cluster the call changes, {name, server, label?}: bound into args_hash */
    cluster: jsonb('cluster').$type<{ name: string; server: string; label?: string }>(),
    /**
     * the namespace the call targets, when it has one; for a call whose objects reach further, every namespace it
     * writes ("staging,prod", "*" for cluster-scoped objects: approval-store.ts encodeNamespaces)
     */
    namespace: text('namespace'),
    /** the approval policy that applied (read_only | self | approver | four_eyes) and where it came from */
    policy: jsonb('policy').$type<{ mode: string; source: string }>(),
    /** the user whose chat proposed the call */
    requestedBy: uuid('requested_by'),
    /**
     * awaiting → approved|denied|cancelled; approved → executing → executed|failed; executing whose run died →
     * unknown (never re-run: the call may or may not have reached the cluster); approved whose run died → failed
     */
    status: varchar('status', { length: 20 }).notNull().default('awaiting'),
    decidedBy: text('decided_by'),
    reason: text('reason'),
    /** approved by `skyflo chat --approve-all` (evaluation only) */
    automatic: boolean('automatic').notNull().default(false),
    /** the run started by the decision, which executes an approved call */
    decisionRunId: text('decision_run_id'),
    requestedAt: instant('requested_at').notNull().defaultNow(),
    decidedAt: instant('decided_at'),
    executedAt: instant('executed_at'),
    resultSummary: text('result_summary'),
    /**
     * Verify, then undo (issue 21, migration 0009). The before-state of what the call changes, with the exact inverse
     * call that restores it and the call's exact arguments (for a verification resumed after a restart), sealed like
     * the exact arguments and bound to this row; erased with the conversation.
     */
    beforeSealed: text('before_sealed'),
    /** the inverse as shown (redacted args, summary, preview diff) and its args hash */
    undo: jsonb('undo').$type<Record<string, unknown>>(),
    /** this call is the undo (or automatic revert) of that call id */
    undoOf: text('undo_of'),
    /** approved with automatic revert */
    autoRevert: boolean('auto_revert').notNull().default(false),
    /** verifying | verified | regressed | reverted_by_controller | timed_out | not_applicable; null: never verified */
    verificationOutcome: varchar('verification_outcome', { length: 30 }),
    /** summary, evidence (redacted), controller, started/finished/deadline ms, auto_revert_call_id */
    verification: jsonb('verification').$type<Record<string, unknown>>(),
    /** a verification resumed after a restart is held by one process until then */
    verificationLeaseUntil: instant('verification_lease_until'),
  },
  (table) => [
    primaryKey({ columns: [table.conversationId, table.callId] }),
    index('approvals_status_idx').on(table.status),
    index('approvals_verification_idx').on(table.verificationOutcome),
  ],
);

/**
 * Ids of deleted conversations. Why: a conversation id is never reused — a client-chosen id that ever existed is
 * refused, so nobody can re-create a deleted conversation to inherit what referred to it.
 */
export const conversationTombstones = pgTable('conversation_tombstones', {
  id: uuid('id').primaryKey(),
  userId: uuid('user_id').notNull(),
  deletedAt: instant('deleted_at').notNull().defaultNow(),
});

/**
 * Agent runs, so every engine process can tell whether a conversation is busy and whether a run id exists. The
 * partial unique index is the cross-process guard: at most one `running` row per conversation. `lease_until` is
 * renewed while the run works, so a run whose process died stops blocking its conversation once the lease lapses.
 */
export const runs = pgTable(
  'runs',
  {
    runId: uuid('run_id').primaryKey(),
    conversationId: uuid('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    /** who started it (the per-user limit on concurrent runs counts these) */
    userId: uuid('user_id'),
    status: varchar('status', { length: 20 }).notNull().default('running'),
    startedAt: instant('started_at').notNull().defaultNow(),
    finishedAt: instant('finished_at'),
    leaseUntil: instant('lease_until').notNull(),
  },
  (table) => [
    uniqueIndex('runs_one_running_per_conversation_idx').on(table.conversationId).where(sql`${table.status} = 'running'`),
    index('runs_conversation_idx').on(table.conversationId),
    index('runs_running_user_idx').on(table.userId).where(sql`${table.status} = 'running'`),
  ],
);

/** The audit trail: who asked, what was proposed, approved and run, logins, team and settings changes. Append-only. */
export const auditEvents = pgTable(
  'audit_events',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    // Why: `at` has millisecond precision, so two events in one millisecond would tie; the sequence is the
    // order in which the rows were written, which is what "newest first" means for an audit trail.
    sequence: bigserial('sequence', { mode: 'number' }).notNull(),
    at: instant('at').notNull().defaultNow(),
    actorId: uuid('actor_id'),
    action: text('action').notNull(),
    subjectType: text('subject_type'),
    subjectId: text('subject_id'),
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
    ip: text('ip'),
    /** the conversation and tool the record is about, as columns so GET /audit can filter on them */
    conversationId: uuid('conversation_id'),
    tool: text('tool'),
    /**
     * The hash chain (audit/audit-chain.ts): sha-256 over the canonical JSON of the record plus prev_hash. NULL only
     * on rows written before migration 0006, which predate the chain. A trigger refuses UPDATE, DELETE and TRUNCATE.
     */
    prevHash: text('prev_hash'),
    hash: text('hash'),
    /** `<key id>.<Ed25519 signature>` over the record's content digest (migration 0011 on): written by the engine */
    signature: text('signature'),
  },
  (table) => [
    index('audit_events_at_idx').on(table.at.desc()),
    uniqueIndex('audit_events_sequence_idx').on(table.sequence),
    index('audit_events_actor_idx').on(table.actorId, table.sequence),
    index('audit_events_conversation_idx').on(table.conversationId, table.sequence),
    index('audit_events_tool_idx').on(table.tool, table.sequence),
    index('audit_events_action_idx').on(table.action, table.sequence),
  ],
);

/**
 * The audit chain's head (one row, migration 0011): an append updates it and inserts the record in one statement, so
 * the row lock, held only until that statement's transaction ends, is what orders the chain across engine processes.
 * `signed_from` (not writable by the serving role) is where the signed format starts.
 */
export const auditChainHead = pgTable('audit_chain_head', {
  id: smallint('id').primaryKey().default(1),
  sequence: bigint('sequence', { mode: 'number' }).notNull(),
  prevHash: text('prev_hash').notNull(),
  hash: text('hash').notNull(),
  signedFrom: bigint('signed_from', { mode: 'number' }).notNull(),
});

/**
 * Small engine-wide facts and settings by key (JSON values), e.g. the check that every engine process of an
 * installation uses the same encryption key, and runtime settings an admin changes from the UI.
 */
export const settings = pgTable('settings', {
  key: text('key').primaryKey(),
  value: jsonb('value').$type<unknown>().notNull(),
  updatedAt: instant('updated_at').notNull().defaultNow(),
});

/**
 * External systems the agent may use (Jenkins). `credentials_sealed` holds what the credential vault returned: the
 * credentials sealed with the engine's encryption key (AES-256-GCM, bound to the row id), or, with
 * INTEGRATIONS_BACKEND=kubernetes, `k8s:<namespace>/<secret>`. Only the token's last four characters are in clear.
 */
export const integrations = pgTable('integrations', {
  id: uuid('id').primaryKey().defaultRandom(),
  provider: varchar('provider', { length: 40 }).notNull(),
  name: text('name').notNull(),
  apiUrl: text('api_url').notNull(),
  username: text('username').notNull(),
  credentialsSealed: text('credentials_sealed').notNull(),
  tokenLast4: varchar('token_last4', { length: 4 }).notNull(),
  status: varchar('status', { length: 20 }).notNull().default('active'),
  /** Prometheus/Loki data sources (issue 36): the cluster served; null = every cluster */
  cluster: text('cluster'),
  createdBy: uuid('created_by'),
  createdAt: instant('created_at').notNull().defaultNow(),
  updatedAt: instant('updated_at').notNull().defaultNow(),
});

/**
 * API tokens for automation (POST /auth/tokens): only the sha-256 of the token is stored; `prefix` (its first
 * characters) tells tokens apart in lists. A token acts as its owner, within its scopes.
 */
export const apiTokens = pgTable(
  'api_tokens',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    tokenHash: text('token_hash').notNull().unique(),
    prefix: varchar('prefix', { length: 16 }).notNull(),
    scopes: jsonb('scopes').$type<string[]>().notNull(),
    expiresAt: instant('expires_at').notNull(),
    lastUsedAt: instant('last_used_at'),
    revokedAt: instant('revoked_at'),
    createdAt: instant('created_at').notNull().defaultNow(),
  },
  (table) => [index('api_tokens_user_idx').on(table.userId)],
);

/**
 * Outgoing webhooks (integrations with provider "webhook"): where team events are POSTed, which ones, and the signing
 * secret sealed with the engine's encryption key (bound to the row id and URL); only its last four characters in clear.
 */
export const webhooks = pgTable('webhooks', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull(),
  url: text('url').notNull(),
  events: jsonb('events').$type<string[]>().notNull(),
  secretSealed: text('secret_sealed').notNull(),
  secretLast4: varchar('secret_last4', { length: 4 }).notNull(),
  status: varchar('status', { length: 20 }).notNull().default('active'),
  createdBy: uuid('created_by'),
  createdAt: instant('created_at').notNull().defaultNow(),
  updatedAt: instant('updated_at').notNull().defaultNow(),
});

/** One outgoing webhook delivery (an event sent to an integration with provider "webhook"), with its attempts. */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    integrationId: uuid('integration_id')
      .notNull()
      .references(() => webhooks.id, { onDelete: 'cascade' }),
    event: varchar('event', { length: 60 }).notNull(),
    /** the JSON body sent (redacted arguments only; never secrets) */
    body: text('body').notNull(),
    status: varchar('status', { length: 20 }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    responseStatus: integer('response_status'),
    lastError: text('last_error'),
    createdAt: instant('created_at').notNull().defaultNow(),
    deliveredAt: instant('delivered_at'),
  },
  (table) => [index('webhook_deliveries_integration_idx').on(table.integrationId, table.createdAt)],
);

/**
 * Alert investigations waiting for a free slot (ALERT_MAX_CONCURRENT_INVESTIGATIONS), oldest first; bounded by
 * ALERT_QUEUE_LIMIT. In the database so a restart resumes them; a row is removed when an engine starts it.
 */
export const alertQueue = pgTable('alert_queue', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  userId: uuid('user_id')
    .notNull()
    .references(() => users.id, { onDelete: 'cascade' }),
  conversationId: uuid('conversation_id')
    .notNull()
    .references(() => conversations.id, { onDelete: 'cascade' }),
  title: text('title').notNull(),
  /** what the model is told (the alert text, already redacted) */
  message: text('message').notNull(),
  createdAt: instant('created_at').notNull().defaultNow(),
});

export const schema = { users, refreshTokens, conversations, conversationTombstones, messages, approvals, runs, auditEvents, settings, integrations, apiTokens, webhooks, webhookDeliveries, alertQueue };
