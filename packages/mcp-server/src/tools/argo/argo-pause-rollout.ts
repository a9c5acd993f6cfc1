import type { ToolDeps } from '../../deps/deps.ts';
import { defineTool } from '../../contract/tool-definition.ts';
import { argoNamespaceField, rolloutNameField } from './argo-inputs.ts';
import { getRollout, mergePatchRollout, validateRef } from './rollout-api.ts';
import { textOutputShape } from '../output-shapes.ts';

export const argoPauseRollout = defineTool({
  name: 'argo_pause_rollout',
  title: 'Pause Argo Rollout',
  description: 'Pause an Argo Rollout (sets spec.paused); it stays at its current step until resumed or promoted.',
  toolset: 'argo',
  inputSchema: { name: rolloutNameField, namespace: argoNamespaceField },
  outputSchema: textOutputShape,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
  handler: async (input, deps: ToolDeps, context) => {
    const ref = validateRef(input);
    await getRollout(deps, ref, context.signal);
    await mergePatchRollout(deps, ref, { spec: { paused: true } }, context.signal);
    return { text: `rollout '${ref.name}' paused` };
  },
});
