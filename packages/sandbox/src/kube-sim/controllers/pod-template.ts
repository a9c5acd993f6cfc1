import type { KubeObject } from '../cluster-types.ts';
import type { WorkloadContext } from '../workloads/workload-context.ts';
import { controllerRef, isTerminating, randomSuffix } from './object-helpers.ts';

interface PodFromTemplateInput {
  owner: KubeObject;
  template: any;
  name?: string;
  labels?: Record<string, string>;
  nodeName?: string;
}

/** A pod built from a controller's template (the API server's defaulting is added by createPodFromTemplate). */
export function podFromTemplate(input: PodFromTemplateInput): KubeObject {
  const template = structuredClone(input.template ?? {});
  const spec = template.spec ?? {};
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: input.name ?? `${input.owner.metadata.name}-${randomSuffix()}`,
      namespace: input.owner.metadata.namespace,
      labels: { ...template.metadata?.labels, ...input.labels },
      ...(template.metadata?.annotations ? { annotations: template.metadata.annotations } : {}),
      ownerReferences: [controllerRef(input.owner)],
    },
    spec: { ...spec, ...(input.nodeName ? { nodeName: input.nodeName } : {}) },
    status: { phase: 'Pending', qosClass: 'BestEffort' },
  };
}

/** Creates a controller's pod as a POST to the API would: through the server's defaulting. */
export function createPodFromTemplate(context: WorkloadContext, input: PodFromTemplateInput): KubeObject {
  const pods = context.types.pods();
  const pod = podFromTemplate(input);
  context.cluster.applyDefaults(pods, pod);
  return context.cluster.store.create(pods, pod);
}

/**
 * Deletes a pod the way a DELETE request does: a pod on a node turns Terminating for its grace period
 * (`gracePeriodSeconds` if given, else its own), then the API server's termination queue removes it.
 */
export function deletePodGracefully(context: WorkloadContext, pod: KubeObject, gracePeriodSeconds?: number): void {
  if (isTerminating(pod)) return;
  const current = context.cluster.store.get(context.types.pods(), pod.metadata.namespace, pod.metadata.name!);
  if (!current || current.metadata.uid !== pod.metadata.uid) return;
  context.cluster.store.delete(context.types.pods(), pod.metadata.namespace, pod.metadata.name!, { gracePeriodSeconds });
}

/** Pods whose controller is `owner`, sorted by name like a list (found through the store's owner index). */
export function podsOwnedBy(context: WorkloadContext, owner: KubeObject): KubeObject[] {
  return context.cluster.store
    .ownedBy(context.types.pods(), owner.metadata.uid!)
    .filter((pod) => pod.metadata.namespace === owner.metadata.namespace && pod.metadata.ownerReferences?.some((reference) => reference.controller && reference.uid === owner.metadata.uid));
}
