import type { KubeObject, ObjectStore, StoreChange } from '../cluster-types.ts';
import type { ResourceTypes } from '../workloads/resource-types.ts';
import { keyOf } from './controller-manager.ts';
import { isPodReady } from './object-helpers.ts';

/** What the endpoint controllers need of a pod, kept from the change stream (no list of every pod). */
export interface EndpointPod {
  name: string;
  namespace: string;
  uid: string;
  labels: Record<string, string>;
  ip?: string;
  ready: boolean;
  terminating: boolean;
  finished: boolean;
  nodeName?: string;
  hostname?: string;
  subdomain?: string;
  ports: Array<{ name?: string; containerPort: number; protocol?: string }>;
}

export interface EndpointPort {
  name?: string;
  port: number;
  protocol: string;
}

/** Pods that share the same resolved ports (named targetPorts can differ per pod). */
export interface EndpointGroup {
  ports: EndpointPort[];
  endpoints: Array<{ pod: EndpointPod; ready: boolean }>;
}

function entryOf(pod: KubeObject): EndpointPod {
  return {
    name: pod.metadata.name!,
    namespace: pod.metadata.namespace ?? 'default',
    uid: pod.metadata.uid!,
    labels: pod.metadata.labels ?? {},
    ip: pod.status?.podIP,
    ready: isPodReady(pod),
    terminating: Boolean(pod.metadata.deletionTimestamp),
    finished: pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed',
    nodeName: pod.spec?.nodeName,
    hostname: pod.spec?.hostname,
    subdomain: pod.spec?.subdomain,
    ports: (pod.spec?.containers ?? []).flatMap((container: any) => container.ports ?? []),
  };
}

/** A Service's selector (a plain map); services without one have hand-managed endpoints. */
export function serviceSelector(service: KubeObject): Record<string, string> | undefined {
  const selector = service.spec?.selector;
  return selector && typeof selector === 'object' && Object.keys(selector).length > 0 ? selector : undefined;
}

const matches = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([key, value]) => labels[key] === value);

/**
 * Pods and Service selectors by namespace, updated from every store change, shared by the Endpoints and
 * EndpointSlice controllers: a pod change costs a look at the Services of its namespace only.
 */
export function createServiceIndex(store: ObjectStore, types: ResourceTypes) {
  const pods = new Map<string, Map<string, EndpointPod>>();
  const selectors = new Map<string, Map<string, Record<string, string>>>();
  const inNamespace = <T>(map: Map<string, Map<string, T>>, namespace: string) => {
    let entries = map.get(namespace);
    if (!entries) map.set(namespace, (entries = new Map()));
    return entries;
  };
  const trackPod = (pod: KubeObject, deleted: boolean) => {
    const entries = inNamespace(pods, pod.metadata.namespace ?? 'default');
    if (deleted) entries.delete(pod.metadata.name!);
    else entries.set(pod.metadata.name!, entryOf(pod));
  };
  const trackService = (service: KubeObject, deleted: boolean) => {
    const entries = inNamespace(selectors, service.metadata.namespace ?? 'default');
    const selector = serviceSelector(service);
    if (deleted || !selector) entries.delete(service.metadata.name!);
    else entries.set(service.metadata.name!, selector);
  };
  for (const pod of store.list(types.pods())) trackPod(pod, false);
  for (const service of store.list(types.get('', 'services'))) trackService(service, false);

  // Both endpoint controllers see every change: the second call with the same change reuses the first's answer.
  let lastChange: StoreChange | undefined;
  let lastKeys: string[] = [];

  return {
    /** Updates the index and returns the Service keys to sync (computed once per change). */
    observe(change: StoreChange): string[] {
      if (change === lastChange) return lastKeys;
      lastChange = change;
      lastKeys = this.keysFor(change);
      return lastKeys;
    },
    keysFor(change: StoreChange): string[] {
      if (change.resource.group !== '') return [];
      const namespace = change.object.metadata.namespace ?? 'default';
      if (change.resource.resource === 'services') {
        trackService(change.object, change.type === 'DELETED');
        return [keyOf(namespace, change.object.metadata.name)];
      }
      if (change.resource.resource !== 'pods') return [];
      trackPod(change.object, change.type === 'DELETED');
      const services = selectors.get(namespace);
      if (!services?.size) return [];
      const before = change.previous?.metadata.labels ?? {};
      const after = change.object.metadata.labels ?? {};
      const keys: string[] = [];
      for (const [name, selector] of services) if (matches(selector, after) || matches(selector, before)) keys.push(keyOf(namespace, name));
      return keys;
    },
    /** The endpoints a Service should have now, grouped by resolved ports. */
    groups(service: KubeObject): EndpointGroup[] {
      const selector = serviceSelector(service);
      if (!selector) return [];
      const publishNotReady = Boolean(service.spec?.publishNotReadyAddresses);
      const servicePorts: any[] = service.spec?.ports ?? [];
      const groups = new Map<string, EndpointGroup>();
      for (const pod of pods.get(service.metadata.namespace ?? 'default')?.values() ?? []) {
        if (!pod.ip || pod.finished || !matches(selector, pod.labels)) continue;
        const ports: EndpointPort[] = [];
        for (const servicePort of servicePorts) {
          const target = servicePort.targetPort ?? servicePort.port;
          const protocol = servicePort.protocol ?? 'TCP';
          let port: number | undefined;
          if (typeof target === 'number' || /^\d+$/.test(String(target))) port = Number(target);
          else port = pod.ports.find((candidate) => candidate.name === target && (candidate.protocol ?? 'TCP') === protocol)?.containerPort;
          if (port !== undefined) ports.push({ ...(servicePort.name ? { name: servicePort.name } : {}), port, protocol });
        }
        if (servicePorts.length > 0 && ports.length === 0) continue;
        const signature = JSON.stringify(ports);
        let group = groups.get(signature);
        if (!group) groups.set(signature, (group = { ports, endpoints: [] }));
        group.endpoints.push({ pod, ready: publishNotReady || (pod.ready && !pod.terminating) });
      }
      const byIp = (left: { pod: EndpointPod }, right: { pod: EndpointPod }) => ipOrder(left.pod.ip!) - ipOrder(right.pod.ip!);
      for (const group of groups.values()) group.endpoints.sort(byIp);
      return [...groups.values()];
    },
  };
}

export type ServiceIndex = ReturnType<typeof createServiceIndex>;

function ipOrder(ip: string): number {
  return ip.split('.').reduce((total, part) => total * 256 + Number(part), 0);
}
