/**
 * Reads every cluster Skyflo is given (issue 22): each context of the kubeconfig file(s) — `KUBECONFIG` may list
 * several, separated by ':' — merged the way kubectl merges them (the first file to name a context, cluster or user
 * wins; the first current-context wins), plus the pod's own identity ("in-cluster") when running in a pod.
 *
 * Why not client-node's loadFromDefault: it throws on a name two files share (kubectl does not), takes the LAST
 * current-context, and with nothing found falls back to http://localhost:8080, so every call then fails with "HTTP
 * protocol is not allowed when skipTLSVerify is not set", which names neither the file nor the fix. Here every
 * problem is a sentence naming the file and the context.
 * Type-only import: @kubernetes/client-node is loaded lazily by the caller (see create-tool-deps.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import type { Cluster, Context, KubeConfig, User } from '@kubernetes/client-node';
import { defaultServiceAccountDir, KubeConfigNotFoundError } from './resolve-kube-config.ts';

export const inClusterName = 'in-cluster';

export interface LoadedContext {
  name: string;
  /** the API server URL ('' when the context names no usable cluster) */
  server: string;
  defaultNamespace: string;
  /** "kubeconfig /x/config" or "the pod's service account" */
  source: string;
  /** the file that defines the context (undefined for in-cluster) */
  file?: string;
  /** why this context cannot be used, naming the file and context */
  problem?: string;
}

export interface LoadedKubeConfigs {
  /** every context, merged (in-cluster ones included), current-context set */
  merged: KubeConfig;
  contexts: LoadedContext[];
  /** the kubeconfig files that were read (empty when only the pod's identity is used) */
  files: string[];
  /** the current context ('' when the files name none) */
  current: string;
  /** problems that are not one context's (a listed file that is missing); logged at start */
  warnings: string[];
}

export interface LoadKubeConfigsOptions {
  /** --kubeconfig or KUBECONFIG: one path or several separated by ':' (path.delimiter) */
  kubeconfigPath?: string | undefined;
  /** default process.env; reads KUBERNETES_SERVICE_HOST/PORT and SKYFLO_SERVICE_ACCOUNT_DIR */
  env?: NodeJS.ProcessEnv;
  /** default os.homedir() */
  homeDir?: string;
}

type KubeConfigClass = new () => KubeConfig;

