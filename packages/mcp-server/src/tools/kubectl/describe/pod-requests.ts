/** resourcehelper.PodRequestsAndLimits: what a pod asks of its node (containers summed, init containers as a max, plus overhead). */
import type { KubeObject } from './describe-format.ts';
import { addQuantities, compareQuantities, parseQuantity, type Quantity } from '../quantity.ts';

export type ResourceList = Map<string, Quantity>;

function toList(raw: Record<string, unknown> | undefined): ResourceList {
  const list: ResourceList = new Map();
  for (const [name, value] of Object.entries(raw ?? {})) {
    const quantity = parseQuantity(value);
    if (quantity) list.set(name, quantity);
  }
  return list;
}

export function addResourceList(target: ResourceList, source: ResourceList): void {
  for (const [name, quantity] of source) target.set(name, target.has(name) ? addQuantities(target.get(name)!, quantity) : quantity);
}

function maxResourceList(target: ResourceList, source: ResourceList): void {
  for (const [name, quantity] of source) {
    const current = target.get(name);
    if (!current || compareQuantities(quantity, current) > 0) target.set(name, quantity);
  }
}

function maxOf(left: ResourceList, right: ResourceList): ResourceList {
  const result: ResourceList = new Map(left);
  maxResourceList(result, right);
  return result;
}

function podResources(pod: KubeObject, which: 'requests' | 'limits'): ResourceList {
  const total: ResourceList = new Map();
  const statuses = new Map<string, KubeObject>((pod.status?.containerStatuses ?? []).map((status: KubeObject) => [status.name, status]));
  for (const container of pod.spec?.containers ?? []) {
    let resources = toList(container.resources?.[which]);
    const status = statuses.get(container.name);
    if (which === 'requests' && status?.allocatedResources) {
      resources = pod.status?.resize === 'Infeasible' ? toList(status.allocatedResources) : maxOf(resources, toList(status.allocatedResources));
    }
    addResourceList(total, resources);
  }
  const restartable: ResourceList = new Map();
  const initMax: ResourceList = new Map();
  for (const container of pod.spec?.initContainers ?? []) {
    let resources = toList(container.resources?.[which]);
    if (container.restartPolicy === 'Always') {
      addResourceList(total, resources);
      addResourceList(restartable, resources);
      resources = new Map(restartable);
    } else {
      const combined: ResourceList = new Map();
      addResourceList(combined, resources);
      addResourceList(combined, restartable);
      resources = combined;
    }
    maxResourceList(initMax, resources);
  }
  maxResourceList(total, initMax);
  if (pod.spec?.overhead) addResourceList(total, toList(pod.spec.overhead));
  return total;
}

export function podRequestsAndLimits(pod: KubeObject): { requests: ResourceList; limits: ResourceList } {
  return { requests: podResources(pod, 'requests'), limits: podResources(pod, 'limits') };
}
