/** The EndpointSlices of a Service and kubectl's formatEndpointSlices (at most 3 ready addresses, then "+ N more..."). */
import { listAll, type DescribeContext } from './describe-context.ts';
import type { KubeObject } from './describe-format.ts';

export function endpointSlicesOf(context: DescribeContext, namespace: string, service: string): Promise<KubeObject[]> {
  return listAll(context, `/apis/discovery.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/endpointslices`, { labelSelector: `kubernetes.io/service-name=${service}` });
}

/** `ports` undefined means every port. */
export function formatEndpointSlices(slices: KubeObject[], ports: Set<string> | undefined): string {
  if (slices.length === 0) return '<none>';
  const list: string[] = [];
  const max = 3;
  let more = false;
  let count = 0;
  const ready = (endpoint: KubeObject) => endpoint.conditions?.ready === undefined || endpoint.conditions?.ready === null || endpoint.conditions.ready === true;
  for (const slice of slices) {
    const endpoints: KubeObject[] = slice.endpoints ?? [];
    if (!slice.ports?.length) {
      for (const endpoint of endpoints) {
        if (list.length === max) more = true;
        if (!ready(endpoint)) continue;
        if (!more) list.push(endpoint.addresses?.[0] ?? '');
        count += 1;
      }
      continue;
    }
    for (const port of slice.ports as KubeObject[]) {
      if (ports && !ports.has(port.name ?? '')) continue;
      for (const endpoint of endpoints) {
        if (list.length === max) more = true;
        if (!ready(endpoint)) continue;
        const address: string = endpoint.addresses?.[0] ?? '';
        if (!more) list.push(`${address.includes(':') ? `[${address}]` : address}:${port.port ?? 0}`);
        count += 1;
      }
    }
  }
  const joined = list.join(',');
  return more ? `${joined} + ${count - max} more...` : joined;
}
