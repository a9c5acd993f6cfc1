import type { ToolDeps } from '../../deps/deps.ts';
import { defineTool } from '../../contract/tool-definition.ts';
import { argoNamespaceField, rolloutNameField } from './argo-inputs.ts';
import { getRollout, mergePatchRollout, patchRolloutStatus, validateRef } from './rollout-api.ts';
import { textOutputShape } from '../output-shapes.ts';

export const argoResumeRollout = defineTool({
  name: 'argo_resume_rollout',
  title: 'Resume Argo Rollout',
  description: 'Resume a paused Argo Rollout: clears spec.paused and the pause conditions so it continues with its steps.',
  toolset: 'argo',
  inputSchema: { name: rolloutNameField, namespace: argoNamespaceField },
  outputSchema: textOutputShape,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
  handler: async (input, deps: ToolDeps, context) => {
    const ref = validateRef(input);
    const rollout = await getRollout(deps, ref, context.signal);
    const hasPauseConditions = (rollout.status?.pauseConditions ?? []).length > 0;
    if (!rollout.spec?.paused && !hasPauseConditions) return { text: `rollout '${ref.name}' is not paused; nothing to resume.` };
    let usedUnified = false;
    if (hasPauseConditions) {
      usedUnified = (await patchRolloutStatus(deps, ref, { status: { pauseConditions: null } }, { spec: { paused: false }, status: { pauseConditions: null } }, context.signal))
        .usedUnified;
    }
    if (rollout.spec?.paused && !usedUnified) await mergePatchRollout(deps, ref, { spec: { paused: false } }, context.signal);
    return { text: `rollout '${ref.name}' resumed` };
  },
});
