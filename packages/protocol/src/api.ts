/**
 * Request and response payloads of the engine's HTTP API (spec §1), shared by the engine (validation)
 * and clients (UI, CLI). Field names follow Skyflo's wire format (snake_case).
 */
import { deferred } from './deferred.ts';
import { z } from './zod.ts';
import { memberScopeSchema } from './clusters.ts';
import { approvalWebauthnSchema } from './passkeys.ts';
import { deviceSignatureSchema } from './device-keys.ts';

/** Upper bound on one chat message; larger bodies are refused with 413 by the server's body limit anyway. */
export const MAX_MESSAGE_CHARS = 100_000;

/**
 * Upper bound on `messages` in one chat request (issue 75: 10,000 were accepted). The engine answers the last user
 * message and keeps the conversation's history itself; a client sends one message, or a short history.
 */
export const MAX_CHAT_MESSAGES = 100;

/** Longest conversation title (the column and PATCH /conversations/:id allow no more). */
export const MAX_TITLE_CHARS = 255;

export const chatMessageSchema = deferred(() => z.object({
  role: z.enum(['user', 'assistant', 'system']).default('user'),
  content: z.string().max(MAX_MESSAGE_CHARS, `A message may be at most ${MAX_MESSAGE_CHARS} characters`),
}));

export const chatRequestSchema = deferred(() => z.object({
  messages: z
    .array(chatMessageSchema)
    .min(1, 'messages must contain at least one message')
    .max(MAX_CHAT_MESSAGES, `messages may hold at most ${MAX_CHAT_MESSAGES} messages; send the new one (the engine keeps the conversation's history, continue it with conversation_id)`),
  /** continue this conversation; omitted → a new conversation owned by the caller (its id arrives in `ready`) */
  conversation_id: z.uuid('conversation_id must be a UUID').optional(),
  /** pin a new conversation to this cluster (a kubeconfig context name); later turns keep the conversation's cluster */
  context: z.string().min(1).max(253, 'context must be a kubeconfig context name of at most 253 characters').optional(),
}));
export type ChatRequest = z.infer<typeof chatRequestSchema>;

export const approvalRequestSchema = deferred(() => z
  .object({
    approve: z.boolean({ error: 'approve must be true or false' }),
    reason: z.string().max(2_000).optional(),
    conversation_id: z.uuid('conversation_id must be a UUID'),
    /**
     * The args_hash from tool.awaiting_approval, echoed by the client: the decision is refused (409) unless it is
     * about exactly the call the approver was shown. Required to approve (a client that never received the call's
     * preview cannot know it); optional for a denial.
     */
    args_hash: z.string().regex(/^[0-9a-f]{64}$/, 'args_hash must be the 64-character hex digest from tool.awaiting_approval').optional(),
    /**
     * The diff_hash from tool.awaiting_approval: when sent, the decision is refused (409 PREVIEW_MISMATCH) unless the
     * preview the approver saw is the one the approval is bound to.
     */
    diff_hash: z.string().regex(/^[0-9a-f]{64}$/, 'diff_hash must be the 64-character hex digest from tool.awaiting_approval').optional(),
    /**
     * Set by `skyflo chat --approve-all` (evaluation in throw-away clusters only): the decision is recorded in the
     * audit as an automatic approval by the calling user.
     */
    automatic: z.boolean().optional(),
    /**
     * Approve with automatic revert: if the engine's verification ends `regressed`, it runs the inverse shown on the
     * card (`undo`) without asking again. Only with approve; refused (400) when the call has no recorded inverse.
     */
    auto_revert: z.boolean().optional(),
    /**
     * "Approve without a preview": required to approve a call whose dry-run preview failed (its risks carry
     * PREVIEW_FAILED); recorded in the audit trail. Refused (400 PREVIEW_NOT_ACKNOWLEDGED) without it.
     */
    approve_without_preview: z.boolean().optional(),
    /**
     * Issue 35: the passkey assertion over the call's facts (POST /approvals/:call_id/passkey-options gave the
     * challenge and `expires_at`). Required to approve a call whose cluster's passkey policy asks for one (otherwise
     * 403 PASSKEY_REQUIRED); stored with the decision and in its audit record.
     */
    webauthn: approvalWebauthnSchema.optional(),
    /**
     * Issue 35: instead of `webauthn`, the signature of the call's facts by a confirmed device key (`skyflo chat`);
     * accepted wherever a passkey is required, stored with the decision and in its audit record the same way.
     */
    device_signature: deviceSignatureSchema.optional(),
    /**
     * Issue 76 item 6: break-glass. Approves a call a change freeze holds: only for an admin, only with `webauthn`
     * (or `device_signature`), only while a freeze actually holds the call (otherwise 400 NOTHING_TO_BREAK). The
     * reason is stored with the call, audited (`freeze.break_glass`) and announced to the team channels.
     */
    break_glass: z.object({ reason: z.string().trim().min(1, 'break_glass.reason is required: say why the change cannot wait for the freeze to end').max(500, 'break_glass.reason is at most 500 characters') }).optional(),
  })
  .refine((request) => !request.approve || request.args_hash !== undefined, {
    message: 'approve needs args_hash: the args_hash of the tool.awaiting_approval event the approver was shown',
  }));
