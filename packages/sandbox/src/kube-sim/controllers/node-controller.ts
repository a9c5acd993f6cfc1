import type { WorkloadContext } from '../workloads/workload-context.ts';
import type { Controller } from './controller-manager.ts';

const unschedulableTaint = 'node.kubernetes.io/unschedulable';

/** Keeps the `node.kubernetes.io/unschedulable` taint in step with spec.unschedulable, as the node lifecycle controller does. */
export function createNodeController(context: WorkloadContext): Controller {
  return {
    name: 'node-lifecycle',
    keysFor(change) {
      return change.resource.group === '' && change.resource.resource === 'nodes' && change.type !== 'DELETED' ? [change.object.metadata.name!] : [];
    },
    reconcile(name) {
      context.cluster.store.mutate(context.types.nodes(), undefined, name, (node) => {
        const taints: any[] = node.spec?.taints ?? [];
        const has = taints.some((taint) => taint.key === unschedulableTaint);
        const wants = Boolean(node.spec?.unschedulable);
        if (has === wants) return undefined;
        const next = wants ? [...taints, { key: unschedulableTaint, effect: 'NoSchedule', timeAdded: context.timestamp() }] : taints.filter((taint) => taint.key !== unschedulableTaint);
        node.spec = { ...node.spec, taints: next.length ? next : undefined };
        if (!next.length) delete node.spec.taints;
        return node;
      });
    },
  };
}
