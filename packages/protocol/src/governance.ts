/**
 * Payloads of the governance API (team, approvals across conversations, integrations, audit, analytics, runtime
 * LLM settings): shared by the engine (validation, OpenAPI) and its clients (Command Center, CLI).
 * Field names follow Skyflo's wire format (snake_case) where Skyflo has the route (spec §1).
 */
import { deferred } from './deferred.ts';
import { z } from './zod.ts';
import { actorSchema, approvalFactsSchema, riskFlagSchema } from './events.ts';
import { memberScopeSchema } from './clusters.ts';

// ---- roles and team ----

export const roles = ['admin', 'approver', 'member'] as const;
export type RoleName = (typeof roles)[number];

/** A role as clients send it: Skyflo's UI sends "Admin"/"Member", so the case is ignored. */
export const roleInputSchema = deferred(() => z
  .string({ error: 'role must be one of admin, approver, member' })
  .transform((value) => value.trim().toLowerCase())
  .pipe(z.enum(roles, { error: 'role must be one of admin, approver, member' })));

export const memberSchema = deferred(() => z.object({
  id: z.string(),
  email: z.string(),
  name: z.string().nullable(),
  role: z.enum(roles),
  status: z.enum(['active', 'inactive']),
  created_at: z.string(),
  /** the clusters and namespaces the member may touch; absent = everything (PATCH /team/members/{id}/scope) */
  scope: memberScopeSchema.optional(),
}));
export type Member = z.infer<typeof memberSchema>;
export const membersResponseSchema = deferred(() => z.array(memberSchema));

export const addMemberRequestSchema = deferred(() => z
  .object({
    email: z.email('email must be a valid address'),
    role: roleInputSchema.default('member'),
    password: z.string().min(8, 'password must be at least 8 characters'),
    name: z.string().max(255).optional(),
  })
  .strict());
/** what a client sends to POST /team/members (the role in any case; the engine lower-cases it) */
export type AddMemberRequest = z.input<typeof addMemberRequestSchema>;
export const updateMemberRequestSchema = deferred(() => z.object({ role: roleInputSchema }).strict());

// ---- approvals waiting across conversations (APPROVAL_POLICY=approver) ----

export const approvalPolicies = ['self', 'approver'] as const;

/** The queue's item: the approval's facts (the same schema as tool.awaiting_approval) plus where and who may decide. */
export const pendingApprovalSchema = deferred(() => approvalFactsSchema.extend({
  conversation_id: z.string(),
  /**
   * Issue 35: approving needs the approver's passkey (the cluster's passkey policy): ask POST
   * /approvals/:call_id/passkey-options and send the assertion as `webauthn`; a plain approval is refused.
   */
  passkey_required: z.boolean().optional(),
  /** with passkey_required: the call's approval page in the Command Center (where a browser approves it with a passkey) */
  approve_at: z.string().optional(),
  conversation_title: z.string(),
  /** as shown to approvers: Secret values replaced by key, length and digest */
  args: z.record(z.string(), z.unknown()),
  resolution: z.array(z.string()),
  risks: z.array(riskFlagSchema),
  destructive: z.boolean(),
  requested_by: actorSchema,
  requested_at: z.string(),
  /** false when the caller may see the call but not decide it (four-eyes: they requested this destructive or high-risk call themselves) */
  can_decide: z.boolean(),
  /**
   * present exactly when can_decide is false: why, in the engine's words (the same reason a refused decision answers
   * with), e.g. four-eyes or APPROVAL_POLICY=approver; clients show it as is
   */
  cannot_decide_reason: z.string().optional(),
  /**
   * with cannot_decide_reason: the refusal's code (the one a decision would answer with), for a client that acts on
   * it — `DECIDE_IN_ORDER` is only a matter of order, which a client deciding the turn's calls in order meets itself
   */
  cannot_decide_code: z.string().optional(),
  /**
   * Issue 73 item 6: whether the caller may deny the call, asked of the same rules as a denial. With can_decide false
   * it tells a call nobody can approve as it is (its preview failed on a cluster that enforces approvals, or its
   * cluster is stale) — still denied from here — from one only someone else decides. Absent (an older engine): as
   * can_decide.
   */
  can_deny: z.boolean().optional(),
  /**
   * Issue 76 item 6: a change freeze holds the call (cannot_decide_code FROZEN) and the caller, an admin, may approve it
   * anyway with break-glass: a reason and their passkey (`break_glass` and `webauthn` on the decision). Absent: no.
   */
  can_break_glass: z.boolean().optional(),
  /**
   * Issue 37 item 7: the policy that decides THIS call (a cluster/namespace policy recorded with it, else
   * APPROVAL_POLICY), with where it came from and whether APPROVAL_FOUR_EYES applies; clients show it per call
   * instead of the environment's default, which a cluster policy may override.
   */
  effective_policy: z.object({ mode: z.enum(['self', 'approver', 'four_eyes']), source: z.string(), four_eyes: z.boolean() }),
  /**
   * present when the call is bound to a cluster API server that is no longer configured (the kubeconfig changed across
   * a restart): it can never run as approved, so it is listed with this reason and not offered for approval
   */
  stale_reason: z.string().optional(),
}));
export type PendingApproval = z.infer<typeof pendingApprovalSchema>;
/**
 * GET /approvals/pending: the one shape of the approval queue, for the engine (which serialises its answer with it),
 * the typed client (which checks it) and every client that shows it (the Command Center's queue and cards, the CLI).
 */
