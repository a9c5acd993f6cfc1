import { vi } from 'vitest';
import type { CustomApiGroup, SimCluster, SimulationSettings, SubresourceHandler, UpgradeHandler } from '../../src/kube-sim/cluster-types.ts';
import { builtinResources } from '../../src/kube-sim/resources/builtin-resources.ts';
import { createResourceRegistry } from '../../src/kube-sim/resources/resource-registry.ts';
import { createEventRecorder } from '../../src/kube-sim/store/event-recorder.ts';
import { startGarbageCollector } from '../../src/kube-sim/store/garbage-collector.ts';
import { createObjectStore } from '../../src/kube-sim/store/object-store.ts';
import { gracePeriodForDelete, startPodTermination } from '../../src/kube-sim/store/pod-termination.ts';
import { applyDefaults } from '../../src/kube-sim/resources/object-defaults.ts';
import { admitCreate } from '../../src/kube-sim/resources/storage-admission.ts';

/** A SimCluster without HTTP: the store, registry and events, plus a record of registered handlers. */
export interface FakeCluster extends SimCluster {
  subresources: Map<string, SubresourceHandler>;
  upgrades: Map<string, UpgradeHandler>;
  apiGroups: CustomApiGroup[];
  close(): void;
}

export function createFakeCluster(settings: Partial<SimulationSettings> = {}): FakeCluster {
  const clock = { now: () => new Date() };
  const registry = createResourceRegistry(builtinResources());
  const store = createObjectStore(clock, { gracePeriodFor: gracePeriodForDelete });
  const events = createEventRecorder(store, registry, clock);
  const stopGc = startGarbageCollector(store, registry);
  const closers: Array<() => void> = [stopGc];
  const fullSettings = { startDelayMs: 10, readinessDelayMs: 20, crashBackoffMs: 30, jobDurationMs: 40, terminationDelayMs: 10, ...settings };
  closers.push(startPodTermination(store, registry, () => fullSettings));
  const namespaces = registry.byResource('', 'namespaces')!;
  for (const name of ['default', 'kube-system']) store.create(namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } });
  const cluster: FakeCluster = {
    store,
    registry,
    events,
    clock,
    settings: fullSettings,
    applyDefaults,
    admitCreate: (resource, object) => admitCreate({ store, registry }, resource, object),
    subresources: new Map(),
    upgrades: new Map(),
    apiGroups: [],
    addSubresource(resource, subresource, handler) {
      cluster.subresources.set(`${resource}/${subresource}`, handler);
    },
    addUpgrade(resource, subresource, handler) {
      cluster.upgrades.set(`${resource}/${subresource}`, handler);
    },
    addApiGroup(group) {
      cluster.apiGroups.push(group);
    },
    resourceFor(object) {
      const [group, version] = object.apiVersion.includes('/') ? object.apiVersion.split('/') : ['', object.apiVersion];
      const type = registry.byKind(group, object.kind);
      return type && (type.version === version || registry.lookup(group, version, type.resource)) ? registry.lookup(group, version, type.resource) ?? type : undefined;
    },
    onClose(callback) {
      closers.push(callback);
    },
    close() {
      for (const callback of closers.splice(0)) callback();
    },
  };
  return cluster;
}

/** vi.waitFor until `predicate` returns a truthy value (checked every 5 ms); rejects after `timeoutMs`. */
export async function eventually<T>(predicate: () => T | undefined | false, timeoutMs = 3000): Promise<T> {
  return vi.waitFor(
    () => {
      const value = predicate();
      if (!value) throw new Error(`condition not met within ${timeoutMs} ms`);
      return value;
    },
    { timeout: timeoutMs, interval: 5 },
  );
}
