/**
 * The SSE event union streamed by POST /agent/chat and POST /agent/approvals/{call_id}.
 * Wire-compatible with Skyflo's events (spec §2); additions are optional fields so existing clients keep working.
 * Every event except `ready` and `heartbeat` carries `timestamp`, `conversation_id` and `run_id`, added by the engine.
 */
import { clusterRefSchema } from './clusters.ts';
import { pastIncidentRefSchema, runbookRefSchema } from './runbooks.ts';
import { undoProposalSchema, verificationEventFields } from './verification.ts';
import { deferred } from './deferred.ts';
import { z } from './zod.ts';

const runFields = {
  /** milliseconds since the epoch, added by the engine when the event is published */
  timestamp: z.number().optional(),
  conversation_id: z.string().optional(),
  run_id: z.string().optional(),
};

const toolIdentity = {
  call_id: z.string(),
  tool: z.string(),
  title: z.string(),
  args: z.record(z.string(), z.unknown()),
};

export const toolResultContentSchema = deferred(() => z.array(z.object({ type: z.literal('text'), text: z.string() })));

/**
 * A PromQL range result for the tool card to draw (issue 36): the series as Prometheus answered them ([unix seconds,
 * value as a string]), thinned to the tool's output budget; the model read only their summary. `source_url` is the
 * Prometheus the query ran on (for an "open in Prometheus" link).
 */
export const toolResultChartSchema = deferred(() => z.object({
  query: z.string(),
  start: z.number(),
  end: z.number(),
  step: z.number(),
  series: z.array(z.object({ metric: z.record(z.string(), z.string()), values: z.array(z.tuple([z.number(), z.string()])) })),
  /** how many series the query answered (more than `series` when the budget dropped some) */
  series_total: z.number().optional(),
  source_url: z.string().optional(),
  /** the Grafana in front of that data source, when one is configured (an "open in Grafana" explore link) */
  grafana_url: z.string().optional(),
  /** what the data source warned about this answer (a Thanos/Mimir partial response, a limit): shown on the chart */
  warnings: z.array(z.string()).optional(),
  /** series of native histograms in the answer: told in the text, not drawn */
  native_histograms: z.number().optional(),
  /** rollouts inside the range (new ReplicaSets, from kube-state-metrics): a marker on the chart at each */
  markers: z.array(z.object({ at: z.number(), label: z.string() })).max(20).optional(),
}));
export type ToolResultChart = z.infer<typeof toolResultChartSchema>;

export const pendingToolSchema = deferred(() => z.object({
  ...toolIdentity,
  requires_approval: z.boolean(),
  /** this call can lose data or take a service down (scale to 0, delete, uninstall, drain), judged from its arguments */
  destructive: z.boolean().optional(),
  timestamp: z.number(),
}));

/**
 * A risk the engine found in a mutating call (its arguments, or the manifests its preview rendered), shown
 * prominently on the approval card. Codes: PRIVILEGED_POD, HOST_NAMESPACE, HOST_PATH, RBAC_GRANT,
 * CLUSTER_ADMIN_GRANT, CLUSTER_SCOPED_DELETE, NAMESPACE_DELETE, SCALE_TO_ZERO, SECRET_CHANGE, ARBITRARY_EXEC, …
 */
export const riskFlagSchema = deferred(() => z.object({
  code: z.string(),
  message: z.string(),
  severity: z.enum(['high', 'medium', 'low']),
}));
export type RiskFlag = z.infer<typeof riskFlagSchema>;

/**
 * The risk (high) on a call whose dry-run preview failed: nobody has seen what it would change, so approving it needs
 * `approve_without_preview: true` ("approve without a preview"), recorded in the audit trail.
 */
export const previewFailedRiskCode = 'PREVIEW_FAILED';

/**
 * Issue 73 item 6: the risk (high) on a call whose dry-run preview failed on a cluster that enforces approvals
 * (SKYFLO_APPROVAL_ENFORCEMENT=cluster). Its executor writes only what it computes from an approved preview, so such a
 * call can never run there: "approve without a preview" is not offered, and an approval is refused (PREVIEW_REQUIRED).
 * What is left: fix the cause the card shows and propose the call again, or deny it.
 */
