/**
 * Issue 34: previews' server-side dry-runs through the cluster's executor. With cluster-enforced approvals this
 * server's own identity is read-only, and the API server authorizes a dry-run exactly like the write, so every
 * request carrying `dryRun=All` goes to the executor's POST /v1/dry-run instead (forced dryRun, no Secrets, its
 * namespaces only; the answer is the API server's status and body unchanged). Configured by SKYFLO_DRY_RUN_URL (the
 * executor's base URL for the current cluster) or SKYFLO_DRY_RUN_URLS (JSON {"<context>": "<url>"}) and
 * SKYFLO_DRY_RUN_TOKEN(_FILE): this server's own bearer, which opens the dry-run proxy and no other executor endpoint
 * (issue 73). The engine's SKYFLO_EXECUTOR_TOKEN is never read here: it would let a taken-over MCP server mint and
 * release credentials and register approver keys.
 *
 * Only the KubeConfigs this server loaded for its own identity are registered: a call acting with a per-approval
 * credential (kube/call-credential.ts) builds a new KubeConfig, so the real, approved write never goes through here.
 */
import { readFileSync } from 'node:fs';
import type { KubeConfig } from '@kubernetes/client-node';
import type { KubeRequest, KubeResponse } from './create-kube-http.ts';

export interface DryRunProxyTarget {
  /** the executor's base URL */
  url: string;
  /** this server's dry-run token */
  token: string;
}

export interface DryRunProxySettings {
  /** the executor of the cluster behind `context`, when it has one */
  targetFor(context: string): DryRunProxyTarget | undefined;
}

/** undefined when no dry-run proxy is configured (engine-enforced installs, plain `skyflo mcp`). */
export function dryRunProxySettingsFromEnv(env: NodeJS.ProcessEnv = process.env): DryRunProxySettings | undefined {
  const single = env.SKYFLO_DRY_RUN_URL?.trim();
  const several = env.SKYFLO_DRY_RUN_URLS?.trim();
  if (!single && !several) return undefined;
  const token = env.SKYFLO_DRY_RUN_TOKEN?.trim() || (env.SKYFLO_DRY_RUN_TOKEN_FILE ? readFileSync(env.SKYFLO_DRY_RUN_TOKEN_FILE, 'utf8').trim() : '');
  if (!token) {
    const engineTokenOnly = env.SKYFLO_EXECUTOR_TOKEN || env.SKYFLO_EXECUTOR_TOKEN_FILE ? " (SKYFLO_EXECUTOR_TOKEN is the engine's and does not open the dry-run proxy)" : '';
    throw new Error(`SKYFLO_DRY_RUN_URL(S) needs SKYFLO_DRY_RUN_TOKEN or SKYFLO_DRY_RUN_TOKEN_FILE: this server's own dry-run token, which the executor expects${engineTokenOnly}`);
  }
  let byContext: Record<string, string> = {};
  if (several) {
    const parsed: unknown = JSON.parse(several);
    if (!parsed || typeof parsed !== 'object' || Object.values(parsed).some((value) => typeof value !== 'string')) {
      throw new Error('SKYFLO_DRY_RUN_URLS must be a JSON object {"<context>": "<executor URL>"}');
    }
    byContext = parsed as Record<string, string>;
  }
  return {
    targetFor(context) {
      const url = byContext[context] ?? single;
      return url ? { url: url.replace(/\/$/, ''), token } : undefined;
    },
  };
}

const targets = new WeakMap<KubeConfig, DryRunProxyTarget>();

/** Marks `kubeConfig` (this server's own identity for `context`) as sending its dry-runs to that cluster's executor. */
export function registerDryRunProxy(kubeConfig: KubeConfig, context: string, settings: DryRunProxySettings | undefined): KubeConfig {
  const target = settings?.targetFor(context);
  if (target) targets.set(kubeConfig, target);
  return kubeConfig;
}

export function dryRunProxyFor(kubeConfig: KubeConfig): DryRunProxyTarget | undefined {
  return targets.get(kubeConfig);
}

export const isDryRun = (request: KubeRequest) => request.query?.dryRun === 'All';

/** Sends one dry-run to the executor; its answer is the API server's (or a Status object refusing it). */
export async function sendThroughDryRunProxy(target: DryRunProxyTarget, request: KubeRequest, timeoutMs: number): Promise<KubeResponse> {
  const query: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(request.query ?? {})) if (value !== undefined) query[key] = value;
  const signals = [AbortSignal.timeout(timeoutMs), ...(request.signal ? [request.signal] : [])];
  const response = await fetch(`${target.url}/v1/dry-run`, {
    method: 'POST',
    headers: { authorization: `Bearer ${target.token}`, 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ method: request.method ?? 'GET', path: request.path, query, contentType: request.contentType, body: request.body }),
    signal: AbortSignal.any(signals),
  });
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', text: await response.text() };
}
