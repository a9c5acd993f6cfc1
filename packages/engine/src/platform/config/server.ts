/**
 * HTTP server and outbound-connection settings (spec §8 plus ours). Parsed from the environment once,
 * at start-up, by config/index.ts.
 */
import { parseClusterLabels } from '@skyflo/protocol';
import { z } from 'zod';
import { booleanFlag } from './boolean-flag.ts';

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const commaList = z
  .string()
  .transform((value) => value.split(',').map((item) => item.trim()).filter((item) => item.length > 0));

export const serverConfigSchema = z
  .object({
    /** TCP port of the HTTP API (0 picks a free port). */
    PORT: z.coerce.number().int().min(0).max(65_535).default(8080),
    /** Interface to bind; 127.0.0.1 keeps the API private unless you opt in (e.g. 0.0.0.0 in a container). */
    HOST: z.string().min(1).default('127.0.0.1'),
    /** pino log level; the reference spelling INFO/DEBUG is accepted too. */
    LOG_LEVEL: z
      .string()
      .transform((value) => value.toLowerCase())
      .pipe(z.enum(logLevels, { error: `must be one of ${logLevels.join(', ')}` }))
      .default('info'),
    /**
     * `pretty` (readable, coloured lines), `json` (one JSON object per line, for log collectors) or `auto`: pretty when
     * stdout is a terminal, JSON otherwise.
     */
    LOG_FORMAT: z.enum(['auto', 'json', 'pretty'], { error: 'must be auto, json or pretty' }).default('auto'),
    /** Largest accepted request body in bytes; larger bodies get 413. */
    BODY_LIMIT_BYTES: z.coerce.number().int().positive().default(1_048_576),
    /** How long a client may take to send a whole request; a slower one gets 408 (slow or stalled bodies). */
    REQUEST_BODY_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000),
    /** Comma-separated origins allowed to call the API with credentials (the dev UI). */
    CORS_ORIGINS: commaList.default(['http://localhost:3000', 'http://localhost:3001']),
    /** Streamable HTTP URL of a separate MCP server; unset runs the MCP server embedded in this process. */
    MCP_SERVER_URL: z.url({ error: 'must be a URL such as http://127.0.0.1:8888/mcp' }).optional(),
    /** Bearer token sent to MCP_SERVER_URL (MCP_AUTH_TOKEN_FILE reads it from a file). */
    MCP_AUTH_TOKEN: z.string().min(1).optional(),
    /** kubeconfig the embedded MCP server uses; unset follows kubectl's defaults. */
    KUBECONFIG: z.string().min(1).optional(),
    /**
     * Cluster-enforced approvals (issue 34/73): the executor the embedded MCP server sends its previews' server-side
     * dry-runs to (its identity is read-only), one URL or a JSON object {"<context>": "<url>"}, and the MCP server's own
     * dry-run token (SKYFLO_DRY_RUN_TOKEN_FILE reads it from a file; never the engine's SKYFLO_EXECUTOR_TOKEN).
     */
    SKYFLO_DRY_RUN_URL: z.string().min(1).optional(),
    SKYFLO_DRY_RUN_URLS: z.string().min(1).optional(),
    SKYFLO_DRY_RUN_TOKEN: z.string().min(1).optional(),
    /**
     * OCI registry hosts the embedded MCP server's Helm tools may contact besides repositories added through an
     * approved helm_repo_add (comma-separated host or host:port). Anything else is refused before helm runs.
     */
    HELM_ALLOWED_REGISTRIES: commaList.default([]),
    /** Folders whose local charts the embedded MCP server's Helm tools may install (comma-separated); none: only repo and oci:// charts. */
    HELM_CHART_DIRS: commaList.default([]),
    /** "prod-eu=prod,dev=dev": the labels the embedded MCP server shows clusters with (parsed once, in @skyflo/protocol) */
    SKYFLO_CLUSTER_LABELS: z
      .string()
      .optional()
      .transform((text, context) => {
        try {
          return parseClusterLabels(text);
        } catch (error) {
          context.addIssue({ code: 'custom', message: (error as Error).message });
          return z.NEVER;
        }
      }),
    /** Where chart archives pinned at preview time are kept for the approved install (default: SKYFLO_DATA_DIR/helm-charts). */
    HELM_CHART_CACHE_DIR: z.string().min(1).optional(),
    /**
     * Issue 81: the namespace whose SkyfloSchedule objects the engine keeps as schedules (an in-cluster install's own;
     * the operator sets it). Unset: schedules are made in the API only.
     */
    SCHEDULES_NAMESPACE: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a Kubernetes namespace name').optional(),
    /** How often the SkyfloSchedule objects are read again (seconds). */
    SCHEDULES_SYNC_SECONDS: z.coerce.number({ error: 'must be a whole number of seconds' }).int('must be a whole number of seconds').min(1, 'must be at least 1').max(3600, 'must be at most 3600').default(30),
    /**
     * Issue 76: the namespace whose SkyfloPolicy and SkyfloFreeze objects the engine keeps as policies and freezes
     * (declared/). Defaults to SCHEDULES_NAMESPACE (the install's own namespace, which the operator sets); unset
     * with it: none are read from the cluster.
     */
    DECLARED_OBJECTS_NAMESPACE: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a Kubernetes namespace name').optional(),
    /** Issue 76: a folder of YAML files declaring SkyfloPolicy/SkyfloFreeze objects (GitOps), read on start and every sync. */
    POLICIES_DIR: z.string().min(1).optional(),
    /** How often the declared policies and freezes are read again (seconds); defaults to SCHEDULES_SYNC_SECONDS. */
    DECLARED_SYNC_SECONDS: z.coerce.number({ error: 'must be a whole number of seconds' }).int('must be a whole number of seconds').min(1, 'must be at least 1').max(3600, 'must be at most 3600').optional(),
    /** Namespace holding integration credentials (Jenkins) as Secrets. */
    INTEGRATIONS_SECRET_NAMESPACE: z.string().min(1).default('default'),
    /**
     * Trust X-Forwarded-For/-Proto from the proxy in front (true when TLS ends at an ingress or load balancer),
     * so session cookies get the Secure flag and logins are rate-limited by the client's address. Off by default:
     * without a proxy, any client could forge those headers.
     */
    TRUST_PROXY: booleanFlag.default(false),
    /** Folder with the built UI; defaults to packages/ui/dist when that exists. */
    UI_DIST_DIR: z.string().min(1).optional(),
    /** The URL users reach Skyflo at (e.g. https://skyflo.example.com); its host is accepted in the Host header. */
    PUBLIC_URL: z.url({ error: 'must be a URL such as https://skyflo.example.com' }).optional(),
    /**
     * Extra Host header names the engine answers to (comma-separated, e.g. the in-cluster Service name). Loopback
     * names, PUBLIC_URL's host and a specific HOST address are always accepted. `*` accepts any Host: only behind a
     * proxy that checks Host itself. Why: without a check, a web page on any domain rebound to 127.0.0.1 (DNS
     * rebinding) can call the API from the user's browser.
     */
    ALLOWED_HOSTS: commaList.default([]),
    /**
     * One-time token for creating the first admin when the engine is not bound to loopback (otherwise a random
     * one is generated and printed in the start-up log). SKYFLO_SETUP_TOKEN_FILE supported.
     */
    SKYFLO_SETUP_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  })
  .transform((env) => ({
    port: env.PORT,
    host: env.HOST,
    logLevel: env.LOG_LEVEL,
    logFormat: env.LOG_FORMAT,
    bodyLimitBytes: env.BODY_LIMIT_BYTES,
    requestBodyTimeoutMs: env.REQUEST_BODY_TIMEOUT_MS,
    corsOrigins: env.CORS_ORIGINS,
    mcpServerUrl: env.MCP_SERVER_URL,
    mcpAuthToken: env.MCP_AUTH_TOKEN,
    kubeconfigPath: env.KUBECONFIG,
    dryRunProxy: env.SKYFLO_DRY_RUN_URL || env.SKYFLO_DRY_RUN_URLS ? { SKYFLO_DRY_RUN_URL: env.SKYFLO_DRY_RUN_URL, SKYFLO_DRY_RUN_URLS: env.SKYFLO_DRY_RUN_URLS, SKYFLO_DRY_RUN_TOKEN: env.SKYFLO_DRY_RUN_TOKEN } : undefined,
    helmAllowedRegistries: env.HELM_ALLOWED_REGISTRIES,
    helmChartDirs: env.HELM_CHART_DIRS,
    clusterLabels: env.SKYFLO_CLUSTER_LABELS,
    helmChartCacheDir: env.HELM_CHART_CACHE_DIR,
    integrationsSecretNamespace: env.INTEGRATIONS_SECRET_NAMESPACE,
    clusterSchedules: env.SCHEDULES_NAMESPACE ? { namespace: env.SCHEDULES_NAMESPACE, intervalMs: env.SCHEDULES_SYNC_SECONDS * 1000 } : undefined,
    declaredGuardrails:
      env.DECLARED_OBJECTS_NAMESPACE || env.SCHEDULES_NAMESPACE || env.POLICIES_DIR
        ? { namespace: env.DECLARED_OBJECTS_NAMESPACE ?? env.SCHEDULES_NAMESPACE, directory: env.POLICIES_DIR, intervalMs: (env.DECLARED_SYNC_SECONDS ?? env.SCHEDULES_SYNC_SECONDS) * 1000 }
        : undefined,
    uiDistDir: env.UI_DIST_DIR,
    trustProxy: env.TRUST_PROXY,
    publicUrl: env.PUBLIC_URL,
    allowedHosts: env.ALLOWED_HOSTS,
    setupToken: env.SKYFLO_SETUP_TOKEN,
  }));

export type ServerConfig = z.output<typeof serverConfigSchema>;
