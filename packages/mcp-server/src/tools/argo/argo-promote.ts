import { z } from 'zod';
import { ToolInputError } from '../../contract/errors.ts';
import type { ToolDeps } from '../../deps/deps.ts';
import { defineTool } from '../../contract/tool-definition.ts';
import { argoNamespaceField, rolloutNameField } from './argo-inputs.ts';
import { getRollout, mergePatchRollout, patchRolloutStatus, validateRef } from './rollout-api.ts';
import { rolloutState } from './rollout-view.ts';
import { textOutputShape } from '../output-shapes.ts';

export const argoPromote = defineTool({
  name: 'argo_promote',
  title: 'Promote Argo Rollout',
  description: 'Promote a paused Argo Rollout to its next step; with full=true skip all remaining steps, pauses and analysis and go straight to 100%.',
  toolset: 'argo',
  inputSchema: {
    name: rolloutNameField,
    namespace: argoNamespaceField,
    full: z.boolean().default(false).describe('Full promotion: skip remaining steps, pauses and analysis'),
  },
  outputSchema: textOutputShape,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
  handler: async (input, deps: ToolDeps, context) => {
    const ref = validateRef(input);
    const rollout = await getRollout(deps, ref, context.signal);
    const status = rollout.status ?? {};
    // Same patches as kubectl-argo-rollouts promote (cmd/promote getPatches).
    if (input.full) {
      if (status.currentPodHash && status.currentPodHash === status.stableRS) {
        return { text: `rollout '${ref.name}' is already fully promoted (the current pods are the stable ReplicaSet); nothing to do.` };
      }
      await patchRolloutStatus(deps, ref, { status: { promoteFull: true } }, { status: { promoteFull: true } }, context.signal);
      return { text: `rollout '${ref.name}' fully promoted` };
    }
    const pauseConditions: unknown[] = status.pauseConditions ?? [];
    const steps: unknown[] = rollout.spec?.strategy?.canary?.steps ?? [];
    let statusPatch: Record<string, unknown> | undefined;
    if (pauseConditions.length > 0) statusPatch = { status: { pauseConditions: null } };
    else if (rollout.spec?.strategy?.canary) {
      // not paused on a step (e.g. running analysis): move to the next step, as the plugin does
      const index: number = status.currentStepIndex ?? 0;
      if (index < steps.length) statusPatch = { status: { currentStepIndex: index + 1 } };
    }
    if (!statusPatch && !rollout.spec?.paused) {
      throw new ToolInputError(`Rollout ${ref.namespace}/${ref.name} is not paused and has no step left to promote (phase ${rolloutState(rollout).phase}).`, {
        hint: 'check it with argo_status; use full=true only while an update is in progress',
        code: 'CONFLICT',
      });
    }
    let usedUnified = false;
    if (statusPatch) usedUnified = (await patchRolloutStatus(deps, ref, statusPatch, { spec: { paused: false }, ...statusPatch }, context.signal)).usedUnified;
    if (rollout.spec?.paused && !usedUnified) await mergePatchRollout(deps, ref, { spec: { paused: false } }, context.signal);
    return { text: `rollout '${ref.name}' promoted` };
  },
});
