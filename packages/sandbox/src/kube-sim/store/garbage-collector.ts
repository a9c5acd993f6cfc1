import type { KubeObject, ResourceRegistry } from '../cluster-types.ts';
import type { SimObjectStore } from './object-store.ts';

function groupOf(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
}

/**
 * Background garbage collection: when an object goes away, its dependents whose owners are all gone are
 * deleted too (and their dependents in turn, through their own DELETED events). Work is deferred with
 * setImmediate so it never runs inside another write's listener chain, as the real GC runs asynchronously.
 */
export function startGarbageCollector(store: SimObjectStore, registry: ResourceRegistry): () => void {
  let stopped = false;

  function ownerAlive(dependent: KubeObject, owner: NonNullable<KubeObject['metadata']['ownerReferences']>[number]): boolean {
    const resource = registry.byKind(groupOf(owner.apiVersion), owner.kind);
    if (!resource) return false;
    const found = store.getShared(resource, resource.namespaced ? dependent.metadata.namespace : undefined, owner.name);
    return found?.metadata.uid === owner.uid && !found.metadata.deletionTimestamp;
  }

  function collect(ownerUid: string): void {
    if (stopped) return;
    for (const { resource, object } of store.dependentsOf(ownerUid)) {
      if (object.metadata.deletionTimestamp) continue;
      const owners = object.metadata.ownerReferences ?? [];
      if (owners.some((owner) => owner.uid !== ownerUid && ownerAlive(object, owner))) continue;
      try {
        store.delete(resource, object.metadata.namespace, object.metadata.name!);
      } catch {
        // already gone: another collector pass or a client got there first
      }
    }
  }

  /**
   * A dependent written after its owner was already gone (a controller that read the owner, then created or replaced
   * the object once the owner's DELETED event had been handled) is collected too, as the real collector does: its
   * graph sees an object whose owners are all absent. An owner of a kind this cluster does not serve is left alone
   * (the real collector cannot resolve it either).
   */
  function collectOrphan(resource: Parameters<SimObjectStore['delete']>[0], object: KubeObject): void {
    if (stopped || object.metadata.deletionTimestamp) return;
    const owners = object.metadata.ownerReferences ?? [];
    if (owners.length === 0) return;
    const absent = owners.every((owner) => registry.byKind(groupOf(owner.apiVersion), owner.kind) !== undefined && !ownerAlive(object, owner));
    if (!absent) return;
    try {
      store.delete(resource, object.metadata.namespace, object.metadata.name!);
    } catch {
      // already gone
    }
  }

  const unsubscribe = store.subscribe((change) => {
    const uid = change.object.metadata.uid;
    // Objects held by finalizers release their dependents only once actually gone.
    if (change.type === 'DELETED' && uid) setImmediate(() => collect(uid));
    else if (change.type === 'ADDED' && change.object.metadata.ownerReferences?.length) {
      const { resource, object } = change;
      setImmediate(() => collectOrphan(resource, object));
    }
  });
  return () => {
    stopped = true;
    unsubscribe();
  };
}
