/**
 * The engine ↔ MCP server contract, beyond what the MCP spec itself fixes: the toolsets, the tool annotations as the
 * server declares and lists them, our own `_meta` keys (on a listed tool, on a tools/call request, on a failed result),
 * and the arguments and structured result of `preview_tool_call`. The MCP server writes these (create-mcp-server.ts,
 * tools/preview/preview-tool-call.ts) and the engine reads them (engine/src/adapters/mcp/); both import them from here so the
 * two sides cannot drift. Any other MCP client sees the same keys; nothing here is Skyflo-engine-only except where a
 * key says the server honours it only from the engine's own connection.
 */
import { deferred } from './deferred.ts';
import { z } from './zod.ts';
import { riskFlagSchema } from './events.ts';
import { toolAnnotationsSchema } from './api.ts';
import { approvedAccessSchema } from './skyflo-approval.ts';

/** The families the engine loads tools by (`load_toolset`); a tool's toolset is listed under `_meta["skyflo.ai/toolset"]`. */
export const toolsets = ['k8s', 'helm', 'argo', 'jenkins', 'observability'] as const;
export const toolsetSchema = deferred(() => z.enum(toolsets));
export type Toolset = z.infer<typeof toolsetSchema>;

/**
 * The annotations (MCP ToolAnnotations) as a client reads them off tools/list: every hint optional, since another
 * server may leave any out; the engine's gate requires approval for anything not `readOnlyHint: true`. The schema is
 * the one GET /agent/tools answers with (api.ts), since the engine passes the listed annotations on unchanged.
 */
export { toolAnnotationsSchema };
export type ToolAnnotations = z.infer<typeof toolAnnotationsSchema>;

/**
 * The annotations every tool of our server declares: the three hints MCP clients read an absent value of wrongly
 * are required (an absent idempotentHint reads as false; see create-mcp-server.ts for openWorldHint).
 */
export const declaredToolAnnotationsSchema = deferred(() => z.object({
  /** true only when the tool can never change cluster or CI state. The engine gates everything else. */
  readOnlyHint: z.boolean(),
  /**
   * true when the call can lose data or take a service down: deletes, drains, uninstalls, rollbacks, anything that
   * replaces running pods or overwrites live fields (apply, patch, scale, set image, restart, upgrade, promote),
   * arbitrary commands (exec, Jenkins pipelines). false only for additive or scheduling-only changes. The reason for
   * each tool is in mcp-server's test/catalogue-contract.test.ts; the approval card badges destructive calls.
   */
  destructiveHint: z.boolean(),
  /** true when repeating the call with the same arguments has no further effect. Required: MCP clients read absent as false. */
  idempotentHint: z.boolean(),
  /** true when the tool reaches outside the cluster (Jenkins, chart repositories). Absent means false on our server (listed explicitly). */
  openWorldHint: z.boolean().optional(),
}));
export type DeclaredToolAnnotations = z.infer<typeof declaredToolAnnotationsSchema>;

/**
 * Our own `_meta` keys, one prefix (`skyflo.ai/`) as the MCP spec advises for implementation-specific keys.
 * - on a listed tool: `toolset`, `tags`, `previewTool` (names its read-only preview tool, for people reading the
 *   listing) and `preview` (true: preview_tool_call previews it, the flag that makes a preview callable over the wire);
 * - on a tools/call request, honoured only from the engine's own connection: `impersonate` (EXECUTE_AS_APPROVER) and
 *   `jenkinsCredentials` (an integration the engine keeps; never in the arguments, so never displayed or hashed);
 * - on a failed result: `structured` (the machine-readable error; success carries structuredContent instead).
 * - on a listed tool, issue 39: `rbac`, the Kubernetes RBAC rules the tool needs (`[{apiGroups, resources, verbs}]`,
 *   from tool-permissions.ts; `[]` when it needs nothing from the Kubernetes API), as the containers MCP server
 *   publishes, so a client can check a ServiceAccount before connecting it.
 */
export const mcpMetaKeys = {
  toolset: 'skyflo.ai/toolset',
  tags: 'skyflo.ai/tags',
  preview: 'skyflo.ai/preview',
  previewTool: 'skyflo.ai/preview-tool',
  impersonate: 'skyflo.ai/impersonate',
  /** issue 34: the per-approval token (ToolCallCredential, skyflo-approval.ts) the one approved call runs with */
  credential: 'skyflo.ai/credential',
  jenkinsCredentials: 'skyflo.ai/jenkins-credentials',
  observabilitySources: 'skyflo.ai/observability-sources',
  structured: 'skyflo.ai/structured',
  rbac: 'skyflo.ai/rbac',
  /**
   * issue 39: the W3C trace context of the engine's tool span on a tools/call request, so the server's span continues
   * the engine's trace. Unprefixed by the spec's own exception: MCP reserves these bare keys for it (SEP-414).
   */
  traceparent: 'traceparent',
  tracestate: 'tracestate',
} as const;

