/**
 * ToolDeps for one named cluster (issue 22). Every Kubernetes, Helm and Argo tool goes through here with its
 * `context` argument (tools/cluster-context.ts), and so can any other tool that acts on a cluster
 * (verify_change, capture_change_baseline): `depsForContext(deps, input.context)`.
 * The derived deps carry that context's KubeConfig (API clients are memoised per KubeConfig, so per cluster) and the
 * kubectl/helm invocation (--kubeconfig/KUBECONFIG and --context/--kube-context), and keep any impersonation.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { withToolDeps, type ToolDeps } from '../deps/deps.ts';
import { createClusterRegistry } from './cluster-registry.ts';
import type { ClusterRegistry } from '../deps/cluster-registry.ts';
import { impersonatingDeps } from './impersonation.ts';
import { credentialedContext } from './call-credential.ts';
import type { LoadedContext } from './load-kube-configs.ts';

const registryOfConfig = new WeakMap<KubeConfig, ClusterRegistry>();

/** The deps' registry; deps built by hand (tests) get one from their KubeConfig's contexts. */
export function clusterRegistryOf(deps: ToolDeps): ClusterRegistry {
  if (deps.clusters) return deps.clusters;
  const kubeConfig = deps.kubeConfig;
  let registry = registryOfConfig.get(kubeConfig);
  if (!registry) {
    const file = deps.settings.kubeconfigPath;
    const contexts: LoadedContext[] = (kubeConfig.contexts ?? []).map((context) => {
      const cluster = kubeConfig.clusters.find((candidate) => candidate.name === context.cluster);
      const source = file ? `kubeconfig ${file}` : 'the kubeconfig';
      return {
        name: context.name,
        server: cluster?.server ?? '',
        defaultNamespace: context.namespace || 'default',
        source,
        ...(file ? { file } : {}),
        ...(cluster ? {} : { problem: `${source}: context ${context.name}: its cluster "${context.cluster}" is not defined` }),
      };
    });
    registry = createClusterRegistry(
      { merged: kubeConfig, contexts, files: file ? file.split(':') : [], current: kubeConfig.currentContext ?? '', warnings: [] },
      { labels: deps.settings.clusterLabels ?? {} },
    );
    registryOfConfig.set(kubeConfig, registry);
  }
  return registry;
}

const derivedDeps = new WeakMap<ToolDeps, Map<string, ToolDeps>>();

/**
 * The deps for cluster `name`; `undefined` keeps the deps as they are (the kubeconfig's current context). Throws a
 * ToolInputError naming an unknown (or broken) cluster and the known ones: a call is never run on another cluster.
 */
export function depsForContext(deps: ToolDeps, name: string | undefined): ToolDeps {
  // A call run with a per-approval credential (issue 34) reaches every cluster with that credential, never its own identity.
  const credentialed = credentialedContext(deps, name);
  if (credentialed) return credentialed;
  if (name === undefined) return deps;
  let byName = derivedDeps.get(deps);
  if (!byName) derivedDeps.set(deps, (byName = new Map()));
  let derived = byName.get(name);
  if (!derived) {
    const registry = clusterRegistryOf(deps);
    const kubeConfig = registry.kubeConfigFor(name);
    const invocation = registry.invocationFor(name);
    const { kubeconfigPath: _path, kubeContext: _context, kubeServer: _server, ...settings } = deps.settings;
    derived = withToolDeps(deps, {
      kubeConfig,
      settings: {
        ...settings,
        ...(invocation.kubeconfigPath ? { kubeconfigPath: invocation.kubeconfigPath } : {}),
        ...(invocation.context ? { kubeContext: invocation.context } : {}),
        ...(invocation.context && invocation.server ? { kubeServer: invocation.server } : {}),
      },
    });
    // impersonation rides on the KubeConfig (for API calls) as well as the settings (for kubectl/helm)
    if (deps.settings.impersonation) derived = impersonatingDeps(derived, deps.settings.impersonation);
    byName.set(name, derived);
  }
  return derived;
}

/** The cluster these deps act on (for messages): the named context, else the kubeconfig's current one. */
export function clusterNameOf(deps: ToolDeps): string {
  return deps.settings.kubeContext ?? deps.kubeConfig.currentContext ?? '';
}
