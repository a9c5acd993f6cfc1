import { z } from 'zod';
import { assertSafeName } from '../../exec/flag-guard.ts';
import type { ToolDeps } from '../../deps/deps.ts';
import { defineTool } from '../../contract/tool-definition.ts';
import { allNamespacesField, argoNamespaceField } from './argo-inputs.ts';
import { listArgo, type KubeObjectLike } from './rollout-api.ts';
import { age, renderTable } from './rollout-view.ts';
import { textOutputShape } from '../output-shapes.ts';

export const argoListExperiments = defineTool({
  name: 'argo_list_experiments',
  title: 'List Argo Experiments',
  description: 'List Argo Rollouts Experiments with their phase, optionally only those owned by one rollout.',
  toolset: 'argo',
  inputSchema: {
    rollout_name: z.string().min(1).max(253).optional().describe('Only experiments owned by this rollout (matched by ownerReferences)'),
    namespace: argoNamespaceField,
    all_namespaces: allNamespacesField,
  },
  outputSchema: textOutputShape,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
  handler: async (input, deps: ToolDeps, context) => {
    if (!input.all_namespaces) assertSafeName('namespace', input.namespace);
    if (input.rollout_name) assertSafeName('rollout_name', input.rollout_name);
    const experiments = (await listArgo(deps, 'experiments', input.all_namespaces ? undefined : input.namespace, context.signal)).filter((experiment) =>
      ownedBy(experiment, input.rollout_name),
    );
    if (experiments.length === 0) return { text: input.rollout_name ? `No experiments found for rollout '${input.rollout_name}'.` : 'No experiments found.' };
    const now = new Date();
    const rows = experiments.map((experiment) => [
      ...(input.all_namespaces ? [experiment.metadata.namespace ?? ''] : []),
      experiment.metadata.name,
      experiment.status?.phase ?? 'Pending',
      ownerRollout(experiment) ?? '',
      age(experiment.metadata.creationTimestamp, now),
    ]);
    return { text: renderTable([[...(input.all_namespaces ? ['NAMESPACE'] : []), 'NAME', 'STATUS', 'ROLLOUT', 'AGE'], ...rows]) };
  },
});

export function ownerRollout(object: KubeObjectLike): string | undefined {
  return object.metadata.ownerReferences?.find((owner) => owner.kind === 'Rollout')?.name;
}

export function ownedBy(object: KubeObjectLike, rolloutName: string | undefined): boolean {
  return rolloutName === undefined || ownerRollout(object) === rolloutName;
}