export const previewRequiredRiskCode = 'PREVIEW_REQUIRED';

type RiskCodes = { risks?: readonly Pick<RiskFlag, 'code'>[] | undefined };

/** Whether a call's risks say its dry-run preview failed (the card then asks for "approve without a preview", or, where the cluster enforces approvals, says it cannot be approved). */
export function hasFailedPreview(call: RiskCodes): boolean {
  return call.risks?.some((risk) => risk.code === previewFailedRiskCode || risk.code === previewRequiredRiskCode) ?? false;
}

/**
 * Whether a call cannot be approved at all because its preview failed on a cluster that enforces approvals: clients
 * offer no "approve without a preview" and no Approve, show the risk's message (why, and what to do) and keep Deny.
 */
export function approvalNeedsPreview(call: RiskCodes): boolean {
  return call.risks?.some((risk) => risk.code === previewRequiredRiskCode) ?? false;
}

/** Who asked for a call and who decided it (the approval policy may let someone else decide). */
export const actorSchema = deferred(() => z.object({ id: z.string(), email: z.string().optional(), name: z.string().nullable().optional() }));

/** Who decided a call, when and why: kept on the card after the decision (tool.approved / tool.denied). */
/**
 * The facts of one approval, one schema for every surface that shows them: the `tool.awaiting_approval` event (the
 * chat's card) and GET /approvals/pending (the queue) both extend it, so a field added here reaches both.
 */
export const approvalFactsSchema = deferred(() => z.object({
  ...toolIdentity,
  /** unified diff of live vs would-be state from the tool's preview (dry-run) tool, when it has one */
  diff: z.string().optional(),
  /** why no diff could be produced (preview tool failed); the approval still proceeds */
  preview_error: z.string().optional(),
  /** sha-256 of the canonical JSON of {tool, exact args}: the approval is bound to exactly these arguments */
  args_hash: z.string(),
  /**
   * sha-256 of the preview (diff) shown; at execution the preview is re-run and the call refused with
   * tool.error code TARGET_CHANGED when it differs
   */
  diff_hash: z.string().optional(),
  /** the exact artifact that will be installed (e.g. a Helm chart archive "sha256:<hex>"), pinned at preview time */
  artifact_digest: z.string().optional(),
  /** how relative arguments were made absolute before approval, e.g. "to_revision: previous → 3 (image 2.3.0)" */
  resolution: z.array(z.string()).optional(),
  risks: z.array(riskFlagSchema).optional(),
  /** this call can lose data or take a service down (scale to 0, delete, uninstall, drain), judged from its arguments */
  destructive: z.boolean().optional(),
  /** why the approval policy requires a human for this call, in plain words ("Changes the cluster: scales deployment shop/web to 5 replicas") */
  policy_reason: z.string().optional(),
  requested_by: actorSchema.optional(),
  /** the cluster this call will change (bound into args_hash), shown in large type on the card */
  cluster: clusterRefSchema.optional(),
  /** the namespace it targets, when it has one */
  namespace: z.string().optional(),
  /**
   * every namespace it writes, `namespace` first, when its objects reach beyond it (a Helm chart's rendered manifest);
   * the card lists them all in large type
   */
  namespaces: z.array(z.string()).optional(),
  /** it also writes cluster-scoped objects (outside any namespace), e.g. a chart's ClusterRoleBinding */
  cluster_scoped: z.boolean().optional(),
  /** the inverse call that would restore the recorded before-state (what Undo and automatic revert would run) */
  undo: undoProposalSchema.optional(),
  /** this call is the undo of that call id */
  undo_of: z.string().optional(),
}));
export type ApprovalFacts = z.infer<typeof approvalFactsSchema>;

const decisionFields = {
  /** the deciding user's id */
  decided_by: z.string().optional(),
  decided_by_email: z.string().optional(),
  /** milliseconds since the epoch */
  decided_at: z.number().optional(),
  reason: z.string().optional(),
};

