import type { ToolDeps } from '../../deps/deps.ts';
import { defineTool } from '../../contract/tool-definition.ts';
import { argoNamespaceField, rolloutNameField } from './argo-inputs.ts';
import { getRollout, mergePatchRollout, validateRef } from './rollout-api.ts';
import { textOutputShape } from '../output-shapes.ts';

export const argoRolloutRestart = defineTool({
  name: 'argo_rollout_restart',
  title: 'Restart Argo Rollout',
  description: 'Restart the pods of an Argo Rollout (sets spec.restartAt to now; the controller replaces pods gradually).',
  toolset: 'argo',
  inputSchema: { name: rolloutNameField, namespace: argoNamespaceField },
  outputSchema: textOutputShape,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
  handler: async (input, deps: ToolDeps, context) => {
    const ref = validateRef(input);
    await getRollout(deps, ref, context.signal);
    // whole seconds in RFC 3339, as the plugin writes it (metav1.Time)
    const restartAt = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    await mergePatchRollout(deps, ref, { spec: { restartAt } }, context.signal);
    return { text: `rollout '${ref.name}' restarts in 0s (restartAt ${restartAt})` };
  },
});