export function loadKubeConfigs(KubeConfigCtor: KubeConfigClass, options: LoadKubeConfigsOptions = {}): LoadedKubeConfigs {
  const env = options.env ?? process.env;
  const warnings: string[] = [];
  const listed = (options.kubeconfigPath ?? '').split(path.delimiter).filter(Boolean);
  let files: string[] = [];
  if (listed.length > 0) {
    files = listed.filter((file) => existsSync(file));
    const missing = listed.filter((file) => !existsSync(file));
    if (files.length === 0) {
      throw new KubeConfigNotFoundError(
        `The kubeconfig ${missing.join(', ')} does not exist (given by --kubeconfig or KUBECONFIG). Point it at an existing file, or leave both unset to use ~/.kube/config or, in a pod, its service account.`,
      );
    }
    // kubectl skips a missing entry of KUBECONFIG too; say so instead of staying silent
    for (const file of missing) warnings.push(`kubeconfig ${file} (listed in KUBECONFIG) does not exist; its contexts are not available.`);
  }

  const inCluster = inClusterOptions(env);
  if (files.length === 0 && !inCluster) {
    const homeConfig = path.join(options.homeDir ?? homedir(), '.kube', 'config');
    if (existsSync(homeConfig)) files = [homeConfig];
  }
  if (files.length === 0 && !inCluster) {
    const serviceAccountDir = env.SKYFLO_SERVICE_ACCOUNT_DIR || defaultServiceAccountDir;
    const homeConfig = path.join(options.homeDir ?? homedir(), '.kube', 'config');
    const pod = env.KUBERNETES_SERVICE_HOST
      ? `KUBERNETES_SERVICE_HOST is set but no service-account token is mounted at ${path.join(serviceAccountDir, 'token')} (automountServiceAccountToken: false?)`
      : `this is not a pod (KUBERNETES_SERVICE_HOST is unset)`;
    throw new KubeConfigNotFoundError(`No kubeconfig found: ${homeConfig} does not exist, KUBECONFIG and --kubeconfig are unset, and ${pod}. Pass --kubeconfig <file>, set KUBECONFIG, or run in a pod with a service account.`);
  }

  const clusters: Cluster[] = [];
  const users: User[] = [];
  const contexts: Context[] = [];
  const fileOfContext = new Map<string, string>();
  let current = '';
  for (const file of files) {
    const one = new KubeConfigCtor();
    try {
      readFileSync(file);
      one.loadFromFile(file);
    } catch (error) {
      throw new KubeConfigNotFoundError(`The kubeconfig ${file} cannot be read: ${firstLine(error)}. Fix the file (kubectl config view --kubeconfig ${file} shows what is wrong) or remove it from KUBECONFIG.`);
    }
    // first one wins, like kubectl
    for (const cluster of one.clusters ?? []) if (!clusters.some((known) => known.name === cluster.name)) clusters.push(cluster);
    for (const user of one.users ?? []) if (!users.some((known) => known.name === user.name)) users.push(user);
    for (const context of one.contexts ?? []) {
      if (contexts.some((known) => known.name === context.name)) continue;
      contexts.push(context);
      fileOfContext.set(context.name, file);
    }
    if (!current && one.currentContext) current = one.currentContext;
  }
  const inClusterTaken = contexts.some((context) => context.name === inClusterName);
  if (inCluster && !inClusterTaken) {
    clusters.push(inCluster.cluster);
    users.push(inCluster.user);
    contexts.push(inCluster.context);
    // the pod's identity is the default only when no file was given
    if (files.length === 0) current = inClusterName;
  } else if (inCluster) warnings.push(`a kubeconfig already has a context named "${inClusterName}"; the pod's own service account is not added as a cluster.`);

  const merged = new KubeConfigCtor();
  merged.loadFromOptions({ clusters, users, contexts, currentContext: current });

  const loaded = contexts.map((context): LoadedContext => {
    const file = fileOfContext.get(context.name);
    const source = file ? `kubeconfig ${file}` : "the pod's service account";
    const cluster = clusters.find((candidate) => candidate.name === context.cluster);
    let problem: string | undefined;
    if (!cluster) problem = `${source}: context ${context.name}: its cluster "${context.cluster}" is not defined in any kubeconfig file`;
    else if (!cluster.server) problem = `${source}: context ${context.name}: cluster "${cluster.name}" has no server URL`;
    else if (!/^https?:\/\//.test(cluster.server)) problem = `${source}: context ${context.name}: cluster "${cluster.name}" has server "${cluster.server}", which is not an http(s) URL`;
    else if (context.user && !users.some((candidate) => candidate.name === context.user)) problem = `${source}: context ${context.name}: its user "${context.user}" is not defined in any kubeconfig file`;
    return {
      name: context.name,
      server: cluster?.server ?? '',
      defaultNamespace: context.namespace || 'default',
      source,
      ...(file ? { file } : {}),
      ...(problem ? { problem } : {}),
    };
  });
  if (current && !contexts.some((context) => context.name === current)) {
    warnings.push(`kubeconfig ${files.join(':')}: current-context "${current}" is not defined; name a cluster explicitly (known: ${contexts.map((context) => context.name).join(', ') || 'none'}).`);
  }
  return { merged, contexts: loaded, files, current, warnings };
}

/** The pod's own identity, as client-go builds it, when this is a pod with a mounted service-account token. */
function inClusterOptions(env: NodeJS.ProcessEnv): { cluster: Cluster; user: User; context: Context } | undefined {
  // SKYFLO_SERVICE_ACCOUNT_DIR: the mount path when a pod projects the token elsewhere (and for tests).
  const serviceAccountDir = env.SKYFLO_SERVICE_ACCOUNT_DIR || defaultServiceAccountDir;
  const tokenFile = path.join(serviceAccountDir, 'token');
  const host = env.KUBERNETES_SERVICE_HOST;
  if (!host || !existsSync(tokenFile)) return undefined;
  const port = env.KUBERNETES_SERVICE_PORT || '443';
  // the same rule as client-go and client-node: these ports are the API server's plain-HTTP ones
  const scheme = port === '80' || port === '8080' || port === '8001' ? 'http' : 'https';
  const server = `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const namespaceFile = path.join(serviceAccountDir, 'namespace');
  const caFile = path.join(serviceAccountDir, 'ca.crt');
  return {
    cluster: { name: inClusterName, server, skipTLSVerify: false, ...(existsSync(caFile) ? { caFile } : {}) },
    // the tokenFile provider re-reads the file, so the kubelet's rotation of projected tokens is picked up
    user: { name: `${inClusterName}-service-account`, authProvider: { name: 'tokenFile', config: { tokenFile } } },
    context: { name: inClusterName, cluster: inClusterName, user: `${inClusterName}-service-account`, ...(existsSync(namespaceFile) ? { namespace: readFileSync(namespaceFile, 'utf8').trim() } : {}) },
  };
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
}
