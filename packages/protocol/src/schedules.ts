/**
 * Scheduled checks (issue 81): a prompt the engine runs on a cron schedule as a conversation of the schedule's owner,
 * its result compared with the previous run's. The wire shapes of /schedules, /schedules/{id}/runs and
 * /schedules/{id}/run, and of the findings a run keeps.
 */
import { deferred } from './deferred.ts';
import { z } from './zod.ts';

/** read_only: any change the model proposes is refused by the gate; propose: changes wait for approval like any call */
export const scheduleModes = ['read_only', 'propose'] as const;
export type ScheduleMode = (typeof scheduleModes)[number];

/** Where a run's result goes: the owner's in-app notifications, and the team's configured channels. */
export const scheduleNotifyChannels = ['in_app', 'slack', 'teams', 'webhook'] as const;
export type ScheduleNotifyChannel = (typeof scheduleNotifyChannels)[number];

/** POST /schedules (PUT takes the same shape; every field is required again, as a replacement). */
export const scheduleInputSchema = deferred(() =>
  z.object({
    name: z.string().trim().min(1, 'name is required').max(100, 'name is at most 100 characters'),
    /** five fields (minute hour day-of-month month day-of-week), or six with seconds first is refused */
    schedule: z.string().trim().min(1, 'schedule is required').max(120),
    /** an IANA time zone ("Europe/Berlin"); default UTC */
    time_zone: z.string().trim().min(1).max(64).default('UTC'),
    prompt: z.string().trim().min(1, 'prompt is required').max(4000, 'prompt is at most 4000 characters'),
    cluster: z.string().trim().min(1).max(253).optional(),
    namespaces: z.array(z.string().trim().min(1).max(63)).max(50).optional(),
    mode: z.enum(scheduleModes).default('read_only'),
    notify: z.array(z.enum(scheduleNotifyChannels)).max(4).default(['in_app']),
    enabled: z.boolean().default(true),
  }),
);
export type ScheduleInput = z.input<typeof scheduleInputSchema>;
export type ParsedScheduleInput = z.output<typeof scheduleInputSchema>;

export const scheduleSchema = deferred(() =>
  z.object({
    id: z.string(),
    owner_id: z.string(),
    owner_email: z.string().optional(),
    name: z.string(),
    schedule: z.string(),
    time_zone: z.string(),
    prompt: z.string(),
    cluster: z.string().nullable(),
    namespaces: z.array(z.string()),
    mode: z.enum(scheduleModes),
    notify: z.array(z.enum(scheduleNotifyChannels)),
    enabled: z.boolean(),
    /** "SkyfloSchedule <namespace>/<name>": declared in the cluster and changed only there (PUT and DELETE answer 409) */
    managed_by: z.string().nullable().optional(),
    /** ISO 8601: the next tick after now, in UTC */
    next_run_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  }),
);
export type Schedule = z.infer<typeof scheduleSchema>;

export const scheduleListSchema = deferred(() => z.object({ data: z.array(scheduleSchema) }));
export type ScheduleList = z.infer<typeof scheduleListSchema>;

/** What changed since the previous run: findings are lines of the answer, compared normalised. */
export const findingsDiffSchema = deferred(() =>
  z.object({
    new: z.array(z.string()),
    resolved: z.array(z.string()),
    persists: z.array(z.string()),
    /** false for the first run (nothing to compare with) */
    compared: z.boolean(),
  }),
);
export type FindingsDiff = z.infer<typeof findingsDiffSchema>;

export const scheduleRunStatuses = ['running', 'completed', 'failed', 'skipped'] as const;

export const scheduleRunSchema = deferred(() =>
  z.object({
    id: z.string(),
    schedule_id: z.string(),
    /** ISO 8601: the tick this run is for (a manual run: when it was asked for) */
    tick: z.string(),
    trigger: z.enum(['tick', 'manual']),
    status: z.enum(scheduleRunStatuses),
    conversation_id: z.string().nullable(),
    findings: z.array(z.string()),
    diff: findingsDiffSchema.nullable(),
    detail: z.string().nullable(),
    started_at: z.string(),
    finished_at: z.string().nullable(),
  }),
);
export type ScheduleRun = z.infer<typeof scheduleRunSchema>;

export const scheduleRunListSchema = deferred(() => z.object({ data: z.array(scheduleRunSchema) }));
export type ScheduleRunList = z.infer<typeof scheduleRunListSchema>;
