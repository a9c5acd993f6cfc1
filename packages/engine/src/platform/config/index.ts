/**
 * The engine's configuration: every environment variable is read here, once, at start-up, and nowhere else.
 * Each concern has its own zod schema (server, storage, auth, …); `loadConfig` runs them all and reports
 * every bad variable at once, so an operator fixes a deployment in one round.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { agentConfigSchema } from './agent.ts';
import { analyticsConfigSchema } from './analytics.ts';
import { authConfigSchema } from './auth.ts';
import { busConfigSchema } from './bus.ts';
import { governanceConfigSchema } from './governance.ts';
import { enforcementConfigSchema } from './enforcement.ts';
import { integrationsConfigSchema } from './integrations.ts';
import { limitsConfigSchema } from './limits.ts';
import { llmConfigSchema } from './llm.ts';
import { observabilityConfigSchema } from './observability.ts';
import { oidcConfigSchema } from './oidc.ts';
import { securityConfigSchema } from './security.ts';
import { serverConfigSchema } from './server.ts';
import { storageConfigSchema } from './storage.ts';
import { SkyfloError, type ErrorCategory } from '../errors/skyflo-error.ts';

export type { AgentConfig } from './agent.ts';
export type { AnalyticsConfig } from './analytics.ts';
export type { AuthConfig } from './auth.ts';
export type { BusConfig } from './bus.ts';
export type { GovernanceConfig } from './governance.ts';
export type { EnforcementConfig } from './enforcement.ts';
export type { IntegrationsConfig } from './integrations.ts';
export type { LimitsConfig } from './limits.ts';
export type { LlmConfig } from './llm.ts';
export type { ObservabilityConfig } from './observability.ts';
export type { SecurityConfig } from './security.ts';
export type { ServerConfig } from './server.ts';
export type { StorageConfig } from './storage.ts';

const schemas = {
  oidc: oidcConfigSchema,
  server: serverConfigSchema,
  storage: storageConfigSchema,
  auth: authConfigSchema,
  bus: busConfigSchema,
  agent: agentConfigSchema,
  llm: llmConfigSchema,
  security: securityConfigSchema,
  limits: limitsConfigSchema,
  governance: governanceConfigSchema,
  enforcement: enforcementConfigSchema,
  observability: observabilityConfigSchema,
  integrations: integrationsConfigSchema,
  analytics: analyticsConfigSchema,
};

export type Config = { [K in keyof typeof schemas]: z.output<(typeof schemas)[K]> };

export type Environment = Record<string, string | undefined>;

export interface ConfigIssue {
  /** the environment variable at fault, e.g. `PORT` or `JWT_SECRET_FILE` */
  variable: string;
  message: string;
}

/** Thrown by loadConfig; `message` lists every issue, one per line, each naming its variable. */
export class ConfigError extends SkyfloError {
  readonly code = 'INVALID_CONFIG';

  /** the installation's own set-up is wrong (issue 80 item 4): an operator fixes it; the same start fails again */
  override get category(): ErrorCategory {
    return 'operational';
  }
  readonly issues: ConfigIssue[];

