import type { ToolDeps } from '../../deps/deps.ts';
import { defineTool } from '../../contract/tool-definition.ts';
import { argoNamespaceField, rolloutNameField } from './argo-inputs.ts';
import { getRollout, patchRolloutStatus, validateRef } from './rollout-api.ts';
import { textOutputShape } from '../output-shapes.ts';

export const argoAbortRollout = defineTool({
  name: 'argo_abort_rollout',
  title: 'Abort Argo Rollout',
  description: 'Abort an in-progress Argo Rollout update: traffic and replicas go back to the stable version and the rollout becomes Degraded until retried or updated.',
  toolset: 'argo',
  inputSchema: { name: rolloutNameField, namespace: argoNamespaceField },
  outputSchema: textOutputShape,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
  handler: async (input, deps: ToolDeps, context) => {
    const ref = validateRef(input);
    await getRollout(deps, ref, context.signal);
    await patchRolloutStatus(deps, ref, { status: { abort: true } }, { status: { abort: true } }, context.signal);
    return { text: `rollout '${ref.name}' aborted` };
  },
});
