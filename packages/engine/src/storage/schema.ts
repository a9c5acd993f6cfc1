/**
 * The Drizzle schema shared by both drivers (PGlite and Postgres). Migrations in packages/engine/drizzle are
 * generated from this file with `npx drizzle-kit generate --config packages/engine/drizzle.config.ts`.
 */
import { sql } from 'drizzle-orm';
import { bigserial, boolean, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid, varchar } from 'drizzle-orm/pg-core';

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
    args: jsonb('args').$type<Record<string, unknown>>().notNull(),
    argsHash: text('args_hash').notNull(),
    diff: text('diff'),
    status: varchar('status', { length: 20 }).notNull().default('awaiting'),
    decidedBy: text('decided_by'),
    reason: text('reason'),
    requestedAt: instant('requested_at').notNull().defaultNow(),
    decidedAt: instant('decided_at'),
    executedAt: instant('executed_at'),
    resultSummary: text('result_summary'),
  },
  (table) => [primaryKey({ columns: [table.conversationId, table.callId] })],
);

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
    status: varchar('status', { length: 20 }).notNull().default('running'),
    startedAt: instant('started_at').notNull().defaultNow(),
    finishedAt: instant('finished_at'),
    leaseUntil: instant('lease_until').notNull(),
  },
  (table) => [
    uniqueIndex('runs_one_running_per_conversation_idx').on(table.conversationId).where(sql`${table.status} = 'running'`),
    index('runs_conversation_idx').on(table.conversationId),
  ],
);

/** Who did what, for actions that are not part of a conversation timeline. */
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
  },
  (table) => [index('audit_events_at_idx').on(table.at.desc())],
);

export const schema = { users, refreshTokens, conversations, messages, approvals, runs, auditEvents };
