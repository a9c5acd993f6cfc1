import type {
  CustomApiGroup,
  SimClock,
  SimCluster,
  SimulationSettings,
  SubresourceHandler,
  UpgradeHandler,
  KubeObject,
} from './cluster-types.ts';
import { bootstrapRbacObjects } from './resources/bootstrap-rbac.ts';
import { applyDefaults } from './resources/object-defaults.ts';
import { admitCreate } from './resources/storage-admission.ts';
import { builtinResources } from './resources/builtin-resources.ts';
import { createResourceRegistry, type SimResourceRegistry } from './resources/resource-registry.ts';
import { startEventMirror } from './store/event-mirror.ts';
import { createEventRecorder } from './store/event-recorder.ts';
import { startGarbageCollector } from './store/garbage-collector.ts';
import { startNamespaceLifecycle } from './store/namespace-lifecycle.ts';
import { gracePeriodForDelete, startPodTermination } from './store/pod-termination.ts';
import { createObjectStore, type SimObjectStore } from './store/object-store.ts';
import { startCrdController } from './crds/crd-controller.ts';

export const defaultSettings: SimulationSettings = {
  readinessDelayMs: 300,
  startDelayMs: 100,
  crashBackoffMs: 1000,
  jobDurationMs: 500,
};

/** The cluster as the API server sees it: the public contract plus lookups of registered handlers. */
export interface SimClusterInternals extends SimCluster {
  store: SimObjectStore;
  registry: SimResourceRegistry;
  subresourceHandler(group: string, resource: string, subresource: string): SubresourceHandler | undefined;
  upgradeHandler(group: string, resource: string, subresource: string): UpgradeHandler | undefined;
  apiGroups(): CustomApiGroup[];
  /** runs onClose callbacks and stops the built-in controllers */
  close(): void;
}

export interface CreateSimClusterOptions {
  settings?: Partial<SimulationSettings>;
  clock?: SimClock;
}

const systemNamespaces = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/** Handlers are registered as 'pods' or 'deployments.apps'; both spellings find the same handler. */
function handlerKeys(group: string, resource: string, subresource: string): string[] {
  return group ? [`${resource}.${group}/${subresource}`, `${resource}/${subresource}`] : [`${resource}/${subresource}`];
}

/** Builds an empty cluster (the four system namespaces) with GC, namespace termination and CRD handling. */
export function createSimCluster(options: CreateSimClusterOptions = {}): SimClusterInternals {
  const clock = options.clock ?? { now: () => new Date() };
  const registry = createResourceRegistry(builtinResources());
  const store = createObjectStore(clock, { gracePeriodFor: gracePeriodForDelete });
  const subresources = new Map<string, SubresourceHandler>();
  const upgrades = new Map<string, UpgradeHandler>();
  const groups: CustomApiGroup[] = [];
  const closeCallbacks: Array<() => void> = [];

  const cluster: SimClusterInternals = {
    store,
    registry,
    events: createEventRecorder(store, registry, clock),
    clock,
    settings: { ...defaultSettings, ...options.settings },
    addSubresource(resource, subresource, handler) {
      subresources.set(`${resource}/${subresource}`, handler);
    },
    addUpgrade(resource, subresource, handler) {
      upgrades.set(`${resource}/${subresource}`, handler);
    },
    addApiGroup(group) {
      const index = groups.findIndex((existing) => existing.group === group.group && existing.version === group.version);
      if (index >= 0) groups[index] = group;
      else groups.push(group);
    },
    applyDefaults,
    admitCreate: (resource, object) => admitCreate({ store, registry }, resource, object),
    resourceFor(object: Pick<KubeObject, 'apiVersion' | 'kind'>) {
      const [group, version] = object.apiVersion.includes('/') ? object.apiVersion.split('/') : ['', object.apiVersion];
      const resource = registry.byKind(group, object.kind);
      return resource && (registry.lookup(group, version, resource.resource) ?? resource);
    },
    onClose(callback) {
      closeCallbacks.push(callback);
    },
    subresourceHandler(group, resource, subresource) {
      for (const key of handlerKeys(group, resource, subresource)) {
        const handler = subresources.get(key);
        if (handler) return handler;
      }
      return undefined;
    },
    upgradeHandler(group, resource, subresource) {
      for (const key of handlerKeys(group, resource, subresource)) {
        const handler = upgrades.get(key);
        if (handler) return handler;
      }
      return undefined;
    },
    apiGroups: () => [...groups],
    close() {
      for (const callback of closeCallbacks.splice(0).reverse()) {
        try {
          callback();
        } catch (error) {
          process.stderr.write(`kube-sim: close callback failed: ${error instanceof Error ? error.message : String(error)}\n`);
        }
      }
    },
  };

  const namespaces = registry.byResource('', 'namespaces')!;
  for (const name of systemNamespaces) {
    store.create(namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name } }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } });
  }
  const rbac = bootstrapRbacObjects();
  for (const role of rbac.clusterRoles) store.create(registry.byResource('rbac.authorization.k8s.io', 'clusterroles')!, role);
  for (const binding of rbac.clusterRoleBindings) store.create(registry.byResource('rbac.authorization.k8s.io', 'clusterrolebindings')!, binding);
  cluster.onClose(startEventMirror(store, registry));
  cluster.onClose(startGarbageCollector(store, registry));
  cluster.onClose(startNamespaceLifecycle(store, registry));
  cluster.onClose(startPodTermination(store, registry, () => cluster.settings));
  cluster.onClose(startCrdController(cluster));
  return cluster;
}
