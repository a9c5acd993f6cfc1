import { z } from 'zod';
import { assertSafeName } from '../../exec/flag-guard.ts';
import type { ToolDeps } from '../../deps/deps.ts';
import { defineTool } from '../../contract/tool-definition.ts';
import { allNamespacesField, argoNamespaceField } from './argo-inputs.ts';
import { ownedBy, ownerRollout } from './argo-list-experiments.ts';
import { listArgo } from './rollout-api.ts';
import { age, renderTable } from './rollout-view.ts';
import { textOutputShape } from '../output-shapes.ts';

export const argoListAnalysisRuns = defineTool({
  name: 'argo_list_analysisruns',
  title: 'List Argo Analysis Runs',
  description: 'List Argo Rollouts AnalysisRuns with their phase and message (why a canary analysis failed), optionally only those of one rollout.',
  toolset: 'argo',
  inputSchema: {
    namespace: argoNamespaceField,
    all_namespaces: allNamespacesField,
    rollout_name: z.string().min(1).max(253).optional().describe('Only analysis runs owned by this rollout (matched by ownerReferences)'),
  },
  outputSchema: textOutputShape,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
  handler: async (input, deps: ToolDeps, context) => {
    if (!input.all_namespaces) assertSafeName('namespace', input.namespace);
    if (input.rollout_name) assertSafeName('rollout_name', input.rollout_name);
    const runs = (await listArgo(deps, 'analysisruns', input.all_namespaces ? undefined : input.namespace, context.signal)).filter((run) => ownedBy(run, input.rollout_name));
    if (runs.length === 0) return { text: input.rollout_name ? `No analysis runs found for rollout '${input.rollout_name}'.` : 'No analysis runs found.' };
    const now = new Date();
    const rows = runs.map((run) => [
      ...(input.all_namespaces ? [run.metadata.namespace ?? ''] : []),
      run.metadata.name,
      run.status?.phase ?? 'Pending',
      ownerRollout(run) ?? '',
      age(run.metadata.creationTimestamp, now),
      run.status?.message ?? '',
    ]);
    return { text: renderTable([[...(input.all_namespaces ? ['NAMESPACE'] : []), 'NAME', 'STATUS', 'ROLLOUT', 'AGE', 'MESSAGE'], ...rows]) };
  },
});
