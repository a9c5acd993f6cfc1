import type { KubeObject } from '../cluster-types.ts';
import type { WorkloadContext } from '../workloads/workload-context.ts';
import { splitKey, type Controller } from './controller-manager.ts';
import { canonicalJson } from './object-helpers.ts';
import { serviceSelector, type ServiceIndex } from './service-index.ts';

/**
 * The endpoints controller: keeps a core/v1 Endpoints object per Service with a selector, listing the IPs
 * of matching pods (ready ones in `addresses`, the others in `notReadyAddresses`; terminating pods leave).
 */
export function createEndpointsController(context: WorkloadContext, index: ServiceIndex): Controller {
  const { store } = context.cluster;
  return {
    name: 'endpoint-controller',
    keysFor: (change) => index.observe(change),
    reconcile(key) {
      const { namespace, name } = splitKey(key);
      const endpointsType = context.types.get('', 'endpoints');
      const service = store.get(context.types.get('', 'services'), namespace, name);
      const existing = store.get(endpointsType, namespace, name);
      if (!service || service.spec?.type === 'ExternalName') {
        if (existing && (!service || existing.metadata.annotations?.['endpoints.kubernetes.io/last-change-trigger-time'])) store.remove(endpointsType, namespace, name);
        return;
      }
      if (!serviceSelector(service)) return;
      const subsets = index
        .groups(service)
        .map((group) => {
          const address = ({ pod }: { pod: { ip?: string; nodeName?: string; name: string; namespace: string; uid: string; hostname?: string; subdomain?: string } }) => ({
            ip: pod.ip,
            ...(pod.hostname && pod.subdomain === name ? { hostname: pod.hostname } : {}),
            ...(pod.nodeName ? { nodeName: pod.nodeName } : {}),
            targetRef: { kind: 'Pod', namespace: pod.namespace, name: pod.name, uid: pod.uid },
          });
          const live = group.endpoints.filter((endpoint) => !endpoint.pod.terminating || service.spec?.publishNotReadyAddresses);
          const addresses = live.filter((endpoint) => endpoint.ready).map(address);
          const notReadyAddresses = live.filter((endpoint) => !endpoint.ready).map(address);
          return {
            ...(addresses.length ? { addresses } : {}),
            ...(notReadyAddresses.length ? { notReadyAddresses } : {}),
            ...(group.ports.length ? { ports: group.ports } : {}),
          };
        })
        .filter((subset) => subset.addresses || subset.notReadyAddresses);
      const labels: Record<string, string> = { ...(service.metadata.labels ?? {}) };
      if (service.spec?.clusterIP === 'None') labels['service.kubernetes.io/headless'] = '';
      const desired: KubeObject = {
        apiVersion: 'v1',
        kind: 'Endpoints',
        metadata: { name, namespace, labels, annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': context.timestamp() } },
        ...(subsets.length ? { subsets } : {}),
      };
      if (!existing) {
        store.create(endpointsType, desired);
        return;
      }
      store.mutate(endpointsType, namespace, name, (current) => {
        if (canonicalJson(current.subsets ?? []) === canonicalJson(desired.subsets ?? []) && canonicalJson(current.metadata.labels ?? {}) === canonicalJson(labels)) return undefined;
        current.metadata.labels = labels;
        current.metadata.annotations = { ...(current.metadata.annotations ?? {}), ...desired.metadata.annotations };
        if (desired.subsets) current.subsets = desired.subsets;
        else delete current.subsets;
        return current;
      });
    },
  };
}