/**
 * What older versions of our server listed (`skyflo/…`): the engine still reads them so it can talk to one.
 * `preview` there named the preview tool (today's `previewTool`), and `structured` carried success results too.
 */
export const legacyMcpMetaKeys = {
  toolset: 'skyflo/toolset',
  tags: 'skyflo/tags',
  previewTool: 'skyflo/preview',
  structured: 'skyflo/structured',
} as const;

/** One Kubernetes RBAC rule a listed tool needs (`_meta["skyflo.ai/rbac"]`): the fields of a Role's rule. */
export const toolRbacRuleSchema = deferred(() => z.object({ apiGroups: z.array(z.string()), resources: z.array(z.string()).min(1), verbs: z.array(z.string()).min(1) }));
export type ToolRbacRule = z.infer<typeof toolRbacRuleSchema>;

/** The `_meta` of a tool as our server lists it. Loose: other keys (the SDK's, another server's) pass through. */
export const listedToolMetaSchema = deferred(() => z.looseObject({
  [mcpMetaKeys.toolset]: toolsetSchema.optional(),
  [mcpMetaKeys.tags]: z.array(z.string()).optional(),
  [mcpMetaKeys.previewTool]: z.string().min(1).optional(),
  [mcpMetaKeys.preview]: z.literal(true).optional(),
  [mcpMetaKeys.rbac]: z.array(toolRbacRuleSchema).optional(),
}));
export type ListedToolMeta = z.infer<typeof listedToolMetaSchema>;

/** A tool as tools/list carries it, reduced to what the engine reads. */
export const listedToolSchema = deferred(() => z.looseObject({
  name: z.string().min(1),
  title: z.string().optional(),
  description: z.string().optional(),
  /** JSON schema of the arguments */
  inputSchema: z.record(z.string(), z.unknown()),
  annotations: toolAnnotationsSchema.optional(),
  _meta: z.record(z.string(), z.unknown()).optional(),
}));
export type ListedTool = z.infer<typeof listedToolSchema>;

/** `_meta["skyflo.ai/impersonate"]` of a tools/call: act as this Kubernetes identity (the approver). */
export const toolCallImpersonationSchema = deferred(() => z.object({ user: z.string().min(1), groups: z.array(z.string().min(1)) }));
export type ToolCallImpersonation = z.infer<typeof toolCallImpersonationSchema>;

/** `_meta["skyflo.ai/jenkins-credentials"]` of a tools/call: what the MCP server needs to call Jenkins for this one call. */
export const toolCallJenkinsCredentialsSchema = deferred(() => z.object({ api_url: z.string().min(1), username: z.string().min(1), api_token: z.string().min(1) }));
export type ToolCallJenkinsCredentials = z.infer<typeof toolCallJenkinsCredentialsSchema>;

/** The wire-level preview capability: tools listed with `_meta["skyflo.ai/preview"]: true` are previewed through it. */
export const previewToolCallName = 'preview_tool_call';

/** preview_tool_call's arguments (an MCP input shape: the server registers it, a client builds its call from it). */
export const previewToolCallArgumentsShape = {
  tool: z.string().min(1).describe('Name of the mutating tool whose call to preview, e.g. k8s_scale'),
  // An object whose values are checked against the named tool's own schema by the server: a precise JSON schema
  // ("object") rather than z.unknown(), which strict schema checkers report as "accepts any value".
  arguments: z.object({}).catchall(z.json()).default({}).describe("The exact arguments that would be sent to that tool (an object; checked against that tool's input schema)"),
};
export const previewToolCallArgumentsSchema = deferred(() => z.object(previewToolCallArgumentsShape));
export type PreviewToolCallArguments = z.input<typeof previewToolCallArgumentsSchema>;

/**
 * One Kubernetes object a Helm call writes or deletes (kind, apiVersion, name, metadata.namespace as written), read
 * from the manifest a preview rendered. The engine judges the caller's scope on each.
 */
export const manifestObjectRefSchema = deferred(() => z.object({
  kind: z.string().optional().describe('absent when the document could not be read (the engine cannot place it)'),
  apiVersion: z.string().optional(),
  name: z.string().optional(),
  namespace: z.string().optional().describe('metadata.namespace as written; absent: the release namespace (for a namespaced kind)'),
  removed: z.boolean().optional().describe('in the live release but not in the new manifest: helm deletes it'),
}));
export type ManifestObjectRef = z.infer<typeof manifestObjectRefSchema>;

const sha256Digest = deferred(() => z.string().regex(/^sha256:[0-9a-f]{64}$/));

