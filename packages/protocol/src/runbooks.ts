/**
 * Runbooks (issue 36 item 4): a team's Markdown runbooks, matched to an alert or a question and offered to the model
 * as reference text. The wire shapes of GET/POST/DELETE /runbooks and of the `runbook.used` run event.
 */
import { deferred } from './deferred.ts';
import { z } from './zod.ts';

/** Where a runbook comes from: a file under RUNBOOKS_DIR (read-only here) or one an admin uploaded in Settings. */
export const runbookSourceSchema = deferred(() => z.enum(['directory', 'uploaded']));
export type RunbookSource = z.infer<typeof runbookSourceSchema>;

/** A runbook the model was given, named on the answer ("Runbook: <title>"), with why it was chosen. */
export const runbookRefSchema = deferred(() => z.object({
  /** its name: the path under RUNBOOKS_DIR (`db/postgres-down.md`) or the uploaded name; GET /runbooks/{name} */
  name: z.string(),
  title: z.string(),
  source: runbookSourceSchema,
  /** the matches that chose it, in plain words ("alert KubePodCrashLooping", "label team=web", "runbook_url") */
  reasons: z.array(z.string()),
}));
export type RunbookRef = z.infer<typeof runbookRefSchema>;

export const runbookSummarySchema = deferred(() => z.object({
  name: z.string(),
  title: z.string(),
  source: runbookSourceSchema,
  alerts: z.array(z.string()),
  labels: z.record(z.string(), z.string()),
  kinds: z.array(z.string()),
  /** milliseconds since the epoch (uploaded runbooks) */
  updated_at: z.number().optional(),
}));
export type RunbookSummary = z.infer<typeof runbookSummarySchema>;

export const runbookListSchema = deferred(() => z.object({
  data: z.array(runbookSummarySchema),
  /** RUNBOOKS_DIR is set (its files are listed, read-only) */
  directory_configured: z.boolean(),
}));
export type RunbookList = z.infer<typeof runbookListSchema>;

/** GET /runbooks/{name}: the runbook as stored, redacted (what the model would be shown). */
export const runbookDetailSchema = deferred(() => runbookSummarySchema.extend({ markdown: z.string() }));
export type RunbookDetail = z.infer<typeof runbookDetailSchema>;

/** A runbook name: letters, digits, `-`, `_`, `.` and `/` between segments; no `..` (it names a file, never a path out). */
export const runbookNameSchema = deferred(() => z
  .string()
  .trim()
  .min(1)
  .max(120)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/, 'use letters, digits, ".", "-", "_" and "/" between segments')
  .refine((name) => !name.split('/').includes('..'), 'must not contain ".."'));

/** POST /runbooks (admin): uploads or replaces a runbook by name. */
export const uploadRunbookRequestSchema = deferred(() => z.object({
  name: runbookNameSchema,
  /** Markdown with optional front matter (`alerts:`, `labels:`, `kinds:`, `title:`); at most 64 KiB */
  markdown: z.string().min(1, 'the runbook is empty').max(65_536, 'a runbook is at most 64 KiB'),
}));
export type UploadRunbookRequest = z.infer<typeof uploadRunbookRequestSchema>;

/** A past incident offered to the model (issue 81, `memory.used`): the answer may cite "Seen before: …". */
export const pastIncidentRefSchema = deferred(() => z.object({
  conversation_id: z.string(),
  title: z.string(),
  /** YYYY-MM-DD */
  date: z.string(),
  resolved_by: z.string(),
}));
export type PastIncidentRef = z.infer<typeof pastIncidentRefSchema>;

/**
 * POST /conversations/{id}/runbook-draft (issue 81 item 5): a runbook drafted from a resolved conversation, for a
 * person to edit and save with POST /runbooks. Nothing is stored: a draft is never offered to the model until saved.
 */
export const runbookDraftSchema = deferred(() => z.object({
  /** a suggested name for POST /runbooks */
  name: z.string(),
  title: z.string(),
  /** alert names the conversation was about (front matter `alerts:`) */
  alerts: z.array(z.string()),
  symptoms: z.array(z.string()),
  diagnosis_steps: z.array(z.string()),
  change: z.array(z.string()),
  verification: z.array(z.string()),
  /** the same, as the Markdown POST /runbooks takes (redacted) */
  markdown: z.string(),
  /** the conversation it was drafted from */
  conversation_id: z.string(),
}));
export type RunbookDraft = z.infer<typeof runbookDraftSchema>;
