/**
 * The engine's ports: small interfaces that the workflow and HTTP layers depend on. Adapters live in
 * storage/ (PGlite or Postgres through Drizzle), bus/ (in-process or Redis) and llm/; each port has an
 * in-memory implementation for tests. The choice of adapter is made once, in create-engine.ts.
 */
import type { BaseCheckpointSaver } from '@langchain/langgraph-checkpoint';

export type Role = 'admin' | 'member';

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

/** A timeline entry (`messages_json` in the reference spec §4). */
export type TimelineEntry =
  | { id: string; type: 'user'; content: string; timestamp: number }
  | { id: string; type: 'assistant'; content: string; timestamp: number; segments: TimelineSegment[]; token_usage?: Record<string, unknown> };

export type TimelineSegment =
  | { kind: 'text'; id: string; text: string; timestamp: number }
  | { kind: 'thinking'; id: string; text: string; isComplete: boolean; durationMs?: number; timestamp: number }
  | { kind: 'tool'; id: string; toolExecution: ToolExecutionRecord };

export type ToolStatus = 'pending' | 'awaiting_approval' | 'approved' | 'denied' | 'executing' | 'completed' | 'error';

export interface ToolExecutionRecord {
  call_id: string;
  tool: string;
  title: string;
  args: Record<string, unknown>;
  status: ToolStatus;
  requires_approval?: boolean;
  result?: Array<{ type: 'text'; text: string }>;
  error?: string;
  diff?: string;
  timestamp: number;
}

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
  create(input: { id?: string; userId: string; title?: string; welcome?: string }): Promise<Conversation>;
  /** undefined when it does not exist (ownership is checked by the caller) */
  get(id: string): Promise<Conversation | undefined>;
  list(input: { userId: string; limit: number; cursor?: string; query?: string }): Promise<{ items: ConversationSummary[]; nextCursor: string | null }>;
  update(id: string, patch: { title?: string; isActive?: boolean; metadata?: Record<string, unknown> }): Promise<Conversation | undefined>;
  /** Sets the title only if it is still empty; returns true when it did. */
  setTitleIfEmpty(id: string, title: string): Promise<boolean>;
  delete(id: string): Promise<boolean>;
  /**
   * Read-modify-write of the timeline under a per-conversation lock (or a row lock on Postgres), so events
   * from two engine processes never overwrite each other. Also mirrors entries into the messages table.
   */
  updateTimeline(id: string, change: (timeline: TimelineEntry[]) => TimelineEntry[]): Promise<TimelineEntry[]>;
}

/** One approval decision: the audit row tying approver, exact call, diff and outcome together. */
export interface ApprovalRecord {
  conversationId: string;
  callId: string;
  runId: string;
  tool: string;
  args: Record<string, unknown>;
  /** sha-256 of the canonical JSON of {tool, args} as shown to the approver */
  argsHash: string;
  diff?: string;
  /** awaiting → approved|denied; approved → executing (claimed, just before the tool runs) → executed|failed */
  status: 'awaiting' | 'approved' | 'denied' | 'executing' | 'executed' | 'failed';
  decidedBy?: string;
  reason?: string;
  requestedAt: Date;
  decidedAt?: Date;
  executedAt?: Date;
  resultSummary?: string;
}

export interface ApprovalStore {
  /** Creates the awaiting row (idempotent per conversation+callId). */
  request(record: Omit<ApprovalRecord, 'status' | 'requestedAt'>): Promise<ApprovalRecord>;
  get(conversationId: string, callId: string): Promise<ApprovalRecord | undefined>;
  /**
   * Atomically moves awaiting → approved/denied. Returns undefined when the row is not awaiting
   * (already decided, or never requested), so a second approval executes nothing.
   */
  decide(input: { conversationId: string; callId: string; approve: boolean; decidedBy: string; reason?: string }): Promise<ApprovalRecord | undefined>;
  /**
   * Atomically moves approved → executing, just before the tool runs; returns false when the call is not
   * approved-and-unclaimed. Only the winner executes, so a call runs at most once even if two runs resume it.
   */
  claimExecution(input: { conversationId: string; callId: string }): Promise<boolean>;
  /** Atomically moves executing → executed/failed; returns false when it was not claimed-and-unfinished. */
  markExecuted(input: { conversationId: string; callId: string; ok: boolean; resultSummary?: string }): Promise<boolean>;
  listForConversation(conversationId: string): Promise<ApprovalRecord[]>;
}

/** One agent run (a chat turn, or the resumption after an approval decision). */
export interface RunRecord {
  runId: string;
  conversationId: string;
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
  begin(input: { runId: string; conversationId: string; leaseMs: number }): Promise<{ ok: true } | { ok: false; active: RunRecord }>;
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
  /** LangGraph checkpointer on the same database (PostgresSaver; on PGlite through the pool adapter). */
  checkpointer: BaseCheckpointSaver;
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
export interface EventBus {
  publish(runId: string, event: string, data: Record<string, unknown>): Promise<BusMessage>;
  /** Delivers messages with index > afterIndex (buffered ones first), then live ones, until unsubscribed. */
  subscribe(runId: string, onMessage: (message: BusMessage) => void, options?: { afterIndex?: number }): Promise<() => Promise<void>>;
  requestStop(runId: string): Promise<void>;
  isStopRequested(runId: string): Promise<boolean>;
  /** Resolves/aborts `signal` consumers when a stop for runId arrives (from any process). */
  onStop(runId: string, callback: () => void): Promise<() => Promise<void>>;
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
  details: Record<string, unknown>;
  ip?: string;
}

/** Append-only record of security-relevant actions outside conversation timelines. */
export interface AuditLog {
  record(event: Omit<AuditEvent, 'id' | 'at'>): Promise<void>;
  list(input: { limit: number; action?: string; actorId?: string }): Promise<AuditEvent[]>;
}

/** Storage plus the account tables: what createStorage returns and the platform routes need. */
export interface PlatformStorage extends Storage {
  users: UserStore;
  refreshTokens: RefreshTokenStore;
  audit: AuditLog;
}