/** preview_tool_call's structured result (MCP structuredContent, besides `text`). The engine reads these field names. */
export const previewToolCallResultShape = {
  tool: z.string().describe('The previewed tool'),
  previewTool: z.string().describe("The read-only tool that produced the preview (k8s_diff, helm_upgrade_diff), or the tool's own name when it describes itself"),
  resolved_arguments: z
    .record(z.string(), z.unknown())
    .describe("The exact arguments to execute: the caller's arguments with relative values made absolute (equal to them when nothing was relative); valid against the tool's schema"),
  resolution: z.array(z.string()).describe('One line per argument that was made absolute, e.g. "to_revision: previous → 1 (image nginx:1.27)"'),
  artifact_digest: sha256Digest.optional().describe('The exact artifact the call installs (a pinned Helm chart archive), "sha256:<hex>"'),
  diff: z.string().describe("Unified diff of live vs would-be state ('' when the preview has none)"),
  changed: z.boolean().describe('Whether the call would change anything'),
  risks: z
    .array(riskFlagSchema)
    .describe("Risk flags from the call's arguments, from what manages its target in the cluster (MANAGED_BY_CONTROLLER: an HPA, Argo CD, Flux, an owner) and, for Helm, from the manifests the preview rendered"),
  truncated: z.boolean().optional().describe('The diff was cut to the output budget'),
  manifest_digest: sha256Digest
    .optional()
    .describe('Helm: "sha256:<hex>" of the full, unredacted manifest the call would install (the diff shows it redacted); bound to the approval and re-checked before executing'),
  objects: z
    .array(manifestObjectRefSchema)
    .optional()
    .describe("Helm: every Kubernetes object the call writes or deletes (kind, apiVersion, name, metadata.namespace as written), from the manifest the digest covers; the engine judges the caller's scope on each"),
  access: z
    .array(approvedAccessSchema)
    .optional()
    .describe('Issue 34: every object the call writes (group, plural resource, subresource, namespace, name, verbs) and, where a server-side dry-run computes it, contentHash = sha256 of canonicalJson(normaliseForAdmission(dry-run object)); shown to people — the cluster\'s executor computes what it grants itself'),
  bound: z
    .record(z.string(), z.unknown())
    .optional()
    .describe("The engine's own connection only (issue 73): what the cluster's executor binds the call to — for Helm the full, unredacted rendered manifest the digest covers (`manifest`), the release's current manifest (`live_manifest`) and its storage revisions (`helm_storage`)"),
};
export const previewToolCallResultSchema = deferred(() => z.object(previewToolCallResultShape));
export type PreviewToolCallResult = z.infer<typeof previewToolCallResultSchema>;

/**
 * `_meta["skyflo.ai/observability-sources"]` of a tools/call: the Prometheus/Loki data sources of the conversation's
 * cluster (integrations the engine keeps, credentials sealed there), honoured only from the engine's own connection.
 */
const observabilityAuthSchema = deferred(() => z.union([
  z.object({ type: z.literal('bearer'), token: z.string().min(1) }).strict(),
  z.object({ type: z.literal('basic'), username: z.string().min(1), password: z.string().min(1) }).strict(),
]));
export const observabilitySourceSchema = deferred(() => z
  .object({
    url: z.string().regex(/^https?:\/\//i, 'url must be http(s)'),
    auth: observabilityAuthSchema.optional(),
    /** the integration's name, for messages */
    name: z.string().optional(),
    /** the tenant, sent as X-Scope-OrgID (a multi-tenant Loki or Mimir); checked like the integration's own */
    org_id: z.string().max(150).regex(/^[A-Za-z0-9!\-_.*'()|]+$/).optional(),
  })
  .strict());
export const observabilitySourcesSchema = deferred(() => z.object({ prometheus: observabilitySourceSchema.optional(), loki: observabilitySourceSchema.optional() }).strict());
export type ObservabilitySource = z.infer<typeof observabilitySourceSchema>;
export type ObservabilitySources = z.infer<typeof observabilitySourcesSchema>;

/**
 * Issue 75: the structured error code (`structured.error.code`) of a failed write whose request may have reached the
 * cluster — the connection broke or timed out after it was sent (ECONNRESET, a timeout, kubectl/helm cut off mid-way).
 * The engine records such a call's outcome as unknown, never as failed: nobody knows whether it was applied.
 * Errors before anything was sent (connection refused, bad input, a refusal by the API server) keep their own codes.
 */
export const outcomeUnknownErrorCode = 'OUTCOME_UNKNOWN';

/** Whether a tool's structured result says its write may or may not have been applied (outcomeUnknownErrorCode). */
export function isOutcomeUnknownResult(structured: Record<string, unknown> | undefined): boolean {
  const error = structured?.['error'];
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === outcomeUnknownErrorCode;
}
