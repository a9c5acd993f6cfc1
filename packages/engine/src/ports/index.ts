/**
 * The engine's ports: small interfaces that the workflow and HTTP layers depend on. Adapters live in
 * storage/ (PGlite or Postgres through Drizzle), bus/ (in-process or Redis) and llm/; each port has an
 * in-memory implementation for tests. The choice of adapter is made once, in create-engine.ts.
 */
import type { RiskFlag, TimelineEntry } from '@skyflo/protocol';
import type { BaseCheckpointSaver } from '@langchain/langgraph-checkpoint';

/** admin: everything; approver: decides mutating calls (APPROVAL_POLICY=approver); member: chats and decides own calls in self mode. */
export type Role = 'admin' | 'approver' | 'member';
export const roleNames: readonly Role[] = ['admin', 'approver', 'member'];

export interface User {
  id: string;
  email: string;
  fullName: string | null;
  role: Role;
  isActive: boolean;
  isSuperuser: boolean;
  isVerified: boolean;
  createdAt: Date;
  /** bumped when the password changes; access tokens carry it, so older ones stop working */
  sessionVersion: number;
}

/** The caller of a request, set by the auth hook on every non-public route (request.user). */
export interface AuthenticatedUser {
  id: string;
  email: string;
  role: Role;
}

// The timeline entry types are part of the API (GET /conversations/:id `messages`): they live in the protocol.
export type { TimelineEntry, TimelineSegment, ToolExecutionRecord, ToolStatus } from '@skyflo/protocol';