/** The largest page of GET /approvals/pending, and the page a request without `limit` gets. */
export const pendingApprovalsMaxLimit = 200;
export const pendingApprovalsDefaultLimit = 50;

/** GET /approvals/pending?limit&cursor&conversation_id: a page of the queue, oldest first (issue 79). */
export const pendingApprovalsQuerySchema = deferred(() => z.object({
  limit: z.coerce
    .number({ error: `limit must be a number, 1 to ${pendingApprovalsMaxLimit}` })
    .int(`limit must be 1 to ${pendingApprovalsMaxLimit}`)
    .min(1, `limit must be 1 to ${pendingApprovalsMaxLimit}`)
    .max(pendingApprovalsMaxLimit, `limit must be 1 to ${pendingApprovalsMaxLimit}`)
    .default(pendingApprovalsDefaultLimit),
  /** `next_cursor` of the previous page, as is */
  cursor: z.string().min(1).max(600, 'cursor: not a cursor returned by this API (use next_cursor as is)').optional(),
  /** only the calls of this conversation (a chat's cards ask for their own) */
  conversation_id: z.uuid('conversation_id must be a conversation id (a UUID)').optional(),
}));
export type PendingApprovalsQuery = z.input<typeof pendingApprovalsQuerySchema>;

/** `policy` and `four_eyes` are the environment's defaults (APPROVAL_POLICY, APPROVAL_FOUR_EYES); each item's `effective_policy` is what decides it. */
export const pendingApprovalsResponseSchema = deferred(() => z.object({
  policy: z.enum(approvalPolicies),
  four_eyes: z.boolean(),
  /** this page, oldest first */
  data: z.array(pendingApprovalSchema),
  /** every call waiting that the caller may see (with the filter), on every page: the queue's length */
  total: z.number().int().min(0),
  /** pass as `cursor` for the next page; null on the last */
  next_cursor: z.string().nullable(),
  has_more: z.boolean(),
}));
export type PendingApprovalsResponse = z.infer<typeof pendingApprovalsResponseSchema>;

// ---- integrations (Jenkins; Prometheus and Loki data sources, issue 36) ----

export const integrationProviders = ['jenkins', 'prometheus', 'loki'] as const;
/** Providers that are data sources for the observability tools: per cluster, bearer (api_token alone) or basic auth. */
export const dataSourceProviders = ['prometheus', 'loki'] as const;

export const integrationSchema = deferred(() => z.object({
  id: z.string(),
  provider: z.enum(integrationProviders),
  name: z.string(),
  metadata: z.object({
    api_url: z.string(),
    username: z.string().optional(),
    /** Prometheus/Loki: the cluster (kubeconfig context) the data source serves; absent = every cluster */
    cluster: z.string().optional(),
    /** Prometheus: the Grafana in front of it, for the chart's "Open in Grafana" link; absent = none */
    grafana_url: z.string().optional(),
    /** Prometheus/Loki: the tenant sent as X-Scope-OrgID (Loki, Mimir, Cortex, Thanos receive); absent = none */
    org_id: z.string().optional(),
  }),
  status: z.enum(['active', 'disabled']),
  /** whether credentials are stored; the token itself is never returned */
  credentials: z.object({ set: z.boolean(), token_last4: z.string().optional() }),
  created_at: z.string(),
  updated_at: z.string(),
}));
export type Integration = z.infer<typeof integrationSchema>;
export const integrationsResponseSchema = deferred(() => z.array(integrationSchema));

