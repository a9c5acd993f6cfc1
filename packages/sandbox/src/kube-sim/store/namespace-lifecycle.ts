import type { SimResourceRegistry } from '../resources/resource-registry.ts';
import type { SimObjectStore } from './object-store.ts';

/**
 * Namespace termination: a deleted namespace stays `Terminating` while everything in it is deleted, then
 * disappears. Objects held by finalizers keep it around until their finalizers are removed.
 */
export function startNamespaceLifecycle(store: SimObjectStore, registry: SimResourceRegistry): () => void {
  const terminating = new Set<string>();
  const scheduled = new Set<string>();
  let stopped = false;

  // One pending sweep per namespace, so deleting thousands of objects does not queue thousands of sweeps.
  function schedule(namespace: string): void {
    if (scheduled.has(namespace)) return;
    scheduled.add(namespace);
    setImmediate(() => {
      scheduled.delete(namespace);
      if (terminating.has(namespace)) sweep(namespace);
    });
  }

  function namespaces() {
    return registry.byResource('', 'namespaces')!;
  }

  function sweep(namespace: string): void {
    if (stopped) return;
    let remaining = 0;
    for (const resource of registry.all()) {
      if (!resource.namespaced) continue;
      for (const object of [...store.listShared(resource, namespace)]) {
        remaining++;
        if (object.metadata.deletionTimestamp) continue;
        try {
          store.delete(resource, namespace, object.metadata.name!);
        } catch {
          // deleted concurrently
        }
        if (!store.getShared(resource, namespace, object.metadata.name!)) remaining--;
      }
    }
    if (remaining === 0) {
      terminating.delete(namespace);
      store.remove(namespaces(), undefined, namespace);
    }
  }

  const unsubscribe = store.subscribe((change) => {
    const name = change.object.metadata.name!;
    if (change.resource.group === '' && change.resource.resource === 'namespaces') {
      if (change.type === 'MODIFIED' && change.object.metadata.deletionTimestamp && !terminating.has(name)) {
        terminating.add(name);
        schedule(name);
      }
      if (change.type === 'DELETED') terminating.delete(name);
      return;
    }
    const namespace = change.object.metadata.namespace;
    if (change.type === 'DELETED' && namespace && terminating.has(namespace)) schedule(namespace);
  });
  return () => {
    stopped = true;
    unsubscribe();
  };
}