export type ApprovalRequest = z.infer<typeof approvalRequestSchema>;

export const stopRequestSchema = deferred(() => z.object({
  conversation_id: z.uuid('conversation_id must be a UUID'),
  run_id: z.string().min(1, 'run_id is required').max(100, 'run_id must be the run_id of a `ready` event'),
}));
export type StopRequest = z.infer<typeof stopRequestSchema>;

export const stopResponseSchema = deferred(() => z.object({ status: z.literal('stopped'), conversation_id: z.string(), run_id: z.string() }));
export type StopResponse = z.infer<typeof stopResponseSchema>;

export const toolAnnotationsSchema = deferred(() => z.object({
  readOnlyHint: z.boolean().optional(),
  destructiveHint: z.boolean().optional(),
  idempotentHint: z.boolean().optional(),
  openWorldHint: z.boolean().optional(),
  title: z.string().optional(),
}));

export const toolSummarySchema = deferred(() => z.object({
  name: z.string(),
  title: z.string(),
  annotations: toolAnnotationsSchema,
  tags: z.array(z.string()),
}));
export type ToolSummary = z.infer<typeof toolSummarySchema>;
export const toolsResponseSchema = deferred(() => z.array(toolSummarySchema));

/**
 * Every 4xx/5xx body. `code`, `category` and `retryable` come with answers of the engine's error handler (issue 80
 * item 4): `category` says who can act — `user` (the request was wrong: fix it), `operational` (a dependency or the
 * installation failed: an operator fixes it) or `unexpected` (a bug; the engine log has it) — and `retryable` whether
 * the same request may succeed later unchanged (then `Retry-After` says when, where the engine knows).
 */
export const errorResponseSchema = deferred(() => z.object({
  detail: z.string(),
  code: z.string().optional(),
  category: z.enum(['user', 'operational', 'unexpected']).optional(),
  retryable: z.boolean().optional(),
}));
export type ErrorResponse = z.infer<typeof errorResponseSchema>;

// Conversations (spec §1)
export const createConversationRequestSchema = deferred(() => z.object({
  conversation_id: z.uuid().optional(),
  /** the new conversation's title (issue 75: it used to be dropped, whatever its type); default: named from its first message */
  title: z.string({ error: 'title must be a string' }).max(MAX_TITLE_CHARS, `title may be at most ${MAX_TITLE_CHARS} characters`).optional(),
}));
export const createConversationResponseSchema = deferred(() => z.object({ status: z.literal('success'), id: z.string(), title: z.string(), created_at: z.string() }));
export const conversationSummarySchema = deferred(() => z.object({
  id: z.string(),
  title: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
  /** the cluster the conversation is pinned to */
  cluster: z.string().optional(),
  /** a change made in this conversation was verified `regressed` (and not undone since) */
  regressed: z.boolean().optional(),
}));
export const listConversationsQuerySchema = deferred(() => z.object({
  limit: z.coerce.number().int().min(1).max(50).default(20),
  cursor: z.string().optional(),
  query: z.string().min(2, 'query must be at least 2 characters').optional(),
}));
export const listConversationsResponseSchema = deferred(() => z.object({
  status: z.literal('success'),
  data: z.array(conversationSummarySchema),
  pagination: z.object({ limit: z.number(), next_cursor: z.string().nullable(), has_more: z.boolean() }),
}));
/** Bounds on a conversation's free-form metadata: a client's notes, not a store. */
const MAX_METADATA_KEYS = 64;
const MAX_METADATA_JSON_CHARS = 16_384;

