/**
 * Bring your own MCP servers (issue 39 item 4): the admin API's wire types. An admin connects more MCP servers (a
 * stdio command, argv only, or a Streamable HTTP URL with a bearer token or, issue 77, OAuth); their tools reach the
 * model as `<server>__<tool>` under the server's own toolset, and every tool not listed with `readOnlyHint: true` goes
 * through the approval gate. Secrets (the bearer token, env values, OAuth tokens) are write-only: answers say whether
 * they are set, never what they are.
 */
import { deferred } from './deferred.ts';
import { z } from './zod.ts';
import { toolsets } from './mcp-wire.ts';

/** Between a server's name and its tool's in the name the model sees: `argocd__sync_app`. */
export const externalToolSeparator = '__';

/** Whether a tool name is an external MCP server's (`<server>__<tool>`); none of Skyflo's own tools has the separator. */
export const isExternalToolName = (name: string): boolean => name.includes(externalToolSeparator);

/** The external MCP server a tool name belongs to (`argocd` of `argocd__sync_app`); undefined for one of Skyflo's own. */
export const externalServerOf = (name: string): string | undefined => (isExternalToolName(name) ? name.slice(0, name.indexOf(externalToolSeparator)) : undefined);

/**
 * Names our own tools and toolsets start with: a server or toolset named like them could be taken for one of ours by
 * the engine's name-based rules (the Jenkins/observability injection, the cluster gate), so they are refused.
 */
export const reservedExternalMcpNames: readonly string[] = [...toolsets, 'kubernetes', 'prometheus', 'loki', 'skyflo', 'load', 'preview', 'list', 'wait', 'verify', 'capture'];

const slug = (what: string) =>
  z
    .string()
    .regex(/^[a-z][a-z0-9-]{1,30}$/, `${what} must be 2–31 characters: lower-case letters, digits and '-', starting with a letter`)
    .refine((value) => !reservedExternalMcpNames.includes(value), { message: `${what} is reserved for Skyflo's own tools (${reservedExternalMcpNames.join(', ')})` });

export const externalMcpServerNameSchema = deferred(() => slug('name'));
export const externalMcpToolsetSchema = deferred(() => slug('toolset'));

const envNameSchema = deferred(() => z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'an environment variable name is letters, digits and _'));

