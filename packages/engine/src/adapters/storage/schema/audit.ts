/** The append-only audit trail (a hash chain, ADR 0004) and its head. */
import { sql } from 'drizzle-orm';
import { bigint, bigserial, index, jsonb, pgTable, primaryKey, smallint, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { instant } from './columns.ts';

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
    // migration 0025: in the C collation, so that an action prefix ("chat.*") is a range of it on every server
    index('audit_events_action_idx').on(sql`${table.action} collate "C"`, table.sequence),
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