export const updateConversationRequestSchema = deferred(() => z.object({
  title: z.string({ error: 'title must be a string' }).max(MAX_TITLE_CHARS, `title may be at most ${MAX_TITLE_CHARS} characters`).optional(),
  is_active: z.boolean({ error: 'is_active must be true or false' }).optional(),
  conversation_metadata: z
    .record(z.string().max(128, 'conversation_metadata keys may be at most 128 characters'), z.unknown())
    .refine((metadata) => Object.keys(metadata).length <= MAX_METADATA_KEYS, `conversation_metadata may have at most ${MAX_METADATA_KEYS} keys`)
    .refine((metadata) => JSON.stringify(metadata).length <= MAX_METADATA_JSON_CHARS, `conversation_metadata may be at most ${MAX_METADATA_JSON_CHARS} characters of JSON`)
    .optional(),
}));

// Accounts (spec §1)
export const registerRequestSchema = deferred(() => z.object({
  email: z.email('email must be a valid address'),
  password: z.string().min(8, 'password must be at least 8 characters'),
  full_name: z.string().max(255).optional(),
  /**
   * Needed for the first admin only, when the engine is not bound to loopback: the one-time token printed in the
   * engine's start-up log (GET /auth/is_admin_user says whether it is required).
   */
  setup_token: z.string().max(200).optional(),
}));
export const isAdminUserResponseSchema = deferred(() => z.object({
  /** no account exists yet: the next registration creates the admin */
  is_admin: z.boolean(),
  /** creating that first admin needs the setup token from the start-up log */
  setup_token_required: z.boolean().optional(),
  /**
   * present (true) only when the request carried a session cookie (access or refresh): without it the Command Center
   * knows the visitor is signed out without asking /auth/me and /auth/refresh for two 401s
   */
  has_session: z.literal(true).optional(),
}));
export const userReadSchema = deferred(() => z.object({
  id: z.string(),
  email: z.string(),
  full_name: z.string().nullable(),
  is_active: z.boolean(),
  is_superuser: z.boolean(),
  is_verified: z.boolean(),
  role: z.enum(['admin', 'approver', 'member']),
  created_at: z.string(),
  /** the clusters and namespaces this user may touch; absent = everything */
  scope: memberScopeSchema.optional(),
}));
export const tokenResponseSchema = deferred(() => z.object({ access_token: z.string(), token_type: z.literal('bearer') }));
export const refreshIssueResponseSchema = deferred(() => z.object({ refresh_token: z.string(), expires_in: z.number() }));
export const passwordChangeRequestSchema = deferred(() => z.object({
  current_password: z.string().min(1),
  new_password: z.string().min(8, 'new_password must be at least 8 characters'),
}));
/** PATCH /auth/me: the profile's name only; role and email are not self-service (an email change needs re-verification). */
export const updateMeRequestSchema = deferred(() => z
  .object({
    full_name: z.string().max(255).nullable().optional(),
    email: z.never({ error: 'email cannot be changed here: it needs re-verification, which this server does not offer; ask an admin to add an account with the new address' }).optional(),
    role: z.never({ error: 'role cannot be changed by yourself; an admin changes roles in Team settings' }).optional(),
  })
  .strict());
/** PATCH /auth/me's answer: the profile fields it changes (GET /auth/me has the rest). */
export const updateMeResponseSchema = deferred(() => userReadSchema.pick({ id: true, email: true, full_name: true }));
/** PATCH /auth/users/{id} (admin only): what an admin may change about another account. */
export const adminUpdateUserRequestSchema = deferred(() => z
  .object({
    role: z
      .string({ error: 'role must be one of admin, approver, member' })
      .transform((value) => value.trim().toLowerCase())
      .pipe(z.enum(['admin', 'approver', 'member'], { error: 'role must be one of admin, approver, member' }))
      .optional(),
    is_active: z.boolean({ error: 'is_active must be true or false' }).optional(),
    full_name: z.string().max(255).nullable().optional(),
  })
  .strict());
export type AdminUpdateUserRequest = z.infer<typeof adminUpdateUserRequestSchema>;
