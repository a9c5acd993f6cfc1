import { ApiError, type KubeObject, type SubresourceHandler } from '../cluster-types.ts';
import { deletePodGracefully } from '../controllers/pod-template.ts';
import { intOrPercent, isPodReady, isTerminating, selectorMatches } from '../controllers/object-helpers.ts';
import type { WorkloadContext } from '../workloads/workload-context.ts';

export interface BudgetState {
  expectedPods: number;
  currentHealthy: number;
  desiredHealthy: number;
  disruptionsAllowed: number;
}

/** What the disruption controller computes for a PodDisruptionBudget from the pods it selects. */
export function budgetState(context: WorkloadContext, budget: KubeObject): BudgetState {
  const pods = context.cluster.store
    .list(context.types.pods(), budget.metadata.namespace)
    .filter((pod) => selectorMatches(budget.spec?.selector, pod.metadata.labels) && pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed');
  const expectedPods = pods.length;
  const currentHealthy = pods.filter((pod) => !isTerminating(pod) && isPodReady(pod)).length;
  let desiredHealthy: number;
  if (budget.spec?.minAvailable !== undefined) desiredHealthy = intOrPercent(budget.spec.minAvailable, expectedPods, 0, true);
  else if (budget.spec?.maxUnavailable !== undefined) desiredHealthy = Math.max(0, expectedPods - intOrPercent(budget.spec.maxUnavailable, expectedPods, 0, true));
  else desiredHealthy = expectedPods;
  return { expectedPods, currentHealthy, desiredHealthy, disruptionsAllowed: Math.max(0, currentHealthy - desiredHealthy) };
}

/** POST pods/<name>/eviction (policy/v1 Eviction): deletes the pod unless a PodDisruptionBudget forbids it. */
export function createPodEvictionHandler(context: WorkloadContext): SubresourceHandler {
  return ({ namespace, name, url, request, response, body }) => {
    if (request.method !== 'POST') return false;
    const pods = context.types.pods();
    const pod = context.cluster.store.get(pods, namespace, name!);
    if (!pod) throw new ApiError(404, 'NotFound', `pods "${name}" not found`, { name, kind: 'pods' });
    const dryRun = url.searchParams.getAll('dryRun').includes('All');
    const budgets = context.types.find('policy', 'poddisruptionbudgets');
    const matching = budgets ? context.cluster.store.list(budgets, namespace).filter((budget) => selectorMatches(budget.spec?.selector, pod.metadata.labels)) : [];
    if (matching.length > 1) {
      throw new ApiError(500, 'InternalError', 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
    }
    // Pods already terminating or not Ready can go: evicting them costs no availability.
    if (matching.length === 1 && !isTerminating(pod) && isPodReady(pod)) {
      const state = budgetState(context, matching[0]);
      if (state.disruptionsAllowed <= 0) {
        throw new ApiError(429, 'TooManyRequests', "Cannot evict pod as it would violate the pod's disruption budget.", {
          causes: [{ reason: 'DisruptionBudget', message: `The disruption budget ${matching[0].metadata.name} needs ${state.desiredHealthy} healthy pods and has ${state.currentHealthy} currently` }],
        });
      }
    }
    // `kubectl drain --grace-period=N` sends it in the Eviction's deleteOptions.
    const requestedGrace = (body as { deleteOptions?: { gracePeriodSeconds?: unknown } } | undefined)?.deleteOptions?.gracePeriodSeconds;
    if (!dryRun) deletePodGracefully(context, pod, typeof requestedGrace === 'number' ? requestedGrace : undefined);
    response.writeHead(201, { 'Content-Type': 'application/json' });
    response.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 }));
  };
}
