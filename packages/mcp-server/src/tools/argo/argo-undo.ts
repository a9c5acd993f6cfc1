import { z } from 'zod';
import { ToolInputError } from '../../errors.ts';
import type { ToolDeps } from '../deps.ts';
import { defineTool } from '../tool-definition.ts';
import { argoNamespaceField, rolloutNameField } from './argo-inputs.ts';
import { loadRollout, podTemplateHashLabel, replaceRollout, revisionOf } from './rollout-api.ts';

export const argoUndo = defineTool({
  name: 'argo_undo',
  title: 'Undo Argo Rollout',
  description: 'Roll an Argo Rollout back to an earlier revision (default: the previous one) by restoring that revision\'s pod template; the rollout then progresses to it through its steps.',
  toolset: 'argo',
  inputSchema: {
    name: rolloutNameField,
    namespace: argoNamespaceField,
    to_revision: z.number().int().min(1).optional().describe('Revision to roll back to (see argo_history); default is the previous revision'),
  },
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
  handler: async (input, deps: ToolDeps, context) => {
    const { ref, rollout, replicaSets } = await loadRollout(deps, input, context.signal);
    const current = revisionOf(rollout) || Math.max(0, ...replicaSets.map(revisionOf));
    // Like `kubectl argo rollouts undo`: the previous revision is the newest one older than the current.
    const target =
      input.to_revision !== undefined
        ? replicaSets.find((replicaSet) => revisionOf(replicaSet) === input.to_revision)
        : replicaSets.find((replicaSet) => revisionOf(replicaSet) < current);
    if (!target) {
      const available = replicaSets.map(revisionOf).join(', ') || 'none';
      throw new ToolInputError(
        input.to_revision !== undefined
          ? `Rollout ${ref.namespace}/${ref.name} has no revision ${input.to_revision} (revisions: ${available}).`
          : `Rollout ${ref.namespace}/${ref.name} has no previous revision to roll back to (revisions: ${available}).`,
        { hint: 'list revisions with argo_history', code: 'NOT_FOUND' },
      );
    }
    if (revisionOf(target) === current) return { text: `rollout '${ref.name}' is already at revision ${current}; nothing to undo.` };
    const template = structuredClone(target.spec?.template ?? {});
    if (template.metadata?.labels) delete template.metadata.labels[podTemplateHashLabel];
    rollout.spec = { ...rollout.spec, template };
    await replaceRollout(deps, rollout, context.signal);
    return { text: `rollout '${ref.name}' undo: pod template restored from revision ${revisionOf(target)} (ReplicaSet ${target.metadata.name})` };
  },
});
