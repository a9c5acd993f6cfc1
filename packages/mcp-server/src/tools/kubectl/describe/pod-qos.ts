/** The pod's QoS class: status.qosClass when set, else computed like qos.ComputePodQOS (cpu and memory only). */
import type { KubeObject } from './describe-format.ts';
import { addQuantities, compareQuantities, parseQuantity, ZERO_QUANTITY, type Quantity } from '../quantity.ts';

const QOS_RESOURCES = new Set(['cpu', 'memory']);

export function podQosClass(pod: KubeObject): string {
  if (pod.status?.qosClass) return pod.status.qosClass;
  const requests = new Map<string, Quantity>();
  const limits = new Map<string, Quantity>();
  let guaranteed = true;
  for (const container of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]) {
    for (const [name, raw] of Object.entries(container.resources?.requests ?? {})) {
      const quantity = parseQuantity(raw);
      if (!QOS_RESOURCES.has(name) || !quantity || compareQuantities(quantity, ZERO_QUANTITY) <= 0) continue;
      requests.set(name, requests.has(name) ? addQuantities(quantity, requests.get(name)!) : quantity);
    }
    const found = new Set<string>();
    for (const [name, raw] of Object.entries(container.resources?.limits ?? {})) {
      const quantity = parseQuantity(raw);
      if (!QOS_RESOURCES.has(name) || !quantity || compareQuantities(quantity, ZERO_QUANTITY) <= 0) continue;
      found.add(name);
      limits.set(name, limits.has(name) ? addQuantities(quantity, limits.get(name)!) : quantity);
    }
    if (!found.has('cpu') || !found.has('memory')) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [name, request] of requests) {
      const limit = limits.get(name);
      if (!limit || compareQuantities(limit, request) !== 0) {
        guaranteed = false;
        break;
      }
    }
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}
