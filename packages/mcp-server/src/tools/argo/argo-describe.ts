import type { ToolDeps } from '../../deps/deps.ts';
import { defineTool } from '../../contract/tool-definition.ts';
import { argoNamespaceField, rolloutNameField } from './argo-inputs.ts';
import { loadRollout } from './rollout-api.ts';
import { renderReplicaSetTable, renderRolloutSummary, renderTable } from './rollout-view.ts';
import { textOutputShape } from '../output-shapes.ts';

export const argoDescribe = defineTool({
  name: 'argo_describe',
  title: 'Describe Argo Rollout',
  description: 'Describe an Argo Rollout in detail: the status summary, its ReplicaSets per revision (stable/canary/active/preview), canary steps and conditions.',
  toolset: 'argo',
  inputSchema: { name: rolloutNameField, namespace: argoNamespaceField },
  outputSchema: textOutputShape,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
  handler: async (input, deps: ToolDeps, context) => {
    const { rollout, replicaSets } = await loadRollout(deps, input, context.signal);
    const sections = [renderRolloutSummary(rollout, replicaSets), '', renderReplicaSetTable(rollout, replicaSets, new Date())];
    const steps: Array<Record<string, unknown>> = rollout.spec?.strategy?.canary?.steps ?? [];
    if (steps.length > 0) {
      const current: number = rollout.status?.currentStepIndex ?? 0;
      sections.push('', 'Steps:');
      steps.forEach((step, index) => sections.push(`  ${index === current ? '→' : ' '} ${index}: ${JSON.stringify(step)}`));
    }
    const conditions: Array<{ type: string; status: string; reason?: string; message?: string }> = rollout.status?.conditions ?? [];
    if (conditions.length > 0) {
      sections.push('', 'Conditions:', renderTable([['TYPE', 'STATUS', 'REASON', 'MESSAGE'], ...conditions.map((condition) => [condition.type, condition.status, condition.reason ?? '', condition.message ?? ''])]));
    }
    return { text: sections.join('\n') };
  },
});
