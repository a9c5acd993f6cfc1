import type { KubeObject } from '../cluster-types.ts';
import type { SimClusterInternals } from '../cluster.ts';
import { formatTimestamp } from '../util/json-values.ts';
import { resourcesFromCrd } from './crd-resources.ts';

/**
 * Plays the apiextensions-apiserver: a stored CRD registers its resource types at once (so the very next
 * request can use them) and is marked NamesAccepted + Established; a deleted CRD takes its objects with it.
 */
export function startCrdController(cluster: SimClusterInternals): () => void {
  const { store, registry } = cluster;
  let stopped = false;

  function establish(crd: KubeObject): void {
    const resources = resourcesFromCrd(crd);
    const first = resources[0];
    if (!first) return;
    const current = registry.byResource(first.group, first.resource);
    if (current) {
      // Versions that are no longer served disappear from discovery.
      registry.unregister(first.group, first.resource);
    }
    for (const resource of resources) registry.register(resource);
  }

  function markEstablished(name: string): void {
    if (stopped) return;
    const crds = registry.byResource('apiextensions.k8s.io', 'customresourcedefinitions')!;
    store.mutate(crds, undefined, name, (crd) => {
      const now = formatTimestamp(cluster.clock.now());
      const conditions = [
        { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found', lastTransitionTime: now },
        { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted', lastTransitionTime: now },
      ];
      const established = crd.status?.conditions?.some((condition: any) => condition.type === 'Established' && condition.status === 'True');
      if (established && crd.status?.acceptedNames?.plural === crd.spec.names.plural) return undefined;
      crd.status = { ...(crd.status ?? {}), conditions, acceptedNames: crd.spec.names, storedVersions: (crd.spec.versions ?? []).filter((version: any) => version.storage).map((version: any) => version.name) };
      return crd;
    });
  }

  for (const crd of store.listShared(registry.byResource('apiextensions.k8s.io', 'customresourcedefinitions')!)) establish(crd);

  const unsubscribe = store.subscribe((change) => {
    if (change.resource.group !== 'apiextensions.k8s.io' || change.resource.resource !== 'customresourcedefinitions') return;
    const crd = change.object;
    if (change.type === 'DELETED') {
      const resources = resourcesFromCrd(crd);
      const first = resources[0] && registry.byResource(resources[0].group, resources[0].resource);
      if (first) {
        store.removeAll(first);
        registry.unregister(first.group, first.resource);
      }
      return;
    }
    establish(crd);
    // Deferred so other listeners see the ADDED event before the status update.
    setImmediate(() => markEstablished(crd.metadata.name!));
  });
  return () => {
    stopped = true;
    unsubscribe();
  };
}
