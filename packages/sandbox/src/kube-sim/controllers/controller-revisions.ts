import type { KubeObject } from '../cluster-types.ts';
import type { WorkloadContext } from '../workloads/workload-context.ts';
import { canonicalJson, controllerOf, controllerRef, templateHash } from './object-helpers.ts';

/**
 * ControllerRevisions as StatefulSets and DaemonSets keep them: `data` is the strategic-merge patch
 * `kubectl rollout undo` applies to go back, `revision` the number `kubectl rollout history` shows.
 */
export function syncControllerRevisions(context: WorkloadContext, owner: KubeObject): { current: KubeObject; hash: string } {
  const store = context.cluster.store;
  const type = context.types.get('apps', 'controllerrevisions');
  const template = owner.spec?.template ?? {};
  const data = { spec: { template: { ...structuredClone(template), $patch: 'replace' } } };
  const hash = templateHash(template);
  const owned = store.ownedBy(type, owner.metadata.uid!).filter((revision) => controllerOf(revision)?.uid === owner.metadata.uid);
  const maxRevision = owned.reduce((max, revision) => Math.max(max, Number(revision.revision ?? 0)), 0);
  const withoutPatchMarker = (candidate: KubeObject) => {
    const copy = structuredClone(candidate.data?.spec?.template ?? {});
    delete copy.$patch;
    return canonicalJson(copy);
  };
  let current = owned.find((revision) => revision.metadata.labels?.['controller-revision-hash'] === hash) ?? owned.find((revision) => withoutPatchMarker(revision) === canonicalJson(template));
  if (!current) {
    current = store.create(type, {
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: {
        name: `${owner.metadata.name}-${hash}`,
        namespace: owner.metadata.namespace,
        labels: { ...template.metadata?.labels, 'controller-revision-hash': hash },
        ownerReferences: [controllerRef(owner)],
      },
      data,
      revision: maxRevision + 1,
    });
  } else if (Number(current.revision ?? 0) < maxRevision) {
    // Going back to an earlier template makes that revision the newest, as the real controllers do.
    current = store.mutate(type, current.metadata.namespace, current.metadata.name!, (latest) => {
      latest.revision = maxRevision + 1;
      return latest;
    }) ?? current;
  }
  const limit = owner.spec?.revisionHistoryLimit ?? 10;
  const old = owned.filter((revision) => revision.metadata.name !== current!.metadata.name).sort((left, right) => Number(left.revision) - Number(right.revision));
  for (const revision of old.slice(0, Math.max(0, old.length - limit))) store.remove(type, revision.metadata.namespace, revision.metadata.name!);
  return { current, hash };
}
