/**
 * Kubernetes impersonation for one tool call: the engine, when EXECUTE_AS_APPROVER is on, runs an approved mutation as
 * the human who approved it, so the cluster's RBAC decides and its audit log names that person. Only trusted callers
 * (the engine's own connection: in-process, or HTTP with the server's auth token) may ask for it — otherwise any
 * local client could borrow the identity of whoever the server account may impersonate.
 */
import path from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { mcpMetaKeys, type ToolCallImpersonation } from '@skyflo/protocol';
import type { ToolDeps } from '../deps/deps.ts';

/** The `_meta` key of a tools/call request that carries the impersonation (the engine ↔ MCP contract, @skyflo/protocol). */
const impersonationMetaKey = mcpMetaKeys.impersonate;

const impersonationOf = new WeakMap<KubeConfig, ToolCallImpersonation>();

/** The impersonation a KubeConfig made by impersonatingDeps carries (read by the HTTP client). */
export function impersonationFor(kubeConfig: KubeConfig): ToolCallImpersonation | undefined {
  return impersonationOf.get(kubeConfig);
}

/** Parses the request's `_meta` value; undefined when absent, an error message when malformed. */
export function readImpersonation(value: unknown): ToolCallImpersonation | undefined | string {
  if (value === undefined) return undefined;
  const candidate = value as { user?: unknown; groups?: unknown };
  if (!candidate || typeof candidate.user !== 'string' || candidate.user.trim() === '' || (candidate.groups !== undefined && !Array.isArray(candidate.groups))) {
    return `${impersonationMetaKey} must be {"user": "<name>", "groups": ["<group>", …]}`;
  }
  const groups = (candidate.groups as unknown[] | undefined) ?? [];
  if (!groups.every((group): group is string => typeof group === 'string' && group.trim() !== '')) return `${impersonationMetaKey}.groups must be non-empty strings`;
  return { user: candidate.user.trim(), groups };
}

const memo = new WeakMap<ToolDeps, Map<string, ToolDeps>>();

/**
 * The same deps acting as someone else: API requests carry Impersonate-User/-Group (a KubeConfig of its own, so it
 * gets its own connection and cache), and kubectl/helm get --as/--as-group. Memoised per identity.
 */
export function impersonatingDeps(deps: ToolDeps, impersonation: ToolCallImpersonation): ToolDeps {
  const key = `${impersonation.user}\u0000${impersonation.groups.join('\u0000')}`;
  let byIdentity = memo.get(deps);
  if (!byIdentity) memo.set(deps, (byIdentity = new Map()));
  let derived = byIdentity.get(key);
  if (!derived) {
    // The class of the loaded config, not an import: importing @kubernetes/client-node here would load it at every
    // start (0.5-0.8 s) instead of on the first cluster call (see create-tool-deps.ts).
    const KubeConfigClass = deps.kubeConfig.constructor as new () => KubeConfig;
    const kubeConfig = new KubeConfigClass();
    kubeConfig.loadFromOptions({ clusters: deps.kubeConfig.clusters, users: deps.kubeConfig.users, contexts: deps.kubeConfig.contexts, currentContext: deps.kubeConfig.currentContext });
    impersonationOf.set(kubeConfig, impersonation);
    derived = { ...deps, kubeConfig, settings: { ...deps.settings, impersonation } };
    byIdentity.set(key, derived);
  }
  return derived;
}

/** One kubeconfig file goes on the argv (--kubeconfig); several (joined by ':') go in KUBECONFIG, which kubectl and helm merge. */
function isFileList(kubeconfigPath: string | undefined): boolean {
  return Boolean(kubeconfigPath?.includes(path.delimiter));
}

/** --kubeconfig for these deps' kubeconfig when it is one file. */
export function kubeconfigArgs(deps: ToolDeps): string[] {
  const { kubeconfigPath } = deps.settings;
  return kubeconfigPath && !isFileList(kubeconfigPath) ? ['--kubeconfig', kubeconfigPath] : [];
}

/** The environment kubectl/helm need for these deps: KUBECONFIG when the kubeconfig is several files. */
export function kubeEnv(deps: ToolDeps): Record<string, string> | undefined {
  const { kubeconfigPath } = deps.settings;
  return kubeconfigPath && isFileList(kubeconfigPath) ? { KUBECONFIG: kubeconfigPath } : undefined;
}

/** kubectl's global flags for these deps: the kubeconfig, the cluster (--context, its API server pinned) and, when impersonating, --as/--as-group. */
export function kubectlGlobalArgs(deps: ToolDeps): string[] {
  const impersonation = deps.settings.impersonation;
  return [
    ...kubeconfigArgs(deps),
    ...(deps.settings.kubeContext ? ['--context', deps.settings.kubeContext] : []),
    ...(deps.settings.kubeContext && deps.settings.kubeServer ? [`--server=${deps.settings.kubeServer}`] : []),
    ...(impersonation ? [`--as=${impersonation.user}`, ...impersonation.groups.map((group) => `--as-group=${group}`)] : []),
  ];
}

/** helm's --kube-context for these deps' cluster (helm's flag is not kubectl's --context), its API server pinned. */
export function helmContextArgs(deps: ToolDeps): string[] {
  const { kubeContext, kubeServer } = deps.settings;
  return kubeContext ? ['--kube-context', kubeContext, ...(kubeServer ? [`--kube-apiserver=${kubeServer}`] : [])] : [];
}

/** helm's equivalent (its flags are named --kube-as-user / --kube-as-group). */
export function helmImpersonationArgs(deps: ToolDeps): string[] {
  const impersonation = deps.settings.impersonation;
  return impersonation ? [`--kube-as-user=${impersonation.user}`, ...impersonation.groups.map((group) => `--kube-as-group=${group}`)] : [];
}
