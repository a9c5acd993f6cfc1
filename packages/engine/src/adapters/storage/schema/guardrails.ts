/** Approval policies, change freezes, and scheduled checks with their runs. */
import { boolean, index, integer, jsonb, pgTable, primaryKey, text, uniqueIndex, uuid, varchar } from 'drizzle-orm/pg-core';
import { instant } from './columns.ts';
import { users } from './accounts.ts';
import { conversations } from './conversations.ts';

/** Issue 76 (migration 0026): policies as code, CEL over a proposed call (policies/); admins manage them. */
export const policies = pgTable(
  'policies',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    name: text('name').notNull(),
    expression: text('expression').notNull(),
    /** protocol policyEffectSchema: "deny" | "warn" | "require_passkey" | {require_approvers} | {require_role} */
    effect: jsonb('effect').$type<unknown>().notNull(),
    message: text('message').notNull().default(''),
    enabled: boolean('enabled').notNull().default(true),
    version: integer('version').notNull().default(1),
    createdBy: uuid('created_by'),
    /** "SkyfloPolicy <namespace>/<name>" or "file <path> (SkyfloPolicy <name>)" when declared there (migration 0029); null: made in the API */
    managedBy: text('managed_by'),
    createdAt: instant('created_at').notNull().defaultNow(),
    updatedAt: instant('updated_at').notNull().defaultNow(),
  },
  (table) => [uniqueIndex('policies_name_idx').on(table.name), uniqueIndex('policies_managed_by_idx').on(table.managedBy)],
);

/** Issue 76 (migration 0026): change freezes (freezes/); admins manage them. */
export const freezes = pgTable(
  'freezes',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    name: text('name').notNull(),
    startsAt: instant('starts_at').notNull(),
    endsAt: instant('ends_at').notNull(),
    /** daily | weekly; null: one window */
    recurrence: varchar('recurrence', { length: 10 }),
    timeZone: text('time_zone'),
    clusters: jsonb('clusters').$type<string[]>(),
    namespaces: jsonb('namespaces').$type<string[]>(),
    reason: text('reason').notNull(),
    /** a SkyfloFreeze's break_glass.approvers: who the cluster's executor lets break it (migration 0031) */
    breakGlassBy: jsonb('break_glass_by').$type<string[]>(),
    createdBy: uuid('created_by'),
    /** as policies.managed_by (migration 0029) */
    managedBy: text('managed_by'),
    /** 1 when created, +1 on every change: a sync changes only the freeze it read (migration 0029) */
    version: integer('version').notNull().default(1),
    createdAt: instant('created_at').notNull().defaultNow(),
  },
  (table) => [uniqueIndex('freezes_name_idx').on(table.name), uniqueIndex('freezes_managed_by_idx').on(table.managedBy)],
);

/**
 * Scheduled checks (issue 81, migration 0027): a prompt run on a cron schedule as a conversation of its owner.
 */
export const schedules = pgTable(
  'schedules',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    ownerId: uuid('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    schedule: text('schedule').notNull(),
    timeZone: text('time_zone').notNull(),
    prompt: text('prompt').notNull(),
    cluster: text('cluster'),
    namespaces: jsonb('namespaces').$type<string[]>().notNull().default([]),
    mode: text('mode').$type<'read_only' | 'propose'>().notNull(),
    notify: jsonb('notify').$type<string[]>().notNull().default(['in_app']),
    enabled: boolean('enabled').notNull().default(true),
    /** "SkyfloSchedule <namespace>/<name>" for a schedule declared in the cluster (migration 0028); null: made in the API */
    managedBy: text('managed_by'),
    createdAt: instant('created_at').notNull().defaultNow(),
    updatedAt: instant('updated_at').notNull().defaultNow(),
  },
  (table) => [index('schedules_owner_idx').on(table.ownerId), uniqueIndex('schedules_managed_by_idx').on(table.managedBy)],
);

/**
 * One row per run of a schedule. The unique (schedule_id, tick) is the lease that makes a tick run once across
 * replicas: the engine whose INSERT … ON CONFLICT DO NOTHING returns the row runs it.
 */
export const scheduleRuns = pgTable(
  'schedule_runs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    scheduleId: uuid('schedule_id')
      .notNull()
      .references(() => schedules.id, { onDelete: 'cascade' }),
    tick: instant('tick').notNull(),
    trigger: text('trigger').$type<'tick' | 'manual'>().notNull(),
    status: text('status').$type<'running' | 'completed' | 'failed' | 'skipped'>().notNull(),
    conversationId: uuid('conversation_id').references(() => conversations.id, { onDelete: 'set null' }),
    findings: jsonb('findings').$type<string[]>().notNull().default([]),
    diff: jsonb('diff').$type<{ new: string[]; resolved: string[]; persists: string[]; compared: boolean }>(),
    detail: text('detail'),
    startedAt: instant('started_at').notNull().defaultNow(),
    finishedAt: instant('finished_at'),
  },
  (table) => [uniqueIndex('schedule_runs_tick_idx').on(table.scheduleId, table.tick)],
);
