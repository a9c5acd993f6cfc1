/** The object store's indexed views and graceful deletion, driven directly. */
import { describe, expect, it } from 'vitest';
import { builtinResources } from '../src/kube-sim/resources/builtin-resources.ts';
import { createResourceRegistry } from '../src/kube-sim/resources/resource-registry.ts';
import { createObjectStore } from '../src/kube-sim/store/object-store.ts';
import { gracePeriodForDelete } from '../src/kube-sim/store/pod-termination.ts';

function setup() {
  const registry = createResourceRegistry(builtinResources());
  const store = createObjectStore({ now: () => new Date('2026-01-01T00:00:00Z') }, { gracePeriodFor: gracePeriodForDelete });
  const namespaces = registry.byResource('', 'namespaces')!;
  const pods = registry.byResource('', 'pods')!;
  const configMaps = registry.byResource('', 'configmaps')!;
  for (const name of ['a', 'a-b', 'ab', 'b']) store.create(namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  return { store, pods, configMaps };
}

describe('object store', () => {
  it('lists one namespace exactly, even next to namespaces that share its prefix', () => {
    const { store, configMaps } = setup();
    for (const namespace of ['ab', 'a-b', 'b', 'a']) {
      for (const name of ['z', 'm']) store.create(configMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace } });
    }
    const names = (namespace?: string) => store.list(configMaps, namespace).map((object) => `${object.metadata.namespace}/${object.metadata.name}`);
    expect(names('a')).toEqual(['a/m', 'a/z']);
    expect(names('a-b')).toEqual(['a-b/m', 'a-b/z']);
    expect(names('ab')).toEqual(['ab/m', 'ab/z']);
    expect(names('missing')).toEqual([]);
    expect(names()).toHaveLength(8);
    // An update keeps the object in its place; a delete takes it out of the view.
    store.mutate(configMaps, 'a', 'm', (object) => ({ ...object, data: { changed: 'yes' } }));
    expect(store.list(configMaps, 'a')[0].data).toEqual({ changed: 'yes' });
    store.remove(configMaps, 'a', 'm');
    expect(names('a')).toEqual(['a/z']);
  });

  it('finds owned objects through the owner index, sorted by name', () => {
    const { store, pods, configMaps } = setup();
    const owner = store.create(configMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'owner', namespace: 'a' } });
    const reference = { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata.uid!, controller: true };
    for (const name of ['p2', 'p1']) store.create(pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'a', ownerReferences: [reference] }, spec: { containers: [] } });
    store.create(pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'stranger', namespace: 'a' }, spec: { containers: [] } });
    expect(store.ownedBy(pods, owner.metadata.uid!).map((pod) => pod.metadata.name)).toEqual(['p1', 'p2']);
    expect(store.ownedBy(configMaps, owner.metadata.uid!)).toEqual([]);
  });

  it('deletes a pod on a node gracefully, and an unscheduled one or a forced one at once', () => {
    const { store, pods } = setup();
    const pod = (name: string, nodeName?: string) => store.create(pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'a' }, spec: { ...(nodeName ? { nodeName } : {}), terminationGracePeriodSeconds: 45, containers: [] } });
    pod('running', 'node-1');
    const graceful = store.delete(pods, 'a', 'running');
    expect(graceful.removed).toBe(false);
    expect(graceful.object.metadata.deletionGracePeriodSeconds).toBe(45);
    expect(graceful.object.metadata.deletionTimestamp).toBe('2026-01-01T00:00:45Z');
    // A status write during the grace period does not end it.
    store.mutate(pods, 'a', 'running', (object) => ({ ...object, status: { phase: 'Running' } }));
    expect(store.get(pods, 'a', 'running')).toBeDefined();
    expect(store.delete(pods, 'a', 'running', { gracePeriodSeconds: 0 }).removed).toBe(true);
    pod('unscheduled');
    expect(store.delete(pods, 'a', 'unscheduled').removed).toBe(true);
    pod('other', 'node-1');
    expect(store.delete(pods, 'a', 'other', { gracePeriodSeconds: -5 }).object.metadata.deletionGracePeriodSeconds).toBe(1);
  });
});
