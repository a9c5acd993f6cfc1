import { stringify } from 'yaml';
import { z } from 'zod';
import { toolError } from '../../contract/errors.ts';
import type { ToolDeps } from '../../deps/deps.ts';
import { defineTool } from '../../contract/tool-definition.ts';
import { argoNamespaceField, rolloutNameField } from './argo-inputs.ts';
import { loadRollout, revisionOf } from './rollout-api.ts';
import { age, renderTable, replicaSetRoles } from './rollout-view.ts';
import { textOutputShape } from '../output-shapes.ts';

export const argoHistory = defineTool({
  name: 'argo_history',
  title: 'Get Argo Rollout History',
  description: 'List the revisions of an Argo Rollout (from its ReplicaSets) with images and roles; with revision, show that revision\'s pod template. Use it to pick to_revision for argo_undo.',
  toolset: 'argo',
  inputSchema: {
    name: rolloutNameField,
    namespace: argoNamespaceField,
    revision: z.number().int().min(1).optional().describe('Show the pod template of this revision'),
  },
  outputSchema: textOutputShape,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
  handler: async (input, deps: ToolDeps, context) => {
    const { ref, rollout, replicaSets } = await loadRollout(deps, input, context.signal);
    if (input.revision !== undefined) {
      const match = replicaSets.find((replicaSet) => revisionOf(replicaSet) === input.revision);
      if (!match) {
        return toolError(`Rollout ${ref.namespace}/${ref.name} has no revision ${input.revision}.`, `pick one of: ${replicaSets.map(revisionOf).join(', ') || 'none'}`, 'NOT_FOUND');
      }
      return { text: `Revision ${input.revision} (ReplicaSet ${match.metadata.name}) pod template:\n${stringify(match.spec?.template ?? {})}` };
    }
    if (replicaSets.length === 0) return { text: `Rollout ${ref.namespace}/${ref.name} has no revisions yet (no ReplicaSets).` };
    const now = new Date();
    const current = revisionOf(rollout);
    const rows = replicaSets.map((replicaSet) => {
      const images = ((replicaSet.spec?.template?.spec?.containers ?? []) as Array<{ image?: string }>).map((container) => container.image).join(',');
      const roles = replicaSetRoles(rollout, replicaSet);
      if (revisionOf(replicaSet) === current && !roles.includes('current')) roles.unshift('current');
      return [String(revisionOf(replicaSet)), replicaSet.metadata.name, images, age(replicaSet.metadata.creationTimestamp, now), roles.join(',')];
    });
    return { text: `rollout "${ref.name}" history:\n${renderTable([['REVISION', 'REPLICASET', 'IMAGES', 'AGE', 'INFO'], ...rows])}` };
  },
});
