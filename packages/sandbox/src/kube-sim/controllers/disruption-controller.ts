import { budgetState } from '../subresources/pod-eviction.ts';
import type { WorkloadContext } from '../workloads/workload-context.ts';
import { keyOf, splitKey, type Controller } from './controller-manager.ts';
import { canonicalJson } from './object-helpers.ts';

/** Keeps PodDisruptionBudget status (allowed disruptions, healthy counts) current for `kubectl get pdb`. */
export function createDisruptionController(context: WorkloadContext): Controller {
  const { store } = context.cluster;
  return {
    name: 'disruption-controller',
    keysFor(change) {
      if (change.resource.group === 'policy' && change.resource.resource === 'poddisruptionbudgets') return [keyOf(change.object.metadata.namespace, change.object.metadata.name)];
      if (change.resource.group !== '' || change.resource.resource !== 'pods') return [];
      const budgets = context.types.find('policy', 'poddisruptionbudgets');
      return budgets ? store.list(budgets, change.object.metadata.namespace).map((budget) => keyOf(budget.metadata.namespace, budget.metadata.name)) : [];
    },
    reconcile(key) {
      const { namespace, name } = splitKey(key);
      const type = context.types.get('policy', 'poddisruptionbudgets');
      const budget = store.get(type, namespace, name);
      if (!budget) return;
      const state = budgetState(context, budget);
      const allowed = state.disruptionsAllowed > 0;
      const previous = (budget.status?.conditions ?? []).find((condition: any) => condition.type === 'DisruptionAllowed');
      const condition = {
        type: 'DisruptionAllowed',
        status: allowed ? 'True' : 'False',
        reason: allowed ? 'SufficientPods' : 'InsufficientPods',
        message: '',
        observedGeneration: budget.metadata.generation ?? 1,
        lastTransitionTime: previous && previous.status === (allowed ? 'True' : 'False') ? previous.lastTransitionTime : context.timestamp(),
      };
      const status = { observedGeneration: budget.metadata.generation ?? 1, ...state, conditions: [condition] };
      store.mutate(type, namespace, name, (latest) => {
        if (canonicalJson(latest.status ?? {}) === canonicalJson(status)) return undefined;
        latest.status = status;
        return latest;
      });
    },
  };
}
