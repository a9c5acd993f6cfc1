import { z } from 'zod';
import type { ToolDeps } from '../../deps/deps.ts';
import { defineTool } from '../../contract/tool-definition.ts';
import { argoNamespaceField, rolloutNameField } from './argo-inputs.ts';
import { loadRollout } from './rollout-api.ts';
import { renderRolloutSummary, rolloutState } from './rollout-view.ts';
import { withTextOutput } from '../output-shapes.ts';

export const argoStatus = defineTool({
  name: 'argo_status',
  title: 'Get Argo Rollout Status',
  description: 'Show the status of an Argo Rollout: phase and message (Healthy, Progressing, Paused, Degraded), strategy, canary step and weights, stable/canary images and replica counts.',
  toolset: 'argo',
  inputSchema: { name: rolloutNameField, namespace: argoNamespaceField },
  outputSchema: withTextOutput({ phase: z.string().optional().describe('Healthy, Progressing, Paused or Degraded'), message: z.string().optional().describe('Why, when not healthy') }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
  handler: async (input, deps: ToolDeps, context) => {
    const { rollout, replicaSets } = await loadRollout(deps, input, context.signal);
    const state = rolloutState(rollout);
    const headline = state.message ? `${state.phase} - ${state.message}` : state.phase;
    return { text: `${headline}\n\n${renderRolloutSummary(rollout, replicaSets)}`, structured: { phase: state.phase, message: state.message } };
  },
});
