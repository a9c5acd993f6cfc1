/**
 * GET /conversations/:id as clients read it. The stored timeline is checked loosely (the fields a client shows;
 * unknown entry kinds are kept and ignored), so a page or a terminal opens even if one entry is odd.
 */
import { verificationEvidenceSchema, verificationOutcomeSchema } from './verification.ts';
import { deferred } from './deferred.ts';
import { z } from './zod.ts';

const timelineToolSchema = deferred(() => z.looseObject({
  call_id: z.string(),
  tool: z.string(),
  args: z.record(z.string(), z.unknown()).default({}),
  status: z.string(),
  diff: z.string().optional(),
  error: z.string().optional(),
  /** the engine's verification of a change (issue 21); an odd one is left out, not a reason to fail the whole page */
  verification: z
    .looseObject({
      outcome: verificationOutcomeSchema,
      summary: z.string().default(''),
      evidence: z.array(verificationEvidenceSchema).default([]),
      controller: z.string().optional(),
      auto_revert_call_id: z.string().optional(),
    })
    .optional()
    .catch(undefined),
  undo_of: z.string().optional().catch(undefined),
  undo_available: z.boolean().optional().catch(undefined),
}));
const timelineEntrySchema = deferred(() => z.looseObject({
  type: z.string(),
  content: z.string().default(''),
  /** an answer that failed, and why (the engine stopped, the model errored…); stopped: cut short by a Stop */
  error: z.string().optional().catch(undefined),
  stopped: z.boolean().optional().catch(undefined),
  segments: z.array(z.looseObject({ kind: z.string(), text: z.string().optional(), toolExecution: timelineToolSchema.optional() })).optional(),
}));
export const conversationDetailSchema = deferred(() => z.looseObject({
  id: z.string(),
  title: z.string(),
  /** optional: a client shows the conversation without it */
  updated_at: z.string().optional(),
  messages: z.array(timelineEntrySchema).default([]),
}));
export type ConversationDetail = z.infer<typeof conversationDetailSchema>;
