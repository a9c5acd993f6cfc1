/**
 * `skyflo mcp`'s configuration (issue 80 item 3), read once, here, from its flags and its environment, with zod: every
 * problem is found at start and named (the flag or variable, what was wrong, what to give), and nothing below reads
 * the environment again. A flag wins over its variable. The engine's embedded server is configured by the engine's own
 * configuration instead (packages/engine/src/platform/config), which parses SKYFLO_CLUSTER_LABELS with the same function.
 */
import path from 'node:path';
import { parseClusterLabels } from '@skyflo/protocol';
import { z } from 'zod';
import { confirmModes, defaultConfirmMode, stateKeyProblem, type ConfirmMode } from '../confirm/confirm-mode.ts';
import { oauthSettingsFromEnv, type OAuthSettings } from '../http/oauth-resource.ts';

/** The flags `parseArgs` read (strings and booleans as given; undefined when absent). */
export interface ServerFlags {
  port?: string | undefined;
  host?: string | undefined;
  'read-only'?: boolean | undefined;
  kubeconfig?: string | undefined;
  stdio?: boolean | undefined;
  'auth-token'?: string | undefined;
  'client-token'?: string | undefined;
  'data-dir'?: string | undefined;
  'helm-allowed-registries'?: string | undefined;
  'helm-chart-cache-dir'?: string | undefined;
  confirm?: string | undefined;
  'engine-url'?: string | undefined;
}

export interface ServerConfig {
  port: number;
  host: string;
  readOnly: boolean;
  stdio: boolean;
  /** every file KUBECONFIG lists: their contexts are merged like kubectl merges them, each one a cluster */
  kubeconfigPath?: string;
  /** the engine's token: its calls were approved by its own gate */
  authToken?: string;
  /** direct clients' token, and where it came from (for the start-up line); absent: generated into dataDir */
  clientToken?: { value: string; from: '--client-token' | 'MCP_CLIENT_TOKEN' };
  dataDir: string;
  confirm: ConfirmMode;
  /**
   * --confirm=skyflo (issue 77 item 2): the engine whose gate decides direct clients' changes (--engine-url or
   * SKYFLO_ENGINE_URL) and the API token (`chat` scope) of the person they are proposed for (SKYFLO_ENGINE_TOKEN)
   */
  engineApprovals?: { url: string; token: string; stateKey?: string };
  helmAllowedRegistries: string[];
  helmChartCacheDir?: string;
  kubectlPath?: string;
  helmPath?: string;
  integrationsNamespace?: string;
  hpaSyncPeriodSeconds?: number;
  clusterLabels: Record<string, string>;
  oauth?: OAuthSettings;
  /** SKYFLO_DRY_RUN_URL(S) and SKYFLO_DRY_RUN_TOKEN(_FILE), as given (kube/dry-run-proxy.ts reads and checks them) */
  dryRunProxyEnv?: Record<string, string | undefined>;
}

const optionalText = z
  .string()
  .optional()
  .transform((value) => (value?.trim() ? value.trim() : undefined));

const port = z
  .string()
  .regex(/^\d+$/, { error: 'must be a number between 0 and 65535' })
  .transform(Number)
  .refine((value) => value <= 65_535, { error: 'must be a number between 0 and 65535' });

const registries = z
  .string()
  .optional()
  .transform((text) => (text ?? '').split(',').map((entry) => entry.trim()).filter(Boolean))
  .superRefine((entries, context) => {
    const bad = entries.find((entry) => !/^[A-Za-z0-9.-]+(:\d{1,5})?$/.test(entry));
    if (bad) context.addIssue({ code: 'custom', message: `must list hosts (host or host:port), comma-separated; "${bad}" is not one` });
  });

const clusterLabels = z
  .string()
  .optional()
  .transform((text, context) => {
    try {
      return parseClusterLabels(text);
    } catch (error) {
      context.addIssue({ code: 'custom', message: (error as Error).message.replace(/^SKYFLO_CLUSTER_LABELS /, '').replace(/\.$/, '') });
      return z.NEVER;
    }
  });

/** What is read, under the name a person would fix: the flag when one was given, else its variable. */
const settingsSchema = z.object({
  '--port': port,
  '--host': z.string().min(1, { error: 'must not be empty' }),
  '--confirm': z.enum(confirmModes, { error: `must be one of ${confirmModes.join(', ')}` }),
  HELM_ALLOWED_REGISTRIES: registries,
  HPA_SYNC_PERIOD_SECONDS: z
    .string()
    .optional()
    .transform((text) => (text?.trim() ? Number(text) : undefined))
    .refine((value) => value === undefined || (Number.isFinite(value) && value > 0), { error: 'must be a number of seconds above 0' }),
  SKYFLO_CLUSTER_LABELS: clusterLabels,
});

export type LoadedServerConfig = { config: ServerConfig } | { problems: string[] };