export interface ConversationSummary {
  id: string;
  title: string;
  userId: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface Conversation extends ConversationSummary {
  isActive: boolean;
  metadata: Record<string, unknown>;
  timeline: TimelineEntry[];
}

export interface ConversationStore {
  /**
   * `welcome` adds the reference's system welcome message as a `messages` row (role "system", sequence -1, before
   * every timeline entry). It is not a timeline entry: spec §4's timeline has only user and assistant entries, and
   * clients render `messages_json` as is.
   */
  /** Throws ConversationIdTakenError when a client-chosen `id` exists or ever existed (ids are never reused). */
  create(input: { id?: string; userId: string; title?: string; welcome?: string }): Promise<Conversation>;
  /** undefined when it does not exist (ownership is checked by the caller) */
  get(id: string): Promise<Conversation | undefined>;
  list(input: { userId: string; limit: number; cursor?: string; query?: string }): Promise<{ items: ConversationSummary[]; nextCursor: string | null }>;
  update(id: string, patch: { title?: string; isActive?: boolean; metadata?: Record<string, unknown> }): Promise<Conversation | undefined>;
  /** Sets the title only if it is still empty; returns true when it did. */
  setTitleIfEmpty(id: string, title: string): Promise<boolean>;
  /**
   * Deletes the conversation and everything that could outlive it, in one transaction: its timeline and messages,
   * its runs, its workflow checkpoints (which hold the model's context), and the decisions still open on it
   * (awaiting or approved calls become cancelled; sealed arguments are erased). The id is kept as a tombstone so it
   * is never reused. Approval rows stay as the audit record. Returns the ids of runs that were still running (the
   * caller stops them), or undefined when the conversation did not exist.
   */
  delete(id: string): Promise<{ runningRunIds: string[] } | undefined>;
  /**
   * Read-modify-write of the timeline under a per-conversation lock (or a row lock on Postgres), so events
   * from two engine processes never overwrite each other. Also mirrors entries into the messages table.
   */
  updateTimeline(id: string, change: (timeline: TimelineEntry[]) => TimelineEntry[]): Promise<TimelineEntry[]>;
}

/** A risk found in a mutating call, shown on the approval card (protocol riskFlagSchema). */
export type { RiskFlag } from '@skyflo/protocol';

/** One approval decision: the audit row tying requester, approver, exact call, diff and outcome together. */
export interface ApprovalRecord {
  conversationId: string;
  callId: string;
  runId: string;
  tool: string;
  /** the arguments as shown to the approver (Secret values replaced by key, length and digest) */
  args: Record<string, unknown>;
  /** sha-256 of the canonical JSON of {tool, exact args}: what the approval is bound to */
  argsHash: string;
  /** the exact arguments, sealed with the engine's encryption key; absent once the call is decided and done */
  exactArgsSealed?: string;
  diff?: string;
  /** sha-256 of the preview shown; the preview is re-run before execution and must still match */
  diffHash?: string;
  /** the pinned artifact that will be installed (a Helm chart archive), "sha256:<hex>" */
  artifactDigest?: string;
  /** how relative arguments were made absolute before approval */
  resolution: string[];
  risks: RiskFlag[];
  /** the call can lose data or take a service down (scale to 0, delete, uninstall, drain), judged from its arguments */
  destructive: boolean;
  /** why the approval policy requires a human */
  policyReason?: string;
  /** the user whose chat proposed the call */
  requestedBy?: string;
  /**
   * awaiting → approved|denied|cancelled (conversation deleted); approved → executing (claimed, just before the tool
   * runs) → executed|failed; approved whose run died → failed; executing whose run died → unknown (never re-run)
   */
  status: 'awaiting' | 'approved' | 'denied' | 'cancelled' | 'executing' | 'executed' | 'failed' | 'unknown';
  decidedBy?: string;
  reason?: string;
  /** approved by `skyflo chat --approve-all` */
  automatic: boolean;
  /** the run that executes (or was to execute) an approved call */
  decisionRunId?: string;
  requestedAt: Date;
  decidedAt?: Date;
  executedAt?: Date;
  resultSummary?: string;
}

export interface PendingApprovalRecord extends ApprovalRecord {
  conversationTitle: string;
  conversationOwnerId: string;
  requester?: { email: string; name: string | null };
}

export type NewApproval = Omit<ApprovalRecord, 'status' | 'requestedAt' | 'decidedBy' | 'reason' | 'automatic' | 'decisionRunId' | 'decidedAt' | 'executedAt' | 'resultSummary'>;

export interface ApprovalStore {
  /** Creates the awaiting row (idempotent per conversation+callId). */
  request(record: NewApproval): Promise<ApprovalRecord>;
  get(conversationId: string, callId: string): Promise<ApprovalRecord | undefined>;
  /**
   * Atomically moves awaiting → approved/denied and records the run that will act on the decision. Returns undefined
   * when the row is not awaiting (already decided, or never requested), so a second approval executes nothing. A
   * denial clears the sealed exact arguments.
   */
  decide(input: { conversationId: string; callId: string; approve: boolean; decidedBy: string; reason?: string; automatic?: boolean; decisionRunId: string }): Promise<ApprovalRecord | undefined>;
  /**
   * Atomically moves approved → executing for `runId`, just before the tool runs; returns false when the call is not
   * approved-and-unclaimed. Only the winner executes, so a call runs at most once even if two runs resume it.
   */
  claimExecution(input: { conversationId: string; callId: string; runId: string }): Promise<boolean>;
  /** Atomically moves executing → executed/failed and clears the sealed arguments; false when it was not claimed-and-unfinished. */
  markExecuted(input: { conversationId: string; callId: string; ok: boolean; resultSummary?: string }): Promise<boolean>;
  /** Moves an approved (never claimed) call to failed with a reason and clears its sealed arguments; false when it was not approved. */
  failApproved(input: { conversationId: string; callId: string; reason: string }): Promise<boolean>;
  listForConversation(conversationId: string): Promise<ApprovalRecord[]>;
  /** Calls awaiting a decision, oldest first, with their conversation and requester; only one owner's when given. */
  listPending(filter?: { conversationOwnerId?: string; limit?: number }): Promise<PendingApprovalRecord[]>;
  /**
   * Closes decisions whose run died (its lease lapsed or it finished without acting): approved-but-unclaimed → failed,
   * executing → unknown. Returns the records it changed, so their conversations can show what happened.
   * `everyRunIsDead`: this process has the database to itself and just started (PGlite's data-dir lock), so every
   * run still marked running died with the previous process; they are ended first, leases notwithstanding.
   */
  reconcileOrphans(options?: { everyRunIsDead?: boolean }): Promise<ApprovalRecord[]>;
  /** Replaces the result text of a call whose outcome is unknown (adds what the cluster shows now); false otherwise. */
  noteUnknownOutcome?(input: { conversationId: string; callId: string; resultSummary: string }): Promise<boolean>;
}

/** One agent run (a chat turn, or the resumption after an approval decision). */
export interface RunRecord {
  runId: string;
  conversationId: string;
  userId?: string;
  status: 'running' | 'finished';
  startedAt: Date;
  finishedAt?: Date;
  /** a running run whose lease has passed belongs to a process that died; it no longer blocks its conversation */
  leaseUntil: Date;
}

/** The record of runs that every engine process shares: the one-run-per-conversation guard and run lookups. */
export interface RunStore {
  /**
   * Claims the conversation for a new running run, atomically across processes. When another run holds it
   * (and its lease is live), nothing is written and that run is returned instead.
   */
  begin(input: { runId: string; conversationId: string; leaseMs: number; userId?: string; maxRunningPerUser?: number }): Promise<
    { ok: true } | { ok: false; reason: 'conversation_busy'; active: RunRecord } | { ok: false; reason: 'user_limit'; running: number }
  >;
  /** Extends a running run's lease; false when it is no longer running. */
  renew(runId: string, leaseMs: number): Promise<boolean>;
  /** Marks the run finished, which frees its conversation for the next run. */
  finish(runId: string): Promise<void>;
  get(runId: string): Promise<RunRecord | undefined>;
}

/** Everything persistent, built by storage/create-storage.ts from config (PGlite or Postgres). */
export interface Storage {
  conversations: ConversationStore;
  approvals: ApprovalStore;
  runs: RunStore;
  /**
   * LangGraph checkpointer on the same database (PostgresSaver; on PGlite through the pool adapter). A promise
   * because its library is loaded after start-up (~0.5 s of imports that only the agent needs).
   */
  checkpointer(): Promise<BaseCheckpointSaver>;
  /** `SELECT 1` round trip, for /health/database */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** A published run event. `index` is per-run and monotonically increasing (shared by SSE ids and replay). */
export interface BusMessage {
  index: number;
  event: string;
  data: Record<string, unknown>;
}

/**
 * The event bus port: one channel per run, plus stop flags in the same place (so a stop posted to
 * any engine process reaches the process running the workflow). Adapters: in-process and Redis.
 */
/** The bus's own view of its backend, for /health. */
export type BusHealth = { status: 'ok' } | { status: 'error'; detail: string };

export interface EventBus {
  /**
   * Publishes to every subscriber of the run (in any process). Throws BusPublishError when the backend fails;
   * `deliveredLocally` then says whether this process's own subscribers still got the message.
   */
  publish(runId: string, event: string, data: Record<string, unknown>): Promise<BusMessage>;
  /** Delivers messages with index > afterIndex (buffered ones first), then live ones, until unsubscribed. */
  subscribe(runId: string, onMessage: (message: BusMessage) => void, options?: { afterIndex?: number }): Promise<() => Promise<void>>;
  requestStop(runId: string): Promise<void>;
  isStopRequested(runId: string): Promise<boolean>;
  /** Resolves/aborts `signal` consumers when a stop for runId arrives (from any process). */
  onStop(runId: string, callback: () => void): Promise<() => Promise<void>>;
  health(): BusHealth;
  close(): Promise<void>;
}

// ---- Accounts (added by the platform stream; additive: Storage above is unchanged) ----

/** A user row including the password hash; only accounts/ ever sees this shape. */
export interface UserWithPassword extends User {
  hashedPassword: string;
}

export interface UserStore {
  /**
   * Creates a user atomically with the "first user becomes admin" rule: the very first account is admin,
   * superuser and verified; later ones are members, and are refused when `allowWhenUsersExist` is false.
   */
  create(input: { email: string; hashedPassword: string; fullName?: string | null; allowWhenUsersExist: boolean }): Promise<
    { ok: true; user: User } | { ok: false; reason: 'email_taken' | 'registration_closed' }
  >;
  findByEmail(email: string): Promise<UserWithPassword | undefined>;
  findById(id: string): Promise<UserWithPassword | undefined>;
  updateProfile(id: string, patch: { email?: string; fullName?: string | null }): Promise<{ ok: true; user: User } | { ok: false; reason: 'email_taken' | 'not_found' }>;
  setPassword(id: string, hashedPassword: string): Promise<void>;
  count(): Promise<number>;
  /** Every account (active ones only unless asked), oldest first. */
  list(options?: { includeInactive?: boolean }): Promise<User[]>;
  /**
   * Team administration: creates an account with a role and an initial password, or reactivates a removed one
   * (new password and role; older sessions stay ended). Refused when an active account has the email.
   */
  addMember(input: { email: string; hashedPassword: string; fullName?: string | null; role: Role }): Promise<
    { ok: true; user: User; reactivated: boolean } | { ok: false; reason: 'email_taken' }
  >;
  /**
   * An admin's change to an account's role or activity. Refused with 'last_admin' when it would leave no active
   * admin (checked atomically with the update, so two admins demoting each other cannot both succeed).
   */
  updateAccess(id: string, patch: { role?: Role; isActive?: boolean; fullName?: string | null }): Promise<
    { ok: true; user: User } | { ok: false; reason: 'not_found' | 'last_admin' }
  >;
}

export interface RefreshTokenRecord {
  id: string;
  tokenHash: string;
  userId: string;
  familyId: string;
  expiresAt: Date;
  rotatedAt?: Date;
  revokedAt?: Date;
  createdAt: Date;
}

export interface RefreshTokenStore {
  insert(input: { tokenHash: string; userId: string; familyId: string; expiresAt: Date }): Promise<RefreshTokenRecord>;
  findByHash(tokenHash: string): Promise<RefreshTokenRecord | undefined>;
  /** Atomically marks a live token rotated; false when it was already rotated or revoked (i.e. reuse). */
  markRotated(id: string): Promise<boolean>;
  /** Revokes every token of the family; returns how many were still live. */
  revokeFamily(familyId: string): Promise<number>;
  revokeAllForUser(userId: string): Promise<number>;
}

export interface AuditEvent {
  id: string;
  at: Date;
  actorId?: string;
  action: string;
  subjectType?: string;
  subjectId?: string;
  /** never secrets: callers pass display forms (redacted arguments, digests, last 4 characters) */
  details: Record<string, unknown>;
  ip?: string;
  /** the conversation the record is about (default: details.conversation_id when it is a UUID) */
  conversationId?: string;
  /** the tool the record is about (default: details.tool when it is a string) */
  tool?: string;
}

/** What a caller records; id, time, sequence and hashes are assigned by the trail. */
export type NewAuditEvent = Omit<AuditEvent, 'id' | 'at'>;

/** Append-only record of who asked, what was proposed, decided and run, and security-relevant actions. */
export interface AuditLog {
  record(event: NewAuditEvent): Promise<void>;
  list(input: { limit: number; action?: string; actorId?: string }): Promise<AuditEvent[]>;
}

/** A stored audit record with its place in the chain (hashes are null only on records older than the chain). */
export interface StoredAuditEvent extends AuditEvent {
  sequence: number;
  prevHash: string | null;
  hash: string | null;
}

export interface AuditFilter {
  actorId?: string;
  conversationId?: string;
  tool?: string;
  /** exact action, or a prefix when it ends with `*` ("auth.*") */
  action?: string;
  from?: Date;
  /** exclusive */
  to?: Date;
}

export interface AuditChainReport {
  ok: boolean;
  recordsChecked: number;
  legacyRecords: number;
  headHash: string | null;
  headSequence: number | null;
  brokenAt?: { position: number; sequence: number; id: string; reason: string };
  anchorFound?: boolean;
}

/** The audit trail behind GET /audit, /audit/export and /audit/verify (storage/audit-log.ts). */
export interface AuditTrail extends AuditLog {
  /** newest first; `beforeSequence` is the cursor from the previous page */
  page(input: AuditFilter & { limit: number; beforeSequence?: number }): Promise<{ items: StoredAuditEvent[]; nextCursor: number | null }>;
  /** oldest first, read in batches (constant memory however many records match) */
  scan(input: AuditFilter & { batchSize?: number }): AsyncIterable<StoredAuditEvent>;
  /** re-walks the whole chain and reports the first broken link; `anchor`: a head kept elsewhere that must still be in it */
  verify(anchor?: { sequence: number; hash: string }): Promise<AuditChainReport>;
}

/** Stores bound to one database transaction (PlatformStorage.atomically): all their writes commit or none. */
export interface TransactionalStores {
  users: UserStore;
  refreshTokens: RefreshTokenStore;
  audit: AuditLog;
  settings: SettingsStore;
  integrations: IntegrationStore;
}

/** Engine-wide facts and settings by key (JSON values). */
export interface SettingsStore {
  get(key: string): Promise<unknown>;
  put(key: string, value: unknown): Promise<void>;
  /** Stores the value unless the key exists; returns whichever value is stored (so concurrent first writers agree). */
  putIfAbsent(key: string, value: unknown): Promise<unknown>;
}

/** A stored integration; `credentialsSealed` opens only with the engine's encryption key. */
export interface IntegrationRecord {
  id: string;
  provider: 'jenkins';
  name: string;
  apiUrl: string;
  username: string;
  credentialsSealed: string;
  tokenLast4: string;
  status: 'active' | 'disabled';
  createdBy?: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface IntegrationStore {
  list(): Promise<IntegrationRecord[]>;
  get(id: string): Promise<IntegrationRecord | undefined>;
  /** `id` is chosen by the caller, because the sealed credentials are bound to it */
  create(input: Omit<IntegrationRecord, 'createdAt' | 'updatedAt'>): Promise<IntegrationRecord>;
  update(id: string, patch: Partial<Pick<IntegrationRecord, 'name' | 'apiUrl' | 'username' | 'credentialsSealed' | 'tokenLast4' | 'status'>>): Promise<IntegrationRecord | undefined>;
  remove(id: string): Promise<boolean>;
}

/** Storage plus the account tables: what createStorage returns and the platform routes need. */
export interface PlatformStorage extends Storage {
  users: UserStore;
  refreshTokens: RefreshTokenStore;
  audit: AuditTrail;
  settings: SettingsStore;
  /**
   * Runs `work` in one database transaction with stores bound to it: an admin action and its audit record commit
   * together or not at all.
   */
  atomically<T>(work: (stores: TransactionalStores) => Promise<T>): Promise<T>;
  /** stored usage for GET /analytics/metrics */
  analytics: AnalyticsReader;
  integrations: IntegrationStore;
  /** API tokens for automation (issue 24) */
  apiTokens: ApiTokenStore;
  /** outgoing webhooks and their deliveries (issue 24) */
  webhooks: WebhookStore;
}

// ---- Analytics (issue 8): stored usage read back for GET /analytics/metrics ----

/** One assistant answer's usage (messages.token_usage) and the final state of the tool calls it made. */
export interface UsageRecord {
  conversationId: string;
  userId: string;
  at: Date;
  model?: string;
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  totalTokens: number;
  ttftMs?: number;
  ttrMs?: number;
  tools: Array<{ tool: string; status: string }>;
}

/** One approval request and how it ended. */
export interface ApprovalOutcome {
  requestedAt: Date;
  status: ApprovalRecord['status'];
  tool: string;
}

export interface AnalyticsReader {
  /** assistant answers created in [from, to), of one user's conversations when `userId` is given */
  usage(input: { from: Date; to: Date; userId?: string }): Promise<UsageRecord[]>;
  /** approvals requested in [from, to), by one user when `userId` is given */
  approvals(input: { from: Date; to: Date; userId?: string }): Promise<ApprovalOutcome[]>;
}

// ---- Team notifications (issue 24): API tokens for automation ----

export interface ApiTokenRecord {
  id: string;
  userId: string;
  name: string;
  /** sha-256 (hex) of the token; the token itself is never stored */
  tokenHash: string;
  prefix: string;
  scopes: string[];
  expiresAt: Date;
  lastUsedAt?: Date;
  revokedAt?: Date;
  createdAt: Date;
}

export interface ApiTokenStore {
  insert(input: { userId: string; name: string; tokenHash: string; prefix: string; scopes: string[]; expiresAt: Date }): Promise<ApiTokenRecord>;
  findByHash(tokenHash: string): Promise<ApiTokenRecord | undefined>;
  listForUser(userId: string): Promise<ApiTokenRecord[]>;
  /** Revokes one of the user's live tokens; false when it is not theirs or already revoked. */
  revoke(input: { id: string; userId: string }): Promise<ApiTokenRecord | undefined>;
  touch(id: string, at: Date): Promise<void>;
}

export interface WebhookRecord {
  id: string;
  name: string;
  url: string;
  events: string[];
  secretSealed: string;
  secretLast4: string;
  status: 'active' | 'disabled';
  createdBy?: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface WebhookDeliveryRecord {
  id: string;
  integrationId: string;
  event: string;
  body: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  responseStatus?: number;
  lastError?: string;
  createdAt: Date;
  deliveredAt?: Date;
}

export interface WebhookStore {
  list(): Promise<WebhookRecord[]>;
  get(id: string): Promise<WebhookRecord | undefined>;
  /** `id` is chosen by the caller, because the sealed secret is bound to it */
  create(input: Omit<WebhookRecord, 'createdAt' | 'updatedAt'>): Promise<WebhookRecord>;
  update(id: string, patch: Partial<Pick<WebhookRecord, 'name' | 'events' | 'status'>>): Promise<WebhookRecord | undefined>;
  remove(id: string): Promise<boolean>;
  deliveries: WebhookDeliveryStore;
}

export interface WebhookDeliveryStore {
  create(input: { id?: string; integrationId: string; event: string; body: string }): Promise<WebhookDeliveryRecord>;
  /** Records one attempt's outcome (status stays pending while retries remain). */
  recordAttempt(id: string, outcome: { status: WebhookDeliveryRecord['status']; responseStatus?: number; error?: string }): Promise<WebhookDeliveryRecord | undefined>;
  /** newest first */
  listForIntegration(integrationId: string, limit: number): Promise<WebhookDeliveryRecord[]>;
}