export const completedStatusSchema = deferred(() => z.enum(['completed', 'stopped', 'error']));

/** One schema per event; `type` is the SSE `event:` name. */
export const agentEventSchemas = {
  ready: deferred(() => z.object({ type: z.literal('ready'), run_id: z.string(), conversation_id: z.string() })),
  heartbeat: deferred(() => z.object({ type: z.literal('heartbeat'), timestamp: z.number() })),
  'generation.start': deferred(() => z.object({ type: z.literal('generation.start'), ...runFields, model: z.string(), tools_available: z.number() })),
  /** ms from the start of the run to the first thinking, text or tool-call delta; once per run */
  ttft: deferred(() => z.object({ type: z.literal('ttft'), ...runFields, duration: z.number() })),
  thinking: deferred(() => z.object({ type: z.literal('thinking'), ...runFields, text: z.string() })),
  token: deferred(() => z.object({ type: z.literal('token'), ...runFields, text: z.string(), tokens_generated: z.number() })),
  'token.usage': deferred(() => z.object({
    type: z.literal('token.usage'),
    ...runFields,
    source: z.string(),
    model: z.string(),
    prompt_tokens: z.number(),
    completion_tokens: z.number(),
    total_tokens: z.number(),
    cached_tokens: z.number(),
  })),
  'thinking.complete': deferred(() => z.object({ type: z.literal('thinking.complete'), ...runFields, content: z.string(), duration_ms: z.number() })),
  'generation.complete': deferred(() => z.object({
    type: z.literal('generation.complete'),
    ...runFields,
    tokens_generated: z.number(),
    tool_calls: z.number(),
    content: z.string(),
    thinking_content: z.string().optional(),
  })),
  'tools.pending': deferred(() => z.object({ type: z.literal('tools.pending'), ...runFields, tools: z.array(pendingToolSchema) })),
  'tool.awaiting_approval': deferred(() => approvalFactsSchema.extend({
    type: z.literal('tool.awaiting_approval'),
    ...runFields,
    context: z.object({ conversation_id: z.string(), approval_decisions: z.record(z.string(), z.boolean()) }),
  })),
  'tool.approved': deferred(() => z.object({
    type: z.literal('tool.approved'),
    ...runFields,
    ...toolIdentity,
    ...decisionFields,
    /** approved by `skyflo chat --approve-all` (evaluation only), recorded as such in the audit */
    automatic: z.boolean().optional(),
    /** approved with automatic revert: if verification ends `regressed`, the shown inverse runs without asking again */
    auto_revert: z.boolean().optional(),
    /** issue 34: the cluster enforces this approval: its SkyfloApproval object (`kubectl get skyfloapproval <name>`) */
    approval_object: z.string().optional(),
  })),
  'tool.denied': deferred(() => z.object({ type: z.literal('tool.denied'), ...runFields, ...toolIdentity, ...decisionFields, /** issue 34: the mirrored SkyfloApproval */ approval_object: z.string().optional() })),
  'tool.executing': deferred(() => z.object({ type: z.literal('tool.executing'), ...runFields, ...toolIdentity, /** issue 34: the SkyfloApproval whose credential the call runs with */ approval_object: z.string().optional() })),
  'tool.result': deferred(() => z.object({
    type: z.literal('tool.result'),
    ...runFields,
    ...toolIdentity,
    result: toolResultContentSchema,
    /** prometheus_query_range: the series to draw (issue 36) */
    chart: toolResultChartSchema.optional(),
    /** an executed change whose before-state was recorded: POST /agent/approvals/{call_id}/undo proposes its inverse */
    undo_available: z.boolean().optional(),
  })),
  /** the engine's check of an executed change: `verifying` first, then one final outcome (see verification.ts) */
  'tool.verification': deferred(() => z.object({ type: z.literal('tool.verification'), ...runFields, ...verificationEventFields })),
  'tool.error': deferred(() => z.object({
    type: z.literal('tool.error'),
    ...runFields,
    ...toolIdentity,
    error: z.string(),
    /**
     * machine-readable cause when the engine (not the tool) refused or lost the call: TARGET_CHANGED (the re-run
     * preview differs from the approved one), ARTIFACT_CHANGED, APPROVAL_MISMATCH, CANCELLED, UNKNOWN_OUTCOME
     * (the engine stopped while the call was executing: check the target), NOT_EXECUTED
     */
    code: z.string().optional(),
  })),
  'toolset.loaded': deferred(() => z.object({ type: z.literal('toolset.loaded'), ...runFields, toolset: z.string(), include_write_tools: z.boolean(), tools: z.array(z.string()) })),
  rate_limit: deferred(() => z.object({ type: z.literal('rate_limit'), ...runFields, retry_in: z.number(), attempt: z.number(), max_retries: z.number() })),
  transient_error: deferred(() => z.object({ type: z.literal('transient_error'), ...runFields, retry_in: z.number(), attempt: z.number(), max_retries: z.number(), error: z.string() })),
  /** the last event of every stream */
  completed: deferred(() => z.object({
    type: z.literal('completed'),
    ...runFields,
    status: completedStatusSchema,
    /** seconds */
    duration: z.number(),
    duration_ms: z.number(),
    /** true when the run ended because a tool call waits for approval (POST /agent/approvals/{call_id} resumes it) */
    awaiting_approval: z.boolean().optional(),
    error: z.string().optional(),
  })),
  /** a failure the user should see (iteration limit, model error after retries); always followed by `completed` */
  'workflow.error': deferred(() => z.object({ type: z.literal('workflow.error'), ...runFields, error: z.string(), code: z.string().optional() })),
  /** the conversation's token budget (AGENT_TOKEN_BUDGET) is spent; the run stops before the next model call */
  /** the team runbooks offered to the model for this run's question (issue 36); the answer shows "Runbook: <title>" */
  'runbook.used': deferred(() => z.object({ type: z.literal('runbook.used'), ...runFields, runbooks: z.array(runbookRefSchema) })),
  /** the requester's own resolved past incidents like this question, offered to the model (issue 81); "Seen before: …" */
  'memory.used': deferred(() => z.object({ type: z.literal('memory.used'), ...runFields, incidents: z.array(pastIncidentRefSchema) })),
  'budget.exceeded': deferred(() => z.object({ type: z.literal('budget.exceeded'), ...runFields, budget_tokens: z.number(), used_tokens: z.number() })),
  'conversation.title.generated': deferred(() => z.object({ type: z.literal('conversation.title.generated'), ...runFields, conversation_id: z.string(), title: z.string() })),
  error: deferred(() => z.object({ type: z.literal('error'), ...runFields, error: z.string() })),
} as const;

export const agentEventSchema = deferred(() => z.discriminatedUnion('type', Object.values(agentEventSchemas) as unknown as [
  (typeof agentEventSchemas)[keyof typeof agentEventSchemas],
  ...(typeof agentEventSchemas)[keyof typeof agentEventSchemas][],
]));

export type AgentEvent = z.infer<typeof agentEventSchema>;
export type AgentEventType = AgentEvent['type'];
export type AgentEventOf<T extends AgentEventType> = Extract<AgentEvent, { type: T }>;
/** What a node publishes: the payload without `type` and the auto-added run fields. */
export type AgentEventPayload<T extends AgentEventType> = Omit<AgentEventOf<T>, 'type' | 'timestamp' | 'conversation_id' | 'run_id'>;
export type PendingTool = z.infer<typeof pendingToolSchema>;
export type CompletedStatus = z.infer<typeof completedStatusSchema>;

export const agentEventTypes = Object.keys(agentEventSchemas) as AgentEventType[];

/** Parses one SSE frame's event name and JSON data into a typed event (throws on an unknown or malformed event). */
export function parseAgentEvent(event: string, data: unknown): AgentEvent {
  return agentEventSchema.parse({ ...(data as Record<string, unknown>), type: event });
}
