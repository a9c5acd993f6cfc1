import { assertSafeName } from '../../exec/flag-guard.ts';
import type { ToolDeps } from '../../deps/deps.ts';
import { defineTool } from '../../contract/tool-definition.ts';
import { allNamespacesField, argoNamespaceField } from './argo-inputs.ts';
import { listArgo } from './rollout-api.ts';
import { age, canaryStepSummary, renderTable, rolloutState, strategyOf } from './rollout-view.ts';
import { textOutputShape } from '../output-shapes.ts';

export const argoListRollouts = defineTool({
  name: 'argo_list_rollouts',
  title: 'List Argo Rollouts',
  description: 'List Argo Rollouts with desired/current/up-to-date/available replicas, strategy, status and canary step.',
  toolset: 'argo',
  inputSchema: { namespace: argoNamespaceField, all_namespaces: allNamespacesField },
  outputSchema: textOutputShape,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
  handler: async (input, deps: ToolDeps, context) => {
    if (!input.all_namespaces) assertSafeName('namespace', input.namespace);
    const rollouts = await listArgo(deps, 'rollouts', input.all_namespaces ? undefined : input.namespace, context.signal);
    if (rollouts.length === 0) return { text: `No rollouts found${input.all_namespaces ? '' : ` in namespace ${input.namespace}`}.` };
    const now = new Date();
    const header = [...(input.all_namespaces ? ['NAMESPACE'] : []), 'NAME', 'DESIRED', 'CURRENT', 'UP-TO-DATE', 'AVAILABLE', 'AGE', 'STRATEGY', 'STATUS', 'STEP'];
    const rows = rollouts.map((rollout) => [
      ...(input.all_namespaces ? [rollout.metadata.namespace ?? ''] : []),
      rollout.metadata.name,
      String(rollout.spec?.replicas ?? 1),
      String(rollout.status?.replicas ?? 0),
      String(rollout.status?.updatedReplicas ?? 0),
      String(rollout.status?.availableReplicas ?? 0),
      age(rollout.metadata.creationTimestamp, now),
      strategyOf(rollout),
      rolloutState(rollout).phase,
      canaryStepSummary(rollout),
    ]);
    return { text: renderTable([header, ...rows]) };
  },
});
