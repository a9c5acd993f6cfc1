/**
 * The clusters this MCP server can act on (issue 22), by name: every kubeconfig context plus "in-cluster" in a pod.
 * A tool call names one with `context`; `forContext` gives the KubeConfig (one per context, cached, so API clients
 * and their keep-alive connections are reused) and how kubectl/helm must be invoked to reach exactly that cluster.
 * An unknown name is an error naming it and the known ones: never a fallback to the current context.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { stringify as toYaml } from 'yaml';
import { ToolInputError } from '../contract/errors.ts';
import { inClusterName, type LoadedContext, type LoadedKubeConfigs } from './load-kube-configs.ts';
import type { ClusterEntry, ClusterRegistry } from '../deps/cluster-registry.ts';

export class UnknownClusterError extends ToolInputError {
  constructor(name: string, known: string[]) {
    super(`Unknown cluster "${name}": this MCP server knows ${known.length > 0 ? known.map((entry) => `"${entry}"`).join(', ') : 'no cluster'}. Nothing was run.`, {
      hint: `name one of the known clusters in "context" (${known.join(', ') || 'none'}), or ask an operator to add it to the kubeconfig`,
      code: 'NOT_FOUND',
    });
    this.name = 'UnknownClusterError';
  }
}

/** SKYFLO_CLUSTER_LABELS, parsed as the engine parses it (@skyflo/protocol) */
export { parseClusterLabels } from '@skyflo/protocol';

export function createClusterRegistry(loaded: LoadedKubeConfigs, options: { labels?: Record<string, string> } = {}): ClusterRegistry {
  const labels = options.labels ?? {};
  const entries: ClusterEntry[] = loaded.contexts.map((context: LoadedContext) => ({
    name: context.name,
    server: context.server,
    ...(labels[context.name] ? { label: labels[context.name] } : {}),
    defaultNamespace: context.defaultNamespace,
    current: context.name === loaded.current,
    source: context.source,
    ...(context.problem ? { problem: context.problem } : {}),
  }));
  const unknownLabels = Object.keys(labels).filter((name) => !entries.some((entry) => entry.name === name));
  const warnings = [...loaded.warnings, ...unknownLabels.map((name) => `SKYFLO_CLUSTER_LABELS names "${name}", which is no kubeconfig context (known: ${entries.map((entry) => entry.name).join(', ')}).`)];
  const configs = new Map<string, KubeConfig>();
  let inClusterFile: string | undefined;

  function entry(name: string): ClusterEntry {
    const found = entries.find((candidate) => candidate.name === name);
    if (!found) throw new UnknownClusterError(name, entries.map((candidate) => candidate.name));
    return found;
  }

  function usable(name: string): ClusterEntry {
    const found = entry(name);
    if (found.problem) throw new ToolInputError(`Cluster "${name}" cannot be used: ${found.problem}. Nothing was run.`, { hint: 'tell the user; an operator must fix the kubeconfig', code: 'FAILED' });
    return found;
  }

  return {
    clusters: () => entries,
    currentName: () => loaded.current,
    warnings: () => warnings,
    entry,
    kubeConfigFor(name) {
      usable(name);
      let config = configs.get(name);
      if (!config) {
        // The class of the loaded config, not an import: see create-tool-deps.ts on loading client-node lazily.
        const KubeConfigClass = loaded.merged.constructor as new () => KubeConfig;
        config = new KubeConfigClass();
        config.loadFromOptions({ clusters: loaded.merged.clusters, users: loaded.merged.users, contexts: loaded.merged.contexts, currentContext: name });
        configs.set(name, config);
      }
      return config;
    },
    invocationFor(name) {
      usable(name);
      const context = loaded.contexts.find((candidate) => candidate.name === name);
      if (name === inClusterName && !context?.file) {
        // kubectl and helm use the pod's identity by themselves when they find no kubeconfig at all
        if (loaded.files.length === 0) return {};
        inClusterFile ??= writeInClusterKubeconfig(loaded);
        return { kubeconfigPath: inClusterFile, context: name };
      }
      return { kubeconfigPath: loaded.files.join(path.delimiter), context: name, ...(context?.server ? { server: context.server } : {}) };
    },
  };
}

/**
 * A kubeconfig for the pod's own identity, for kubectl/helm when kubeconfig files are given too (then they would not
 * fall back to the pod's identity). It holds paths only (the token and CA files), never a credential.
 */
function writeInClusterKubeconfig(loaded: LoadedKubeConfigs): string {
  const cluster = loaded.merged.clusters.find((candidate) => candidate.name === inClusterName)!;
  const context = loaded.merged.contexts.find((candidate) => candidate.name === inClusterName)!;
  const user = loaded.merged.users.find((candidate) => candidate.name === context.user);
  const tokenFile = (user?.authProvider?.config as { tokenFile?: string } | undefined)?.tokenFile;
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'skyflo-in-cluster-')), 'kubeconfig');
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': inClusterName,
    clusters: [{ name: inClusterName, cluster: { server: cluster.server, ...(cluster.caFile ? { 'certificate-authority': cluster.caFile } : {}) } }],
    users: [{ name: inClusterName, user: { ...(tokenFile ? { tokenFile } : {}) } }],
    contexts: [{ name: inClusterName, context: { cluster: inClusterName, user: inClusterName, ...(context.namespace ? { namespace: context.namespace } : {}) } }],
  };
  writeFileSync(file, toYaml(config), { mode: 0o600 });
  return file;
}
