/**
 * Policies as code (issue 76): rules an admin writes in CEL over what a mutating call would do, enforced by the gate
 * before anyone is asked. The wire shapes of /api/v1/policies, /api/v1/policies/evaluate and of the verdicts a call
 * records (its approval card, its decision's audit record). docs/policies.md documents the input and the effects.
 */
import { deferred } from './deferred.ts';
import { z } from './zod.ts';

/**
 * What a matching policy does: `deny` refuses the call before anyone is asked; `warn` shows its message on the card;
 * `require_passkey` asks for the approver's passkey; `{require_approvers: N}` needs N distinct approvers other than
 * the requester; `{require_role: R}` lets only role R (or a higher one) approve.
 */
export const policyEffectSchema = deferred(() =>
  z.union([
    z.enum(['deny', 'warn', 'require_passkey']),
    z.object({ require_approvers: z.number().int().min(1).max(10) }).strict(),
    z.object({ require_role: z.enum(['approver', 'admin']) }).strict(),
  ]),
);
export type PolicyEffect = z.infer<typeof policyEffectSchema>;

/** POST /policies and PUT /policies/:id */
export const policyInputSchema = deferred(() =>
  z.object({
    name: z.string().trim().min(1).max(100).regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]*$/, 'letters, digits, spaces, ".", "_" and "-", starting with a letter or digit'),
    expression: z.string().trim().min(1).max(4000),
    effect: policyEffectSchema,
    /** shown to the requester and on the card when the policy matches */
    message: z.string().max(500).default(''),
    enabled: z.boolean().default(true),
  }),
);
export type PolicyInput = z.infer<typeof policyInputSchema>;

export const policySchema = deferred(() =>
  z.object({
    id: z.string(),
    name: z.string(),
    expression: z.string(),
    effect: policyEffectSchema,
    message: z.string(),
    enabled: z.boolean(),
    /** 1 when created, +1 on every change: verdicts name the version that matched */
    version: z.number().int(),
    /**
     * Where the policy is declared when not in the API: "SkyfloPolicy <namespace>/<name>" (an object in the cluster)
     * or "file <path> (SkyfloPolicy <name>)" (POLICIES_DIR); such a policy is changed there (PUT/DELETE answer 409).
     */
    managed_by: z.string().nullable().optional(),
    created_at: z.string(),
    updated_at: z.string(),
  }),
);
export type Policy = z.infer<typeof policySchema>;

/** One policy that matched a call: stored with the approval and in its decision's audit record. */
export const policyVerdictSchema = deferred(() =>
  z.object({
    name: z.string(),
    version: z.number().int(),
    effect: policyEffectSchema,
    message: z.string(),
  }),
);
export type PolicyVerdict = z.infer<typeof policyVerdictSchema>;

/** A broken expression (400 at save time): the library's message and where in the expression (0-based offset, 1-based line/column). */
export const policyExpressionErrorSchema = deferred(() =>
  z.object({
    detail: z.string(),
    code: z.literal('INVALID_EXPRESSION'),
    message: z.string(),
    position: z.object({ offset: z.number().int(), line: z.number().int(), column: z.number().int() }).optional(),
  }),
);

/** POST /policies/evaluate: "what would this have done" over the last `limit` recorded calls. */
export const policyEvaluateRequestSchema = deferred(() =>
  z.object({
    expression: z.string().trim().min(1).max(4000),
    effect: policyEffectSchema.default('warn'),
    limit: z.number().int().min(1).max(1000).default(100),
  }),
);

export const policyEvaluateResponseSchema = deferred(() =>
  z.object({
    /** how many recorded calls were evaluated */
    evaluated: z.number().int(),
    matched: z.array(
      z.object({
        conversation_id: z.string(),
        call_id: z.string(),
        tool: z.string(),
        requested_at: z.string(),
        status: z.string(),
        cluster: z.string().nullable(),
        /** what the draft would have done to it */
        verdict: z.string(),
      }),
    ),
    /** calls the expression could not be evaluated on (a field they lack): counted as not matched */
    errors: z.array(z.object({ call_id: z.string(), message: z.string() })),
  }),
);
export type PolicyEvaluateResponse = z.infer<typeof policyEvaluateResponseSchema>;

/** POST /emergency-stop */
export const emergencyStopRequestSchema = deferred(() => z.object({ reason: z.string().trim().min(1, 'say why (it is shown on every refusal)').max(500) }));

/** GET/POST/DELETE /emergency-stop: the switch as every replica reads it (the database's copy). */
export const emergencyStopStateSchema = deferred(() =>
  z.object({
    active: z.boolean(),
    reason: z.string().optional(),
    /** the admin who engaged it */
    by: z.string().optional(),
    since: z.string().optional(),
  }),
);
export type EmergencyStopStateView = z.infer<typeof emergencyStopStateSchema>;

/**
 * POST /freezes and PUT /freezes/:id: a change freeze. `starts_at`/`ends_at` are ISO instants (with an offset); with
 * `recurrence`, that first window repeats daily or weekly at the same wall-clock times in `time_zone` (default UTC).
 */
export const freezeInputSchema = deferred(() =>
  z.object({
    name: z.string().trim().min(1).max(100),
    starts_at: z.iso.datetime({ offset: true, error: 'must be an ISO date-time with an offset, e.g. 2026-12-18T16:00:00+01:00' }),
    ends_at: z.iso.datetime({ offset: true, error: 'must be an ISO date-time with an offset, e.g. 2026-12-21T08:00:00+01:00' }),
    recurrence: z.enum(['daily', 'weekly']).optional(),
    time_zone: z.string().min(1).max(64).optional(),
    /** cluster name patterns (`*` globs); absent: every cluster */
    clusters: z.array(z.string().min(1).max(253)).max(50).optional(),
    /** namespace patterns; absent: every namespace */
    namespaces: z.array(z.string().min(1).max(253)).max(50).optional(),
    reason: z.string().trim().min(1, 'say why (it is shown on every refusal)').max(500),
  }),
);
export type FreezeInput = z.infer<typeof freezeInputSchema>;

/**
 * A SkyfloFreeze's `spec.break_glass` (cluster objects only): the people who may break it where the executor enforces
 * it — each an email or a Skyflo user id, matched against the registered passkey that signed the approval. Absent:
 * nobody can break it in the cluster; the freeze holds there until it ends or is edited.
 */
export const skyfloFreezeBreakGlassSchema = deferred(() =>
  z.object({ approvers: z.array(z.string().trim().min(1).max(320)).min(1, 'name at least one approver (an email or a user id)').max(50) }).strict().optional(),
);

export const freezeSchema = deferred(() =>
  freezeInputSchema.extend({
    id: z.string(),
    /** as Policy.managed_by: "SkyfloFreeze <namespace>/<name>" or "file <path> (SkyfloFreeze <name>)" */
    managed_by: z.string().nullable().optional(),
    created_at: z.string(),
    /** the window holding now, if any: when it ends */
    active_until: z.string().nullable(),
  }),
);
export type FreezeView = z.infer<typeof freezeSchema>;

/** GET /policies and GET /freezes */
export const policyListSchema = deferred(() => z.object({ data: z.array(policySchema) }));
export const freezeListSchema = deferred(() => z.object({ data: z.array(freezeSchema) }));
