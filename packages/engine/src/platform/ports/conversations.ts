/** Conversations and their timelines. */
import type { TimelineEntry } from '@skyflo/protocol';
import type { NewAuditEvent } from './audit.ts';

// The timeline entry types are part of the API (GET /conversations/:id `messages`): they live in the protocol.
export type { TimelineEntry, TimelineSegment, ToolExecutionRecord, ToolStatus } from '@skyflo/protocol';

export interface ConversationSummary {
  id: string;
  title: string;
  userId: string;
  createdAt: Date;
  updatedAt: Date;
  /** the cluster (kubeconfig context name) the conversation is pinned to; absent for conversations from before clusters */
  cluster?: string;
}

export interface Conversation extends ConversationSummary {
  isActive: boolean;
  metadata: Record<string, unknown>;
  timeline: TimelineEntry[];
}

/** Issue 37: what GET /conversations/search asks the store. */
export interface ConversationSearchInput {
  /** the words to find in titles and content (prefix matches, all words must match); absent: filters only, newest first */
  text?: string;
  /**
   * only this owner's conversations; absent: every owner's. The caller decides it with the conversation access rule
   * (src/access/conversation-access.ts): absent only for a user who may read other people's conversations.
   */
  ownerId?: string;
  /**
   * with `ownerId`: also other people's conversations pinned to a cluster matching one of these patterns (`*` globs,
   * as a member's scope writes them): what a reader limited to those clusters may find (issue 74 item 8)
   */
  othersInClusters?: string[];
  cluster?: string;
  /** a tool call of the conversation targets this namespace */
  namespace?: string;
  /** the conversation called this tool */
  tool?: string;
  /** active during [from, to]: last activity at or after `from`, created at or before `to` */
  from?: Date;
  to?: Date;
  /** the page after this hit (the previous page's last: its updated_at and id); results are newest activity first */
  cursor?: { updatedAt: Date; id: string };
  limit: number;
}

/** One page of a search: the hits, whether more matched, and the cursor of the next page (null on the last). */
export interface ConversationSearchPage {
  items: ConversationSearchHit[];
  hasMore: boolean;
  nextCursor: string | null;
}

/** Text with the ranges (start inclusive, end exclusive, in UTF-16 code units) that matched the search. */
export interface HighlightedText {
  text: string;
  highlights: Array<[number, number]>;
}

export interface ConversationSearchHit extends ConversationSummary {
  ownerEmail: string;
  /** relevance: ts_rank of its title plus its best message (0 for a filters-only search); hits are not ordered by it */
  rank: number;
  titleHighlights: Array<[number, number]>;
  /** the passage of the content that matched; absent when only the title matched or there was no text */
  snippet?: HighlightedText;
}

/** A chat's start in a new conversation, written at once (storage/start-chat.ts). */
export interface StartChatInput {
  userId: string;
  cluster?: string | undefined;
  runId: string;
  leaseMs: number;
  maxRunningPerUser: number;
  /** the new conversation's timeline: the user's message */
  timeline: TimelineEntry[];
  /** the request's audit record, given the new conversation's id; written by the same statement */
  audit?: ((conversationId: string) => NewAuditEvent) | undefined;
}

export type StartChatOutcome = { ok: true; conversation: Conversation } | { ok: false; reason: 'user_limit'; running: number };

/** A chat's start in an existing conversation (storage/start-chat.ts); access was checked by the caller. */
export interface ContinueChatInput {
  conversationId: string;
  userId: string;
  runId: string;
  leaseMs: number;
  maxRunningPerUser: number;
  /** the request's audit record; written by the same statement as the claim */
  audit?: NewAuditEvent | undefined;
  /**
   * The user's message, appended to the timeline (and its `messages` row written) by the same statement, as
   * `appendUserEntry` appends it: not again when it is already the timeline's last entry. Nothing when refused.
   */
  entry?: { id: string; content: string; timestamp: number } | undefined;
}

/**
 * `conversation_busy`: nothing was written and the conversation is held by a run (or the audit chain is not ready):
 * claim it the long way (agent/conversation-runs.ts), which waits for a stopped run and frees a lapsed lease.
 */
export type ContinueChatOutcome =
  | { ok: true }
  | { ok: false; reason: 'user_limit'; running: number }
  | { ok: false; reason: 'approval_pending'; callIds: string[] }
  | { ok: false; reason: 'conversation_busy' };

export interface ConversationStore {
  /**
   * Creates a conversation with `timeline`, claims it for `runId` within the user's limit of running runs and appends
   * the audit record, all committed together; nothing is written when the limit is reached. Optional: without it the
   * agent makes the calls one by one (create, runs.begin, audit, updateTimeline).
   */
  startChat?(input: StartChatInput): Promise<StartChatOutcome>;
  /**
   * Claims an existing conversation for `runId` within the user's limit, unless it has calls awaiting approval, and
   * appends the audit record and the user's entry, committed together (issue 38: one statement instead of the claim,
   * the awaiting calls' read, the audit append and the timeline write); nothing is written when it is refused.
   * Optional, like startChat.
   */
  continueChat?(input: ContinueChatInput): Promise<ContinueChatOutcome>;
  /**
   * `welcome` adds the reference's system welcome message as a `messages` row (role "system", sequence -1, before
   * every timeline entry). It is not a timeline entry: spec §4's timeline has only user and assistant entries, and
   * clients render `messages_json` as is.
   */
  /** Throws ConversationIdTakenError when a client-chosen `id` exists or ever existed (ids are never reused). */
  create(input: { id?: string; userId: string; title?: string; welcome?: string; cluster?: string }): Promise<Conversation>;
  /** undefined when it does not exist (ownership is checked by the caller) */
  get(id: string): Promise<Conversation | undefined>;
  /**
   * Who owns it and the cluster it is pinned to, without its timeline (an access check needs no more; a long
   * conversation's timeline is megabytes to read). Optional: without it callers use get().
   */
  access?(id: string): Promise<{ userId: string; cluster?: string; title?: string } | undefined>;
  list(input: { userId: string; limit: number; cursor?: string; query?: string }): Promise<{ items: ConversationSummary[]; nextCursor: string | null }>;
  /**
   * Full-text search over titles and content, newest activity first, paged by cursor (issues 37, 79). Optional: a store without it (the
   * in-memory test double) makes GET /conversations/search answer 501.
   */
  search?(input: ConversationSearchInput): Promise<ConversationSearchPage>;
  /** `cluster`: pins a conversation that has none yet (its first chat); never re-pins one that has a cluster */
  update(id: string, patch: { title?: string; isActive?: boolean; metadata?: Record<string, unknown>; cluster?: string }): Promise<Conversation | undefined>;
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
  /**
   * updateTimeline, and `runId`'s claim released (runs.finish) in the same statement or transaction: a run's last
   * write before `completed` (issue 38: on PGlite one round trip fewer per run). Once it resolves, the run is
   * finished, whether or not the conversation still exists. Optional: without it the run makes the two calls.
   */
  updateTimelineAndFinishRun?(id: string, change: (timeline: TimelineEntry[]) => TimelineEntry[], runId: string): Promise<TimelineEntry[]>;
}