export const externalMcpStdioInputSchema = deferred(() => z.object({
  type: z.literal('stdio'),
  /** argv: the program and its arguments; never run through a shell */
  command: z.array(z.string().min(1).max(4096)).min(1).max(64),
  /** environment variables for the process (values are kept sealed; only the names are ever shown) */
  env: z.record(envNameSchema, z.string().max(8192)).optional(),
  /** working directory (absolute) */
  cwd: z.string().regex(/^\//, 'cwd must be an absolute path').max(4096).optional(),
}));

export const externalMcpHttpInputSchema = deferred(() => z.object({
  type: z.literal('http'),
  /** the Streamable HTTP endpoint, e.g. https://argocd-mcp.internal/mcp */
  url: z.url({ error: 'url must be a URL such as https://argocd-mcp.internal/mcp' }).max(2048).refine((value) => /^https?:\/\//i.test(value), 'url must use http or https'),
  /** sent as `Authorization: Bearer …`; kept sealed, never answered */
  token: z.string().min(1).max(8192).optional(),
  /**
   * `{type: "oauth"}`: the server is an OAuth protected resource (MCP authorization spec); it is saved without being
   * listed, and an admin signs in (POST …/{id}/oauth/start) before its tools are offered. Not with `token`.
   */
  auth: z.object({ type: z.literal('oauth') }).strict().optional(),
}).refine((value) => !(value.token && value.auth), { message: 'send either token or auth: {type: "oauth"}, not both', path: ['auth'] }));

/**
 * Issue 74 item 3: where the server's tools act, as its admin declares it (the server itself cannot be trusted to
 * say). Its calls are bound to that cluster (and namespace) and judged by the same rules as Skyflo's own: the
 * requester's and approver's cluster scope, the cluster's approval policy, a cluster no longer configured. Without
 * it, only an approver whose scope is not limited may approve a call of its tools.
 */
export const externalMcpActsOnSchema = deferred(() => z.object({
  /** a configured cluster's name (its kubeconfig context) */
  cluster: z.string().min(1).max(253),
  /** the namespace its tools act in; absent: any namespace of the cluster */
  namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'namespace must be a Kubernetes namespace name').max(63).optional(),
}).strict());
export type ExternalMcpActsOn = z.infer<typeof externalMcpActsOnSchema>;

/**
 * Issue 74 item 10: the tools (their own names on the server) an admin vouches do not lose data or take anything
 * down. Every other tool that changes something is treated as destructive (four-eyes applies), whatever the server's
 * destructiveHint says: the server's word about its own tools is not trusted.
 */
const nonDestructiveToolsSchema = deferred(() => z.array(z.string().min(1).max(128)).max(256));

export const createExternalMcpServerRequestSchema = deferred(() => z.object({
  name: externalMcpServerNameSchema,
  toolset: externalMcpToolsetSchema,
  transport: z.discriminatedUnion('type', [externalMcpStdioInputSchema, externalMcpHttpInputSchema]),
  /** default true */
  enabled: z.boolean().optional(),
  acts_on: externalMcpActsOnSchema.optional(),
  non_destructive_tools: nonDestructiveToolsSchema.optional(),
}));
export type CreateExternalMcpServerRequest = z.infer<typeof createExternalMcpServerRequestSchema>;

/**
 * Any of: enable or disable it; change where its tools act (`null`: declared nowhere) or which of them are not
 * destructive. Changing either denies the calls of its tools still waiting: they were shown with the old declaration.
 */
export const updateExternalMcpServerRequestSchema = deferred(() =>
  z
    .object({ enabled: z.boolean().optional(), acts_on: externalMcpActsOnSchema.nullable().optional(), non_destructive_tools: nonDestructiveToolsSchema.optional() })
    .refine((body) => body.enabled !== undefined || body.acts_on !== undefined || body.non_destructive_tools !== undefined, 'send enabled, acts_on or non_destructive_tools'),
);
export type UpdateExternalMcpServerRequest = z.infer<typeof updateExternalMcpServerRequestSchema>;

export const externalMcpToolSchema = deferred(() => z.object({
  /** the name the model calls: `<server>__<tool>` */
  name: z.string(),
  /** the tool's own name on its server */
  original_name: z.string(),
  title: z.string(),
  /** listed with readOnlyHint: true (and never listed otherwise since it was connected): runs without approval */
  read_only: z.boolean(),
  /** a write treated as destructive (four-eyes): every write, unless an admin listed it in non_destructive_tools */
  destructive: z.boolean(),
}));

/** An OAuth server's sign-in, without any token: which authorization server issued what Skyflo holds, if anything. */
export const externalMcpOauthStatusSchema = deferred(() => z.object({
  /** Skyflo holds an access or refresh token for this server (from `issuer`) */
  signed_in: z.boolean(),
  /** the authorization server (its `issuer`) the held tokens are from */
  issuer: z.string().optional(),
}));
export type ExternalMcpOauthStatus = z.infer<typeof externalMcpOauthStatusSchema>;

/** POST /integrations/mcp-servers/{id}/oauth/start: the page the admin opens to sign in (single use, a few minutes). */
export const externalMcpOauthStartResponseSchema = deferred(() => z.object({ authorization_url: z.string(), expires_at: z.string() }));
export type ExternalMcpOauthStartResponse = z.infer<typeof externalMcpOauthStartResponseSchema>;

export const externalMcpServerSchema = deferred(() => z.object({
  id: z.string(),
  name: z.string(),
  toolset: z.string(),
  transport: z.discriminatedUnion('type', [
    z.object({ type: z.literal('stdio'), command: z.array(z.string()), env_names: z.array(z.string()), cwd: z.string().optional() }),
    z.object({ type: z.literal('http'), url: z.string(), token: z.object({ set: z.boolean() }), oauth: externalMcpOauthStatusSchema.optional() }),
  ]),
  enabled: z.boolean(),
  /** connected: its tools are offered; error: the last attempt failed (`error` says why); disabled: by an admin */
  status: z.enum(['connected', 'connecting', 'error', 'disabled']),
  error: z.string().optional(),
  tools: z.array(externalMcpToolSchema),
  /** tools left out or held back, in plain words (duplicate names, a name too long, a tool that claims read-only after a write) */
  problems: z.array(z.string()),
  /** where its tools act (declared by an admin); absent: nowhere declared, so only an unscoped approver approves its calls */
  acts_on: externalMcpActsOnSchema.optional(),
  /** its tools an admin declared not destructive (their own names); every other write is destructive */
  non_destructive_tools: z.array(z.string()),
  created_at: z.string(),
  updated_at: z.string(),
}));
export type ExternalMcpServer = z.infer<typeof externalMcpServerSchema>;

export const externalMcpServerListResponseSchema = deferred(() => z.object({ data: z.array(externalMcpServerSchema) }));
export type ExternalMcpServerListResponse = z.infer<typeof externalMcpServerListResponseSchema>;

export const externalMcpTestResultSchema = deferred(() => z.object({
  ok: z.boolean(),
  latency_ms: z.number(),
  /** how many tools it lists (when it answered) */
  tools: z.number().optional(),
  /** in plain words: command not found, HTTP 401, handshake timeout, duplicate tool names… */
  error: z.string().optional(),
  problems: z.array(z.string()).optional(),
}));
export type ExternalMcpTestResult = z.infer<typeof externalMcpTestResultSchema>;