const apiUrlSchema = deferred(() => z.url({ error: 'metadata.api_url must be a URL such as https://jenkins.example.com' }).refine((value) => /^https?:\/\//i.test(value), 'metadata.api_url must use http or https'));
/** a link users follow from the chart, so http(s) only (never javascript: or data:) */
const grafanaUrlSchema = deferred(() => z.url({ error: 'metadata.grafana_url must be a URL such as https://grafana.example.com' }).refine((value) => /^https?:\/\//i.test(value), 'metadata.grafana_url must use http or https'));
const grafanaOnlyOnPrometheus = 'metadata.grafana_url applies to prometheus data sources only';
/**
 * A tenant of a multi-tenant Loki or Mimir, sent as X-Scope-OrgID: Loki's tenant ids are at most 150 bytes of letters,
 * digits and !-_.*'() ("|" joins several for a query across tenants). Nothing else, so no header can be smuggled.
 */
export const orgIdSchema = deferred(() => z.string().min(1, 'metadata.org_id must not be empty').max(150, 'metadata.org_id is at most 150 characters').regex(/^[A-Za-z0-9!\-_.*'()|]+$/, "metadata.org_id may hold letters, digits and !-_.*'() (| joins tenants)"));
const orgIdOnDataSources = 'metadata.org_id applies to prometheus and loki data sources only';

export const createIntegrationRequestSchema = deferred(() => z
  .object({
    provider: z.enum(integrationProviders, { error: 'provider must be "jenkins", "prometheus" or "loki"' }),
    name: z.string().min(1).max(100).optional(),
    metadata: z.object({ api_url: apiUrlSchema, cluster: z.string().min(1).max(253).optional(), grafana_url: grafanaUrlSchema.optional(), org_id: orgIdSchema.optional() }),
    // Jenkins: username and API token. Prometheus/Loki: api_token alone is a bearer token; with a username, basic auth.
    credentials: z.object({ username: z.string().min(1, 'credentials.username is required').optional(), api_token: z.string().min(1, 'credentials.api_token is required') }),
  })
  .strict()
  .superRefine((request, context) => {
    if (request.provider === 'jenkins' && request.credentials.username === undefined) context.addIssue({ code: 'custom', path: ['credentials', 'username'], message: 'credentials.username is required' });
    if (request.provider === 'jenkins' && request.metadata.cluster !== undefined) context.addIssue({ code: 'custom', path: ['metadata', 'cluster'], message: 'metadata.cluster applies to prometheus and loki data sources only' });
    if (request.provider !== 'prometheus' && request.metadata.grafana_url !== undefined) context.addIssue({ code: 'custom', path: ['metadata', 'grafana_url'], message: grafanaOnlyOnPrometheus });
    if (request.provider === 'jenkins' && request.metadata.org_id !== undefined) context.addIssue({ code: 'custom', path: ['metadata', 'org_id'], message: orgIdOnDataSources });
  }));
export const updateIntegrationRequestSchema = deferred(() => z
  .object({
    name: z.string().min(1).max(100).optional(),
    // grafana_url: null removes it (Prometheus only; the engine refuses it on other providers, which it knows by id)
    // org_id: null removes it (data sources only, checked by the engine like grafana_url)
    metadata: z.object({ api_url: apiUrlSchema.optional(), grafana_url: grafanaUrlSchema.nullable().optional(), org_id: orgIdSchema.nullable().optional() }).optional(),
    credentials: z.object({ username: z.string().min(1).optional(), api_token: z.string().min(1) }).optional(),
    status: z.enum(['active', 'disabled']).optional(),
  })
  .strict());

/** the update check's words, for the engine, which knows the provider only from the stored integration */
export const grafanaUrlProviderMessage = grafanaOnlyOnPrometheus;
export const orgIdProviderMessage = orgIdOnDataSources;

export type CreateIntegrationRequest = z.infer<typeof createIntegrationRequestSchema>;
export type UpdateIntegrationRequest = z.infer<typeof updateIntegrationRequestSchema>;

/** POST /integrations/:id/test — what checking the credentials against Jenkins found. */
export const integrationTestResultSchema = deferred(() => z.object({
  ok: z.boolean(),
  latency_ms: z.number().optional(),
  /** who Jenkins says the credentials belong to */
  user: z.string().optional(),
  /** in plain words: unreachable, rejected (401), not a Jenkins server… */
  error: z.string().optional(),
}));
export type IntegrationTestResult = z.infer<typeof integrationTestResultSchema>;

// ---- audit trail ----

export const auditRecordSchema = deferred(() => z.object({
  id: z.string(),
  sequence: z.number(),
  at: z.string(),
  actor_id: z.string().nullable(),
  actor_email: z.string().nullable().optional(),
  action: z.string(),
  conversation_id: z.string().nullable(),
  tool: z.string().nullable(),
  subject_type: z.string().nullable(),
  subject_id: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
  ip: z.string().nullable(),
  /**
   * sha-256 over the canonical JSON of the record and prev_hash: the chain /audit/verify re-walks. Null only on
   * records written before the chain existed (an installation upgraded from a version without it).
   */
  hash: z.string().nullable(),
  prev_hash: z.string().nullable(),
  /**
   * GET /audit only, for the reader (not covered by the hash chain): the title of the record's conversation
   * (conversation_id, or details.conversation_id on approval records); null when it has none or was deleted.
   */
  conversation_title: z.string().nullable().optional(),
  /**
   * GET /audit only, on approval.* records: the diff the approver was shown, from the tool.proposed record of the same
   * call when its diff_hash matches the decision's (null when there was none or it no longer matches).
   */
  approved_diff: z.string().nullable().optional(),
}));
export type AuditRecord = z.infer<typeof auditRecordSchema>;

/**
 * The actions the engine writes, for filters (the Action filter offers them). `*` suffix: a prefix filter. Dynamic
 * ones (settings.<section>_<change>, conversation.<reader>_read) are listed by their prefix.
 */
export const knownAuditActions = [
  'approval.*', 'approval.approved', 'approval.auto_approved', 'approval.denied', 'approval.held',
  'tool.*', 'tool.proposed', 'tool.execution_started', 'tool.executed', 'tool.failed', 'tool.outcome_unknown',
  'chat.request', 'conversation.*',
  'auth.*', 'auth.login', 'auth.login_failed', 'auth.logout', 'auth.refresh_token_reused', 'auth.setup_token_rejected',
  'user.*', 'user.registered', 'user.password_changed', 'user.access_changed',
  'team.*', 'team.role_changed', 'team.member_removed',
  'integration.*', 'settings.*', 'audit.exported',
  'freeze.*', 'freeze.break_glass',
] as const;

export const auditQuerySchema = deferred(() => z.object({
  user_id: z.uuid('user_id must be a user id').optional(),
  conversation_id: z.uuid('conversation_id must be a conversation id').optional(),
  tool: z.string().max(100).optional(),
  action: z.string().max(100).optional(),
  from: z.iso.datetime({ offset: true, error: 'from must be an ISO 8601 date-time such as 2026-11-01T00:00:00Z' }).optional(),
  to: z.iso.datetime({ offset: true, error: 'to must be an ISO 8601 date-time such as 2026-11-30T23:59:59Z' }).optional(),
  cursor: z.string().regex(/^[1-9][0-9]{0,17}$/, 'cursor must be the next_cursor value of the previous page').optional(),
  limit: z.coerce.number({ error: 'limit must be a number from 1 to 500' }).int('limit must be a whole number').min(1, 'limit must be at least 1').max(500, 'limit must be at most 500').default(50),
}));

/** GET /audit/export: the same filters as GET /audit (no paging: every matching record, oldest first). */
export const auditExportFormats = ['jsonl', 'csv'] as const;
export const auditExportQuerySchema = deferred(() => auditQuerySchema
  .omit({ cursor: true, limit: true })
  .extend({ format: z.enum(auditExportFormats, { error: 'format must be jsonl or csv' }).default('jsonl') }));

/** The CSV export's columns, in order (details is the record's JSON). */
export const auditCsvColumns = ['sequence', 'id', 'at', 'actor_id', 'actor_email', 'action', 'conversation_id', 'tool', 'subject_type', 'subject_id', 'ip', 'details', 'prev_hash', 'hash'] as const;
export const auditListResponseSchema = deferred(() => z.object({
  data: z.array(auditRecordSchema),
  pagination: z.object({ limit: z.number(), next_cursor: z.string().nullable(), has_more: z.boolean() }),
}));
export type AuditListResponse = z.infer<typeof auditListResponseSchema>;
/** A checkpoint of a verify (a progress line's `checkpoint`): long, signed, passed back as is. */
const resumeField = () => z.string().min(20, 'resume must be the checkpoint of a progress line of /audit/verify, as is').max(16_384, 'resume is too long to be a checkpoint');
/** How many records a progress line stands for (GET and POST /audit/verify with Accept: application/x-ndjson). */
const progressEveryField = () =>
  z.coerce.number({ error: 'progress_every must be a number of records, 100 to 1,000,000' }).int().min(100, 'progress_every must be 100 to 1,000,000').max(1_000_000, 'progress_every must be 100 to 1,000,000');

/**
 * GET /audit/verify: optionally an anchor, a head reported earlier (head_sequence, head_hash) and kept elsewhere;
 * `resume`: a checkpoint of an earlier verify to go on from (issue 79); `progress_every`: records per progress line.
 */
export const auditVerifyQuerySchema = deferred(() => z
  .object({
    resume: resumeField().optional(),
    progress_every: progressEveryField().optional(),
    anchor_sequence: z.coerce.number({ error: 'anchor_sequence must be the head_sequence of an earlier verify' }).int('anchor_sequence must be a whole number').min(1, 'anchor_sequence must be at least 1').optional(),
    anchor_hash: z.string().regex(/^[0-9a-f]{64}$/, 'anchor_hash must be the head_hash (64 hex digits) of an earlier verify').optional(),
  })
  .refine((query) => (query.anchor_sequence === undefined) === (query.anchor_hash === undefined), { message: 'anchor_sequence and anchor_hash go together', path: ['anchor_hash'] }));

export const auditVerifyResponseSchema = deferred(() => z.object({
  ok: z.boolean(),
  records_checked: z.number(),
  head_hash: z.string().nullable(),
  /** the sequence of the head record: keep it with head_hash to pass back as an anchor later */
  head_sequence: z.number().nullable().optional(),
  /** with an anchor: whether that record is still in the chain with the same hash */
  anchor_found: z.boolean().optional(),
  /** records older than the chain (written before it existed), which it does not cover */
  legacy_records: z.number().optional(),
  /** the first record whose hash or link does not match, when the chain is broken; position is 1-based in write order */
  broken_at: z.object({ sequence: z.number(), id: z.string(), reason: z.string(), position: z.number().optional() }).optional(),
  /** whether each record's signature was checked with the engine's audit key (records from migration 0011 on) */
  signatures_checked: z.boolean().optional(),
  /** records carrying the engine's valid signature */
  signed_records: z.number().optional(),
  /** records the chain holds that the engine did not sign (inserted directly, forged or altered): count and the first 50 */
  not_written_by_engine: z
    .object({ count: z.number(), records: z.array(z.object({ position: z.number(), sequence: z.number(), id: z.string(), reason: z.string() })) })
    .optional(),
}));
export type AuditVerifyResponse = z.infer<typeof auditVerifyResponseSchema>;

/** GET /audit/head: the chain's newest record, signed by the engine's audit key (keep `signed_head` outside Skyflo). */
export const auditHeadResponseSchema = deferred(() => z.object({
  /** null while no chained record exists */
  sequence: z.number().nullable(),
  hash: z.string().nullable(),
  at: z.string(),
  /** compact JWS (EdDSA) of {sequence, hash, at}; pass it back to POST /audit/verify later */
  signed_head: z.string().nullable(),
  /** the Ed25519 public key (JWK) that checks signed_head, for verifying outside Skyflo */
  public_key: z.record(z.string(), z.unknown()),
}));
export type AuditHeadResponse = z.infer<typeof auditHeadResponseSchema>;

/** POST /audit/verify: re-walk the chain and check that it still contains a head published earlier. */
export const auditVerifySignedHeadRequestSchema = deferred(() => z.object({
  resume: resumeField().optional(),
  progress_every: progressEveryField().optional(),
  signed_head: z.string({ error: 'signed_head must be the signed_head of GET /audit/head or of an "audit chain head" log line' }).min(20, 'signed_head must be the signed_head of GET /audit/head or of an "audit chain head" log line').max(4096, 'signed_head is too long'),
}));

export const auditVerifySignedHeadResponseSchema = deferred(() => auditVerifyResponseSchema.extend({
  /** the head that was checked (from the signature) */
  signed_head: z.object({ sequence: z.number(), hash: z.string(), at: z.string() }),
  /** true when the chain no longer holds that head at that sequence: it was rewritten (or cut) since */
  rewritten: z.boolean(),
}));
export type AuditVerifySignedHeadResponse = z.infer<typeof auditVerifySignedHeadResponseSchema>;

/**
 * /audit/verify with `Accept: application/x-ndjson` (issue 79): one JSON object a line while the verify runs — a
 * `progress` line every `progress_every` records, with a signed `checkpoint` to go on from (`resume`) should the
 * connection break — then the `report` (the JSON answer's fields), or an `error`.
 */
export const auditVerifyProgressSchema = deferred(() => z.object({
  type: z.literal('progress'),
  records_checked: z.number(),
  /** 1-based position of the last record checked, in write order */
  position: z.number(),
  sequence: z.number(),
  /** the chain's newest record when the verify started: sequence ÷ head_sequence is how far it got */
  head_sequence: z.number().nullable(),
  /** pass as `resume` to go on after this record */
  checkpoint: z.string(),
}));
export type AuditVerifyProgress = z.infer<typeof auditVerifyProgressSchema>;
export const auditVerifyStreamLineSchema = deferred(() => z.discriminatedUnion('type', [
  auditVerifyProgressSchema,
  auditVerifyResponseSchema.extend({ type: z.literal('report'), signed_head: z.object({ sequence: z.number(), hash: z.string(), at: z.string() }).optional(), rewritten: z.boolean().optional() }),
  z.object({ type: z.literal('error'), detail: z.string() }),
]));
export type AuditVerifyStreamLine = z.infer<typeof auditVerifyStreamLineSchema>;

// ---- analytics ----

export const analyticsQuerySchema = deferred(() => z.object({
  last_n_days: z.coerce.number({ error: 'last_n_days must be a number of days from 1 to 366' }).int('last_n_days must be a whole number of days').min(1, 'last_n_days must be at least 1').max(366, 'last_n_days must be at most 366').optional(),
  start_date: z.iso.date({ error: 'start_date must be a date such as 2026-11-01' }).optional(),
  end_date: z.iso.date({ error: 'end_date must be a date such as 2026-11-30' }).optional(),
  start_datetime: z.iso.datetime({ offset: true, error: 'start_datetime must be an ISO 8601 date-time' }).optional(),
  end_datetime: z.iso.datetime({ offset: true, error: 'end_datetime must be an ISO 8601 date-time' }).optional(),
  /** admins: one user's figures (default: everyone's); members always see their own */
  user_id: z.uuid('user_id must be a user id').optional(),
}));

const usageTotals = {
  cost: z.number(),
  prompt_tokens: z.number(),
  completion_tokens: z.number(),
  cached_tokens: z.number(),
  total_tokens: z.number(),
  conversations: z.number(),
  avg_ttft_ms: z.number().nullable(),
  avg_ttr_ms: z.number().nullable(),
};

export const analyticsResponseSchema = deferred(() => z.object({
  period: z.object({ start: z.string(), end: z.string(), bucket: z.string(), bucket_seconds: z.number() }),
  scope: z.enum(['self', 'all', 'user']),
  summary: z.object({
    ...usageTotals,
    p95_ttft_ms: z.number().nullable(),
    p95_ttr_ms: z.number().nullable(),
    avg_cost_per_conversation: z.number().nullable(),
    cache_hit_rate: z.number().nullable(),
    approvals_requested: z.number(),
    approvals_approved: z.number(),
    approvals_denied: z.number(),
    approval_acceptance_rate: z.number().nullable(),
    tool_calls: z.number(),
    tool_errors: z.number(),
    tool_error_rate: z.number().nullable(),
  }),
  buckets: z.array(z.object({ start: z.string(), ...usageTotals })),
  tools: z.array(z.object({ tool: z.string(), calls: z.number(), errors: z.number() })),
  /** models whose price is unknown: their tokens count, their cost is 0 */
  unpriced_models: z.array(z.string()),
}));
export type AnalyticsResponse = z.infer<typeof analyticsResponseSchema>;

// ---- runtime LLM settings ----

export const reasoningEfforts = ['low', 'medium', 'high', 'default'] as const;

/**
 * The model `skyflo sandbox` answers with when no model key is set (issue 80 item 7): scripted, labelled, and known
 * to the Command Center by this name, so the home page can say so and offer the sandbox's own questions.
 */
export const sandboxDemoModel = 'skyflo-demo';
/** The questions the demo model knows (the sandbox's demo incidents), as the home page offers them. */
export const sandboxDemoQuestions = ['Why is the checkout pod in prod crash-looping?', "Why can't the frontend in staging pull its image?"] as const;

export const llmSettingsSchema = deferred(() => z.object({
  /** whether chats can run: a provider, model and key (when the provider needs one) are known */
  configured: z.boolean(),
  provider: z.string().nullable(),
  model: z.string().nullable(),
  base_url: z.string().nullable(),
  api_key: z.object({ set: z.boolean(), last4: z.string().optional() }),
  reasoning_effort: z.enum(reasoningEfforts).nullable(),
  thinking_budget_tokens: z.number().nullable(),
  max_tokens: z.number().nullable(),
  /** where the effective settings come from: environment variables win over what is saved here */
  source: z.enum(['environment', 'settings', 'none']),
  /** the environment variables that currently override saved settings */
  environment_overrides: z.array(z.string()),
  /** what is wrong with the configuration, in plain words */
  problem: z.string().optional(),
}));
export type LlmSettings = z.infer<typeof llmSettingsSchema>;

export const updateLlmSettingsRequestSchema = deferred(() => z
  .object({
    provider: z.string().min(1, 'provider is required'),
    model: z.string().min(1, 'model is required'),
    base_url: z
      .url({ error: 'base_url must be a URL such as http://127.0.0.1:11434/v1' })
      .refine((value) => /^https?:\/\//i.test(value), 'base_url must be an http(s) URL such as http://127.0.0.1:11434/v1')
      .nullable()
      .optional(),
    /** omit to keep the stored key; null removes it */
    api_key: z.string().min(1).nullable().optional(),
    reasoning_effort: z.enum(reasoningEfforts).nullable().optional(),
    thinking_budget_tokens: z.number().int().min(1024).nullable().optional(),
    max_tokens: z.number().int().min(1).nullable().optional(),
  })
  .strict());
export type UpdateLlmSettingsRequest = z.infer<typeof updateLlmSettingsRequestSchema>;

/** POST /settings/llm/test: the stored settings, or a candidate (same shape as PUT) tried without saving. */
export const testLlmSettingsRequestSchema = deferred(() => updateLlmSettingsRequestSchema.partial());
export const llmTestResultSchema = deferred(() => z.object({ ok: z.boolean(), latency_ms: z.number().optional(), model: z.string().optional(), reply: z.string().optional(), error: z.string().optional() }));
export type LlmTestResult = z.infer<typeof llmTestResultSchema>;

export const llmProviderSchema = deferred(() => z.object({
  id: z.string(),
  label: z.string(),
  /** the environment variable its key comes from, e.g. OPENAI_API_KEY */
  api_key_variable: z.string().nullable(),
  needs_api_key: z.boolean(),
  needs_base_url: z.boolean(),
  example_models: z.array(z.string()),
}));
export type LlmProvider = z.infer<typeof llmProviderSchema>;
export const llmProvidersResponseSchema = deferred(() => z.array(llmProviderSchema));
export const ollamaModelsResponseSchema = deferred(() => z.object({ available: z.boolean(), base_url: z.string(), models: z.array(z.string()), error: z.string().optional() }));
export type OllamaModelsResponse = z.infer<typeof ollamaModelsResponseSchema>;