  constructor(issues: ConfigIssue[]) {
    // one issue, one line (what a start script or a pod's log shows first); several, one line each
    const [only] = issues;
    super(issues.length === 1 && only ? `Invalid configuration: ${only.variable}: ${only.message}` : `Invalid configuration:\n${issues.map((issue) => `  ${issue.variable}: ${issue.message}`).join('\n')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/**
 * Variables that may be given as `<NAME>_FILE` (Docker/Kubernetes secrets mounted as files). Model API keys
 * are resolved by config/llm.ts itself, which also records which variable a key came from.
 */
const fileSecrets = ['JWT_SECRET', 'MCP_AUTH_TOKEN', 'METRICS_TOKEN', 'OIDC_CLIENT_SECRET', 'POSTGRES_DATABASE_URL', 'POSTGRES_MIGRATION_URL', 'REDIS_URL', 'SKYFLO_APPROVAL_SIGNING_KEY', 'SKYFLO_AUDIT_SIGNING_KEY', 'SKYFLO_ENCRYPTION_KEY', 'SKYFLO_EXECUTOR_TOKEN', 'SKYFLO_DRY_RUN_TOKEN', 'SKYFLO_SETUP_TOKEN'];
const isFileSecret = (name: string) => fileSecrets.includes(name);
/** Never echo these values in error messages. */
const isSecretName = (name: string) => isFileSecret(name) || /(_API_KEY|_SECRET|_TOKEN|_KEY_ID|_ACCESS_KEY)(_FILE)?$/.test(name);

/**
 * Resolves `<NAME>_FILE` into `<NAME>` and treats empty strings as unset (compose files often write `FOO=`).
 * Setting both forms is an error rather than a silent precedence rule.
 */
function resolveEnvironment(env: Environment, issues: ConfigIssue[]): Environment {
  const resolved: Environment = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && value !== '') resolved[name] = value;
  }
  for (const [fileVariable, filePath] of Object.entries(resolved)) {
    if (!fileVariable.endsWith('_FILE') || filePath === undefined) continue;
    const name = fileVariable.slice(0, -'_FILE'.length);
    if (!isFileSecret(name)) continue;
    if (env[name]) {
      issues.push({ variable: fileVariable, message: `set both ${name} and ${fileVariable}; keep only one` });
      continue;
    }
    try {
      const content = readFileSync(filePath, 'utf8').trim();
      if (content === '') issues.push({ variable: fileVariable, message: `file ${filePath} is empty` });
      else resolved[name] = content;
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      issues.push({ variable: fileVariable, message: `cannot read ${filePath} (${reason})` });
    }
  }
  return resolved;
}

/** Parses the whole configuration, or throws a ConfigError naming every bad variable. */
export function loadConfig(env: Environment = process.env): Config {
  const issues: ConfigIssue[] = [];
  const resolved = resolveEnvironment(env, issues);
  const config: Partial<Record<keyof typeof schemas, unknown>> = {};
  for (const [concern, schema] of Object.entries(schemas) as Array<[keyof typeof schemas, z.ZodType]>) {
    // Parsed once per process, on the start's critical path: zod's compiled fast path for objects costs more to
    // generate (22 ms of CPU for these schemas) than it could save on one parse (10 ms without it).
    const result = schema.safeParse(resolved, { jitless: true });
    if (result.success) config[concern] = result.data;
    else {
      for (const issue of result.error.issues) {
        issues.push({ variable: String(issue.path[0] ?? concern), message: describeIssue(issue, resolved) });
      }
    }
  }
  const governance = config.governance as Config['governance'] | undefined;
  if (governance?.fourEyes && governance.approvalPolicy !== 'approver') {
    // With `self`, only the requester may decide, so four-eyes would leave destructive calls undecidable.
    issues.push({ variable: 'APPROVAL_FOUR_EYES', message: 'needs APPROVAL_POLICY=approver (with self, only the requester may decide, so nobody could approve a destructive call)' });
  }
  const server = config.server as Config['server'] | undefined;
  if (server?.mcpServerUrl && !server.mcpAuthToken) {
    // A remote MCP server answers every client without its token with 401 (loopback included): the engine would
    // start, look healthy, and fail every tool call. Say so at start instead.
    issues.push({ variable: 'MCP_AUTH_TOKEN', message: "is required with MCP_SERVER_URL: set MCP_AUTH_TOKEN (or MCP_AUTH_TOKEN_FILE) to the MCP server's token" });
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return config as Config;
}

function describeIssue(issue: z.core.$ZodIssue, env: Environment): string {
  const variable = issue.path[0];
  const value = typeof variable === 'string' ? env[variable] : undefined;
  const shown = value !== undefined && !isSecretName(String(variable)) ? ` (got "${value}")` : '';
  return `${issue.message}${shown}`;
}
