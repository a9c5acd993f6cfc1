import { createTwoFilesPatch } from 'diff';
import { stringify } from 'yaml';
import { z } from 'zod';
import { ToolInputError } from '../../contract/errors.ts';
import type { ToolDeps } from '../../deps/deps.ts';
import { defineTool } from '../../contract/tool-definition.ts';
import { argoNamespaceField, rolloutNameField } from './argo-inputs.ts';
import { loadRollout, podTemplateHashLabel, replaceRollout, revisionOf, type KubeObjectLike } from './rollout-api.ts';
import { textOutputShape } from '../output-shapes.ts';

interface UndoInput {
  name: string;
  namespace: string;
  to_revision?: number;
}

function images(template: any): string {
  return ((template?.spec?.containers ?? []) as Array<{ image?: string }>).map((container) => container.image).filter(Boolean).join(', ');
}

/** The pod template an undo puts back: the target ReplicaSet's, without the hash label that belongs to the ReplicaSet. */
function restoredTemplate(target: KubeObjectLike): any {
  const template = structuredClone(target.spec?.template ?? {});
  if (template.metadata?.labels) delete template.metadata.labels[podTemplateHashLabel];
  return template;
}

/** What an undo would do, read once and shared by resolve, the preview and the handler. */
async function planUndo(deps: ToolDeps, input: UndoInput, signal?: AbortSignal) {
  const { ref, rollout, replicaSets } = await loadRollout(deps, input, signal);
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
  return { ref, rollout, current, target };
}

export const argoUndo = defineTool({
  name: 'argo_undo',
  title: 'Undo Argo Rollout',
  description: 'Roll an Argo Rollout back to an earlier revision (default: the previous one) by restoring that revision\'s pod template; the rollout then progresses to it through its steps.',
  toolset: 'argo',
  inputSchema: {
    name: rolloutNameField,
    namespace: argoNamespaceField,
    to_revision: z.number().int().min(1).optional().describe('Revision to roll back to (see argo_history); default is the previous revision, resolved to its number before approval'),
  },
  outputSchema: textOutputShape,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
  // "The previous revision" moves when the rollout gets a new one, so an approval must name a number.
  resolve: async (input, deps: ToolDeps, context) => {
    if (input.to_revision !== undefined) return { set: {}, notes: [] };
    const { current, target } = await planUndo(deps, input, context.signal);
    const image = images(target.spec?.template);
    return { set: { to_revision: revisionOf(target) }, notes: [`to_revision: previous → ${revisionOf(target)}${image ? ` (image ${image})` : ''}; current revision ${current}`] };
  },
  describeCall: async (input, deps: ToolDeps, context) => {
    const { ref, rollout, current, target } = await planUndo(deps, input, context.signal);
    const revision = revisionOf(target);
    if (revision === current) return { text: `rollout '${ref.name}' (${ref.namespace}) is already at revision ${current}; undo would change nothing.`, diff: '', changed: false };
    const label = `rollout.argoproj.io/${ref.name}`;
    const diff = createTwoFilesPatch(`live/${label} spec.template`, `would-be/${label} spec.template`, stringify(rollout.spec?.template ?? {}, { lineWidth: 0 }), stringify(restoredTemplate(target), { lineWidth: 0 }), undefined, undefined, { context: 3 })
      .replace(/^=+\n/m, '')
      .trimEnd();
    const changed = diff.includes('\n@@');
    const summary = `rollout '${ref.name}' (${ref.namespace}) would go from revision ${current} (image ${images(rollout.spec?.template) || 'none'}) back to the pod template of revision ${revision} (ReplicaSet ${target.metadata.name}, image ${images(target.spec?.template) || 'none'}), then progress through its steps.`;
    return { text: changed ? `${summary}\n\n${diff}` : `${summary}\n\nNo changes: the pod template already matches.`, diff: changed ? diff : '', changed };
  },
  handler: async (input, deps: ToolDeps, context) => {
    const { ref, rollout, current, target } = await planUndo(deps, input, context.signal);
    if (revisionOf(target) === current) return { text: `rollout '${ref.name}' is already at revision ${current}; nothing to undo.` };
    rollout.spec = { ...rollout.spec, template: restoredTemplate(target) };
    await replaceRollout(deps, rollout, context.signal);
    return { text: `rollout '${ref.name}' undo: pod template restored from revision ${revisionOf(target)} (ReplicaSet ${target.metadata.name})` };
  },
});