/** The configuration, or every problem with it, each naming what to change. */
export function loadServerConfig(flags: ServerFlags, env: Readonly<Record<string, string | undefined>>): LoadedServerConfig {
  const confirmSource = flags.confirm !== undefined ? '--confirm' : 'MCP_CONFIRM';
  const registriesSource = flags['helm-allowed-registries'] !== undefined ? '--helm-allowed-registries' : 'HELM_ALLOWED_REGISTRIES';
  const parsed = settingsSchema.safeParse({
    '--port': flags.port ?? '8888',
    '--host': flags.host ?? '127.0.0.1',
    '--confirm': flags.confirm || env['MCP_CONFIRM'] || defaultConfirmMode,
    HELM_ALLOWED_REGISTRIES: flags['helm-allowed-registries'] ?? env['HELM_ALLOWED_REGISTRIES'],
    HPA_SYNC_PERIOD_SECONDS: env['HPA_SYNC_PERIOD_SECONDS'],
    SKYFLO_CLUSTER_LABELS: env['SKYFLO_CLUSTER_LABELS'],
  });
  if (!parsed.success) {
    const nameOf = (key: string) => (key === '--confirm' ? confirmSource : key === 'HELM_ALLOWED_REGISTRIES' ? registriesSource : key);
    const given = (key: string) => ({ '--port': flags.port, '--confirm': flags.confirm || env['MCP_CONFIRM'] })[key as '--port' | '--confirm'];
    return {
      problems: parsed.error.issues.map((issue) => {
        const key = String(issue.path[0] ?? '');
        const value = given(key);
        return `${nameOf(key)} ${issue.message}${value !== undefined ? `, got "${value}"` : ''}.`;
      }),
    };
  }
  const settings = parsed.data;
  const engineUrl = optionalText.parse(flags['engine-url']) ?? optionalText.parse(env['SKYFLO_ENGINE_URL']);
  const engineToken = optionalText.parse(env['SKYFLO_ENGINE_TOKEN']);
  // what --confirm=skyflo's handles are sealed with, shared by replicas (external-call-handles.ts; else the engine token)
  const stateKey = optionalText.parse(env['MCP_STATE_KEY']);
  if (settings['--confirm'] === 'skyflo') {
    const urlSource = flags['engine-url'] !== undefined ? '--engine-url' : 'SKYFLO_ENGINE_URL';
    const problems = [
      ...(!engineUrl ? [`${confirmSource}=skyflo needs the engine's address: give --engine-url or SKYFLO_ENGINE_URL (e.g. http://127.0.0.1:8080).`] : !/^https?:\/\/[^/\s]+/.test(engineUrl) ? [`${urlSource} must be an http(s) address, got "${engineUrl}".`] : []),
      ...(!engineToken ? [`${confirmSource}=skyflo needs SKYFLO_ENGINE_TOKEN: an API token with the chat scope (Settings → API tokens) of the person the calls are proposed for.`] : []),
      ...(stateKeyProblem(stateKey) ? [stateKeyProblem(stateKey)!] : []),
    ];
    if (problems.length > 0) return { problems };
  }
  const text = (value: string | undefined) => optionalText.parse(value);
  const clientFlag = text(flags['client-token']);
  const clientEnv = text(env['MCP_CLIENT_TOKEN']);
  const authToken = text(flags['auth-token']) ?? text(env['MCP_AUTH_TOKEN']);
  const kubeconfigPath = text(flags.kubeconfig) ?? text(env['KUBECONFIG']);
  const chartCacheDir = text(flags['helm-chart-cache-dir']) ?? text(env['HELM_CHART_CACHE_DIR']);
  const oauth = oauthSettingsFromEnv(env as NodeJS.ProcessEnv);
  const dryRunKeys = ['SKYFLO_DRY_RUN_URL', 'SKYFLO_DRY_RUN_URLS', 'SKYFLO_DRY_RUN_TOKEN', 'SKYFLO_DRY_RUN_TOKEN_FILE', 'SKYFLO_EXECUTOR_TOKEN', 'SKYFLO_EXECUTOR_TOKEN_FILE'];
  const dryRunProxyEnv = Object.fromEntries(dryRunKeys.filter((key) => env[key] !== undefined).map((key) => [key, env[key]]));
  return {
    config: {
      port: settings['--port'],
      host: settings['--host'],
      readOnly: flags['read-only'] === true,
      stdio: flags.stdio === true,
      ...(kubeconfigPath ? { kubeconfigPath } : {}),
      ...(authToken ? { authToken } : {}),
      ...(clientFlag ? { clientToken: { value: clientFlag, from: '--client-token' as const } } : clientEnv ? { clientToken: { value: clientEnv, from: 'MCP_CLIENT_TOKEN' as const } } : {}),
      dataDir: path.resolve(text(flags['data-dir']) ?? text(env['SKYFLO_DATA_DIR']) ?? './.skyflo'),
      confirm: settings['--confirm'],
      ...(settings['--confirm'] === 'skyflo' && engineUrl && engineToken ? { engineApprovals: { url: engineUrl, token: engineToken, ...(stateKey ? { stateKey } : {}) } } : {}),
      helmAllowedRegistries: settings.HELM_ALLOWED_REGISTRIES,
      ...(chartCacheDir ? { helmChartCacheDir: path.resolve(chartCacheDir) } : {}),
      ...(text(env['KUBECTL_PATH']) ? { kubectlPath: text(env['KUBECTL_PATH'])! } : {}),
      ...(text(env['HELM_PATH']) ? { helmPath: text(env['HELM_PATH'])! } : {}),
      ...(text(env['INTEGRATIONS_SECRET_NAMESPACE']) ? { integrationsNamespace: text(env['INTEGRATIONS_SECRET_NAMESPACE'])! } : {}),
      ...(settings.HPA_SYNC_PERIOD_SECONDS !== undefined ? { hpaSyncPeriodSeconds: settings.HPA_SYNC_PERIOD_SECONDS } : {}),
      clusterLabels: settings.SKYFLO_CLUSTER_LABELS,
      ...(oauth ? { oauth } : {}),
      ...(Object.keys(dryRunProxyEnv).length > 0 ? { dryRunProxyEnv } : {}),
    },
  };
}
