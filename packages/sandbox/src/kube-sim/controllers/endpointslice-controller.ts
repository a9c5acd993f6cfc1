import type { KubeObject } from '../cluster-types.ts';
import type { WorkloadContext } from '../workloads/workload-context.ts';
import { splitKey, type Controller } from './controller-manager.ts';
import { canonicalJson, controllerRef } from './object-helpers.ts';
import { serviceSelector, type EndpointGroup, type ServiceIndex } from './service-index.ts';

const managedBy = 'endpointslice-controller.k8s.io';

function sliceEndpoints(group: EndpointGroup) {
  return group.endpoints.map(({ pod, ready }) => ({
    addresses: [pod.ip],
    conditions: { ready: ready && !pod.terminating, serving: ready, terminating: pod.terminating },
    ...(pod.hostname ? { hostname: pod.hostname } : {}),
    ...(pod.nodeName ? { nodeName: pod.nodeName } : {}),
    targetRef: { kind: 'Pod', namespace: pod.namespace, name: pod.name, uid: pod.uid },
  }));
}

/**
 * The EndpointSlice controller: one discovery.k8s.io/v1 slice per set of resolved ports of a Service
 * (usually one), owned by the Service, with ready/serving/terminating conditions per pod. kube-sim's
 * simulated kube-proxy routes ClusterIP traffic from these slices.
 */
export function createEndpointSliceController(context: WorkloadContext, index: ServiceIndex): Controller {
  const { store } = context.cluster;
  return {
    name: 'endpointslice-controller',
    keysFor: (change) => index.observe(change),
    reconcile(key) {
      const { namespace, name } = splitKey(key);
      const slicesType = context.types.get('discovery.k8s.io', 'endpointslices');
      const service = store.get(context.types.get('', 'services'), namespace, name);
      const owned = store.list(slicesType, namespace).filter((slice) => slice.metadata.labels?.['kubernetes.io/service-name'] === name && slice.metadata.labels?.['endpointslice.kubernetes.io/managed-by'] === managedBy);
      if (!service || !serviceSelector(service) || service.spec?.type === 'ExternalName') {
        for (const slice of owned) store.remove(slicesType, namespace, slice.metadata.name!);
        return;
      }
      const labels: Record<string, string> = { ...(service.metadata.labels ?? {}), 'endpointslice.kubernetes.io/managed-by': managedBy, 'kubernetes.io/service-name': name };
      if (service.spec?.clusterIP === 'None') labels['service.kubernetes.io/headless'] = '';
      const groups = index.groups(service);
      // A Service with no endpoints still has one empty slice, as the real controller leaves it.
      const wanted = groups.length ? groups.map((group) => ({ ports: group.ports.map((port) => ({ name: port.name ?? '', port: port.port, protocol: port.protocol })), endpoints: sliceEndpoints(group) })) : [{ ports: [], endpoints: [] }];
      const unused = [...owned];
      for (const slice of wanted) {
        const matchIndex = unused.findIndex((candidate) => canonicalJson(candidate.ports ?? []) === canonicalJson(slice.ports));
        const existing = matchIndex >= 0 ? unused.splice(matchIndex, 1)[0] : unused.shift();
        const body = { addressType: 'IPv4', endpoints: slice.endpoints.length ? slice.endpoints : null, ports: slice.ports.length ? slice.ports : null };
        if (!existing) {
          const created: KubeObject = {
            apiVersion: 'discovery.k8s.io/v1',
            kind: 'EndpointSlice',
            metadata: { generateName: `${name}-`, namespace, labels, annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': context.timestamp() }, ownerReferences: [controllerRef(service)] },
            ...body,
          };
          store.create(slicesType, created);
          continue;
        }
        store.mutate(slicesType, namespace, existing.metadata.name!, (current) => {
          if (canonicalJson({ addressType: current.addressType, endpoints: current.endpoints ?? null, ports: current.ports ?? null }) === canonicalJson(body) && canonicalJson(current.metadata.labels ?? {}) === canonicalJson(labels)) return undefined;
          current.metadata.labels = labels;
          current.metadata.annotations = { ...(current.metadata.annotations ?? {}), 'endpoints.kubernetes.io/last-change-trigger-time': context.timestamp() };
          return { ...current, ...body };
        });
      }
      for (const slice of unused) store.remove(slicesType, namespace, slice.metadata.name!);
    },
  };
}
